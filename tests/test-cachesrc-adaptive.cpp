/* End-to-end tests of cachesrc on adaptive (DASH) downloads: content made by
 * ffmpeg's dash muxer at test time, served from 127.0.0.1, downloaded with
 * the CLI, then played back from the cache without network and compared
 * with a decode of the plain concatenation of each representation's init and
 * media segments.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>

#include "adaptive-content.h"
#include "frame-checks.h"

#include <glib/gstdio.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

namespace {

using namespace ot;

constexpr guint CLIP_SECONDS = kDashClipSeconds;

/* Like fail_unless_equals_int, with a message. */
#define expect_equal(a, b, ...) fail_unless ((a) == (b), __VA_ARGS__)

/* A download of ffmpeg's DASH output named after the test (`extra`: more
 * ffmpeg options), and the decodes of its concatenated representations. */
struct Asset {
  Dirs dirs;
  References references;

  Asset (const gchar *name, const gchar *extra)
      : dirs (name), references (download_dash (test_server, dirs, name, extra))
  {
  }
};

} // namespace

/* uridecodebin on offline://ID, in a process without network, decodes the
 * frames the concatenated representations decode (SegmentTemplate with a
 * SegmentTimeline, ffmpeg's default). */
GST_START_TEST (test_timeline_frames)
{
  Asset asset ("timeline", nullptr);
  assert_plays_like ("timeline", asset.dirs.data, asset.references);
}
GST_END_TEST;

/* The same with SegmentTemplate $Number$ and a fixed duration. */
GST_START_TEST (test_number_frames)
{
  Asset asset ("number", "-use_timeline 0");
  assert_plays_like ("number", asset.dirs.data, asset.references);
}
GST_END_TEST;

/* playbin and playbin3 play a download to the end without network; the
 * CLI's play counts every frame. */
GST_START_TEST (test_playbin)
{
  Asset asset ("playbin", nullptr);
  guint reference_frames = frames_of (asset.references.video, "video").size ();

  for (const gchar *playbin : { "playbin", "playbin3" }) {
    gchar *err = nullptr;
    gint status = run_without_network (asset.dirs.data,
        { "gst-launch-1.0", "-q", playbin, "uri=offline://playbin", "video-sink=fakesink sync=false",
            "audio-sink=fakesink sync=false" },
        &err);
    expect_equal (status, 0, "%s failed: %s", playbin, err);
    g_free (err);
  }

  gchar *out = nullptr, *err = nullptr;
  gint status = ot_run_cli (asset.dirs.data, &out, &err, "play", "playbin", "--video-sink", "fakesink",
      "--audio-sink", "fakesink", nullptr);
  expect_equal (status, 0, "play failed: %s", err);
  g_autofree gchar *expected = g_strdup_printf ("played playbin: %u video frames", reference_frames);
  fail_unless (strstr (out, expected) != nullptr, "expected '%s' in '%s'", expected, out);
  g_free (out);
  g_free (err);
}
GST_END_TEST;

/* Prerolls `uri` in this process; returns the pipeline's duration after
 * checking that it is seekable in TIME. */
static gint64
preroll_duration (const gchar *uri, const gchar *data_dir)
{
  Player player;
  player.data_dir = const_cast<gchar *> (data_dir);
  player.pipeline = gst_pipeline_new (nullptr);
  GstElement *decodebin = gst_element_factory_make ("uridecodebin", nullptr);
  g_object_set (decodebin, "uri", uri, nullptr);
  g_signal_connect (decodebin, "source-setup", G_CALLBACK (on_source_setup), &player);
  g_signal_connect (decodebin, "pad-added", G_CALLBACK (on_pad_added), &player);
  gst_bin_add (GST_BIN (player.pipeline), decodebin);

  gst_element_set_state (player.pipeline, GST_STATE_PAUSED);
  wait_for (player.pipeline, GST_MESSAGE_ASYNC_DONE);

  gint64 duration = -1;
  fail_unless (gst_element_query_duration (player.pipeline, GST_FORMAT_TIME, &duration));
  GstQuery *seeking = gst_query_new_seeking (GST_FORMAT_TIME);
  fail_unless (gst_element_query (player.pipeline, seeking));
  gboolean seekable = FALSE;
  gst_query_parse_seeking (seeking, nullptr, &seekable, nullptr, nullptr);
  fail_unless (seekable, "%s is not seekable", uri);
  gst_query_unref (seeking);

  gst_element_set_state (player.pipeline, GST_STATE_NULL);
  gst_object_unref (player.pipeline);
  return duration;
}

