/* Reading and checking downloads through the public index, for the tests
 * that link the public library.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>

namespace ot {

/* The download `id` of `data_dir` as the index holds it now (transfer full);
 * fails the test if there is none. */
inline GstOfflineDownload *index_download (const gchar *data_dir, const gchar *id)
{
  GError *error = nullptr;
  GstOfflineDownloadIndex *index = gst_offline_download_index_new (data_dir, &error);
  fail_unless (index != nullptr, "cannot open the index of %s: %s", data_dir, error ? error->message : "?");
  GstOfflineDownload *download = gst_offline_download_index_get_download (index, id, &error);
  fail_unless (download != nullptr, "no download '%s' in the index: %s", id, error ? error->message : "?");
  g_object_unref (index);
  return download;
}

inline const gchar *state_name (GstOfflineDownload *d)
{
  return gst_offline_download_state_to_string (gst_offline_download_get_state (d));
}

inline void assert_state (GstOfflineDownload *d, GstOfflineDownloadState state)
{
  fail_unless (gst_offline_download_get_state (d) == state, "download '%s' is %s (failure: %s), expected %s",
      gst_offline_download_get_id (d), state_name (d), GST_STR_NULL (gst_offline_download_get_failure_message (d)),
      gst_offline_download_state_to_string (state));
}

}  // namespace ot
