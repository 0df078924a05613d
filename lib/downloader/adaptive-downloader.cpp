/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "downloader/adaptive-downloader.h"

#include "cache/cache-private.h"
#include "index/download-record.h"


namespace gst_offline {

AdaptiveDownloader::AdaptiveDownloader (const DownloadRecord &record, const DownloaderContext &context)
    : record_ (record), context_ (context)
{
}

void AdaptiveDownloader::start (GCancellable *cancellable, ProgressFn progress, DoneFn done)
{
  cancellable_ = cancellable;
  progress_ = std::move (progress);
  done_ = std::move (done);
  begin ();
}

void AdaptiveDownloader::fail (const GError *error)
{
  done_ (error);
}

void AdaptiveDownloader::record_live (std::vector<Track> tracks, LiveRecorder::ReloadFn reload)
{
  recorder_ = std::make_unique<LiveRecorder> (record_, context_, cancellable_, std::move (tracks), std::move (reload),
      [this] (const DownloadProgress &p) { progress_ (p); }, [this] (const GError *e) { done_ (e); });
  recorder_->start ();
}

void AdaptiveDownloader::use_documents (FetchedDocuments documents)
{
  documents_ = std::move (documents);
}

void AdaptiveDownloader::fetch_document (const std::string &url, ResourceFetch::ValidateFn validate, gsize max_bytes,
    DocumentFn then)
{
  auto got = [this, then = std::move (then)] (std::optional<std::string> bytes, const GError *error) {
    document_fetch_.reset ();
    if (!bytes) {
      fail (error);
      return;
    }
    then (std::move (*bytes));
  };
  auto fetched = documents_.find (url);
  if (fetched != documents_.end ()) {
    std::string bytes = std::move (fetched->second);
    documents_.erase (fetched);
    store_fetched_manifest (context_, record_, url, std::move (bytes), cancellable_, validate, max_bytes, std::move (got));
    return;
  }
  /* The fetch holds itself, and so `then`, while it reports. */
  document_fetch_ = fetch_manifest (context_, record_, url, cancellable_, std::move (validate), max_bytes, std::move (got));
}

SegmentSpec AdaptiveDownloader::segment_spec (const std::string &url, const std::optional<ByteRange> &range) const
{
  return SegmentSpec { FetchSpec { url, segment_cache_key (url, range), record_.id, record_.headers, range }, -1 };
}

void AdaptiveDownloader::fetch_segments (std::unique_ptr<SegmentSource> segments, SegmentFetcher::ProgressFn progress,
    DoneFn then)
{
  /* The fetcher holds itself, and so `then`, while it reports. */
  fetcher_ = SegmentFetcher::create (context_, std::move (segments), context_.segment_parallelism, cancellable_);
  fetcher_->start (std::move (progress), [this, then = std::move (then)] (const GError *error) {
    fetcher_.reset ();
    then (error);
  });
}

void AdaptiveDownloader::position_requested ()
{
  /* Only once the plan's segments are being fetched: before, the source
   * reads the position when it is made. */
  if (!fetching_plan_ || !fetcher_)
    return;
  auto wanted = download_table::wanted_position (cache_database (context_.cache), record_.id, nullptr);
  if (!wanted || wanted == wanted_position_)
    return;
  wanted_position_ = wanted;
  fetcher_->seek (*wanted);
}

void AdaptiveDownloader::fetch_with (PlanSegment &segment, const SegmentSpec &spec)
{
  segment.resource = spec.fetch.cache_key;
  segment.fetch_url = spec.fetch.url;
  segment.range_offset = spec.fetch.range ? spec.fetch.range->offset : 0;
  segment.range_length = spec.fetch.range ? spec.fetch.range->length : 0;
  segment.expected_length = spec.expected_length;
}

namespace {

/* The segments of a stored plan: `first`, then the plan's (those of the
 * download's time range), read back a window at a time in start-time order
 * — from a position a player asked for on, if one did, then those before
 * it. */
class PlanSource : public SegmentSource {
 public:
  PlanSource (GstOfflineCache *cache, const DownloadRecord &record, std::vector<SegmentSpec> first)
      : cache_ (GST_OFFLINE_CACHE (g_object_ref (cache))), download_id_ (record.id), headers_ (record.headers),
        first_ (std::move (first))
  {
    for (SegmentSpec &spec : first_)
      spec.leading = true;
    filter_.range_start_ns = record.range_start_ns.value_or (0);
    filter_.range_end_ns = record.range_end_ns.value_or (G_MAXINT64);
    wanted_ = download_table::wanted_position (cache_database (cache_), download_id_, nullptr);
    rewind ();
  }
  ~PlanSource () override { g_object_unref (cache_); }

