/* End-to-end tests of progressive downloads: the built gst-offline CLI
 * downloads from a local libsoup server with scripted faults, then the index
 * and the cache are checked through the public library API.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>

#include "adaptive-content.h"
#include "download-checks.h"
#include "test-support.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <csignal>
#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace {

using ot::assert_state;

constexpr const gchar *kId = "movie";
constexpr const gchar *kPath = "/movie.mp4";

/* Media shared by the tests, made once by the parent before the tests fork. */
gchar *shared_mp4 = nullptr;

void
make_shared_media (void)
{
  if (shared_mp4)
    return;
  gchar *dir = ot_make_temp_dir ("media");
  shared_mp4 = ot_make_mp4 (dir, "movie.mp4", 20, FALSE);
  g_free (dir);
}

/* A run of the built CLI (ot::run). */
using CliResult = ot::Cli;

/* One test's world: its data directory, its server and the file it serves. */
struct World {
  gchar *dir = nullptr;
  gchar *data_dir = nullptr;
  OtServer *server = nullptr;
  gchar *media = nullptr;
  GBytes *bytes = nullptr;
  gsize size = 0;
  gchar *url = nullptr;

  World (const gchar *name, const gchar *media_path = nullptr)
  {
    dir = ot_make_temp_dir (name);
    data_dir = g_build_filename (dir, "data", nullptr);
    server = ot_server_new ();
    media = g_strdup (media_path ? media_path : shared_mp4);
    bytes = ot_read_file (media);
    size = g_bytes_get_size (bytes);
    url = ot_server_add_file (server, kPath, media);
  }
  ~World ()
  {
    ot_server_free (server);
    g_free (url);
    g_bytes_unref (bytes);
    g_free (media);
    g_free (data_dir);
    g_free (dir);
  }
  World (const World &) = delete;
  World &operator= (const World &) = delete;
};

CliResult
download (World &w, const std::vector<const gchar *> &extra = {}, const gchar *url = nullptr)
{
  std::vector<const gchar *> args = { "download", url ? url : w.url, "--id", kId };
  args.insert (args.end (), extra.begin (), extra.end ());
  return ot::run (w.data_dir, args);
}

void
setrlimit_fsize (gpointer data)
{
  struct rlimit limit;
  limit.rlim_cur = limit.rlim_max = (rlim_t) GPOINTER_TO_SIZE (data);
  setrlimit (RLIMIT_FSIZE, &limit);
}

/* Runs the CLI with a file size limit, so that writes past it fail with EFBIG. */
CliResult
download_with_fsize_limit (World &w, gsize limit, const std::vector<const gchar *> &extra = {})
{
  const gchar *cli = g_getenv ("GST_OFFLINE_CLI");
  fail_unless (cli && *cli, "GST_OFFLINE_CLI is not set");
  std::vector<const gchar *> argv = { cli, "download", w.url, "--id", kId };
  argv.insert (argv.end (), extra.begin (), extra.end ());
  argv.push_back (nullptr);
  gchar **envp = g_environ_setenv (g_get_environ (), "GST_OFFLINE_DIR", w.data_dir, TRUE);
  gchar *out = nullptr, *err = nullptr;
  gint wait_status = 0;
  GError *error = nullptr;
  gboolean ok = ot_spawn_sync (nullptr, (gchar **) argv.data (), envp, G_SPAWN_DEFAULT, setrlimit_fsize,
      GSIZE_TO_POINTER (limit), &out, &err, &wait_status, &error);
  fail_unless (ok, "cannot run %s: %s", cli, error ? error->message : "?");
  g_strfreev (envp);
  CliResult r;
  r.status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : 128 + WTERMSIG (wait_status);
  r.out = out;
  r.err = err;
  g_free (out);
  g_free (err);
  return r;
}

#define assert_status(r, expected)                                                                       \
  fail_unless ((r).status == (expected), "gst-offline exited with %d, expected %d\nstdout:\n%s\nstderr:\n%s", \
      (r).status, (expected), (r).out.c_str (), (r).err.c_str ())

/* The one-line reason of a failed download: stderr has exactly one line from
 * gst-offline, "gst-offline: download ID failed: <reason>". */
