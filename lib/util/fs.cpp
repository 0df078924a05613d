/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "util/fs.h"

#include "util/request-error.h"

#include <gst/offline/offline-error.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gst_offline {

void set_error_from_errno (GError **error, int errsv, const std::string &what)
{
  GstOfflineError code = GST_OFFLINE_ERROR_IO;
  if (errsv == ENOSPC || errsv == EFBIG || errsv == EDQUOT)
    code = GST_OFFLINE_ERROR_NO_SPACE;
  if (!error)
    return;
  g_set_error (error, GST_OFFLINE_ERROR, code, "%s: %s", what.c_str (), g_strerror (errsv));
  set_no_space_reason (*error, GST_OFFLINE_NO_SPACE_REASON_DISK_FULL);
}

bool make_directories (const std::string &path, GError **error)
{
  if (g_mkdir_with_parents (path.c_str (), 0700) != 0) {
    set_error_from_errno (error, errno, "creating directory " + path);
    return false;
  }
  return true;
}

bool sync_directory (const std::string &dir, GError **error)
{
  int fd = open (dir.c_str (), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    set_error_from_errno (error, errno, "opening directory " + dir);
    return false;
  }
  int ret = fsync (fd);
  int errsv = errno;
  close (fd);
  if (ret != 0) {
    set_error_from_errno (error, errsv, "syncing directory " + dir);
    return false;
  }
  return true;
}

gint64 file_size (const std::string &path)
{
  struct stat st;
  if (stat (path.c_str (), &st) != 0 || !S_ISREG (st.st_mode))
    return -1;
  return st.st_size;
}

}  // namespace gst_offline