  void rewind () override
  {
    next_first_ = 0;
    position_ = {};
    filter_.part = wanted_ ? PlanFetchFilter::Part::Ahead : PlanFetchFilter::Part::All;
    filter_.position_ns = wanted_.value_or (0);
  }

  bool seek (guint64 position_ns) override
  {
    /* The first segments (initialization) stay where they are: those read
     * are fetched, being fetched, or next (leading, see SegmentFetcher::seek ()). */
    wanted_ = position_ns;
    position_ = {};
    filter_.part = PlanFetchFilter::Part::Ahead;
    filter_.position_ns = position_ns;
    return true;
  }

  std::optional<std::vector<SegmentSpec>> next (size_t limit, GError **error) override
  {
    if (!anchors_read_) {
      /* A range's Period anchors go with the initialization segments. */
      auto anchors = playback_plan::period_anchors (cache_database (cache_), download_id_, filter_, error);
      if (!anchors)
        return std::nullopt;
      for (PlanFetch &row : *anchors) {
        first_.push_back (spec_of (row));
        first_.back ().leading = true;
      }
      anchors_read_ = true;
    }
    std::vector<SegmentSpec> window;
    for (; next_first_ < first_.size () && window.size () < limit; next_first_++)
      window.push_back (first_[next_first_]);
    if (window.size () == limit)
      return window;
    auto rows = playback_plan::fetches (cache_database (cache_), download_id_, &position_,
        static_cast<guint> (limit - window.size ()), error, filter_);
    if (!rows)
      return std::nullopt;
    if (rows->empty () && filter_.part == PlanFetchFilter::Part::Ahead) {
      /* Then back for what is before the position. */
      filter_.part = PlanFetchFilter::Part::Behind;
      position_ = {};
      return next (limit, error);
    }
    for (PlanFetch &row : *rows)
      window.push_back (spec_of (row));
    return window;
  }

 private:
  GstOfflineCache *cache_;
  std::string download_id_;
  std::vector<std::string> headers_;
  std::vector<SegmentSpec> first_;
  size_t next_first_ = 0;
  PlanFetchPosition position_;
  PlanFetchFilter filter_;
  std::optional<guint64> wanted_;
  bool anchors_read_ = false;

  SegmentSpec spec_of (PlanFetch &row) const
  {
    std::optional<ByteRange> range;
    if (row.range_length > 0)
      range = ByteRange { row.range_offset, row.range_length };
    return SegmentSpec { FetchSpec { std::move (row.url), std::move (row.resource), download_id_, headers_, range },
        row.expected_length, row.whole_length };
  }
};

}  // namespace

void AdaptiveDownloader::fetch_plan ()
{
  g_autoptr (GError) error = nullptr;
  std::vector<SegmentSpec> first;
  {
    Plan plan;
    auto writer = playback_plan::Writer::begin (cache_database (context_.cache), record_.id, &error);
    if (!writer || !draw_plan (&plan, *writer, &error) || !writer->finish (plan.tracks, plan.periods, &error)) {
      /* Rolled back before the failure is told (and recorded). */
      writer.reset ();
      fail (error);
      return;
    }
    first = std::move (plan.first);
  }
  if (record_.range_start_ns
      && !playback_plan::check_range_start (*record_.range_start_ns,
          playback_plan::duration_ns (cache_database (context_.cache), record_.id), &error)) {
    fail (error);
    return;
  }
  /* From here on the plan in the index is the list of segments: what this
   * process holds of them stays one window, whatever their number. */
  drop_segment_lists ();
  fetching_plan_ = true;
  wanted_position_ = download_table::wanted_position (cache_database (context_.cache), record_.id, nullptr);
  fetch_segments (std::make_unique<PlanSource> (context_.cache, record_, std::move (first)),
      [this] (const DownloadProgress &p) { progress_ (p); },
      [this] (const GError *e) { done_ (e); });
}

}  // namespace gst_offline