std::string
failure_reason (const CliResult &r)
{
  std::string prefix = std::string ("gst-offline: download ") + kId + " failed: ";
  std::vector<std::string> ours;
  gchar **lines = g_strsplit (r.err.c_str (), "\n", -1);
  for (gchar **l = lines; *l; l++)
    if (g_str_has_prefix (*l, "gst-offline:"))
      ours.emplace_back (*l);
  g_strfreev (lines);
  fail_unless (ours.size () == 1, "expected one 'gst-offline:' line on stderr, got %u:\n%s", (guint) ours.size (),
      r.err.c_str ());
  fail_unless (g_str_has_prefix (ours[0].c_str (), prefix.c_str ()), "stderr line is not '%s<reason>': %s",
      prefix.c_str (), ours[0].c_str ());
  std::string reason = ours[0].substr (prefix.size ());
  fail_unless (!reason.empty (), "empty failure reason: %s", ours[0].c_str ());
  return reason;
}

gboolean
contains_ci (const std::string &haystack, const gchar *needle)
{
  gchar *h = g_ascii_strdown (haystack.c_str (), -1);
  gchar *n = g_ascii_strdown (needle, -1);
  gboolean found = strstr (h, n) != nullptr;
  g_free (h);
  g_free (n);
  return found;
}

GstOfflineDownload *
get_download (const gchar *data_dir, const gchar *id = kId)
{
  return ot::index_download (data_dir, id);
}

/* The index says the download is whole, and the cache holds exactly its bytes. */
void
assert_completed (World &w)
{
  GstOfflineDownload *d = get_download (w.data_dir);
  assert_state (d, GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
  fail_unless_equals_string (gst_offline_download_get_uri (d), w.url);
  fail_unless (gst_offline_download_get_download_type (d) == GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE,
      "download type is %s", gst_offline_download_type_to_string (gst_offline_download_get_download_type (d)));
  fail_unless (gst_offline_download_get_failure_message (d) == nullptr, "a completed download has a failure: %s",
      gst_offline_download_get_failure_message (d));
  fail_unless (gst_offline_download_get_bytes_downloaded (d) == w.size,
      "bytes_downloaded %" G_GUINT64_FORMAT " != size %" G_GSIZE_FORMAT, gst_offline_download_get_bytes_downloaded (d),
      w.size);
  fail_unless (gst_offline_download_get_content_length (d) == (gint64) w.size,
      "content_length %" G_GINT64_FORMAT " != size %" G_GSIZE_FORMAT, gst_offline_download_get_content_length (d),
      w.size);
  fail_unless (fabs (gst_offline_download_get_percent_downloaded (d) - 100.0) < 1e-6, "percent is %f",
      gst_offline_download_get_percent_downloaded (d));
  g_object_unref (d);

  GError *error = nullptr;
  GstOfflineCache *cache = gst_offline_cache_new (w.data_dir, &error);
  fail_unless (cache != nullptr, "cannot open the cache: %s", error ? error->message : "?");
  guint64 length = 0;
  gchar *path = gst_offline_cache_lookup (cache, w.url, &length, &error);
  fail_unless (path != nullptr, "the cache has no whole resource for %s: %s", w.url, error ? error->message : "?");
  fail_unless (length == w.size, "cached length %" G_GUINT64_FORMAT " != %" G_GSIZE_FORMAT, length, w.size);
  GBytes *cached = ot_read_file (path);
  fail_unless (g_bytes_get_size (cached) == w.size, "cache file %s has %" G_GSIZE_FORMAT " bytes, expected %" G_GSIZE_FORMAT,
      path, g_bytes_get_size (cached), w.size);
  fail_unless (g_bytes_equal (cached, w.bytes), "cache file %s differs from the original", path);
  g_bytes_unref (cached);
  g_free (path);
  g_object_unref (cache);
}

void
assert_not_cached (World &w)
{
  GError *error = nullptr;
  GstOfflineCache *cache = gst_offline_cache_new (w.data_dir, &error);
  fail_unless (cache != nullptr, "cannot open the cache: %s", error ? error->message : "?");
  guint64 length = 0;
  gchar *path = gst_offline_cache_lookup (cache, w.url, &length, &error);
  fail_unless (path == nullptr, "a whole resource is in the cache after a failure: %s (%" G_GUINT64_FORMAT " bytes)",
      path, length);
  fail_unless (error != nullptr, "lookup failed without an error");
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND),
      "lookup failed with %s:%d '%s', expected NOT_FOUND", g_quark_to_string (error->domain), error->code,
      error->message);
  g_error_free (error);
  g_object_unref (cache);
}

