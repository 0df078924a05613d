/* The cache's private API for the writer, the downloaders and the manager.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/offline/offline-cache.h>

#include <optional>
#include <string>

namespace gst_offline {

class Database;

/* Creates the data directory and its database if needed (the public
 * constructor only reads). */
GstOfflineCache *cache_open_for_writing (const char *data_dir, GError **error);

Database &cache_database (GstOfflineCache *cache);

/* The folder of the data directory that holds the resources' files. */
constexpr const char *kCacheDirName = "cache";

/* Where the files of the resource with `key` live, relative to the data
 * directory: never derived from the key's text, only from its hash. */
struct ResourceFiles {
  std::string data;     /* the whole resource */
  std::string partial;  /* the resource being written */
};
ResourceFiles cache_resource_files (const std::string &key);
std::string cache_absolute_path (GstOfflineCache *cache, const std::string &relative);

/* Deletes every resource that download `download_id` uses and no other
 * download does (rows first, then files), and its resource list. */
bool cache_remove_download_resources (GstOfflineCache *cache, const std::string &download_id, GError **error);

/* The bytes of a whole resource (a manifest, an index), refused with
 * UNSUPPORTED when it is larger than `max_bytes`. */
std::optional<std::string> cache_read_resource (GstOfflineCache *cache, const std::string &key, gsize max_bytes,
    GError **error);

/* Bytes held for `download_id`: whole resources plus durable partial bytes. */
guint64 cache_download_bytes (GstOfflineCache *cache, const std::string &download_id);

}  // namespace gst_offline
