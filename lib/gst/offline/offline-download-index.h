/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/offline/offline-download.h>
#include <gst/offline/offline-track.h>

G_BEGIN_DECLS

#define GST_OFFLINE_TYPE_DOWNLOAD_INDEX (gst_offline_download_index_get_type ())
GST_OFFLINE_API
G_DECLARE_FINAL_TYPE (GstOfflineDownloadIndex, gst_offline_download_index, GST_OFFLINE, DOWNLOAD_INDEX, GObject)

/**
 * GstOfflineDownloadIndex:
 *
 * The persisted state of every download in a data directory (SQLite, WAL mode,
 * shared safely by several processes). Reads always see what other processes
 * committed. Changes go through #GstOfflineDownloadManager, except the stop
 * reason, which any process may set.
 */

GST_OFFLINE_API
GstOfflineDownloadIndex *gst_offline_download_index_new (const gchar *data_dir, GError **error);

GST_OFFLINE_API
GstOfflineDownload *gst_offline_download_index_get_download (GstOfflineDownloadIndex *self, const gchar *id, GError **error);

GST_OFFLINE_API
GPtrArray *gst_offline_download_index_get_downloads (GstOfflineDownloadIndex *self, GError **error);

typedef gboolean (*GstOfflineDownloadFunc) (GstOfflineDownload *download, gpointer user_data);

GST_OFFLINE_API
gboolean gst_offline_download_index_foreach_download (GstOfflineDownloadIndex *self, GstOfflineDownloadFunc func,
    gpointer user_data, GError **error);

GST_OFFLINE_API
gboolean gst_offline_download_index_set_stop_reason (GstOfflineDownloadIndex *self, const gchar *id, guint stop_reason, GError **error);

GST_OFFLINE_API
GPtrArray *gst_offline_download_index_get_tracks (GstOfflineDownloadIndex *self, const gchar *id, GError **error);

GST_OFFLINE_API
GPtrArray *gst_offline_download_index_get_segments (GstOfflineDownloadIndex *self, const gchar *id, guint track,
    guint64 first, guint limit, GError **error);

GST_OFFLINE_API
GstOfflineSegment *gst_offline_download_index_find_segment (GstOfflineDownloadIndex *self, const gchar *id,
    guint track, GstClockTime time, GError **error);

GST_OFFLINE_API
GstClockTime gst_offline_download_index_get_duration (GstOfflineDownloadIndex *self, const gchar *id);

GST_OFFLINE_API
GPtrArray *gst_offline_download_index_verify (GstOfflineDownloadIndex *self, const gchar *id, GError **error);

G_END_DECLS
