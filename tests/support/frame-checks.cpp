/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "frame-checks.h"

#include <gst/check/gstcheck.h>

#include <algorithm>
#include <cstdlib>

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
  GPtrArray *lines = ot_decode_checksums_after_seek (uri, data_dir, TRUE, seek, &error);
  fail_unless (lines != nullptr, "decoding %s failed: %s", uri, error);
  return lines;
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

}  // namespace ot
