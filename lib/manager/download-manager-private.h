/* The download manager's seam for tests: the downloaders it runs.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "downloader/downloader.h"

#include <gst/offline/offline-download-manager.h>

#include <functional>
#include <memory>

namespace gst_offline {

/* Makes the downloader of a download that starts (downloader_new () by
 * default). Called on the manager's worker thread. */
using DownloaderFactory = std::function<std::unique_ptr<Downloader> (const DownloadRecord &record,
    const DownloaderContext &context, GError **error)>;

/* A manager like g_initable_new (GST_OFFLINE_TYPE_DOWNLOAD_MANAGER, ...)
 * with these properties (NULL-terminated name/value pairs), whose downloads
 * are made by `factory` from its start on: tests run fake downloaders
 * where timing is what they test. */
GstOfflineDownloadManager *download_manager_new_with_factory (DownloaderFactory factory, GError **error,
    const char *first_property_name, ...) G_GNUC_NULL_TERMINATED;

}  // namespace gst_offline
