/* Shared fixtures for the gst-offline tests: temporary directories, media
 * made by ffmpeg, the built CLI and the decode helper run as children.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-support.h"

#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#include <sys/prctl.h>
#include <sys/wait.h>
#include <csignal>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <string>
#include <vector>

namespace {

gchar *temp_root = nullptr;
pid_t temp_root_owner = 0;

void
remove_tree (const gchar *path)
{
  GStatBuf st;
  if (g_lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode)) {
    /* Tests may leave read-only directories behind; we own them. */
    g_chmod (path, 0700);
    GDir *dir = g_dir_open (path, 0, nullptr);
    if (dir) {
      const gchar *name;
      while ((name = g_dir_read_name (dir))) {
        gchar *child = g_build_filename (path, name, nullptr);
        remove_tree (child);
        g_free (child);
      }
      g_dir_close (dir);
    }
    g_rmdir (path);
  } else {
    g_unlink (path);
  }
}

void
remove_temp_root (void)
{
  /* Only the process that made the root removes it, never a forked child. */
  if (!temp_root || getpid () != temp_root_owner)
    return;
  if (g_getenv ("OT_KEEP_TMP"))
    g_printerr ("ot: keeping %s\n", temp_root);
  else
    remove_tree (temp_root);
  g_clear_pointer (&temp_root, g_free);
}

const gchar *
get_temp_root (void)
{
  if (temp_root)
    return temp_root;
  GError *error = nullptr;
  temp_root = g_dir_make_tmp ("gst-offline-tests-XXXXXX", &error);
  if (!temp_root)
    g_error ("cannot make a temporary directory: %s", error->message);
  temp_root_owner = getpid ();
  atexit (remove_temp_root);
  return temp_root;
}

/* Made when the test program starts, before gst-check forks a child per
 * test: the children work under the parent's root, and the parent removes it
 * when it exits (a failing child leaves with _exit(), skipping atexit). */
__attribute__ ((constructor)) void
make_temp_root_early (void)
{
  get_temp_root ();
}

/* Runs argv to completion; returns its status the way a shell does. */
gint
decode_wait_status (gint wait_status)
{
  if (WIFEXITED (wait_status))
    return WEXITSTATUS (wait_status);
  if (WIFSIGNALED (wait_status))
    return 128 + WTERMSIG (wait_status);
  return 255;
}

const gchar *
cli_path (void)
{
  const gchar *cli = g_getenv ("GST_OFFLINE_CLI");
  if (!cli || !*cli)
    ck_abort_msg ("GST_OFFLINE_CLI is not set: run the tests with `meson test`");
  return cli;
}

gchar **
child_environ (const gchar *data_dir)
{
  gchar **envp = g_get_environ ();
  if (data_dir)
    envp = g_environ_setenv (envp, "GST_OFFLINE_DIR", data_dir, TRUE);
  return envp;
}

gchar *
argv_to_string (const gchar *const *argv)
{
  GString *s = g_string_new (nullptr);
  for (const gchar *const *a = argv; *a; a++) {
    /* Quoted only where a shell needs it, so that it reads as typed. */
    gboolean plain = **a != '\0' && strspn (*a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                                                 "_-+=/.,:@%") == strlen (*a);
    gchar *q = plain ? g_strdup (*a) : g_shell_quote (*a);
    if (s->len)
      g_string_append_c (s, ' ');
    g_string_append (s, q);
    g_free (q);
  }
  return g_string_free (s, FALSE);
}

/* ---- Running programs with a deadline ---- */

/* A child being waited for: its exit and its pipes, watched on a main
 * context of their own so that nothing else of the test runs meanwhile. */
class ChildRun {
 public:
  explicit ChildRun (GPid pid) : context_ (g_main_context_new ())
  {
    GSource *watch = g_child_watch_source_new (pid);
    g_source_set_callback (watch, G_SOURCE_FUNC (+[] (GPid, gint status, gpointer self) {
      static_cast<ChildRun *> (self)->status_ = status;
      static_cast<ChildRun *> (self)->exited_ = TRUE;
    }), this, nullptr);
    g_source_attach (watch, context_);
    g_source_unref (watch);
  }
  ~ChildRun ()
  {
    for (Pipe &p : pipes_)
      close_pipe (p);
    g_main_context_unref (context_);
  }
  ChildRun (const ChildRun &) = delete;
  ChildRun &operator= (const ChildRun &) = delete;

