/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/offline/offline-prelude.h>

G_BEGIN_DECLS

/**
 * GstOfflineDownloadState:
 * @GST_OFFLINE_DOWNLOAD_STATE_QUEUED: waiting to be downloaded.
 * @GST_OFFLINE_DOWNLOAD_STATE_STOPPED: not downloading because it has a stop reason.
 * @GST_OFFLINE_DOWNLOAD_STATE_DOWNLOADING: being downloaded.
 * @GST_OFFLINE_DOWNLOAD_STATE_COMPLETED: every byte is in the cache; playable offline.
 * @GST_OFFLINE_DOWNLOAD_STATE_FAILED: stopped by an error; its data is kept and it can be restarted.
 * @GST_OFFLINE_DOWNLOAD_STATE_REMOVING: its data is being removed.
 * @GST_OFFLINE_DOWNLOAD_STATE_RESTARTING: being removed, to be downloaded again.
 *
 * The persisted state of a download. The values are those of ExoPlayer's
 * Download.STATE_* constants.
 */
typedef enum {
  GST_OFFLINE_DOWNLOAD_STATE_QUEUED = 0,
  GST_OFFLINE_DOWNLOAD_STATE_STOPPED = 1,
  GST_OFFLINE_DOWNLOAD_STATE_DOWNLOADING = 2,
  GST_OFFLINE_DOWNLOAD_STATE_COMPLETED = 3,
  GST_OFFLINE_DOWNLOAD_STATE_FAILED = 4,
  GST_OFFLINE_DOWNLOAD_STATE_REMOVING = 5,
  GST_OFFLINE_DOWNLOAD_STATE_RESTARTING = 7,
} GstOfflineDownloadState;

/**
 * GstOfflineDownloadType:
 * @GST_OFFLINE_DOWNLOAD_TYPE_AUTO: guess the type from the URI and the content (requests only).
 * @GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE: a single media file.
 * @GST_OFFLINE_DOWNLOAD_TYPE_DASH: an MPEG-DASH manifest and its segments.
 * @GST_OFFLINE_DOWNLOAD_TYPE_HLS: an HLS playlist and its segments.
 * @GST_OFFLINE_DOWNLOAD_TYPE_MSS: a Smooth Streaming manifest and its fragments.
 *
 * What kind of content a download holds.
 */
typedef enum {
  GST_OFFLINE_DOWNLOAD_TYPE_AUTO = -1,
  GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE = 0,
  GST_OFFLINE_DOWNLOAD_TYPE_DASH = 1,
  GST_OFFLINE_DOWNLOAD_TYPE_HLS = 2,
  GST_OFFLINE_DOWNLOAD_TYPE_MSS = 3,
} GstOfflineDownloadType;

/**
 * GstOfflineRequirements:
 * @GST_OFFLINE_REQUIREMENTS_NONE: no requirement.
 * @GST_OFFLINE_REQUIREMENTS_NETWORK: a network is available (downloads from
 *   loopback hosts such as 127.0.0.1 never need one).
 * @GST_OFFLINE_REQUIREMENTS_NETWORK_UNMETERED: the network is not metered.
 * @GST_OFFLINE_REQUIREMENTS_STORAGE_NOT_LOW: the data directory's file system
 *   keeps at least #GstOfflineDownloadManager:min-free-space free.
 *
 * Conditions downloads wait for, as ExoPlayer's Requirements. A download
 * whose requirements are not met stays queued and starts by itself once they are.
 */
typedef enum /*< flags >*/ {
  GST_OFFLINE_REQUIREMENTS_NONE = 0,
  GST_OFFLINE_REQUIREMENTS_NETWORK = 1 << 0,
  GST_OFFLINE_REQUIREMENTS_NETWORK_UNMETERED = 1 << 1,
  GST_OFFLINE_REQUIREMENTS_STORAGE_NOT_LOW = 1 << 2,
} GstOfflineRequirements;

/**
 * GST_OFFLINE_REQUIREMENTS_DEFAULT:
 *
 * What a #GstOfflineDownloadManager waits for unless told otherwise:
 * %GST_OFFLINE_REQUIREMENTS_NETWORK and %GST_OFFLINE_REQUIREMENTS_STORAGE_NOT_LOW.
 * Through GObject-Introspection it is a number (the same flags), since a
 * typelib cannot hold a constant of a flags type.
 */
#ifdef __GI_SCANNER__
#define GST_OFFLINE_REQUIREMENTS_DEFAULT \
  ((guint) (GST_OFFLINE_REQUIREMENTS_NETWORK | GST_OFFLINE_REQUIREMENTS_STORAGE_NOT_LOW))
