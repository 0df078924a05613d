/* The cache's private API for the writer, the downloaders and the manager.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/offline/offline-cache.h>

#include "cache/key-spool.h"
#include "util/handles.h"

#include <optional>
#include <string>
#include <vector>

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

/* Opens the file at `path` (creating it when `create`) and takes its
 * exclusive flock without waiting: the lock a resource's writer holds on its
 * file from open to the commit of its rows (across the rename). Returns no
 * descriptor and sets `errsv` when another holds it (EWOULDBLOCK), when
 * there is no file (ENOENT) or on another error. The lock is on the file
 * that `path` names on return: one unlinked or renamed meanwhile is opened
 * again. */
UniqueFd cache_lock_file (const std::string &path, bool create, int *errsv);
/* Whether `path` names the file open as `fd` (not one put in its place). */
bool cache_path_names_file (const std::string &path, int fd);

/* Deletes every resource that download `download_id` uses and no other
 * download does (rows first, then the files no writer holds), and its
 * resource list. */
bool cache_remove_download_resources (GstOfflineCache *cache, const std::string &download_id, GError **error);
/* The first half of that: the rows, in one transaction. Returns the keys
 * whose files no row shows any more, and the keys of the download's plan and
 * URI, whose partial files may never have had a row (a stop or a crash
 * before the first checkpoint); in a file, not in memory (see KeySpool). */
std::optional<KeySpool> cache_drop_download_rows (GstOfflineCache *cache, const std::string &download_id,
    GError **error);
/* The second half: deletes the files of `keys` that no writer holds and no
 * row names (a key fetched again meanwhile keeps its file), and only those:
 * never a scan of the whole cache. With a database connection of its own,
 * so that it can run on a worker thread: unlinking tens of thousands of
 * files takes seconds. */
void cache_delete_unused_files (const std::string &data_dir, const KeySpool &keys);

/* Repair: forgets the whole resources of download `download_id` whose file
 * is missing or has another length than recorded (what verify reports), so
 * that running the download again fetches them; their files go too. Returns
 * how many were forgotten, or nothing on error. */
std::optional<guint> cache_drop_damaged_resources (GstOfflineCache *cache, const std::string &download_id,
    GError **error);

/* The bytes of a whole resource (a manifest, an index), refused with
 * UNSUPPORTED when it is larger than `max_bytes`. */
std::optional<std::string> cache_read_resource (GstOfflineCache *cache, const std::string &key, gsize max_bytes,
    GError **error);

/* Bytes held for `download_id`: whole resources plus durable partial bytes. */
guint64 cache_download_bytes (GstOfflineCache *cache, const std::string &download_id);

}  // namespace gst_offline
