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

 private:
  explicit DownloadLock (UniqueFd fd) : fd_ (std::move (fd)) {}
  UniqueFd fd_;  /* closing it releases the lock */
};

}  // namespace gst_offline
