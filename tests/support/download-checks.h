/* Reading and checking downloads through the public index, for the tests
 * that link the public library.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>

#include "test-support.h"

#include <string>

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

/* The whole resource `key` of the cache of `data_dir` (transfer full);
 * fails the test if it is not whole there. */
inline GBytes *cached (const gchar *data_dir, const std::string &key)
{
  g_autoptr (GstOfflineCache) cache = gst_offline_cache_new (data_dir, nullptr);
  GError *error = nullptr;
  g_autofree gchar *path = gst_offline_cache_lookup (cache, key.c_str (), nullptr, &error);
  fail_unless (path != nullptr, "%s is not whole in the cache: %s", key.c_str (), error ? error->message : "");
  return ot_read_file (path);
}

}  // namespace ot
