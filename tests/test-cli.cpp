/* End-to-end tests of the gst-offline command line (docs/cli.md): the built
 * tool run as a child process against a real HTTP server on 127.0.0.1.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>
#include <json-glib/json-glib.h>

#include "test-support.h"

#include <gio/gio.h>

#include <sys/resource.h>
#include <csignal>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

/* ---- helpers ------------------------------------------------------------ */

/* What the tool itself wrote on stderr: the tests run with GST_DEBUG set, so
 * GStreamer's log lines ("0:00:00.012345678 ...") are dropped. Free it. */
static gchar *
tool_messages (const gchar *err)
{
  GRegex *log_line = g_regex_new ("^(\\x1b\\[[0-9;]*m)*\\d+:\\d\\d:\\d\\d\\.\\d{9} ", (GRegexCompileFlags) 0,
      (GRegexMatchFlags) 0, nullptr);
  gchar **lines = g_strsplit (err ? err : "", "\n", -1);
  GString *kept = g_string_new (nullptr);
  for (gchar **line = lines; *line; line++) {
    if (**line && !g_regex_match (log_line, *line, (GRegexMatchFlags) 0, nullptr))
      g_string_append_printf (kept, "%s\n", *line);
  }
  g_strfreev (lines);
  g_regex_unref (log_line);
  return g_string_free (kept, FALSE);
}

/* One run of the CLI: its exit status, stdout, and the tool's own lines of
 * stderr (`err`; the whole of it in `raw_err`). */
struct CliRun {
  gint status = -1;
  gchar *out = nullptr;
  gchar *err = nullptr;
  gchar *raw_err = nullptr;

  CliRun () = default;
  CliRun (const CliRun &) = delete;
  CliRun &operator= (const CliRun &) = delete;
  ~CliRun ()
  {
    g_free (out);
    g_free (err);
    g_free (raw_err);
  }

  void exec (const gchar *dir, const std::vector<const gchar *> &args)
  {
    std::vector<const gchar *> argv (args);
    argv.push_back (nullptr);
    status = ot_run_cliv (dir, argv.data (), &out, &raw_err);
    err = tool_messages (raw_err);
  }
};

#define run_cli(r, dir, ...) (r).exec ((dir), {__VA_ARGS__})

/* Asserts the exit status, showing what the tool said when it differs. */
#define assert_status(run, expected) \
  fail_unless ((run).status == (expected), "exit status %d, expected %d\nstdout: %s\nstderr: %s", \
      (run).status, (expected), (run).out, (run).raw_err)

static gsize
file_size (const gchar *path)
{
  g_autoptr (GBytes) bytes = ot_read_file (path);
  gsize size = g_bytes_get_size (bytes);
  return size;
}

static guint
count_lines (const gchar *text)
{
  guint n = 0;
  for (const gchar *c = text; *c; c++)
    n += *c == '\n';
  return n;
}

/* Parses `text` as JSON; fails the test if it is not. */
static JsonNode *
parse_json (const gchar *text)
{
  JsonParser *parser = json_parser_new ();
  GError *error = nullptr;
  fail_unless (json_parser_load_from_data (parser, text, -1, &error), "not JSON (%s): %s",
      error ? error->message : "", text);
  JsonNode *root = json_node_copy (json_parser_get_root (parser));
  g_object_unref (parser);
  return root;
}

/* Every field of docs/cli.md for a download that completed. */
static void
check_completed_object (JsonObject *o, const gchar *id, const gchar *uri, gsize size)
{
  static const char *const fields[] = {"id", "uri", "type", "state", "stop_reason", "bytes_downloaded",
      "content_length", "percent", "failure", "tracks", "license", "start_time", "update_time"};
  for (const char *field : fields)
    fail_unless (json_object_has_member (o, field), "no field '%s'", field);

  fail_unless_equals_string (json_object_get_string_member (o, "id"), id);
  fail_unless_equals_string (json_object_get_string_member (o, "uri"), uri);
  fail_unless_equals_string (json_object_get_string_member (o, "type"), "progressive");
  fail_unless_equals_string (json_object_get_string_member (o, "state"), "completed");
  fail_unless_equals_int64 (json_object_get_int_member (o, "stop_reason"), 0);
  fail_unless_equals_int64 (json_object_get_int_member (o, "bytes_downloaded"), (gint64) size);
  fail_unless_equals_int64 (json_object_get_int_member (o, "content_length"), (gint64) size);
  fail_unless_equals_float (json_object_get_double_member (o, "percent"), 100.0);
  fail_unless (json_node_is_null (json_object_get_member (o, "failure")), "failure is not null");
  fail_unless (json_node_is_null (json_object_get_member (o, "license")), "license is not null");
  JsonNode *tracks = json_object_get_member (o, "tracks");
  fail_unless (JSON_NODE_HOLDS_ARRAY (tracks), "tracks is not an array");
  fail_unless_equals_int (json_array_get_length (json_node_get_array (tracks)), 0);

  gint64 now = g_get_real_time () / 1000;
  gint64 start = json_object_get_int_member (o, "start_time");
  gint64 update = json_object_get_int_member (o, "update_time");
  fail_unless (start > now - 10 * 60 * 1000 && start <= now, "start_time %" G_GINT64_FORMAT " is not recent", start);
  fail_unless (update >= start && update <= now, "update_time %" G_GINT64_FORMAT " is out of order", update);
}

/* How many files under `dir` hold exactly `content`. */
static guint
count_files_with_content (const gchar *dir, GBytes *content)
{
  guint count = 0;
  GDir *d = g_dir_open (dir, 0, nullptr);
  if (!d)
    return 0;
  for (const gchar *name; (name = g_dir_read_name (d));) {
    g_autofree gchar *path = g_build_filename (dir, name, nullptr);
    if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
      count += count_files_with_content (path, content);
    } else if (g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
      g_autofree gchar *data = nullptr;
      gsize length = 0;
      if (g_file_get_contents (path, &data, &length, nullptr) && length == g_bytes_get_size (content) &&
          memcmp (data, g_bytes_get_data (content, nullptr), length) == 0)
        count++;
    }
  }
  g_dir_close (d);
  return count;
}

/* The first file under `dir` holding exactly `content` (free it), or NULL. */
static gchar *
find_file_with_content (const gchar *dir, GBytes *content)
{
  gchar *found = nullptr;
  GDir *d = g_dir_open (dir, 0, nullptr);
  if (!d)
    return nullptr;
  for (const gchar *name; !found && (name = g_dir_read_name (d));) {
    g_autofree gchar *path = g_build_filename (dir, name, nullptr);
    if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
      found = find_file_with_content (path, content);
    } else if (g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
      g_autoptr (GBytes) bytes = ot_read_file (path);
      if (g_bytes_equal (bytes, content))
        found = g_strdup (path);
    }
  }
  g_dir_close (d);
  return found;
}

/* Downloads `url` as `id` and checks the success line. */
static void
download_ok (const gchar *dir, const gchar *url, const gchar *id, gsize size)
{
  CliRun run;
  run_cli (run, dir, "download", url, "--id", id);
  assert_status (run, 0);
  g_autofree gchar *expected = g_strdup_printf ("%s: completed, %" G_GSIZE_FORMAT " bytes\n", id, size);
  fail_unless (g_str_has_suffix (run.out, expected), "no '%s' at the end of: %s", expected, run.out);
}

/* A media file of exactly `size` bytes: a PCM WAV header, then pseudo-random
 * samples. The library keeps only what typefinds as media, so plain random
 * bytes would be refused. */
static gchar *
make_media_file (const gchar *dir, const gchar *name, gsize size)
{
  g_assert (size >= 44);
  std::string data (size, '\0');
  auto put32 = [&data] (gsize at, guint32 v) {
    for (int i = 0; i < 4; i++)
      data[at + i] = (char) ((v >> (8 * i)) & 0xff);
  };
  auto put16 = [&data] (gsize at, guint16 v) {
    data[at] = (char) (v & 0xff);
    data[at + 1] = (char) (v >> 8);
  };
  memcpy (&data[0], "RIFF", 4);
  put32 (4, (guint32) (size - 8));
  memcpy (&data[8], "WAVEfmt ", 8);
  put32 (16, 16);
  put16 (20, 1);          /* PCM */
  put16 (22, 2);          /* stereo */
  put32 (24, 44100);
  put32 (28, 44100 * 4);
  put16 (32, 4);
  put16 (34, 16);
  memcpy (&data[36], "data", 4);
  put32 (40, (guint32) (size - 44));
  GRand *rand = g_rand_new_with_seed (g_str_hash (name));
  for (gsize i = 44; i < size; i++)
    data[i] = (char) g_rand_int_range (rand, 0, 256);
  g_rand_free (rand);

  gchar *path = g_build_filename (dir, name, nullptr);
  fail_unless (g_file_set_contents (path, data.data (), size, nullptr), "cannot write %s", path);
  return path;
}

