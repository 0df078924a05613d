/* Conversions between the public request/snapshot objects and the persisted
 * DownloadRecord, for the library's own use.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/offline/offline-download.h>
#include <gst/offline/offline-enum-types.h>

#include "index/download-record.h"

#include <optional>
#include <string_view>
#include <utility>

namespace gst_offline {

/* Characters allowed in a download id: none needs escaping in offline://ID. */
bool is_id_char (char c);
/* Whether `id` can name a download: id characters only, not "." or ".."
 * (path-like), not starting with '-' (an option on a command line);
 * INVALID_ARGUMENT saying why not. */
bool check_download_id (const std::string &id, GError **error);

/* A request holding the request fields of `record`. */
GstOfflineDownloadRequest *download_request_new (const DownloadRecord &record);
const DownloadRecord &download_request_record (GstOfflineDownloadRequest *request);

/* An immutable snapshot of `record`. */
GstOfflineDownload *download_new (const DownloadRecord &record);
const DownloadRecord &download_record (GstOfflineDownload *download);

}  // namespace gst_offline
