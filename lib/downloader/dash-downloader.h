/* A DASH download: the MPD (kept in the cache), the chosen Representations'
 * sidx boxes where SegmentBase needs them, then the playback plan and every
 * init and media segment, several at a time in start-time order.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "downloader/downloader.h"
#include "downloader/segment-fetcher.h"
#include "drm/license-manager.h"
#include "util/handles.h"
#include "manifest/dash/mpd-model.h"
#include "manifest/dash/segment-index.h"

namespace gst_offline {

class DashDownloader : public Downloader {
 public:
  DashDownloader (const DownloadRecord &record, const DownloaderContext &context);
  void start (GCancellable *cancellable, ProgressFn progress, DoneFn done) override;

 private:
  /* A chosen Representation and its segments. */
  struct Chosen {
    guint period;
    guint set;
    guint representation;
    dash::SegmentIndex index;
  };

  void on_manifest (std::optional<std::string> bytes, const GError *error);
  void acquire_license (LicenseRequest request);
  void fetch_indexes ();
  bool choose (GError **error);
  void on_indexes (const GError *error);
  bool store_plan (std::vector<SegmentSpec> *segments, GError **error);
  void fail (const GError *error);
  SegmentSpec spec_for (const std::string &url, const std::optional<dash::ByteRange> &range) const;

  DownloadRecord record_;
  DownloaderContext context_;
  GCancellable *cancellable_ = nullptr;
  ProgressFn progress_;
  DoneFn done_;
  std::shared_ptr<ResourceFetch> manifest_fetch_;
  std::shared_ptr<SegmentFetcher> fetcher_;
  std::optional<dash::Mpd> mpd_;
  std::vector<Chosen> chosen_;
  GObjectPtr<GstOfflineDrmStore> drm_store_;
};

}  // namespace gst_offline