/* Serves a media file of `size` bytes at `path` (which starts with '/');
 * returns its URL and, if asked, the local file. */
static gchar *
serve_media_file (OtServer *server, const gchar *media_dir, const gchar *path, gsize size, gchar **local)
{
  gchar *file = make_media_file (media_dir, path + 1, size);
  gchar *url = ot_server_add_file (server, path, file);
  if (local)
    *local = file;
  else
    g_free (file);
  return url;
}


/* ---- other processes ------------------------------------------------------ */

/* Calls `ready` now and again each time `path` (a file, or with
 * `directory` the entries of a directory) changes, until it returns true;
 * a change that never comes is caught by the test case's timeout. `ready`
 * is also called again when `*wake` turns true. */
template <typename Ready>
static void
until_changed (const gchar *path, bool directory, Ready ready, const bool *wake = nullptr)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  GError *error = nullptr;
  g_autoptr (GFileMonitor) monitor = directory ? g_file_monitor_directory (file, G_FILE_MONITOR_NONE, nullptr, &error)
                                               : g_file_monitor_file (file, G_FILE_MONITOR_NONE, nullptr, &error);
  fail_unless (monitor != nullptr, "cannot watch %s: %s", path, error ? error->message : "");
  bool changed = false;
  g_signal_connect (monitor, "changed",
      G_CALLBACK (+[] (GFileMonitor *, GFile *, GFile *, GFileMonitorEvent, gpointer data) {
        *static_cast<bool *> (data) = true;
      }),
      &changed);
  for (;;) {
    changed = false;
    if (ready ())
      break;
    while (!changed && !(wake && *wake))
      g_main_context_iteration (nullptr, TRUE);
  }
  g_signal_handlers_disconnect_by_data (monitor, &changed);
}

/* The built CLI run in the background with its stdout and stderr kept in
 * files (ot_spawn_cli drops stdout), for tests where two processes share a
 * data directory. */
struct CliChild {
  GSubprocess *process = nullptr;
  gchar *out_path = nullptr;
  gchar *err_path = nullptr;
  bool exited = false;

  CliChild (const gchar *dir, const std::vector<const gchar *> &args)
  {
    static guint serial = 0;
    g_autofree gchar *logs = ot_make_temp_dir ("cli-child");
    out_path = g_strdup_printf ("%s/out-%u", logs, serial);
    err_path = g_strdup_printf ("%s/err-%u", logs, serial++);
    const gchar *cli = g_getenv ("GST_OFFLINE_CLI");
    fail_unless (cli && *cli, "GST_OFFLINE_CLI is not set: run the tests with `meson test`");
    std::vector<const gchar *> argv = {cli};
    argv.insert (argv.end (), args.begin (), args.end ());
    argv.push_back (nullptr);
    GSubprocessLauncher *launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
    g_subprocess_launcher_setenv (launcher, "GST_OFFLINE_DIR", dir, TRUE);
    g_subprocess_launcher_set_stdout_file_path (launcher, out_path);
    g_subprocess_launcher_set_stderr_file_path (launcher, err_path);
    GError *error = nullptr;
    process = g_subprocess_launcher_spawnv (launcher, argv.data (), &error);
    fail_unless (process != nullptr, "cannot start %s: %s", cli, error ? error->message : "");
    g_object_unref (launcher);
    g_subprocess_wait_async (process, nullptr, [] (GObject *, GAsyncResult *, gpointer data) {
      static_cast<CliChild *> (data)->exited = true;
    }, this);
  }
  CliChild (const CliChild &) = delete;
  CliChild &operator= (const CliChild &) = delete;
  ~CliChild ()
  {
    if (!exited) {
      g_subprocess_force_exit (process);
      wait ();
    }
    g_object_unref (process);
    g_free (out_path);
    g_free (err_path);
  }

  /* Whether it is still running (lets the wait callback run first). */
  bool running ()
  {
    while (g_main_context_iteration (nullptr, FALSE))
      ;
    return !exited;
  }

  /* Waits for it to end (a child that never ends is caught by the test
   * case's timeout); its exit status (0, 1, 2, 130, 128 + signal). */
  gint wait ()
  {
    while (!exited)
      g_main_context_iteration (nullptr, TRUE);
    if (g_subprocess_get_if_exited (process))
      return g_subprocess_get_exit_status (process);
    return 128 + g_subprocess_get_term_sig (process);
  }

  /* Waits until its standard output holds `text` (each time the file
   * changes); if it never does, the test case's timeout ends the wait. */
  void wait_for_out (const gchar *text)
  {
    until_changed (out_path, false, [&] {
      g_autofree gchar *now = out ();
      if (strstr (now, text))
        return true;
      fail_if (exited, "it ended without writing '%s':\n%s", text, now);
      return false;
    }, &exited);
  }

  void send_signal (int signum) { g_subprocess_send_signal (process, signum); }

  /* What it wrote so far (free it). */
  gchar *out () const { return read_log (out_path); }
  gchar *err () const
  {
    g_autofree gchar *raw = read_log (err_path);
    return tool_messages (raw);
  }

 private:
  static gchar *read_log (const gchar *path)
  {
    gchar *text = nullptr;
    if (!g_file_get_contents (path, &text, nullptr, nullptr))
      text = g_strdup ("");
    return text;
  }
};

/* Keeps a returned string alive until the end of the full expression, for
 * messages of failing assertions. */
struct OwnedString {
  gchar *text;
  ~OwnedString () { g_free (text); }
};
#define g_autofree_str(expr) (OwnedString{(expr)}.text)

/* The `status --json` object of `id` (unref it); fails the test if there is none. */
static JsonNode *
status_json (const gchar *dir, const gchar *id)
{
  CliRun run;
  run_cli (run, dir, "status", id, "--json");
  assert_status (run, 0);
  return parse_json (run.out);
}

/* The state and bytes of `id`, as `status --json` shows them. */
struct StatusSample {
  std::string state;
  gint64 bytes = 0;
  gint64 stop_reason = 0;
};

static StatusSample
sample_status (const gchar *dir, const gchar *id)
{
  JsonNode *root = status_json (dir, id);
  JsonObject *o = json_node_get_object (root);
  StatusSample sample;
  sample.state = json_object_get_string_member (o, "state");
  sample.bytes = json_object_get_int_member (o, "bytes_downloaded");
  sample.stop_reason = json_object_get_int_member (o, "stop_reason");
  json_node_unref (root);
  return sample;
}

/* Asks `status --json` until `id` is in `state` with more than
 * `min_bytes` downloaded, asking again each time the data directory
 * changes (the index is written there); a state never reached is caught by
 * the test case's timeout. */
static StatusSample
wait_for_state (const gchar *dir, const gchar *id, const char *state, gint64 min_bytes)
{
  StatusSample sample;
  until_changed (dir, true, [&] {
    /* The download may not be in the index yet. */
    CliRun run;
    run_cli (run, dir, "status", id, "--json");
    if (run.status == 0) {
      JsonNode *root = parse_json (run.out);
      JsonObject *o = json_node_get_object (root);
      sample.state = json_object_get_string_member (o, "state");
      sample.bytes = json_object_get_int_member (o, "bytes_downloaded");
      sample.stop_reason = json_object_get_int_member (o, "stop_reason");
      json_node_unref (root);
    } else {
      fail_unless (strstr (run.err, "no download with id"), "status %s: %s", id, run.raw_err);
      sample.state = "absent";
    }
    return sample.state == state && sample.bytes > min_bytes;
  });
  return sample;
}

/* Asserts that the cache holds the resource of `url` whole, byte for byte
 * the content of `local`. */
static void
assert_cached_identical (const gchar *dir, const gchar *url, const gchar *local)
{
  GError *error = nullptr;
  GstOfflineCache *cache = gst_offline_cache_new (dir, &error);
  fail_unless (cache != nullptr, "%s", error ? error->message : "");
  guint64 length = 0;
  g_autofree gchar *path = gst_offline_cache_lookup (cache, url, &length, &error);
  fail_unless (path != nullptr, "no whole resource for %s: %s", url, error ? error->message : "");
  g_autoptr (GBytes) original = ot_read_file (local);
  g_autoptr (GBytes) cached = ot_read_file (path);
  fail_unless_equals_uint64 (length, g_bytes_get_size (original));
  fail_unless (g_bytes_equal (cached, original), "%s differs from %s", path, local);
  g_object_unref (cache);
}

