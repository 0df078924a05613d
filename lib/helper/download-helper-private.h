/* What the library takes from a prepared GstOfflineDownloadHelper.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/offline/offline-download-helper.h>

#include "downloader/downloader.h"

namespace gst_offline {

/* The manifest and playlists that gst_offline_download_helper_prepare ()
 * fetched, by URL (the helper keeps none of them after): a download of the
 * same request starts from them rather than fetching them again
 * (Downloader::use_documents ()). Empty for a progressive file. */
FetchedDocuments download_helper_take_documents (GstOfflineDownloadHelper *helper);

}  // namespace gst_offline
