/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "downloader/downloader.h"

#include "downloader/dash-downloader.h"
#include "downloader/hls-downloader.h"
#include "downloader/mss-downloader.h"
#include "downloader/progressive-downloader.h"

#include <algorithm>

namespace gst_offline {

GstOfflineDownloadType guess_download_type (const std::string &uri)
{
  g_autoptr (GUri) parsed = g_uri_parse (uri.c_str (), G_URI_FLAGS_NONE, nullptr);
  std::string path = parsed ? g_uri_get_path (parsed) : uri;
  std::transform (path.begin (), path.end (), path.begin (), [] (unsigned char c) { return g_ascii_tolower (c); });
  auto ends_with = [&] (const char *suffix) {
    size_t n = strlen (suffix);
    return path.size () >= n && path.compare (path.size () - n, n, suffix) == 0;
  };
  if (ends_with (".mpd"))
    return GST_OFFLINE_DOWNLOAD_TYPE_DASH;
  if (ends_with (".m3u8"))
    return GST_OFFLINE_DOWNLOAD_TYPE_HLS;
  if (ends_with (".ism/manifest") || ends_with (".isml/manifest"))
    return GST_OFFLINE_DOWNLOAD_TYPE_MSS;
  return GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE;
}

bool downloader_supports (GstOfflineDownloadType type, GError **error)
{
  if (type == GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE || type == GST_OFFLINE_DOWNLOAD_TYPE_DASH
      || type == GST_OFFLINE_DOWNLOAD_TYPE_HLS || type == GST_OFFLINE_DOWNLOAD_TYPE_MSS)
    return true;
  g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
      "%s downloads are not supported by this version of gst-offline", gst_offline_download_type_to_string (type));
  return false;
}

std::unique_ptr<Downloader> downloader_new (const DownloadRecord &record, const DownloaderContext &context, GError **error)
{
  if (!downloader_supports (record.type, error))
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
