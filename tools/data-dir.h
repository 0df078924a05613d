/* gst-offline CLI: opening the library's objects on the data directory, with
 * the tool's error messages.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "cli.h"

#include <gst/offline/offline.h>

namespace cli {

/* Whether the data directory exists. Read-only commands never create it: a
 * missing directory simply holds no downloads. */
bool data_dir_exists (const Context &ctx);

/* Opens the index for reading. Returns NULL with `*status` = kExitSuccess when
 * the data directory does not exist, NULL with kExitFailure (reason printed)
 * when it cannot be opened. */
GstOfflineDownloadIndex *open_index (const Context &ctx, int *status);

/* The download `id` from `index`; NULL after printing
 * `no download with id 'ID'` (or the library's reason). */
GstOfflineDownload *get_download (GstOfflineDownloadIndex *index, const char *id);

/* A manager on the data directory. With `paused`, it starts no download
 * (for commands that only change the index, such as `remove`); with
 * `added_only`, only those added through it (a command that downloads one
 * thing leaves the rest of the queue to the daemon); `retries` is
 * its min-retry-count, `min_free_space` its min-free-space, `requirements`
 * what it waits for, `segment_parallelism` its segment-parallelism. NULL
 * after printing the reason. In the commands module (commands-module.h). */
GstOfflineDownloadManager *open_manager (const Context &ctx, bool paused, bool added_only, guint retries = 5,
    guint64 min_free_space = GST_OFFLINE_DEFAULT_MIN_FREE_SPACE,
    GstOfflineRequirements requirements = GST_OFFLINE_REQUIREMENTS_DEFAULT,
    guint segment_parallelism = GST_OFFLINE_DEFAULT_SEGMENT_PARALLELISM);

/* Parses --min-free-space (bytes); false after printing a usage error. */
bool parse_min_free_space (const char *command, gint64 value, guint64 *out);
/* Checks --segment-parallelism (1 to 16); false after printing a usage error. */
bool check_segment_parallelism (const char *command, gint value);

/* The GstOfflineDownload elements of `downloads`, sorted by id. */
void sort_downloads (GPtrArray *downloads);

}  // namespace cli