  /* Reads `fd` into `into` as it comes, copying it to our stderr with `echo`. */
  void add_pipe (gint fd, GString *into, gboolean echo)
  {
    g_unix_set_fd_nonblocking (fd, TRUE, nullptr);
    pipes_.push_back ({ fd, into, echo, nullptr });
  }

  /* Runs until the child has exited and its pipes are at their end (with
   * `pipes_too`), or until `deadline` (g_get_monotonic_time(); -1: none).
   * FALSE when the deadline came first. */
  gboolean run (gint64 deadline, gboolean pipes_too = TRUE)
  {
    for (Pipe &p : pipes_) {
      if (p.fd >= 0 && !p.source) {
        p.source = g_unix_fd_source_new (p.fd, (GIOCondition) (G_IO_IN | G_IO_HUP | G_IO_ERR));
        g_source_set_callback (p.source, G_SOURCE_FUNC (+[] (gint, GIOCondition, gpointer data) {
          return read_pipe (*static_cast<Pipe *> (data)) ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
        }), &p, nullptr);
        g_source_attach (p.source, context_);
      }
    }
    gboolean late = FALSE;
    GSource *timer = nullptr;
    if (deadline >= 0) {
      gint64 left = MAX (deadline - g_get_monotonic_time (), 0);
      timer = g_timeout_source_new ((guint) MIN ((left + 999) / 1000, (gint64) G_MAXUINT));
      g_source_set_callback (timer, +[] (gpointer flag) {
        *static_cast<gboolean *> (flag) = TRUE;
        return G_SOURCE_REMOVE;
      }, &late, nullptr);
      g_source_attach (timer, context_);
    }
    while (!late && !(exited_ && (!pipes_too || all_pipes_ended ())))
      g_main_context_iteration (context_, TRUE);
    if (timer) {
      g_source_destroy (timer);
      g_source_unref (timer);
    }
    return !late;
  }

  gint status () const { return status_; }

 private:
  struct Pipe {
    gint fd;
    GString *into;
    gboolean echo;
    GSource *source;
  };

  /* FALSE once the pipe is at its end (then closed). */
  static gboolean read_pipe (Pipe &p)
  {
    gchar buffer[16384];
    for (;;) {
      gssize n = read (p.fd, buffer, sizeof buffer);
      if (n > 0) {
        g_string_append_len (p.into, buffer, n);
        if (p.echo && write (STDERR_FILENO, buffer, n) < 0) {
          /* Nothing to do: the copy is for a person reading the log. */
        }
        continue;
      }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return TRUE;
      close (p.fd);
      p.fd = -1;
      g_clear_pointer (&p.source, g_source_unref);
      return FALSE;
    }
  }

  static void close_pipe (Pipe &p)
  {
    if (p.source) {
      g_source_destroy (p.source);
      g_clear_pointer (&p.source, g_source_unref);
    }
    if (p.fd >= 0) {
      read_pipe (p);
      if (p.fd >= 0)
        close (p.fd);
      p.fd = -1;
    }
  }

  gboolean all_pipes_ended () const
  {
    return std::all_of (pipes_.begin (), pipes_.end (), [] (const Pipe &p) { return p.fd < 0; });
  }

  GMainContext *context_;
  std::vector<Pipe> pipes_;
  gboolean exited_ = FALSE;
  gint status_ = 0;
};

/* The command line of process `pid`, from /proc, or NULL when it is gone. */
gchar *
process_command_line (pid_t pid)
{
  g_autofree gchar *path = g_strdup_printf ("/proc/%d/cmdline", (int) pid);
  gchar *raw = nullptr;
  gsize length = 0;
  if (!g_file_get_contents (path, &raw, &length, nullptr) || length == 0) {
    g_free (raw);
    return nullptr;
  }
  for (gsize i = 0; i + 1 < length; i++)
    if (raw[i] == '\0')
      raw[i] = ' ';
  return raw;
}

