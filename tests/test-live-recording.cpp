/* End-to-end tests of live HLS and DASH recording: a live origin of the
 * test's own (tests/support/live-origin) publishes 1 s segments made by
 * ffmpeg as wall-clock time passes, in a sliding window of 6 (a media
 * playlist, or a dynamic MPD with SegmentTimeline and $Time$, or with
 * $Number$ and @duration timed by the origin's clock); the CLI records it
 * (from the live edge or the start of the window, for a duration, until a
 * pause, across a SIGKILL, past an expired segment); the recording is then a
 * completed download whose playback without network decodes the frames of
 * the segments it recorded, with the missing media as a gap. While it
 * records it plays too: playback waits at the end of what it holds for
 * what the recorder adds and ends with the recording.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>
#include <json-glib/json-glib.h>

#include "adaptive-content.h"
#include "frame-checks.h"
#include "live-checks.h"
#include "live-content.h"
#include "live-origin.h"
#include "running.h"
#include "test-support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

using namespace ot;

namespace {

constexpr guint kWindow = 6;

/* ffmpeg's dash muxer in `dir`/x.mpd: live-content.h's video and audio
 * (kLiveClipSeconds), in 1 s fMP4 segments named by $Time$ in a
 * SegmentTimeline (VOD: the origin makes it live). */
void
make_dash_live (const std::string &dir)
{
  g_mkdir_with_parents (dir.c_str (), 0700);
  g_autofree gchar *video = g_strdup_printf ("testsrc2=size=320x240:rate=25:duration=%u", kLiveClipSeconds);
  g_autofree gchar *sine
      = g_strdup_printf ("sine=frequency=440:beep_factor=4:sample_rate=44100:duration=%u", kLiveClipSeconds);
  run_or_fail ({ "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", video, "-f",
                   "lavfi", "-i", sine, "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "veryfast", "-g",
                   "25", "-keyint_min", "25", "-sc_threshold", "0", "-bf", "0", "-pix_fmt", "yuv420p", "-threads", "1",
                   "-c:a", "aac", "-aac_pns", "0", "-b:a", "64k", "-ac", "2", "-map_metadata", "-1", "-fflags",
                   "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-seg_duration", "1",
                   "-use_timeline", "1", "-use_template", "1", "-media_seg_name",
                   "chunk-stream$RepresentationID$-$Time$.$ext$", "-f", "dash", "x.mpd" },
      dir.c_str ());
}

/* The same in a SegmentTemplate with $Number$ and @duration, no
 * SegmentTimeline (what ffmpeg writes without -use_timeline), with two
 * audio languages (English 440 Hz, French 880 Hz), each its own
 * AdaptationSet: Representations 0 (video), 1 (en) and 2 (fr). */
void
make_dash_numbered (const std::string &dir)
{
  g_mkdir_with_parents (dir.c_str (), 0700);
  g_autofree gchar *video = g_strdup_printf ("testsrc2=size=320x240:rate=25:duration=%u", kLiveClipSeconds);
  g_autofree gchar *en = g_strdup_printf ("sine=frequency=440:sample_rate=44100:duration=%u", kLiveClipSeconds);
  g_autofree gchar *fr = g_strdup_printf ("sine=frequency=880:sample_rate=44100:duration=%u", kLiveClipSeconds);
  run_or_fail ({ "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", video, "-f",
                   "lavfi", "-i", en, "-f", "lavfi", "-i", fr, "-map", "0:v", "-map", "1:a", "-map", "2:a", "-c:v",
                   "libx264", "-preset", "veryfast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0", "-bf", "0",
                   "-pix_fmt", "yuv420p", "-threads", "1", "-c:a", "aac", "-aac_pns", "0", "-b:a", "64k", "-ac", "2",
                   "-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fra", "-map_metadata", "-1",
                   "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-seg_duration", "1",
                   "-use_timeline", "0", "-use_template", "1", "-adaptation_sets", "id=0,streams=0 id=1,streams=1 id=2,streams=2",
                   "-media_seg_name", "chunk-stream$RepresentationID$-$Number%05d$.$ext$", "-f", "dash", "x.mpd" },
      dir.c_str ());
}

