/* DASH downloads end to end through the CLI: ffmpeg's dash muxer output
 * (SegmentTemplate with a timeline, with $Number$, single files with byte
 * ranges) served on 127.0.0.1, downloaded, and checked in the cache and the
 * playback plan; track selection fetching nothing of what was not chosen;
 * manifests that are malformed, live or not DASH at all.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "adaptive-content.h"
#include "download-checks.h"
#include "private-tmpfs.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace {

using ot::Cli;
using ot::run;
using ot::serve_dir;
using ot::cached;
using ot::assert_verify_clean;
#define assert_exit ot_assert_exit

/* Makes a DASH presentation with ffmpeg in a new folder: two video
 * Representations (180p, 360p) and one audio, 2 s segments. */
gchar *make_dash (const char *name, const std::vector<const char *> &extra)
{
  gchar *dir = ot_make_temp_dir (name);
  g_autofree gchar *mpd = g_build_filename (dir, "manifest.mpd", nullptr);
  std::vector<const char *> output = { "-adaptation_sets", "id=0,streams=v id=1,streams=a", "-seg_duration", "2" };
  output.insert (output.end (), extra.begin (), extra.end ());
  output.insert (output.end (), { "-f", "dash", mpd });
  ot::make_ladder (dir, output);
  return dir;
}

std::string url_of (OtServer *server, const std::string &name)
{
  return std::string (ot_server_get_base_url (server)) + "/" + name;
}

}  // namespace

GST_START_TEST (test_default_download_caches_every_file)
{
  g_autofree gchar *dir = make_dash ("timeline", {});
  g_autofree gchar *data = g_build_filename (dir, "data", nullptr);
  OtServer *server = ot_server_new ();
  auto names = serve_dir (server, dir);
  std::string mpd = url_of (server, "manifest.mpd");
  Cli r = run (data, { "download", mpd.c_str (), "--id", "movie" });
  assert_exit (r, 0);

  /* Default: the best video (360p) and the audio; nothing of the 180p. */
  for (const auto &name : names) {
    std::string path = "/" + name;
    bool small = name.find ("stream0") != std::string::npos;
    guint requests = ot_server_get_request_count (server, path.c_str ());
    if (small) {
      fail_unless_equals_int (requests, 0);
      continue;
    }
    fail_unless (requests == 1, "%s was requested %u times", name.c_str (), requests);
    g_autofree gchar *local = g_build_filename (dir, name.c_str (), nullptr);
    g_autoptr (GBytes) original = ot_read_file (local);
    g_autoptr (GBytes) copy = cached (data, url_of (server, name));
    fail_unless (g_bytes_equal (original, copy), "%s differs in the cache", name.c_str ());
  }

  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (data, nullptr);
  g_autoptr (GPtrArray) tracks = gst_offline_download_index_get_tracks (index, "movie", nullptr);
  fail_unless_equals_int (tracks->len, 2);
  auto video = GST_OFFLINE_TRACK (g_ptr_array_index (tracks, 0));
  fail_unless_equals_int (gst_offline_track_get_height (video), 360);
  fail_unless_equals_string (gst_offline_track_get_container (video), "fmp4");
  g_autoptr (GPtrArray) segments = gst_offline_download_index_get_segments (index, "movie", 0, 0, 100, nullptr);
  fail_unless_equals_int (segments->len, 3);
  auto first = static_cast<GstOfflineSegment *> (g_ptr_array_index (segments, 0));
  fail_unless (first->start == 0 && first->init_resource != nullptr);
  GstClockTime duration = gst_offline_download_index_get_duration (index, "movie");
  fail_unless (duration > 5 * GST_SECOND && duration <= 6 * GST_SECOND + GST_MSECOND, "%" GST_TIME_FORMAT,
      GST_TIME_ARGS (duration));
  g_autoptr (GstOfflineDownload) d = gst_offline_download_index_get_download (index, "movie", nullptr);
  fail_unless_equals_int (gst_offline_download_get_download_type (d), GST_OFFLINE_DOWNLOAD_TYPE_DASH);
  /* No SPEC given: the request names no track, the plan has the default. */
  fail_unless_equals_int (g_strv_length ((gchar **) gst_offline_download_request_get_stream_keys (
      gst_offline_download_get_request (d))), 0);
  assert_verify_clean (data);

  /* Again: every segment is whole, nothing is fetched but the check. */
  guint before = ot_server_get_request_count (server, "/init-stream1.m4s");
  r = run (data, { "download", mpd.c_str (), "--id", "movie" });
  assert_exit (r, 0);
  fail_unless_equals_int (ot_server_get_request_count (server, "/init-stream1.m4s"), before);
  ot_server_free (server);
}
GST_END_TEST;

