/* Where media time meets presentation time, one mapping per track and
 * period, for every container cachesrc plays: fMP4 (qtdemux times
 * fragments by their tfdt, so segments map media time to presentation
 * time), MPEG-TS (tsdemux times its output by the PCR, so a segment's first
 * buffer carries the time its first PCR has on the period's clock) and
 * WebVTT (X-TIMESTAMP-MAP cue times are mapped onto the media track's
 * timeline).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "util/handles.h"
#include "webvtt-timing.h"

#include <gst/gst.h>
#include <gst/offline/offline.h>
#include <gst/offline/offline-playback-private.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gst_offline {

/* The bytes a time mapping is read from; an output stream gives them, so
 * that a failure is reported as that stream's error. */
class SegmentBytes {
public:
  virtual ~SegmentBytes () = default;
  /* Opens cached resource `key` (an init or media segment): its file and
   * size; false after posting an error that names it. */
  virtual bool open_resource (const gchar *key, bool is_init, UniqueFd *fd, guint64 *size) = 0;
  /* The first bytes of media segment `segment` (decrypted), read in blocks
   * until `enough` says so or `limit` bytes are in; false after posting an
   * error. */
  virtual bool read_media_head (const GstOfflineSegment *segment, gsize limit,
      bool (*enough) (const std::vector<guint8> &), std::vector<guint8> *head) = 0;
  /* The segments of `track` from the first one of `period` on (at most
   * `limit`), searched among the numbers up to `upper`; nullptr after
   * posting an error. */
  virtual GPtrArray *period_segments (guint track, guint period, guint64 upper, guint limit) = 0;
  /* The segment of `track` holding `time`, nullptr if none. */
  virtual GstOfflineSegment *find_segment (guint track, GstClockTime time) = 0;
  /* Posts the error that media segment `segment` is not in its track's
   * container but `what`. */
  virtual void wrong_container (const GstOfflineSegment *segment, const gchar *what) = 0;
};

/* One per playback, shared by its streams (thread-safe). */
class TimeMapper {
public:
  /* Where the media timeline of `track` meets presentation time in the
   * period of `near` (a segment of track `near_track`, this one or
   * another): at the first
   * segment of that period, or the next one when the first begins before
   * the period (the plan then placed it at the period's start, where it
   * overlaps the next one; when there is no next one in the period, the
   * first one, less how long before the period it begins). With
   * `$Number$` addressing or HLS EXTINF the
   * plan's later start times are nominal, so only the first segment of a
   * period is known to start where the plan says. nullopt when the media
   * carry no time (a warning); *error after an error was posted. */
  std::optional<MediaTimeMap> period_map (GstOfflineTrack *track, const GstOfflineSegment *near, guint near_track,
      SegmentBytes &bytes, bool *error);

  /* The media time a segment of `track` starts with: fMP4 its first tfdt
   * (in the timescale of its init segment's mdhd, or for Smooth Streaming
   * the track's), MPEG-TS its first PCR (else its first PES timestamp);
   * nullopt when it has none. *error after an error was posted. */
  std::optional<GstClockTime> media_time_of (GstOfflineTrack *track, const GstOfflineSegment *segment,
      SegmentBytes &bytes, bool *error);

  /* fMP4: media time minus presentation time in the period of `segment`
   * (0 for other containers, whose demuxers follow buffer timestamps, and
   * where the media carry no time). */
  gint64 media_offset (GstOfflineTrack *track, const GstOfflineSegment *segment, SegmentBytes &bytes, bool *error);

  /* fMP4 (DASH and HLS): how much later than its tfdt the first picture of
   * `segment` is shown (its first sample's composition offset; 0 when it
   * has none, for other containers, and where the media carry no time).
   * The media times of a cut between Periods are shifted by it: the MPD's
   * times are presentation times, tfdt a decode time. *error after an error
   * was posted. */
  GstClockTime composition_lead (GstOfflineTrack *track, const GstOfflineSegment *segment, SegmentBytes &bytes,
      bool *error);

  /* fMP4: the timescale of `segment`'s init segment (its first track's
   * mdhd; Smooth Streaming: the track's); nullopt for other containers and
   * when it has none. *error after an error was posted. */
  std::optional<guint32> timescale (GstOfflineTrack *track, const GstOfflineSegment *segment, SegmentBytes &bytes,
      bool *error);

private:
  std::optional<guint32> timescale_locked (GstOfflineTrack *track, const GstOfflineSegment *segment,
      SegmentBytes &bytes, bool *error);
  std::optional<GstClockTime> media_time_locked (GstOfflineTrack *track, const GstOfflineSegment *segment,
      SegmentBytes &bytes, bool *error);

  std::mutex mutex_;
  std::map<std::pair<guint, guint>, std::optional<MediaTimeMap>> maps_; /* by track index and period */
  std::map<std::string, std::optional<guint32>> timescales_;            /* by init segment */
};

} // namespace gst_offline
