/* What the DASH, HLS and Smooth Streaming downloads share: their manifests
 * fetched into the cache and read back, then the playback plan written and
 * every segment it names fetched, several at a time, with progress. Each
 * format's downloader keeps only what its manifest says: which documents to
 * fetch (begin ()) and the plan they give (draw_plan ()).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "downloader/downloader.h"
#include "downloader/live-recorder.h"
#include "downloader/segment-fetcher.h"
#include "index/playback-plan.h"

namespace gst_offline {

class AdaptiveDownloader : public Downloader {
 public:
  void start (GCancellable *cancellable, ProgressFn progress, DoneFn done) final;
  void position_requested () final;
  void use_documents (FetchedDocuments documents) final;

 protected:
  /* A playback plan and what to fetch for it. Its segments go to the
   * index as they are made (see draw_plan ()), each fetched as fetch_with ()
   * says, by start time, so that a partial download plays from its start. */
  struct Plan {
    std::vector<Track> tracks;
    /* Fetched before the segments, in this order (initialization segments):
     * each is asked for before any media segment, after a player's seek too
     * (SegmentSpec::leading), so that cachesrc, which reads every Period's
     * init segment when a track starts, waits little for them. */
    std::vector<SegmentSpec> first;
    /* DASH: the bounds of the Periods the segments are in. */
    std::vector<PlanPeriod> periods;
  };

  AdaptiveDownloader (const DownloadRecord &record, const DownloaderContext &context);

  /* Starts the format's work once start () holds its arguments. */
  virtual void begin () = 0;
  /* The plan of what the format's manifests chose: its tracks and first
   * segments into `plan`, each of its segments given to `segments` as it is
   * made (numbered in play order within its track), so that the memory a
   * plan takes does not grow with its segments. */
  virtual bool draw_plan (Plan *plan, playback_plan::Writer &segments, GError **error) = 0;

  using DocumentFn = std::function<void (std::string bytes)>;
  /* Fetches a manifest or playlist at `url` (see fetch_manifest ()) and
   * gives its bytes to `then`; the error that kept them from arriving ends
   * the download. */
  void fetch_document (const std::string &url, ResourceFetch::ValidateFn validate, gsize max_bytes, DocumentFn then);
  /* The segment of this download at `url`, only `range` of it if given. */
  SegmentSpec segment_spec (const std::string &url, const std::optional<ByteRange> &range) const;
  /* Makes `spec` what the plan's segment `segment` is fetched with (its
   * resource is spec's cache key). */
  static void fetch_with (PlanSegment &segment, const SegmentSpec &spec);
  /* Called once the plan is stored: the format's copy of the segment lists
   * (its manifests' expansion) is not needed any more. */
  virtual void drop_segment_lists () {}
  /* Fetches `segments` into the cache, then calls `then`. */
  void fetch_segments (std::unique_ptr<SegmentSource> segments, SegmentFetcher::ProgressFn progress, DoneFn then);
  /* Stores the plan draw_plan () gives, fetches what it names (reading it
   * back from the index a window at a time) and ends the download. */
  void fetch_plan ();
  /* Ends the download with `error`. The DoneFn may destroy this downloader:
   * nothing after it. */
  void fail (const GError *error);
  /* A live stream: records it into a plan of `tracks`, reloading the
   * manifest with `reload` (see live-recorder.h), until it ends the
   * download. */
  void record_live (std::vector<Track> tracks, LiveRecorder::ReloadFn reload);

  DownloadRecord record_;
  DownloaderContext context_;
  GCancellable *cancellable_ = nullptr;

 private:
  ProgressFn progress_;
  DoneFn done_;
  std::shared_ptr<ResourceFetch> document_fetch_;
  /* What use_documents () gave: each is taken once, by fetch_document (). */
  FetchedDocuments documents_;
  std::shared_ptr<SegmentFetcher> fetcher_;
  std::unique_ptr<LiveRecorder> recorder_;
  /* Whether fetcher_ fetches the plan's segments (not a sidx index), and
   * the position it was last told to go to. */
  bool fetching_plan_ = false;
  std::optional<guint64> wanted_position_;
};

}  // namespace gst_offline
