/* The space reserve of a data directory: a few hundred KiB kept so that,
 * when the disk is full, a download's failure can still be written to the
 * index (the manager gives it back then, and makes it again later).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include <string>
#include <vector>

namespace gst_offline {

class SpaceReserve {
 public:
  explicit SpaceReserve (std::string data_dir);
  /* Creates the reserve file if it is missing and fits: written under a
   * temporary name (space-reserve.XXXXXX, locked with flock while it is
   * written), then renamed. */
  void ensure ();
  /* Deletes it; true if there was one to give back. */
  bool release ();

  /* The temporary files of `data_dir` that no live process writes: left by
   * one killed while it made the reserve (its lock went with it). Those a
   * live writer holds are not listed: several processes may use one data
   * directory. */
  static std::vector<std::string> stale_files (const std::string &data_dir);
  /* Deletes them (the next manager to open the data directory does);
   * returns how many. */
  static guint remove_stale (const std::string &data_dir);

  /* Tests: `observer` is called in ensure () once the temporary file is
   * made and locked, before it is written (NULL: none). */
  static void set_write_observer (void (*observer) (gpointer data), gpointer data);

 private:
  std::string data_dir_;
  std::string path_;
};

}  // namespace gst_offline
