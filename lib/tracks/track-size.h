/* What a track will take on disk before it is downloaded, from its
 * manifest: exact where the manifest gives the bytes (DASH Initialization
 * and mediaRange byte ranges, a sidx's references, HLS EXT-X-BYTERANGE),
 * else its bandwidth times its segments' durations. An HLS media playlist
 * (a rendition, which has no bandwidth of its own, and a variant, whose
 * BANDWIDTH may be far from its rate: ffmpeg writes the rate its encoder
 * announced, none for a quality-based encode) takes the rate of a few of
 * its segments, whose lengths HEAD requests tell; a variant falls back on
 * its BANDWIDTH when its server tells none. The downloaders give each segment the same
 * expected length (estimate_segment_length ()), and the manager refuses
 * from their sum a download that cannot fit: one estimate for `inspect`,
 * the API and the refusal. A time range counts the segments a download of
 * it fetches (TimeRange).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "manifest/dash/segment-index.h"
#include "manifest/hls/playlist-model.h"
#include "manifest/mss/manifest-parser.h"

#include <glib.h>

#include <map>
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
  /* Adds the parts of `other`. */
  void add (const SizeEstimate &other);
};

/* The part of a presentation a download fetches: [start_ns, end_ns) of
 * presentation time, the whole by default (as a download's range_start_ns
 * and range_end_ns). */
struct TimeRange {
  guint64 start_ns = 0;
  guint64 end_ns = G_MAXUINT64;

  /* Whether a segment of [start_ns, start_ns + duration_ns) is fetched for
   * the range: it overlaps it, as playback_plan::fetches () chooses. */
  bool holds (guint64 start_ns, guint64 duration_ns) const;
};

/* Sums a track's media segments as a download of `range` fetches them: the
 * segments the range holds, and the first segment of each Period (HLS:
 * discontinuity sequence) that holds some of them but ends before the range
 * begins (what playback anchors the Period at: playback_plan::period_anchors ()).
 * Give it the segments in play order. */
class RangedSize {
 public:
  RangedSize (SizeEstimate &size, const TimeRange &range) : size_ (size), range_ (range) {}
  /* A segment and what it adds to the size. */
  template <typename AddFn> void add (guint period, guint64 start_ns, guint64 duration_ns, AddFn &&add_part)
  {
    Period &p = periods_[period];
    bool first = !p.seen;
    p.seen = true;
    if (range_.holds (start_ns, duration_ns)) {
      if (p.anchor) {
        size_.add (*p.anchor);
        p.anchor.reset ();
      }
      add_part (size_);
    } else if (first && range_.start_ns > 0 && start_ns + duration_ns <= range_.start_ns) {
      p.anchor.emplace ();
      add_part (*p.anchor);
    }
  }

 private:
  struct Period {
    bool seen = false;
    /* Its first segment, while no segment of it is in the range. */
    std::optional<SizeEstimate> anchor;
  };
  SizeEstimate &size_;
  TimeRange range_;
  std::map<guint, Period> periods_;
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
std::optional<SizeEstimate> dash_representation_size (const dash::Period &period, guint period_index,
    const dash::Representation &representation, guint64 cut, const dash::SegmentIndex *sidx_index,
    const TimeRange &range, GError **error);

/* The bandwidth an HLS variant's segments are estimated with: its
 * AVERAGE-BANDWIDTH, else its BANDWIDTH. */
guint64 hls_estimate_bandwidth (const hls::Variant &variant);

/* The bandwidth of an HLS variant's own media (its video) when its audio
 * is in renditions of its own: its estimate bandwidth less the largest of
 * `audio_bandwidths` (the renditions of its AUDIO group, which its
 * BANDWIDTH includes); unchanged when that leaves nothing. */
guint64 hls_variant_media_bandwidth (const hls::Variant &variant, const std::vector<guint64> &audio_bandwidths);

/* How many segments of an HLS media playlist are sampled for its rate. */
constexpr guint kHlsSampledSegments = 3;

/* The segments of an HLS media playlist whose lengths tell its rate (a
 * rendition has no bandwidth, a variant's BANDWIDTH may be far off): up to
 * kHlsSampledSegments, spread over
 * it (the first, the middle, the last), each fetched whole (no byte range,
 * not a gap). Indices into media.segments; none when every segment has a
 * byte range (the size is exact). */
std::vector<size_t> hls_sampled_segments (const hls::MediaPlaylist &media);

/* The rate in bit/s the sampled segments give (their lengths, -1 when the
 * server did not tell one, in hls_sampled_segments () order), or 0 when
 * none is known. */
guint64 hls_sampled_bandwidth (const hls::MediaPlaylist &media, const std::vector<size_t> &sampled,
    const std::vector<gint64> &lengths);

/* The bandwidth an HLS media playlist's segments are estimated with:
 * `sampled` (from hls_sampled_bandwidth ()) when the server told the
 * sampled segments' lengths; else, for a variant, its
 * hls_variant_media_bandwidth () with `audio_bandwidths`; else 0 (unknown). */
guint64 hls_playlist_bandwidth (guint64 sampled, const hls::Variant *variant,
    const std::vector<guint64> &audio_bandwidths);

/* The rate of an HLS rendition's media segments over its duration, their
 * byte ranges counted exactly and the others at `sampled` (from
 * hls_sampled_bandwidth ()), for hls_variant_media_bandwidth (); 0 when
 * unknown. */
guint64 hls_rendition_bandwidth (const hls::MediaPlaylist &media, guint64 sampled);

/* The segments and init sections of an HLS media playlist that a download
 * of `range` fetches (each resource once; EXT-X-GAP segments are not
 * fetched), at `bandwidth` (0: none known). */
SizeEstimate hls_media_size (const hls::MediaPlaylist &media, guint64 bandwidth, const TimeRange &range = {});

/* The fragments of a Smooth Streaming QualityLevel at its Bitrate that a
 * download of `range` fetches. */
std::optional<SizeEstimate> mss_level_size (const mss::Manifest &manifest, const mss::StreamIndex &stream,
    const mss::QualityLevel &level, const TimeRange &range, GError **error);

}  // namespace gst_offline
