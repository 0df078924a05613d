/* The segments of one Representation as a flat list: what the DASH
 * downloader fetches and what cachesrc plays, in order. Pure: it only reads
 * the model.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "manifest/dash/mpd-model.h"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gst_offline {
namespace dash {

/* A Representation may not expand to more segments than this: a hostile
 * SegmentTimeline (S@r="2000000000") is an error, not an allocation. */
constexpr guint64 kMaxSegments = 1000000;
/* Nor may its list take more memory than this (long URLs times many
 * segments: a huge BaseURL must not be multiplied by a million). */
constexpr guint64 kMaxIndexBytes = 256 * 1024 * 1024;

struct InitSegment {
  std::string url;
  std::optional<ByteRange> range;
};

struct MediaSegment {
  std::string url;
  std::optional<ByteRange> range;
  guint64 number = 0;
  /* Media time ($Time$) and duration in `timescale` ticks; `time` still
   * includes the presentationTimeOffset. */
  guint64 time = 0;
  guint64 duration = 0;
  guint64 timescale = 1;
  /* Presentation time relative to the Period's start, in nanoseconds:
   * (time - presentationTimeOffset) / timescale. Negative when a segment
   * begins before the Period (its first frames are then not shown). */
  gint64 start_ns = 0;
  guint64 duration_ns = 0;
};

/* Where the 'sidx' box of a SegmentBase Representation is. */
struct SidxLocation {
  std::string url;
  ByteRange range;
};

struct SegmentIndex {
  std::optional<InitSegment> init;
  std::vector<MediaSegment> media;
  /* Set for SegmentBase@indexRange: `media` stays empty until the bytes of
   * that range are fetched and given to add_sidx_segments() (sidx.h). */
  std::optional<SidxLocation> sidx;
  /* Of the SegmentBase, to place the sidx's times in the Period. */
  guint64 timescale = 1;
  guint64 presentation_time_offset = 0;
};

/* Expands `representation` of `period`. Errors (INVALID_ARGUMENT unless
 * said): no segment information and no BaseURL of its own; a template with
 * an unknown or misplaced $identifier$; @duration-only templates, r="-1" at
 * the end of a timeline or single-segment lists when the Period's duration
 * is unknown; more than kMaxSegments segments or kMaxIndexBytes; numbers or times that
 * overflow; UNSUPPORTED for a RepresentationIndex. */
std::optional<SegmentIndex> expand_segments (const Period &period, const Representation &representation,
    GError **error);

/* Takes each media segment as it is made, in order; false (with `error`
 * set) ends the expansion with that error. */
using MediaSegmentFn = std::function<bool (MediaSegment &&segment, GError **error)>;

/* The same, giving the media segments to `each` one at a time instead of
 * keeping them in the index's `media` (which stays empty): the memory it
 * takes does not grow with their number. The checks and errors are the
 * same (a hostile count still fails before any segment is made; a URL that
 * cannot be resolved, after those before it were given). */
std::optional<SegmentIndex> expand_segments (const Period &period, const Representation &representation,
    const MediaSegmentFn &each, GError **error);

/* A live (dynamic) MPD's SegmentTemplate with @duration and no
 * SegmentTimeline lists no segments: which are available depends on the
 * time. The most a window holds when the MPD has no timeShiftBufferDepth
 * (an infinite one). */
constexpr guint64 kMaxLiveSegments = 10000;

/* As expand_segments (each segment given to `each`), but for such a
 * template of the dynamic `mpd` only the segments available at `now_us`
 * (microseconds since the Unix epoch), numbered from @startNumber at
 * @availabilityStartTime plus the Period's start (5.3.9.5.3, DASH-IF IOP
 * 4.3.2.2): those that ended by then, within @timeShiftBufferDepth of it
 * (else the last kMaxLiveSegments), and within the Period. Any other
 * Representation expands as with expand_segments. Pure: `now_us` is the
 * caller's clock. */
std::optional<SegmentIndex> expand_live_segments (const Mpd &mpd, const Period &period,
    const Representation &representation, gint64 now_us, const MediaSegmentFn &each, GError **error);

/* Fills a SegmentTemplate string ($RepresentationID$, $Number$, $Time$,
 * $Bandwidth$ with optional %0Nd widths, and $$). `number`/`time` absent
 * means the identifier may not be used (initialization templates). */
std::optional<std::string> fill_template (std::string_view templ, const std::string &representation_id,
    guint64 bandwidth, std::optional<guint64> number, std::optional<guint64> time, GError **error);

}  // namespace dash
}  // namespace gst_offline