/* The library's own integrity checks find nothing wrong. */
void
assert_verify_clean (World &w)
{
  GError *error = nullptr;
  GstOfflineCache *cache = gst_offline_cache_new (w.data_dir, &error);
  fail_unless (cache != nullptr, "cannot open the cache: %s", error ? error->message : "?");
  GPtrArray *problems = gst_offline_cache_verify (cache, nullptr, &error);
  fail_unless (problems != nullptr, "cache verify failed: %s", error ? error->message : "?");
  fail_unless (problems->len == 0, "cache verify: %u problems, first: %s", problems->len,
      problems->len ? (const gchar *) g_ptr_array_index (problems, 0) : "");
  g_ptr_array_unref (problems);
  g_object_unref (cache);

  GstOfflineDownloadIndex *index = gst_offline_download_index_new (w.data_dir, &error);
  fail_unless (index != nullptr, "cannot open the index: %s", error ? error->message : "?");
  problems = gst_offline_download_index_verify (index, nullptr, &error);
  fail_unless (problems != nullptr, "index verify failed: %s", error ? error->message : "?");
  fail_unless (problems->len == 0, "index verify: %u problems, first: %s", problems->len,
      problems->len ? (const gchar *) g_ptr_array_index (problems, 0) : "");
  g_ptr_array_unref (problems);
  g_object_unref (index);

  CliResult r = ot::run (w.data_dir, { "verify" });
  assert_status (r, 0);
}

/* The failed download kept its partial data and says why it failed. */
GstOfflineDownload *
assert_failed (World &w)
{
  GstOfflineDownload *d = get_download (w.data_dir);
  assert_state (d, GST_OFFLINE_DOWNLOAD_STATE_FAILED);
  const gchar *failure = gst_offline_download_get_failure_message (d);
  fail_unless (failure != nullptr && *failure, "a failed download has no failure message");
  return d;
}

/* "bytes=N-" or "bytes=N-M": N, or -1 if there is no Range. */
gint64
range_start (OtServer *server)
{
  gchar *range = ot_server_get_last_range (server, kPath);
  if (!range)
    return -1;
  fail_unless (g_str_has_prefix (range, "bytes="), "odd Range header: %s", range);
  gchar *end = nullptr;
  gint64 start = g_ascii_strtoll (range + 6, &end, 10);
  fail_unless (end != range + 6 && *end == '-', "odd Range header: %s", range);
  g_free (range);
  return start;
}

}  // namespace

/* 1. A plain download: the cache holds the original bytes and the index says
 * it is complete. */
GST_START_TEST (test_plain_download)
{
  World w ("plain");
  CliResult r = download (w);
  assert_status (r, 0);
  std::string done = std::string (kId) + ": completed, " + std::to_string (w.size) + " bytes";
  fail_unless (r.out.find (done) != std::string::npos, "stdout lacks '%s':\n%s", done.c_str (), r.out.c_str ());
  assert_completed (w);
  assert_verify_clean (w);
  /* The file went over the wire once (a small probe aside). */
  guint64 sent = ot_server_get_bytes_sent (w.server, kPath);
  fail_unless (sent >= w.size && sent <= w.size + 64 * 1024,
      "the server sent %" G_GUINT64_FORMAT " bytes for a %" G_GSIZE_FORMAT "-byte file", sent, w.size);

  /* The cached file decodes, without network, exactly as the original. */
  GError *error = nullptr;
  GstOfflineCache *cache = gst_offline_cache_new (w.data_dir, &error);
  fail_unless (cache != nullptr);
  gchar *path = gst_offline_cache_lookup (cache, w.url, nullptr, &error);
  fail_unless (path != nullptr);
  gchar *original_uri = gst_filename_to_uri (w.media, nullptr);
  gchar *cached_uri = gst_filename_to_uri (path, nullptr);
  gchar *message = nullptr;
  GPtrArray *expected = ot_decode_checksums (original_uri, nullptr, FALSE, &message);
  fail_unless (expected != nullptr, "cannot decode the original: %s", message);
  GPtrArray *actual = ot_decode_checksums (cached_uri, w.data_dir, TRUE, &message);
  fail_unless (actual != nullptr, "cannot decode the cached file: %s", message);
  ot_assert_same_frames (expected, actual);
  g_ptr_array_unref (expected);
  g_ptr_array_unref (actual);
  g_free (original_uri);
  g_free (cached_uri);
  g_free (path);
  g_object_unref (cache);
}
GST_END_TEST;