/* `status ID --json`, parsed; `member` of it as a number. */
double
status_number (const gchar *data_dir, const gchar *id, const gchar *member)
{
  Cli r = run (data_dir, { "status", id, "--json" });
  ot_assert_exit (r, 0);
  g_autoptr (JsonParser) parser = json_parser_new ();
  fail_unless (json_parser_load_from_data (parser, r.out.c_str (), -1, nullptr), "%s", r.out.c_str ());
  JsonObject *o = json_node_get_object (json_parser_get_root (parser));
  fail_unless (json_object_has_member (o, member), "status has no %s: %s", member, r.out.c_str ());
  JsonNode *node = json_object_get_member (o, member);
  if (json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    return json_node_get_boolean (node) ? 1 : 0;
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    return g_str_equal (json_node_get_string (node), "completed") ? 1 : 0;
  return json_node_get_double (node);
}

/* The recording is completed, says so, and holds `recorded` s (at least)
 * and `missing` s of media missing. */
void
assert_completed_recording (const gchar *data_dir, const gchar *id, double recorded, double missing)
{
  fail_unless (status_number (data_dir, id, "state") == 1, "%s is not completed", id);
  fail_unless (status_number (data_dir, id, "recording") == 1, "%s is not a recording", id);
  double held = status_number (data_dir, id, "recorded_seconds");
  fail_unless (held >= recorded - 0.01, "%s: %.3f s recorded, expected %.3f", id, held, recorded);
  double lost = status_number (data_dir, id, "missing_seconds");
  fail_unless (lost >= missing - 0.01 && lost <= missing + 0.01, "%s: %.3f s missing, expected %.3f", id, lost, missing);
  Cli list = run (data_dir, { "list" });
  ot_assert_exit (list, 0);
  fail_unless (list.out.find ("recording:") != std::string::npos, "list does not show a recording: %s",
      list.out.c_str ());
}

/* Whether download `id` of the index in `data_dir` is in `state` (with
 * `left`: in another one), for ot_wait_for_changes(). */
struct InState {
  const gchar *data_dir;
  const gchar *id;
  GstOfflineDownloadState state;
  bool left = false;
};

gboolean
in_state (gpointer data)
{
  auto *s = static_cast<InState *> (data);
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (s->data_dir, nullptr);
  g_autoptr (GstOfflineDownload) download = index ? gst_offline_download_index_get_download (index, s->id, nullptr) : nullptr;
  return download && (gst_offline_download_get_state (download) == s->state) != s->left;
}

/* A video-only live origin of `d`'s content/video, publishing `window`
 * segments at once, then one every `period_ms`. */
std::unique_ptr<LiveOrigin>
video_origin (const Dirs &d, guint window = kWindow, guint period_ms = 1000)
{
  std::string video = d.in_content ("video");
  make_live_video (video);
  return std::make_unique<LiveOrigin> (std::vector<LiveOrigin::Track> { { "video", video } }, window, window, period_ms);
}

/* A live origin of `d`'s content/video and content/audio (440 Hz) under a
 * master playlist, the audio its English rendition, publishing kWindow
 * segments at once, then one every `period_ms`. */
std::unique_ptr<LiveOrigin>
master_origin (const Dirs &d, guint period_ms = 1000)
{
  std::string video = d.in_content ("video"), audio = d.in_content ("audio");
  make_live_video (video);
  make_live_audio (audio);
  return std::make_unique<LiveOrigin> (std::vector<LiveOrigin::Track> { { "video", video }, { "audio", audio } },
      kWindow, kWindow, period_ms, live_master_playlist ({ { "audio", "English", "en", true } }));
}

/* A video-only live origin with a window of 12 (it outlasts the reloads'
 * backoff) whose AES-128 key rotates at sequence 14, the new key (1)
 * answering 503 `unavailable` times, then 15 bytes `truncated` times. */
std::unique_ptr<LiveOrigin>
rotating_key_origin (const Dirs &d, guint unavailable, guint truncated)
{
  auto origin = video_origin (d, 12);
  origin->encrypt (14);
  origin->break_key (1, unavailable, truncated);
  return origin;
}

/* ot-decode of `uri` (the test's decoder) running without network in a
 * child process while the test goes on: it tells each BUFFERING message
 * at once ("buffering N" on its stderr), its checksum lines come at EOS. */
class RunningDecode {
 public:
  RunningDecode (const gchar *uri, const gchar *data_dir)
      : decode_ (data_dir, { ot_decoder_path (), uri }, { { "OT_DECODE_BUFFERING", "1" } })
  {
  }

  /* Blocks until the decode posts BUFFERING `percent`; fails the test if
   * it ends first. */
  void wait_buffering (gint percent)
  {
    std::string line;
    while (decode_.next_line (true, &line)) {
      gint got = -1;
      if (sscanf (line.c_str (), "buffering %d", &got) == 1 && got == percent)
        return;
    }
    ck_abort_msg ("playback ended before BUFFERING %d: %s", percent, decode_.said (true).c_str ());
  }

  /* Waits for its end: exit 0 (EOS), its checksum lines (transfer full). */
  GPtrArray *finish ()
  {
    std::string out, err;
    fail_unless_equals_int (decode_.finish (&out, &err), 0);
    g_auto (GStrv) said = g_strsplit (err.c_str (), "\n", -1);
    for (gchar **l = said; *l; l++) {
      gint got = -1;
      if (sscanf (*l, "buffering %d", &got) == 1)
        percents_.push_back (got);
    }
    GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
    g_auto (GStrv) split = g_strsplit (out.c_str (), "\n", -1);
    for (gchar **l = split; *l; l++)
      if (**l)
        g_ptr_array_add (lines, g_strdup (*l));
    return lines;
  }

  /* Every BUFFERING percent it posted, once it has ended. */
  const std::vector<gint> &percents () const { return percents_; }

 private:

  Running decode_;
  std::vector<gint> percents_;
};

/* Whether the plan of download `id` of the index in `data_dir` holds
 * `count` segments of each of its first `tracks` tracks (for
 * ot_wait_for_changes()). */
struct Holds {
  const gchar *data_dir;
  const gchar *id;
  guint count;
  guint tracks = 1;
};

gboolean
holds (gpointer data)
{
  auto *h = static_cast<Holds *> (data);
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (h->data_dir, nullptr);
  for (guint t = 0; index && t < h->tracks; t++) {
    g_autoptr (GPtrArray) segments = gst_offline_download_index_get_segments (index, h->id, t, 0, h->count, nullptr);
    if (!segments || segments->len < h->count)
      return FALSE;
  }
  return index != nullptr;
}

/* Starts `gst-offline download URL --id ID` (a recording from the live
 * edge) and returns once the recording holds its first `segments`. */
GPid
record_until_held (const Dirs &d, const std::string &url, const gchar *id, guint segments)
{
  const gchar *argv[] = { "download", url.c_str (), "--id", id, nullptr };
  GPid cli = ot_spawn_cli (d.data, argv);
  Holds held { d.data, id, segments };
  ot_wait_for_changes (d.data, holds, &held);
  return cli;
}

/* The first src pad of `element` (transfer full); fails the test if it has none. */
GstPad *
first_src_pad (GstElement *element)
{
  GstPad *pad = nullptr;
  GstIterator *pads = gst_element_iterate_src_pads (element);
  GValue item = G_VALUE_INIT;
  if (gst_iterator_next (pads, &item) == GST_ITERATOR_OK)
    pad = GST_PAD (g_value_dup_object (&item));
  g_value_unset (&item);
  gst_iterator_free (pads);
  fail_unless (pad != nullptr, "%s has no pad", GST_ELEMENT_NAME (element));
  return pad;
}

/* What a player asks of a recording that runs: cachesrc on offline://`id`
 * (READY to PAUSED adds its pads) answers no DURATION (it grows), and
 * SEEKING in TIME from 0 to the end of what the plan holds now. */
void
assert_grows (const gchar *data_dir, const gchar *id)
{
  g_autofree gchar *uri = g_strdup_printf ("offline://%s", id);
  GstElement *source = gst_element_make_from_uri (GST_URI_SRC, uri, nullptr, nullptr);
  fail_unless (source != nullptr);
  gst_object_ref_sink (source);
  g_object_set (source, "cache-dir", data_dir, nullptr);
  fail_unless (gst_element_set_state (source, GST_STATE_PAUSED) != GST_STATE_CHANGE_FAILURE);
  GstPad *pad = first_src_pad (source);
  gint64 duration = -1;
  fail_if (gst_pad_query_duration (pad, GST_FORMAT_TIME, &duration), "a duration while it records: %" G_GINT64_FORMAT,
      duration);
  GstQuery *query = gst_query_new_seeking (GST_FORMAT_TIME);
  fail_unless (gst_pad_query (pad, query));
  gboolean seekable = FALSE;
  gint64 start = -1, end = -1;
  gst_query_parse_seeking (query, nullptr, &seekable, &start, &end);
  gst_query_unref (query);
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (data_dir, nullptr);
  GstClockTime held = gst_offline_download_index_get_duration (index, id);
  fail_unless (seekable && start == 0 && end > 0 && static_cast<GstClockTime> (end) <= held,
      "seekable %d from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT ", %" G_GUINT64_FORMAT " ns recorded", seekable,
      start, end, held);
  gst_object_unref (pad);
  gst_element_set_state (source, GST_STATE_NULL);
  gst_object_unref (source);
}

/* 10 s from the live edge of a master playlist with an alternate audio
 * rendition: the recording starts three target durations back from the
 * end of the window (not at its oldest segment), holds 10 s of each track,
 * and plays both offline. */
GST_START_TEST (test_edge_master_with_audio)
{
  Dirs d ("edge");
  auto origin = master_origin (d);
  std::string video = d.in_content ("video"), audio = d.in_content ("audio");
  std::string url = origin->url ("/master.m3u8");
  Cli r = run (d.data, { "download", url.c_str (), "--id", "edge", "--duration", "10" });
  ot_assert_exit (r, 0);
  fail_unless (r.out.find ("recording completed") != std::string::npos, "%s", r.out.c_str ());
  assert_completed_recording (d.data, "edge", 10, 0);

  auto videos = recorded (d.data, "edge", "video");
  auto audios = recorded (d.data, "edge", "audio");
  /* The live edge: the window was [0, 6) or later, so it starts at 3 or later. */
  guint first = segment_number (videos.front ());
  fail_unless (first >= kWindow - 3, "the recording starts at %s, not at the live edge", videos.front ().file.c_str ());
  fail_unless (videos.size () >= 10 && videos.size () <= 11, "%zu video segments", videos.size ());
  fail_unless (audios.front ().file == videos.front ().file, "audio starts at %s, video at %s",
      audios.front ().file.c_str (), videos.front ().file.c_str ());

  g_autoptr (GPtrArray) offline = decode ("offline://edge", d.data);
  assert_plays_parts (d, video, videos, "video", offline);
  assert_plays_parts (d, audio, audios, "audio", offline);
}
GST_END_TEST;

/* A recording without a duration runs until `gst-offline pause`: then it
 * is a completed download of what it holds. */
GST_START_TEST (test_pause_ends_recording)
{
  Dirs d ("pause");
  auto origin = video_origin (d);
  std::string url = origin->url ("/video/index.m3u8");
  const gchar *argv[] = { "download", url.c_str (), "--id", "paused", nullptr };
  GPid cli = ot_spawn_cli (d.data, argv);
  origin->wait_served ("video", 4);
  Cli pause = run (d.data, { "pause", "paused" });
  ot_assert_exit (pause, 0);
  fail_unless_equals_int (ot_wait_pid (cli), 0);
  auto videos = recorded (d.data, "paused", "video");
  fail_unless (videos.size () >= 4, "%zu segments recorded", videos.size ());
  assert_completed_recording (d.data, "paused", static_cast<double> (videos.size ()), 0);
  g_autoptr (GPtrArray) offline = decode ("offline://paused", d.data);
  assert_plays_parts (d, d.in_content ("video"), videos, "video", offline);
}
GST_END_TEST;

/* Ctrl-C (SIGINT) in `download` ends a recording: it exits 0 with a
 * completed download of what it holds. */
GST_START_TEST (test_interrupt_ends_recording)
{
  Dirs d ("interrupt");
  auto origin = video_origin (d);
  std::string url = origin->url ("/video/index.m3u8");
  const gchar *argv[] = { "download", url.c_str (), "--id", "interrupted", nullptr };
  GPid cli = ot_spawn_cli (d.data, argv);
  origin->wait_served ("video", 4);
  /* The CLI knows it records once a progress report said so: it comes
   * with the first segment's, and again with every later one. */
  origin->wait_published (kWindow + 1);
  origin->wait_served ("video", 5);
  kill (cli, SIGINT);
  fail_unless_equals_int (ot_wait_pid (cli), 0);
  auto videos = recorded (d.data, "interrupted", "video");
  assert_completed_recording (d.data, "interrupted", static_cast<double> (videos.size ()), 0);
  fail_unless (status_number (d.data, "interrupted", "stop_reason") == 0, "the stop reason stays set");
  g_autoptr (GPtrArray) offline = decode ("offline://interrupted", d.data);
  assert_plays_parts (d, d.in_content ("video"), videos, "video", offline);
}
GST_END_TEST;

/* Reloads that fail (503, no retries in the request): the recorder tries
 * again after 1, 2 then 4 target durations, the window moves on meanwhile,
 * and what left it is missing: a gap, then the recording goes on. */
GST_START_TEST (test_failing_reloads)
{
  Dirs d ("reloads");
  auto origin = video_origin (d);
  std::string url = origin->url ("/video/index.m3u8");
  const gchar *argv[] = { "download", url.c_str (), "--id", "reloads", "--duration", "10", "--live-from-start",
    "--retries", "0", nullptr };
  GPid cli = ot_spawn_cli (d.data, argv);
  origin->wait_served ("video", 1);
  origin->fail_playlists (3);
  fail_unless_equals_int (ot_wait_pid (cli), 0);
  auto videos = recorded (d.data, "reloads", "video");
  auto parts = parts_of (videos);
  fail_unless_equals_int (parts.size (), 2);
  guint resumed_at = segment_number (parts[1].front ());
  guint stopped_at = segment_number (parts[0].back ());
  fail_unless (resumed_at > stopped_at + 1, "resumed at %u after %u", resumed_at, stopped_at);
  assert_completed_recording (d.data, "reloads", 10, resumed_at - stopped_at - 1);
  g_autoptr (GPtrArray) offline = decode ("offline://reloads", d.data);
  assert_plays_parts (d, d.in_content ("video"), videos, "video", offline);
}
GST_END_TEST;

/* A key rotation during a recording (AES-128, the origin's new key from
 * sequence 14 on): the new key answers 503 once, then 15 bytes once (no
 * retries in the request): each is a reload that failed, tried again after
 * a target duration then two, not the recording's end. It records on
 * through the rotation, nothing lost (the window of 12 outlasts the
 * backoff), and plays as the clear segments. */
GST_START_TEST (test_key_fails_during_reload)
{
  Dirs d ("key");
  auto origin = rotating_key_origin (d, 1, 1);
  std::string url = origin->url ("/video/index.m3u8");
  Cli r = run (d.data, { "download", url.c_str (), "--id", "key", "--duration", "8", "--retries", "0" });
  ot_assert_exit (r, 0);
  assert_completed_recording (d.data, "key", 8, 0);
  auto videos = recorded (d.data, "key", "video");
  guint last = segment_number (videos.back ());
  fail_unless (last >= 14, "the recording ends at %s, before the rotation", videos.back ().file.c_str ());
  g_autoptr (GPtrArray) offline = decode ("offline://key", d.data);
  assert_plays_parts (d, d.in_content ("video"), videos, "video", offline);
}
GST_END_TEST;

/* A rotated key that never answers (503, no retries in the request): the
 * reloads fail kMaxReloadFailures (6) times in a row, then the recording
 * fails with an error that names the key's URI, keeping what it holds. */
GST_START_TEST (test_key_unreachable_fails_recording)
{
  Dirs d ("key-gone");
  auto origin = rotating_key_origin (d, G_MAXUINT, 0);
  std::string url = origin->url ("/video/index.m3u8");
  Cli r = run (d.data, { "download", url.c_str (), "--id", "gone", "--retries", "0" });
  ot_assert_exit (r, 1);
  std::string reason = ot::reason_of (r);
  fail_unless (reason.find ("could not be reloaded 6 times in a row") != std::string::npos
          && reason.find (origin->url ("/keys/1")) != std::string::npos,
      "the reason does not name the key: %s", reason.c_str ());
  fail_unless (status_number (d.data, "gone", "recorded_seconds") >= 1, "what it recorded is gone");
}
GST_END_TEST;

/* With alternate audio and an origin slow to answer (every segment 200
 * ms after its request), the recorder fetches several segments at once
 * (--segment-parallelism, as VOD downloads do), yet each track's segments
 * go into the plan in order: the recording is whole and plays bit-exact. */
GST_START_TEST (test_parallel_fetches)
{
  Dirs d ("parallel");
  /* The window stays [0, 6): all of it is fetched in one batch. */
  auto origin = master_origin (d, G_MAXINT);
  std::string video = d.in_content ("video"), audio = d.in_content ("audio");
  origin->set_latency (200);
  std::string url = origin->url ("/master.m3u8");
  Cli r = run (d.data, { "download", url.c_str (), "--id", "parallel", "--duration", "6", "--live-from-start",
                           "--segment-parallelism", "4" });
  ot_assert_exit (r, 0);
  fail_unless (origin->max_in_flight () > 1, "%u segment requests in flight at most", origin->max_in_flight ());
  assert_completed_recording (d.data, "parallel", 6, 0);
  auto videos = recorded (d.data, "parallel", "video");
  auto audios = recorded (d.data, "parallel", "audio");
  fail_unless_equals_int (videos.size (), 6);
  fail_unless_equals_int (audios.size (), 6);
  for (guint i = 0; i < 6; i++) {
    g_autofree gchar *name = g_strdup_printf ("seg%u.ts", i);
    fail_unless (videos[i].file == name && audios[i].file == name, "segment %u of the plan: %s and %s", i,
        videos[i].file.c_str (), audios[i].file.c_str ());
  }
  g_autoptr (GPtrArray) offline = decode ("offline://parallel", d.data);
  assert_plays_parts (d, video, videos, "video", offline);
  assert_plays_parts (d, audio, audios, "audio", offline);
}
GST_END_TEST;

/* It plays while it records: playback (without network) of a recording
 * that runs plays what the plan holds, then waits at its end (BUFFERING 0)
 * for the segments the recorder adds, carries on with them (100), waits
 * again, and ends only once the recording is over (stopped by `pause`: a
 * completed download), its frames those of every segment recorded, video
 * and audio. */
GST_START_TEST (test_plays_while_recording)
{
  Dirs d ("growing");
  auto origin = master_origin (d);
  std::string video = d.in_content ("video"), audio = d.in_content ("audio");
  std::string url = origin->url ("/master.m3u8");
  GPid cli = record_until_held (d, url, "growing", 2);

  RunningDecode playback ("offline://growing", d.data);
  /* At the end of what it holds, then on with what the recorder added,
   * then at the end again. */
  playback.wait_buffering (0);
  assert_grows (d.data, "growing");
  playback.wait_buffering (100);
  playback.wait_buffering (0);
  Cli pause = run (d.data, { "pause", "growing" });
  ot_assert_exit (pause, 0);
  fail_unless_equals_int (ot_wait_pid (cli), 0);
  g_autoptr (GPtrArray) offline = playback.finish ();
  fail_unless (playback.percents ().back () == 100, "the last BUFFERING is %d", playback.percents ().back ());

  auto videos = recorded (d.data, "growing", "video");
  auto audios = recorded (d.data, "growing", "audio");
  assert_completed_recording (d.data, "growing", static_cast<double> (videos.size ()), 0);
  assert_plays_parts (d, video, videos, "video", offline);
  assert_plays_parts (d, audio, audios, "audio", offline);
}
GST_END_TEST;

/* A recording that runs has no duration; once it completes, cachesrc
 * posts DURATION_CHANGED and answers the DURATION query with the whole
 * recording's (the plan's end). Played in this process (uridecodebin into
 * fakesinks): when playback has caught up with the recording (BUFFERING
 * 0), the test asks cachesrc its duration, then pauses the recording and
 * waits for the CLI to end it; playback then sees it over. */
GST_START_TEST (test_duration_known_once_the_recording_completes)
{
  Dirs d ("duration");
  auto origin = video_origin (d);
  std::string url = origin->url ("/video/index.m3u8");
  GPid cli = record_until_held (d, url, "timed", 2);

  struct Source {
    const gchar *data;
    GstElement *element = nullptr;
  } source { d.data };
  GstElement *pipeline = gst_pipeline_new (nullptr);
  GstElement *decodebin = gst_element_factory_make ("uridecodebin", nullptr);
  g_object_set (decodebin, "uri", "offline://timed", nullptr);
  g_signal_connect (decodebin, "source-setup", G_CALLBACK (+[] (GstElement *, GstElement *element, Source *s) {
    g_object_set (element, "cache-dir", s->data, nullptr);
    s->element = GST_ELEMENT (gst_object_ref (element));
  }), &source);
  g_signal_connect (decodebin, "pad-added", G_CALLBACK (+[] (GstElement *, GstPad *pad, GstElement *bin) {
    GstElement *sink = gst_element_factory_make ("fakesink", nullptr);
    g_object_set (sink, "sync", FALSE, nullptr);
    gst_bin_add (GST_BIN (bin), sink);
    gst_element_sync_state_with_parent (sink);
    GstPad *sink_pad = gst_element_get_static_pad (sink, "sink");
    fail_unless_equals_int (gst_pad_link (pad, sink_pad), GST_PAD_LINK_OK);
    gst_object_unref (sink_pad);
  }), pipeline);
  gst_bin_add (GST_BIN (pipeline), decodebin);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);

  auto source_duration = [&source] (gint64 *duration) {
    GstPad *pad = first_src_pad (source.element);
    bool known = gst_pad_query_duration (pad, GST_FORMAT_TIME, duration);
    gst_object_unref (pad);
    return known;
  };
  bool paused = false, changed = false, eos = false;
  gint64 while_recording = -1, after = -1;
  bool known_while_recording = false;
  GstBus *bus = gst_element_get_bus (pipeline);
  while (!eos) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
        static_cast<GstMessageType> (GST_MESSAGE_BUFFERING | GST_MESSAGE_DURATION_CHANGED | GST_MESSAGE_EOS
            | GST_MESSAGE_ERROR));
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_BUFFERING: {
        gint percent = 100;
        gst_message_parse_buffering (msg, &percent);
        if (percent == 0 && !paused) {
          known_while_recording = source_duration (&while_recording);
          Cli pause = run (d.data, { "pause", "timed" });
          ot_assert_exit (pause, 0);
          fail_unless_equals_int (ot_wait_pid (cli), 0);
          paused = true;
        }
        break;
      }
      case GST_MESSAGE_DURATION_CHANGED:
        if (GST_MESSAGE_SRC (msg) == GST_OBJECT (source.element)) {
          fail_unless (paused, "DURATION_CHANGED while the recording runs");
          changed = true;
          fail_unless (source_duration (&after), "no duration once the recording completed");
        }
        break;
      case GST_MESSAGE_ERROR: {
        g_autoptr (GError) error = nullptr;
        gst_message_parse_error (msg, &error, nullptr);
        ck_abort_msg ("playback failed: %s", error->message);
        break;
      }
      default:
        eos = true;
        break;
    }
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  gst_object_unref (source.element);

  fail_unless (paused, "playback never caught up with the recording");
  fail_if (known_while_recording, "a duration while it records: %" G_GINT64_FORMAT, while_recording);
  fail_unless (changed, "no DURATION_CHANGED from cachesrc once the recording completed");
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (d.data, nullptr);
  GstClockTime recorded_length = gst_offline_download_index_get_duration (index, "timed");
  fail_unless (recorded_length >= 2 * GST_SECOND, "%" GST_TIME_FORMAT " recorded", GST_TIME_ARGS (recorded_length));
  fail_unless_equals_uint64 (static_cast<GstClockTime> (after), recorded_length);
  assert_completed_recording (d.data, "timed", static_cast<double> (recorded (d.data, "timed", "video").size ()), 0);
}
GST_END_TEST;

