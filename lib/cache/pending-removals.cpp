/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cache/pending-removals.h"

#include "util/fs.h"
#include "util/handles.h"
#include "util/hash.h"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace gst_offline {

namespace {

constexpr const char *kDirName = "removing";

std::string marks_dir (const std::string &data_dir)
{
  return data_dir + G_DIR_SEPARATOR_S + kDirName;
}

std::string mark_path (const std::string &data_dir, const std::string &id)
{
  return marks_dir (data_dir) + G_DIR_SEPARATOR_S + sha256_hex (id);
}

}  // namespace

bool mark_pending_removal (const std::string &data_dir, const std::string &id, GError **error)
{
  std::string dir = marks_dir (data_dir);
  bool made = g_file_test (dir.c_str (), G_FILE_TEST_IS_DIR);
  if (!made && (!make_directories (dir, error) || !sync_directory (data_dir, error)))
    return false;
  std::string path = mark_path (data_dir, id);
  UniqueFd fd (open (path.c_str (), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) {
    set_error_from_errno (error, errno, "creating " + path);
    return false;
  }
  const char *bytes = id.data ();
  gsize left = id.size ();
  while (left > 0) {
    ssize_t written = write (fd.get (), bytes, left);
    if (written < 0 && errno == EINTR)
      continue;
    if (written <= 0) {
      set_error_from_errno (error, written < 0 ? errno : ENOSPC, "writing " + path);
      return false;
    }
    bytes += written;
    left -= static_cast<gsize> (written);
  }
  if (fdatasync (fd.get ()) != 0) {
    set_error_from_errno (error, errno, "syncing " + path);
    return false;
  }
  return sync_directory (dir, error);
}

void clear_pending_removal (const std::string &data_dir, const std::string &id)
{
  /* Not synced: a mark that comes back after a power cut only makes the
   * next manager look again and find nothing left to delete (or the id
   * added again: then the mark is stale, see the manager). */
  unlink (mark_path (data_dir, id).c_str ());
}

bool is_pending_removal (const std::string &data_dir, const std::string &id)
{
  return g_file_test (mark_path (data_dir, id).c_str (), G_FILE_TEST_EXISTS);
}

std::vector<std::string> list_pending_removals (const std::string &data_dir)
{
  std::vector<std::string> ids;
  std::string dir = marks_dir (data_dir);
  g_autoptr (GDir) marks = g_dir_open (dir.c_str (), 0, nullptr);
  while (const gchar *name = marks ? g_dir_read_name (marks) : nullptr) {
    g_autofree gchar *id = nullptr;
    gsize length = 0;
    std::string path = dir + G_DIR_SEPARATOR_S + name;
    /* Only a mark whose name is the hash of what it holds: a torn or
     * foreign file is no removal (a torn mark's row is still there). */
    if (g_file_get_contents (path.c_str (), &id, &length, nullptr)
        && sha256_hex (std::string_view (id, length)) == name)
      ids.emplace_back (id, length);
  }
  return ids;
}

}  // namespace gst_offline