/* 2. Cut off mid-file with no retries: fails, keeps exactly what arrived, and
 * the next run fetches only the rest with a Range request. */
GST_START_TEST (test_cut_off_then_resume)
{
  World w ("cut-off");
  gsize cut = w.size * 2 / 5;
  ot_server_set_fault (w.server, kPath, OT_FAULT_CLOSE_AFTER, cut, 1);

  CliResult r = download (w, { "--retries", "0" });
  assert_status (r, 1);
  std::string reason = failure_reason (r);
  guint64 sent_first = ot_server_get_bytes_sent (w.server, kPath);
  fail_unless (sent_first == cut, "the server sent %" G_GUINT64_FORMAT " bytes, expected %" G_GSIZE_FORMAT,
      sent_first, cut);

  GstOfflineDownload *d = assert_failed (w);
  fail_unless (gst_offline_download_get_bytes_downloaded (d) == cut,
      "bytes_downloaded %" G_GUINT64_FORMAT " != the %" G_GSIZE_FORMAT " bytes received (reason: %s)",
      gst_offline_download_get_bytes_downloaded (d), cut, reason.c_str ());
  g_object_unref (d);
  assert_not_cached (w);

  guint requests_first = ot_server_get_request_count (w.server, kPath);
  r = download (w);
  assert_status (r, 0);
  fail_unless (ot_server_get_request_count (w.server, kPath) > requests_first);
  gint64 start = range_start (w.server);
  fail_unless (start == (gint64) cut, "the resume asked Range from %" G_GINT64_FORMAT ", expected %" G_GSIZE_FORMAT,
      start, cut);
  guint64 sent_second = ot_server_get_bytes_sent (w.server, kPath) - sent_first;
  fail_unless (sent_second == w.size - cut,
      "the resume fetched %" G_GUINT64_FORMAT " bytes, expected only the missing %" G_GSIZE_FORMAT, sent_second,
      w.size - cut);
  assert_completed (w);
  assert_verify_clean (w);
}
GST_END_TEST;

/* 3. The same cut-off with the default retries: one run completes, the retry
 * resuming with a Range request. */
GST_START_TEST (test_cut_off_retried)
{
  World w ("cut-off-retried");
  gsize cut = w.size * 2 / 5;
  ot_server_set_fault (w.server, kPath, OT_FAULT_CLOSE_AFTER, cut, 1);

  CliResult r = download (w);
  assert_status (r, 0);
  gint64 start = range_start (w.server);
  fail_unless (start == (gint64) cut, "the retry asked Range from %" G_GINT64_FORMAT ", expected %" G_GSIZE_FORMAT,
      start, cut);
  guint64 sent = ot_server_get_bytes_sent (w.server, kPath);
  fail_unless (sent == w.size, "the server sent %" G_GUINT64_FORMAT " bytes in all for a %" G_GSIZE_FORMAT "-byte file",
      sent, w.size);
  assert_completed (w);
  assert_verify_clean (w);
}
GST_END_TEST;

/* 4. SIGKILL mid-download: the next run resumes from the last durable
 * checkpoint rather than from zero. */
/* Runs `done` on download kId as the index shows it, until it returns true:
 * at once, then whenever the CLI's process changes the data directory (each
 * of its commits writes the database's files). */
static void watch_download (World &w, const std::function<bool (GstOfflineDownload *)> &done)
{
  struct Watch {
    const gchar *data_dir;
    const std::function<bool (GstOfflineDownload *)> &done;
    GstOfflineDownloadIndex *index = nullptr;
  } watch { w.data_dir, done };
  ot_wait_for_changes (w.data_dir, [] (gpointer data) -> gboolean {
    auto watch = static_cast<Watch *> (data);
    if (!watch->index && !(watch->index = gst_offline_download_index_new (watch->data_dir, nullptr)))
      return FALSE;
    g_autoptr (GstOfflineDownload) d = gst_offline_download_index_get_download (watch->index, kId, nullptr);
    return d && watch->done (d);
  }, &watch);
  g_clear_object (&watch.index);
}

