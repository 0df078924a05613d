/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "index/download-private.h"

/**
 * SECTION:offline-download
 * @title: GstOfflineDownload
 * @short_description: an immutable snapshot of a download
 *
 * What the index held for one download at one instant: its request, state,
 * stop reason, failure and progress. Signals of #GstOfflineDownloadManager
 * carry snapshots; they never change after they are made.
 */

struct _GstOfflineDownload {
  GObject parent;
  gst_offline::DownloadRecord record;
  GstOfflineDownloadRequest *request;
};

G_DEFINE_FINAL_TYPE (GstOfflineDownload, gst_offline_download, G_TYPE_OBJECT)

static void gst_offline_download_init (GstOfflineDownload *self)
{
  new (&self->record) gst_offline::DownloadRecord ();
}

static void gst_offline_download_finalize (GObject *object)
{
  auto self = GST_OFFLINE_DOWNLOAD (object);
  self->record.~DownloadRecord ();
  g_clear_object (&self->request);
  G_OBJECT_CLASS (gst_offline_download_parent_class)->finalize (object);
}

static void gst_offline_download_class_init (GstOfflineDownloadClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gst_offline_download_finalize;
}

namespace gst_offline {

GstOfflineDownload *download_new (const DownloadRecord &record)
{
  auto self = GST_OFFLINE_DOWNLOAD (g_object_new (GST_OFFLINE_TYPE_DOWNLOAD, nullptr));
  self->record = record;
  self->request = download_request_new (record);
  return self;
}

const DownloadRecord &download_record (GstOfflineDownload *download)
{
  return download->record;
}

}  // namespace gst_offline

#define SNAPSHOT_GETTER(type, name, fallback, expr)                             \
  type gst_offline_download_get_##name (GstOfflineDownload *self)             \
  {                                                                            \
    g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD (self), fallback);           \
    return expr;                                                               \
  }

/**
 * gst_offline_download_get_request:
 * @self: a #GstOfflineDownload
 *
 * Returns: (transfer none): the request of the download.
 */
SNAPSHOT_GETTER (GstOfflineDownloadRequest *, request, nullptr, self->request)

/**
 * gst_offline_download_get_id:
 * @self: a #GstOfflineDownload
 *
 * Returns: the download id.
 */
SNAPSHOT_GETTER (const gchar *, id, nullptr, self->record.id.c_str ())

/**
 * gst_offline_download_get_uri:
 * @self: a #GstOfflineDownload
 *
 * Returns: the URI it was downloaded from.
 */
SNAPSHOT_GETTER (const gchar *, uri, nullptr, self->record.uri.c_str ())

/**
 * gst_offline_download_get_download_type:
 * @self: a #GstOfflineDownload
 *
 * Returns: the type of its content.
 */
SNAPSHOT_GETTER (GstOfflineDownloadType, download_type, GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE, self->record.type)

/**
 * gst_offline_download_get_state:
 * @self: a #GstOfflineDownload
 *
 * Returns: its state.
 */
SNAPSHOT_GETTER (GstOfflineDownloadState, state, GST_OFFLINE_DOWNLOAD_STATE_FAILED, self->record.state)

/**
 * gst_offline_download_get_start_time:
 * @self: a #GstOfflineDownload
 *
 * Returns: when it was first added, in milliseconds since the epoch.
 */
SNAPSHOT_GETTER (gint64, start_time, 0, self->record.start_time_ms)

/**
 * gst_offline_download_get_update_time:
 * @self: a #GstOfflineDownload
 *
 * Returns: when its row last changed, in milliseconds since the epoch.
 */
SNAPSHOT_GETTER (gint64, update_time, 0, self->record.update_time_ms)

/**
 * gst_offline_download_get_content_length:
 * @self: a #GstOfflineDownload
 *
 * Returns: its total size in bytes, or -1 while unknown (see
 *   gst_offline_download_get_estimated_length()).
 */
SNAPSHOT_GETTER (gint64, content_length, -1, self->record.content_length)

/**
 * gst_offline_download_get_estimated_length:
 * @self: a #GstOfflineDownload
 *
 * The total size as far as it can be told while some sizes are unknown (an
 * adaptive download learns each segment's size as it fetches it; until
 * then the manifest's bitrates give an estimate). Percentages are of this
 * total until gst_offline_download_get_content_length() is known, when the
 * two are equal.
 *
 * Returns: the estimated total size in bytes, or -1 without an estimate.
 */
