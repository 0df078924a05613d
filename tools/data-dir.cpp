/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "data-dir.h"

#include <gio/gio.h>

namespace cli {

bool
data_dir_exists (const Context &ctx)
{
  return g_file_test (ctx.data_dir.c_str (), G_FILE_TEST_IS_DIR);
}

GstOfflineDownloadIndex *
open_index (const Context &ctx, int *status)
{
  *status = kExitSuccess;
  if (!data_dir_exists (ctx))
    return nullptr;
  g_autoptr (GError) error = nullptr;
  GstOfflineDownloadIndex *index = gst_offline_download_index_new (ctx.data_dir.c_str (), &error);
  if (!index)
    *status = fail ("cannot open the download index in %s: %s", ctx.data_dir.c_str (), error->message);
  return index;
}

GstOfflineDownload *
get_download (GstOfflineDownloadIndex *index, const char *id)
{
  g_autoptr (GError) error = nullptr;
  GstOfflineDownload *download = index ? gst_offline_download_index_get_download (index, id, &error) : nullptr;
  if (download)
    return download;
  if (!index || g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND))
    fail ("no download with id '%s'", id);
  else
    fail ("cannot read download '%s': %s", id, error ? error->message : "unknown error");
  return nullptr;
}

bool
check_segment_parallelism (const char *command, gint value)
{
  if (value >= 1 && value <= 16)
    return true;
  usage_error (command, "%s: --segment-parallelism must be between 1 and 16", command);
  return false;
}

bool
parse_min_free_space (const char *command, gint64 value, guint64 *out)
{
  if (value < 0) {
    usage_error (command, "%s: --min-free-space must not be negative", command);
    return false;
  }
  *out = (guint64) value;
  return true;
}

void
sort_downloads (GPtrArray *downloads)
{
  g_ptr_array_sort (downloads, [] (gconstpointer a, gconstpointer b) {
    auto *da = GST_OFFLINE_DOWNLOAD (*(GstOfflineDownload *const *) a);
    auto *db = GST_OFFLINE_DOWNLOAD (*(GstOfflineDownload *const *) b);
    return g_strcmp0 (gst_offline_download_get_id (da), gst_offline_download_get_id (db));
  });
}

}  // namespace cli