GST_START_TEST (test_sigkill_resume)
{
  gchar *media_dir = ot_make_temp_dir ("long-media");
  gchar *media = ot_make_mp4 (media_dir, "long.mp4", 140, FALSE);
  World w ("sigkill", media);
  g_free (media);
  g_free (media_dir);
  fail_unless (w.size > 5 * 1024 * 1024, "the long MP4 has only %" G_GSIZE_FORMAT " bytes", w.size);
  ot_server_set_rate (w.server, kPath, 1024 * 1024);

  const gchar *argv[] = { "download", w.url, "--id", kId, nullptr };
  fail_unless (g_mkdir_with_parents (w.data_dir, 0700) == 0);
  GPid pid = ot_spawn_cli (w.data_dir, argv);

  /* Wait until the index shows progress past 30%. */
  guint64 progress = 0;
  watch_download (w, [&] (GstOfflineDownload *d) {
    progress = gst_offline_download_get_bytes_downloaded (d);
    fail_if (gst_offline_download_is_terminal (d), "the download ended before it could be killed");
    return progress > w.size * 3 / 10;
  });
  kill (pid, SIGKILL);
  fail_unless_equals_int (ot_wait_pid (pid), 128 + SIGKILL);
  guint64 sent_first = ot_server_get_bytes_sent (w.server, kPath);

  ot_server_set_rate (w.server, kPath, 0);
  CliResult r = download (w);
  assert_status (r, 0);
  gint64 start = range_start (w.server);
  fail_unless (start > 0, "the run after SIGKILL did not resume with a Range request");
  /* It resumes from its last durable progress: that may be behind the
   * progress the index showed, never past what the server had sent. */
  fail_unless ((guint64) start <= sent_first,
      "the resume started at %" G_GINT64_FORMAT ", past the %" G_GUINT64_FORMAT " bytes sent before the kill", start,
      sent_first);
  GST_INFO ("killed at %" G_GUINT64_FORMAT " bytes in the index, %" G_GUINT64_FORMAT " sent; resumed from %" G_GINT64_FORMAT,
      progress, sent_first, start);
  guint64 sent = ot_server_get_bytes_sent (w.server, kPath);
  fail_unless (sent < w.size * 3 / 2,
      "%" G_GUINT64_FORMAT " bytes sent over both runs (%" G_GUINT64_FORMAT " before the kill) for a %" G_GSIZE_FORMAT "-byte file",
      sent, sent_first, w.size);
  assert_completed (w);
  assert_verify_clean (w);
}
GST_END_TEST;

/* 5. HTTP errors fail the download with the status in the reason. */
static void
check_http_error (World &w, guint status, const gchar *url)
{
  CliResult r = download (w, { "--retries", "1" }, url);
  assert_status (r, 1);
  std::string reason = failure_reason (r);
  gchar *code = g_strdup_printf ("%u", status);
  fail_unless (reason.find (code) != std::string::npos, "the reason does not name HTTP %s: %s", code, reason.c_str ());
  GstOfflineDownload *d = assert_failed (w);
  fail_unless (strstr (gst_offline_download_get_failure_message (d), code) != nullptr,
      "the index's failure does not name HTTP %s: %s", code, gst_offline_download_get_failure_message (d));
  fail_unless (gst_offline_download_get_failure_code (d) == GST_OFFLINE_ERROR_HTTP, "failure code %d, expected HTTP",
      gst_offline_download_get_failure_code (d));
  g_object_unref (d);
  g_free (code);
}

GST_START_TEST (test_http_404)
{
  World w ("http-404");
  gchar *missing = g_strconcat (ot_server_get_base_url (w.server), "/missing.mp4", nullptr);
  check_http_error (w, 404, missing);
  g_free (w.url);
  w.url = missing;
  assert_not_cached (w);
  assert_verify_clean (w);
}
GST_END_TEST;

GST_START_TEST (test_http_500)
{
  World w ("http-500");
  ot_server_set_fault (w.server, kPath, OT_FAULT_STATUS, 500, -1);
  check_http_error (w, 500, nullptr);
  /* --retries 1: the request was made, then retried once. */
  fail_unless_equals_int (ot_server_get_request_count (w.server, kPath), 2);
  assert_not_cached (w);
  assert_verify_clean (w);
}
GST_END_TEST;

