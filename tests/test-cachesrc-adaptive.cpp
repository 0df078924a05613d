/* End-to-end tests of cachesrc on adaptive (DASH) downloads: content made by
 * ffmpeg's dash muxer at test time, served from 127.0.0.1, downloaded with
 * the CLI, then played back from the cache without network and compared
 * with a decode of the plain concatenation of each representation's init and
 * media segments.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>

#include "playback-checks.h"
#include "test-support.h"

#include <glib/gstdio.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace ot;

namespace {

constexpr guint CLIP_SECONDS = 6;

/* ---- Content ---------------------------------------------------------------- */

/* Runs ffmpeg's dash muxer into `dir`/x.mpd: 6 s of H.264 320x240 at 25 fps
 * (a keyframe every second) and AAC, 2 s segments; `extra` (may be NULL)
 * adds muxer options such as "-use_timeline 0". */
/* Like fail_unless_equals_int, with a message. */
#define expect_equal(a, b, ...) fail_unless ((a) == (b), __VA_ARGS__)

void
make_dash (const gchar *dir, const gchar *extra)
{
  g_autofree gchar *video = g_strdup_printf ("testsrc2=size=320x240:rate=25:duration=%u", CLIP_SECONDS);
  g_autofree gchar *audio = g_strdup_printf ("sine=frequency=440:beep_factor=4:sample_rate=44100:duration=%u",
      CLIP_SECONDS);
  g_autofree gchar *mpd = g_build_filename (dir, "x.mpd", nullptr);
  std::vector<const gchar *> argv = {
    "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
    "-f", "lavfi", "-i", video, "-f", "lavfi", "-i", audio,
    "-map", "0:v", "-map", "1:a",
    "-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0",
    "-pix_fmt", "yuv420p", "-threads", "1",
    "-c:a", "aac", "-b:a", "64k", "-ac", "2",
    "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
    "-seg_duration", "2",
  };
  g_auto (GStrv) extra_args = g_strsplit (extra ? extra : "", " ", -1);
  for (gchar **arg = extra_args; *arg; arg++) {
    if (**arg)
      argv.push_back (*arg);
  }
  argv.push_back ("-f");
  argv.push_back ("dash");
  argv.push_back (mpd);
  argv.push_back (nullptr);

  gchar *err = nullptr;
  gint status = 0;
  GError *error = nullptr;
  if (!g_spawn_sync (dir, const_cast<gchar **> (argv.data ()), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr,
          nullptr, &err, &status, &error))
    ck_abort_msg ("cannot run ffmpeg: %s", error->message);
  fail_unless (g_spawn_check_wait_status (status, nullptr), "ffmpeg failed: %s", err);
  g_free (err);
}




/* Writes init-streamN.m4s followed by the chunk-streamN-*.m4s of `dir` to
 * one file: the plain concatenation that is the reference. With `server`,
 * only the chunks the download fetched from /`name`/ count: ffmpeg writes a
 * last short segment that lies past the MPD's duration with $Number$
 * addressing, and that segment is not part of the presentation. */
gchar *
concatenate (const gchar *dir, guint stream, OtServer *server = nullptr, const gchar *name = nullptr)
{
  g_autofree gchar *init_name = g_strdup_printf ("init-stream%u.m4s", stream);
  g_autofree gchar *chunk_prefix = g_strdup_printf ("chunk-stream%u-", stream);
  std::vector<std::string> files;
  list_files (dir, "", &files);

  std::vector<std::string> parts { init_name };
  for (const auto &file : files) {
    if (!g_str_has_prefix (file.c_str (), chunk_prefix))
      continue;
    if (server) {
      g_autofree gchar *path = g_strdup_printf ("/%s/%s", name, file.c_str ());
      if (ot_server_get_request_count (server, path) == 0)
        continue;
    }
    parts.push_back (file);
  }
  fail_unless (parts.size () > 1, "no segments of stream %u in %s", stream, dir);

  GString *bytes = g_string_new (nullptr);
  for (const auto &part : parts) {
    g_autofree gchar *path = g_build_filename (dir, part.c_str (), nullptr);
    g_autoptr (GBytes) data = ot_read_file (path);
    gsize size;
    const gchar *p = static_cast<const gchar *> (g_bytes_get_data (data, &size));
    g_string_append_len (bytes, p, size);
  }
  g_autofree gchar *file_name = g_strdup_printf ("reference-%u.mp4", stream);
  gchar *path = g_build_filename (dir, "..", file_name, nullptr);
  fail_unless (g_file_set_contents (path, bytes->str, bytes->len, nullptr));
  g_string_free (bytes, TRUE);
  return path;
}


