/* Shared fixtures for the gst-offline tests: temporary directories, media
 * made by ffmpeg, the built CLI and the decode helper run as children.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-support.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#include <sys/wait.h>
#include <unistd.h>
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
    gchar *q = g_shell_quote (*a);
    if (s->len)
      g_string_append_c (s, ' ');
    g_string_append (s, q);
    g_free (q);
  }
  return g_string_free (s, FALSE);
}

}  // namespace

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
  if (!g_spawn_sync (nullptr, (gchar **) argv.data (), nullptr, (GSpawnFlags) (G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL),
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
  if (!g_spawn_sync (nullptr, (gchar **) full.data (), envp, G_SPAWN_DEFAULT, nullptr, nullptr,
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
  int status = 0;
  pid_t r;
  do {
    r = waitpid (pid, &status, 0);
  } while (r < 0 && errno == EINTR);
  if (r < 0)
    ck_abort_msg ("waitpid(%d): %s", (int) pid, g_strerror (errno));
  g_spawn_close_pid (pid);
  return decode_wait_status (status);
}

GPtrArray *
ot_decode_checksums (const gchar *uri, const gchar *data_dir, gboolean no_network, gchar **error_message)
{
  return ot_decode_checksums_full (uri, data_dir, no_network ? OT_DECODE_NO_NETWORK : (OtDecodeFlags) 0,
      GST_CLOCK_TIME_NONE, error_message);
}

GPtrArray *
ot_decode_checksums_full (const gchar *uri, const gchar *data_dir, OtDecodeFlags flags, GstClockTime seek,
    gchar **error_message)
{
  const gchar *decoder = g_getenv ("OT_DECODE");
  if (!decoder || !*decoder)
    ck_abort_msg ("OT_DECODE is not set: run the tests with `meson test`");

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
  gboolean spawned = g_spawn_sync (nullptr, (gchar **) argv.data (), envp, G_SPAWN_SEARCH_PATH, nullptr, nullptr,
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
