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
void make_dash_1s (const gchar *dir)
{
  g_autofree gchar *mpd = g_build_filename (dir, "manifest.mpd", nullptr);
  ot::make_ladder (dir, { "-adaptation_sets", "id=0,streams=v id=1,streams=a", "-seg_duration", "1", "-f", "dash", mpd },
      true);
}

/* HLS of 6 s in 1 s segments, H.264 and AAC in MPEG-TS: the media
 * playlist index.m3u8. */
void make_hls_1s (const gchar *dir)
{
  ot::run_ffmpeg (dir, { "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=6", "-f", "lavfi", "-i",
      "sine=frequency=440:duration=6", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-keyint_min", "25",
      "-sc_threshold", "0", "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "hls", "-hls_time", "1",
      "-hls_playlist_type", "vod", "-hls_segment_filename", "seg%d.ts", "index.m3u8" });
}

/* The same behind a master playlist, master.m3u8 (one variant,
 * v0/index.m3u8), which holds no duration: the variant's playlist does. */
void make_hls_master (const gchar *dir)
{
  ot::run_ffmpeg (dir, { "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=6", "-f", "lavfi", "-i",
      "sine=frequency=440:duration=6", "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-g",
      "25", "-keyint_min", "25", "-sc_threshold", "0", "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "hls",
      "-hls_time", "1", "-hls_playlist_type", "vod", "-var_stream_map", "v:0,a:0", "-master_pl_name", "master.m3u8",
      "-hls_segment_filename", "v%v/seg%d.ts", "v%v/index.m3u8" });
}

struct FirstSegmentWhole {
  const gchar *data;
  const gchar *id;
};

gboolean first_segment_is_whole (gpointer user_data)
{
  auto *w = static_cast<FirstSegmentWhole *> (user_data);
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (w->data, nullptr);
  if (!index)
    return FALSE;
  g_autoptr (GPtrArray) segments = gst_offline_download_index_get_segments (index, w->id, 0, 0, 1, nullptr);
  if (!segments || segments->len == 0)
    return FALSE;
  g_autoptr (GstOfflineCache) cache = gst_offline_cache_new (w->data, nullptr);
  auto *first = static_cast<GstOfflineSegment *> (g_ptr_array_index (segments, 0));
  g_autofree gchar *path = gst_offline_cache_lookup (cache, first->resource, nullptr, nullptr);
  return path != nullptr;
}

/* What every test here sets up: content made by `make` (DASH of 6 s in 1 s
 * segments unless told) in content/ of a new temporary directory, served
 * by a server of its own (the media segments, chunk-*, slowed to `rate`
 * bytes a second when given), the URL of its `manifest`, and data/ for the
 * downloads; downloads through the CLI, and the plan of a download with the
 * paths the server serves its segments at. */
class RangeFixture {
 public:
  explicit RangeFixture (const char *name, void (*make) (const gchar *dir) = make_dash_1s,
      const char *manifest = "manifest.mpd", guint rate = 0)
  {
    root = ot_make_temp_dir (name);
    content = g_build_filename (root, "content", nullptr);
    data = g_build_filename (root, "data", nullptr);
    g_mkdir_with_parents (content, 0700);
    g_mkdir_with_parents (data, 0700);
    make (content);
    server = ot_server_new ();
    for (const auto &path : ot::serve_dir (server, content)) {
      if (rate && g_str_has_prefix (path.c_str (), "chunk-"))
        ot_server_set_rate (server, ("/" + path).c_str (), rate);
    }
    url = std::string (ot_server_get_base_url (server)) + "/" + manifest;
  }
  ~RangeFixture ()
  {
    ot_server_free (server);
    g_free (data);
    g_free (content);
    g_free (root);
  }
  RangeFixture (const RangeFixture &) = delete;
  RangeFixture &operator= (const RangeFixture &) = delete;

  /* `gst-offline download URL --id ID ARGS...`. */
  Cli download (const char *id, std::vector<const char *> args = {}) const
  {
    return run (data, download_args (id, args));
  }
  /* The same in a process of its own, not waited for: its pid. */
  GPid spawn_download (const char *id, std::vector<const char *> args) const
  {
    std::vector<const char *> argv = download_args (id, args);
    argv.push_back (nullptr);
    return ot_spawn_cli (data, argv.data ());
  }
  /* Waits until the first segment of download `id` is whole in the cache. */
  void wait_first_segment (const char *id) const
  {
    FirstSegmentWhole wait { data, id };
    ot_wait_for_changes (data, first_segment_is_whole, &wait);
  }
  std::vector<PlannedSegment> planned (const char *id) const { return planned_segments (data, id, server); }