/* The processes the child `leader` is made of: itself, the rest of its
 * process group and whatever descends from them (a program that moved to
 * a session of its own, as under `script`), the leader first. */
std::vector<pid_t>
process_tree (pid_t leader)
{
  struct Process {
    pid_t pid, ppid, pgrp;
  };
  std::vector<Process> all;
  g_autoptr (GDir) proc = g_dir_open ("/proc", 0, nullptr);
  while (proc) {
    const gchar *name = g_dir_read_name (proc);
    if (!name)
      break;
    if (!g_ascii_isdigit (name[0]))
      continue;
    g_autofree gchar *path = g_strdup_printf ("/proc/%s/stat", name);
    g_autofree gchar *stat = nullptr;
    if (!g_file_get_contents (path, &stat, nullptr, nullptr))
      continue;
    /* "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses. */
    const gchar *after = strrchr (stat, ')');
    char state = 0;
    int ppid = 0, pgrp = 0;
    if (after && sscanf (after + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 && state != 'Z')
      all.push_back ({ (pid_t) g_ascii_strtoll (name, nullptr, 10), (pid_t) ppid, (pid_t) pgrp });
  }
  std::vector<pid_t> members;
  for (const Process &p : all)
    if (p.pid == leader || p.pgrp == leader)
      members.push_back (p.pid);
  for (size_t i = 0; i < members.size (); i++)
    for (const Process &p : all)
      if (p.ppid == members[i] && std::find (members.begin (), members.end (), p.pid) == members.end ())
        members.push_back (p.pid);
  std::sort (members.begin (), members.end (), [leader] (pid_t a, pid_t b) {
    return (a == leader) != (b == leader) ? a == leader : a < b;
  });
  return members;
}

gboolean run_with_deadline (const gchar *dir, gchar **argv, gchar **envp, GSpawnFlags flags,
    GSpawnChildSetupFunc child_setup, gpointer user_data, gchar **standard_output, gchar **standard_error,
    gint *wait_status, guint timeout_s, gboolean with_backtraces, gchar **report, GError **error);

/* The backtraces of every thread of `pid`, by gdb, into `report`. */
void
append_backtraces (GString *report, pid_t pid)
{
  g_autofree gchar *command = process_command_line (pid);
  g_string_append_printf (report, "---- backtraces of pid %d: %s\n", (int) pid, command ? command : "(gone)");
  g_autofree gchar *gdb = g_find_program_in_path ("gdb");
  if (!gdb) {
    g_string_append (report, "(gdb is not installed, so no backtraces: scripts/install-deps.sh installs it)\n");
    return;
  }
  g_autofree gchar *pid_text = g_strdup_printf ("%d", (int) pid);
  const gchar *argv[] = { gdb, "-nx", "-batch", "-p", pid_text, "-ex", "thread apply all bt", nullptr };
  /* No symbol downloads: the report must come before check's timeout. */
  g_auto (GStrv) envp = g_environ_unsetenv (g_get_environ (), "DEBUGINFOD_URLS");
  g_autofree gchar *out = nullptr, *err = nullptr;
  gint status = 0;
  g_autoptr (GError) error = nullptr;
  if (!run_with_deadline (nullptr, const_cast<gchar **> (argv), envp, G_SPAWN_DEFAULT, nullptr, nullptr, &out, &err,
          &status, 20, FALSE, nullptr, &error)) {
    g_string_append_printf (report, "(gdb failed: %s)\n", error->message);
    return;
  }
  g_string_append (report, out);
  /* gdb's complaints (say, not allowed to attach) go with it; its warnings
   * and the source lines it cannot show ("26\t../sysdeps/...: No such file")
   * do not. */
  g_auto (GStrv) lines = g_strsplit (err, "\n", -1);
  for (gchar **l = lines; *l; l++)
    if (**l && !g_str_has_prefix (*l, "warning: ") && !(g_ascii_isdigit (**l) && strchr (*l, '\t')))
      g_string_append_printf (report, "gdb: %s\n", *l);
}

/* The last `max_lines` lines of `text`. */
const gchar *
tail_of (const GString *text, guint max_lines)
{
  const gchar *start = text->str + text->len;
  guint lines = 0;
  while (start > text->str) {
    if (start[-1] == '\n' && start != text->str + text->len && ++lines == max_lines)
      break;
    start--;
  }
  return start;
}

void
setup_child_group (gpointer data)
{
  auto *setup = static_cast<std::pair<pid_t, std::pair<GSpawnChildSetupFunc, gpointer>> *> (data);
  /* A group of its own, which the deadline kills whole; and no orphan
   * running on if check kills the test process first. */
  setpgid (0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != setup->first)
    _exit (127);
  if (setup->second.first)
    setup->second.first (setup->second.second);
}

gboolean
run_with_deadline (const gchar *dir, gchar **argv, gchar **envp, GSpawnFlags flags, GSpawnChildSetupFunc child_setup,
    gpointer user_data, gchar **standard_output, gchar **standard_error, gint *wait_status, guint timeout_s,
    gboolean with_backtraces, gchar **report, GError **error)
{
  if (standard_output)
    *standard_output = nullptr;
  if (standard_error)
    *standard_error = nullptr;
  if (report)
    *report = nullptr;
  /* Our stderr gets what the caller does not take, as it would without
   * the pipe, and the report gets its end. */
  gboolean echo_stderr = !standard_error && !(flags & G_SPAWN_STDERR_TO_DEV_NULL);
  gboolean want_stderr = standard_error || echo_stderr;
  flags = (GSpawnFlags) ((flags | G_SPAWN_DO_NOT_REAP_CHILD) & ~G_SPAWN_STDERR_TO_DEV_NULL);
  if (!want_stderr)
    flags = (GSpawnFlags) (flags | G_SPAWN_STDERR_TO_DEV_NULL);
  if (standard_output)
    flags = (GSpawnFlags) (flags & ~G_SPAWN_STDOUT_TO_DEV_NULL);

  std::pair<pid_t, std::pair<GSpawnChildSetupFunc, gpointer>> setup { getpid (), { child_setup, user_data } };
  GPid pid = 0;
  gint out_fd = -1, err_fd = -1;
  if (!g_spawn_async_with_pipes (dir, argv, envp, flags, setup_child_group, &setup, &pid, nullptr,
          standard_output ? &out_fd : nullptr, want_stderr ? &err_fd : nullptr, error))
    return FALSE;

  g_autoptr (GString) out = g_string_new (nullptr);
  g_autoptr (GString) err = g_string_new (nullptr);
  ChildRun child (pid);
  if (out_fd >= 0)
    child.add_pipe (out_fd, out, FALSE);
  if (err_fd >= 0)
    child.add_pipe (err_fd, err, echo_stderr);

  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;
  if (child.run (deadline)) {
    if (wait_status)
      *wait_status = child.status ();
    if (standard_output)
      *standard_output = g_strdup (out->str);
    if (standard_error)
      *standard_error = g_strdup (err->str);
    return TRUE;
  }

  g_autofree gchar *command = argv_to_string (argv);
  GString *text = g_string_new (nullptr);
  g_string_append_printf (text, "ot: TIMEOUT: %s (pid %d) still runs after %u s; killing it\n", command, (int) pid,
      timeout_s);
  std::vector<pid_t> members = process_tree (pid);
  if (with_backtraces) {
    if (members.empty ())
      g_string_append (text, "(the child has ended, but something it started holds its stdout or stderr open)\n");
    for (size_t i = 0; i < members.size () && i < 8; i++)
      append_backtraces (text, members[i]);
  }
  if (want_stderr)
    g_string_append_printf (text, "---- the end of its stderr:\n%s\n", err->len ? tail_of (err, 40) : "(nothing)");
  g_string_append_printf (text, "---- end of the report on pid %d\n", (int) pid);
  kill (-pid, SIGKILL);
  for (pid_t member : members)
    kill (member, SIGKILL);
  /* Only the child's exit now: something outside its group may hold the pipes. */
  child.run (-1, FALSE);
  if (wait_status)
    *wait_status = child.status ();
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s ran past its %u s deadline (OT_SUBPROCESS_TIMEOUT) and "
      "was killed; its backtraces and stderr are above", command, timeout_s);
  if (report)
    *report = g_string_free (text, FALSE);
  else
    g_string_free (text, TRUE);
  return FALSE;
}

