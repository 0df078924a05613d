/* The playback plan of an adaptive download: its chosen tracks and their
 * segments in play order with presentation times, as its downloader found
 * them in the manifest. cachesrc plays a download from it without reading
 * the manifest again: segments come in small batches (memory stays flat in
 * the number of segments) and a seek finds its segment through an index on
 * the start time (O(log n)).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "index/track-model.h"

#include <gst/offline/offline-error.h>

#include "db/database.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gst_offline {

struct PlanSegment {
  guint track = 0;
  guint64 number = 0;        /* 0, 1, ... within its track, in play order */
  guint period = 0;
  guint64 start_ns = 0;
  guint64 duration_ns = 0;
  std::string resource;      /* cache key of its bytes */
  std::string init_resource; /* cache key of its initialization segment, or empty */
  bool discontinuity = false;
  std::string key_resource;  /* HLS AES-128: DRM store name of its key, or empty */
  std::string iv;            /* 16 bytes with key_resource */
  /* How its downloader fetches `resource`: from this URL (empty when
   * another segment of the plan fetches the same resource), only a byte
   * range of it if range_length > 0, expecting about expected_length bytes
   * (-1: no idea). Written with the plan, read back by fetches (). */
  std::string fetch_url;
  guint64 range_offset = 0;
  guint64 range_length = 0;
  gint64 expected_length = -1;
  /* How long before start_ns it really begins: a DASH segment that begins
   * before its Period starts (start_ns) at the Period's start. */
  guint64 early_ns = 0;
  /* Where its Period's playback ends (PlanPeriod::end_ns): read with the
   * segment, not written with it. */
  std::optional<guint64> period_end_ns;
};

/* Where a DASH Period begins and ends in presentation time: playback stops
 * each Period's media at its end (the downloader already leaves out the
 * segments outside it, and a segment that runs past the end still holds
 * the frames after it). */
struct PlanPeriod {
  guint period = 0;
  guint64 start_ns = 0;
  /* none: it runs to the end of its media (the last Period, as with
   * GStreamer's adaptive demuxers: ffmpeg writes a last short segment past
   * the MPD's duration) */
  std::optional<guint64> end_ns;
};

/* A segment to fetch, as fetches () reads it back. */
struct PlanFetch {
  std::string url;
  std::string resource;
  guint64 range_offset = 0;
  guint64 range_length = 0;  /* 0: the whole file */
  gint64 expected_length = -1;
  /* Its length if the resource is whole in the cache and the download uses
   * it already, else -1. */
  gint64 whole_length = -1;
};

/* Which of the plan's segments fetches () reads: those that overlap
 * [range_start_ns, range_end_ns), and of them all, or only those that end
 * after `position_ns` (Ahead) or at or before it (Behind). */
struct PlanFetchFilter {
  guint64 range_start_ns = 0;
  guint64 range_end_ns = G_MAXINT64;
  enum class Part { All, Ahead, Behind } part = Part::All;
  guint64 position_ns = 0;
};

/* Where fetches () goes on from: after the segment it returned last. */
struct PlanFetchPosition {
  bool started = false;
  guint64 start_ns = 0;
  guint track = 0;
  guint64 number = 0;
};

namespace playback_plan {

/* Replaces the plan of a download in one transaction, its segments written
 * as they are made, so that what a downloader holds of them stays one
 * segment whatever their number: begin (), add () each segment (numbered
 * within its track in play order), then finish () with the tracks (and,
 * for DASH, the Periods' bounds). Until
 * finish () returns the old plan is what every reader sees; a writer
 * dropped unfinished leaves it there. */
class Writer {
 public:
  static std::unique_ptr<Writer> begin (Database &db, const std::string &download_id, GError **error);
  bool add (const PlanSegment &segment, GError **error);
  bool finish (const std::vector<Track> &tracks, const std::vector<PlanPeriod> &periods, GError **error);
  /* A live recording's plan grows: append () opens a writer that keeps the
   * plan there and adds () segments after its own (numbered on within each
   * track), set_next_sequence () notes where each track goes on, and
   * commit () makes both visible at once. */
  static std::unique_ptr<Writer> append (Database &db, const std::string &download_id, GError **error);
  bool set_next_sequence (guint track, guint64 sequence, GError **error);
  bool commit (GError **error) { return transaction_.commit (error); }
  /* Segments added so far. */
  guint64 count () const { return count_; }

