/* Which process works on a download: an exclusive flock on a file named by
 * the hash of the download id under `locks/` of the data directory. The
 * kernel drops it when the process dies, however it dies, so a crashed
 * downloader never blocks the next one.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "util/handles.h"

#include <memory>
#include <string>

namespace gst_offline {

class DownloadLock {
 public:
  /* BUSY if another process (or another lock in this one) holds it. */
  static std::unique_ptr<DownloadLock> acquire (const std::string &data_dir, const std::string &id, GError **error);
  /* Whether a process (this one included) holds the lock of `id`. Only
   * looks: it takes no lock, so it never makes an acquire () fail. */
  static bool is_held (const std::string &data_dir, const std::string &id);
  /* A seam for tests: `observer` is called with `data` as is_held () begins
   * to look, so that a test can end a download's run between what a reader
   * read of its row and the reader's look at its lock. NULL: none. */
  static void set_look_observer (void (*observer) (gpointer data), gpointer data);
  /* Whether a process fetches `id` now or will: one holds its lock, or a
   * FetchClaim on it or on the whole queue. Only looks, as is_held (). */
  static bool is_fetched (const std::string &data_dir, const std::string &id);
  /* The folder of the lock files: every process that lets go of one (a
   * close of a file opened for writing, which the kernel does for a process
   * that dies) is seen there by inotify's IN_CLOSE_WRITE. */
  static std::string directory (const std::string &data_dir);

 private:
  explicit DownloadLock (UniqueFd fd) : fd_ (std::move (fd)) {}
  UniqueFd fd_;  /* closing it releases the lock */
};

/* A promise that this process will fetch a download, or every queued one:
 * a shared flock that a download manager holds on `locks/queue.claim`
 * while it starts whatever the queue holds, or on `locks/HASH.claim` for a
 * download added to a manager that starts only those added through it. A
 * player of a queued download waits for it only while such a claim (or
 * the download's lock) is held: the kernel drops it with a process that
 * dies, so a download queued by a process that was killed is not waited
 * for. Shared: the managers of several processes may hold one at once. */
class FetchClaim {
 public:
  static std::unique_ptr<FetchClaim> claim_queue (const std::string &data_dir, GError **error);
  static std::unique_ptr<FetchClaim> claim (const std::string &data_dir, const std::string &id, GError **error);

 private:
  explicit FetchClaim (UniqueFd fd) : fd_ (std::move (fd)) {}
  static std::unique_ptr<FetchClaim> take (const std::string &data_dir, const std::string &path, GError **error);
  UniqueFd fd_;  /* closing it releases the claim */
};

}  // namespace gst_offline
