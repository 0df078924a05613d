/* The tests' way of running programs (ot_spawn_sync in tests/support): it
 * behaves as g_spawn_sync while the child ends in time, reads both pipes
 * without blocking on either, and at its deadline reports the command, the
 * child's backtraces (gdb) and the end of its stderr, and kills the child
 * with everything it started.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>

#include "test-support.h"

#include <gio/gio.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include <cstring>
#include <string>

namespace {

/* Whether process `pid` ends (or has ended). A SIGKILL sent to a process
 * group is delivered to each member as the kernel gets to it, so a member
 * may still run for a moment after kill() returns: wait for its end on a
 * pidfd (readable once the process has exited, reaped or not), bounded only
 * so that a process that never ends fails the test instead of hanging it. */
gboolean
process_is_over (pid_t pid)
{
  int fd = static_cast<int> (syscall (SYS_pidfd_open, pid, 0));
  if (fd < 0)
    return errno == ESRCH;
  struct pollfd ended = { fd, POLLIN, 0 };
  int ready = poll (&ended, 1, 60 * 1000);
  close (fd);
  return ready == 1;
}

/* The pid the report names on its first line, "... (pid N) still runs ...". */
pid_t
reported_pid (const gchar *report)
{
  const gchar *at = strstr (report, "(pid ");
  fail_unless (at != nullptr, "the report names no pid: %s", report);
  return (pid_t) g_ascii_strtoll (at + 5, nullptr, 10);
}

}  // namespace

/* Both pipes filled well past a pipe's 64 KiB at once, and an exit status:
 * all of it comes back, as g_spawn_sync gives it. */
GST_START_TEST (test_output_and_status_as_g_spawn_sync)
{
  const gchar *argv[] = { "sh", "-c", "head -c 300000 /dev/zero | tr '\\0' o; head -c 200000 /dev/zero | tr '\\0' e >&2;"
                                      " exit 3", nullptr };
  g_autofree gchar *out = nullptr, *err = nullptr;
  gint status = 0;
  g_autoptr (GError) error = nullptr;
  fail_unless (ot_spawn_sync (nullptr, const_cast<gchar **> (argv), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr,
                   &out, &err, &status, &error),
      "%s", error ? error->message : "");
  fail_unless_equals_int (strlen (out), 300000);
  fail_unless_equals_int (strlen (err), 200000);
  fail_unless (out[0] == 'o' && err[0] == 'e');
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 3, "status %d", status);

  /* A program that is not there is an error, not a crash. */
  const gchar *missing[] = { "/nonexistent/program", nullptr };
  fail_if (ot_spawn_sync (nullptr, const_cast<gchar **> (missing), nullptr, G_SPAWN_DEFAULT, nullptr, nullptr, nullptr,
      nullptr, &status, &error));
  fail_unless (error != nullptr);
}
GST_END_TEST;

/* A child past its deadline: the report names the command, holds a
 * backtrace of it from gdb and the end of its stderr, and the child is gone
 * afterwards, with what it started (which shares its pipes: waiting for
 * their end would wait for ever). */
GST_START_TEST (test_deadline_reports_and_kills)
{
  g_autofree gchar *gdb = g_find_program_in_path ("gdb");
  fail_unless (gdb != nullptr, "gdb is not installed (scripts/install-deps.sh installs it)");
  g_setenv ("OT_SUBPROCESS_TIMEOUT", "1", TRUE);
  g_autofree gchar *dir = ot_make_temp_dir ("deadline");
  g_autofree gchar *pid_file = g_build_filename (dir, "sleeper.pid", nullptr);
  g_autofree gchar *script = g_strdup_printf ("echo about to sleep >&2; sleep 1000 & echo $! > '%s'; wait", pid_file);
  const gchar *argv[] = { "sh", "-c", script, nullptr };
  g_autofree gchar *out = nullptr, *report = nullptr;
  gint status = 0;
  g_autoptr (GError) error = nullptr;
  fail_if (ot_spawn_sync_or_report (nullptr, const_cast<gchar **> (argv), nullptr, G_SPAWN_SEARCH_PATH, nullptr,
      nullptr, &out, nullptr, &status, &report, &error));
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT), "%s", error ? error->message : "no error");
  fail_unless (strstr (error->message, "sleep 1000") != nullptr, "%s", error->message);
  fail_unless (out == nullptr);
  fail_unless (report != nullptr);
  fail_unless (strstr (report, "ot: TIMEOUT: sh -c") && strstr (report, "sleep 1000"), "%s", report);
  fail_unless (strstr (report, "---- backtraces of pid ") && strstr (report, "\n#0 "), "no backtrace: %s", report);
  fail_unless (strstr (report, "---- the end of its stderr:\nabout to sleep\n"), "no stderr: %s", report);
  fail_unless (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL, "status %d", status);
  fail_unless (process_is_over (reported_pid (report)), "the child still runs");
  /* Under a load that kept sh from starting it within the second, there is
   * no sleeper to look at. */
  g_autofree gchar *sleeper = nullptr;
  if (g_file_get_contents (pid_file, &sleeper, nullptr, nullptr) && *sleeper) {
    pid_t pid = (pid_t) g_ascii_strtoll (sleeper, nullptr, 10);
    fail_unless (pid > 0 && process_is_over (pid), "the child's child %d still runs", (int) pid);
  }
}
GST_END_TEST;

/* Without gdb the report says so, and the child is still killed. */
GST_START_TEST (test_deadline_without_gdb)
{
  g_setenv ("OT_SUBPROCESS_TIMEOUT", "1", TRUE);
  g_setenv ("PATH", "/nonexistent", TRUE);
  const gchar *argv[] = { "/bin/sleep", "1000", nullptr };
  g_autofree gchar *report = nullptr;
  gint status = 0;
  g_autoptr (GError) error = nullptr;
  fail_if (ot_spawn_sync_or_report (nullptr, const_cast<gchar **> (argv), nullptr, G_SPAWN_DEFAULT, nullptr, nullptr,
      nullptr, nullptr, &status, &report, &error));
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
  fail_unless (strstr (report, "gdb is not installed") != nullptr, "%s", report);
  fail_unless (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL, "status %d", status);
  fail_unless (process_is_over (reported_pid (report)), "the child still runs");
}
GST_END_TEST;

static Suite *
subprocess_suite (void)
{
  Suite *s = suite_create ("subprocess");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_output_and_status_as_g_spawn_sync);
  tcase_add_test (tc, test_deadline_reports_and_kills);
  tcase_add_test (tc, test_deadline_without_gdb);
  return s;
}

GST_CHECK_MAIN (subprocess);
