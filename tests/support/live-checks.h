/* What a live recording holds, read through the public index, and the
 * check that it plays as the decode of the segments it recorded: for the
 * tests that link the public library and record from a live origin
 * (live-origin.h) publishing HLS (live-content.h's tracks) or DASH.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>

#include "adaptive-content.h"
#include "frame-checks.h"

#include <cstdlib>
#include <string>
#include <vector>

namespace ot {

/* One segment of a recording's plan. */
struct Recorded {
  std::string file; /* its name at the origin */
  guint64 start;    /* its presentation time */
  guint period;
};

/* The segments of the track of `id` whose URLs hold `needle`, in play
 * order (the first track of the plan that has such segments). */
inline std::vector<Recorded>
recorded_matching (const gchar *data_dir, const gchar *id, const std::string &needle)
{
  g_autoptr (GError) error = nullptr;
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (data_dir, &error);
  fail_unless (index != nullptr, "%s", error ? error->message : "");
  std::vector<Recorded> result;
  for (guint t = 0; t < 8 && result.empty (); t++) {
    g_autoptr (GPtrArray) segments = gst_offline_download_index_get_segments (index, id, t, 0, 10000, nullptr);
    if (!segments)
      break;
    for (guint i = 0; i < segments->len; i++) {
      auto s = static_cast<GstOfflineSegment *> (g_ptr_array_index (segments, i));
      std::string url = s->resource;
      if (url.find (needle) == std::string::npos)
        break;
      result.push_back (Recorded { url.substr (url.rfind ('/') + 1), s->start, s->period });
    }
  }
  fail_unless (!result.empty (), "%s has no %s segment", id, needle.c_str ());
  return result;
}

/* The segments of the HLS track of `id` served from /`track`/. */
inline std::vector<Recorded>
recorded (const gchar *data_dir, const gchar *id, const std::string &track)
{
  return recorded_matching (data_dir, id, "/" + track + "/");
}

/* The number N of a segment file segN.ts (make_live_video()'s names). */
inline guint
segment_number (const Recorded &s)
{
  return static_cast<guint> (g_ascii_strtoull (s.file.c_str () + 3, nullptr, 10));
}

/* Whether download `id` of the index in `data_dir` holds at least
 * `seconds` of recorded media, for ot_wait_for_changes(). */
struct Recorder {
  const gchar *data_dir;
  const gchar *id;
  GstClockTime seconds;
};

inline gboolean
holds_recorded (gpointer data)
{
  auto *r = static_cast<Recorder *> (data);
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (r->data_dir, nullptr);
  g_autoptr (GstOfflineDownload) download = index ? gst_offline_download_index_get_download (index, r->id, nullptr)
                                                  : nullptr;
  return download && gst_offline_download_get_recorded_duration (download) >= r->seconds * GST_SECOND;
}

/* Blocks until the recording `id` of `data_dir` holds `seconds` of media
 * (as the index says: what `status` shows). */
inline void
wait_recorded (const gchar *data_dir, const gchar *id, guint seconds)
{
  Recorder r { data_dir, id, seconds };
  ot_wait_for_changes (data_dir, holds_recorded, &r);
}

/* The recorded segments split where the plan's period changes (a gap). */
inline std::vector<std::vector<Recorded>>
parts_of (const std::vector<Recorded> &segments)
{
  std::vector<std::vector<Recorded>> parts;
  for (const Recorded &s : segments) {
    if (parts.empty () || parts.back ().back ().period != s.period)
      parts.emplace_back ();
    parts.back ().push_back (s);
  }
  return parts;
}

/* Decoded `kind` frames of a recording (`offline`) are those of the
 * concatenation of each part's segments (from `dir`), in order, each part's
 * times shifted by its first segment's presentation time: a gap between
 * parts is played as a gap. MPEG-TS segments, or with `init` (the name of
 * the track's init segment in `dir`) fMP4 ones. */
