/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "frame-checks.h"

#include "adaptive-content.h"

#include <gst/check/gstcheck.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace ot {

std::vector<Frame>
frames_of (GPtrArray *lines, const gchar *kind)
{
  std::vector<Frame> frames;
  for (guint i = 0; lines && i < lines->len; i++) {
    const gchar *line = static_cast<const gchar *> (g_ptr_array_index (lines, i));
    g_auto (GStrv) fields = g_strsplit (line, " ", 3);
    if (g_strv_length (fields) != 3 || g_strcmp0 (fields[0], kind) != 0)
      continue;
    frames.push_back ({ fields[0], g_ascii_strtoll (fields[1], nullptr, 10), fields[2], line });
  }
  return frames;
}

std::vector<Frame>
from (const std::vector<Frame> &frames, gint64 pts)
{
  std::vector<Frame> result;
  for (const auto &frame : frames) {
    if (frame.pts >= pts)
      result.push_back (frame);
  }
  return result;
}

void
assert_same (const std::vector<Frame> &expected, const std::vector<Frame> &actual, const gchar *what)
{
  fail_unless (!expected.empty (), "%s: the reference has no frames", what);
  size_t first = G_MAXSIZE, last = 0, count = 0;
  for (size_t i = 0; i < std::min (expected.size (), actual.size ()); i++) {
    if (expected[i].line != actual[i].line) {
      first = MIN (first, i);
      last = i;
      count++;
    }
  }
  fail_unless (count == 0, "%s: %zu of %zu frames differ, from frame %zu to %zu; the first: expected '%s', got '%s'",
      what, count, expected.size (), first, last, count ? expected[first].line.c_str () : "",
      count ? actual[first].line.c_str () : "");
  fail_unless (actual.size () == expected.size (), "%s: %zu frames, the reference has %zu (first extra: '%s')", what,
      actual.size (), expected.size (),
      actual.size () > expected.size () ? actual[expected.size ()].line.c_str ()
                                        : expected[actual.size ()].line.c_str ());
}

GPtrArray *
decode (const gchar *uri, const gchar *data_dir, GstClockTime seek)
{
  gchar *error = nullptr;
  GPtrArray *lines = ot_decode_checksums_full (uri, data_dir, OT_DECODE_NO_NETWORK, seek, &error);
  fail_unless (lines != nullptr, "decoding %s failed: %s", uri, error);
  return lines;
}

gint64
duration_of (GPtrArray *lines)
{
  for (guint i = 0; lines && i < lines->len; i++) {
    const gchar *line = static_cast<const gchar *> (g_ptr_array_index (lines, i));
    if (g_str_has_prefix (line, "duration "))
      return g_ascii_strtoll (line + strlen ("duration "), nullptr, 10);
  }
  fail ("no duration among the decode's lines");
  return -1;
}

void
assert_same_as_reference (GPtrArray *reference_video, GPtrArray *reference_audio, GPtrArray *offline)
{
  assert_same (frames_of (reference_video, "video"), frames_of (offline, "video"), "video");

  auto expected_audio = frames_of (reference_audio, "audio");
  auto audio = frames_of (offline, "audio");
  fail_unless (audio.size () > 2 && expected_audio.size () > 2, "audio: %zu buffers, the reference has %zu",
      audio.size (), expected_audio.size ());
  fail_unless (audio[0].pts == 0, "the first audio buffer is at %" G_GINT64_FORMAT, audio[0].pts);
  assert_same (std::vector<Frame> (expected_audio.begin () + 1, expected_audio.end ()),
      std::vector<Frame> (audio.begin () + 1, audio.end ()), "audio");
}

