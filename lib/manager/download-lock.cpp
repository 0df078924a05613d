/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "manager/download-lock.h"

#include "util/fs.h"
#include "util/hash.h"

#include <gst/offline/offline-error.h>

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace gst_offline {

std::unique_ptr<DownloadLock> DownloadLock::acquire (const std::string &data_dir, const std::string &id, GError **error)
{
  std::string dir = data_dir + G_DIR_SEPARATOR_S + "locks";
  if (!make_directories (dir, error))
    return nullptr;
  std::string path = dir + G_DIR_SEPARATOR_S + sha256_hex (id) + ".lock";
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