/* The duration is the clip's; an accurate flushing seek to the middle gives
 * the reference's frames from there on (assert_seek_same_as_reference()). */
GST_START_TEST (test_seek_and_duration)
{
  Asset asset ("seek", nullptr);

  gint64 duration = preroll_duration ("offline://seek", asset.dirs.data);
  fail_unless (duration >= static_cast<gint64> (CLIP_SECONDS * GST_SECOND - 100 * GST_MSECOND)
          && duration <= static_cast<gint64> (CLIP_SECONDS * GST_SECOND + 100 * GST_MSECOND),
      "duration %" GST_TIME_FORMAT, GST_TIME_ARGS (duration));

  assert_seek_same_as_reference ("offline://seek", asset.dirs.data, 3 * GST_SECOND, asset.references.video,
      asset.references.audio);
}
GST_END_TEST;

/* Two Periods (Period@start 0 and 6 s) holding copies of ffmpeg's segments,
 * each under its own BaseURL: playback crosses the boundary (a new init
 * segment, a media timeline that starts again) and decodes every frame of
 * both. */
GST_START_TEST (test_two_periods)
{
  Dirs dirs ("periods");
  MpdParts mpd = split_period (make_dash_mpd (dirs.made));

  /* The MPD: ffmpeg's Period twice, with BaseURLs p0/ and p1/. */
  g_autofree gchar *second_start = g_strdup_printf ("PT%uS", CLIP_SECONDS);
  std::string two = mpd.head + "<Period id=\"p0\" start=\"PT0S\"><BaseURL>p0/</BaseURL>" + mpd.body
      + "\n<Period id=\"p1\" start=\"" + second_start + "\"><BaseURL>p1/</BaseURL>" + mpd.body + mpd.tail;
  size_t duration = two.find ("mediaPresentationDuration=\"");
  fail_unless (duration != std::string::npos);
  size_t value = duration + strlen ("mediaPresentationDuration=\"");
  g_autofree gchar *total = g_strdup_printf ("PT%uS", 2 * CLIP_SECONDS);
  two.replace (value, two.find ('"', value) - value, total);

  for (const gchar *period : { "p0", "p1" })
    copy_segments (dirs.made, dirs.content, period);
  write_text (std::string (dirs.content) + "/two.mpd", two);

  g_autofree gchar *url = serve (test_server, dirs.content, "periods", "two.mpd");
  download (dirs.data, url, "periods");

  g_autofree gchar *video_reference = dash_reference (dirs.made, 0);
  g_autofree gchar *video_uri = gst_filename_to_uri (video_reference, nullptr);
  GPtrArray *reference = decode (video_uri, dirs.data);
  guint one_period = frames_of (reference, "video").size ();
  g_ptr_array_unref (reference);

  GPtrArray *offline = decode ("offline://periods", dirs.data);
  auto video = frames_of (offline, "video");
  fail_unless_equals_int (static_cast<int> (video.size ()), static_cast<int> (2 * one_period));
  /* The second period decodes the same pictures as the first. */
  for (size_t i = 0; i < one_period; i++)
    fail_unless (video[i].md5 == video[i + one_period].md5, "frame %zu of the second period differs", i);
  g_ptr_array_unref (offline);

  /* playbin plays both periods to the end. */
  gchar *out = nullptr, *err = nullptr;
  gint status = ot_run_cli (dirs.data, &out, &err, "play", "periods", "--video-sink", "fakesink", "--audio-sink",
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
  Asset asset ("broken", nullptr);

  /* Only the audio track (1): only audio is decoded. */
  {
    Player player;
    player.data_dir = asset.dirs.data;
    player.pipeline = gst_parse_launch ("cachesrc uri=offline://broken tracks=1 name=src ! decodebin name=d", nullptr);
    fail_unless (player.pipeline != nullptr);
    GstElement *src = gst_bin_get_by_name (GST_BIN (player.pipeline), "src");
    g_object_set (src, "cache-dir", asset.dirs.data, nullptr);
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
        static_cast<int> (frames_of (asset.references.audio, "audio").size ()));
  }

  {
    GstElement *src = gst_element_factory_make ("cachesrc", nullptr);
    g_object_set (src, "uri", "offline://broken", "cache-dir", asset.dirs.data, "tracks", "7", nullptr);
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
  GstOfflineDownloadIndex *index = gst_offline_download_index_new (asset.dirs.data, &error);
  fail_unless (index != nullptr);
  GPtrArray *segments = gst_offline_download_index_get_segments (index, "broken", 0, 1, 1, &error);
  fail_unless (segments != nullptr && segments->len == 1);
  GstOfflineCache *cache = gst_offline_cache_new (asset.dirs.data, &error);
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
  GPtrArray *lines = ot_decode_checksums ("offline://broken", asset.dirs.data, TRUE, &message);
  fail_unless (lines == nullptr, "decoding succeeded without a segment");
  fail_unless (message != nullptr && strstr (message, "'broken'") != nullptr && strstr (message, "track") != nullptr,
      "unexpected error: %s", message);
  g_free (message);
}
GST_END_TEST;

/* A track that nobody takes (its pad linked to an identity whose source
 * pad is not linked) ends with EOS and does not hold the others back: the
 * video plays to the end. With every track unlinked it is an error. */
struct Unlinked {
  GstElement *pipeline = nullptr;
  bool link_video = true;
  std::atomic<bool> audio_eos { false };
};

static GstPadProbeReturn
on_audio_event (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto *unlinked = static_cast<Unlinked *> (data);
  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS && !unlinked->audio_eos.exchange (true))
    gst_element_post_message (unlinked->pipeline, gst_message_new_application (nullptr,
                                                      gst_structure_new_empty ("audio-eos")));
  return GST_PAD_PROBE_OK;
}