/* The recording process dies (SIGKILL) while a player waits at the end of
 * what it holds: the player learns of it (the process's lock goes) and
 * ends there cleanly, every segment recorded played (what it holds is
 * whole), no error. */
GST_START_TEST (test_plays_while_recording_until_killed)
{
  Dirs d ("dies");
  auto origin = video_origin (d);
  std::string url = origin->url ("/video/index.m3u8");
  GPid cli = record_until_held (d, url, "dies", 2);
  RunningDecode playback ("offline://dies", d.data);
  playback.wait_buffering (0);
  kill (cli, SIGKILL);
  ot_wait_pid (cli);
  g_autoptr (GPtrArray) offline = playback.finish ();
  fail_unless (playback.percents ().back () == 100, "the last BUFFERING is %d", playback.percents ().back ());
  auto videos = recorded (d.data, "dies", "video");
  assert_plays_parts (d, d.in_content ("video"), videos, "video", offline);
}
GST_END_TEST;

/* DASH: a dynamic MPD whose SegmentTimelines list the last 6 s ($Time$,
 * startNumber left at 1 while the window slides), video and audio. */
std::unique_ptr<LiveOrigin>
dash_origin (const Dirs &d, guint window = kWindow, guint period_ms = 1000)
{
  std::string dir = d.in_content ("dash");
  make_dash_live (dir);
  return std::make_unique<LiveOrigin> (LiveOrigin::Dash {}, dir, window, window, period_ms);
}

