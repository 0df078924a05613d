/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "downloader/adaptive-downloader.h"

#include "cache/cache-private.h"


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

void AdaptiveDownloader::fetch_document (const std::string &url, ResourceFetch::ValidateFn validate, gsize max_bytes,
    DocumentFn then)
{
  /* The fetch holds itself, and so `then`, while it reports. */
  document_fetch_ = fetch_manifest (context_, record_, url, cancellable_, std::move (validate), max_bytes,
      [this, then = std::move (then)] (std::optional<std::string> bytes, const GError *error) {
        document_fetch_.reset ();
        if (!bytes) {
          fail (error);
          return;
        }
        then (std::move (*bytes));
      });
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

void AdaptiveDownloader::fetch_with (PlanSegment &segment, const SegmentSpec &spec)
{
  segment.resource = spec.fetch.cache_key;
  segment.fetch_url = spec.fetch.url;
  segment.range_offset = spec.fetch.range ? spec.fetch.range->offset : 0;
  segment.range_length = spec.fetch.range ? spec.fetch.range->length : 0;
  segment.expected_length = spec.expected_length;
}

namespace {

/* The segments of a stored plan: `first`, then the plan's, read back a
 * window at a time in start-time order. */
class PlanSource : public SegmentSource {
 public:
  PlanSource (GstOfflineCache *cache, const DownloadRecord &record, std::vector<SegmentSpec> first)
      : cache_ (GST_OFFLINE_CACHE (g_object_ref (cache))), download_id_ (record.id), headers_ (record.headers),
        first_ (std::move (first))
  {
  }
  ~PlanSource () override { g_object_unref (cache_); }

  void rewind () override
  {
    next_first_ = 0;
    position_ = {};
  }

  std::optional<std::vector<SegmentSpec>> next (size_t limit, GError **error) override
  {
    std::vector<SegmentSpec> window;
    for (; next_first_ < first_.size () && window.size () < limit; next_first_++)
      window.push_back (first_[next_first_]);
    if (window.size () == limit)
      return window;
    auto rows = playback_plan::fetches (cache_database (cache_), download_id_, &position_,
        static_cast<guint> (limit - window.size ()), error);
    if (!rows)
      return std::nullopt;
    for (PlanFetch &row : *rows) {
      std::optional<ByteRange> range;
      if (row.range_length > 0)
        range = ByteRange { row.range_offset, row.range_length };
      window.push_back (
          SegmentSpec { FetchSpec { std::move (row.url), std::move (row.resource), download_id_, headers_, range },
              row.expected_length });
    }
    return window;
  }

 private:
  GstOfflineCache *cache_;
  std::string download_id_;
  std::vector<std::string> headers_;
  std::vector<SegmentSpec> first_;
  size_t next_first_ = 0;
  PlanFetchPosition position_;
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
  /* From here on the plan in the index is the list of segments: what this
   * process holds of them stays one window, whatever their number. */
  drop_segment_lists ();
  fetch_segments (std::make_unique<PlanSource> (context_.cache, record_, std::move (first)),
      [this] (const DownloadProgress &p) { progress_ (p); },
      [this] (const GError *e) { done_ (e); });
}

}  // namespace gst_offline