/* The watch of ot_tcase_set_timeout(): armed in the forked test process by
 * a checked fixture, disarmed by its teardown. */
struct TestWatch {
  GMutex mutex;
  GCond cond;
  gboolean done;
  gint64 deadline;
  guint seconds; /* check's timeout, CK_TIMEOUT_MULTIPLIER counted */
  GThread *thread;
};
TestWatch test_watch;
guint test_watch_seconds;

gpointer
watch_test (gpointer)
{
  g_mutex_lock (&test_watch.mutex);
  while (!test_watch.done && g_cond_wait_until (&test_watch.cond, &test_watch.mutex, test_watch.deadline))
    ;
  gboolean late = !test_watch.done;
  g_mutex_unlock (&test_watch.mutex);
  if (late) {
    g_autoptr (GString) report = g_string_new (nullptr);
    g_string_append_printf (report, "ot: the test still runs 20 s before check's timeout (%u s) kills it: "
        "where it and its children are\n", test_watch.seconds);
    for (pid_t pid : process_tree (getpid ()))
      append_backtraces (report, pid);
    g_printerr ("%s---- end of the report on the test process\n", report->str);
  }
  return nullptr;
}

void
start_test_watch (void)
{
  const gchar *multiplier_text = g_getenv ("CK_TIMEOUT_MULTIPLIER");
  gdouble multiplier = multiplier_text && *multiplier_text ? g_ascii_strtod (multiplier_text, nullptr) : 1.0;
  gdouble seconds = test_watch_seconds * (multiplier > 0 ? multiplier : 1.0);
  if (seconds <= 40)
    return; /* no time for a report */
  g_mutex_init (&test_watch.mutex);
  g_cond_init (&test_watch.cond);
  test_watch.done = FALSE;
  test_watch.seconds = (guint) seconds;
  test_watch.deadline = g_get_monotonic_time () + (gint64) ((seconds - 20) * G_USEC_PER_SEC);
  test_watch.thread = g_thread_new ("ot-test-watch", watch_test, nullptr);
}