/* 6. Every response ends early, and after the first one no byte gets through:
 * the download fails saying the connection closed early, keeping what
 * arrived. (The retry count starts again whenever bytes arrive, so the later
 * answers must make no progress for --retries to run out.) */
GST_START_TEST (test_closed_early_always)
{
  World w ("closed-early");
  gsize cut = w.size * 3 / 10;
  ot_server_set_fault (w.server, kPath, OT_FAULT_CLOSE_AFTER, cut, 1);
  ot_server_queue_fault (w.server, kPath, OT_FAULT_CLOSE_AFTER, 0, -1);

  CliResult r = download (w, { "--retries", "1" });
  assert_status (r, 1);
  std::string reason = failure_reason (r);
  fail_unless (contains_ci (reason, "clos") || contains_ci (reason, "early") || contains_ci (reason, "prematur") ||
                   contains_ci (reason, "truncat") || contains_ci (reason, "lost") ||
                   contains_ci (reason, "terminated unexpectedly"),
      "the reason does not say the connection closed early: %s", reason.c_str ());
  /* One request, then one retry that resumed where the first stopped. */
  fail_unless_equals_int (ot_server_get_request_count (w.server, kPath), 2);
  fail_unless (range_start (w.server) == (gint64) cut, "the retry did not resume at byte %" G_GSIZE_FORMAT, cut);
  GstOfflineDownload *d = assert_failed (w);
  fail_unless (gst_offline_download_get_bytes_downloaded (d) == cut,
      "bytes_downloaded %" G_GUINT64_FORMAT ", expected the %" G_GSIZE_FORMAT " bytes that arrived",
      gst_offline_download_get_bytes_downloaded (d), cut);
  fail_unless (gst_offline_download_get_failure_code (d) == GST_OFFLINE_ERROR_NETWORK,
      "failure code %d, expected NETWORK", gst_offline_download_get_failure_code (d));
  g_object_unref (d);
  assert_not_cached (w);
  assert_verify_clean (w);
}
GST_END_TEST;

/* 6b. Every response ends early but each brings new bytes: the retry count
 * starts again with progress, so even --retries 1 gets the whole file. */
GST_START_TEST (test_closed_early_progressing)
{
  World w ("closed-early-progressing");
  gsize cut = w.size * 3 / 10;
  ot_server_set_fault (w.server, kPath, OT_FAULT_CLOSE_AFTER, cut, -1);

  CliResult r = download (w, { "--retries", "1" });
  assert_status (r, 0);
  /* 30% per answer: four requests, each resuming where the last stopped. */
  fail_unless_equals_int (ot_server_get_request_count (w.server, kPath), 4);
  fail_unless (range_start (w.server) == (gint64) (3 * cut), "the last request did not start at byte %" G_GSIZE_FORMAT,
      3 * cut);
  fail_unless (ot_server_get_bytes_sent (w.server, kPath) == w.size, "%" G_GUINT64_FORMAT " bytes sent for %" G_GSIZE_FORMAT,
      ot_server_get_bytes_sent (w.server, kPath), w.size);
  assert_completed (w);
  assert_verify_clean (w);
}
GST_END_TEST;

/* 7. The server ignores Range when the download resumes: it still ends with
 * the right bytes. */
GST_START_TEST (test_resume_range_ignored)
{
  World w ("range-ignored");
  gsize cut = w.size * 2 / 5;
  ot_server_set_fault (w.server, kPath, OT_FAULT_CLOSE_AFTER, cut, 1);
  CliResult r = download (w, { "--retries", "0" });
  assert_status (r, 1);
  failure_reason (r);

  ot_server_set_fault (w.server, kPath, OT_FAULT_IGNORE_RANGE, 0, -1);
  guint64 sent_first = ot_server_get_bytes_sent (w.server, kPath);
  r = download (w);
  assert_status (r, 0);
  /* The resume did ask for the rest; the answer was the whole file. */
  gchar *range = ot_server_get_last_range (w.server, kPath);
  fail_unless (range != nullptr || ot_server_get_request_count (w.server, kPath) > 2,
      "the resume sent no Range request");
  g_free (range);
  guint64 sent = ot_server_get_bytes_sent (w.server, kPath) - sent_first;
  fail_unless (sent <= 2 * w.size, "the resume had %" G_GUINT64_FORMAT " bytes sent", sent);
  assert_completed (w);
  assert_verify_clean (w);
}
GST_END_TEST;