/* A download of ffmpeg's DASH output, and the references. */
struct Asset {
  gchar *root;
  gchar *data_dir;
  gchar *content_dir;
  gchar *video_uri; /* the concatenated representations */
  gchar *audio_uri;
  GPtrArray *reference_video; /* lines */
  GPtrArray *reference_audio;
};

Asset
make_asset (OtServer *server, const gchar *name, const gchar *ffmpeg_extra)
{
  Asset asset;
  asset.root = ot_make_temp_dir (name);
  asset.data_dir = g_build_filename (asset.root, "data", nullptr);
  asset.content_dir = g_build_filename (asset.root, "content", nullptr);
  g_mkdir_with_parents (asset.data_dir, 0700);
  g_mkdir_with_parents (asset.content_dir, 0700);
  make_dash (asset.content_dir, ffmpeg_extra);

  g_autofree gchar *url = serve (server, asset.content_dir, name, "x.mpd");
  download (asset.data_dir, url, name);

  g_autofree gchar *video = concatenate (asset.content_dir, 0, server, name);
  g_autofree gchar *audio = concatenate (asset.content_dir, 1, server, name);
  asset.video_uri = gst_filename_to_uri (video, nullptr);
  asset.audio_uri = gst_filename_to_uri (audio, nullptr);
  asset.reference_video = decode (asset.video_uri, asset.data_dir);
  asset.reference_audio = decode (asset.audio_uri, asset.data_dir);
  return asset;
}

void
free_asset (Asset &asset)
{
  g_ptr_array_unref (asset.reference_video);
  g_ptr_array_unref (asset.reference_audio);
  g_free (asset.root);
  g_free (asset.data_dir);
  g_free (asset.content_dir);
  g_free (asset.video_uri);
  g_free (asset.audio_uri);
}

/* Offline playback decodes what the reference decodes.
 *
 * Video: every frame, with its PTS, is the same.
 * Audio: every buffer but the first is the same. The first AAC frame is the
 * encoder's priming, which the init segment's edit list cuts: qtdemux
 * honours that edit list when it reads the concatenated file (BYTES), but
 * not when upstream drives it in TIME, as an adaptive source does (the same
 * happens with the adaptive demuxers), so offline playback decodes that
 * frame at PTS 0 while the reference starts one frame later. */
void
check_same_as_reference (const Asset &asset, GPtrArray *offline)
{
  assert_same (frames_of (asset.reference_video, "video"), frames_of (offline, "video"), "video");

  auto expected_audio = frames_of (asset.reference_audio, "audio");
  auto audio = frames_of (offline, "audio");
  fail_unless (audio.size () > 2 && expected_audio.size () > 2);
  fail_unless (audio[0].pts == 0, "the first audio buffer is at %" G_GINT64_FORMAT, audio[0].pts);
  assert_same (std::vector<Frame> (expected_audio.begin () + 1, expected_audio.end ()),
      std::vector<Frame> (audio.begin () + 1, audio.end ()), "audio");
}

OtServer *server;

void
setup (void)
{
  server = ot_server_new ();
}

void
teardown (void)
{
  ot_server_free (server);
}


} // namespace

/* uridecodebin on offline://ID, in a process without network, decodes the
 * frames the concatenated representations decode (SegmentTemplate with a
 * SegmentTimeline, ffmpeg's default). */
GST_START_TEST (test_timeline_frames)
{
  Asset asset = make_asset (server, "timeline", nullptr);
  GPtrArray *offline = decode ("offline://timeline", asset.data_dir);
  check_same_as_reference (asset, offline);
  g_ptr_array_unref (offline);
  free_asset (asset);
}
GST_END_TEST;

/* The same with SegmentTemplate $Number$ and a fixed duration. */
GST_START_TEST (test_number_frames)
{
  Asset asset = make_asset (server, "number", "-use_timeline 0");
  GPtrArray *offline = decode ("offline://number", asset.data_dir);
  check_same_as_reference (asset, offline);
  g_ptr_array_unref (offline);
  free_asset (asset);
}
GST_END_TEST;


