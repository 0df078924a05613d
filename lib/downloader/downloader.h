/* A Downloader brings everything one download needs into the cache. There is
 * one per format; adding a format means adding a Downloader, nothing else.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "http/resource-fetch.h"
#include "index/download-record.h"

#include <gst/offline/offline-cache.h>
#include <libsoup/soup.h>

#include <functional>
#include <memory>

namespace gst_offline {

/* What every downloader of one manager shares. */
struct DownloaderContext {
  SoupSession *session;
  GstOfflineCache *cache;
  RetryPolicy retry;
  ResourceFetch::SpaceFn check_space;
};

class Downloader {
 public:
  /* Bytes held, the total (-1 while unknown) and the percentage done (-1
   * while unknown; segmented downloads count segments until every length is known). */
  using ProgressFn = std::function<void (guint64 bytes, gint64 content_length, double percent)>;
  /* Called once, on the context: no error when every byte is in the cache. */
  using DoneFn = std::function<void (const GError *error)>;

  virtual ~Downloader () = default;
  /* Runs on the thread-default main context until done; cancelling
   * `cancellable` ends it with G_IO_ERROR_CANCELLED, keeping what it holds. */
  virtual void start (GCancellable *cancellable, ProgressFn progress, DoneFn done) = 0;
};

/* The type a URI most likely is, from its path. */
GstOfflineDownloadType guess_download_type (const std::string &uri);

/* Whether this build can download `type`; UNSUPPORTED otherwise. */
bool downloader_supports (GstOfflineDownloadType type, GError **error);

/* A downloader for the record's type. */
std::unique_ptr<Downloader> downloader_new (const DownloadRecord &record, const DownloaderContext &context, GError **error);

}  // namespace gst_offline