/* Both tracks of a DASH recording of `id` play offline as the decode of
 * the segments it fetched (each track's parts with its init segment). */
void
assert_dash_plays (const Dirs &d, const LiveOrigin &origin, const gchar *id, const char *audio)
{
  std::string dir = d.in_content ("dash");
  g_autoptr (GPtrArray) offline = decode ((std::string ("offline://") + id).c_str (), d.data);
  for (const char *track : { "0", audio }) {
    /* The files ffmpeg wrote them to. */
    auto segments = recorded_matching (d.data, id, std::string ("/chunk-stream") + track + "-");
    for (Recorded &s : segments) {
      int sequence = origin.sequence_of (track, s.file);
      fail_unless (sequence >= 0, "%s is none of the origin's", s.file.c_str ());
      g_autofree gchar *file = g_path_get_basename (origin.segment_file (track, sequence).c_str ());
      s.file = file;
    }
    assert_plays_parts (d, dir, segments, g_str_equal (track, "0") ? "video" : "audio", offline,
        std::string ("init-stream") + track + ".m4s");
  }
}

/* A live origin of either format and what a test asks of it: the URL to
 * record, the origin's name of the main (video) track, and the recorded
 * video segments with their sequence numbers at the origin. */
enum class Live { Hls, DashTimeline, DashNumber };