/* playbin and playbin3 play a download to the end without network; the
 * CLI's play counts every frame. */
GST_START_TEST (test_playbin)
{
  Asset asset = make_asset (server, "playbin", nullptr);
  guint reference_frames = frames_of (asset.reference_video, "video").size ();

  for (const gchar *playbin : { "playbin", "playbin3" }) {
    gchar *err = nullptr;
    gint status = run_without_network (asset.data_dir,
        { "gst-launch-1.0", "-q", playbin, "uri=offline://playbin", "video-sink=fakesink sync=false",
            "audio-sink=fakesink sync=false" },
        &err);
    expect_equal (status, 0, "%s failed: %s", playbin, err);
    g_free (err);
  }

  gchar *out = nullptr, *err = nullptr;
  gint status = ot_run_cli (asset.data_dir, &out, &err, "play", "playbin", "--video-sink", "fakesink",
      "--audio-sink", "fakesink", nullptr);
  expect_equal (status, 0, "play failed: %s", err);
  g_autofree gchar *expected = g_strdup_printf ("played playbin: %u video frames", reference_frames);
  fail_unless (strstr (out, expected) != nullptr, "expected '%s' in '%s'", expected, out);
  g_free (out);
  g_free (err);
  free_asset (asset);
}
GST_END_TEST;


/* The duration is the clip's; an accurate flushing seek to the middle gives
 * the reference's frames from there on.
 *
 * What is compared:
 * - video: the frames decoded after the seek, from the first one on, are
 *   exactly the continuous reference decode's frames with PTS >= the target
 *   (the decoder starts at the keyframe of the segment holding the target;
 *   the accurate seek drops what comes before it);
 * - audio: the AAC decoder's output after a flush is not bit-exact with a
 *   continuous decode, so the reference is the concatenated file seeked the
 *   same way in this process; the buffers with PTS >= target + 50 ms (past
 *   the one the decoder clips at the target) are the same, and the first
 *   buffer starts at the target. */
GST_START_TEST (test_seek_and_duration)
{
  Asset asset = make_asset (server, "seek", nullptr);
  constexpr GstClockTime target = 3 * GST_SECOND;

  gint64 duration;
  std::vector<Frame> video, audio;
  play_after_seek ("offline://seek", asset.data_dir, target, &duration, &video, &audio);
  fail_unless (duration >= static_cast<gint64> (CLIP_SECONDS * GST_SECOND - 100 * GST_MSECOND)
          && duration <= static_cast<gint64> (CLIP_SECONDS * GST_SECOND + 100 * GST_MSECOND),
      "duration %" GST_TIME_FORMAT, GST_TIME_ARGS (duration));

  fail_unless (!video.empty (), "no video after the seek");
  fail_unless (video.front ().pts >= static_cast<gint64> (target),
      "video from %" G_GINT64_FORMAT " after a seek to %" GST_TIME_FORMAT, video.front ().pts, GST_TIME_ARGS (target));
  assert_same (from (frames_of (asset.reference_video, "video"), target), video, "video after the seek");

  gint64 reference_duration;
  std::vector<Frame> reference_video, reference_audio;
  play_after_seek (asset.audio_uri, asset.data_dir, target, &reference_duration, &reference_video, &reference_audio);
  constexpr gint64 audio_from = target + 50 * GST_MSECOND;
  fail_unless (!audio.empty () && llabs (audio.front ().pts - static_cast<gint64> (target)) < GST_MSECOND * 25,
      "audio after the seek starts at %" G_GINT64_FORMAT, audio.empty () ? -1 : audio.front ().pts);
  assert_same (from (reference_audio, audio_from), from (audio, audio_from), "audio after the seek");

  free_asset (asset);
}
GST_END_TEST;

/* Two Periods (Period@start 0 and 6 s) holding copies of ffmpeg's segments,
 * each under its own BaseURL: playback crosses the boundary (a new init
 * segment, a media timeline that starts again) and decodes every frame of
 * both. */
