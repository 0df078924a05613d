/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/offline/offline-prelude.h>

G_BEGIN_DECLS

/**
 * GST_OFFLINE_ERROR:
 *
 * The error domain of the gst-offline library.
 */
#define GST_OFFLINE_ERROR (gst_offline_error_quark ())

/**
 * GstOfflineError:
 * @GST_OFFLINE_ERROR_NONE: not an error: the failure code of a download that
 *   has not failed (gst_offline_download_get_failure_code()); never the code
 *   of a #GError.
 * @GST_OFFLINE_ERROR_FAILED: a failure no other code describes.
 * @GST_OFFLINE_ERROR_NOT_FOUND: no download or cached resource with that id or key.
 * @GST_OFFLINE_ERROR_INVALID_ARGUMENT: an argument (URI, id, header, ...) is not valid.
 * @GST_OFFLINE_ERROR_HTTP: the server answered with an HTTP error status.
 * @GST_OFFLINE_ERROR_NETWORK: the connection failed, timed out or was closed early.
 * @GST_OFFLINE_ERROR_IO: reading or writing a local file failed.
 * @GST_OFFLINE_ERROR_NO_SPACE: the disk (or the file size limit) is full.
 * @GST_OFFLINE_ERROR_DATABASE: the SQLite database could not be used.
 * @GST_OFFLINE_ERROR_CORRUPT: a database row or a cache file is not what it should be.
 * @GST_OFFLINE_ERROR_UNSUPPORTED: the content or manifest is of a kind not supported.
 * @GST_OFFLINE_ERROR_BUSY: the download is being worked on by another process.
 * @GST_OFFLINE_ERROR_INCOMPLETE: the download is not complete.
 * @GST_OFFLINE_ERROR_LICENSE_EXPIRED: the license of the download does not
 *   allow playback any more (expired, or its playback window used up).
 *
 * Error codes of the %GST_OFFLINE_ERROR domain. An error about a request
 * (%GST_OFFLINE_ERROR_HTTP, %GST_OFFLINE_ERROR_NETWORK, and others that
 * concern one URL) also carries the URL and the HTTP status as data:
 * gst_offline_error_get_url(), gst_offline_error_get_http_status(). A
 * %GST_OFFLINE_ERROR_NO_SPACE error says which kind of shortage it is:
 * gst_offline_error_get_no_space_reason(). Branch on those and on the code,
 * never on the message, which is for people.
 */
typedef enum {
  GST_OFFLINE_ERROR_NONE = -1,
  GST_OFFLINE_ERROR_FAILED = 0,
  GST_OFFLINE_ERROR_NOT_FOUND,
  GST_OFFLINE_ERROR_INVALID_ARGUMENT,
  GST_OFFLINE_ERROR_HTTP,
  GST_OFFLINE_ERROR_NETWORK,
  GST_OFFLINE_ERROR_IO,
  GST_OFFLINE_ERROR_NO_SPACE,
  GST_OFFLINE_ERROR_DATABASE,
  GST_OFFLINE_ERROR_CORRUPT,
  GST_OFFLINE_ERROR_UNSUPPORTED,
  GST_OFFLINE_ERROR_BUSY,
  GST_OFFLINE_ERROR_INCOMPLETE,
  GST_OFFLINE_ERROR_LICENSE_EXPIRED,
} GstOfflineError;

/**
 * GstOfflineNoSpaceReason:
 * @GST_OFFLINE_NO_SPACE_REASON_NONE: the error is not a
 *   %GST_OFFLINE_ERROR_NO_SPACE made by the library (a #GError made anew
 *   from a domain, a code and a message, as language bindings may, says
 *   none either).
 * @GST_OFFLINE_NO_SPACE_REASON_REFUSED: refused before writing: what the
 *   download still needs does not fit in the free space of the data
 *   directory, less #GstOfflineDownloadManager:min-free-space.
 * @GST_OFFLINE_NO_SPACE_REASON_DISK_FULL: a write failed: the disk, a quota
 *   or a file size limit is full.
 *
 * Which shortage a %GST_OFFLINE_ERROR_NO_SPACE error reports, as data:
 * gst_offline_error_get_no_space_reason().
 */
typedef enum {
  GST_OFFLINE_NO_SPACE_REASON_NONE = 0,
  GST_OFFLINE_NO_SPACE_REASON_REFUSED,
  GST_OFFLINE_NO_SPACE_REASON_DISK_FULL,
} GstOfflineNoSpaceReason;

GST_OFFLINE_API
GQuark gst_offline_error_quark (void);

GST_OFFLINE_API
const gchar *gst_offline_error_get_url (const GError *error);
GST_OFFLINE_API
guint gst_offline_error_get_http_status (const GError *error);
GST_OFFLINE_API
GstOfflineNoSpaceReason gst_offline_error_get_no_space_reason (const GError *error);

G_END_DECLS
