/* A Downloader brings everything one download needs into the cache. There is
 * one per format; adding a format means adding a Downloader, nothing else.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "http/http-request.h"
#include "http/resource-fetch.h"
#include "index/download-record.h"
#include "manifest/download-type.h"

#include <gst/offline/offline-cache.h>
#include <gst/offline/offline-license-manager.h>
#include <libsoup/soup.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace gst_offline {


/* What every downloader of one manager shares. */
struct DownloaderContext {
  SoupSession *session;
  GstOfflineCache *cache;
  RetryPolicy retry;
  ResourceFetch::SpaceFn check_space;
  guint segment_parallelism; /* segments (or merged ranges) fetched at once */
  /* Keeps the keys downloads acquire, in its DRM store. */
  GstOfflineLicenseManager *licenses;
  /* The clock a live recording whose window depends on the time (a DASH
   * $Number$ template with @duration) reads when its manifest names no
   * time source of its own (UTCTiming): microseconds since the Unix
   * epoch. A seam for tests; empty: the system's real time. */
  std::function<gint64 ()> now_us = {};
};

/* How far a download has come. */
struct DownloadProgress {
  guint64 bytes = 0;            /* held */
  gint64 content_length = -1;   /* the exact total, -1 until every length is known */
  gint64 estimated_length = -1; /* the total as far as it is known or estimated, -1 without an estimate */
  double percent = -1;          /* done, of the exact total, else of the estimate; -1 while unknown */
  /* A live recording (DownloadRecord has the same fields). */
  bool recording = false;
  guint64 recorded_ns = 0;
  guint64 missing_ns = 0;
  gint64 live_lag_ns = -1;
};

class Downloader {
 public:
  using ProgressFn = std::function<void (const DownloadProgress &progress)>;
  /* Called once, on the context: no error when every byte is in the cache. */
  using DoneFn = std::function<void (const GError *error)>;

  virtual ~Downloader () = default;
  /* Runs on the thread-default main context until done; cancelling
   * `cancellable` ends it with G_IO_ERROR_CANCELLED, keeping what it holds. */
  virtual void start (GCancellable *cancellable, ProgressFn progress, DoneFn done) = 0;
  /* A player asked, through the index, for the part from a position on
   * (download_table::wanted_position ()): fetch it next. Called on the
   * context, maybe when nothing changed. */
  virtual void position_requested () {}
  /* Documents of this download fetched already (the manager fitting a time
   * range read the manifest: gst_offline_download_helper_take_documents ()): before
   * start (), so that it takes them instead of asking the server again. */
  virtual void use_documents (FetchedDocuments documents) { (void) documents; }
};

/* Refuses the first bytes of a manifest when typefinding recognises them as
 * something else: media, an image, a web page, or a manifest of another
 * kind than `own_type` (its caps name). What typefinding cannot tell, such
 * as a truncated manifest, is left to the parser, whose errors are precise.
 * `what` names the expected kind in the error ("a DASH manifest"). */
bool check_manifest_kind (const std::string &prefix, const char *own_type, const char *what, const std::string &uri,
    GError **error);

/* The manifest's bytes, or the error that kept them from arriving. */
using ManifestFn = std::function<void (std::optional<std::string> bytes, const GError *error)>;

/* Fetches a manifest or playlist of `record` at `url` into the cache (the
 * first bytes checked by `validate`), then reads it back, at most
 * `max_bytes`. Keep the returned fetch until `done` is called. */
std::shared_ptr<ResourceFetch> fetch_manifest (const DownloaderContext &context, const DownloadRecord &record,
    const std::string &url, GCancellable *cancellable, ResourceFetch::ValidateFn validate, gsize max_bytes,
    ManifestFn done);

/* Stores `bytes`, the manifest or playlist of `record` at `url` fetched
 * already, into the cache as fetch_manifest () would have (checked by
 * `validate`, unless the cache holds it whole already), then reads it back
 * the same way. `done` is called from the thread-default main context. */
void store_fetched_manifest (const DownloaderContext &context, const DownloadRecord &record, const std::string &url,
    std::string bytes, GCancellable *cancellable, const ResourceFetch::ValidateFn &validate, gsize max_bytes,
    ManifestFn done);

/* A downloader for the record's type. */
std::unique_ptr<Downloader> downloader_new (const DownloadRecord &record, const DownloaderContext &context, GError **error);

}  // namespace gst_offline
