/* Which segments a download fetches, and when: a player asking a running
 * download for a position (through the index, from another process), and
 * downloads of a time range (--start/--end), checked at the test server.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>
#include <gst/offline/offline-playback-private.h>
#include <glib/gstdio.h>

#include "adaptive-content.h"
#include "download-checks.h"
#include "frame-checks.h"

#include <json-glib/json-glib.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace {

using ot::Cli;
using ot::planned_segments;
using ot::PlannedSegment;
using ot::run;
#define assert_exit ot_assert_exit

/* DASH of 6 s in 1 s segments: one video (640x360), one audio. */
gchar *make_dash_1s (const char *name)
{
  gchar *dir = ot_make_temp_dir (name);
  g_autofree gchar *mpd = g_build_filename (dir, "manifest.mpd", nullptr);
  ot::make_ladder (dir, { "-adaptation_sets", "id=0,streams=v id=1,streams=a", "-seg_duration", "1", "-f", "dash", mpd },
      true);
  return dir;
}

/* A server of `dir` whose media segments come at `rate` bytes a second. */
OtServer *slow_server (const gchar *dir, guint rate)
{
  OtServer *server = ot_server_new ();
  for (const auto &name : ot::serve_dir (server, dir)) {
    if (g_str_has_prefix (name.c_str (), "chunk-"))
      ot_server_set_rate (server, ("/" + name).c_str (), rate);
  }
  return server;
}

struct FirstSegmentWhole {
  const gchar *data;
};

gboolean first_segment_is_whole (gpointer user_data)
{
  auto *w = static_cast<FirstSegmentWhole *> (user_data);
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (w->data, nullptr);
  if (!index)
    return FALSE;
  g_autoptr (GPtrArray) segments = gst_offline_download_index_get_segments (index, "movie", 0, 0, 1, nullptr);
  if (!segments || segments->len == 0)
    return FALSE;
  g_autoptr (GstOfflineCache) cache = gst_offline_cache_new (w->data, nullptr);
  auto *first = static_cast<GstOfflineSegment *> (g_ptr_array_index (segments, 0));
  g_autofree gchar *path = gst_offline_cache_lookup (cache, first->resource, nullptr, nullptr);
  return path != nullptr;
}

}  // namespace

/* A download running in another process (the CLI), one segment at a time
 * and slowed down at the server, is asked through the index for the part
 * from 4 s on: once it turns, it fetches every track's segments that end
 * after 4 s, in order, then goes back for the ones before that it had not
 * fetched, and completes with every segment fetched once. */
GST_START_TEST (test_requested_position_is_fetched_next)
{
  g_autofree gchar *dir = make_dash_1s ("position");
  g_autofree gchar *data = g_build_filename (dir, "data", nullptr);
  g_mkdir_with_parents (data, 0700);
  OtServer *server = slow_server (dir, 200 * 1024);
  std::string mpd = std::string (ot_server_get_base_url (server)) + "/manifest.mpd";
  const gchar *argv[] = { "download", mpd.c_str (), "--id", "movie", "--segment-parallelism", "1", nullptr };
  GPid pid = ot_spawn_cli (data, argv);

  FirstSegmentWhole wait { data };
  ot_wait_for_changes (data, first_segment_is_whole, &wait);
  const GstClockTime position = 4 * GST_SECOND;
  {
    g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (data, nullptr);
    GError *error = nullptr;
    fail_unless (gst_offline_download_index_request_position (index, "movie", position, &error), "%s",
        error ? error->message : "");
    fail_if (gst_offline_download_index_request_position (index, "nothing", position, &error));
    fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND));
    g_clear_error (&error);
  }
  fail_unless_equals_int (ot_wait_pid (pid), 0);

  /* Every segment once, in the order of their requests. */
  fail_unless (ot::assert_turned_to (server, planned_segments (data, "movie", server), position) >= 4);
  g_autoptr (GstOfflineDownload) d = ot::index_download (data, "movie");
  ot::assert_state (d, GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
  fail_unless_equals_float (gst_offline_download_get_percent_downloaded (d), 100.0);
  ot::assert_verify_clean (data);
  ot_server_free (server);
}
GST_END_TEST;