  gchar *root, *content, *data;
  OtServer *server;
  std::string url;

 private:
  std::vector<const char *> download_args (const char *id, const std::vector<const char *> &args) const
  {
    std::vector<const char *> all = { "download", url.c_str (), "--id", id };
    all.insert (all.end (), args.begin (), args.end ());
    return all;
  }
};

}  // namespace

/* A download running in another process (the CLI), one segment at a time
 * and slowed down at the server, is asked through the index for the part
 * from 4 s on: once it turns, it fetches every track's segments that end
 * after 4 s, in order, then goes back for the ones before that it had not
 * fetched, and completes with every segment fetched once. */
GST_START_TEST (test_requested_position_is_fetched_next)
{
  RangeFixture f ("position", make_dash_1s, "manifest.mpd", 200 * 1024);
  GPid pid = f.spawn_download ("movie", { "--segment-parallelism", "1" });
  f.wait_first_segment ("movie");
  const GstClockTime position = 4 * GST_SECOND;
  {
    g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (f.data, nullptr);
    GError *error = nullptr;
    fail_unless (gst_offline_download_index_request_position (index, "movie", position, &error), "%s",
        error ? error->message : "");
    fail_if (gst_offline_download_index_request_position (index, "nothing", position, &error));
    fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND));
    g_clear_error (&error);
  }
  fail_unless_equals_int (ot_wait_pid (pid), 0);

  /* Every segment once, in the order of their requests. */
  fail_unless (ot::assert_turned_to (f.server, f.planned ("movie"), position) >= 4);
  g_autoptr (GstOfflineDownload) d = ot::index_download (f.data, "movie");
  ot::assert_state (d, GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
  fail_unless_equals_float (gst_offline_download_get_percent_downloaded (d), 100.0);
  ot::assert_verify_clean (f.data);
}
GST_END_TEST;

