/* A Smooth Streaming download: the manifest (kept in the cache), then the
 * playback plan and the chosen QualityLevels' fragments, several at a time
 * in start-time order. Fragments carry no initialization segment: the plan's
 * tracks say "mss-fmp4" and carry the FourCC as codecs.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "downloader/downloader.h"
#include "downloader/segment-fetcher.h"
#include "manifest/mss/manifest-parser.h"

namespace gst_offline {

class MssDownloader : public Downloader {
 public:
  MssDownloader (const DownloadRecord &record, const DownloaderContext &context);
  void start (GCancellable *cancellable, ProgressFn progress, DoneFn done) override;

 private:
  struct Chosen {
    guint stream;
    guint level;
    std::vector<mss::FragmentRef> fragments;
  };

  void on_manifest (std::optional<std::string> bytes, const GError *error);
  bool choose (GError **error);
  bool store_plan (std::vector<SegmentSpec> *segments, GError **error);

  DownloadRecord record_;
  DownloaderContext context_;
  GCancellable *cancellable_ = nullptr;
  ProgressFn progress_;
  DoneFn done_;
  std::shared_ptr<ResourceFetch> manifest_fetch_;
  std::shared_ptr<SegmentFetcher> fetcher_;
  std::optional<mss::Manifest> manifest_;
  std::vector<Chosen> chosen_;
};

}  // namespace gst_offline
