/* open_manager () of data-dir.h: in the commands module (commands-module.h),
 * as the manager is part of libgstoffline-1.0.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "data-dir.h"

namespace cli {

GstOfflineDownloadManager *
open_manager (const Context &ctx, bool paused, bool added_only, guint retries, guint64 min_free_space,
    GstOfflineRequirements requirements, guint segment_parallelism)
{
  /* Construct properties: in effect before the manager looks at the queue,
   * so a paused manager starts no download even for a moment. */
  g_autoptr (GError) error = nullptr;
  auto *manager = static_cast<GstOfflineDownloadManager *> (g_initable_new (GST_OFFLINE_TYPE_DOWNLOAD_MANAGER,
      nullptr, &error, "data-dir", ctx.data_dir.c_str (), "downloads-paused", (gboolean) paused,
      "added-downloads-only", (gboolean) added_only,
      "min-retry-count", retries, "min-free-space", min_free_space, "requirements", requirements,
      "segment-parallelism", segment_parallelism, nullptr));
  if (!manager)
    fail ("cannot open the data directory %s: %s", ctx.data_dir.c_str (), error->message);
  return manager;
}

}  // namespace cli
