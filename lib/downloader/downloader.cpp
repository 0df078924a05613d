/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "downloader/downloader.h"

#include "cache/cache-private.h"
#include "cache/resource-writer.h"
#include "downloader/dash-downloader.h"
#include "downloader/hls-downloader.h"
#include "downloader/mss-downloader.h"
#include "downloader/progressive-downloader.h"
#include "util/main-context.h"

#include <gst/base/gsttypefindhelper.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace gst_offline {

bool check_manifest_kind (const std::string &prefix, const char *own_type, const char *what, const std::string &uri,
    GError **error)
{
  static const char *const kManifestTypes[] = { "application/dash+xml", "application/x-hls",
    "application/vnd.ms-sstr+xml" };
  g_autoptr (GstCaps) caps = gst_type_find_helper_for_data (nullptr,
      reinterpret_cast<const guint8 *> (prefix.data ()), prefix.size (), nullptr);
  if (!caps || gst_caps_is_empty (caps))
    return true;
  const char *type = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  bool something_else = g_str_has_prefix (type, "video/") || g_str_has_prefix (type, "audio/")
      || g_str_has_prefix (type, "image/") || g_str_equal (type, "text/html");
  for (const char *manifest : kManifestTypes)
    something_else = something_else || (g_str_equal (type, manifest) && !g_str_equal (type, own_type));
  if (!something_else)
    return true;
  g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED, "%s is not %s (%s)", uri.c_str (), what, type);
  return false;
}

std::shared_ptr<ResourceFetch> fetch_manifest (const DownloaderContext &context, const DownloadRecord &record,
    const std::string &url, GCancellable *cancellable, ResourceFetch::ValidateFn validate, gsize max_bytes,
    ManifestFn done)
{
  FetchSpec spec { url, url, record.id, record.headers, std::nullopt };
  auto fetch = ResourceFetch::create (context.session, context.cache, std::move (spec), context.retry,
      context.check_space, cancellable);
  GstOfflineCache *cache = context.cache;
  fetch->start ([] (size_t, guint64, gint64) {}, std::move (validate),
      [cache, url, max_bytes, done = std::move (done)] (const GError *fetch_error) {
        if (fetch_error) {
          done (std::nullopt, fetch_error);
          return;
        }
        g_autoptr (GError) error = nullptr;
        auto bytes = cache_read_resource (cache, url, max_bytes, &error);
        done (std::move (bytes), error);
      });
  return fetch;
}

void store_fetched_manifest (const DownloaderContext &context, const DownloadRecord &record, const std::string &url,
    std::string bytes, GCancellable *cancellable, const ResourceFetch::ValidateFn &validate, gsize max_bytes,
    ManifestFn done)
{
  GstOfflineCache *cache = context.cache;
  auto read_back = [cache, url, max_bytes, cancellable, done] (const GError *stored_error) {
    g_autoptr (GError) error = stored_error ? g_error_copy (stored_error) : nullptr;
    std::optional<std::string> read;
    if (!error && !g_cancellable_set_error_if_cancelled (cancellable, &error))
      read = cache_read_resource (cache, url, max_bytes, &error);
    done (std::move (read), read ? nullptr : error);
  };
  g_autoptr (GError) error = nullptr;
  auto writer = ResourceWriter::open (cache, url, record.id, &error);
  if (writer && !writer->complete ()) {
    if (validate (bytes, &error) && (!context.check_space || context.check_space (bytes.size (), &error))
        && (writer->length () == 0 || writer->restart (&error)) && writer->append (bytes.data (), bytes.size (), &error)) {
      GST_DEBUG ("%s: %zu bytes fetched already", url.c_str (), bytes.size ());
      ResourceWriter::commit (std::move (writer), read_back);
      return;
    }
    writer.reset ();
  }
  /* Whole in the cache already, or the error: told from the context, as a fetch tells. */
  std::shared_ptr<GError> failure (error ? g_error_copy (error) : nullptr, [] (GError *e) {
    if (e)
      g_error_free (e);
  });
  run_later ([read_back, failure] () { read_back (failure.get ()); });
}

std::unique_ptr<Downloader> downloader_new (const DownloadRecord &record, const DownloaderContext &context, GError **error)
{
  if (!download_type_supported (record.type, error))
    return nullptr;
  if (record.type == GST_OFFLINE_DOWNLOAD_TYPE_DASH)
    return std::make_unique<DashDownloader> (record, context);
  if (record.type == GST_OFFLINE_DOWNLOAD_TYPE_HLS)
    return std::make_unique<HlsDownloader> (record, context);
  if (record.type == GST_OFFLINE_DOWNLOAD_TYPE_MSS)
    return std::make_unique<MssDownloader> (record, context);
  return std::make_unique<ProgressiveDownloader> (record, context);
}

}  // namespace gst_offline
