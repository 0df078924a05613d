/* Records a live stream into a download, whatever its format: the format's
 * downloader reloads its manifest and says which segments each track's
 * window lists now (a LiveWindow per track, by sequence number); the
 * recorder picks where to start, fetches every new segment once, up to
 * the context's segment parallelism at once (as VOD downloads do: each
 * segment through a SegmentFetcher of its own, the tracks' segments side
 * by side by sequence number), appends each to the playback plan as soon
 * as it and every segment of its track before it are whole, strictly in
 * sequence order (so that the recording plays while it runs), waits
 * before the next reload as RFC 8216 6.3.4 says, and ends the download as
 * completed at its live duration, at the end of the stream or when it is
 * stopped.
 *
 * Where a recording starts: at the oldest segment of the window with
 * live-from-start, else at the live edge as players join it — the segment
 * in which the last three target durations of the window begin (hls.js's
 * and ExoPlayer's default for HLS; the whole window if it is shorter), or
 * the window's own edge delay when the format gives one (DASH: see
 * dash-downloader.h). Renditions start at the main track's sequence number
 * when their window holds it.
 *
 * Faults leave a gap, never wrong times: a segment that left the window
 * before it was fetched (the window moved past it, or it answers 404/410),
 * reloads that failed meanwhile, or a process that was killed and started
 * again. When the window moved past the next segment, the recording goes
 * on at the live edge (as a recording from the edge starts, whatever
 * live-from-start says: the window's oldest segment is about to leave it
 * too); a listed segment that answers 404/410 is skipped alone; the
 * next segment begins a new period of the plan (a discontinuity: playback
 * maps its times anew) that starts after the missing media, whose length
 * is the missing segments' durations as last listed, or target durations
 * for those never seen. A reload that fails is tried again after 1, 2, 4
 * ... target durations (at most 8); after kMaxReloadFailures failures in a
 * row the recording fails, keeping what it holds.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "downloader/downloader.h"
#include "downloader/segment-fetcher.h"
#include "index/playback-plan.h"
#include "util/handles.h"

#include <deque>
#include <map>
#include <memory>
#include <set>

namespace gst_offline {

/* One segment a live manifest lists now. */
struct LiveSegment {
  guint64 sequence = 0;
  guint64 duration_ns = 0;
  /* The manifest marks a discontinuity before it. */
  bool discontinuity = false;
  SegmentSpec spec;
  /* Its initialization segment, if it has one. */
  std::optional<SegmentSpec> init;
  /* HLS AES-128: its key's DRM store name and IV (see PlanSegment). */
  std::string key_resource;
  std::string iv;
};

/* What one track's manifest lists now. */
struct LiveWindow {
  std::vector<LiveSegment> segments;  /* by sequence number */
  guint64 target_duration_ns = 0;
  /* No segment will be added (HLS EXT-X-ENDLIST, a DASH MPD turned static). */
  bool ended = false;
  /* How far back from the end of the window the live edge starts, if the
   * format says (else three target durations). */
  std::optional<guint64> edge_delay_ns;
  /* How long after a reload's start the next one comes, if the format
   * says (DASH @minimumUpdatePeriod; else RFC 8216 6.3.4). */
  std::optional<guint64> reload_ns;
};

constexpr guint kMaxReloadFailures = 6;

class LiveRecorder {
 public:
  using WindowsFn = std::function<void (std::vector<LiveWindow> *windows, const GError *error)>;
  /* Reloads the manifest and calls `done` once, on the context, with one
   * window per track (in the order of `tracks`) or the error. */
  using ReloadFn = std::function<void (WindowsFn done)>;

  /* `tracks` are the plan's (their index is their place). */
  LiveRecorder (const DownloadRecord &record, const DownloaderContext &context, GCancellable *cancellable,
      std::vector<Track> tracks, ReloadFn reload, Downloader::ProgressFn progress, Downloader::DoneFn done);
  ~LiveRecorder ();
  LiveRecorder (const LiveRecorder &) = delete;
  LiveRecorder &operator= (const LiveRecorder &) = delete;

  /* Goes on from the plan's recording if the download has one (a process
   * that stopped), else starts one; then reloads. */
  void start ();

 private:
  struct Pending {
    guint track;
    LiveSegment segment;
  };
  /* A segment whose fetch started: once done, its error if it failed. */
  struct Outcome {
    Pending pending;
    bool done = false;
    guint64 bytes = 0;
    GErrorPtr error;
  };
  struct TrackState {
    std::optional<guint64> next_sequence;
    guint64 next_number = 0;
    guint64 next_start_ns = 0;
    guint period = 0;
    bool discontinuity_next = false;
    guint64 recorded_ns = 0;
    guint64 missing_ns = 0;
    /* Durations of the segments listed and not recorded yet, by sequence. */
    std::map<guint64, guint64> listed;
    /* Init segments whole in the cache, and being fetched. */
    std::set<std::string> inits;
    std::set<std::string> inits_fetching;
    /* Segments fetched or being fetched and not yet taken, by sequence. */
    std::map<guint64, Outcome> outstanding;
  };
  struct Fetch {
    std::shared_ptr<SegmentFetcher> fetcher;
    GObjectPtr<GCancellable> cancellable;
    gulong forward = 0;
    guint64 bytes = 0;
  };

  void reload ();
  void on_windows (std::vector<LiveWindow> *windows, const GError *error);
  bool resume (GError **error);
  guint64 live_edge (const LiveWindow &window) const;
  void choose_start (const std::vector<LiveWindow> &windows);
  void skip_to (TrackState &state, guint64 sequence, guint64 target_duration_ns);
  bool takes (guint64 held_ns, guint64 segment_ns) const;
  bool is_full (const TrackState &state) const;
  void fill ();
  void start_fetch (Pending pending, std::vector<SegmentSpec> specs);
  void on_fetched (guint track, guint64 sequence, const std::optional<std::string> &init, guint64 bytes,
      const GError *error);
  void take (const Outcome &outcome);
  void fail_later (const GError *error);
  bool append (const Pending &pending, GError **error);
  bool save_sequences (GError **error);
  void after_batch ();
  void wait (guint64 delay_ns);
  void report ();
  void stop ();
  void end (const GError *error);

  DownloadRecord record_;
  DownloaderContext context_;
  GCancellable *cancellable_;
  std::vector<Track> tracks_;
  ReloadFn reload_;
  Downloader::ProgressFn progress_;
  Downloader::DoneFn done_;

  std::vector<TrackState> states_;
  std::deque<Pending> queue_;
  /* The fetches in flight, by id. */
  std::map<guint, Fetch> fetches_;
  guint next_fetch_id_ = 0;
  /* A failure that ends the recording once no fetch is in flight. */
  GErrorPtr failure_;
  bool plan_written_ = false;
  bool ended_ = false;
  bool changed_ = false;
  guint reload_failures_ = 0;
  gint64 reload_started_us_ = 0;
  guint64 target_duration_ns_ = GST_SECOND;
  std::optional<guint64> reload_ns_;
  guint64 bytes_base_ = 0;
  GSource *timer_ = nullptr;
  GSource *cancel_watch_ = nullptr;
};

}  // namespace gst_offline