GST_START_TEST (test_selection_fetches_only_what_was_chosen)
{
  g_autofree gchar *dir = make_dash ("number", { "-use_timeline", "0" });
  g_autofree gchar *data = g_build_filename (dir, "data", nullptr);
  OtServer *server = ot_server_new ();
  auto names = serve_dir (server, dir);
  std::string mpd = url_of (server, "manifest.mpd");

  Cli inspect = run (data, { "inspect", mpd.c_str (), "--json" });
  assert_exit (inspect, 0);
  g_autoptr (JsonParser) parser = json_parser_new ();
  fail_unless (json_parser_load_from_data (parser, inspect.out.c_str (), -1, nullptr), "%s", inspect.out.c_str ());
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  fail_unless_equals_string (json_object_get_string_member (root, "type"), "dash");
  JsonArray *tracks = json_object_get_array_member (root, "tracks");
  fail_unless_equals_int (json_array_get_length (tracks), 3);
  JsonObject *small = json_array_get_object_element (tracks, 0);
  fail_unless_equals_int (json_object_get_int_member (small, "height"), 180);
  fail_unless_equals_string (json_object_get_string_member (small, "stream_key"), "0.0.0");

  /* inspect asked for the init segments' lengths (HEAD): only what the
   * download asks counts. */
  std::map<std::string, guint> inspected;
  for (const auto &name : names)
    inspected[name] = ot_server_get_request_count (server, ("/" + name).c_str ());
  Cli r = run (data, { "download", mpd.c_str (), "--id", "small", "--video", "180p", "--audio", "none" });
  assert_exit (r, 0);
  guint fetched = 0;
  for (const auto &name : names) {
    guint requests = ot_server_get_request_count (server, ("/" + name).c_str ()) - inspected[name];
    if (name.find ("stream0") != std::string::npos)
      fetched += requests;
    else if (name != "manifest.mpd")
      fail_unless (requests == 0, "%s was fetched though not chosen", name.c_str ());
  }
  fail_unless (fetched >= 4, "the 180p segments were not fetched (%u requests)", fetched);

  Cli bad = run (data, { "download", mpd.c_str (), "--video", "720", "--id", "x" });
  assert_exit (bad, 2);
  Cli none = run (data, { "download", mpd.c_str (), "--video", "100p", "--id", "y" });
  assert_exit (none, 1);
  fail_unless (none.err.find ("100p") != std::string::npos, "%s", none.err.c_str ());
  ot_server_free (server);
}
GST_END_TEST;

GST_START_TEST (test_single_file_byte_ranges_tile_the_file)
{
  g_autofree gchar *dir = make_dash ("single", { "-single_file", "1" });
  g_autofree gchar *data = g_build_filename (dir, "data", nullptr);
  OtServer *server = ot_server_new ();
  serve_dir (server, dir);
  std::string mpd = url_of (server, "manifest.mpd");
  Cli r = run (data, { "download", mpd.c_str (), "--id", "single", "--video", "all" });
  assert_exit (r, 0);

  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (data, nullptr);
  g_autoptr (GPtrArray) tracks = gst_offline_download_index_get_tracks (index, "single", nullptr);
  fail_unless_equals_int (tracks->len, 3);
  for (guint t = 0; t < tracks->len; t++) {
    g_autoptr (GPtrArray) segments = gst_offline_download_index_get_segments (index, "single", t, 0, 1000, nullptr);
    fail_unless (segments->len >= 3, "track %u has %u segments", t, segments->len);
    auto first = static_cast<GstOfflineSegment *> (g_ptr_array_index (segments, 0));
    /* Init and media ranges, joined, are the served file. */
    GByteArray *joined = g_byte_array_new ();
    g_autoptr (GBytes) init = cached (data, first->init_resource);
    g_byte_array_append (joined, static_cast<const guint8 *> (g_bytes_get_data (init, nullptr)), g_bytes_get_size (init));
    for (guint i = 0; i < segments->len; i++) {
      auto s = static_cast<GstOfflineSegment *> (g_ptr_array_index (segments, i));
      fail_unless (strstr (s->resource, " bytes=") != nullptr, "%s is not a byte range", s->resource);
      g_autoptr (GBytes) bytes = cached (data, s->resource);
      g_byte_array_append (joined, static_cast<const guint8 *> (g_bytes_get_data (bytes, nullptr)), g_bytes_get_size (bytes));
    }
    std::string resource (first->resource);
    std::string url = resource.substr (0, resource.find (' '));
    std::string name = url.substr (url.rfind ('/') + 1);
    g_autofree gchar *local = g_build_filename (dir, name.c_str (), nullptr);
    g_autoptr (GBytes) original = ot_read_file (local);
    g_autoptr (GBytes) rebuilt = g_byte_array_free_to_bytes (joined);
    /* ffmpeg's single file may start with an index (sidx) the plan skips. */
    gsize original_size = g_bytes_get_size (original), rebuilt_size = g_bytes_get_size (rebuilt);
    fail_unless (rebuilt_size <= original_size && rebuilt_size + 4096 >= original_size,
        "%s: %" G_GSIZE_FORMAT " bytes rebuilt of %" G_GSIZE_FORMAT, name.c_str (), rebuilt_size, original_size);
  }
  assert_verify_clean (data);
  ot_server_free (server);
}
GST_END_TEST;

