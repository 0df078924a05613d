/* What the output streams of one adaptive download share: the playback plan,
 * the cache, and the seeks that every pad receives.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "util/handles.h"

#include <gst/gst.h>
#include <gst/offline/offline.h>
#include <gst/offline/offline-playback-private.h>

#include "commit-watch.h"
#include "position-request.h"
#include "time-mapper.h"

#include <array>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
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
 * Streams: one GstStream per playable track, all in one
 * GstStreamCollection (posted on the bus and sent on every pad after its
 * segment), whose stream ids are those of the pads' stream-start events.
 * The selected tracks have a pad that flows; the others have none.
 * GST_EVENT_SELECT_STREAMS (on any pad, or sent to the element) changes the
 * selection during playback: a newly selected track takes the pad of a
 * track of its type that is no longer selected (AdaptiveStream::
 * switch_track(): the pad flushes and goes on with it where playback is);
 * one with no such pad gets a new pad that starts where playback is, and
 * a track no longer selected whose pad nothing takes ends it with EOS.
 * decodebin3 learns from the SELECTABLE query that the source selects (as
 * with adaptivedemux2) and then exposes every stream that reaches it.
 *
 * Seeks: the demuxers downstream forward a TIME seek upstream on each of
 * their sink pads, so every src pad receives the same seek. The first to
 * arrive does the work for all pads; the others, with the same seqnum, get
 * the same answer. */
class AdaptivePlayback {
public:
  /* Makes (and starts, at `position` within `segment`) the output stream
   * of a newly selected track: its pad added and exposed. Returns it
   * (owned by the element), or nullptr after posting an error. */
  using StreamFactory = std::function<AdaptiveStream *(GstOfflineTrack *track, const GstSegment &segment,
      guint32 seqnum, GstClockTime position)>;

  /* Takes ownership of `index` and `cache` (of `data_dir`). `tracks`: the
   * playable tracks, the collection's streams in that order. */
  AdaptivePlayback (GstElement *element, const std::string &data_dir, std::string download_id,
      GstOfflineDownloadIndex *index, GstOfflineCache *cache, const std::vector<GObjectPtr<GstOfflineTrack>> &tracks);

  ~AdaptivePlayback ();

  AdaptivePlayback (const AdaptivePlayback &) = delete;
  AdaptivePlayback &operator= (const AdaptivePlayback &) = delete;

  const std::string &download_id () const { return download_id_; }
  /* The end of what plays (DURATION); GST_CLOCK_TIME_NONE while a
   * recording runs (it grows: recording_runs() looks again). */
  GstClockTime duration ();
  guint group_id () const { return group_id_; }

  /* The collection of every playable track (transfer none). */
  GstStreamCollection *collection () const { return collection_.get (); }
  /* A new collection object with the collection's streams (transfer full). */
  GstStreamCollection *copy_collection () const;
  /* The GstStream of a track of the collection (transfer none), nullptr if
   * the track is not in it. */
  GstStream *stream_object (guint track_index) const;
  /* The stream id of a track: that of its GstStream and its pads'
   * stream-start. */
  std::string stream_id (guint track_index) const;

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
  /* The download's index row as it is now (transfer full); nullptr with
   * *error set if it cannot be read (NOT_FOUND: removed). */
  GstOfflineDownload *download (GError **error);
  /* Whether a process (this one or another) fetches the download or holds
   * it in its queue (gst_offline_download_index_is_fetched()). */
  bool is_fetched ();
  /* The HLS AES-128 key stored as `name` in the DRM store of the data
   * directory (kept in memory for the next segments, wiped at the end). */
  bool hls_key (const gchar *name, std::array<guint8, 16> *key, GError **error);
  /* The track whose timeline HLS subtitles are mapped onto (X-TIMESTAMP-MAP):
   * the plan's first video track, else its first audio track; nullptr if it
   * has neither (transfer none, lives as long as this). */
  GstOfflineTrack *media_track ();
  /* The one time mapper of this playback (transfer none). */
  TimeMapper &time_mapper () { return time_mapper_; }

  /* The streams seeks and selections apply to; detach() forgets them all
   * before they go, and no selection adds any after it. */
  void add_stream (AdaptiveStream *stream);
  void detach ();
  /* Where streams of newly selected tracks come from (set before the
   * first pad is exposed). */
  void set_stream_factory (StreamFactory factory) { factory_ = std::move (factory); }