void
stop_test_watch (void)
{
  if (!test_watch.thread)
    return;
  g_mutex_lock (&test_watch.mutex);
  test_watch.done = TRUE;
  g_cond_signal (&test_watch.cond);
  g_mutex_unlock (&test_watch.mutex);
  g_thread_join (g_steal_pointer (&test_watch.thread));
}

}  // namespace

void
ot_tcase_set_timeout (TCase *tc, guint seconds)
{
  /* The fixture cannot tell its TCase: one timeout per program. */
  if (test_watch_seconds && test_watch_seconds != seconds)
    g_error ("ot_tcase_set_timeout: %u s, but another TCase of this program has %u s", seconds, test_watch_seconds);
  tcase_set_timeout (tc, seconds);
  test_watch_seconds = seconds;
  tcase_add_checked_fixture (tc, start_test_watch, stop_test_watch);
}

guint
ot_subprocess_timeout (void)
{
  const gchar *text = g_getenv ("OT_SUBPROCESS_TIMEOUT");
  if (!text || !*text)
    return 90;
  guint64 seconds = 0;
  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT / 1000, &seconds, nullptr))
    g_error ("OT_SUBPROCESS_TIMEOUT=%s is not a number of seconds", text);
  return (guint) seconds;
}

gboolean
ot_spawn_sync_or_report (const gchar *working_directory, gchar **argv, gchar **envp, GSpawnFlags flags,
    GSpawnChildSetupFunc child_setup, gpointer user_data, gchar **standard_output, gchar **standard_error,
    gint *wait_status, gchar **report, GError **error)
{
  return run_with_deadline (working_directory, argv, envp, flags, child_setup, user_data, standard_output,
      standard_error, wait_status, ot_subprocess_timeout (), TRUE, report, error);
}

