/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <gst/offline/offline-download-request.h>
#include <gst/offline/offline-drm-store.h>
#include <gst/offline/offline-error.h>

G_BEGIN_DECLS

#define GST_OFFLINE_TYPE_LICENSE_MANAGER (gst_offline_license_manager_get_type ())
GST_OFFLINE_API
G_DECLARE_FINAL_TYPE (GstOfflineLicenseManager, gst_offline_license_manager, GST_OFFLINE, LICENSE_MANAGER, GObject)

/**
 * GstOfflineLicenseManager:
 *
 * The persistent ClearKey licenses of the downloads of a data directory, as
 * Kaltura's LocalAssetsManager and ExoPlayer's OfflineLicenseHelper handle
 * them: their status (how long until they expire, how much playback they
 * still allow), renewal, release, registering a license for a download made
 * earlier and acquiring one without the media. One license per download,
 * kept in the manager's #GstOfflineDrmStore.
 */

GST_OFFLINE_API
GstOfflineLicenseManager *gst_offline_license_manager_new (const gchar *data_dir, GstOfflineDrmStore *store,
    GError **error);

GST_OFFLINE_API
const gchar *gst_offline_license_manager_get_data_dir (GstOfflineLicenseManager *self);

GST_OFFLINE_API
GstOfflineDrmStore *gst_offline_license_manager_get_drm_store (GstOfflineLicenseManager *self);

GST_OFFLINE_API
gboolean gst_offline_license_manager_has_license (GstOfflineLicenseManager *self, const gchar *id, GError **error);

GST_OFFLINE_API
gboolean gst_offline_license_manager_get_status (GstOfflineLicenseManager *self, const gchar *id,
    gint64 *expires_in, gint64 *playable_for, GError **error);

GST_OFFLINE_API
gboolean gst_offline_license_manager_get_info (GstOfflineLicenseManager *self, const gchar *id, gint64 *expires_in,
    gint64 *playable_for, GDateTime **expires_at, gchar **license_url, GError **error);

GST_OFFLINE_API
gboolean gst_offline_license_manager_acquire (GstOfflineLicenseManager *self, GstOfflineDownloadRequest *request,
    GCancellable *cancellable, GError **error);

GST_OFFLINE_API
void gst_offline_license_manager_acquire_async (GstOfflineLicenseManager *self, GstOfflineDownloadRequest *request,
    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);

GST_OFFLINE_API
gboolean gst_offline_license_manager_acquire_finish (GstOfflineLicenseManager *self, GAsyncResult *result,
    GError **error);

GST_OFFLINE_API
gboolean gst_offline_license_manager_register_asset (GstOfflineLicenseManager *self, const gchar *id,
    const gchar *license_url, GCancellable *cancellable, GError **error);

GST_OFFLINE_API
void gst_offline_license_manager_register_asset_async (GstOfflineLicenseManager *self, const gchar *id,
    const gchar *license_url, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);

GST_OFFLINE_API
gboolean gst_offline_license_manager_register_asset_finish (GstOfflineLicenseManager *self, GAsyncResult *result,
    GError **error);

GST_OFFLINE_API
gboolean gst_offline_license_manager_unregister_asset (GstOfflineLicenseManager *self, const gchar *id,
    GError **error);

GST_OFFLINE_API
gboolean gst_offline_license_manager_renew (GstOfflineLicenseManager *self, const gchar *id,
    GCancellable *cancellable, GError **error);

GST_OFFLINE_API
void gst_offline_license_manager_renew_async (GstOfflineLicenseManager *self, const gchar *id,
    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);

GST_OFFLINE_API
gboolean gst_offline_license_manager_renew_finish (GstOfflineLicenseManager *self, GAsyncResult *result,
    GError **error);

GST_OFFLINE_API
gboolean gst_offline_license_manager_release (GstOfflineLicenseManager *self, const gchar *id, GError **error);

GST_OFFLINE_API
void gst_offline_license_manager_release_async (GstOfflineLicenseManager *self, const gchar *id,
    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);

GST_OFFLINE_API
gboolean gst_offline_license_manager_release_finish (GstOfflineLicenseManager *self, GAsyncResult *result,
    GError **error);

G_END_DECLS