SNAPSHOT_GETTER (gint64, estimated_length, -1, self->record.estimated_length)

/**
 * gst_offline_download_get_stop_reason:
 * @self: a #GstOfflineDownload
 *
 * Returns: its stop reason, %GST_OFFLINE_STOP_REASON_NONE if it is not stopped.
 */
SNAPSHOT_GETTER (guint, stop_reason, 0, self->record.stop_reason)

/**
 * gst_offline_download_get_failure_message:
 * @self: a #GstOfflineDownload
 *
 * Returns: (nullable): why it failed, or %NULL if it did not.
 */
SNAPSHOT_GETTER (const gchar *, failure_message, nullptr,
    self->record.failure_code ? self->record.failure_message.c_str () : nullptr)

/**
 * gst_offline_download_get_failure_code:
 * @self: a #GstOfflineDownload
 *
 * Returns: the #GstOfflineError code of its failure, or
 *   %GST_OFFLINE_ERROR_NONE if it has not failed (then
 *   gst_offline_download_get_failure_message() is %NULL).
 */
SNAPSHOT_GETTER (GstOfflineError, failure_code, GST_OFFLINE_ERROR_NONE,
    self->record.failure_code.value_or (GST_OFFLINE_ERROR_NONE))

/**
 * gst_offline_download_get_bytes_downloaded:
 * @self: a #GstOfflineDownload
 *
 * Returns: how many of its bytes are in the cache.
 */
SNAPSHOT_GETTER (guint64, bytes_downloaded, 0, self->record.bytes_downloaded)

/**
 * gst_offline_download_get_percent_downloaded:
 * @self: a #GstOfflineDownload
 *
 * Returns: the percentage downloaded, or -1 while the total is unknown.
 */
SNAPSHOT_GETTER (gdouble, percent_downloaded, -1, self->record.percent)

/**
 * gst_offline_download_get_speed:
 * @self: a #GstOfflineDownload
 *
 * Returns: the recent download rate in bytes per second; 0 unless the
 *   download runs in this process.
 */
SNAPSHOT_GETTER (gdouble, speed, 0, self->record.speed)

/**
 * gst_offline_download_get_eta:
 * @self: a #GstOfflineDownload
 *
 * Returns: the estimated seconds until it completes, or -1 while unknown.
 */
SNAPSHOT_GETTER (gint64, eta, -1, self->record.eta_seconds)

/**
 * gst_offline_download_is_recording:
 * @self: a #GstOfflineDownload
 *
 * Returns: %TRUE if it records a live stream (known once its playlist was
 *   read), running or done: a recording completes at its live duration, at
 *   the end of the stream or when it is stopped.
 */
gboolean gst_offline_download_is_recording (GstOfflineDownload *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD (self), FALSE);
  return self->record.recording;
}

/**
 * gst_offline_download_get_recorded_duration:
 * @self: a #GstOfflineDownload
 *
 * Returns: a recording: the nanoseconds of media it holds (0 otherwise).
 */
SNAPSHOT_GETTER (GstClockTime, recorded_duration, 0, self->record.recorded_ns)

/**
 * gst_offline_download_get_missing_duration:
 * @self: a #GstOfflineDownload
 *
 * Returns: a recording: the nanoseconds of media it lost — segments that
 *   left the live window before they could be fetched, time while no
 *   process recorded it — which play as gaps (0 otherwise).
 */
SNAPSHOT_GETTER (GstClockTime, missing_duration, 0, self->record.missing_ns)

/**
 * gst_offline_download_get_live_lag:
 * @self: a #GstOfflineDownload
 *
 * Returns: a running recording: how many nanoseconds of media the live edge
 *   is ahead of the last segment recorded, -1 when unknown or not running.
 */
SNAPSHOT_GETTER (gint64, live_lag, -1, self->record.live_lag_ns)

/**
 * gst_offline_download_is_terminal:
 * @self: a #GstOfflineDownload
 *
 * Returns: %TRUE if it is completed or failed: nothing happens to it until it is added again.
 */
gboolean gst_offline_download_is_terminal (GstOfflineDownload *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD (self), FALSE);
  return self->record.is_terminal ();
}
