/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cache/space-reserve.h"

#include "cache/cache-private.h"

#include <glib/gstdio.h>
#include <gst/gst.h>

#include <atomic>
#include <cerrno>
#include <sys/file.h>
#include <unistd.h>

namespace gst_offline {

namespace {

constexpr gsize kReserveBytes = 512 * 1024;
constexpr const char *kReserveName = "space-reserve";
constexpr const char *kTemporaryPrefix = "space-reserve.";

std::atomic<void (*) (gpointer)> write_observer { nullptr };
std::atomic<gpointer> write_observer_data { nullptr };

/* Visits the temporary reserve files of `data_dir` that no live process
 * holds, each locked while `visit` runs. */
template <typename Visit> void for_each_stale (const std::string &data_dir, Visit visit)
{
  g_autoptr (GDir) dir = g_dir_open (data_dir.c_str (), 0, nullptr);
  while (const gchar *name = dir ? g_dir_read_name (dir) : nullptr) {
    if (!g_str_has_prefix (name, kTemporaryPrefix))
      continue;
    std::string path = data_dir + G_DIR_SEPARATOR_S + name;
    int errsv = 0;
    UniqueFd held = cache_lock_file (path, false, &errsv);
    if (held)
      visit (path);
  }
}

}  // namespace

SpaceReserve::SpaceReserve (std::string data_dir)
    : data_dir_ (std::move (data_dir)), path_ (data_dir_ + G_DIR_SEPARATOR_S + kReserveName)
{
}

void SpaceReserve::set_write_observer (void (*observer) (gpointer data), gpointer data)
{
  write_observer_data = data;
  write_observer = observer;
}

void SpaceReserve::ensure ()
{
  if (g_file_test (path_.c_str (), G_FILE_TEST_EXISTS))
    return;
  std::string temporary = data_dir_ + G_DIR_SEPARATOR_S + kTemporaryPrefix + "XXXXXX";
  UniqueFd fd (g_mkstemp_full (&temporary[0], O_RDWR | O_CLOEXEC, 0644));
  if (!fd)
    return;
  /* Locked while it is written: what another process's remove_stale ()
   * tells from a file a killed process left. It may have taken the file
   * between its creation and the lock: then not this time. */
  if (flock (fd.get (), LOCK_EX | LOCK_NB) != 0 || !cache_path_names_file (temporary, fd.get ()))
    return;
  if (auto observer = write_observer.load ())
    observer (write_observer_data.load ());
  /* Written, not sparse: the blocks must really be taken. */
  std::string zeros (kReserveBytes, '\0');
  gsize written = 0;
  while (written < zeros.size ()) {
    ssize_t n = write (fd.get (), zeros.data () + written, zeros.size () - written);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    written += static_cast<gsize> (n);
  }
  if (written < zeros.size () || g_rename (temporary.c_str (), path_.c_str ()) != 0) {
    GST_INFO ("no space reserve in %s: %s", data_dir_.c_str (), g_strerror (errno));
    g_unlink (temporary.c_str ());
  }
}

bool SpaceReserve::release ()
{
  return g_unlink (path_.c_str ()) == 0;
}

std::vector<std::string> SpaceReserve::stale_files (const std::string &data_dir)
{
  std::vector<std::string> stale;
  for_each_stale (data_dir, [&stale] (const std::string &path) { stale.push_back (path); });
  return stale;
}

guint SpaceReserve::remove_stale (const std::string &data_dir)
{
  guint removed = 0;
  for_each_stale (data_dir, [&removed] (const std::string &path) {
    if (g_unlink (path.c_str ()) == 0) {
      GST_INFO ("removed %s, left by a process killed while it made the space reserve", path.c_str ());
      removed++;
    }
  });
  return removed;
}

}  // namespace gst_offline
