/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>
#include <gst/offline/offline-error.h>
#include <gst/offline/offline-download-request.h>

G_BEGIN_DECLS

#define GST_OFFLINE_TYPE_DOWNLOAD (gst_offline_download_get_type ())
GST_OFFLINE_API
G_DECLARE_FINAL_TYPE (GstOfflineDownload, gst_offline_download, GST_OFFLINE, DOWNLOAD, GObject)

/**
 * GstOfflineDownload:
 *
 * An immutable snapshot of one download as the index holds it: its request,
 * state, stop reason, failure and progress. Snapshots never change; ask the
 * manager or the index again for a newer one.
 */

GST_OFFLINE_API
GstOfflineDownloadRequest *gst_offline_download_get_request (GstOfflineDownload *self);
GST_OFFLINE_API
const gchar *gst_offline_download_get_id (GstOfflineDownload *self);
GST_OFFLINE_API
const gchar *gst_offline_download_get_uri (GstOfflineDownload *self);
GST_OFFLINE_API
GstOfflineDownloadType gst_offline_download_get_download_type (GstOfflineDownload *self);
GST_OFFLINE_API
GstOfflineDownloadState gst_offline_download_get_state (GstOfflineDownload *self);
GST_OFFLINE_API
gint64 gst_offline_download_get_start_time (GstOfflineDownload *self);
GST_OFFLINE_API
gint64 gst_offline_download_get_update_time (GstOfflineDownload *self);
GST_OFFLINE_API
gint64 gst_offline_download_get_content_length (GstOfflineDownload *self);
GST_OFFLINE_API
gint64 gst_offline_download_get_estimated_length (GstOfflineDownload *self);
GST_OFFLINE_API
guint gst_offline_download_get_stop_reason (GstOfflineDownload *self);
GST_OFFLINE_API
const gchar *gst_offline_download_get_failure_message (GstOfflineDownload *self);
GST_OFFLINE_API
GstOfflineError gst_offline_download_get_failure_code (GstOfflineDownload *self);
GST_OFFLINE_API
guint64 gst_offline_download_get_bytes_downloaded (GstOfflineDownload *self);
GST_OFFLINE_API
gdouble gst_offline_download_get_percent_downloaded (GstOfflineDownload *self);
GST_OFFLINE_API
gdouble gst_offline_download_get_speed (GstOfflineDownload *self);
GST_OFFLINE_API
gint64 gst_offline_download_get_eta (GstOfflineDownload *self);
GST_OFFLINE_API
gboolean gst_offline_download_is_terminal (GstOfflineDownload *self);
GST_OFFLINE_API
gboolean gst_offline_download_is_recording (GstOfflineDownload *self);
GST_OFFLINE_API
GstClockTime gst_offline_download_get_recorded_duration (GstOfflineDownload *self);
GST_OFFLINE_API
GstClockTime gst_offline_download_get_missing_duration (GstOfflineDownload *self);
GST_OFFLINE_API
gint64 gst_offline_download_get_live_lag (GstOfflineDownload *self);

G_END_DECLS
