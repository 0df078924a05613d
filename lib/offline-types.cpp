/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/offline/offline-types.h>

#include "manifest/download-type.h"

const gchar *gst_offline_download_state_to_string (GstOfflineDownloadState state)
{
  switch (state) {
    case GST_OFFLINE_DOWNLOAD_STATE_QUEUED: return "queued";
    case GST_OFFLINE_DOWNLOAD_STATE_STOPPED: return "stopped";
    case GST_OFFLINE_DOWNLOAD_STATE_DOWNLOADING: return "downloading";
    case GST_OFFLINE_DOWNLOAD_STATE_COMPLETED: return "completed";
    case GST_OFFLINE_DOWNLOAD_STATE_FAILED: return "failed";
    case GST_OFFLINE_DOWNLOAD_STATE_REMOVING: return "removing";
    case GST_OFFLINE_DOWNLOAD_STATE_RESTARTING: return "restarting";
  }
  return "unknown";
}

const gchar *gst_offline_download_type_to_string (GstOfflineDownloadType type)
{
  switch (type) {
    case GST_OFFLINE_DOWNLOAD_TYPE_AUTO: return "auto";
    case GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE: return "progressive";
    case GST_OFFLINE_DOWNLOAD_TYPE_DASH: return "dash";
    case GST_OFFLINE_DOWNLOAD_TYPE_HLS: return "hls";
    case GST_OFFLINE_DOWNLOAD_TYPE_MSS: return "mss";
  }
  return "unknown";
}

GstOfflineDownloadType gst_offline_download_type_from_uri (const gchar *uri)
{
  g_return_val_if_fail (uri != nullptr, GST_OFFLINE_DOWNLOAD_TYPE_AUTO);
  return gst_offline::download_type_from_suffix (uri).value_or (GST_OFFLINE_DOWNLOAD_TYPE_AUTO);
}

gchar *gst_offline_get_default_data_dir (void)
{
  const gchar *env = g_getenv ("GST_OFFLINE_DIR");
  if (env && *env)
    return g_strdup (env);
  return g_build_filename (g_get_user_data_dir (), "gst-offline", NULL);
}