static void
on_cachesrc_pad (GstElement *, GstPad *pad, gpointer data)
{
  auto *unlinked = static_cast<Unlinked *> (data);
  bool video = g_str_equal (GST_PAD_NAME (pad), "src_0");
  GstElement *first = gst_element_factory_make (video && unlinked->link_video ? "fakesink" : "identity", nullptr);
  if (!video)
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_audio_event, unlinked, nullptr);
  else if (unlinked->link_video)
    g_object_set (first, "sync", FALSE, nullptr);
  gst_bin_add (GST_BIN (unlinked->pipeline), first);
  gst_element_sync_state_with_parent (first);
  GstPad *sink = gst_element_get_static_pad (first, "sink");
  fail_unless_equals_int (gst_pad_link (pad, sink), GST_PAD_LINK_OK);
  gst_object_unref (sink);
}

/* Plays until `types` (EOS or an error; a pipeline without sinks posts EOS
 * at once, so the all-unlinked case waits for the error alone). */
static GstMessage *
play_with_unlinked (const gchar *data_dir, Unlinked *unlinked, GstMessageType types)
{
  unlinked->pipeline = gst_pipeline_new (nullptr);
  GstElement *src = gst_element_factory_make ("cachesrc", nullptr);
  /* The video and the audio track. */
  g_object_set (src, "uri", "offline://unlinked", "cache-dir", data_dir, "default-text", FALSE, nullptr);
  g_signal_connect (src, "pad-added", G_CALLBACK (on_cachesrc_pad), unlinked);
  gst_bin_add (GST_BIN (unlinked->pipeline), src);
  gst_element_set_state (unlinked->pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (unlinked->pipeline);
  GstMessage *message = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE, types);
  if (message && GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS && unlinked->link_video && !unlinked->audio_eos) {
    /* The audio track's EOS may come after the video's (its message, posted
     * once the flag is set, was not popped and dropped above then). */
    GstMessage *audio = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE, GST_MESSAGE_APPLICATION);
    if (audio)
      gst_message_unref (audio);
  }
  gst_object_unref (bus);
  gst_element_set_state (unlinked->pipeline, GST_STATE_NULL);
  gst_object_unref (unlinked->pipeline);
  return message;
}