namespace {

/* How often the server was asked for each planned segment, checked against
 * what overlaps [start, end) and each track's first segment (where playback
 * anchors the media time): those once, the others never. With `resumes`
 * (the segments' files in `content`), a segment wanted may be asked for
 * again (a download started again while it fetched it): with a Range from
 * where an earlier request stopped, or from its start when nothing of it
 * had been kept — never fetched whole twice: the server sent less than
 * its size and a 64 KiB slack (what was in flight when the first request
 * was cancelled) more than once. */
void assert_fetched_only (OtServer *server, const std::vector<PlannedSegment> &segments, GstClockTime start,
    GstClockTime end, const gchar *what, const gchar *content = nullptr)
{
  bool resumes = content != nullptr;
  guint fetched = 0;
  for (const auto &s : segments) {
    guint wanted = (s.end > start && s.start < end) || s.number == 0 ? 1 : 0;
    guint requests = ot_server_get_request_count (server, s.path.c_str ());
    if (resumes && wanted && requests > 1) {
      g_autoptr (GPtrArray) ranges = ot_server_get_ranges (server, s.path.c_str ());
      g_autofree gchar *base = g_path_get_basename (s.path.c_str ());
      g_autofree gchar *file = g_build_filename (content, base, nullptr);
      GStatBuf st;
      fail_unless (g_stat (file, &st) == 0, "%s: no %s", what, file);
      guint64 sent = ot_server_get_bytes_sent (server, s.path.c_str ());
      for (guint i = 1; i < ranges->len; i++) {
        auto range = static_cast<const gchar *> (g_ptr_array_index (ranges, i));
        bool resumed = g_str_has_prefix (range, "bytes=") && g_ascii_strtoull (range + 6, nullptr, 10) > 0;
        fail_unless (resumed || sent < static_cast<guint64> (st.st_size) + 64 * 1024,
            "%s: %s was fetched whole again (Range '%s'; %" G_GUINT64_FORMAT " bytes sent of %" G_GUINT64_FORMAT ")",
            what, s.path.c_str (), range, sent, static_cast<guint64> (st.st_size));
      }
      requests = 1;
    }
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
  RangeFixture f ("range-dash");
  const gchar *data = f.data;
  const std::string &mpd = f.url;
  OtServer *server = f.server;

  Cli r = f.download ("movie", { "--start", "1.5", "--end", "00:00:03.500" });
  assert_exit (r, 0);
  /* Read once: the manager fits the range to the manifest it fetched, and
   * the download starts from those bytes. */
  fail_unless_equals_int (ot_server_get_request_count (server, "/manifest.mpd"), 1);
  auto segments = f.planned ("movie");
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
  ot::References references = ot::dash_references (f.content, data);
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
    g_autofree gchar *path = g_build_filename (f.root, "range.mkv", nullptr);
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
    std::vector<const char *> args;
    if (b.start)
      args.insert (args.end (), { "--start", b.start });
    if (b.end)
      args.insert (args.end (), { "--end", b.end });
    r = f.download ("movie", args);
    assert_exit (r, b.status);
    std::string reason = ot::reason_of (r);
    fail_unless (reason.find (b.says) != std::string::npos, "%s / %s: %s", GST_STR_NULL (b.start),
        GST_STR_NULL (b.end), reason.c_str ());
    g_autoptr (GstOfflineDownload) d = ot::index_download (data, "movie");
    ot::assert_state (d, GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
  }
  assert_fetched_only (server, segments, 1500 * GST_MSECOND, 3500 * GST_MSECOND, "after the refused ranges");

  /* Wider: only what is missing, then every segment of 0.5 - 5 s once. */
  r = f.download ("movie", { "--start", "0.5", "--end", "5" });
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
  r = f.download ("movie", { "--start", "2", "--end", "3" });
  assert_exit (r, 0);
  assert_fetched_only (server, segments, 500 * GST_MSECOND, 5 * GST_SECOND, "a narrower range again");
  ot::assert_verify_clean (data);
}
GST_END_TEST;

/* `download --start 2 --end 5` of an id another process is downloading
 * with the range 3 - 5 s: handed over through the index (exit 0, saying
 * so), that process fetches the segments of 2 - 3 s too, and every
 * segment of 2 - 5 s is fetched once (the one it was fetching when it
 * started again resumed where it stopped, or from its start if nothing of
 * it had arrived: the change lands before, in or after it, as the
 * machine's speed has it). */
GST_START_TEST (test_range_widened_while_running)
{
  RangeFixture f ("range-running", make_dash_1s, "manifest.mpd", 100 * 1024);
  GPid pid = f.spawn_download ("movie", { "--start", "3", "--end", "5", "--segment-parallelism", "1" });
  f.wait_first_segment ("movie");

  Cli r = f.download ("movie", { "--start", "2", "--end", "5" });
  assert_exit (r, 0);
  fail_unless (r.out == "movie: being downloaded by another process, which fetches 0:00:02.000 to 0:00:05.000\n",
      "%s%s", r.out.c_str (), r.err.c_str ());
  fail_unless_equals_int (ot_wait_pid (pid), 0);

  assert_fetched_only (f.server, f.planned ("movie"), 2 * GST_SECOND, 5 * GST_SECOND,
      "3 - 5 s widened to 2 - 5 s while running", f.content);
  g_autoptr (GstOfflineDownload) d = ot::index_download (f.data, "movie");
  ot::assert_state (d, GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
  GstOfflineDownloadRequest *request = gst_offline_download_get_request (d);
  fail_unless_equals_uint64 (gst_offline_download_request_get_range_start (request), 2 * GST_SECOND);
  fail_unless_equals_uint64 (gst_offline_download_request_get_range_end (request), 5 * GST_SECOND);
  ot::assert_verify_clean (f.data);
}
GST_END_TEST;

/* HLS: the segments of the range, of every variant chosen; a progressive
 * download refuses a range, saying why. */
GST_START_TEST (test_hls_time_range_and_progressive_refusal)
{
  RangeFixture f ("range-hls", make_hls_1s, "index.m3u8");
  Cli r = f.download ("clip", { "--start", "2.2", "--end", "4" });
  assert_exit (r, 0);
  fail_unless_equals_int (ot_server_get_request_count (f.server, "/index.m3u8"), 1);
  auto segments = f.planned ("clip");
  fail_unless (segments.size () >= 6);
  assert_fetched_only (f.server, segments, 2200 * GST_MSECOND, 4 * GST_SECOND, "HLS 2.2 - 4 s");

  g_autofree gchar *mp4 = ot_make_mp4 (f.root, "file.mp4", 2, FALSE);
  std::string file_url = std::string (ot_server_get_base_url (f.server)) + "/file.mp4";
  g_free (ot_server_add_file (f.server, "/file.mp4", mp4));
  r = run (f.data, { "download", file_url.c_str (), "--id", "file", "--end", "1" });
  assert_exit (r, 1);
  std::string reason = ot::reason_of (r);
  fail_unless (reason.find ("progressive") != std::string::npos, "%s", reason.c_str ());
  fail_unless_equals_int (ot_server_get_request_count (f.server, "/file.mp4"), 0);
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

namespace {

/* The length of the presentation at `url`, as the helper reads it. */
GstClockTime presentation_length (const std::string &url)
{
  g_autoptr (GstOfflineDownloadHelper) helper = gst_offline_download_helper_new (url.c_str ());
  g_autoptr (GError) error = nullptr;
  fail_unless (gst_offline_download_helper_prepare (helper, nullptr, &error), "%s", error ? error->message : "");
  GstClockTime length = gst_offline_download_helper_get_duration (helper);
  fail_unless (GST_CLOCK_TIME_IS_VALID (length) && length > 5 * GST_SECOND && length < 7 * GST_SECOND,
      "%s is %" GST_TIME_FORMAT " long", url.c_str (), GST_TIME_ARGS (length));
  return length;
}

/* `length` as the CLI writes times: H:MM:SS.mmm. */
std::string clock_text (GstClockTime length)
{
  guint64 ms = length / GST_MSECOND;
  g_autofree gchar *text = g_strdup_printf ("%u:%02u:%02u.%03u", (guint) (ms / 3600000), (guint) (ms / 60000 % 60),
      (guint) (ms / 1000 % 60), (guint) (ms % 1000));
  return text;
}

/* What the error of a range that starts at `start` (as written) names:
 * the start and the presentation's length. */
std::string past_the_end (const char *start, GstClockTime length)
{
  g_autofree gchar *text = g_strdup_printf ("the time range starts at %s s, at or after the end of the "
      "presentation (%.3f s)", start, (double) length / GST_SECOND);
  return text;
}

/* Every file under the data directory `data` but its databases, lock
 * files and the manager's space reserve (which a manager makes, and which
 * stay; SpaceReserve writes it as "space-reserve.XXXXXX" first,
 * which the manager's thread may be doing while the test looks). */
std::vector<std::string> files_of_downloads (const gchar *data)
{
  std::vector<std::string> files;
  for (const auto &file : ot::list_files (data)) {
    if (!g_str_has_prefix (file.c_str (), "offline.db") && !g_str_has_prefix (file.c_str (), "drm.db")
        && !g_str_has_prefix (file.c_str (), "locks/") && !g_str_has_prefix (file.c_str (), "space-reserve"))
      files.push_back (file);
  }
  return files;
}

/* Download `id` was never recorded: not in the index (nor for `status
 * --json`, which fails, nor `list --json`), no file of it in `data`. */
void assert_not_recorded (const gchar *data, const char *id, const std::vector<std::string> &files_before)
{
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (data, nullptr);
  g_autoptr (GError) error = nullptr;
  g_autoptr (GstOfflineDownload) d = gst_offline_download_index_get_download (index, id, &error);
  fail_unless (d == nullptr && g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND),
      "download %s was recorded", id);
  Cli r = run (data, { "status", id, "--json" });
  assert_exit (r, 1);
  fail_unless (r.out.empty (), "%s", r.out.c_str ());
  r = run (data, { "list", "--json" });
  assert_exit (r, 0);
  fail_unless (r.out.find ("\"" + std::string (id) + "\"") == std::string::npos, "%s", r.out.c_str ());
  std::vector<std::string> files = files_of_downloads (data);
  std::string names;
  for (const auto &file : files)
    names += " " + file;
  fail_unless (files == files_before, "download %s left files behind:%s", id, names.c_str ());
}

/* No media segment of `f`'s content was fetched. */
void assert_no_segment_fetched (const RangeFixture &f)
{
  for (const auto &file : ot::list_files (f.content)) {
    if (!g_str_has_suffix (file.c_str (), ".mpd") && !g_str_has_suffix (file.c_str (), ".m3u8"))
      fail_unless (ot_server_get_request_count (f.server, ("/" + file).c_str ()) == 0, "%s was fetched", file.c_str ());
  }
}

}  // namespace

/* A new download whose range starts past the end of the presentation is
 * refused when it is added, before anything is recorded: exit 1 with the
 * requested start and the presentation's length, no row, no file, no
 * segment fetched (DASH, and HLS behind a master playlist, whose length
 * only the variant's playlist tells); so is an empty range (exit 2). An end
 * past the end is brought back to it and said; a later range of an
 * existing id is held to the same rules, the download kept as it was. */
GST_START_TEST (test_range_past_the_end_refused_at_add)
{
  RangeFixture f ("range-late");
  GstClockTime length = presentation_length (f.url);
  /* The databases a data directory holds once opened. */
  Cli r = run (f.data, { "list" });
  assert_exit (r, 0);
  std::vector<std::string> files_before = files_of_downloads (f.data);
  struct {
    std::vector<const char *> args;
    int status;
    std::string says;
  } refused[] = {
    { { "--start", "100" }, 1, "cannot add download late: " + past_the_end ("100.000", length) },
    { { "--start", "7", "--end", "9" }, 1, "cannot add download late: " + past_the_end ("7.000", length) },
    { { "--start", "100", "--no-wait" }, 1, "cannot add download late: " + past_the_end ("100.000", length) },
    { { "--start", "3", "--end", "2" }, 2, "before it starts" },
  };
  for (const auto &c : refused) {
    r = f.download ("late", c.args);
    assert_exit (r, c.status);
    std::string reason = ot::reason_of (r);
    fail_unless (reason.find (c.says) != std::string::npos, "'%s' does not say '%s'", reason.c_str (), c.says.c_str ());
    fail_unless (r.out.empty (), "%s", r.out.c_str ());
    assert_not_recorded (f.data, "late", files_before);
  }
  assert_no_segment_fetched (f);

  /* An end past the end: the range ends at the end, and the command says so. */
  std::string brought_back = "tail: the presentation ends at " + clock_text (length) + ": the range ends there, not at ";
  r = f.download ("tail", { "--start", "4", "--end", "100" });
  assert_exit (r, 0);
  fail_unless (r.out.find (brought_back + "0:01:40.000\n") != std::string::npos, "%s", r.out.c_str ());
  {
    g_autoptr (GstOfflineDownload) d = ot::index_download (f.data, "tail");
    ot::assert_state (d, GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
    GstOfflineDownloadRequest *request = gst_offline_download_get_request (d);
    fail_unless_equals_uint64 (gst_offline_download_request_get_range_start (request), 4 * GST_SECOND);
    fail_unless_equals_uint64 (gst_offline_download_request_get_range_end (request), length);
  }
  auto segments = f.planned ("tail");
  assert_fetched_only (f.server, segments, 4 * GST_SECOND, length, "4 s to past the end");

  /* The same for a later range of that id: refused, the download as it was. */
  struct {
    std::vector<const char *> args;
    int status;
    std::string says;
  } later[] = {
    { { "--start", "100" }, 1, "cannot add download tail: " + past_the_end ("100.000", length) },
    { { "--start", "50", "--end", "60" }, 1, "cannot add download tail: " + past_the_end ("50.000", length) },
    { { "--start", "5", "--end", "4" }, 2, "before it starts" },
  };
  for (const auto &c : later) {
    r = f.download ("tail", c.args);
    assert_exit (r, c.status);
    std::string reason = ot::reason_of (r);
    fail_unless (reason.find (c.says) != std::string::npos, "'%s' does not say '%s'", reason.c_str (), c.says.c_str ());
    g_autoptr (GstOfflineDownload) d = ot::index_download (f.data, "tail");
    ot::assert_state (d, GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
    GstOfflineDownloadRequest *request = gst_offline_download_get_request (d);
    fail_unless_equals_uint64 (gst_offline_download_request_get_range_start (request), 4 * GST_SECOND);
    fail_unless_equals_uint64 (gst_offline_download_request_get_range_end (request), length);
  }
  assert_fetched_only (f.server, segments, 4 * GST_SECOND, length, "after the refused ranges");
  /* Wider, to past the end again: from 3 s, to the end, said. */
  r = f.download ("tail", { "--start", "3", "--end", "200" });
  assert_exit (r, 0);
  fail_unless (r.out.find (brought_back + "0:03:20.000\n") != std::string::npos, "%s", r.out.c_str ());
  assert_fetched_only (f.server, segments, 3 * GST_SECOND, length, "3 s to past the end");
  {
    g_autoptr (GstOfflineDownload) d = ot::index_download (f.data, "tail");
    ot::assert_state (d, GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
    GstOfflineDownloadRequest *request = gst_offline_download_get_request (d);
    fail_unless_equals_uint64 (gst_offline_download_request_get_range_start (request), 3 * GST_SECOND);
    fail_unless_equals_uint64 (gst_offline_download_request_get_range_end (request), length);
  }
  ot::assert_verify_clean (f.data);

  /* HLS: the master playlist has no durations; the variant's playlist tells. */
  RangeFixture hls ("range-late-hls", make_hls_master, "master.m3u8");
  GstClockTime hls_length = presentation_length (hls.url);
  r = run (hls.data, { "list" });
  assert_exit (r, 0);
  files_before = files_of_downloads (hls.data);
  r = hls.download ("late", { "--start", "100" });
  assert_exit (r, 1);
  std::string reason = ot::reason_of (r);
  fail_unless (reason.find ("cannot add download late: " + past_the_end ("100.000", hls_length)) != std::string::npos,
      "%s", reason.c_str ());
  assert_not_recorded (hls.data, "late", files_before);
  assert_no_segment_fetched (hls);
}
GST_END_TEST;

namespace {

struct Added {
  GstOfflineDownload *download = nullptr;
  GError *error = nullptr;
  bool done = false;
};

/* add_download_async, waited for on the thread-default main context. */
void add_async (GstOfflineDownloadManager *manager, GstOfflineDownloadRequest *request, Added *added)
{
  gst_offline_download_manager_add_download_async (manager, request, nullptr,
      [] (GObject *source, GAsyncResult *result, gpointer data) {
        auto *added = static_cast<Added *> (data);
        added->download = gst_offline_download_manager_add_download_finish (GST_OFFLINE_DOWNLOAD_MANAGER (source),
            result, &added->error);
        added->done = true;
      },
      added);
  while (!added->done)
    g_main_context_iteration (nullptr, TRUE);
}

}  // namespace

/* The API: add_download_async (and its blocking form) refuses a request
 * whose range starts past the end with INVALID_ARGUMENT naming the start
 * and the length, recording nothing; one whose end is past the end is
 * recorded with the end of the presentation. */
GST_START_TEST (test_range_past_the_end_api)
{
  RangeFixture f ("range-late-api");
  GstClockTime length = presentation_length (f.url);
  g_autoptr (GError) error = nullptr;
  g_autoptr (GstOfflineDownloadManager) manager = GST_OFFLINE_DOWNLOAD_MANAGER (g_initable_new (
      GST_OFFLINE_TYPE_DOWNLOAD_MANAGER, nullptr, &error, "data-dir", f.data, "downloads-paused", TRUE, nullptr));
  fail_unless (manager != nullptr, "%s", error ? error->message : "");
  std::vector<std::string> files_before = files_of_downloads (f.data);

  g_autoptr (GstOfflineDownloadRequest) late = gst_offline_download_request_new ("late", f.url.c_str ());
  fail_unless (gst_offline_download_request_set_time_range (late, 100 * GST_SECOND, GST_CLOCK_TIME_NONE, nullptr));
  Added added;
  add_async (manager, late, &added);
  fail_unless (added.download == nullptr);
  fail_unless (g_error_matches (added.error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT), "%s",
      added.error ? added.error->message : "no error");
  fail_unless (std::string (added.error->message).find (past_the_end ("100.000", length)) != std::string::npos, "%s",
      added.error->message);
  g_clear_error (&added.error);
  g_autoptr (GstOfflineDownload) blocking = gst_offline_download_manager_add_download (manager, late, &error);
  fail_unless (blocking == nullptr && g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT));
  g_clear_error (&error);
  g_autoptr (GstOfflineDownload) none = gst_offline_download_manager_get_download (manager, "late", &error);
  fail_unless (none == nullptr && g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND));
  g_clear_error (&error);
  assert_not_recorded (f.data, "late", files_before);

  g_autoptr (GstOfflineDownloadRequest) tail = gst_offline_download_request_new ("tail", f.url.c_str ());
  fail_unless (gst_offline_download_request_set_time_range (tail, 2 * GST_SECOND, 100 * GST_SECOND, nullptr));
  Added kept;
  add_async (manager, tail, &kept);
  fail_unless (kept.download != nullptr, "%s", kept.error ? kept.error->message : "");
  GstOfflineDownloadRequest *recorded = gst_offline_download_get_request (kept.download);
  fail_unless_equals_uint64 (gst_offline_download_request_get_range_start (recorded), 2 * GST_SECOND);
  fail_unless_equals_uint64 (gst_offline_download_request_get_range_end (recorded), length);
  g_object_unref (kept.download);
  assert_no_segment_fetched (f);
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
  tcase_add_test (tc, test_range_past_the_end_refused_at_add);
  tcase_add_test (tc, test_range_past_the_end_api);
  return s;
}

GST_CHECK_MAIN (download_range);