/* ---- help and usage ------------------------------------------------------ */

GST_START_TEST (test_help_lists_every_command)
{
  g_autofree gchar *dir = ot_make_temp_dir ("cli-help");
  CliRun run;
  run_cli (run, dir, "--help");
  assert_status (run, 0);
  for (const char *command : {"download", "inspect", "list", "status", "pause", "resume", "remove", "verify", "play",
           "daemon", "license", "--dir"})
    fail_unless (strstr (run.out, command), "'%s' missing from --help:\n%s", command, run.out);
}
GST_END_TEST;

GST_START_TEST (test_help_of_each_command)
{
  struct {
    const char *command;
    std::initializer_list<const char *> options;
  } cases[] = {
      {"download", {"URL", "--id", "--header", "--retries", "--license-url", "--no-wait", "--dir"}},
      {"license", {"status", "renew", "release", "ID"}},
      {"pause", {"ID", "--all", "--dir"}},
      {"resume", {"ID", "--all", "--dir"}},
      {"daemon", {"--max-parallel", "--dir"}},
      {"list", {"--json", "--dir"}},
      {"status", {"ID", "--json", "--dir"}},
      {"remove", {"ID", "--all", "--dir"}},
      {"verify", {"[ID]", "--dir"}},
      {"play", {"ID", "--video-sink", "--audio-sink", "--dir"}},
  };
  g_autofree gchar *dir = ot_make_temp_dir ("cli-help");
  for (const auto &c : cases) {
    CliRun run;
    run_cli (run, dir, c.command, "--help");
    assert_status (run, 0);
    g_autofree gchar *usage = g_strdup_printf ("gst-offline %s", c.command);
    fail_unless (strstr (run.out, usage), "no '%s' in:\n%s", usage, run.out);
    for (const char *option : c.options)
      fail_unless (strstr (run.out, option), "'%s' missing from '%s --help':\n%s", option, c.command, run.out);
  }
  CliRun run;
  run_cli (run, dir, "license", "status", "--help");
  assert_status (run, 0);
  for (const char *text : {"gst-offline license status", "ID", "--json", "--dir"})
    fail_unless (strstr (run.out, text), "'%s' missing from 'license status --help':\n%s", text, run.out);
}
GST_END_TEST;

GST_START_TEST (test_usage_errors)
{
  std::initializer_list<std::initializer_list<const char *>> cases = {
      {},
      {"frobnicate"},
      {"--bogus", "list"},
      {"list", "--bogus"},
      {"list", "extra"},
      {"download"},
      {"download", "http://127.0.0.1:1/a.mp4", "--retries", "many"},
      {"download", "http://127.0.0.1:1/a.mp4", "--header", "no colon"},
      {"download", "not a url"},
      {"status"},
      {"status", "a", "b"},
      {"remove"},
      {"remove", "x", "--all"},
      {"pause"},
      {"pause", "x", "--all"},
      {"resume"},
      {"resume", "a", "b"},
      {"daemon", "extra"},
      {"daemon", "--max-parallel", "0"},
      {"daemon", "--max-parallel", "65"},
      {"verify", "a", "b"},
      {"play"},
      {"play", "x", "--video-sink"},
  };
  g_autofree gchar *dir = ot_make_temp_dir ("cli-usage");
  for (const auto &args : cases) {
    CliRun run;
    run.exec (dir, std::vector<const gchar *> (args));
    std::string cmd;
    for (const char *a : args)
      cmd += std::string (cmd.empty () ? "" : " ") + a;
    fail_unless (run.status == 2, "'%s': exit status %d, expected 2\nstderr: %s", cmd.c_str (), run.status, run.raw_err);
    fail_unless (g_str_has_prefix (run.err, "gst-offline: "), "'%s': no reason on stderr: %s", cmd.c_str (), run.err);
    fail_unless (strstr (run.err, "--help"), "'%s': no hint to --help: %s", cmd.c_str (), run.err);
    fail_unless_equals_int (count_lines (run.err), 2);
    fail_unless_equals_string (run.out, "");
  }
}
GST_END_TEST;

/* ---- read-only commands on an empty or missing data directory ------------ */

GST_START_TEST (test_status_of_unknown_id)
{
  g_autofree gchar *dir = ot_make_temp_dir ("cli-unknown");
  CliRun run;
  run_cli (run, dir, "status", "nope");
  assert_status (run, 1);
  fail_unless_equals_string (run.err, "gst-offline: no download with id 'nope'\n");
  fail_unless_equals_string (run.out, "");

  CliRun json;
  run_cli (json, dir, "status", "nope", "--json");
  assert_status (json, 1);
  fail_unless_equals_string (json.err, "gst-offline: no download with id 'nope'\n");

  for (const char *command : {"remove", "play", "verify"}) {
    CliRun other;
    run_cli (other, dir, command, "nope");
    assert_status (other, 1);
    fail_unless_equals_string (other.err, "gst-offline: no download with id 'nope'\n");
  }
}
GST_END_TEST;

GST_START_TEST (test_read_only_commands_do_not_create_the_data_dir)
{
  g_autofree gchar *parent = ot_make_temp_dir ("cli-missing");
  g_autofree gchar *dir = g_build_filename (parent, "data", nullptr);

  CliRun list;
  run_cli (list, dir, "list");
  assert_status (list, 0);
  fail_unless_equals_string (list.out, "");

  CliRun json;
  run_cli (json, dir, "list", "--json");
  assert_status (json, 0);
  JsonNode *root = parse_json (json.out);
  fail_unless (JSON_NODE_HOLDS_ARRAY (root));
  fail_unless_equals_int (json_array_get_length (json_node_get_array (root)), 0);
  json_node_unref (root);

  CliRun status;
  run_cli (status, dir, "status", "x");
  assert_status (status, 1);

  CliRun verify;
  run_cli (verify, dir, "verify");
  assert_status (verify, 0);

  fail_if (g_file_test (dir, G_FILE_TEST_EXISTS), "%s was created", dir);
}
GST_END_TEST;

GST_START_TEST (test_dir_option_overrides_environment)
{
  OtServer *server = ot_server_new ();
  g_autofree gchar *media = ot_make_temp_dir ("cli-media");
  g_autofree gchar *env_dir = ot_make_temp_dir ("cli-env");
  g_autofree gchar *other = ot_make_temp_dir ("cli-other");
  g_autofree gchar *url = serve_media_file (server, media, "/a.wav", 1000, nullptr);

  CliRun run;
  run_cli (run, env_dir, "--dir", other, "download", url, "--id", "a");
  assert_status (run, 0);

  CliRun in_env;
  run_cli (in_env, env_dir, "status", "a");
  assert_status (in_env, 1);
  CliRun in_other;
  run_cli (in_other, env_dir, "status", "a", "--dir", other);
  assert_status (in_other, 0);

  ot_server_free (server);
}
GST_END_TEST;

/* ---- download, list, status ---------------------------------------------- */

GST_START_TEST (test_download_list_status)
{
  OtServer *server = ot_server_new ();
  g_autofree gchar *media = ot_make_temp_dir ("cli-media");
  g_autofree gchar *dir = ot_make_temp_dir ("cli-data");
  g_autofree gchar *url = serve_media_file (server, media, "/file.wav", 100 * 1000, nullptr);
  const gsize size = 100 * 1000;

  download_ok (dir, url, "x", size);

  CliRun list;
  run_cli (list, dir, "list");
  assert_status (list, 0);
  fail_unless_equals_int (count_lines (list.out), 1);
  gchar **columns = g_regex_split_simple ("\\s+", g_strstrip (list.out), (GRegexCompileFlags) 0, (GRegexMatchFlags) 0);
  /* ID  STATE  PERCENT  BYTES (number and unit)  URI */
  fail_unless_equals_int (g_strv_length (columns), 6);
  fail_unless_equals_string (columns[0], "x");
  fail_unless_equals_string (columns[1], "completed");
  fail_unless_equals_string (columns[2], "100.0%");
  fail_unless_equals_string (columns[3], "97.7");
  fail_unless_equals_string (columns[4], "KiB");
  fail_unless_equals_string (columns[5], url);
  g_strfreev (columns);

  CliRun list_json;
  run_cli (list_json, dir, "list", "--json");
  assert_status (list_json, 0);
  JsonNode *root = parse_json (list_json.out);
  fail_unless (JSON_NODE_HOLDS_ARRAY (root), "list --json is not an array");
  JsonArray *array = json_node_get_array (root);
  fail_unless_equals_int (json_array_get_length (array), 1);
  check_completed_object (json_array_get_object_element (array, 0), "x", url, size);
  json_node_unref (root);

  CliRun status_json;
  run_cli (status_json, dir, "status", "x", "--json");
  assert_status (status_json, 0);
  root = parse_json (status_json.out);
  fail_unless (JSON_NODE_HOLDS_OBJECT (root), "status --json is not an object");
  check_completed_object (json_node_get_object (root), "x", url, size);
  json_node_unref (root);

  CliRun status;
  run_cli (status, dir, "status", "x");
  assert_status (status, 0);
  fail_unless (strstr (status.out, "state: completed\n"), "%s", status.out);
  fail_unless (strstr (status.out, "progress: 100.0% (97.7 KiB of 97.7 KiB)\n"), "%s", status.out);

  ot_server_free (server);
}
GST_END_TEST;

