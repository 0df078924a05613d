/* What the output streams of one adaptive download share: the playback plan,
 * the cache, and the seeks that every pad receives.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "util/handles.h"

#include <gst/gst.h>
#include <gst/offline/offline.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace gst_offline {

class AdaptiveStream;

/* One per adaptive download being played, shared by its AdaptiveStreams.
 *
 * The index and the cache are read from every pad's streaming thread; one
 * mutex serializes those reads (they are short SQLite queries).
 *
 * Seeks: the demuxers downstream forward a TIME seek upstream on each of
 * their sink pads, so every src pad receives the same seek. The first to
 * arrive does the work for all pads; the others, with the same seqnum, get
 * the same answer. */
class AdaptivePlayback {
public:
  /* Takes ownership of `index` and `cache`. */
  AdaptivePlayback (GstElement *element, std::string download_id, GstOfflineDownloadIndex *index,
      GstOfflineCache *cache);

  ~AdaptivePlayback ();

  AdaptivePlayback (const AdaptivePlayback &) = delete;
  AdaptivePlayback &operator= (const AdaptivePlayback &) = delete;

  const std::string &download_id () const { return download_id_; }
  GstClockTime duration () const { return duration_; }
  guint group_id () const { return group_id_; }

  /* Reads of the plan and the cache, safe from any thread. */
  GPtrArray *segments (guint track, guint64 first, guint limit, GError **error);
  GstOfflineSegment *find_segment (guint track, GstClockTime time, GError **error);
  /* The segments of `track` from the first one of `period` on (at most
   * `limit`), that first one searched among the numbers up to `upper`
   * (a segment of the track in that period or after it): periods follow
   * one another in play order, so a binary search finds it in O(log n)
   * reads. */
  GPtrArray *period_segments (guint track, guint period, guint64 upper, guint limit, GError **error);
  gchar *lookup (const gchar *key, guint64 *length, GError **error);
  /* Whether the download is gone from the index (removed while it plays):
   * what a missing file or plan then means. */
  bool removed ();
  /* The HLS AES-128 key stored as `name` in the DRM store of the data
   * directory (kept in memory for the next segments, wiped at the end). */
  bool hls_key (const gchar *name, std::array<guint8, 16> *key, GError **error);
  /* The track whose timeline HLS subtitles are mapped onto (X-TIMESTAMP-MAP):
   * the plan's first video track, else its first audio track; nullptr if it
   * has neither (transfer none, lives as long as this). */
  GstOfflineTrack *media_track ();

  /* The streams seeks apply to; detach() forgets them all before they go. */
  void add_stream (AdaptiveStream *stream);
  void detach ();

  /* A seek that came before the pads existed: sets where every stream
   * starts, without flushing (nothing flowed yet). */
  bool apply_initial_seek (GstEvent *event);
  /* A seek received on any src pad (transfer full). */
  gboolean seek (GstEvent *event);

  /* Whether every stream's last push came back NOT_LINKED. */
  bool all_not_linked ();

  /* Tracks start in turn: audio once every video track has pushed its
   * first media block (or ended), text once every audio track has too.
   * decodebin3 gets each track's streams in a stream collection of its
   * own, from that track's parsebin, and playbin3 (1.22) chooses from the
   * first it sees and again from each later one: were subparse ready
   * before qtdemux or tsdemux, it would choose the text alone and fail
   * ("Have text pad but no video pad"); were audio and video ready at
   * once, it sometimes never gave the later one an output. A track reports
   * when its first media block's push begins and when it returns (or the
   * track ends); a later one waits up to `slice` and says whether every
   * earlier track's first push returned, or has been going on so long that
   * it must be waiting for the later ones. */
  void stream_starting (GstOfflineTrackType type);
  void stream_started (GstOfflineTrackType type);
  bool wait_for_earlier_streams (GstOfflineTrackType type, std::chrono::milliseconds slice);

private:
  /* Computes the new TIME segment of a seek; false if it is refused. */
  bool seek_segment (GstEvent *event, GstSegment *segment);
  /* The start of the segment holding `time` (or the next one) on the
   * first video stream, else the first stream: where key-unit seeks snap to. */
  GstClockTime snap (GstClockTime time, GstSeekFlags flags);

  GstElement *element_; /* not owned: it owns us, through its streams */
  const std::string download_id_;
  GObjectPtr<GstOfflineDownloadIndex> index_;
  GObjectPtr<GstOfflineCache> cache_;
  GstClockTime duration_;
  const guint group_id_;

  std::mutex plan_mutex_; /* serializes index_, cache_ and the one below */
  std::map<std::string, std::array<guint8, 16>> hls_keys_;
  bool media_track_read_ = false;
  GObjectPtr<GstOfflineTrack> media_track_;

  std::mutex start_mutex_; /* guards the counts */
  std::condition_variable started_;
  struct Starts {
    guint not_begun = 0;      /* streams whose first media push has not begun */
    guint not_done = 0;       /* ... has not returned (nor the stream ended) */
    gint64 last_begun_us = 0; /* when the latest of them began (monotonic) */
  };
  std::map<GstOfflineTrackType, Starts> starts_; /* by track type */

  /* streams_ changes under both mutexes, so either is enough to read it. */
  std::mutex streams_mutex_;
  std::mutex seek_mutex_; /* guards everything below; held during a whole seek */
  std::vector<AdaptiveStream *> streams_;
  GstSegment segment_; /* the last one sent */
  guint32 last_seek_seqnum_ = GST_SEQNUM_INVALID;
  gboolean last_seek_result_ = FALSE;
};

} // namespace gst_offline