GST_START_TEST (test_bad_manifests_fail_clearly)
{
  g_autofree gchar *dir = ot_make_temp_dir ("bad-mpd");
  g_autofree gchar *data = g_build_filename (dir, "data", nullptr);
  OtServer *server = ot_server_new ();
  const struct {
    const char *name, *content, *reason;
  } cases[] = {
    { "broken.mpd", "<?xml version=\"1.0\"?><MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\"><Period>",
      "MPD" },
    { "live.mpd", "<?xml version=\"1.0\"?><MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"dynamic\" "
      "availabilityStartTime=\"2020-01-01T00:00:00Z\" minimumUpdatePeriod=\"PT2S\"><Period id=\"0\" start=\"PT0S\">"
      "<AdaptationSet mimeType=\"video/mp4\"><Representation id=\"v\" bandwidth=\"1\"><BaseURL>v.mp4</BaseURL>"
      "<SegmentBase indexRange=\"0-10\"/></Representation></AdaptationSet></Period></MPD>", "dynamic" },
    { "page.mpd", "<html><body>Not here</body></html>", "not a DASH manifest" },
  };
  for (const auto &c : cases) {
    g_autofree gchar *path = g_build_filename (dir, c.name, nullptr);
    fail_unless (g_file_set_contents (path, c.content, -1, nullptr));
    g_autofree gchar *server_path = g_strconcat ("/", c.name, nullptr);
    g_autofree gchar *url = ot_server_add_file (server, server_path, path);
    Cli r = run (data, { "download", url, "--retries", "0" });
    assert_exit (r, 1);
    /* The tool's one line (the test environment adds GStreamer warnings). */
    size_t line = r.err.find ("gst-offline: ");
    fail_unless (line != std::string::npos, "%s: no gst-offline line: %s", c.name, r.err.c_str ());
    std::string reason = r.err.substr (line, r.err.find ('\n', line) - line);
    fail_unless (reason.find (c.reason) != std::string::npos, "%s: the reason does not say '%s': %s", c.name, c.reason,
        reason.c_str ());
  }
  ot_server_free (server);
}
GST_END_TEST;

GST_START_TEST (test_cut_segment_resumes_without_refetching)
{
  g_autofree gchar *dir = make_dash ("cut", {});
  g_autofree gchar *data = g_build_filename (dir, "data", nullptr);
  OtServer *server = ot_server_new ();
  serve_dir (server, dir);
  std::string mpd = url_of (server, "manifest.mpd");
  /* The last video segment is cut once: the download fails, keeping the rest. */
  ot_server_set_fault (server, "/chunk-stream1-00003.m4s", OT_FAULT_CLOSE_AFTER, 1000, 1);
  Cli r = run (data, { "download", mpd.c_str (), "--id", "cut", "--retries", "0" });
  assert_exit (r, 1);
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (data, nullptr);
  g_autoptr (GstOfflineDownload) failed = gst_offline_download_index_get_download (index, "cut", nullptr);
  fail_unless_equals_int (gst_offline_download_get_state (failed), GST_OFFLINE_DOWNLOAD_STATE_FAILED);

  r = run (data, { "download", mpd.c_str (), "--id", "cut" });
  assert_exit (r, 0);
  fail_unless_equals_int (ot_server_get_request_count (server, "/chunk-stream1-00001.m4s"), 1);
  fail_unless_equals_int (ot_server_get_request_count (server, "/init-stream1.m4s"), 1);
  g_autofree gchar *range = ot_server_get_last_range (server, "/chunk-stream1-00003.m4s");
  fail_unless (range && g_str_has_prefix (range, "bytes=1000-"), "the cut segment was not resumed: %s", GST_STR_NULL (range));
  assert_verify_clean (data);
  ot_server_free (server);
}
GST_END_TEST;