GST_START_TEST (test_download_again_completes_at_once)
{
  OtServer *server = ot_server_new ();
  g_autofree gchar *media = ot_make_temp_dir ("cli-media");
  g_autofree gchar *dir = ot_make_temp_dir ("cli-data");
  g_autofree gchar *url = serve_media_file (server, media, "/again.wav", 5000, nullptr);

  download_ok (dir, url, "again", 5000);
  guint requests = ot_server_get_request_count (server, "/again.wav");
  fail_unless (requests >= 1);
  download_ok (dir, url, "again", 5000);
  fail_unless_equals_int (ot_server_get_request_count (server, "/again.wav"), requests);

  ot_server_free (server);
}
GST_END_TEST;

GST_START_TEST (test_id_of_another_url_is_refused)
{
  OtServer *server = ot_server_new ();
  g_autofree gchar *media = ot_make_temp_dir ("cli-media");
  g_autofree gchar *dir = ot_make_temp_dir ("cli-data");
  g_autofree gchar *url_a = serve_media_file (server, media, "/a.wav", 3000, nullptr);
  g_autofree gchar *url_b = serve_media_file (server, media, "/b.wav", 4000, nullptr);

  download_ok (dir, url_a, "same", 3000);
  CliRun run;
  run_cli (run, dir, "download", url_b, "--id", "same");
  assert_status (run, 1);
  fail_unless (g_str_has_prefix (run.err, "gst-offline: "), "%s", run.err);
  fail_unless (strstr (run.err, "same"), "the id is not named: %s", run.err);
  fail_unless_equals_int (count_lines (run.err), 1);
  fail_unless_equals_int (ot_server_get_request_count (server, "/b.wav"), 0);

  ot_server_free (server);
}
GST_END_TEST;

GST_START_TEST (test_id_is_derived_from_the_url)
{
  OtServer *server = ot_server_new ();
  g_autofree gchar *media = ot_make_temp_dir ("cli-media");
  g_autofree gchar *dir = ot_make_temp_dir ("cli-data");
  g_autofree gchar *file = make_media_file (media, "clip.mp4", 2000);
  g_autofree gchar *url = ot_server_add_file (server, "/media/clip.mp4", file);

  CliRun run;
  run_cli (run, dir, "download", url);
  assert_status (run, 0);
  fail_unless (g_str_has_suffix (run.out, "clip: completed, 2000 bytes\n"), "%s", run.out);

  CliRun status;
  run_cli (status, dir, "status", "clip", "--json");
  assert_status (status, 0);
  JsonNode *root = parse_json (status.out);
  fail_unless_equals_string (json_object_get_string_member (json_node_get_object (root), "id"), "clip");
  fail_unless_equals_string (json_object_get_string_member (json_node_get_object (root), "uri"), url);
  json_node_unref (root);

  ot_server_free (server);
}
GST_END_TEST;