GST_START_TEST (test_unlinked_track_ends)
{
  Asset asset ("unlinked", nullptr);
  Unlinked unlinked;
  GstMessage *message = play_with_unlinked (asset.dirs.data, &unlinked,
      static_cast<GstMessageType> (GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless (message != nullptr, "the video did not reach its end beside an unlinked audio track");
  fail_unless_equals_int (GST_MESSAGE_TYPE (message), GST_MESSAGE_EOS);
  gst_message_unref (message);
  fail_unless (unlinked.audio_eos, "the unlinked audio track did not end with EOS");

  Unlinked none;
  none.link_video = false;
  message = play_with_unlinked (asset.dirs.data, &none, GST_MESSAGE_ERROR);
  fail_unless (message != nullptr && GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR,
      "no error with every track unlinked");
  GError *error = nullptr;
  gst_message_parse_error (message, &error, nullptr);
  fail_unless (g_error_matches (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED), "unexpected error: %s",
      error->message);
  g_error_free (error);
  gst_message_unref (message);
}
GST_END_TEST;

/* uridecodebin3 with one sink, as `gst-launch-1.0 uridecodebin3
 * uri=offline://ID ! fakesink` makes it: the application links one of the
 * two pads. The track left unlinked ends once the linked one has, so
 * decodebin3 (which sends EOS downstream only when every one of its inputs
 * has ended) ends playback; a hang ends the test by the harness's timeout. */
GST_START_TEST (test_uridecodebin3_with_one_sink_ends)
{
  Asset asset ("unlinked", nullptr);
  g_setenv ("GST_OFFLINE_DIR", asset.dirs.data, TRUE);
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch ("uridecodebin3 uri=offline://unlinked ! fakesink", &error);
  fail_unless (pipeline != nullptr, "%s", error ? error->message : "");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *message = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      static_cast<GstMessageType> (GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless_equals_int (GST_MESSAGE_TYPE (message), GST_MESSAGE_EOS);
  gst_message_unref (message);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}
GST_END_TEST;

/* A track nobody takes waits, and plays again from where playback is once
 * it is taken (what playbin's input-selector does when it switches
 * languages): the video to a synced sink, the audio to an identity whose
 * source pad gets a sink only once the video is at the middle. */
struct Relinked {
  GstElement *pipeline = nullptr;
  GstElement *identity = nullptr;
  GstElement *demuxer = nullptr;
  GstElement *video_sink = nullptr;
  GstClockTime middle = kDashClipSeconds * GST_SECOND / 2;
  std::atomic<bool> at_middle { false };
  GstClockTime linked_at = GST_CLOCK_TIME_NONE; /* the video's position when the audio is linked */
  std::mutex lock;
  GstSegment segment; /* the segment of the audio sink's first buffer */
  bool have_segment = false;
  guint buffers = 0;
};

static void
on_relinked_video (GstElement *, GstBuffer *buffer, GstPad *, gpointer data)
{
  auto *relinked = static_cast<Relinked *> (data);
  if (GST_BUFFER_PTS_IS_VALID (buffer) && GST_BUFFER_PTS (buffer) >= relinked->middle
      && !relinked->at_middle.exchange (true)) {
    gst_element_post_message (relinked->pipeline, gst_message_new_application (nullptr,
                                                       gst_structure_new_empty ("at-middle")));
  }
}

static GstPadProbeReturn
on_relinked_audio (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto *relinked = static_cast<Relinked *> (data);
  std::lock_guard<std::mutex> guard (relinked->lock);
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    relinked->buffers++;
  } else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_SEGMENT && relinked->buffers == 0) {
    gst_event_copy_segment (GST_PAD_PROBE_INFO_EVENT (info), &relinked->segment);
    relinked->have_segment = true;
  }
  return GST_PAD_PROBE_OK;
}

/* qtdemux's video pad: to the synced sink (qtdemux times the samples, so
 * that the sink's position is where playback is). */
static void
on_relinked_demuxed (GstElement *, GstPad *pad, gpointer data)
{
  auto *relinked = static_cast<Relinked *> (data);
  GstPad *sinkpad = gst_element_get_static_pad (relinked->video_sink, "sink");
  fail_unless_equals_int (gst_pad_link (pad, sinkpad), GST_PAD_LINK_OK);
  gst_object_unref (sinkpad);
}

static void
on_relinked_pad (GstElement *, GstPad *pad, gpointer data)
{
  auto *relinked = static_cast<Relinked *> (data);
  bool video = g_str_equal (GST_PAD_NAME (pad), "src_0");
  GstPad *sink = gst_element_get_static_pad (video ? relinked->demuxer : relinked->identity, "sink");
  fail_unless_equals_int (gst_pad_link (pad, sink), GST_PAD_LINK_OK);
  gst_object_unref (sink);
}

GST_START_TEST (test_unlinked_track_taken_again)
{
  Asset asset ("relinked", nullptr);
  Relinked relinked;
  relinked.pipeline = gst_pipeline_new (nullptr);
  GstElement *src = gst_element_factory_make ("cachesrc", nullptr);
  g_object_set (src, "uri", "offline://relinked", "cache-dir", asset.dirs.data, "default-text", FALSE, nullptr);
  g_signal_connect (src, "pad-added", G_CALLBACK (on_relinked_pad), &relinked);
  gst_bin_add (GST_BIN (relinked.pipeline), src);
  /* Active before cachesrc's pads come: a first push into an element not
   * active yet is another matter (the start stall of issue 13). */
  relinked.demuxer = gst_element_factory_make ("qtdemux", nullptr);
  g_signal_connect (relinked.demuxer, "pad-added", G_CALLBACK (on_relinked_demuxed), &relinked);
  relinked.identity = gst_element_factory_make ("identity", nullptr);
  relinked.video_sink = gst_element_factory_make ("fakesink", nullptr);
  g_object_set (relinked.video_sink, "sync", TRUE, "signal-handoffs", TRUE, nullptr);
  g_signal_connect (relinked.video_sink, "handoff", G_CALLBACK (on_relinked_video), &relinked);
  gst_bin_add (GST_BIN (relinked.pipeline), relinked.video_sink);
  for (GstElement *element : { relinked.demuxer, relinked.identity }) {
    gst_bin_add (GST_BIN (relinked.pipeline), element);
    gst_element_set_state (element, GST_STATE_PAUSED);
  }
  gst_element_set_state (relinked.pipeline, GST_STATE_PLAYING);

  GstBus *bus = gst_element_get_bus (relinked.pipeline);
  GstMessage *message = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      static_cast<GstMessageType> (GST_MESSAGE_APPLICATION | GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless (message != nullptr && GST_MESSAGE_TYPE (message) == GST_MESSAGE_APPLICATION,
      "the video did not reach the middle");
  gst_message_unref (message);
  /* Where playback is now, as the link comes: this thread may have run
   * long after the frame at the middle on a loaded machine (the video plays
   * on in real time meanwhile). */
  gint64 position = -1;
  fail_unless (gst_element_query_position (relinked.pipeline, GST_FORMAT_TIME, &position) && position >= 0);
  relinked.linked_at = (GstClockTime) position;
  GstElement *sink = gst_element_factory_make ("fakesink", nullptr);
  g_object_set (sink, "sync", FALSE, "async", FALSE, nullptr);
  GstPad *sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (sinkpad,
      static_cast<GstPadProbeType> (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      on_relinked_audio, &relinked, nullptr);
  gst_object_unref (sinkpad);
  gst_bin_add (GST_BIN (relinked.pipeline), sink);
  gst_element_sync_state_with_parent (sink);
  fail_unless (gst_element_link (relinked.identity, sink));

  message = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      static_cast<GstMessageType> (GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless (message != nullptr && GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS, "no EOS after the link");
  gst_message_unref (message);
  gst_object_unref (bus);
  gst_element_set_state (relinked.pipeline, GST_STATE_NULL);
  gst_object_unref (relinked.pipeline);

  /* The audio came again from where the video was (not from the start),
   * in the running time it had: a segment starting there whose base is
   * that time (the stream's running time is its presentation time). */
  fail_unless (relinked.have_segment, "no segment reached the audio sink");
  fail_unless (relinked.buffers > 2, "the audio track taken again gave %u buffers", relinked.buffers);
  GstClockTime at = relinked.segment.time;
  fail_unless (at + GST_SECOND / 2 >= relinked.linked_at && at < relinked.linked_at + GST_SECOND,
      "the audio taken again started at %" GST_TIME_FORMAT ", the video was at %" GST_TIME_FORMAT, GST_TIME_ARGS (at),
      GST_TIME_ARGS (relinked.linked_at));
  fail_unless_equals_uint64 (relinked.segment.base, at);
}
GST_END_TEST;

/* ---- Seeks before anything flowed ------------------------------------------ */

namespace {

/* The earliest moments a seek can be sent at, from the first on. */
enum class SeekMoment {
  SOURCE_SETUP,     /* to cachesrc, in NULL: before it has pads */
  SOURCE_PAD_ADDED, /* to cachesrc, at its first pad-added: the pad is not linked, nothing flows */
  NO_MORE_PADS,     /* to cachesrc, at no-more-pads: the pads are linked, their tasks not started */
  FIRST_OUTPUT,     /* to the pipeline, once its first sink is linked: prerolling */
};

const gchar *
moment_name (SeekMoment moment)
{
  switch (moment) {
    case SeekMoment::SOURCE_SETUP:
      return "source-setup";
    case SeekMoment::SOURCE_PAD_ADDED:
      return "cachesrc pad-added";
    case SeekMoment::NO_MORE_PADS:
      return "cachesrc no-more-pads";
    case SeekMoment::FIRST_OUTPUT:
      return "the first sink linked";
  }
  return "?";
}

struct EarlySeek {
  Player player;
  SeekMoment moment;
  GstClockTime target;
  std::atomic<bool> sent { false };
  std::atomic<bool> accepted { false };
};

gboolean
seek_to (GstElement *element, GstClockTime target)
{
  return gst_element_seek_simple (element, GST_FORMAT_TIME,
      static_cast<GstSeekFlags> (GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE), target);
}

/* The seeks sent to cachesrc itself (from the thread that sets the state). */
void
seek_source_once (GstElement *source, EarlySeek *early)
{
  if (!early->sent.exchange (true))
    early->accepted = seek_to (source, early->target);
}

void
on_early_source_setup (GstElement *decodebin, GstElement *source, gpointer data)
{
  auto *early = static_cast<EarlySeek *> (data);
  on_source_setup (decodebin, source, &early->player);
  if (early->moment == SeekMoment::SOURCE_SETUP) {
    seek_source_once (source, early);
  } else if (early->moment == SeekMoment::SOURCE_PAD_ADDED) {
    /* Connected before uridecodebin's own handler, which links the pad. */
    g_signal_connect (source, "pad-added", G_CALLBACK (+[] (GstElement *source, GstPad *, gpointer data) {
      seek_source_once (source, static_cast<EarlySeek *> (data));
    }), early);
  } else if (early->moment == SeekMoment::NO_MORE_PADS) {
    g_signal_connect (source, "no-more-pads", G_CALLBACK (+[] (GstElement *source, gpointer data) {
      seek_source_once (source, static_cast<EarlySeek *> (data));
    }), early);
  }
}

/* A pipeline seek goes from its sinks upstream, so it can reach cachesrc
 * once a sink is linked; it is sent from the application's thread (a
 * flushing seek from a streaming thread would flush that thread's own
 * pushes), told by a message. */
void
on_early_pad_added (GstElement *decodebin, GstPad *pad, gpointer data)
{
  auto *early = static_cast<EarlySeek *> (data);
  on_pad_added (decodebin, pad, &early->player);
  if (early->moment == SeekMoment::FIRST_OUTPUT && !early->sent.exchange (true))
    gst_element_post_message (decodebin,
        gst_message_new_application (GST_OBJECT (decodebin), gst_structure_new_empty ("seek-now")));
}

/* Plays offline://`id` with uridecodebin into checksum sinks, a seek to
 * `target` sent at `moment`, to the end; returns the checksum lines. */
GPtrArray *
play_with_early_seek (const gchar *id, const gchar *data_dir, SeekMoment moment, GstClockTime target)
{
  EarlySeek early;
  early.moment = moment;
  early.target = target;
  early.player.data_dir = const_cast<gchar *> (data_dir);
  early.player.pipeline = gst_pipeline_new (nullptr);
  GstElement *decodebin = gst_element_factory_make ("uridecodebin", nullptr);
  g_autofree gchar *uri = g_strdup_printf ("offline://%s", id);
  g_object_set (decodebin, "uri", uri, nullptr);
  g_signal_connect (decodebin, "source-setup", G_CALLBACK (on_early_source_setup), &early);
  g_signal_connect (decodebin, "pad-added", G_CALLBACK (on_early_pad_added), &early);
  gst_bin_add (GST_BIN (early.player.pipeline), decodebin);

  GstBus *bus = gst_element_get_bus (early.player.pipeline);
  gst_element_set_state (early.player.pipeline, GST_STATE_PLAYING);
  for (;;) {
    GstMessage *message = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
        static_cast<GstMessageType> (GST_MESSAGE_APPLICATION | GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    GstMessageType type = GST_MESSAGE_TYPE (message);
    if (type == GST_MESSAGE_ERROR) {
      g_autoptr (GError) error = nullptr;
      g_autofree gchar *debug = nullptr;
      gst_message_parse_error (message, &error, &debug);
      ck_abort_msg ("seek at %s: error from %s: %s (%s)", moment_name (moment), GST_OBJECT_NAME (GST_MESSAGE_SRC (message)),
          error->message, debug);
    }
    gst_message_unref (message);
    if (type == GST_MESSAGE_EOS)
      break;
    early.accepted = seek_to (early.player.pipeline, target);
  }
  gst_element_set_state (early.player.pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (early.player.pipeline);
  fail_unless (early.sent && early.accepted, "the seek at %s was %s", moment_name (moment),
      early.sent ? "refused" : "never sent");

  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  for (Branch *branch : { &early.player.video, &early.player.audio })
    for (const auto &line : branch->lines)
      g_ptr_array_add (lines, g_strdup (line.c_str ()));
  return lines;
}

} // namespace

/* A seek is never lost however early it comes: sent to cachesrc before it
 * has pads (kept for when they exist), at its first pad-added (not linked
 * yet, which GstElement's default handling would refuse) and at
 * no-more-pads (linked, nothing pushed), or to the pipeline as soon as a
 * sink is linked (the tracks prerolling). Each time the frames played are
 * the reference's from the target on. */
GST_START_TEST (test_early_seeks)
{
  Asset asset ("early", nullptr);
  constexpr GstClockTime target = 3 * GST_SECOND;
  for (SeekMoment moment : { SeekMoment::SOURCE_SETUP, SeekMoment::SOURCE_PAD_ADDED, SeekMoment::NO_MORE_PADS,
           SeekMoment::FIRST_OUTPUT }) {
    GPtrArray *lines = play_with_early_seek ("early", asset.dirs.data, moment, target);
    g_autofree gchar *what = g_strdup_printf ("after a seek at %s", moment_name (moment));
    assert_same_from (lines, asset.references.video, asset.references.audio, target, target, what);
    g_ptr_array_unref (lines);
  }
}
GST_END_TEST;

static Suite *
cachesrc_adaptive_suite (void)
{
  Suite *s = suite_create ("cachesrc-adaptive");
  TCase *tc = adaptive_tcase ("dash");
  tcase_add_test (tc, test_timeline_frames);
  tcase_add_test (tc, test_number_frames);
  tcase_add_test (tc, test_playbin);
  tcase_add_test (tc, test_seek_and_duration);
  tcase_add_test (tc, test_early_seeks);
  tcase_add_test (tc, test_two_periods);
  tcase_add_test (tc, test_missing_segment_and_tracks);
  tcase_add_test (tc, test_unlinked_track_ends);
  tcase_add_test (tc, test_uridecodebin3_with_one_sink_ends);
  tcase_add_test (tc, test_unlinked_track_taken_again);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (cachesrc_adaptive);