GST_START_TEST (test_download_that_cannot_fit_is_refused_before_any_segment)
{
  g_autofree gchar *dir = make_dash ("estimate", {});
  g_autofree gchar *mnt = g_build_filename (dir, "mnt", nullptr);
  fail_unless (g_mkdir (mnt, 0700) == 0);
  ot::mount_private_tmpfs (mnt, 8 * 1024);
  g_autofree gchar *data = g_build_filename (mnt, "data", nullptr);
  OtServer *server = ot_server_new ();
  auto names = serve_dir (server, dir);
  std::string mpd = url_of (server, "manifest.mpd");
  /* Leave free all but 64 KiB of a file system only this test writes to:
   * the segments (bitrate x duration, some hundreds of KiB) cannot fit. */
  struct statvfs st;
  fail_unless (statvfs (mnt, &st) == 0);
  guint64 free_bytes = (guint64) st.f_bavail * st.f_frsize;
  g_autofree gchar *keep = g_strdup_printf ("%" G_GUINT64_FORMAT, free_bytes - 64 * 1024);
  Cli r = run (data, { "download", mpd.c_str (), "--id", "big", "--min-free-space", keep });
  assert_exit (r, 1);
  fail_unless (r.err.find ("not enough space") != std::string::npos, "%s", r.err.c_str ());
  for (const auto &name : names) {
    if (name.find ("chunk-") == 0)
      fail_unless (ot_server_get_request_count (server, ("/" + name).c_str ()) == 0, "%s was fetched", name.c_str ());
  }
  /* A new download refused so leaves nothing behind (test-size-estimate
   * checks the files). */
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (data, nullptr);
  g_autoptr (GError) error = nullptr;
  g_autoptr (GstOfflineDownload) d = gst_offline_download_index_get_download (index, "big", &error);
  fail_unless (d == nullptr && g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND));
  ot_server_free (server);
}
GST_END_TEST;

/* --segment-parallelism (the manager's segment-parallelism) bounds the
 * requests a download has open at once; the default (8) opens 8 when
 * there are that many segments to fetch. Out of range, or with
 * --no-wait (the daemon's then applies), it is a usage error. */
GST_START_TEST (test_segment_parallelism_bounds_open_requests)
{
  g_autofree gchar *dir = make_dash ("parallel", { "-seg_duration", "1" });
  struct {
    const char *parallelism;
    guint at_least, at_most;
  } cases[] = { { "2", 2, 2 }, { nullptr, GST_OFFLINE_DEFAULT_SEGMENT_PARALLELISM, GST_OFFLINE_DEFAULT_SEGMENT_PARALLELISM } };
  for (const auto &c : cases) {
    /* A server and a data directory each: nothing cached, counts apart. */
    OtServer *server = ot_server_new ();
    /* The first segment requests wait unanswered until `at_least` of them
     * are open, so a loaded machine cannot hide the parallelism; a client
     * that opens fewer is never answered. */
    ot_server_hold_until (server, "/chunk-*", c.at_least);
    serve_dir (server, dir);
    std::string mpd = url_of (server, "manifest.mpd");
    g_autofree gchar *data = g_build_filename (dir, c.parallelism ? "data-2" : "data-default", nullptr);
    std::vector<const char *> args = { "download", mpd.c_str (), "--id", "movie" };
    if (c.parallelism)
      args.insert (args.end (), { "--segment-parallelism", c.parallelism });
    Cli r = run (data, args);
    assert_exit (r, 0);
    guint open = ot_server_get_max_concurrent (server);
    fail_unless (open >= c.at_least && open <= c.at_most, "%s: %u requests open at once",
        c.parallelism ? c.parallelism : "default", open);
    ot_server_free (server);
  }

  g_autofree gchar *data = g_build_filename (dir, "data-bad", nullptr);
  for (const char *bad : { "0", "17" })
    assert_exit (run (data, { "download", "http://127.0.0.1:9/x.mpd", "--segment-parallelism", bad }), 2);
  assert_exit (run (data, { "download", "http://127.0.0.1:9/x.mpd", "--segment-parallelism", "4", "--no-wait" }), 2);
  assert_exit (run (data, { "daemon", "--segment-parallelism", "0" }), 2);
}
GST_END_TEST;

static Suite *dash_suite (void)
{
  Suite *s = suite_create ("dash-download");
  TCase *tc = tcase_create ("dash");
  tcase_set_timeout (tc, 180);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_default_download_caches_every_file);
  tcase_add_test (tc, test_selection_fetches_only_what_was_chosen);
  tcase_add_test (tc, test_single_file_byte_ranges_tile_the_file);
  tcase_add_test (tc, test_bad_manifests_fail_clearly);
  tcase_add_test (tc, test_cut_segment_resumes_without_refetching);
  tcase_add_test (tc, test_download_that_cannot_fit_is_refused_before_any_segment);
  tcase_add_test (tc, test_segment_parallelism_bounds_open_requests);
  return s;
}

GST_CHECK_MAIN (dash);