struct LiveCase {
  const Dirs &d;
  bool dash;
  std::unique_ptr<LiveOrigin> origin;
  std::string url;
  std::string main;

  /* An origin publishing `window` segments at once, then one every
   * `period_ms` (a test that needs no more makes it long: the window it
   * records from stays where it was). */
  LiveCase (const Dirs &dirs, Live kind, guint window = kWindow, guint period_ms = 1000)
      : d (dirs), dash (kind != Live::Hls), origin (make (dirs, kind, window, period_ms)),
        url (origin->url (dash ? "/dash/live.mpd" : "/video/index.m3u8")), main (dash ? "0" : "video")
  {
  }

  static std::unique_ptr<LiveOrigin> make (const Dirs &dirs, Live kind, guint window, guint period_ms)
  {
    if (kind == Live::Hls)
      return video_origin (dirs, window, period_ms);
    if (kind == Live::DashTimeline)
      return dash_origin (dirs, window, period_ms);
    std::string dir = dirs.in_content ("dash");
    make_dash_numbered (dir);
    return std::make_unique<LiveOrigin> (LiveOrigin::Dash {}, dir, window, window, period_ms);
  }

  /* The recorded video segments of `id`, in play order. */
  std::vector<Recorded> videos (const gchar *id) const
  {
    return recorded_matching (d.data, id, dash ? "/chunk-stream0-" : "/video/");
  }