gboolean
ot_spawn_sync (const gchar *working_directory, gchar **argv, gchar **envp, GSpawnFlags flags,
    GSpawnChildSetupFunc child_setup, gpointer user_data, gchar **standard_output, gchar **standard_error,
    gint *wait_status, GError **error)
{
  g_autofree gchar *report = nullptr;
  GError *local = nullptr;
  if (ot_spawn_sync_or_report (working_directory, argv, envp, flags, child_setup, user_data, standard_output,
          standard_error, wait_status, &report, &local))
    return TRUE;
  if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
    g_printerr ("%s", report);
    ck_abort_msg ("%s", local->message);
  }
  g_propagate_error (error, local);
  return FALSE;
}

gchar *
ot_make_temp_dir (const gchar *name)
{
  const gchar *root = get_temp_root ();
  gchar *path = g_build_filename (root, name ? name : "dir", nullptr);
  for (guint i = 2; g_mkdir (path, 0700) != 0; i++) {
    if (errno != EEXIST)
      ck_abort_msg ("cannot make %s: %s", path, g_strerror (errno));
    g_free (path);
    gchar *numbered = g_strdup_printf ("%s-%u", name ? name : "dir", i);
    path = g_build_filename (root, numbered, nullptr);
    g_free (numbered);
  }
  return path;
}

gchar *
ot_make_mp4 (const gchar *dir, const gchar *name, guint seconds, gboolean moov_at_end)
{
  gchar *path = g_build_filename (dir, name, nullptr);
  gchar *video = g_strdup_printf ("testsrc2=size=320x240:rate=25:duration=%u", seconds);
  gchar *audio = g_strdup_printf ("sine=frequency=440:beep_factor=4:sample_rate=44100:duration=%u", seconds);
  std::vector<const gchar *> argv = {
    "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
    "-f", "lavfi", "-i", video,
    "-f", "lavfi", "-i", audio,
    "-map", "0:v", "-map", "1:a",
    "-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0",
    "-pix_fmt", "yuv420p", "-threads", "1",
    "-c:a", "aac", "-b:a", "64k", "-ac", "2",
    "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
  };
  if (!moov_at_end) {
    argv.push_back ("-movflags");
    argv.push_back ("+faststart");
  }
  argv.push_back (path);
  argv.push_back (nullptr);

  gchar *err = nullptr;
  gint status = 0;
  GError *error = nullptr;
  if (!ot_spawn_sync (nullptr, (gchar **) argv.data (), nullptr, (GSpawnFlags) (G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL),
          nullptr, nullptr, nullptr, &err, &status, &error))
    ck_abort_msg ("cannot run ffmpeg: %s", error->message);
  if (decode_wait_status (status) != 0)
    ck_abort_msg ("ffmpeg could not make %s (status %d): %s", path, decode_wait_status (status), err);
  g_free (err);
  g_free (video);
  g_free (audio);
  return path;
}

GBytes *
ot_read_file (const gchar *path)
{
  gchar *contents = nullptr;
  gsize length = 0;
  GError *error = nullptr;
  if (!g_file_get_contents (path, &contents, &length, &error))
    ck_abort_msg ("cannot read %s: %s", path, error->message);
  return g_bytes_new_take (contents, length);
}

gchar *
ot_make_random_file (const gchar *dir, const gchar *name, gsize size)
{
  gchar *path = g_build_filename (dir, name, nullptr);
  /* Seeded by the name so a test sees the same bytes every run. */
  GRand *rand = g_rand_new_with_seed (g_str_hash (name));
  guint8 *data = static_cast<guint8 *> (g_malloc (size ? size : 1));
  gsize i = 0;
  for (; i + 4 <= size; i += 4) {
    guint32 v = g_rand_int (rand);
    memcpy (data + i, &v, 4);
  }
  for (; i < size; i++)
    data[i] = (guint8) g_rand_int (rand);
  g_rand_free (rand);
  GError *error = nullptr;
  if (!g_file_set_contents (path, (const gchar *) data, size, &error))
    ck_abort_msg ("cannot write %s: %s", path, error->message);
  g_free (data);
  return path;
}

