/* End-to-end tests of the gst-offline command line (docs/cli.md): the built
 * tool run as a child process against a real HTTP server on 127.0.0.1.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>
#include <json-glib/json-glib.h>

#include "test-support.h"

#include <sys/resource.h>
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

/* ---- help and usage ------------------------------------------------------ */

GST_START_TEST (test_help_lists_every_command)
{
  g_autofree gchar *dir = ot_make_temp_dir ("cli-help");
  CliRun run;
  run_cli (run, dir, "--help");
  assert_status (run, 0);
  for (const char *command : {"download", "list", "status", "remove", "verify", "play", "--dir"})
    fail_unless (strstr (run.out, command), "'%s' missing from --help:\n%s", command, run.out);
  /* Commands of later versions are not offered yet. */
  for (const char *command : {"inspect", "pause", "resume", "license"})
    fail_if (strstr (run.out, command), "'%s' listed in --help:\n%s", command, run.out);
}
GST_END_TEST;

GST_START_TEST (test_help_of_each_command)
{
  struct {
    const char *command;
    std::initializer_list<const char *> options;
  } cases[] = {
      {"download", {"URL", "--id", "--header", "--retries", "--dir"}},
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
  /* At most one a second (the first one comes at once). */
  fail_unless (n - 2 <= seconds + 1, "%u progress lines in %" G_GINT64_FORMAT " s:\n%s", n - 2, seconds, run.out);
  fail_unless_equals_string (lines[n - 1], "");
  fail_unless_equals_string (lines[n - 2], "slow: completed, 307200 bytes");
  GRegex *progress = g_regex_new ("^slow: (\\d{1,3}\\.\\d% \\d+(\\.\\d)? (B|KiB) of 300\\.0 KiB|\\d+(\\.\\d)? (B|KiB))$",
      (GRegexCompileFlags) 0, (GRegexMatchFlags) 0, nullptr);
  for (guint i = 0; i + 2 < n; i++)
    fail_unless (g_regex_match (progress, lines[i], (GRegexMatchFlags) 0, nullptr), "bad progress line '%s'", lines[i]);
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
   * reports, not SIGXFSZ killing it (exit status 128 + 25). */
  struct rlimit old_limit;
  fail_unless (getrlimit (RLIMIT_FSIZE, &old_limit) == 0);
  struct rlimit limit = old_limit;
  limit.rlim_cur = 100 * 1024;
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

  TCase *play = tcase_create ("play");
  suite_add_tcase (s, play);
  tcase_add_test (play, test_play_counts_frames);
  tcase_add_test (play, test_play_error_is_reported);
  return s;
}

GST_CHECK_MAIN (cli);