  /* Their sequence numbers at the origin (0 its first segment). */
  std::vector<int> sequences (const std::vector<Recorded> &segments) const
  {
    std::vector<int> result;
    for (const Recorded &s : segments) {
      result.push_back (origin->sequence_of (main, s.file));
      fail_unless (result.back () >= 0, "%s is none of the origin's", s.file.c_str ());
    }
    return result;
  }

  /* Every track of `id` plays offline as the decode of the segments it
   * fetched (DASH: the Representations `audio` names the audio of). */
  void assert_plays (const gchar *id, const char *audio = "1") const
  {
    if (dash) {
      assert_dash_plays (d, *origin, id, audio);
      return;
    }
    g_autoptr (GPtrArray) offline = decode ((std::string ("offline://") + id).c_str (), d.data);
    assert_plays_parts (d, d.in_content ("video"), videos (id), "video", offline);
  }
};

/* 6 s from the start of the window: the oldest segment listed and the five
 * after it, nothing lost; it plays as VOD, with its duration and seeking. */
void
check_from_window_start (bool dash)
{
  Dirs d (dash ? "dash-start" : "start");
  /* The window stays [0, 6) (no segment is published while it records):
   * its start does not depend on how soon the recording begins. */
  LiveCase live (d, dash ? Live::DashTimeline : Live::Hls, kWindow, G_MAXINT);
  Cli r = run (d.data, { "download", live.url.c_str (), "--id", "start", "--duration", "6", "--live-from-start" });
  ot_assert_exit (r, 0);
  assert_completed_recording (d.data, "start", 6, 0);
  auto sequences = live.sequences (live.videos ("start"));
  fail_unless_equals_int (sequences.size (), 6);
  for (guint i = 0; i < sequences.size (); i++)
    fail_unless_equals_int (sequences[i], i);
  live.assert_plays ("start");
  g_autoptr (GPtrArray) seeked = decode ("offline://start", d.data, 3 * GST_SECOND);
  gint64 duration = duration_of (seeked);
  fail_unless (llabs (duration - static_cast<gint64> (6 * GST_SECOND)) < static_cast<gint64> (50 * GST_MSECOND),
      "duration %" G_GINT64_FORMAT, duration);
  auto after = frames_of (seeked, "video");
  fail_unless (!after.empty () && after.size () <= 3 * 25 + 1, "%zu frames after a seek to 3 s", after.size ());
}

GST_START_TEST (test_from_window_start)
{
  check_from_window_start (false);
}
GST_END_TEST;

GST_START_TEST (test_dash_from_window_start)
{
  check_from_window_start (true);
}
GST_END_TEST;

/* The recording process is killed (SIGKILL) and started again once the
 * window has moved past what it recorded: it goes on at the live edge (not
 * at the oldest segment listed, which is about to leave the window too;
 * --live-from-start chose only where it began), after a gap as long as
 * the media in between (DASH segments are numbered by presentation time,
 * not by the MPD's startNumber, which this origin leaves at 1), in a new
 * period; `status` counts the missing seconds, and playback leaves a gap
 * of that length with every recorded frame at its time. */
void
check_killed_then_resumed (bool dash)
{
  Dirs d (dash ? "dash-killed" : "killed");
  LiveCase live (d, dash ? Live::DashTimeline : Live::Hls);
  const gchar *argv[] = { "download", live.url.c_str (), "--id", "killed", "--duration", "10", "--live-from-start", nullptr };
  GPid cli = ot_spawn_cli (d.data, argv);
  /* Every track holds three segments (fetched side by side, a track may
   * hold more). */
  Holds three { d.data, "killed", 3, dash ? 2u : 1u };
  ot_wait_for_changes (d.data, holds, &three);
  kill (cli, SIGKILL);
  ot_wait_pid (cli);
  /* Past the window: the first segment listed is after every one the
   * plan holds, in every track. */
  guint last = 0;
  for (const char *track : { "0", "1", "video" }) {
    if (dash == g_str_equal (track, "video"))
      continue;
    std::string needle = dash ? std::string ("/chunk-stream") + track + "-" : "/video/";
    for (const Recorded &s : recorded_matching (d.data, "killed", needle))
      last = MAX (last, static_cast<guint> (live.origin->sequence_of (track, s.file)));
  }
  guint published = last + 2 + kWindow;
  live.origin->wait_published (published);
  Cli r = run (d.data, { "download", live.url.c_str (), "--id", "killed", "--duration", "10", "--live-from-start" });
  ot_assert_exit (r, 0);
  auto videos = live.videos ("killed");
  auto parts = parts_of (videos);
  fail_unless_equals_int (parts.size (), 2);
  int stopped_at = live.sequences (parts[0]).back ();
  int resumed_at = live.sequences (parts[1]).front ();
  /* The live edge of a window of `published` segments or later: three
   * target durations back (HLS), four segment durations (DASH). */
  int edge = static_cast<int> (published) - (dash ? 4 : 3);
  fail_unless (resumed_at >= edge, "resumed at %d after %d, not at the live edge (%d or later)", resumed_at,
      stopped_at, edge);
  guint64 missing = static_cast<guint64> (resumed_at - stopped_at - 1);
  /* Every segment lasts 1 s, the ones missing too. */
  fail_unless (parts[1].front ().start == parts[0].back ().start + (missing + 1) * GST_SECOND,
      "resumed at %" G_GUINT64_FORMAT " ns, expected %" G_GUINT64_FORMAT, parts[1].front ().start,
      parts[0].back ().start + (missing + 1) * GST_SECOND);
  assert_completed_recording (d.data, "killed", 10, static_cast<double> (missing));
  live.assert_plays ("killed");
}

GST_START_TEST (test_killed_then_resumed)
{
  check_killed_then_resumed (false);
}
GST_END_TEST;