namespace {

/* How often the server was asked for each planned segment, checked against
 * what overlaps [start, end) and each track's first segment (where playback
 * anchors the media time): those once, the others never. */
void assert_fetched_only (OtServer *server, const std::vector<PlannedSegment> &segments, GstClockTime start,
    GstClockTime end, const gchar *what)
{
  guint fetched = 0;
  for (const auto &s : segments) {
    guint wanted = (s.end > start && s.start < end) || s.number == 0 ? 1 : 0;
    guint requests = ot_server_get_request_count (server, s.path.c_str ());
    fail_unless (requests == wanted, "%s: %s (%" GST_TIME_FORMAT " - %" GST_TIME_FORMAT ") was requested %u times, "
        "expected %u", what, s.path.c_str (), GST_TIME_ARGS (s.start), GST_TIME_ARGS (s.end), requests, wanted);
    fetched += wanted;
  }
  fail_unless (fetched > 0 && fetched < segments.size (), "%s: %u of %zu segments in the range", what, fetched,
      segments.size ());
}

/* The lines of `kind` with a PTS before `end` (and every other line). */
GPtrArray *lines_before (GPtrArray *lines, const gchar *kind, gint64 end)
{
  GPtrArray *result = g_ptr_array_new_with_free_func (g_free);
  for (const auto &frame : ot::frames_of (lines, "video")) {
    if (g_str_equal (kind, "video") ? frame.pts < end : TRUE)
      g_ptr_array_add (result, g_strdup (frame.line.c_str ()));
  }
  for (const auto &frame : ot::frames_of (lines, "audio")) {
    if (g_str_equal (kind, "audio") ? frame.pts < end : TRUE)
      g_ptr_array_add (result, g_strdup (frame.line.c_str ()));
  }
  return result;
}

/* `offline` shows the references' frames from `start` to `end`: the video
 * frames shown in that time (the first clipped to it) and the audio
 * buffers, leaving out the last 50 ms of audio, whose last buffer the
 * decoder clips at `end`. */
void assert_plays_range (GPtrArray *offline, const ot::References &references, GstClockTime start, GstClockTime end,
    const gchar *what)
{
  gint64 audio_end = static_cast<gint64> (end - 50 * GST_MSECOND);
  g_autoptr (GPtrArray) video_ref = lines_before (references.video, "video", static_cast<gint64> (end));
  g_autoptr (GPtrArray) audio_ref = lines_before (references.audio, "audio", audio_end);
  g_autoptr (GPtrArray) shown = lines_before (offline, "audio", audio_end);
  fail_unless (!ot::frames_of (offline, "video").empty () && ot::frames_of (offline, "video").back ().pts
      < static_cast<gint64> (end), "%s: video after the end", what);
  ot::assert_same_from (shown, video_ref, audio_ref, start, start, what);
}

/* What an export reported as its total (the progress signal's duration), each time. */
struct ExportProgress {
  GMainLoop *loop;
  std::vector<guint64> totals;
  GError *error = nullptr;
};

/* Exports `id` into `path` through the library; returns the totals its
 * progress reported. */
std::vector<guint64> export_totals (const gchar *data, const gchar *id, const std::string &path)
{
  g_autoptr (GMainLoop) loop = g_main_loop_new (nullptr, FALSE);
  ExportProgress progress { loop };
  g_autoptr (GstOfflineExport) exporter = gst_offline_export_new (data, id, path.c_str ());
  g_signal_connect (exporter, "progress", G_CALLBACK (+[] (GstOfflineExport *, guint64, guint64 total, gpointer p) {
    static_cast<ExportProgress *> (p)->totals.push_back (total);
  }), &progress);
  gst_offline_export_run_async (exporter, nullptr, [] (GObject *source, GAsyncResult *result, gpointer p) {
    auto *progress = static_cast<ExportProgress *> (p);
    gst_offline_export_run_finish (GST_OFFLINE_EXPORT (source), result, &progress->error);
    g_main_loop_quit (progress->loop);
  }, &progress);
  g_main_loop_run (loop);
  fail_unless (progress.error == nullptr, "%s", progress.error ? progress.error->message : "");
  return progress.totals;
}

/* Whether `text` parses as one JSON object. */
bool is_json_object (const std::string &text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  return json_parser_load_from_data (parser, text.c_str (), -1, nullptr) && JSON_NODE_HOLDS_OBJECT (
      json_parser_get_root (parser));
}

}  // namespace