void
assert_same_from (GPtrArray *offline, GPtrArray *reference_video, GPtrArray *reference_audio, GstClockTime video_start,
    GstClockTime audio_start, const gchar *what)
{
  gint64 at = static_cast<gint64> (video_start);
  auto video = frames_of (offline, "video");
  auto continuous = frames_of (reference_video, "video");
  std::vector<Frame> expected;
  for (size_t i = 0; i < continuous.size (); i++) {
    if (continuous[i].pts >= at) {
      expected.push_back (continuous[i]);
    } else if (i + 1 < continuous.size () && continuous[i + 1].pts > at) {
      /* The frame showing at `start`, clipped to it. */
      g_autofree gchar *line = g_strdup_printf ("video %" G_GINT64_FORMAT " %s", at, continuous[i].md5.c_str ());
      expected.push_back ({ "video", at, continuous[i].md5, line });
    }
  }
  g_autofree gchar *video_what = g_strdup_printf ("video %s", what);
  assert_same (expected, video, video_what);

  at = static_cast<gint64> (audio_start);
  at = static_cast<gint64> (audio_start);
  auto audio = frames_of (offline, "audio");
  fail_unless (!audio.empty () && llabs (audio.front ().pts - at) < 25 * GST_MSECOND,
      "audio %s starts at %" G_GINT64_FORMAT ", expected %" G_GINT64_FORMAT, what,
      audio.empty () ? -1 : audio.front ().pts, at);
  g_autofree gchar *audio_what = g_strdup_printf ("audio %s", what);
  /* Past the clipped first buffer (a millisecond covers rounding to ns). */
  assert_same (from (frames_of (reference_audio, "audio"), at + GST_MSECOND), from (audio, at + GST_MSECOND),
      audio_what);
}

void
assert_seek_same_as_reference (const gchar *uri, const gchar *data_dir, GstClockTime target,
    GPtrArray *reference_video, GPtrArray *reference_audio, GstClockTime video_offset, GstClockTime audio_offset)
{
  GPtrArray *offline = decode (uri, data_dir, target);
  g_autofree gchar *what = g_strdup_printf ("after the seek to %" GST_TIME_FORMAT, GST_TIME_ARGS (target));
  assert_same_from (offline, reference_video, reference_audio, target + video_offset, target + audio_offset, what);
  g_ptr_array_unref (offline);
}

References::References (const gchar *video_file, const gchar *audio_file, const gchar *data_dir)
{
  g_autofree gchar *video_uri = gst_filename_to_uri (video_file, nullptr);
  g_autofree gchar *audio_uri = gst_filename_to_uri (audio_file, nullptr);
  video = decode (video_uri, data_dir);
  audio = decode (audio_uri, data_dir);
}

References::~References ()
{
  g_ptr_array_unref (video);
  g_ptr_array_unref (audio);
}

References
dash_references (const gchar *dir, const gchar *data_dir, OtServer *server, const gchar *name)
{
  g_autofree gchar *video = dash_reference (dir, 0, server, name);
  g_autofree gchar *audio = dash_reference (dir, 1, server, name);
  return References (video, audio, data_dir);
}

References
download_dash (OtServer *server, const Dirs &dirs, const gchar *name, const gchar *extra)
{
  make_dash (dirs.content, extra);
  g_autofree gchar *url = serve (server, dirs.content, name, "x.mpd");
  download (dirs.data, url, name);
  return dash_references (dirs.content, dirs.data, server, name);
}

void
assert_plays_like (const gchar *id, const gchar *data_dir, const References &references)
{
  g_autofree gchar *uri = g_strdup_printf ("offline://%s", id);
  GPtrArray *offline = decode (uri, data_dir);
  assert_same_as_reference (references.video, references.audio, offline);
  g_ptr_array_unref (offline);
}

/* ---- Playback in this process ------------------------------------------------ */

static void
on_handoff (GstElement *, GstBuffer *buffer, GstPad *, gpointer data)
{
  auto *branch = static_cast<Branch *> (data);
  g_autofree gchar *line = ot_checksum_line (branch->kind, buffer);
  if (!line)
    return;
  std::lock_guard<std::mutex> guard (branch->lock);
  branch->lines.push_back (line);
}

