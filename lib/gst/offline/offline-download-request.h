/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>
#include <gst/gst.h>
#include <gst/offline/offline-types.h>

G_BEGIN_DECLS

#define GST_OFFLINE_TYPE_DOWNLOAD_REQUEST (gst_offline_download_request_get_type ())
GST_OFFLINE_API
G_DECLARE_FINAL_TYPE (GstOfflineDownloadRequest, gst_offline_download_request, GST_OFFLINE, DOWNLOAD_REQUEST, GObject)

/**
 * GstOfflineDownloadRequest:
 *
 * What to download: the URI, the id it is stored under, its type, the chosen
 * tracks (stream keys), HTTP headers to send, custom data for the application
 * and a reference to its license. Build it, then hand it to
 * gst_offline_download_manager_add_download(), which keeps a copy.
 */

GST_OFFLINE_API
GstOfflineDownloadRequest *gst_offline_download_request_new (const gchar *id, const gchar *uri);

GST_OFFLINE_API
const gchar *gst_offline_download_request_get_id (GstOfflineDownloadRequest *self);
GST_OFFLINE_API
void gst_offline_download_request_set_id (GstOfflineDownloadRequest *self, const gchar *id);

GST_OFFLINE_API
const gchar *gst_offline_download_request_get_uri (GstOfflineDownloadRequest *self);

GST_OFFLINE_API
GstOfflineDownloadType gst_offline_download_request_get_download_type (GstOfflineDownloadRequest *self);
GST_OFFLINE_API
void gst_offline_download_request_set_download_type (GstOfflineDownloadRequest *self, GstOfflineDownloadType type);

GST_OFFLINE_API
const gchar *const *gst_offline_download_request_get_stream_keys (GstOfflineDownloadRequest *self);
GST_OFFLINE_API
void gst_offline_download_request_set_stream_keys (GstOfflineDownloadRequest *self, const gchar *const *keys);

GST_OFFLINE_API
const gchar *const *gst_offline_download_request_get_headers (GstOfflineDownloadRequest *self);
GST_OFFLINE_API
gboolean gst_offline_download_request_add_header (GstOfflineDownloadRequest *self, const gchar *header, GError **error);

GST_OFFLINE_API
GBytes *gst_offline_download_request_dup_custom_data (GstOfflineDownloadRequest *self);
GST_OFFLINE_API
void gst_offline_download_request_set_custom_data (GstOfflineDownloadRequest *self, GBytes *data);

GST_OFFLINE_API
GBytes *gst_offline_download_request_dup_key_set_id (GstOfflineDownloadRequest *self);
GST_OFFLINE_API
void gst_offline_download_request_set_key_set_id (GstOfflineDownloadRequest *self, GBytes *key_set_id);

GST_OFFLINE_API
const gchar *gst_offline_download_request_get_license_url (GstOfflineDownloadRequest *self);
GST_OFFLINE_API
void gst_offline_download_request_set_license_url (GstOfflineDownloadRequest *self, const gchar *license_url);

GST_OFFLINE_API
gboolean gst_offline_download_request_set_time_range (GstOfflineDownloadRequest *self, GstClockTime start,
    GstClockTime end, GError **error);

GST_OFFLINE_API
GstClockTime gst_offline_download_request_get_range_start (GstOfflineDownloadRequest *self);

GST_OFFLINE_API
GstClockTime gst_offline_download_request_get_range_end (GstOfflineDownloadRequest *self);

GST_OFFLINE_API
gchar *gst_offline_download_request_derive_id (const gchar *uri);

G_END_DECLS