/* 8. Not a media file: refused with a clear reason. */
static void
check_not_media (const gchar *name, const gchar *contents_path)
{
  World w (name, contents_path);
  CliResult r = download (w);
  assert_status (r, 1);
  std::string reason = failure_reason (r);
  fail_unless (contains_ci (reason, "media"), "the reason does not say it is not a media file: %s", reason.c_str ());
  GstOfflineDownload *d = assert_failed (w);
  g_object_unref (d);
  assert_not_cached (w);
  assert_verify_clean (w);
}

GST_START_TEST (test_not_media_html)
{
  gchar *dir = ot_make_temp_dir ("html");
  gchar *path = g_build_filename (dir, "page.html", nullptr);
  GString *html = g_string_new ("<!DOCTYPE html>\n<html><head><title>Not a movie</title></head><body>\n");
  for (guint i = 0; i < 4000; i++)
    g_string_append (html, "<p>This is a web page, not a movie.</p>\n");
  g_string_append (html, "</body></html>\n");
  fail_unless (g_file_set_contents (path, html->str, html->len, nullptr));
  g_string_free (html, TRUE);
  check_not_media ("not-media-html", path);
  g_free (path);
  g_free (dir);
}
GST_END_TEST;

GST_START_TEST (test_not_media_random)
{
  gchar *dir = ot_make_temp_dir ("random");
  gchar *path = ot_make_random_file (dir, "random.bin", 300 * 1024);
  check_not_media ("not-media-random", path);
  g_free (path);
  g_free (dir);
}
GST_END_TEST;

/* 9. A write error (the file size limit, EFBIG): fails saying the disk is
 * full, keeps what fits, and resumes once there is room. */
GST_START_TEST (test_write_error)
{
  World w ("write-error");
  gsize limit = w.size / 2;
  CliResult r = download_with_fsize_limit (w, limit, { "--retries", "0" });
  assert_status (r, 1);
  std::string reason = failure_reason (r);
  fail_unless (contains_ci (reason, "space") || contains_ci (reason, "too large") || contains_ci (reason, "full"),
      "the reason does not say the disk is full or the file too large: %s", reason.c_str ());
  GstOfflineDownload *d = assert_failed (w);
  fail_unless (gst_offline_download_get_bytes_downloaded (d) <= limit,
      "bytes_downloaded %" G_GUINT64_FORMAT " is over the file size limit %" G_GSIZE_FORMAT,
      gst_offline_download_get_bytes_downloaded (d), limit);
  fail_unless (gst_offline_download_get_failure_code (d) == GST_OFFLINE_ERROR_NO_SPACE,
      "failure code %d, expected NO_SPACE", gst_offline_download_get_failure_code (d));
  guint64 kept = gst_offline_download_get_bytes_downloaded (d);
  g_object_unref (d);
  assert_not_cached (w);

  r = download (w);
  assert_status (r, 0);
  if (kept > 0) {
    gint64 start = range_start (w.server);
    fail_unless (start >= (gint64) kept, "the resume asked Range from %" G_GINT64_FORMAT " though %" G_GUINT64_FORMAT " bytes were kept",
        start, kept);
  }
  assert_completed (w);
  assert_verify_clean (w);
}
GST_END_TEST;

/* 10. Chunked transfer, no Content-Length: the length is learnt at the end. */
GST_START_TEST (test_chunked)
{
  World w ("chunked");
  ot_server_set_fault (w.server, kPath, OT_FAULT_CHUNKED, 0, -1);
  /* Slow enough to watch it while it runs. */
  ot_server_set_rate (w.server, kPath, w.size / 2);

  const gchar *argv[] = { "download", w.url, "--id", kId, nullptr };
  fail_unless (g_mkdir_with_parents (w.data_dir, 0700) == 0);
  GPid pid = ot_spawn_cli (w.data_dir, argv);
  guint running_rows = 0;
  watch_download (w, [&] (GstOfflineDownload *d) {
    gboolean terminal = gst_offline_download_is_terminal (d);
    if (!terminal && gst_offline_download_get_bytes_downloaded (d) < w.size) {
      running_rows++;
      fail_unless (gst_offline_download_get_content_length (d) == -1,
          "content_length is %" G_GINT64_FORMAT " while a chunked download runs (%" G_GUINT64_FORMAT " bytes in)",
          gst_offline_download_get_content_length (d), gst_offline_download_get_bytes_downloaded (d));
    }
    return terminal;
  });
  fail_unless_equals_int (ot_wait_pid (pid), 0);
  GST_INFO ("saw %u rows of the running chunked download", running_rows);
  fail_if (ot_server_get_last_range (w.server, kPath) != nullptr, "a fresh download sent a Range");
  assert_completed (w);
  assert_verify_clean (w);
}
GST_END_TEST;

