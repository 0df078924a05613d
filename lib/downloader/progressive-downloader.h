/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "downloader/downloader.h"

namespace gst_offline {

/* A single media file, stored under its URI as cache key. Content that is
 * not media (an HTML error page, a manifest) is refused after its first
 * bytes. */
class ProgressiveDownloader : public Downloader {
 public:
  ProgressiveDownloader (const DownloadRecord &record, const DownloaderContext &context);
  void start (GCancellable *cancellable, ProgressFn progress, DoneFn done) override;

 private:
  DownloadRecord record_;
  DownloaderContext context_;
  std::shared_ptr<ResourceFetch> fetch_;
};

/* The cache key of a progressive download's file. */
inline const std::string &progressive_cache_key (const DownloadRecord &record) { return record.uri; }

}  // namespace gst_offline