GST_START_TEST (test_progress_lines_when_not_a_terminal)
{
  OtServer *server = ot_server_new ();
  g_autofree gchar *media = ot_make_temp_dir ("cli-media");
  g_autofree gchar *dir = ot_make_temp_dir ("cli-data");
  g_autofree gchar *url = serve_media_file (server, media, "/slow.wav", 300 * 1024, nullptr);
  /* About three seconds: at least two progress lines, one per second. */
  ot_server_set_rate (server, "/slow.wav", 100 * 1024);

  CliRun run;
  gint64 start = g_get_monotonic_time ();
  run_cli (run, dir, "download", url, "--id", "slow");
  gint64 seconds = (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  assert_status (run, 0);
  gchar **lines = g_strsplit (run.out, "\n", -1);
  guint n = g_strv_length (lines);
  fail_unless (n >= 4, "too few lines:\n%s", run.out);
  /* At most one a second, but the first one and the end (100%) come at
   * once: the end may follow the last line by less than a second. */
  fail_unless (n - 2 <= seconds + 2, "%u progress lines in %" G_GINT64_FORMAT " s:\n%s", n - 2, seconds, run.out);
  fail_unless_equals_string (lines[n - 1], "");
  fail_unless_equals_string (lines[n - 2], "slow: completed, 307200 bytes");
  /* "slow: 42.0% 126.0 KiB of 300.0 KiB, 100.0 KiB/s, ETA 0:02": speed and
   * ETA once the library has measured them. */
  GRegex *progress = g_regex_new ("^slow: (\\d{1,3}\\.\\d% \\d+(\\.\\d)? (B|KiB) of 300\\.0 KiB|\\d+(\\.\\d)? (B|KiB))"
                                  "(, \\d+(\\.\\d)? (B|KiB|MiB)/s(, ETA \\d+:\\d\\d)?)?$",
      (GRegexCompileFlags) 0, (GRegexMatchFlags) 0, nullptr);
  guint with_speed = 0;
  for (guint i = 0; i + 2 < n; i++) {
    fail_unless (g_regex_match (progress, lines[i], (GRegexMatchFlags) 0, nullptr), "bad progress line '%s'", lines[i]);
    with_speed += strstr (lines[i], "/s, ETA ") != nullptr;
  }
  fail_unless (with_speed >= 1, "no line shows the speed and ETA:\n%s", run.out);
  g_regex_unref (progress);
  g_strfreev (lines);
  /* Nothing on stderr when no terminal: no bar, no escape codes. */
  fail_unless_equals_string (run.err, "");

  ot_server_free (server);
}
GST_END_TEST;

GST_START_TEST (test_http_404_fails)
{
  OtServer *server = ot_server_new ();
  g_autofree gchar *media = ot_make_temp_dir ("cli-media");
  g_autofree gchar *dir = ot_make_temp_dir ("cli-data");
  g_autofree gchar *url = serve_media_file (server, media, "/gone.wav", 1000, nullptr);
  ot_server_set_fault (server, "/gone.wav", OT_FAULT_STATUS, 404, -1);

  CliRun run;
  run_cli (run, dir, "download", url, "--id", "gone", "--retries", "0");
  assert_status (run, 1);
  fail_unless (g_str_has_prefix (run.err, "gst-offline: download gone failed: "), "%s", run.err);
  fail_unless (strstr (run.err, "404"), "the reason does not name 404: %s", run.err);
  fail_unless_equals_int (count_lines (run.err), 1);
  fail_if (strstr (run.out, "completed"), "%s", run.out);

  CliRun status;
  run_cli (status, dir, "status", "gone", "--json");
  assert_status (status, 0);
  JsonNode *root = parse_json (status.out);
  JsonObject *o = json_node_get_object (root);
  fail_unless_equals_string (json_object_get_string_member (o, "state"), "failed");
  JsonNode *failure = json_object_get_member (o, "failure");
  fail_unless (failure && JSON_NODE_HOLDS_VALUE (failure), "failure is not a string");
  fail_unless (strstr (json_node_get_string (failure), "404"), "failure: %s", json_node_get_string (failure));
  fail_unless_equals_int64 (json_object_get_int_member (o, "bytes_downloaded"), 0);
  json_node_unref (root);

  CliRun play;
  run_cli (play, dir, "play", "gone", "--video-sink", "fakesink", "--audio-sink", "fakesink");
  assert_status (play, 1);
  fail_unless_equals_string (play.err, "gst-offline: download gone is not complete (state: failed)\n");

  /* The same command again restarts it, and now it works. */
  ot_server_set_fault (server, "/gone.wav", OT_FAULT_NONE, 0, -1);
  download_ok (dir, url, "gone", 1000);

  ot_server_free (server);
}
GST_END_TEST;

GST_START_TEST (test_file_size_limit_is_a_clean_failure)
{
  OtServer *server = ot_server_new ();
  g_autofree gchar *media = ot_make_temp_dir ("cli-media");
  g_autofree gchar *dir = ot_make_temp_dir ("cli-data");
  g_autofree gchar *url = serve_media_file (server, media, "/big.wav", 400 * 1024, nullptr);

  /* The child inherits the limit: writing past it must be an error the tool
   * reports, not SIGXFSZ killing it (exit status 128 + 25). The limit lets
   * the new index be written (its write-ahead log holds every migration
   * until the first checkpoint: over 100 KiB at schema 7), not the media. */
  struct rlimit old_limit;
  fail_unless (getrlimit (RLIMIT_FSIZE, &old_limit) == 0);
  struct rlimit limit = old_limit;
  limit.rlim_cur = 200 * 1024;
  fail_unless (setrlimit (RLIMIT_FSIZE, &limit) == 0);
  CliRun run;
  run_cli (run, dir, "download", url, "--id", "big", "--retries", "0");
  fail_unless (setrlimit (RLIMIT_FSIZE, &old_limit) == 0);

  assert_status (run, 1);
  fail_unless (g_str_has_prefix (run.err, "gst-offline: download big failed: "), "%s", run.err);
  fail_unless_equals_int (count_lines (run.err), 1);
  CliRun status;
  run_cli (status, dir, "status", "big", "--json");
  assert_status (status, 0);
  JsonNode *root = parse_json (status.out);
  fail_unless_equals_string (json_object_get_string_member (json_node_get_object (root), "state"), "failed");
  json_node_unref (root);

  ot_server_free (server);
}
GST_END_TEST;

GST_START_TEST (test_headers)
{
  OtServer *server = ot_server_new ();
  g_autofree gchar *media = ot_make_temp_dir ("cli-media");
  g_autofree gchar *dir = ot_make_temp_dir ("cli-data");
  g_autofree gchar *url = serve_media_file (server, media, "/h.wav", 1500, nullptr);

  /* OtServer cannot show request headers yet: this checks that a malformed
   * header is a usage error that adds nothing, and that valid ones are kept
   * with the download. */
  CliRun bad;
  run_cli (bad, dir, "download", url, "--id", "h", "--header", "X-Token abc");
  assert_status (bad, 2);
  fail_unless (strstr (bad.err, "X-Token abc"), "%s", bad.err);
  CliRun none;
  run_cli (none, dir, "status", "h");
  assert_status (none, 1);

  CliRun good;
  run_cli (good, dir, "download", url, "--id", "h", "--header", "X-Token: abc", "--header", "X-Other: 1");
  assert_status (good, 0);

  /* Both are kept with the download's request, so a resume sends them too. */
  GError *error = nullptr;
  GstOfflineDownloadIndex *index = gst_offline_download_index_new (dir, &error);
  fail_unless (index != nullptr, "%s", error ? error->message : "");
  GstOfflineDownload *download = gst_offline_download_index_get_download (index, "h", &error);
  fail_unless (download != nullptr, "%s", error ? error->message : "");
  const gchar *const *headers =
      gst_offline_download_request_get_headers (gst_offline_download_get_request (download));
  fail_unless (headers != nullptr, "no headers kept");
  g_autofree gchar *joined = g_strjoinv ("|", (gchar **) headers);
  fail_unless (strstr (joined, "X-Token: abc") && strstr (joined, "X-Other: 1"), "headers kept: %s", joined);
  g_object_unref (download);
  g_object_unref (index);

  ot_server_free (server);
}
GST_END_TEST;

/* ---- remove and verify --------------------------------------------------- */

GST_START_TEST (test_remove)
{
  OtServer *server = ot_server_new ();
  g_autofree gchar *media = ot_make_temp_dir ("cli-media");
  g_autofree gchar *dir = ot_make_temp_dir ("cli-data");
  g_autofree gchar *local = nullptr;
  g_autofree gchar *url = serve_media_file (server, media, "/r.wav", 20000, &local);
  g_autoptr (GBytes) content = ot_read_file (local);

  download_ok (dir, url, "r", 20000);
  /* The cached copy is found by its content (names are hashes). */
  fail_unless_equals_int (count_files_with_content (dir, content), 1);
  CliRun clean_before;
  run_cli (clean_before, dir, "verify");
  assert_status (clean_before, 0);

  CliRun remove;
  run_cli (remove, dir, "remove", "r");
  assert_status (remove, 0);
  fail_unless_equals_string (remove.out, "removed r\n");

  CliRun list;
  run_cli (list, dir, "list");
  assert_status (list, 0);
  fail_unless_equals_string (list.out, "");
  CliRun list_json;
  run_cli (list_json, dir, "list", "--json");
  assert_status (list_json, 0);
  JsonNode *root = parse_json (list_json.out);
  fail_unless_equals_int (json_array_get_length (json_node_get_array (root)), 0);
  json_node_unref (root);

  fail_unless_equals_int (count_files_with_content (dir, content), 0);
  CliRun verify;
  run_cli (verify, dir, "verify");
  assert_status (verify, 0);
  fail_unless_equals_string (verify.out, "");

  CliRun again;
  run_cli (again, dir, "remove", "r");
  assert_status (again, 1);
  fail_unless_equals_string (again.err, "gst-offline: no download with id 'r'\n");

  ot_server_free (server);
}
GST_END_TEST;

GST_START_TEST (test_remove_all)
{
  OtServer *server = ot_server_new ();
  g_autofree gchar *media = ot_make_temp_dir ("cli-media");
  g_autofree gchar *dir = ot_make_temp_dir ("cli-data");
  g_autofree gchar *local_a = nullptr;
  g_autofree gchar *local_b = nullptr;
  g_autofree gchar *url_a = serve_media_file (server, media, "/a.wav", 7000, &local_a);
  g_autofree gchar *url_b = serve_media_file (server, media, "/b.wav", 9000, &local_b);
  g_autoptr (GBytes) content_a = ot_read_file (local_a);
  g_autoptr (GBytes) content_b = ot_read_file (local_b);

  download_ok (dir, url_a, "a", 7000);
  download_ok (dir, url_b, "b", 9000);
  fail_unless_equals_int (count_files_with_content (dir, content_a), 1);
  fail_unless_equals_int (count_files_with_content (dir, content_b), 1);

  CliRun remove;
  run_cli (remove, dir, "remove", "--all");
  assert_status (remove, 0);
  fail_unless_equals_string (remove.out, "removed a\nremoved b\n");

  CliRun list;
  run_cli (list, dir, "list");
  assert_status (list, 0);
  fail_unless_equals_string (list.out, "");
  fail_unless_equals_int (count_files_with_content (dir, content_a), 0);
  fail_unless_equals_int (count_files_with_content (dir, content_b), 0);
  CliRun verify;
  run_cli (verify, dir, "verify");
  assert_status (verify, 0);

  /* Nothing left: still a success. */
  CliRun empty;
  run_cli (empty, dir, "remove", "--all");
  assert_status (empty, 0);
  fail_unless_equals_string (empty.out, "");

  ot_server_free (server);
}
GST_END_TEST;

GST_START_TEST (test_verify_reports_a_damaged_file)
{
  OtServer *server = ot_server_new ();
  g_autofree gchar *media = ot_make_temp_dir ("cli-media");
  g_autofree gchar *dir = ot_make_temp_dir ("cli-data");
  g_autofree gchar *url_v = serve_media_file (server, media, "/v.wav", 10000, nullptr);
  g_autofree gchar *local = nullptr;
  g_autofree gchar *url_vv = serve_media_file (server, media, "/vv.wav", 12000, &local);
  g_autoptr (GBytes) content = ot_read_file (local);

  download_ok (dir, url_v, "v", 10000);
  download_ok (dir, url_vv, "vv", 12000);
  g_autofree gchar *cached = find_file_with_content (dir, content);
  fail_unless (cached != nullptr, "the cached file is not in %s", dir);
  fail_unless (truncate (cached, 5000) == 0);

  CliRun verify;
  run_cli (verify, dir, "verify");
  assert_status (verify, 1);
  fail_unless_equals_int (count_lines (verify.out), 1);
  fail_unless_equals_string (verify.err, "gst-offline: 1 problem found\n");

  /* With an id: only that download's problems. "v" is in every line about
   * "vv", but does not name it. */
  CliRun damaged;
  run_cli (damaged, dir, "verify", "vv");
  assert_status (damaged, 1);
  fail_unless_equals_string (damaged.out, verify.out);
  CliRun intact;
  run_cli (intact, dir, "verify", "v");
  assert_status (intact, 0);
  fail_unless_equals_string (intact.out, "");

  ot_server_free (server);
}
GST_END_TEST;

/* ---- play ----------------------------------------------------------------- */

GST_START_TEST (test_play_counts_frames)
{
  OtServer *server = ot_server_new ();
  g_autofree gchar *media = ot_make_temp_dir ("cli-media");
  g_autofree gchar *dir = ot_make_temp_dir ("cli-data");
  g_autofree gchar *clip = ot_make_mp4 (media, "clip.mp4", 2, FALSE);
  g_autofree gchar *url = ot_server_add_file (server, "/clip.mp4", clip);
  gsize size = file_size (clip);

  download_ok (dir, url, "movie", size);
  /* No server any more: playback reads the cache only. */
  ot_server_free (server);

  g_autofree gchar *clip_uri = g_filename_to_uri (clip, nullptr, nullptr);
  g_autofree gchar *error_message = nullptr;
  g_autoptr (GPtrArray) expected = ot_decode_checksums (clip_uri, nullptr, FALSE, &error_message);
  fail_unless (expected != nullptr, "cannot decode %s: %s", clip, error_message);
  guint video = 0;
  for (guint i = 0; i < expected->len; i++)
    video += g_str_has_prefix ((const gchar *) g_ptr_array_index (expected, i), "video ");
  fail_unless (video > 0);

  CliRun run;
  run_cli (run, dir, "play", "movie", "--video-sink", "fakesink", "--audio-sink", "fakesink");
  assert_status (run, 0);
  guint64 frames = 0, buffers = 0;
  guint hours = 0, minutes = 0, seconds = 0, ms = 0;
  fail_unless (sscanf (run.out, "played movie: %" G_GUINT64_FORMAT " video frames, %" G_GUINT64_FORMAT
                   " audio buffers, duration %u:%2u:%2u.%3u",
                   &frames, &buffers, &hours, &minutes, &seconds, &ms) == 6,
      "unexpected output: %s", run.out);
  fail_unless_equals_int (count_lines (run.out), 1);
  fail_unless_equals_int64 (frames, video);
  fail_unless (buffers > 0, "no audio buffers: %s", run.out);
  guint total_ms = ((hours * 60 + minutes) * 60 + seconds) * 1000 + ms;
  fail_unless (total_ms >= 1900 && total_ms <= 2200, "duration %u ms: %s", total_ms, run.out);

  /* --dir reaches cachesrc: the same from a process whose default data
   * directory is another, empty one. */
  g_autofree gchar *elsewhere = ot_make_temp_dir ("cli-elsewhere");
  CliRun with_dir;
  run_cli (with_dir, elsewhere, "--dir", dir, "play", "movie", "--video-sink", "fakesink", "--audio-sink",
      "fakesink");
  assert_status (with_dir, 0);
  fail_unless_equals_string (with_dir.out, run.out);

}
GST_END_TEST;

GST_START_TEST (test_play_error_is_reported)
{
  OtServer *server = ot_server_new ();
  g_autofree gchar *media = ot_make_temp_dir ("cli-media");
  g_autofree gchar *dir = ot_make_temp_dir ("cli-data");
  /* An MP4 with its moov at the end, cut in half: it is media to the library,
   * but qtdemux cannot play it. The tool must say why, in one line. */
  g_autofree gchar *clip = ot_make_mp4 (media, "cut.mp4", 2, TRUE);
  gsize size = file_size (clip) / 2;
  fail_unless (truncate (clip, (off_t) size) == 0);
  g_autofree gchar *url = ot_server_add_file (server, "/cut.mp4", clip);
  download_ok (dir, url, "cut", size);

  CliRun run;
  run_cli (run, dir, "play", "cut", "--video-sink", "fakesink", "--audio-sink", "fakesink");
  assert_status (run, 1);
  fail_unless (g_str_has_prefix (run.err, "gst-offline: "), "%s", run.err);
  fail_unless_equals_int (count_lines (run.err), 1);
  fail_if (strstr (run.out, "played"), "%s", run.out);

  ot_server_free (server);
}
GST_END_TEST;


/* ---- control from other processes (pause, resume, remove, daemon) ---------- */

GST_START_TEST (test_pause_and_resume_from_another_process)
{
  OtServer *server = ot_server_new ();
  g_autofree gchar *media = ot_make_temp_dir ("cli-media");
  g_autofree gchar *dir = ot_make_temp_dir ("cli-data");
  g_autofree gchar *local = nullptr;
  const gsize size = 600 * 1024;
  g_autofree gchar *url = serve_media_file (server, media, "/pause.wav", size, &local);
  /* Six seconds at this rate: time to pause it mid-way. */
  ot_server_set_rate (server, "/pause.wav", 100 * 1024);

  CliChild downloading (dir, {"download", url, "--id", "p"});
  wait_for_state (dir, "p", "downloading", 0);

  CliRun pause;
  run_cli (pause, dir, "pause", "p");
  assert_status (pause, 0);
  fail_unless_equals_string (pause.out, "paused p\n");
  StatusSample stopped = wait_for_state (dir, "p", "stopped", 0);
  fail_unless_equals_int64 (stopped.stop_reason, 1);
  fail_unless (stopped.bytes < (gint64) size, "it completed before it could be paused");

  /* Stopped for real: the server sees the request it was answering end (a
   * download that goes on, rate-limited here, never ends it), and nothing
   * is asked for until the resume, which starts where the index stopped. */
  ot_server_wait_idle (server);
  guint requests = ot_server_get_request_count (server, "/pause.wav");
  StatusSample later = sample_status (dir, "p");
  fail_unless_equals_string (later.state.c_str (), "stopped");
  fail_unless_equals_int64 (later.bytes, stopped.bytes);

  /* The downloading process waits, saying so, instead of giving up (it
   * says so once its manager has written the stop: maybe after `status`
   * read it). */
  downloading.wait_for_out ("p: paused\n");
  fail_unless (downloading.running (), "download exited when paused: %s", g_autofree_str (downloading.err ()));

  CliRun resume;
  run_cli (resume, dir, "resume", "p");
  assert_status (resume, 0);
  fail_unless_equals_string (resume.out, "resumed p\n");
  gint status = downloading.wait ();
  g_autofree gchar *out = downloading.out ();
  g_autofree gchar *err = downloading.err ();
  fail_unless (status == 0, "download exited with %d\nstdout: %s\nstderr: %s", status, out, err);
  g_autofree gchar *expected = g_strdup_printf ("p: completed, %" G_GSIZE_FORMAT " bytes\n", size);
  fail_unless (g_str_has_suffix (out, expected), "no '%s' at the end of:\n%s", expected, out);

  /* The data fetched before the pause was kept: the one request after the
   * pause (the resume) asks for the rest. */
  fail_unless_equals_int (ot_server_get_request_count (server, "/pause.wav"), requests + 1);
  g_autofree gchar *range = ot_server_get_last_range (server, "/pause.wav");
  fail_unless (range != nullptr, "the resume fetched the whole file again");
  g_autofree gchar *rest = g_strdup_printf ("bytes=%" G_GINT64_FORMAT "-", stopped.bytes);
  fail_unless (g_str_has_prefix (range, rest), "the resume asked for %s, not from %" G_GINT64_FORMAT, range,
      stopped.bytes);
  assert_cached_identical (dir, url, local);
  StatusSample done = sample_status (dir, "p");
  fail_unless_equals_string (done.state.c_str (), "completed");
  fail_unless_equals_int64 (done.stop_reason, 0);

  ot_server_free (server);
}
GST_END_TEST;

GST_START_TEST (test_interrupt_while_paused)
{
  OtServer *server = ot_server_new ();
  g_autofree gchar *media = ot_make_temp_dir ("cli-media");
  g_autofree gchar *dir = ot_make_temp_dir ("cli-data");
  g_autofree gchar *url = serve_media_file (server, media, "/int.wav", 400 * 1024, nullptr);
  ot_server_set_rate (server, "/int.wav", 100 * 1024);

  CliChild downloading (dir, {"download", url, "--id", "i"});
  wait_for_state (dir, "i", "downloading", 0);
  CliRun pause;
  run_cli (pause, dir, "pause", "i");
  assert_status (pause, 0);
  StatusSample stopped = wait_for_state (dir, "i", "stopped", 0);
  /* Waiting for the resume (the index says stopped a moment before). */
  downloading.wait_for_out ("i: paused\n");

  /* Ctrl-C while waiting for a resume still exits 130, keeping the data. */
  downloading.send_signal (SIGINT);
  fail_unless_equals_int (downloading.wait (), 130);
  StatusSample after = sample_status (dir, "i");
  fail_unless_equals_string (after.state.c_str (), "stopped");
  fail_unless_equals_int64 (after.bytes, stopped.bytes);

  ot_server_free (server);
}
GST_END_TEST;

GST_START_TEST (test_no_wait_then_daemon)
{
  OtServer *server = ot_server_new ();
  g_autofree gchar *media = ot_make_temp_dir ("cli-media");
  g_autofree gchar *dir = ot_make_temp_dir ("cli-data");
  g_autofree gchar *local = nullptr;
  g_autofree gchar *url = serve_media_file (server, media, "/queued.wav", 50000, &local);

  CliRun queue;
  run_cli (queue, dir, "download", url, "--id", "q", "--no-wait");
  assert_status (queue, 0);
  fail_unless_equals_string (queue.out, "queued q\n");
  fail_unless_equals_string (queue.err, "");
  /* Queued and nothing fetched, not even a probe. */
  StatusSample queued = sample_status (dir, "q");
  fail_unless_equals_string (queued.state.c_str (), "queued");
  fail_unless_equals_int (ot_server_get_request_count (server, "/queued.wav"), 0);

  CliChild daemon (dir, {"daemon", "--max-parallel", "2"});
  wait_for_state (dir, "q", "completed", 0);
  assert_cached_identical (dir, url, local);

  /* A download queued while the daemon runs is picked up too. */
  g_autofree gchar *local2 = nullptr;
  g_autofree gchar *url2 = serve_media_file (server, media, "/later.wav", 30000, &local2);
  CliRun queue2;
  run_cli (queue2, dir, "download", url2, "--id", "later", "--no-wait");
  assert_status (queue2, 0);
  fail_unless_equals_string (queue2.out, "queued later\n");
  wait_for_state (dir, "later", "completed", 0);
  assert_cached_identical (dir, url2, local2);

  fail_unless (daemon.running (), "the daemon exited: %s", g_autofree_str (daemon.err ()));
  daemon.send_signal (SIGTERM);
  gint status = daemon.wait ();
  g_autofree gchar *out = daemon.out ();
  g_autofree gchar *err = daemon.err ();
  fail_unless (status == 0, "daemon exited with %d\nstdout: %s\nstderr: %s", status, out, err);
  for (const char *line : {"q: downloading\n", "q: completed, 50000 bytes\n", "later: downloading\n",
           "later: completed, 30000 bytes\n"})
    fail_unless (strstr (out, line), "no '%s' in the daemon's log:\n%s", line, out);

  ot_server_free (server);
}
GST_END_TEST;

GST_START_TEST (test_daemon_stops_cleanly)
{
  OtServer *server = ot_server_new ();
  g_autofree gchar *media = ot_make_temp_dir ("cli-media");
  g_autofree gchar *dir = ot_make_temp_dir ("cli-data");
  g_autofree gchar *local = nullptr;
  g_autofree gchar *url = serve_media_file (server, media, "/long.wav", 400 * 1024, &local);
  ot_server_set_rate (server, "/long.wav", 100 * 1024);

  CliRun queue;
  run_cli (queue, dir, "download", url, "--id", "long", "--no-wait");
  assert_status (queue, 0);
  CliChild daemon (dir, {"daemon"});
  StatusSample running = wait_for_state (dir, "long", "downloading", 1000);

  /* SIGTERM mid-download: exit 0, the download back in the queue with its data. */
  daemon.send_signal (SIGTERM);
  gint status = daemon.wait ();
  g_autofree gchar *err = daemon.err ();
  fail_unless (status == 0, "daemon exited with %d: %s", status, err);
  StatusSample after = sample_status (dir, "long");
  fail_unless (after.state == "queued", "state %s after the daemon stopped", after.state.c_str ());
  fail_unless (after.bytes >= running.bytes, "data lost: %" G_GINT64_FORMAT " < %" G_GINT64_FORMAT, after.bytes,
      running.bytes);

  /* The next run finishes it. */
  ot_server_set_rate (server, "/long.wav", 0);
  CliChild again (dir, {"daemon"});
  wait_for_state (dir, "long", "completed", 0);
  again.send_signal (SIGTERM);
  fail_unless_equals_int (again.wait (), 0);
  assert_cached_identical (dir, url, local);

  ot_server_free (server);
}
GST_END_TEST;

GST_START_TEST (test_pause_and_resume_all)
{
  OtServer *server = ot_server_new ();
  g_autofree gchar *media = ot_make_temp_dir ("cli-media");
  g_autofree gchar *dir = ot_make_temp_dir ("cli-data");
  g_autofree gchar *url_a = serve_media_file (server, media, "/a.wav", 3000, nullptr);
  g_autofree gchar *url_b = serve_media_file (server, media, "/b.wav", 4000, nullptr);

  /* With no data directory: nothing to do, and nothing created. */
  g_autofree gchar *missing = g_build_filename (dir, "missing", nullptr);
  CliRun none;
  run_cli (none, missing, "pause", "--all");
  assert_status (none, 0);
  fail_unless_equals_string (none.out, "");
  fail_if (g_file_test (missing, G_FILE_TEST_EXISTS));

  for (const auto &[url, id] : {std::pair<const gchar *, const gchar *> (url_a, "a"), {url_b, "b"}}) {
    CliRun queue;
    run_cli (queue, dir, "download", url, "--id", id, "--no-wait");
    assert_status (queue, 0);
  }

  CliRun pause;
  run_cli (pause, dir, "pause", "--all");
  assert_status (pause, 0);
  fail_unless_equals_string (pause.out, "paused a\npaused b\n");
  for (const char *id : {"a", "b"}) {
    StatusSample s = sample_status (dir, id);
    fail_unless_equals_string (s.state.c_str (), "stopped");
    fail_unless_equals_int64 (s.stop_reason, 1);
  }
  CliRun text;
  run_cli (text, dir, "status", "a");
  assert_status (text, 0);
  fail_unless (strstr (text.out, "stop reason: 1\n"), "%s", text.out);

  /* Paused, a daemon leaves them alone. */
  {
    CliChild daemon (dir, {"daemon"});
    daemon.wait_for_out ("a: paused\n");
    daemon.wait_for_out ("b: paused\n");
    daemon.send_signal (SIGTERM);
    fail_unless_equals_int (daemon.wait (), 0);
  }
  fail_unless_equals_int (ot_server_get_request_count (server, "/a.wav"), 0);
  fail_unless_equals_int (ot_server_get_request_count (server, "/b.wav"), 0);

  CliRun resume;
  run_cli (resume, dir, "resume", "--all");
  assert_status (resume, 0);
  fail_unless_equals_string (resume.out, "resumed a\nresumed b\n");
  for (const char *id : {"a", "b"}) {
    StatusSample s = sample_status (dir, id);
    fail_unless_equals_string (s.state.c_str (), "queued");
    fail_unless_equals_int64 (s.stop_reason, 0);
  }

  /* One of them only. */
  CliRun pause_b;
  run_cli (pause_b, dir, "pause", "b");
  assert_status (pause_b, 0);
  std::string state_a = sample_status (dir, "a").state;
  fail_unless_equals_string (state_a.c_str (), "queued");
  std::string state_b = sample_status (dir, "b").state;
  fail_unless_equals_string (state_b.c_str (), "stopped");

  ot_server_free (server);
}
GST_END_TEST;

GST_START_TEST (test_pause_resume_unknown_id)
{
  OtServer *server = ot_server_new ();
  g_autofree gchar *media = ot_make_temp_dir ("cli-media");
  g_autofree gchar *dir = ot_make_temp_dir ("cli-data");
  g_autofree gchar *empty = ot_make_temp_dir ("cli-empty");
  g_autofree gchar *url = serve_media_file (server, media, "/k.wav", 3000, nullptr);
  CliRun queue;
  run_cli (queue, dir, "download", url, "--id", "known", "--no-wait");
  assert_status (queue, 0);

  for (const gchar *d : {(const gchar *) dir, (const gchar *) empty}) {
    for (const char *command : {"pause", "resume"}) {
      CliRun run;
      run_cli (run, d, command, "nope");
      assert_status (run, 1);
      fail_unless_equals_string (run.err, "gst-offline: no download with id 'nope'\n");
      fail_unless_equals_string (run.out, "");
    }
  }
  /* The known one is untouched. */
  StatusSample s = sample_status (dir, "known");
  fail_unless_equals_string (s.state.c_str (), "queued");
  fail_unless_equals_int64 (s.stop_reason, 0);

  ot_server_free (server);
}
GST_END_TEST;

GST_START_TEST (test_remove_while_downloading_elsewhere)
{
  OtServer *server = ot_server_new ();
  g_autofree gchar *media = ot_make_temp_dir ("cli-media");
  g_autofree gchar *dir = ot_make_temp_dir ("cli-data");
  g_autofree gchar *url = serve_media_file (server, media, "/gone.wav", 600 * 1024, nullptr);
  ot_server_set_rate (server, "/gone.wav", 100 * 1024);

  CliChild downloading (dir, {"download", url, "--id", "r"});
  wait_for_state (dir, "r", "downloading", 1000);

  CliRun remove;
  gint64 start = g_get_monotonic_time ();
  run_cli (remove, dir, "remove", "r");
  gdouble took = (g_get_monotonic_time () - start) / (gdouble) G_USEC_PER_SEC;
  assert_status (remove, 0);
  fail_unless_equals_string (remove.out, "removed r\n");
  fail_unless (took < 5, "remove took %.1f s", took);

  CliRun status;
  run_cli (status, dir, "status", "r");
  assert_status (status, 1);
  fail_unless_equals_string (status.err, "gst-offline: no download with id 'r'\n");

  /* The downloading process ends: exit 1, naming the removal. */
  gint exit_status = downloading.wait ();
  g_autofree gchar *err = downloading.err ();
  fail_unless_equals_int (exit_status, 1);
  fail_unless_equals_string (err, "gst-offline: download r was removed while downloading\n");

  /* Its partial data went with it. */
  CliRun verify;
  run_cli (verify, dir, "verify");
  assert_status (verify, 0);
  fail_unless_equals_string (verify.out, "");

  ot_server_free (server);
}
GST_END_TEST;

/* Runs the CLI in a network namespace of its own, where no network is available. */
static gint
run_cli_without_network (const gchar *dir, const std::vector<const gchar *> &args, gchar **out)
{
  std::vector<const gchar *> argv = {"unshare", geteuid () == 0 ? "-n" : "-rn", "--", g_getenv ("GST_OFFLINE_CLI")};
  argv.insert (argv.end (), args.begin (), args.end ());
  argv.push_back (nullptr);
  gchar **envp = g_environ_setenv (g_get_environ (), "GST_OFFLINE_DIR", dir, TRUE);
  gint wait_status = 0;
  GError *error = nullptr;
  fail_unless (ot_spawn_sync (nullptr, (gchar **) argv.data (), envp, G_SPAWN_SEARCH_PATH, nullptr, nullptr, out,
                   nullptr, &wait_status, &error),
      "cannot run unshare: %s", error ? error->message : "");
  g_strfreev (envp);
  return g_spawn_check_wait_status (wait_status, nullptr) ? 0 : WEXITSTATUS (wait_status);
}

GST_START_TEST (test_status_shows_unmet_requirements)
{
  OtServer *server = ot_server_new ();
  g_autofree gchar *media = ot_make_temp_dir ("cli-media");
  g_autofree gchar *dir = ot_make_temp_dir ("cli-data");
  g_autofree gchar *url = serve_media_file (server, media, "/local.wav", 3000, nullptr);

  /* A remote download (a documentation address; never fetched) and a local one. */
  CliRun remote;
  run_cli (remote, dir, "download", "http://192.0.2.1/remote.wav", "--id", "remote", "--no-wait");
  assert_status (remote, 0);
  CliRun local;
  run_cli (local, dir, "download", url, "--id", "local", "--no-wait");
  assert_status (local, 0);

  /* With a network (the test machine's), nothing is missing: an empty array. */
  JsonNode *root = status_json (dir, "remote");
  JsonNode *member = json_object_get_member (json_node_get_object (root), "requirements_not_met");
  fail_unless (member && JSON_NODE_HOLDS_ARRAY (member), "no requirements_not_met array");
  json_node_unref (root);

  /* Without one, the remote download waits for it; the loopback one needs none. */
  g_autofree gchar *json_out = nullptr;
  fail_unless_equals_int (run_cli_without_network (dir, {"status", "remote", "--json"}, &json_out), 0);
  root = parse_json (json_out);
  JsonArray *not_met = json_object_get_array_member (json_node_get_object (root), "requirements_not_met");
  fail_unless_equals_int (json_array_get_length (not_met), 1);
  fail_unless_equals_string (json_array_get_string_element (not_met, 0), "network");
  json_node_unref (root);

  g_autofree gchar *text_out = nullptr;
  fail_unless_equals_int (run_cli_without_network (dir, {"status", "remote"}, &text_out), 0);
  fail_unless (strstr (text_out, "\nwaiting for: network\n"), "%s", text_out);

  g_autofree gchar *local_out = nullptr;
  fail_unless_equals_int (run_cli_without_network (dir, {"status", "local"}, &local_out), 0);
  fail_if (strstr (local_out, "waiting for"), "%s", local_out);
  g_autofree gchar *list_out = nullptr;
  fail_unless_equals_int (run_cli_without_network (dir, {"list", "--json"}, &list_out), 0);
  root = parse_json (list_out);
  JsonArray *all = json_node_get_array (root);
  fail_unless_equals_int (json_array_get_length (all), 2);
  /* Sorted by id: local, remote. */
  fail_unless_equals_int (
      json_array_get_length (json_object_get_array_member (json_array_get_object_element (all, 0), "requirements_not_met")), 0);
  fail_unless_equals_int (
      json_array_get_length (json_object_get_array_member (json_array_get_object_element (all, 1), "requirements_not_met")), 1);
  json_node_unref (root);

  /* A paused download waits for its resume, not for requirements. */
  CliRun pause;
  run_cli (pause, dir, "pause", "remote");
  assert_status (pause, 0);
  g_autofree gchar *paused_out = nullptr;
  fail_unless_equals_int (run_cli_without_network (dir, {"status", "remote"}, &paused_out), 0);
  fail_if (strstr (paused_out, "waiting for"), "%s", paused_out);

  ot_server_free (server);
}
GST_END_TEST;

static Suite *
cli_suite (void)
{
  Suite *s = suite_create ("cli");
  TCase *usage = tcase_create ("usage");
  suite_add_tcase (s, usage);
  tcase_add_test (usage, test_help_lists_every_command);
  tcase_add_test (usage, test_help_of_each_command);
  tcase_add_test (usage, test_usage_errors);
  tcase_add_test (usage, test_status_of_unknown_id);
  tcase_add_test (usage, test_read_only_commands_do_not_create_the_data_dir);

  TCase *downloads = tcase_create ("downloads");
  suite_add_tcase (s, downloads);
  tcase_add_test (downloads, test_dir_option_overrides_environment);
  tcase_add_test (downloads, test_download_list_status);
  tcase_add_test (downloads, test_download_again_completes_at_once);
  tcase_add_test (downloads, test_id_of_another_url_is_refused);
  tcase_add_test (downloads, test_id_is_derived_from_the_url);
  tcase_add_test (downloads, test_progress_lines_when_not_a_terminal);
  tcase_add_test (downloads, test_http_404_fails);
  tcase_add_test (downloads, test_file_size_limit_is_a_clean_failure);
  tcase_add_test (downloads, test_headers);

  TCase *removal = tcase_create ("remove-verify");
  suite_add_tcase (s, removal);
  tcase_add_test (removal, test_remove);
  tcase_add_test (removal, test_remove_all);
  tcase_add_test (removal, test_verify_reports_a_damaged_file);

  TCase *control = tcase_create ("control");
  suite_add_tcase (s, control);
  tcase_add_test (control, test_pause_and_resume_from_another_process);
  tcase_add_test (control, test_interrupt_while_paused);
  tcase_add_test (control, test_no_wait_then_daemon);
  tcase_add_test (control, test_daemon_stops_cleanly);
  tcase_add_test (control, test_pause_and_resume_all);
  tcase_add_test (control, test_pause_resume_unknown_id);
  tcase_add_test (control, test_remove_while_downloading_elsewhere);
  tcase_add_test (control, test_status_shows_unmet_requirements);

  TCase *play = tcase_create ("play");
  suite_add_tcase (s, play);
  tcase_add_test (play, test_play_counts_frames);
  tcase_add_test (play, test_play_error_is_reported);
  return s;
}

GST_CHECK_MAIN (cli);