#else
#define GST_OFFLINE_REQUIREMENTS_DEFAULT \
  ((GstOfflineRequirements) (GST_OFFLINE_REQUIREMENTS_NETWORK | GST_OFFLINE_REQUIREMENTS_STORAGE_NOT_LOW))
#endif

/**
 * GST_OFFLINE_DEFAULT_MIN_FREE_SPACE:
 *
 * The bytes a #GstOfflineDownloadManager leaves free unless told otherwise (100 MiB).
 */
#define GST_OFFLINE_DEFAULT_MIN_FREE_SPACE (G_GUINT64_CONSTANT (100) * 1024 * 1024)

/**
 * GST_OFFLINE_DEFAULT_SEGMENT_PARALLELISM:
 *
 * How many segments (or merged byte ranges) of one adaptive download a
 * #GstOfflineDownloadManager fetches at once unless told otherwise (8).
 * Set from benchmarks/dash-download-throughput: from 4 to 8 the time of a
 * 600-segment download on a 20 ms link halves, 16 gains a third more only
 * where latency rules; at 8, two downloads from one server stay within the
 * HTTP session's 16 connections per host.
 */
#define GST_OFFLINE_DEFAULT_SEGMENT_PARALLELISM 8

/**
 * GST_OFFLINE_STOP_REASON_NONE:
 *
 * The stop reason of a download that is not stopped. Any other value stops it.
 */
#define GST_OFFLINE_STOP_REASON_NONE 0

/**
 * GST_OFFLINE_STOP_REASON_PAUSED_BY_USER:
 *
 * The stop reason `gst-offline pause` sets: the user paused the download and
 * `gst-offline resume` (or %GST_OFFLINE_STOP_REASON_NONE) starts it again.
 * Applications may use other non-zero values for reasons of their own.
 */
#define GST_OFFLINE_STOP_REASON_PAUSED_BY_USER 1

/**
 * gst_offline_download_state_to_string:
 * @state: a #GstOfflineDownloadState
 *
 * Returns: the name used in the CLI and its JSON output ("queued", "downloading", ...).
 */
GST_OFFLINE_API
const gchar *gst_offline_download_state_to_string (GstOfflineDownloadState state);

/**
 * gst_offline_download_type_to_string:
 * @type: a #GstOfflineDownloadType
 *
 * Returns: "progressive", "dash", "hls", "mss" (or "auto").
 */
GST_OFFLINE_API
const gchar *gst_offline_download_type_to_string (GstOfflineDownloadType type);

/**
 * gst_offline_download_type_from_uri:
 * @uri: an http(s) URI
 *
 * What the suffix of @uri's path says it is: `.mpd` DASH, `.m3u8` HLS,
 * `.ism/Manifest` Smooth Streaming, a media file's extension (`.mp4`,
 * `.mkv`, ...) progressive. Where it says nothing (`…/stream`,
 * `…/Manifest`), only the content can tell: see
 * gst_offline_download_helper_prepare(), which looks at the Content-Type
 * and the first bytes.
 *
 * Returns: the type, or %GST_OFFLINE_DOWNLOAD_TYPE_AUTO when the URI does not say.
 */
GST_OFFLINE_API
GstOfflineDownloadType gst_offline_download_type_from_uri (const gchar *uri);

/**
 * gst_offline_requirements_to_string:
 * @requirements: #GstOfflineRequirements flags
 *
 * Returns: (transfer full): the names of the flags, comma separated
 *   ("network, storage-not-low"), or "none".
 */
GST_OFFLINE_API
gchar *gst_offline_requirements_to_string (GstOfflineRequirements requirements);

/**
 * gst_offline_requirements_get_not_met:
 * @requirements: the requirements to check
 * @data_dir: (nullable) (type filename): the data directory, %NULL for the default
 * @min_free_space: the bytes %GST_OFFLINE_REQUIREMENTS_STORAGE_NOT_LOW keeps free
 * @uri: (nullable): the URI of one download, whose host may need no network
 *   (a loopback host), or %NULL for any download
 *
 * Returns: the requirements that are not met now.
 */
GST_OFFLINE_API
GstOfflineRequirements gst_offline_requirements_get_not_met (GstOfflineRequirements requirements,
    const gchar *data_dir, guint64 min_free_space, const gchar *uri);

/**
 * gst_offline_get_default_data_dir:
 *
 * The data directory used when none is given: `$GST_OFFLINE_DIR` if set, else
 * `g_get_user_data_dir()/gst-offline`.
 *
 * Returns: (transfer full) (type filename): the directory path.
 */
GST_OFFLINE_API
gchar *gst_offline_get_default_data_dir (void);

G_END_DECLS
