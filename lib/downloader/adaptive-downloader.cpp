/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "downloader/adaptive-downloader.h"

#include "cache/cache-private.h"

#include <algorithm>

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

void AdaptiveDownloader::fetch_segments (std::vector<SegmentSpec> segments, SegmentFetcher::ProgressFn progress,
    DoneFn then)
{
  /* The fetcher holds itself, and so `then`, while it reports. */
  fetcher_ = SegmentFetcher::create (context_, std::move (segments), context_.segment_parallelism, cancellable_);
  fetcher_->start (std::move (progress), [this, then = std::move (then)] (const GError *error) {
    fetcher_.reset ();
    then (error);
  });
}

void AdaptiveDownloader::fetch_plan ()
{
  g_autoptr (GError) error = nullptr;
  Plan plan;
  if (!draw_plan (&plan, &error)
      || !playback_plan::store (cache_database (context_.cache), record_.id, plan.tracks, plan.segments, &error)) {
    fail (error);
    return;
  }
  std::vector<SegmentSpec> segments = std::move (plan.first);
  std::stable_sort (plan.by_start.begin (), plan.by_start.end (),
      [] (const auto &a, const auto &b) { return a.first < b.first; });
  for (auto &entry : plan.by_start)
    segments.push_back (std::move (entry.second));
  fetch_segments (
      std::move (segments),
      [this] (const DownloadProgress &p) { progress_ (p); },
      [this] (const GError *e) { done_ (e); });
}

}  // namespace gst_offline
