/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "index/download-lock.h"

#include "util/fs.h"
#include "util/hash.h"

#include <gst/offline/offline-error.h>

#include <algorithm>
#include <cerrno>
#include <vector>
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
  return DownloadLock::directory (data_dir) + G_DIR_SEPARATOR_S + sha256_hex (id) + ".lock";
}

std::string claim_path (const std::string &data_dir, const std::string &id)
{
  return DownloadLock::directory (data_dir) + G_DIR_SEPARATOR_S + sha256_hex (id) + ".claim";
}

std::string queue_claim_path (const std::string &data_dir)
{
  return DownloadLock::directory (data_dir) + G_DIR_SEPARATOR_S + "queue.claim";
}

/* Whether a process (this one included) holds a flock on any of `paths`. */
bool any_held (std::initializer_list<std::string> paths)
{
  std::vector<std::string> wanted;
  for (const auto &path : paths) {
    struct stat st;
    if (stat (path.c_str (), &st) != 0)
      continue;  /* never locked */
    g_autofree gchar *name = g_strdup_printf ("%02x:%02x:%lu", major (st.st_dev), minor (st.st_dev),
        static_cast<unsigned long> (st.st_ino));
    wanted.emplace_back (name);
  }
  if (wanted.empty ())
    return false;
  /* The kernel lists every flock in /proc/locks by device and inode
   * ("1: FLOCK  ADVISORY  WRITE 4242 fd:01:1234 0 EOF"). Probing with a lock
   * of our own instead would, for an instant, make another process's
   * acquire () fail as if the download were taken. */
  g_autofree gchar *locks = nullptr;
  if (!g_file_get_contents ("/proc/locks", &locks, nullptr, nullptr))
    return true;  /* cannot tell: believe the index */
  g_auto (GStrv) lines = g_strsplit (locks, "\n", -1);
  for (gchar **line = lines; *line; line++) {
    if (!strstr (*line, "FLOCK"))
      continue;
    g_auto (GStrv) fields = g_strsplit_set (*line, " ", -1);
    for (gchar **field = fields; *field; field++) {
      if (std::find (wanted.begin (), wanted.end (), *field) != wanted.end ())
        return true;
    }
  }
  return false;
}

}  // namespace

std::string DownloadLock::directory (const std::string &data_dir)
{
  return data_dir + G_DIR_SEPARATOR_S + "locks";
}

namespace {
void (*look_observer) (gpointer data) = nullptr;
gpointer look_observer_data = nullptr;
}  // namespace

void DownloadLock::set_look_observer (void (*observer) (gpointer data), gpointer data)
{
  look_observer_data = data;
  look_observer = observer;
}

bool DownloadLock::is_held (const std::string &data_dir, const std::string &id)
{
  if (look_observer)
    look_observer (look_observer_data);
  return any_held ({ lock_path (data_dir, id) });
}

bool DownloadLock::is_fetched (const std::string &data_dir, const std::string &id)
{
  return any_held ({ lock_path (data_dir, id), claim_path (data_dir, id), queue_claim_path (data_dir) });
}

std::unique_ptr<FetchClaim> FetchClaim::claim_queue (const std::string &data_dir, GError **error)
{
  return take (data_dir, queue_claim_path (data_dir), error);
}

std::unique_ptr<FetchClaim> FetchClaim::claim (const std::string &data_dir, const std::string &id, GError **error)
{
  return take (data_dir, claim_path (data_dir, id), error);
}

std::unique_ptr<FetchClaim> FetchClaim::take (const std::string &data_dir, const std::string &path, GError **error)
{
  if (!make_directories (DownloadLock::directory (data_dir), error))
    return nullptr;
  /* Opened for writing, so that its close (a process that dies) is an
   * IN_CLOSE_WRITE a waiting player sees. */
  UniqueFd fd (open (path.c_str (), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) {
    set_error_from_errno (error, errno, "opening claim file " + path);
    return nullptr;
  }
  /* Shared: it waits for nothing but a player's probe, which takes none. */
  while (flock (fd.get (), LOCK_SH) != 0) {
    if (errno != EINTR) {
      set_error_from_errno (error, errno, "locking " + path);
      return nullptr;
    }
  }
  return std::unique_ptr<FetchClaim> (new FetchClaim (std::move (fd)));
}

std::unique_ptr<DownloadLock> DownloadLock::acquire (const std::string &data_dir, const std::string &id, GError **error)
{
  std::string dir = directory (data_dir);
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