  /* A seek that came before the pads existed: sets where every stream
   * starts, without flushing (nothing flowed yet). */
  bool apply_initial_seek (GstEvent *event);
  /* A seek received on any src pad (transfer full). */
  /* The time range of the download, if it has one: where playback starts
   * and stops (seeks stay within it). */
  void apply_time_range ();
  /* Tells the download, through the index, to fetch from `position` on
   * next when a stream's segment there is not in the cache yet (a seek
   * beyond what is downloaded). Does not wait for the index's write lock
   * (PositionRequest). */
  void request_download_position (GstClockTime position);
  gboolean seek (GstEvent *event);
  /* GST_EVENT_SELECT_STREAMS received on any src pad or by the element
   * (transfer full). Stream ids of the collection, or ids the demuxers
   * downstream derived from them ("<id>/<suffix>"), name the tracks. A
   * track switched to on a pad starts where the clock says playback is
   * (running_time_now()). */
  gboolean select_streams (GstEvent *event);
  /* The streams-selected message of the current selection (transfer full). */
  GstMessage *streams_selected_message (guint32 seqnum);

  /* The flow of `stream`'s last push combined with the others': NOT_LINKED
   * only when no stream is linked. Streams parked wait on it (GST_FLOW_OK
   * again: a parked stream flows again). */
  GstFlowReturn combine_flow (AdaptiveStream *stream, GstFlowReturn ret);

  /* What a parked stream (AdaptiveStream::wait_while_parked()) waits for:
   * a RECONFIGURE on its pad (Linked); if `until_others_end`, every other
   * video or audio stream ended or parked too (OthersEnded);
   * or to stop (Stop: its pad flushing, deselected, the element
   * stopping). On the condition that flow changes, ends, flushes and
   * RECONFIGUREs notify: no polling. */
  enum class ParkedWait { Linked, OthersEnded, Stop };
  ParkedWait wait_while_parked (AdaptiveStream *stream, bool until_others_end);
  /* Where playback is, for a parked stream taken again: the furthest
   * position the sinks below the streams report (as adaptivedemux restarts
   * a stream linked again); GST_CLOCK_TIME_NONE if none answers. */
  GstClockTime playing_position (AdaptiveStream *stream);
  /* The running time playing now by the pipeline's clock: the clock's time
   * less the element's base time in PLAYING, the running time it paused
   * at otherwise (0 before it ever played); GST_CLOCK_TIME_NONE without a
   * clock. What the sinks render now, for a pipeline without latency
   * (cachesrc's pipelines are not live). */
  GstClockTime running_time_now ();

  /* Sparse (text) tracks end with the others, as adaptivedemux2's output
   * keeps its tracks in step: decodebin3 (1.22) takes an input that ends
   * while the others go on for one that goes away, and removes its output
   * under playsink, which then waits for it for ever. A text stream at its
   * end waits (on a condition, not a clock) until every video and audio
   * stream has ended, or it is woken to stop: false then. */
  bool wait_for_dense_streams_to_end (AdaptiveStream *stream);
  /* Whether a video or audio track is selected (its seeks move the text
   * tracks too). */
  bool has_dense_stream ();
  /* `stream` pushed EOS (ended) or starts again (not). */
  void set_ended (AdaptiveStream *stream, bool ended);
  /* Wakes the waiting streams (a text stream at its end, a parked one):
   * one flushes, stops, is deselected or got a RECONFIGURE. */
  void wake ();

  /* Play while downloading: a stream whose next resource is not in the
   * cache yet while the download runs waits for the commits that may
   * bring it, then for those of the segments after it up to a buffered
   * time (SegmentSource). begin_waiting() watches the index's commits
   * (from then on: read commits() after it) and, for the first stream
   * that waits, posts BUFFERING 0; set_waiting_percent() tells how far
   * `stream` has come, and BUFFERING posts the least of the waiting
   * streams' percentages whenever it grows (they never go down while
   * streams wait, as queue2's); end_waiting(), for the last one, posts
   * BUFFERING 100. */
  void begin_waiting (AdaptiveStream *stream);
  void set_waiting_percent (AdaptiveStream *stream, gint percent);
  void end_waiting (AdaptiveStream *stream);
  /* How many commits to the index were seen (a count to wait on). */
  guint64 commits ();
  /* Waits until a commit after the `seen`th (or a process let go of a
   * lock: CommitWatch), or until `stream` is interrupted (a flush, a
   * deselection) or the element stops: false then. On the condition that
   * wake() notifies, and at most a second: then it counts as a commit, so
   * that the caller looks again whether anyone still fetches the download. */
  bool wait_for_commit (AdaptiveStream *stream, guint64 seen);