GST_START_TEST (test_two_periods)
{
  g_autofree gchar *root = ot_make_temp_dir ("periods");
  g_autofree gchar *data_dir = g_build_filename (root, "data", nullptr);
  g_autofree gchar *made = g_build_filename (root, "made", nullptr);
  g_autofree gchar *content = g_build_filename (root, "content", nullptr);
  g_mkdir_with_parents (data_dir, 0700);
  g_mkdir_with_parents (made, 0700);
  make_dash (made, nullptr);

  /* The MPD: ffmpeg's Period twice, with BaseURLs p0/ and p1/. */
  g_autofree gchar *mpd_path = g_build_filename (made, "x.mpd", nullptr);
  g_autoptr (GBytes) mpd_bytes = ot_read_file (mpd_path);
  std::string mpd (static_cast<const gchar *> (g_bytes_get_data (mpd_bytes, nullptr)), g_bytes_get_size (mpd_bytes));
  size_t period_start = mpd.find ("<Period");
  size_t body_start = mpd.find ('>', period_start) + 1;
  size_t period_end = mpd.find ("</Period>") + strlen ("</Period>");
  fail_unless (period_start != std::string::npos && period_end > body_start);
  std::string body = mpd.substr (body_start, period_end - body_start);
  g_autofree gchar *second_start = g_strdup_printf ("PT%uS", CLIP_SECONDS);
  std::string two = mpd.substr (0, period_start) + "<Period id=\"p0\" start=\"PT0S\"><BaseURL>p0/</BaseURL>" + body
      + "\n<Period id=\"p1\" start=\"" + second_start + "\"><BaseURL>p1/</BaseURL>" + body
      + mpd.substr (period_end);
  size_t duration = two.find ("mediaPresentationDuration=\"");
  fail_unless (duration != std::string::npos);
  size_t value = duration + strlen ("mediaPresentationDuration=\"");
  g_autofree gchar *total = g_strdup_printf ("PT%uS", 2 * CLIP_SECONDS);
  two.replace (value, two.find ('"', value) - value, total);

  std::vector<std::string> files;
  list_files (made, "", &files);
  for (const gchar *period : { "p0", "p1" }) {
    g_autofree gchar *dir = g_build_filename (content, period, nullptr);
    g_mkdir_with_parents (dir, 0700);
    for (const auto &file : files) {
      if (!g_str_has_suffix (file.c_str (), ".m4s"))
        continue;
      g_autofree gchar *from_path = g_build_filename (made, file.c_str (), nullptr);
      g_autofree gchar *to_path = g_build_filename (dir, file.c_str (), nullptr);
      g_autoptr (GBytes) data = ot_read_file (from_path);
      fail_unless (g_file_set_contents (to_path, static_cast<const gchar *> (g_bytes_get_data (data, nullptr)),
          g_bytes_get_size (data), nullptr));
    }
  }
  g_autofree gchar *two_path = g_build_filename (content, "two.mpd", nullptr);
  fail_unless (g_file_set_contents (two_path, two.c_str (), two.size (), nullptr));

  g_autofree gchar *url = serve (server, content, "periods", "two.mpd");
  download (data_dir, url, "periods");

  g_autofree gchar *video_reference = concatenate (made, 0);
  g_autofree gchar *video_uri = gst_filename_to_uri (video_reference, nullptr);
  GPtrArray *reference = decode (video_uri, data_dir);
  guint one_period = frames_of (reference, "video").size ();
  g_ptr_array_unref (reference);

  GPtrArray *offline = decode ("offline://periods", data_dir);
  auto video = frames_of (offline, "video");
  fail_unless_equals_int (static_cast<int> (video.size ()), static_cast<int> (2 * one_period));
  /* The second period decodes the same pictures as the first. */
  for (size_t i = 0; i < one_period; i++)
    fail_unless (video[i].md5 == video[i + one_period].md5, "frame %zu of the second period differs", i);
  g_ptr_array_unref (offline);

  /* playbin plays both periods to the end. */
  gchar *out = nullptr, *err = nullptr;
  gint status = ot_run_cli (data_dir, &out, &err, "play", "periods", "--video-sink", "fakesink", "--audio-sink",
      "fakesink", nullptr);
  expect_equal (status, 0, "play failed: %s", err);
  g_autofree gchar *expected = g_strdup_printf ("played periods: %u video frames", 2 * one_period);
  fail_unless (strstr (out, expected) != nullptr, "expected '%s' in '%s'", expected, out);
  g_free (out);
  g_free (err);
}
GST_END_TEST;

