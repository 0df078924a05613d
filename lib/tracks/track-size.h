/* What a track will take on disk before it is downloaded, from its
 * manifest: exact where the manifest gives the bytes (DASH Initialization
 * and mediaRange byte ranges, a sidx's references, HLS EXT-X-BYTERANGE),
 * else its bandwidth times its segments' durations. The downloaders give
 * each segment the same expected length (estimate_segment_length ()), and
 * the manager refuses from their sum a download that cannot fit: one
 * estimate for `inspect`, the API and the refusal.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "manifest/dash/segment-index.h"
#include "manifest/hls/playlist-model.h"
#include "manifest/mss/manifest-parser.h"

#include <glib.h>

#include <optional>
#include <string>
#include <vector>

namespace gst_offline {

/* The bytes a segment of `duration_ns` takes at `bandwidth` bit/s, or -1
 * when either is 0. */
gint64 estimate_segment_length (guint64 bandwidth, guint64 duration_ns);

/* A size being summed: the bytes counted, whether every part was exact,
 * and how many parts are still unknown (an init segment the manifest gives
 * no range of: its length can be asked for, `resolve`d; a segment with
 * neither a length nor a bandwidth). */
struct SizeEstimate {
  guint64 bytes = 0;
  bool exact = true;
  guint64 unknown = 0;
  /* The URLs of the unknown parts whose lengths a HEAD request can tell:
   * a few per track (init segments), never its media segments. */
  std::vector<std::string> to_measure;

  void add_exact (guint64 length) { bytes += length; }
  /* An estimate; -1: nothing is known of this part. */
  void add_estimate (gint64 estimate);
  /* A resource whose length only its server knows. */
  void add_measurable (const std::string &url);
  /* Gives one of to_measure its length (-1: the server did not say: it
   * counts as nothing, an estimate). */
  void resolve (gint64 length);
  /* The size, unless a part of it is unknown. */
  std::optional<guint64> total () const;
};

/* Where the segments of Period `period` of `mpd` stop being played (and
 * fetched): the start of the Period that follows it; G_MAXUINT64 for the
 * last one, which ends with its media. */
guint64 dash_period_cut (const dash::Mpd &mpd, guint period);
/* Whether media segment `m` of `period` is played (and fetched) before `cut`. */
bool dash_segment_played (const dash::Period &period, const dash::MediaSegment &m, guint64 cut);

/* The media segments of a DASH Representation (SegmentTemplate,
 * SegmentList; SegmentBase once its sidx is in `index.media`), those played
 * before `cut`; its init segment and sidx when they are byte ranges, else
 * one unknown part each (an init segment without a range). */
std::optional<SizeEstimate> dash_representation_size (const dash::Period &period,
    const dash::Representation &representation, guint64 cut, const dash::SegmentIndex *sidx_index, GError **error);

/* The bandwidth an HLS variant's segments are estimated with: its
 * AVERAGE-BANDWIDTH, else its BANDWIDTH. */
guint64 hls_estimate_bandwidth (const hls::Variant &variant);

/* The segments and init sections of an HLS media playlist (each resource
 * once; EXT-X-GAP segments are not fetched), at `bandwidth` (0 when the
 * playlist gives none: a rendition). */
SizeEstimate hls_media_size (const hls::MediaPlaylist &media, guint64 bandwidth);

/* The fragments of a Smooth Streaming QualityLevel at its Bitrate. */
std::optional<SizeEstimate> mss_level_size (const mss::Manifest &manifest, const mss::StreamIndex &stream,
    const mss::QualityLevel &level, GError **error);

}  // namespace gst_offline