GST_START_TEST (test_dash_killed_then_resumed)
{
  check_killed_then_resumed (true);
}
GST_END_TEST;

/* A segment the window lists that answers 404 (gone from the origin
 * before it was fetched): the recording goes on right after it, 1 s is
 * missing, and playback leaves a 1 s gap, in every track. */
void
check_expired_segment (bool dash)
{
  Dirs d (dash ? "dash-expired" : "expired");
  /* The window stays [0, 7), as above. */
  LiveCase live (d, dash ? Live::DashTimeline : Live::Hls, kWindow + 1, G_MAXINT);
  live.origin->drop (3);
  Cli r = run (d.data, { "download", live.url.c_str (), "--id", "expired", "--duration", "6", "--live-from-start" });
  ot_assert_exit (r, 0);
  assert_completed_recording (d.data, "expired", 6, 1);
  auto parts = parts_of (live.videos ("expired"));
  fail_unless_equals_int (parts.size (), 2);
  auto before = live.sequences (parts[0]), after = live.sequences (parts[1]);
  fail_unless (before.back () == 2 && after.front () == 4, "%d then %d", before.back (), after.front ());
  fail_unless (parts[1].front ().start == 4 * GST_SECOND, "after the gap at %" G_GUINT64_FORMAT, parts[1].front ().start);
  live.assert_plays ("expired");
}

GST_START_TEST (test_expired_segment)
{
  check_expired_segment (false);
}
GST_END_TEST;

GST_START_TEST (test_dash_expired_segment)
{
  check_expired_segment (true);
}
GST_END_TEST;

/* 8 s from the live edge of a dynamic MPD: it starts four segment
 * durations back from the end of the window (dash.js's default; the MPD
 * has no @suggestedPresentationDelay), not at its start, records 8 s of
 * video and audio, one segment after the other, and plays offline. */
GST_START_TEST (test_dash_edge)
{
  Dirs d ("dash-edge");
  LiveCase live (d, Live::DashTimeline);
  Cli r = run (d.data, { "download", live.url.c_str (), "--id", "dedge", "--duration", "8" });
  ot_assert_exit (r, 0);
  fail_unless (r.out.find ("recording completed") != std::string::npos, "%s", r.out.c_str ());
  assert_completed_recording (d.data, "dedge", 8, 0);
  auto videos = live.videos ("dedge");
  auto sequences = live.sequences (videos);
  /* The window was [0, 6) or later: four back from its end is 2 or later. */
  fail_unless (sequences.front () >= static_cast<int> (kWindow) - 4, "the recording starts at %d, not at the live edge",
      sequences.front ());
  for (size_t i = 1; i < sequences.size (); i++)
    fail_unless_equals_int (sequences[i], sequences[i - 1] + 1);
  fail_unless (videos.size () >= 8 && videos.size () <= 9, "%zu video segments", videos.size ());
  live.assert_plays ("dedge");
}
GST_END_TEST;

/* A dynamic MPD whose SegmentTemplate has $Number$ and @duration and no
 * SegmentTimeline: its window is the time, read from the origin's own
 * clock (the MPD's UTCTiming), so the recorder sees exactly the segments
 * published. 6 s from the live edge (four segment durations back from the
 * newest available), one segment after the other, every track; it plays
 * offline. */
GST_START_TEST (test_dash_number_edge)
{
  Dirs d ("dash-number");
  LiveCase live (d, Live::DashNumber);
  Cli r = run (d.data, { "download", live.url.c_str (), "--id", "number", "--duration", "6" });
  ot_assert_exit (r, 0);
  assert_completed_recording (d.data, "number", 6, 0);
  auto videos = live.videos ("number");
  auto sequences = live.sequences (videos);
  fail_unless (sequences.front () >= static_cast<int> (kWindow) - 4, "the recording starts at %d, not at the live edge",
      sequences.front ());
  for (size_t i = 1; i < sequences.size (); i++)
    fail_unless_equals_int (sequences[i], sequences[i - 1] + 1);
  fail_unless (videos.size () >= 6 && videos.size () <= 7, "%zu video segments", videos.size ());
  live.assert_plays ("number");
}
GST_END_TEST;

/* A $Number$ MPD whose UTCTiming names an NTP server first (not
 * supported: skipped), then urn:mpeg:dash:utc:http-head:2014: the time is
 * the Date header of the origin's HEAD answer (its own clock; a GET of
 * that URL is refused), so the recorder sees exactly the segments
 * published, as with http-iso. */
GST_START_TEST (test_dash_utc_http_head)
{
  Dirs d ("dash-head");
  LiveCase live (d, Live::DashNumber);
  live.origin->time_by_head ();
  Cli r = run (d.data, { "download", live.url.c_str (), "--id", "head", "--duration", "4" });
  ot_assert_exit (r, 0);
  fail_unless (live.origin->time_heads () > 0, "the origin's time was never asked by HEAD");
  assert_completed_recording (d.data, "head", 4, 0);
  auto sequences = live.sequences (live.videos ("head"));
  fail_unless (sequences.front () >= static_cast<int> (kWindow) - 4, "the recording starts at %d, not at the live edge",
      sequences.front ());
  for (size_t i = 1; i < sequences.size (); i++)
    fail_unless_equals_int (sequences[i], sequences[i - 1] + 1);
  live.assert_plays ("head");
}
GST_END_TEST;

/* --live-from-start honours @timeShiftBufferDepth: a SegmentTimeline that
 * still lists 6 s when its depth is 2 s starts with the oldest segment that
 * ended within 2 s of its end (3 back), not at its oldest segment. */
GST_START_TEST (test_dash_time_shift_buffer)
{
  Dirs d ("dash-depth");
  LiveCase live (d, Live::DashTimeline);
  live.origin->set_time_shift_buffer_depth (2);
  Cli r = run (d.data, { "download", live.url.c_str (), "--id", "depth", "--duration", "4", "--live-from-start" });
  ot_assert_exit (r, 0);
  assert_completed_recording (d.data, "depth", 4, 0);
  auto sequences = live.sequences (live.videos ("depth"));
  fail_unless (sequences.front () >= static_cast<int> (kWindow) - 3,
      "the recording starts at %d, older than the time-shift buffer", sequences.front ());
  live.assert_plays ("depth");
}
GST_END_TEST;

/* --audio chooses among a live MPD's tracks by the rule VOD downloads
 * follow: `--audio fr` records the video and the French audio only (no
 * segment of the English one is fetched), and both play offline. */