  /* Play while recording: the plan of a live recording grows while it
   * runs (the recorder appends each segment once it is whole). A stream
   * at the end of what the plan holds asks recording_runs(): true while
   * the download is a recording that a live process still fetches
   * (is_fetched()), and the stream waits for the next commit as it would
   * for a missing resource (begin_waiting() ... end_waiting()); false once
   * it is not one, or no more: it completed (its duration is known from
   * then on, DURATION_CHANGED posted), failed, or its process died (then
   * what it holds plays to the end, with a warning once). */
  bool recording_runs ();
  /* The end of what the plan holds now (0 when it holds nothing): how far
   * seeks go while a recording runs, and the SEEKING range. */
  GstClockTime recorded_end ();

private:
  /* Computes the new TIME segment of a seek; false if it is refused. */
  bool seek_segment (GstEvent *event, GstSegment *segment);
  /* The start of the segment holding `time` (or the next one) on the
   * first video stream, else the first stream: where key-unit seeks snap to. */
  GstClockTime snap (GstClockTime time, GstSeekFlags flags);
  /* Posts BUFFERING with the least percentage of the waiting streams if
   * it grew; under buffering_mutex_. */
  void post_least_percent ();
  /* The track a stream id of a SELECT_STREAMS names, nullptr if none. */
  GstOfflineTrack *track_of_stream_id (const gchar *id) const;

  GstElement *element_; /* not owned: it owns us, through its streams */
  const std::string download_id_;
  GObjectPtr<GstOfflineDownloadIndex> index_;
  PositionRequest position_request_;
  GstClockTime range_start_ = 0;
  GstClockTime range_end_ = GST_CLOCK_TIME_NONE;
  GObjectPtr<GstOfflineCache> cache_;
  std::atomic<GstClockTime> duration_;
  /* A recording that ran when playback began, until recording_runs()
   * finds it over. */
  std::atomic<bool> recording_ { false };
  const guint group_id_;
  std::vector<GObjectPtr<GstOfflineTrack>> tracks_;
  std::string stream_id_prefix_;
  GstObjectPtr<GstStreamCollection> collection_;
  std::map<guint, GstObjectPtr<GstStream>> stream_objects_; /* by track index */
  TimeMapper time_mapper_;
  StreamFactory factory_;

  std::mutex plan_mutex_; /* serializes index_, cache_ and the one below */
  std::map<std::string, std::array<guint8, 16>> hls_keys_;
  bool media_track_read_ = false;
  GObjectPtr<GstOfflineTrack> media_track_;

  std::mutex flow_mutex_; /* guards flows_, ended_ and commits_ */
  std::map<AdaptiveStream *, GstFlowReturn> flows_;
  std::map<AdaptiveStream *, bool> ended_;
  std::condition_variable ended_changed_;
  guint64 commits_ = 0;

  std::mutex buffering_mutex_; /* guards the three below, held while posting */
  std::map<AdaptiveStream *, gint> waiting_; /* streams waiting for the download, their percentage */
  gint posted_percent_ = 100;                /* the last BUFFERING posted */
  std::unique_ptr<CommitWatch> commit_watch_;

  /* streams_ changes under both mutexes, so either is enough to read it. */
  std::mutex streams_mutex_;
  std::mutex seek_mutex_; /* guards everything below; held during a whole seek or selection */
  std::vector<AdaptiveStream *> streams_; /* of the selected tracks */
  std::atomic<bool> detached_ { false };
  GstSegment segment_; /* the last one sent */
  guint32 last_seek_seqnum_ = GST_SEQNUM_INVALID;
  gboolean last_seek_result_ = FALSE;
  guint32 last_select_seqnum_ = GST_SEQNUM_INVALID;
  gboolean last_select_result_ = FALSE;
};

} // namespace gst_offline