/* 11. Headers given with --header reach the server, and the download keeps
 * them: resuming it without --header sends them again. */
GST_START_TEST (test_headers_kept_for_resume)
{
  World w ("headers");
  ot_server_set_fault (w.server, kPath, OT_FAULT_CLOSE_AFTER, w.size / 3, 1);
  CliResult r = download (w, { "--header", "X-Token: secret-1", "--header", "Accept-Language: fr", "--retries", "0" });
  assert_status (r, 1);
  gchar *token = ot_server_get_last_header (w.server, kPath, "X-Token");
  fail_unless (token && strcmp (token, "secret-1") == 0, "X-Token was %s", GST_STR_NULL (token));
  g_free (token);

  r = download (w);
  assert_status (r, 0);
  fail_unless (range_start (w.server) > 0, "the second run did not resume");
  token = ot_server_get_last_header (w.server, kPath, "x-token");
  fail_unless (token && strcmp (token, "secret-1") == 0, "the resumed request's X-Token was %s", GST_STR_NULL (token));
  g_free (token);
  gchar *language = ot_server_get_last_header (w.server, kPath, "Accept-Language");
  fail_unless (language && strcmp (language, "fr") == 0, "Accept-Language was %s", GST_STR_NULL (language));
  g_free (language);
  assert_completed (w);
}
GST_END_TEST;

/* 12. A redirect to another http URL is followed; the resource is cached
 * under the URL the download was asked for. */
GST_START_TEST (test_redirect_followed)
{
  World w ("redirect");
  gchar *target = g_strdup (w.url);
  g_free (w.url);
  w.url = ot_server_add_redirect (w.server, "/moved.mp4", target);
  CliResult r = download (w);
  assert_status (r, 0);
  fail_unless_equals_int (ot_server_get_request_count (w.server, "/moved.mp4"), 1);
  fail_unless_equals_int (ot_server_get_request_count (w.server, kPath), 1);
  assert_completed (w);
  g_free (target);
}
GST_END_TEST;

/* 13. A redirect to anything but http(s) is not followed: a clear failure. */
GST_START_TEST (test_redirect_to_file_refused)
{
  World w ("redirect-file");
  g_free (w.url);
  w.url = ot_server_add_redirect (w.server, "/evil.mp4", "file:///etc/passwd");
  CliResult r = download (w);
  assert_status (r, 1);
  /* Permanent: not retried, even with the default retries. */
  fail_unless_equals_int (ot_server_get_request_count (w.server, "/evil.mp4"), 1);
  std::string reason = failure_reason (r);
  fail_unless (contains_ci (reason, "302") || contains_ci (reason, "redirect"), "reason: %s", reason.c_str ());
  GstOfflineDownload *d = assert_failed (w);
  g_object_unref (d);
  assert_not_cached (w);
}
GST_END_TEST;

static Suite *
download_suite (void)
{
  Suite *s = suite_create ("download");
  TCase *tc = tcase_create ("progressive");
  make_shared_media ();
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_plain_download);
  tcase_add_test (tc, test_cut_off_then_resume);
  tcase_add_test (tc, test_cut_off_retried);
  tcase_add_test (tc, test_sigkill_resume);
  tcase_add_test (tc, test_http_404);
  tcase_add_test (tc, test_http_500);
  tcase_add_test (tc, test_closed_early_always);
  tcase_add_test (tc, test_closed_early_progressing);
  tcase_add_test (tc, test_resume_range_ignored);
  tcase_add_test (tc, test_not_media_html);
  tcase_add_test (tc, test_not_media_random);
  tcase_add_test (tc, test_write_error);
  tcase_add_test (tc, test_chunked);
  tcase_add_test (tc, test_headers_kept_for_resume);
  tcase_add_test (tc, test_redirect_followed);
  tcase_add_test (tc, test_redirect_to_file_refused);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (download);