/* A segment file gone from the cache: an element error that names the
 * download and the track, not garbage or a hang. The tracks property picks
 * pads; an unknown track is refused with the list of those there are. */
GST_START_TEST (test_missing_segment_and_tracks)
{
  Asset asset = make_asset (server, "broken", nullptr);

  /* Only the audio track (1): only audio is decoded. */
  {
    Player player;
    player.data_dir = asset.data_dir;
    player.pipeline = gst_parse_launch ("cachesrc uri=offline://broken tracks=1 name=src ! decodebin name=d", nullptr);
    fail_unless (player.pipeline != nullptr);
    GstElement *src = gst_bin_get_by_name (GST_BIN (player.pipeline), "src");
    g_object_set (src, "cache-dir", asset.data_dir, nullptr);
    gst_object_unref (src);
    GstElement *decodebin = gst_bin_get_by_name (GST_BIN (player.pipeline), "d");
    g_signal_connect (decodebin, "pad-added", G_CALLBACK (on_pad_added), &player);
    gst_object_unref (decodebin);
    gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
    wait_for (player.pipeline, GST_MESSAGE_EOS);
    gst_element_set_state (player.pipeline, GST_STATE_NULL);
    gst_object_unref (player.pipeline);
    fail_unless (lines_to_frames (player.video).empty ());
    fail_unless_equals_int (static_cast<int> (lines_to_frames (player.audio).size ()),
        static_cast<int> (frames_of (asset.reference_audio, "audio").size ()));
  }

  {
    GstElement *src = gst_element_factory_make ("cachesrc", nullptr);
    g_object_set (src, "uri", "offline://broken", "cache-dir", asset.data_dir, "tracks", "7", nullptr);
    GstBus *bus = gst_bus_new ();
    gst_element_set_bus (src, bus);
    fail_unless_equals_int (gst_element_set_state (src, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
    GstMessage *message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    fail_unless (message != nullptr);
    GError *error = nullptr;
    gst_message_parse_error (message, &error, nullptr);
    fail_unless (strstr (error->message, "no track '7'") != nullptr, "%s", error->message);
    g_error_free (error);
    gst_message_unref (message);
    gst_element_set_state (src, GST_STATE_NULL);
    gst_object_unref (bus);
    gst_object_unref (src);
  }

  /* Remove the file of the second video segment. */
  GError *error = nullptr;
  GstOfflineDownloadIndex *index = gst_offline_download_index_new (asset.data_dir, &error);
  fail_unless (index != nullptr);
  GPtrArray *segments = gst_offline_download_index_get_segments (index, "broken", 0, 1, 1, &error);
  fail_unless (segments != nullptr && segments->len == 1);
  GstOfflineCache *cache = gst_offline_cache_new (asset.data_dir, &error);
  fail_unless (cache != nullptr);
  auto *segment = static_cast<GstOfflineSegment *> (g_ptr_array_index (segments, 0));
  guint64 length = 0;
  gchar *path = gst_offline_cache_lookup (cache, segment->resource, &length, &error);
  fail_unless (path != nullptr);
  fail_unless_equals_int (g_unlink (path), 0);
  g_free (path);
  g_ptr_array_unref (segments);
  g_object_unref (cache);
  g_object_unref (index);

  gchar *message = nullptr;
  GPtrArray *lines = ot_decode_checksums ("offline://broken", asset.data_dir, TRUE, &message);
  fail_unless (lines == nullptr, "decoding succeeded without a segment");
  fail_unless (message != nullptr && strstr (message, "'broken'") != nullptr && strstr (message, "track") != nullptr,
      "unexpected error: %s", message);
  g_free (message);
  free_asset (asset);
}
GST_END_TEST;



static Suite *
cachesrc_adaptive_suite (void)
{
  Suite *s = suite_create ("cachesrc-adaptive");
  TCase *tc = tcase_create ("dash");
  tcase_set_timeout (tc, 240);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_timeline_frames);
  tcase_add_test (tc, test_number_frames);
  tcase_add_test (tc, test_playbin);
  tcase_add_test (tc, test_seek_and_duration);
  tcase_add_test (tc, test_two_periods);
  tcase_add_test (tc, test_missing_segment_and_tracks);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (cachesrc_adaptive);
