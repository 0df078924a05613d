/* Writes one resource into the cache so that a crash at any instant leaves a
 * consistent cache: bytes are appended to a partial file whose durable length
 * is checkpointed (fdatasync, then the row) about every second; the resource
 * becomes visible only in commit(): fsync, rename, directory fsync, then one
 * transaction that adds its row and drops the partial one.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/offline/offline-cache.h>

#include "util/handles.h"

#include <memory>
#include <string>

namespace gst_offline {

class ResourceWriter {
 public:
  /* Opens the resource `key` for download `download_id` (and records that
   * the download uses it). If it is already whole, complete() is true and
   * nothing is to be written. A partial resource is reopened at its durable
   * length. Another writer of the same resource, in this process or
   * another, makes this fail with GST_OFFLINE_ERROR_BUSY. */
  static std::unique_ptr<ResourceWriter> open (GstOfflineCache *cache, const std::string &key,
      const std::string &download_id, GError **error);
  ~ResourceWriter ();

  bool complete () const { return complete_; }
  /* Bytes held: where a resumed request starts. */
  guint64 length () const { return length_; }
  /* What the server said of the resource when the held bytes were fetched. */
  const std::string &etag () const { return etag_; }
  const std::string &last_modified () const { return last_modified_; }
  gint64 total_length () const { return total_length_; }

  /* Records the validators and total length of the response being written. */
  bool set_validators (const std::string &etag, const std::string &last_modified, gint64 total_length, GError **error);
  /* Drops every held byte (the resource changed on the server). */
  bool restart (GError **error);
  bool append (const void *data, gsize size, GError **error);
  /* Reads up to `size` held bytes from the start (for content sniffing). */
  std::string read_prefix (gsize size) const;
  /* Makes the held bytes durable and records their length. */
  bool checkpoint (GError **error);
  /* Makes the resource whole and visible. */
  bool commit (GError **error);

 private:
  ResourceWriter () = default;
  bool store_partial_row (GError **error);

  GstOfflineCache *cache_ = nullptr;  /* a reference */
  std::string key_;
  std::string data_path_;
  std::string partial_path_;
  std::string partial_file_;  /* relative, as stored in the row */
  UniqueFd fd_;
  bool complete_ = false;
  guint64 length_ = 0;
  guint64 durable_length_ = 0;
  gint64 last_checkpoint_us_ = 0;
  std::string etag_;
  std::string last_modified_;
  gint64 total_length_ = -1;
};

}  // namespace gst_offline