gint
ot_run_cli (const gchar *data_dir, gchar **out, gchar **err, ...)
{
  std::vector<const gchar *> args;
  va_list ap;
  va_start (ap, err);
  for (const gchar *a = va_arg (ap, const gchar *); a; a = va_arg (ap, const gchar *))
    args.push_back (a);
  va_end (ap);
  args.push_back (nullptr);
  return ot_run_cliv (data_dir, args.data (), out, err);
}

gint
ot_run_cliv (const gchar *data_dir, const gchar *const *argv, gchar **out, gchar **err)
{
  std::vector<const gchar *> full = { cli_path () };
  for (const gchar *const *a = argv; a && *a; a++)
    full.push_back (*a);
  full.push_back (nullptr);

  gchar **envp = child_environ (data_dir);
  gchar *child_out = nullptr, *child_err = nullptr;
  gint status = 0;
  GError *error = nullptr;
  if (!ot_spawn_sync (nullptr, (gchar **) full.data (), envp, G_SPAWN_DEFAULT, nullptr, nullptr,
          &child_out, &child_err, &status, &error)) {
    gchar *cmd = argv_to_string (full.data ());
    ck_abort_msg ("cannot run %s: %s", cmd, error->message);
  }
  g_strfreev (envp);
  if (out)
    *out = child_out;
  else
    g_free (child_out);
  if (err)
    *err = child_err;
  else
    g_free (child_err);
  return decode_wait_status (status);
}

GPid
ot_spawn_cli (const gchar *data_dir, const gchar *const *argv)
{
  std::vector<const gchar *> full = { cli_path () };
  for (const gchar *const *a = argv; a && *a; a++)
    full.push_back (*a);
  full.push_back (nullptr);

  gchar **envp = child_environ (data_dir);
  GPid pid = 0;
  GError *error = nullptr;
  if (!g_spawn_async (nullptr, (gchar **) full.data (), envp,
          (GSpawnFlags) (G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL), nullptr, nullptr, &pid, &error)) {
    gchar *cmd = argv_to_string (full.data ());
    ck_abort_msg ("cannot start %s: %s", cmd, error->message);
  }
  g_strfreev (envp);
  return pid;
}

gint
ot_wait_pid (GPid pid)
{
  ChildRun child (pid);
  guint timeout_s = ot_subprocess_timeout ();
  if (!child.run (g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC)) {
    g_autofree gchar *command = process_command_line (pid);
    g_autoptr (GString) report = g_string_new (nullptr);
    g_string_append_printf (report, "ot: TIMEOUT: pid %d still runs %u s after the test began to wait for it; "
        "killing it\n", (int) pid, timeout_s);
    std::vector<pid_t> members = process_tree (pid);
    for (size_t i = 0; i < members.size () && i < 8; i++)
      append_backtraces (report, members[i]);
    g_printerr ("%s(its stderr is the test's)\n", report->str);
    for (pid_t member : members)
      kill (member, SIGKILL);
    child.run (-1);
    ck_abort_msg ("%s ran past its %u s deadline (OT_SUBPROCESS_TIMEOUT) and was killed; its backtraces are above",
        command ? command : "the child", timeout_s);
  }
  g_spawn_close_pid (pid);
  return decode_wait_status (child.status ());
}

GPtrArray *
ot_decode_checksums (const gchar *uri, const gchar *data_dir, gboolean no_network, gchar **error_message)
{
  return ot_decode_checksums_full (uri, data_dir, no_network ? OT_DECODE_NO_NETWORK : (OtDecodeFlags) 0,
      GST_CLOCK_TIME_NONE, error_message);
}

const gchar *
ot_decoder_path (void)
{
  const gchar *decoder = g_getenv ("OT_DECODE");
  if (!decoder || !*decoder)
    ck_abort_msg ("OT_DECODE is not set: run the tests with `meson test`");
  return decoder;
}

