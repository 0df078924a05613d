/* Writes one resource into the cache so that a crash at any instant leaves a
 * consistent cache: bytes are appended to a partial file whose durable length
 * is checkpointed (fdatasync, then its row) about every second; the resource
 * becomes visible only through commit(): the rename to its data name, then
 * one syncfs shared by every commit of a burst (on a worker thread), then one
 * transaction that adds their rows and drops the partial ones. A resource
 * that is written whole before its first checkpoint (most segments) never
 * has a partial row at all, and costs no sync of its own.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/offline/offline-cache.h>

#include "cache/cache-private.h"
#include "util/handles.h"

#include <functional>
#include <memory>
#include <string>

namespace gst_offline {

class ResourceWriter {
 public:
  /* Opens the resource `key` for download `download_id`. If it is already
   * whole, complete() is true, the download is recorded as using it, and
   * nothing is to be written. A partial resource is reopened at its durable
   * length. Another writer of the same resource, in this process or
   * another, makes this fail with GST_OFFLINE_ERROR_BUSY. The download is
   * recorded as using the resource with its first row (checkpoint or
   * commit). */
  static std::unique_ptr<ResourceWriter> open (GstOfflineCache *cache, const std::string &key,
      const std::string &download_id, GError **error);
  /* Checkpoints what it holds and unlocks the resource. */
  ~ResourceWriter ();

  bool complete () const { return complete_; }
  /* Bytes held: where a resumed request starts. */
  guint64 length () const { return length_; }
  /* What the server said of the resource when the held bytes were fetched. */
  const std::string &etag () const { return etag_; }
  const std::string &last_modified () const { return last_modified_; }
  gint64 total_length () const { return total_length_; }

  /* Sets the validators and total length of the response being written;
   * they are recorded with the next checkpoint. */
  void set_validators (const std::string &etag, const std::string &last_modified, gint64 total_length);
  /* Drops every held byte (the resource changed on the server). */
  bool restart (GError **error);
  bool append (const void *data, gsize size, GError **error);
  /* Reads up to `size` held bytes from the start (for content sniffing). */
  std::string read_prefix (gsize size) const;
  /* Makes the held bytes durable and records their length. */
  bool checkpoint (GError **error);

  /* Called once, on the thread-default main context of the commit() call:
   * no error when the resource is whole and visible. */
  using CommitFn = std::function<void (const GError *error)>;
  /* Makes the resource whole and visible without blocking the calling
   * context on the disk: the file is renamed to its data name; one syncfs
   * on a worker thread then makes it durable together with every other
   * resource of the context renamed meanwhile, and their rows are committed
   * on the context in one transaction (one file system sync and one
   * database sync for a burst of small segments). The resource stays
   * locked until its rows are in. */
  static void commit (std::unique_ptr<ResourceWriter> writer, CommitFn done);

  /* Tests: `observer` is called on the worker thread before each batch's
   * syncfs, which waits for it to return (NULL: none). */
  static void set_sync_observer (void (*observer) (gpointer data), gpointer data);

 private:
  friend struct ResourceCommit;

  ResourceWriter () = default;
  bool store_partial_rows (guint64 durable_length, GError **error);
  bool rename_into_place (GError **error) const;
  bool insert_whole_rows (GError **error) const;

  GstOfflineCache *cache_ = nullptr;  /* a reference */
  std::string key_;
  std::string download_id_;
  ResourceFiles files_;       /* relative, as stored in the rows */
  std::string data_path_;
  std::string partial_path_;
  UniqueFd fd_;               /* holds the resource's lock while open */
  bool complete_ = false;
  bool has_row_ = false;      /* a partials row exists */
  guint64 length_ = 0;
  guint64 durable_length_ = 0;
  gint64 last_checkpoint_us_ = 0;
  std::string etag_;
  std::string last_modified_;
  gint64 total_length_ = -1;
};

}  // namespace gst_offline
