/* The cache keys whose files a removal deletes, kept in a file instead of
 * memory: a download may have hundreds of thousands of segments, and its
 * keys must outlive the rows they came from (the files go after the rows).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "util/handles.h"

#include <glib.h>

#include <functional>
#include <string>

namespace gst_offline {

/* Keys written one after the other, read back in the same order, with a
 * small buffer in memory. The file is made unlinked in the data directory
 * (a disk, where /tmp may be memory), so no crash leaves it behind. Where
 * it cannot be made or written (a full disk: the very time a removal must
 * work), the keys that did not reach it stay in memory instead. Movable,
 * to hand the keys to another thread. */
class KeySpool {
 public:
  KeySpool () = default;
  explicit KeySpool (const std::string &dir);
  KeySpool (KeySpool &&) = default;
  KeySpool &operator= (KeySpool &&) = default;

  void add (const std::string &key);
  guint64 size () const { return count_; }
  /* Calls `fn` with every key added, in order. */
  void for_each (const std::function<void (const std::string &key)> &fn) const;

 private:
  void flush ();

  UniqueFd file_;
  bool writable_ = false;
  guint64 file_bytes_ = 0;   /* bytes in the file: whole records, then maybe part of one */
  std::string buffer_;       /* the bytes after them: not written yet, or not writable */
  guint64 count_ = 0;
};

}  // namespace gst_offline
