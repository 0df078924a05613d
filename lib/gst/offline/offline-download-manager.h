/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <gst/offline/offline-download.h>
#include <gst/offline/offline-license-manager.h>

G_BEGIN_DECLS

#define GST_OFFLINE_TYPE_DOWNLOAD_MANAGER (gst_offline_download_manager_get_type ())
GST_OFFLINE_API
G_DECLARE_FINAL_TYPE (GstOfflineDownloadManager, gst_offline_download_manager, GST_OFFLINE, DOWNLOAD_MANAGER, GObject)

GST_OFFLINE_API
GstOfflineDownloadManager *gst_offline_download_manager_new (const gchar *data_dir, GError **error);

GST_OFFLINE_API
void gst_offline_download_manager_new_async (const gchar *data_dir, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data);

GST_OFFLINE_API
GstOfflineDownloadManager *gst_offline_download_manager_new_finish (GAsyncResult *result, GError **error);

GST_OFFLINE_API
GstOfflineDownloadManager *gst_offline_download_manager_new_with_licenses (const gchar *data_dir,
    GstOfflineLicenseManager *licenses, GError **error);

GST_OFFLINE_API
const gchar *gst_offline_download_manager_get_data_dir (GstOfflineDownloadManager *self);

GST_OFFLINE_API
GstOfflineDownload *gst_offline_download_manager_add_download (GstOfflineDownloadManager *self, GstOfflineDownloadRequest *request, GError **error);

GST_OFFLINE_API
void gst_offline_download_manager_add_download_async (GstOfflineDownloadManager *self,
    GstOfflineDownloadRequest *request, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);

GST_OFFLINE_API
GstOfflineDownload *gst_offline_download_manager_add_download_finish (GstOfflineDownloadManager *self,
    GAsyncResult *result, GError **error);

GST_OFFLINE_API
gboolean gst_offline_download_manager_remove_download (GstOfflineDownloadManager *self, const gchar *id, GError **error);

GST_OFFLINE_API
void gst_offline_download_manager_remove_download_async (GstOfflineDownloadManager *self, const gchar *id,
    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);

GST_OFFLINE_API
gboolean gst_offline_download_manager_remove_download_finish (GstOfflineDownloadManager *self, GAsyncResult *result,
    GError **error);

GST_OFFLINE_API
GstOfflineDownload *gst_offline_download_manager_get_download (GstOfflineDownloadManager *self, const gchar *id, GError **error);

GST_OFFLINE_API
GPtrArray *gst_offline_download_manager_get_downloads (GstOfflineDownloadManager *self, GError **error);

GST_OFFLINE_API
gboolean gst_offline_download_manager_set_stop_reason (GstOfflineDownloadManager *self, const gchar *id, guint stop_reason, GError **error);

GST_OFFLINE_API
GstOfflineRequirements gst_offline_download_manager_get_not_met_requirements (GstOfflineDownloadManager *self);

GST_OFFLINE_API
void gst_offline_download_manager_pause_downloads (GstOfflineDownloadManager *self);

GST_OFFLINE_API
void gst_offline_download_manager_resume_downloads (GstOfflineDownloadManager *self);

GST_OFFLINE_API
gboolean gst_offline_download_manager_is_idle (GstOfflineDownloadManager *self);

G_END_DECLS