GPtrArray *
ot_decode_checksums_full (const gchar *uri, const gchar *data_dir, OtDecodeFlags flags, GstClockTime seek,
    gchar **error_message)
{
  const gchar *decoder = ot_decoder_path ();

  std::vector<const gchar *> argv;
  if (flags & OT_DECODE_NO_NETWORK) {
    argv.push_back ("unshare");
    /* Without root, a user namespace grants the right to make a network one. */
    argv.push_back (geteuid () == 0 ? "-n" : "-rn");
    argv.push_back ("--");
  }
  argv.push_back (decoder);
  if (flags & OT_DECODE_URIDECODEBIN3)
    argv.push_back ("--uridecodebin3");
  else if (flags & OT_DECODE_PLAYBIN)
    argv.push_back ("--playbin");
  else if (flags & OT_DECODE_PLAYBIN3)
    argv.push_back ("--playbin3");
  g_autofree gchar *seek_ns = g_strdup_printf ("%" G_GUINT64_FORMAT, seek);
  if (GST_CLOCK_TIME_IS_VALID (seek)) {
    argv.push_back ("--seek");
    argv.push_back (seek_ns);
  }
  argv.push_back (uri);
  argv.push_back (nullptr);

  gchar **envp = child_environ (data_dir);
  gchar *out = nullptr, *err = nullptr;
  gint status = 0;
  GError *error = nullptr;
  gboolean spawned = ot_spawn_sync (nullptr, (gchar **) argv.data (), envp, G_SPAWN_SEARCH_PATH, nullptr, nullptr,
      &out, &err, &status, &error);
  g_strfreev (envp);
  if (!spawned) {
    if (error_message)
      *error_message = g_strdup_printf ("cannot run %s: %s", decoder, error->message);
    g_error_free (error);
    return nullptr;
  }
  gint code = decode_wait_status (status);
  if (code != 0) {
    if (error_message) {
      g_strstrip (err);
      *error_message = *err ? g_strdup (err) : g_strdup_printf ("ot-decode exited with status %d", code);
    }
    g_free (out);
    g_free (err);
    return nullptr;
  }
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  gchar **split = g_strsplit (out, "\n", -1);
  for (gchar **l = split; *l; l++)
    if (**l)
      g_ptr_array_add (lines, g_strdup (*l));
  g_strfreev (split);
  g_free (out);
  g_free (err);
  if (error_message)
    *error_message = nullptr;
  return lines;
}

void
ot_assert_same_frames (GPtrArray *expected, GPtrArray *actual)
{
  fail_unless (expected != nullptr, "no expected checksums");
  fail_unless (actual != nullptr, "no actual checksums");
  fail_unless (expected->len > 0, "the expected checksums are empty");
  fail_unless (actual->len > 0, "the actual checksums are empty");
  guint n = MIN (expected->len, actual->len);
  for (guint i = 0; i < n; i++) {
    const gchar *e = static_cast<const gchar *> (g_ptr_array_index (expected, i));
    const gchar *a = static_cast<const gchar *> (g_ptr_array_index (actual, i));
    fail_unless (g_strcmp0 (e, a) == 0, "decoded buffer %u differs: expected '%s', got '%s'", i, e, a);
  }
  fail_unless (expected->len == actual->len, "expected %u decoded buffers, got %u (first extra: '%s')",
      expected->len, actual->len,
      static_cast<const gchar *> (g_ptr_array_index (expected->len > actual->len ? expected : actual, n)));
}

void
ot_wait_for_changes (const gchar *dir, OtCheckFunc check, gpointer user_data)
{
  g_autoptr (GFile) file = g_file_new_for_path (dir);
  g_autoptr (GError) error = nullptr;
  /* Watch the folder and, below it, the cache's buckets come and go with
   * the files: the database's WAL, in the folder, changes with every commit. */
  g_autoptr (GFileMonitor) monitor = g_file_monitor_directory (file, G_FILE_MONITOR_NONE, nullptr, &error);
  fail_unless (monitor != nullptr, "cannot watch %s: %s", dir, error ? error->message : "?");
  g_file_monitor_set_rate_limit (monitor, 0);
  guint changes = 0;
  g_signal_connect (monitor, "changed", G_CALLBACK (+[] (GFileMonitor *, GFile *, GFile *, GFileMonitorEvent,
      guint *count) { (*count)++; }), &changes);
  GMainContext *context = g_main_context_get_thread_default ();
  while (!check (user_data)) {
    guint seen = changes;
    while (changes == seen)
      g_main_context_iteration (context, TRUE);
  }
}