inline void
assert_plays_parts (const Dirs &d, const std::string &dir, const std::vector<Recorded> &segments, const gchar *kind,
    GPtrArray *offline, const std::string &init = "")
{
  auto parts = parts_of (segments);
  auto played = frames_of (offline, kind);
  bool fmp4_audio = !init.empty () && g_str_equal (kind, "audio");
  size_t at = 0;
  gint64 origin = -1;
  for (size_t p = 0; p < parts.size (); p++) {
    /* fMP4: each part is its init segment and its media segments. */
    std::vector<std::string> files;
    if (!init.empty ())
      files.push_back (init);
    for (const Recorded &s : parts[p])
      files.push_back (s.file);
    std::string out
        = std::string (d.root) + "/" + kind + "-part" + std::to_string (p) + (init.empty () ? ".ts" : ".mp4");
    concatenate (dir.c_str (), files, out.c_str ());
    g_autofree gchar *uri = gst_filename_to_uri (out.c_str (), nullptr);
    g_autoptr (GPtrArray) lines = decode (uri, d.data);
    auto reference = frames_of (lines, kind);
    /* fMP4 audio: the reference's qtdemux (reading a file) cuts the
     * priming frame its edit list names before decoding, so its first
     * buffer is decoded without the frame before it: compare from its
     * second on (as assert_same_as_reference () does). */
    if (fmp4_audio && !reference.empty ())
      reference.erase (reference.begin ());
    fail_unless (!reference.empty (), "part %zu decodes to no %s", p, kind);
    /* Audio: the reference may start a frame later or earlier than the
     * recording's first (AAC frames are not cut at segment boundaries). */
    size_t first = at;
    while (g_str_equal (kind, "audio") && first < played.size () && played[first].md5 != reference[0].md5)
      first++;
    fail_unless (first < played.size (), "%s part %zu: its first frame is not played", kind, p);
    if (origin < 0)
      origin = played[first].pts - static_cast<gint64> (parts[0][0].start);
    gint64 shift = origin + static_cast<gint64> (parts[p][0].start) - reference[0].pts;
    if (fmp4_audio) {
      /* fMP4 audio: the reference's times follow the edit list, which cuts
       * the priming frame in the first part only (offline playback plays it,
       * see assert_same_as_reference ()): each part keeps its own shift,
       * and starts where the plan places it within an AAC frame. */
      gint64 frame
          = static_cast<gint64> (gst_util_uint64_scale (1024, GST_SECOND, 44100)) + static_cast<gint64> (GST_MSECOND);
      fail_unless (llabs (played[first].pts - (origin + static_cast<gint64> (parts[p][0].start))) <= frame,
          "audio part %zu starts at %" G_GINT64_FORMAT ", the plan places it at %" G_GINT64_FORMAT, p,
          played[first].pts, origin + static_cast<gint64> (parts[p][0].start));
      shift = played[first].pts - reference[0].pts;
    }
    for (size_t i = 0; i < reference.size (); i++) {
      fail_unless (first + i < played.size (), "%s part %zu: %zu frames played of %zu", kind, p, i, reference.size ());
      const Frame &got = played[first + i];
      fail_unless (got.md5 == reference[i].md5, "%s part %zu frame %zu: expected '%s', got '%s'", kind, p, i,
          reference[i].line.c_str (), got.line.c_str ());
      fail_unless (llabs (got.pts - (reference[i].pts + shift)) <= static_cast<gint64> (GST_MSECOND),
          "%s part %zu frame %zu: expected at %" G_GINT64_FORMAT " + %" G_GINT64_FORMAT ", got '%s'", kind, p, i,
          reference[i].pts, shift, got.line.c_str ());
    }
    at = first + reference.size ();
  }
  if (g_str_equal (kind, "video"))
    fail_unless (at == played.size (), "%zu video frames played, the recording holds %zu", played.size (), at);
}

}  // namespace ot
