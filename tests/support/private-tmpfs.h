/* A small file system of a test's own, for the tests about free space: no
 * other process writes to it, so its free space moves only with the test.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/check/gstcheck.h>

#include <sys/mount.h>
#include <sched.h>
#include <unistd.h>
#include <cerrno>

namespace ot {

/* Moves this test's process (gst-check runs each test in a forked child) into
 * a mount namespace of its own and mounts a tmpfs of `size_kib` at `dir`.
 * Children (the CLI) share it; it goes when the test ends. Needs root. */
inline void mount_private_tmpfs (const gchar *dir, guint size_kib)
{
  fail_unless (geteuid () == 0, "the free-space tests need root (unshare, mount)");
  fail_unless (unshare (CLONE_NEWNS) == 0, "unshare(CLONE_NEWNS): %s", g_strerror (errno));
  fail_unless (mount ("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0, "making / private: %s",
      g_strerror (errno));
  gchar *options = g_strdup_printf ("size=%uk", size_kib);
  fail_unless (mount ("tmpfs", dir, "tmpfs", 0, options) == 0, "mounting a tmpfs on %s: %s", dir, g_strerror (errno));
  g_free (options);
}

/* Gives the tmpfs at `dir` (from mount_private_tmpfs) a new size. */
inline void remount_tmpfs (const gchar *dir, guint size_kib)
{
  gchar *options = g_strdup_printf ("size=%uk", size_kib);
  fail_unless (mount ("tmpfs", dir, "tmpfs", MS_REMOUNT, options) == 0, "remounting %s with %s: %s", dir, options,
      g_strerror (errno));
  g_free (options);
}

}  // namespace ot