/* --start 1.5 --end 3.5 fetches, of every track, only the segments that
 * cover that time; playback plays exactly it (frames as the reference's,
 * the duration query answering the end, a seek inside it); a wider range
 * later fetches only what is missing; bad ranges are refused clearly and
 * leave the download as it was. */
GST_START_TEST (test_dash_time_range)
{
  g_autofree gchar *dir = make_dash_1s ("range-dash");
  g_autofree gchar *data = g_build_filename (dir, "data", nullptr);
  OtServer *server = ot_server_new ();
  ot::serve_dir (server, dir);
  std::string mpd = std::string (ot_server_get_base_url (server)) + "/manifest.mpd";

  Cli r = run (data, { "download", mpd.c_str (), "--id", "movie", "--start", "1.5", "--end", "00:00:03.500" });
  assert_exit (r, 0);
  auto segments = planned_segments (data, "movie", server);
  assert_fetched_only (server, segments, 1500 * GST_MSECOND, 3500 * GST_MSECOND, "1.5 - 3.5 s");
  {
    g_autoptr (GstOfflineDownload) d = ot::index_download (data, "movie");
    ot::assert_state (d, GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
    GstOfflineDownloadRequest *request = gst_offline_download_get_request (d);
    fail_unless_equals_uint64 (gst_offline_download_request_get_range_start (request), 1500 * GST_MSECOND);
    fail_unless_equals_uint64 (gst_offline_download_request_get_range_end (request), 3500 * GST_MSECOND);
  }
  r = run (data, { "status", "movie", "--json" });
  assert_exit (r, 0);
  fail_unless (is_json_object (r.out), "%s", r.out.c_str ());
  fail_unless (r.out.find ("\"range_start\" : 1.5") != std::string::npos
          && r.out.find ("\"range_end\" : 3.5") != std::string::npos,
      "status --json shows no range: %s", r.out.c_str ());
  r = run (data, { "status", "movie" });
  assert_exit (r, 0);
  fail_unless (r.out.find ("range: 0:00:01.500 to 0:00:03.500") != std::string::npos, "%s", r.out.c_str ());
  r = run (data, { "list" });
  assert_exit (r, 0);
  fail_unless (r.out.find (mpd + " (range 0:00:01.500 to 0:00:03.500)\n") != std::string::npos, "%s", r.out.c_str ());

  /* Plays exactly the range. */
  ot::References references = ot::dash_references (dir, data);
  {
    g_autoptr (GPtrArray) offline = ot::decode ("offline://movie", data);
    assert_plays_range (offline, references, 1500 * GST_MSECOND, 3500 * GST_MSECOND, "the range");
    g_autoptr (GPtrArray) seeked = ot::decode ("offline://movie", data, 2500 * GST_MSECOND);
    fail_unless_equals_int64 (ot::duration_of (seeked), 3500 * GST_MSECOND);
    assert_plays_range (seeked, references, 2500 * GST_MSECOND, 3500 * GST_MSECOND, "a seek to 2.5 s in the range");
  }
  /* Its export counts its progress against the range's 2 s, not the 6 s of
   * the presentation (the last report gives the file's own duration). */
  {
    g_autofree gchar *path = g_build_filename (dir, "range.mkv", nullptr);
    auto totals = export_totals (data, "movie", path);
    fail_unless (totals.size () >= 2, "%zu progress reports", totals.size ());
    for (size_t i = 0; i + 1 < totals.size (); i++)
      fail_unless_equals_uint64 (totals[i], 2 * GST_SECOND);
  }

  /* Bad ranges: clear errors, the download kept as it is. */
  struct {
    const char *start, *end;
    int status;
    const char *says;
  } bad[] = {
    { "3", "2", 2, "before it starts" },
    { "2", "2", 2, "before it starts" },
    { "abc", nullptr, 2, "is not a time" },
    { "1:75", nullptr, 2, "is not a time" },
    { "-1", nullptr, 2, "is not a time" },
    { nullptr, "", 2, "is not a time" },
    { "100", nullptr, 1, "after the end of the presentation" },
  };
  for (const auto &b : bad) {
    std::vector<const char *> args = { "download", mpd.c_str (), "--id", "movie" };
    if (b.start)
      args.insert (args.end (), { "--start", b.start });
    if (b.end)
      args.insert (args.end (), { "--end", b.end });
    r = run (data, args);
    assert_exit (r, b.status);
    std::string reason = ot::reason_of (r);
    fail_unless (reason.find (b.says) != std::string::npos, "%s / %s: %s", GST_STR_NULL (b.start),
        GST_STR_NULL (b.end), reason.c_str ());
    g_autoptr (GstOfflineDownload) d = ot::index_download (data, "movie");
    ot::assert_state (d, GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
  }
  assert_fetched_only (server, segments, 1500 * GST_MSECOND, 3500 * GST_MSECOND, "after the refused ranges");

  /* Wider: only what is missing, then every segment of 0.5 - 5 s once. */
  r = run (data, { "download", mpd.c_str (), "--id", "movie", "--start", "0.5", "--end", "5" });
  assert_exit (r, 0);
  assert_fetched_only (server, segments, 500 * GST_MSECOND, 5 * GST_SECOND, "0.5 - 5 s after 1.5 - 3.5 s");
  {
    g_autoptr (GstOfflineDownload) d = ot::index_download (data, "movie");
    ot::assert_state (d, GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
    fail_unless_equals_float (gst_offline_download_get_percent_downloaded (d), 100.0);
    g_autoptr (GPtrArray) offline = ot::decode ("offline://movie", data);
    assert_plays_range (offline, references, 500 * GST_MSECOND, 5 * GST_SECOND, "the wider range");
  }
  /* A narrower range changes nothing: the download keeps what it covers. */
  r = run (data, { "download", mpd.c_str (), "--id", "movie", "--start", "2", "--end", "3" });
  assert_exit (r, 0);
  assert_fetched_only (server, segments, 500 * GST_MSECOND, 5 * GST_SECOND, "a narrower range again");
  ot::assert_verify_clean (data);
  ot_server_free (server);
}
GST_END_TEST;

/* `download --start 2 --end 5` of an id another process is downloading
 * with the range 3 - 5 s: handed over through the index (exit 0, saying
 * so), that process fetches the segments of 2 - 3 s too, and every
 * segment of 2 - 5 s is fetched once. */
GST_START_TEST (test_range_widened_while_running)
{
  g_autofree gchar *dir = make_dash_1s ("range-running");
  g_autofree gchar *data = g_build_filename (dir, "data", nullptr);
  g_mkdir_with_parents (data, 0700);
  OtServer *server = slow_server (dir, 100 * 1024);
  std::string mpd = std::string (ot_server_get_base_url (server)) + "/manifest.mpd";
  const gchar *argv[] = { "download", mpd.c_str (), "--id", "movie", "--start", "3", "--end", "5",
    "--segment-parallelism", "1", nullptr };
  GPid pid = ot_spawn_cli (data, argv);
  FirstSegmentWhole wait { data };
  ot_wait_for_changes (data, first_segment_is_whole, &wait);

  Cli r = run (data, { "download", mpd.c_str (), "--id", "movie", "--start", "2", "--end", "5" });
  assert_exit (r, 0);
  fail_unless (r.out == "movie: being downloaded by another process, which fetches 0:00:02.000 to 0:00:05.000\n",
      "%s%s", r.out.c_str (), r.err.c_str ());
  fail_unless_equals_int (ot_wait_pid (pid), 0);

  auto segments = planned_segments (data, "movie", server);
  assert_fetched_only (server, segments, 2 * GST_SECOND, 5 * GST_SECOND, "3 - 5 s widened to 2 - 5 s while running");
  g_autoptr (GstOfflineDownload) d = ot::index_download (data, "movie");
  ot::assert_state (d, GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
  GstOfflineDownloadRequest *request = gst_offline_download_get_request (d);
  fail_unless_equals_uint64 (gst_offline_download_request_get_range_start (request), 2 * GST_SECOND);
  fail_unless_equals_uint64 (gst_offline_download_request_get_range_end (request), 5 * GST_SECOND);
  ot::assert_verify_clean (data);
  ot_server_free (server);
}
GST_END_TEST;

/* HLS: the segments of the range, of every variant chosen; a progressive
 * download refuses a range, saying why. */
GST_START_TEST (test_hls_time_range_and_progressive_refusal)
{
  g_autofree gchar *dir = ot_make_temp_dir ("range-hls");
  g_autofree gchar *data = g_build_filename (dir, "data", nullptr);
  g_autofree gchar *playlist = g_build_filename (dir, "index.m3u8", nullptr);
  g_autofree gchar *segment_name = g_build_filename (dir, "seg%d.ts", nullptr);
  ot::run_ffmpeg (dir, { "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=6", "-f", "lavfi", "-i",
      "sine=frequency=440:duration=6", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-keyint_min", "25",
      "-sc_threshold", "0", "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "hls", "-hls_time", "1",
      "-hls_playlist_type", "vod", "-hls_segment_filename", segment_name, playlist });
  OtServer *server = ot_server_new ();
  ot::serve_dir (server, dir);
  std::string url = std::string (ot_server_get_base_url (server)) + "/index.m3u8";
  Cli r = run (data, { "download", url.c_str (), "--id", "clip", "--start", "2.2", "--end", "4" });
  assert_exit (r, 0);
  auto segments = planned_segments (data, "clip", server);
  fail_unless (segments.size () >= 6);
  assert_fetched_only (server, segments, 2200 * GST_MSECOND, 4 * GST_SECOND, "HLS 2.2 - 4 s");

  g_autofree gchar *mp4 = ot_make_mp4 (dir, "file.mp4", 2, FALSE);
  std::string file_url = std::string (ot_server_get_base_url (server)) + "/file.mp4";
  ot_server_add_file (server, "/file.mp4", mp4);
  r = run (data, { "download", file_url.c_str (), "--id", "file", "--end", "1" });
  assert_exit (r, 1);
  std::string reason = ot::reason_of (r);
  fail_unless (reason.find ("progressive") != std::string::npos, "%s", reason.c_str ());
  fail_unless_equals_int (ot_server_get_request_count (server, "/file.mp4"), 0);
  ot_server_free (server);
}
GST_END_TEST;

/* The API: a range that ends before it starts is refused, the request left
 * as it was; the properties hold the range. */
GST_START_TEST (test_request_time_range_api)
{
  g_autoptr (GstOfflineDownloadRequest) request = gst_offline_download_request_new ("x", "http://h/x.mpd");
  fail_unless_equals_uint64 (gst_offline_download_request_get_range_start (request), GST_CLOCK_TIME_NONE);
  fail_unless_equals_uint64 (gst_offline_download_request_get_range_end (request), GST_CLOCK_TIME_NONE);
  GError *error = nullptr;
  fail_unless (gst_offline_download_request_set_time_range (request, GST_SECOND, 2 * GST_SECOND, &error));
  fail_if (gst_offline_download_request_set_time_range (request, 3 * GST_SECOND, GST_SECOND, &error));
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT));
  g_clear_error (&error);
  fail_if (gst_offline_download_request_set_time_range (request, GST_CLOCK_TIME_NONE, 0, &error));
  g_clear_error (&error);
  guint64 start, end;
  g_object_get (request, "range-start", &start, "range-end", &end, nullptr);
  fail_unless_equals_uint64 (start, GST_SECOND);
  fail_unless_equals_uint64 (end, 2 * GST_SECOND);
  fail_unless (gst_offline_download_request_set_time_range (request, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE,
      &error));
  fail_unless_equals_uint64 (gst_offline_download_request_get_range_end (request), GST_CLOCK_TIME_NONE);
}
GST_END_TEST;

static Suite *download_range_suite (void)
{
  Suite *s = suite_create ("download-range");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 240);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_requested_position_is_fetched_next);
  tcase_add_test (tc, test_dash_time_range);
  tcase_add_test (tc, test_range_widened_while_running);
  tcase_add_test (tc, test_hls_time_range_and_progressive_refusal);
  tcase_add_test (tc, test_request_time_range_api);
  return s;
}

GST_CHECK_MAIN (download_range);
