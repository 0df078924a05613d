/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>
#include <gst/offline/offline-prelude.h>

G_BEGIN_DECLS

/**
 * GstOfflineExportFormat:
 * @GST_OFFLINE_EXPORT_FORMAT_AUTO: by the extension of the file's name
 *   (gst_offline_export_format_from_path()).
 * @GST_OFFLINE_EXPORT_FORMAT_MP4: MP4 (mp4mux): `.mp4`, `.m4a`, `.m4v`. Text
 *   tracks become 3GPP timed text (`tx3g`).
 * @GST_OFFLINE_EXPORT_FORMAT_MATROSKA: Matroska (matroskamux): `.mkv`,
 *   `.mka`. Text tracks become UTF-8 subtitles (`S_TEXT/UTF8`).
 * @GST_OFFLINE_EXPORT_FORMAT_WEBM: WebM (webmmux): `.webm`; only for content
 *   whose codecs WebM carries (VP8, VP9, AV1, Opus, Vorbis).
 *
 * The container a #GstOfflineExport writes.
 */
typedef enum {
  GST_OFFLINE_EXPORT_FORMAT_AUTO = 0,
  GST_OFFLINE_EXPORT_FORMAT_MP4,
  GST_OFFLINE_EXPORT_FORMAT_MATROSKA,
  GST_OFFLINE_EXPORT_FORMAT_WEBM,
} GstOfflineExportFormat;

GST_OFFLINE_API
GstOfflineExportFormat gst_offline_export_format_from_path (const gchar *path);

GST_OFFLINE_API
GstOfflineExportFormat gst_offline_export_format_from_string (const gchar *name);

GST_OFFLINE_API
const gchar *gst_offline_export_format_to_string (GstOfflineExportFormat format);

#define GST_OFFLINE_TYPE_EXPORT (gst_offline_export_get_type ())
GST_OFFLINE_API
G_DECLARE_FINAL_TYPE (GstOfflineExport, gst_offline_export, GST_OFFLINE, EXPORT, GObject)

GST_OFFLINE_API
GstOfflineExport *gst_offline_export_new (const gchar *data_dir, const gchar *download_id, const gchar *path);

GST_OFFLINE_API
void gst_offline_export_set_format (GstOfflineExport *self, GstOfflineExportFormat format);

GST_OFFLINE_API
GstOfflineExportFormat gst_offline_export_get_format (GstOfflineExport *self);

GST_OFFLINE_API
void gst_offline_export_set_overwrite (GstOfflineExport *self, gboolean overwrite);

GST_OFFLINE_API
gboolean gst_offline_export_get_overwrite (GstOfflineExport *self);

GST_OFFLINE_API
const gchar *gst_offline_export_get_download_id (GstOfflineExport *self);

GST_OFFLINE_API
const gchar *gst_offline_export_get_path (GstOfflineExport *self);

GST_OFFLINE_API
void gst_offline_export_run_async (GstOfflineExport *self, GCancellable *cancellable, GAsyncReadyCallback callback,
    gpointer user_data);

GST_OFFLINE_API
gboolean gst_offline_export_run_finish (GstOfflineExport *self, GAsyncResult *result, GError **error);

GST_OFFLINE_API
guint64 gst_offline_export_get_size (GstOfflineExport *self);

GST_OFFLINE_API
GstClockTime gst_offline_export_get_duration (GstOfflineExport *self);

GST_OFFLINE_API
GstStreamCollection *gst_offline_export_get_streams (GstOfflineExport *self);

G_END_DECLS
