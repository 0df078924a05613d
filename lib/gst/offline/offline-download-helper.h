/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <gst/offline/offline-download-request.h>
#include <gst/offline/offline-track.h>

G_BEGIN_DECLS

#define GST_OFFLINE_TYPE_DOWNLOAD_HELPER (gst_offline_download_helper_get_type ())
GST_OFFLINE_API
G_DECLARE_FINAL_TYPE (GstOfflineDownloadHelper, gst_offline_download_helper, GST_OFFLINE, DOWNLOAD_HELPER, GObject)

GST_OFFLINE_API
GstOfflineDownloadHelper *gst_offline_download_helper_new (const gchar *uri);

GST_OFFLINE_API
gboolean gst_offline_download_helper_add_header (GstOfflineDownloadHelper *self, const gchar *header, GError **error);

GST_OFFLINE_API
gboolean gst_offline_download_helper_prepare (GstOfflineDownloadHelper *self, GCancellable *cancellable, GError **error);

GST_OFFLINE_API
void gst_offline_download_helper_prepare_async (GstOfflineDownloadHelper *self, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data);

GST_OFFLINE_API
gboolean gst_offline_download_helper_prepare_finish (GstOfflineDownloadHelper *self, GAsyncResult *result,
    GError **error);

GST_OFFLINE_API
void gst_offline_download_helper_set_download_type (GstOfflineDownloadHelper *self, GstOfflineDownloadType type);

GST_OFFLINE_API
GstOfflineDownloadType gst_offline_download_helper_get_download_type (GstOfflineDownloadHelper *self);

GST_OFFLINE_API
GstClockTime gst_offline_download_helper_get_duration (GstOfflineDownloadHelper *self);

GST_OFFLINE_API
gboolean gst_offline_download_helper_is_live (GstOfflineDownloadHelper *self);

GST_OFFLINE_API
GPtrArray *gst_offline_download_helper_get_tracks (GstOfflineDownloadHelper *self);

GST_OFFLINE_API
gchar **gst_offline_download_helper_select_tracks (GstOfflineDownloadHelper *self, const gchar *video,
    const gchar *audio, const gchar *text, GError **error);

GST_OFFLINE_API
GstOfflineDownloadRequest *gst_offline_download_helper_get_download_request (GstOfflineDownloadHelper *self,
    const gchar *id, const gchar *const *stream_keys);

GST_OFFLINE_API
gboolean gst_offline_download_helper_measure (GstOfflineDownloadHelper *self, GCancellable *cancellable, GError **error);

GST_OFFLINE_API
void gst_offline_download_helper_measure_async (GstOfflineDownloadHelper *self, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data);

GST_OFFLINE_API
gboolean gst_offline_download_helper_measure_finish (GstOfflineDownloadHelper *self, GAsyncResult *result,
    GError **error);

GST_OFFLINE_API
gboolean gst_offline_download_helper_set_time_range (GstOfflineDownloadHelper *self, GstClockTime start,
    GstClockTime end, GError **error);

GST_OFFLINE_API
gint64 gst_offline_download_helper_get_size (GstOfflineDownloadHelper *self, const gchar *const *stream_keys,
    gboolean *exact);

G_END_DECLS