 private:
  static std::unique_ptr<Writer> open (Database &db, const std::string &download_id, bool replace, GError **error);
  Writer (Database &db, std::string download_id, Database::Transaction transaction, Statement segment)
      : db_ (db), download_id_ (std::move (download_id)), transaction_ (std::move (transaction)),
        segment_ (std::move (segment))
  {
  }

  Database &db_;
  std::string download_id_;
  Database::Transaction transaction_;
  Statement segment_;
  guint64 count_ = 0;
};

/* Replaces the plan of `download_id` in one transaction. */
bool store (Database &db, const std::string &download_id, const std::vector<Track> &tracks,
    const std::vector<PlanSegment> &segments, GError **error, const std::vector<PlanPeriod> &periods = {});
std::optional<std::vector<Track>> tracks (Database &db, const std::string &download_id, GError **error);
/* Up to `limit` segments of a track from segment `first` on. */
std::optional<std::vector<PlanSegment>> segments (Database &db, const std::string &download_id, guint track,
    guint64 first, guint limit, GError **error);
/* The segment that holds `time_ns`: the last one starting at or before it
 * (the first if it is before every segment). NOT_FOUND for an empty track. */
std::optional<PlanSegment> segment_at (Database &db, const std::string &download_id, guint track, guint64 time_ns,
    GError **error);
/* Up to `limit` segments to fetch after `position` (which it moves on), in
 * fetch order: by start time, then track and number, so that a partial
 * download plays from its start. Empty past the end. */
std::optional<std::vector<PlanFetch>> fetches (Database &db, const std::string &download_id,
    PlanFetchPosition *position, guint limit, GError **error, const PlanFetchFilter &filter = {});
/* The first segment of each track's Periods (discontinuity sequences for
 * HLS) that hold segments of the filter's range but begin before it: what
 * playback anchors a Period's media time at, so a download of a range
 * fetches them too. */
std::optional<std::vector<PlanFetch>> period_anchors (Database &db, const std::string &download_id,
    const PlanFetchFilter &filter, GError **error);
/* A time range starting at `start_ns` fits a presentation of `duration_ns`:
 * else INVALID_ARGUMENT saying so. */
bool check_range_start (guint64 start_ns, guint64 duration_ns, GError **error);
/* The end of the latest segment of any track, or 0. */
guint64 duration_ns (Database &db, const std::string &download_id);
/* A recording's media sequence number of the next segment to record, per
 * track (Writer::set_next_sequence ()); empty when it has none. */
std::optional<std::map<guint, guint64>> next_sequences (Database &db, const std::string &download_id, GError **error);
/* The sum of the durations of a track's segments (0 without any). */
guint64 track_media_ns (Database &db, const std::string &download_id, guint track);
/* The last segment of a track, if it has any. */
std::optional<PlanSegment> last_segment (Database &db, const std::string &download_id, guint track, GError **error);
/* Deletes the plan of `download_id`: its tracks, periods and segments. */
bool remove (Database &db, const std::string &download_id, GError **error);
/* Deletes its tracks and periods, and leaves its segments (the bulk of a
 * large plan) to remove_segments (), which a removal runs later, off the
 * caller's path (cache/pending-removals.h). */
bool remove_all_but_segments (Database &db, const std::string &download_id, GError **error);
/* Deletes its segments, in transactions of at most `batch` rows (other
 * writers go in between); false if one failed (the rows deleted before it
 * stay deleted). */
bool remove_segments (Database &db, const std::string &download_id, guint batch, GError **error);

}  // namespace playback_plan
}  // namespace gst_offline
