/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "index/download-lock.h"

#include "util/fs.h"
#include "util/hash.h"

#include <gst/offline/offline-error.h>

#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace gst_offline {

namespace {

std::string lock_path (const std::string &data_dir, const std::string &id)
{
  return data_dir + G_DIR_SEPARATOR_S + "locks" + G_DIR_SEPARATOR_S + sha256_hex (id) + ".lock";
}

}  // namespace

bool DownloadLock::is_held (const std::string &data_dir, const std::string &id)
{
  struct stat st;
  if (stat (lock_path (data_dir, id).c_str (), &st) != 0)
    return false;  /* never locked */
  /* The kernel lists every flock in /proc/locks by device and inode
   * ("1: FLOCK  ADVISORY  WRITE 4242 fd:01:1234 0 EOF"). Probing with a lock
   * of our own instead would, for an instant, make another process's
   * acquire () fail as if the download were taken. */
  g_autofree gchar *locks = nullptr;
  if (!g_file_get_contents ("/proc/locks", &locks, nullptr, nullptr))
    return true;  /* cannot tell: believe the index */
  g_autofree gchar *wanted = g_strdup_printf ("%02x:%02x:%lu", major (st.st_dev), minor (st.st_dev),
      static_cast<unsigned long> (st.st_ino));
  g_auto (GStrv) lines = g_strsplit (locks, "\n", -1);
  for (gchar **line = lines; *line; line++) {
    if (!strstr (*line, "FLOCK"))
      continue;
    g_auto (GStrv) fields = g_strsplit_set (*line, " ", -1);
    for (gchar **field = fields; *field; field++) {
      if (g_str_equal (*field, wanted))
        return true;
    }
  }
  return false;
}

std::unique_ptr<DownloadLock> DownloadLock::acquire (const std::string &data_dir, const std::string &id, GError **error)
{
  std::string dir = data_dir + G_DIR_SEPARATOR_S + "locks";
  if (!make_directories (dir, error))
    return nullptr;
  std::string path = lock_path (data_dir, id);
  UniqueFd fd (open (path.c_str (), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) {
    set_error_from_errno (error, errno, "opening lock file " + path);
    return nullptr;
  }
  if (flock (fd.get (), LOCK_EX | LOCK_NB) != 0) {
    int errsv = errno;
    if (errsv == EWOULDBLOCK)
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_BUSY,
          "download %s is being downloaded by another process", id.c_str ());
    else
      set_error_from_errno (error, errsv, "locking " + path);
    return nullptr;
  }
  return std::unique_ptr<DownloadLock> (new DownloadLock (std::move (fd)));
}

}  // namespace gst_offline