/* A seek's flush empties what a branch saw: only the frames after the seek
 * count. A flush that keeps the running time (a track switched on its pad)
 * does not: what played before it stays. */
static GstPadProbeReturn
on_sink_event (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto *branch = static_cast<Branch *> (data);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  gboolean reset_time = FALSE;
  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP)
    gst_event_parse_flush_stop (event, &reset_time);
  if (reset_time) {
    std::lock_guard<std::mutex> guard (branch->lock);
    branch->lines.clear ();
  }
  return GST_PAD_PROBE_OK;
}

GstElement *
checksum_sink (Branch *branch, bool sync)
{
  GstElement *bin;
  const gchar *sink = sync ? "fakesink name=sink sync=true signal-handoffs=true"
                           : "fakesink name=sink sync=false signal-handoffs=true";
  if (branch && g_str_equal (branch->kind, "video")) {
    g_autofree gchar *description = g_strdup_printf ("videoconvert ! video/x-raw,format=I420 ! %s", sink);
    bin = gst_parse_bin_from_description (description, TRUE, nullptr);
  } else if (branch) {
    g_autofree gchar *description = g_strdup_printf ("audioconvert dithering=none noise-shaping=none ! "
                                                     "audio/x-raw,format=S16LE,layout=interleaved ! %s",
        sink);
    bin = gst_parse_bin_from_description (description, TRUE, nullptr);
  } else
    bin = gst_parse_bin_from_description ("fakesink sync=false async=false", TRUE, nullptr);
  fail_unless (bin != nullptr);
  if (branch) {
    GstElement *sink = gst_bin_get_by_name (GST_BIN (bin), "sink");
    g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), branch);
    GstPad *sinkpad = gst_element_get_static_pad (sink, "sink");
    gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_EVENT_FLUSH, on_sink_event, branch, nullptr);
    gst_object_unref (sinkpad);
    gst_object_unref (sink);
  }
  return bin;
}

void
on_pad_added (GstElement *, GstPad *pad, gpointer data)
{
  auto *player = static_cast<Player *> (data);
  const gchar *kind = ot_pad_kind (pad);
  Branch *branch = g_strcmp0 (kind, "video") == 0 ? &player->video
      : g_strcmp0 (kind, "audio") == 0            ? &player->audio
                                                  : nullptr;
  GstElement *bin = checksum_sink (branch);
  gst_bin_add (GST_BIN (player->pipeline), bin);
  gst_element_sync_state_with_parent (bin);
  GstPad *sinkpad = gst_element_get_static_pad (bin, "sink");
  fail_unless_equals_int (gst_pad_link (pad, sinkpad), GST_PAD_LINK_OK);
  gst_object_unref (sinkpad);
}

void
on_source_setup (GstElement *, GstElement *source, gpointer data)
{
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (source), "cache-dir"))
    g_object_set (source, "cache-dir", static_cast<Player *> (data)->data_dir, nullptr);
}

/* Waits for `type` (or an error, which fails the test). */
void
wait_for (GstElement *pipeline, GstMessageType type)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *message = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      static_cast<GstMessageType> (type | GST_MESSAGE_ERROR));
  gst_object_unref (bus);
  fail_unless (message != nullptr, "timed out waiting for %s", gst_message_type_get_name (type));
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    GError *error = nullptr;
    gchar *debug = nullptr;
    gst_message_parse_error (message, &error, &debug);
    ck_abort_msg ("error from %s: %s (%s)", GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), error->message, debug);
  }
  gst_message_unref (message);
}

std::vector<Frame>
lines_to_frames (Branch &branch)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  {
    std::lock_guard<std::mutex> guard (branch.lock);
    for (const auto &line : branch.lines)
      g_ptr_array_add (lines, g_strdup (line.c_str ()));
  }
  auto frames = frames_of (lines, branch.kind);
  g_ptr_array_unref (lines);
  return frames;
}

/* Runs `command` (a gst-launch-1.0 argument list) with the data directory
 * under unshare -n; returns its exit status. */
}  // namespace ot