GST_START_TEST (test_dash_live_audio_choice)
{
  Dirs d ("dash-audio");
  LiveCase live (d, Live::DashNumber);
  Cli r = run (d.data, { "download", live.url.c_str (), "--id", "french", "--duration", "3", "--audio", "fr" });
  ot_assert_exit (r, 0);
  assert_completed_recording (d.data, "french", 3, 0);
  fail_unless (live.origin->served ("1").empty (), "%zu English segments fetched", live.origin->served ("1").size ());
  fail_unless (live.origin->served ("2").size () >= 3, "%zu French segments fetched", live.origin->served ("2").size ());
  live.assert_plays ("french", "2");
}
GST_END_TEST;

/* A requirement no longer met while a recording runs (free storage: the
 * manager's min-free-space raised past what the disk has) is no one's
 * choice to end it: the recording is not completed but waits, queued,
 * holding what it recorded, as any download does. */
GST_START_TEST (test_lost_requirement_queues_recording)
{
  Dirs d ("requirement");
  LiveCase live (d, Live::Hls);
  g_autoptr (GError) error = nullptr;
  GstOfflineDownloadManager *manager = GST_OFFLINE_DOWNLOAD_MANAGER (g_initable_new (GST_OFFLINE_TYPE_DOWNLOAD_MANAGER,
      nullptr, &error, "data-dir", d.data, "requirements", GST_OFFLINE_REQUIREMENTS_STORAGE_NOT_LOW, "min-free-space",
      static_cast<guint64> (0), nullptr));
  fail_unless (manager != nullptr, "%s", error ? error->message : "");
  g_autoptr (GstOfflineDownloadRequest) request = gst_offline_download_request_new ("lost", live.url.c_str ());
  g_autoptr (GstOfflineDownload) added = gst_offline_download_manager_add_download (manager, request, &error);
  fail_unless (added != nullptr, "%s", error ? error->message : "");
  Holds two { d.data, "lost", 2 };
  ot_wait_for_changes (d.data, holds, &two);
  InState running { d.data, "lost", GST_OFFLINE_DOWNLOAD_STATE_DOWNLOADING };
  ot_wait_for_changes (d.data, in_state, &running);
  g_object_set (manager, "min-free-space", G_MAXUINT64 / 2, nullptr);
  InState stopped { d.data, "lost", GST_OFFLINE_DOWNLOAD_STATE_DOWNLOADING, true };
  ot_wait_for_changes (d.data, in_state, &stopped);
  fail_if (status_number (d.data, "lost", "state") == 1, "the recording completed");
  InState queued { d.data, "lost", GST_OFFLINE_DOWNLOAD_STATE_QUEUED };
  fail_unless (in_state (&queued), "the recording is not queued");
  g_object_unref (manager);
  fail_unless (status_number (d.data, "lost", "recording") == 1, "not a recording");
  fail_unless (status_number (d.data, "lost", "recorded_seconds") >= 2, "what it recorded is gone");
}
GST_END_TEST;

/* `inspect` of a live stream says it is live, in text and JSON, lists its
 * tracks, and gives no size: what its manifest lists is a window that
 * slides, not a length. */
void
check_inspect_live (Live kind)
{
  Dirs d (kind == Live::Hls ? "inspect-hls" : "inspect-dash");
  LiveCase live (d, kind);
  Cli r = run (d.data, { "inspect", live.url.c_str () });
  ot_assert_exit (r, 0);
  fail_unless (r.out.find ("\nlive: ") != std::string::npos, "inspect does not say live: %s", r.out.c_str ());
  fail_unless (r.out.find (", ?\n") != std::string::npos, "a size for a live stream: %s", r.out.c_str ());
  Cli json = run (d.data, { "inspect", live.url.c_str (), "--json" });
  ot_assert_exit (json, 0);
  g_autoptr (JsonParser) parser = json_parser_new ();
  fail_unless (json_parser_load_from_data (parser, json.out.c_str (), -1, nullptr), "%s", json.out.c_str ());
  JsonObject *o = json_node_get_object (json_parser_get_root (parser));
  fail_unless (json_object_get_boolean_member (o, "live"), "%s", json.out.c_str ());
  JsonArray *tracks = json_object_get_array_member (o, "tracks");
  fail_unless (json_array_get_length (tracks) >= 1, "%s", json.out.c_str ());
  for (guint i = 0; i < json_array_get_length (tracks); i++)
    fail_unless (json_object_get_null_member (json_array_get_object_element (tracks, i), "size"), "%s", json.out.c_str ());
  fail_unless (json_object_get_null_member (json_object_get_object_member (o, "selection"), "size"), "%s",
      json.out.c_str ());
}

GST_START_TEST (test_inspect_live)
{
  check_inspect_live (Live::Hls);
}
GST_END_TEST;

GST_START_TEST (test_dash_inspect_live)
{
  check_inspect_live (Live::DashTimeline);
}
GST_END_TEST;

}  // namespace

static Suite *
live_recording_suite (void)
{
  Suite *s = suite_create ("live-recording");
  TCase *tc = adaptive_tcase ("live");
  tcase_add_test (tc, test_edge_master_with_audio);
  tcase_add_test (tc, test_from_window_start);
  tcase_add_test (tc, test_pause_ends_recording);
  tcase_add_test (tc, test_interrupt_ends_recording);
  tcase_add_test (tc, test_killed_then_resumed);
  tcase_add_test (tc, test_expired_segment);
  tcase_add_test (tc, test_failing_reloads);
  tcase_add_test (tc, test_key_fails_during_reload);
  tcase_add_test (tc, test_key_unreachable_fails_recording);
  tcase_add_test (tc, test_parallel_fetches);
  tcase_add_test (tc, test_plays_while_recording);
  tcase_add_test (tc, test_plays_while_recording_until_killed);
  tcase_add_test (tc, test_duration_known_once_the_recording_completes);
  tcase_add_test (tc, test_dash_edge);
  tcase_add_test (tc, test_dash_from_window_start);
  tcase_add_test (tc, test_dash_expired_segment);
  tcase_add_test (tc, test_dash_killed_then_resumed);
  tcase_add_test (tc, test_dash_number_edge);
  tcase_add_test (tc, test_dash_utc_http_head);
  tcase_add_test (tc, test_dash_time_shift_buffer);
  tcase_add_test (tc, test_dash_live_audio_choice);
  tcase_add_test (tc, test_inspect_live);
  tcase_add_test (tc, test_lost_requirement_queues_recording);
  tcase_add_test (tc, test_dash_inspect_live);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (live_recording);
