/* Not installed: what the library's download manager takes from a prepared
 * GstOfflineDownloadHelper.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/offline/offline-download-helper.h>

G_BEGIN_DECLS

/* The manifest and playlists that gst_offline_download_helper_prepare()
 * fetched, by URL (a GHashTable of URL strings to GBytes; transfer full):
 * the helper keeps none of them after. A download of the same request
 * starts from them rather than fetching them again. Empty for a
 * progressive file. */
GHashTable *gst_offline_download_helper_take_documents (GstOfflineDownloadHelper *self);

G_END_DECLS
