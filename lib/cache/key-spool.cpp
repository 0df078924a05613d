/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cache/key-spool.h"

#include <gst/gst.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace gst_offline {

namespace {

/* Each record: the key's length (4 bytes, this process's byte order: the
 * file never leaves it), then its bytes. */
constexpr gsize kLengthBytes = sizeof (guint32);
/* Written to the file in pieces of about this much. */
constexpr gsize kFlushBytes = 64 * 1024;

UniqueFd make_unlinked_file (const std::string &dir)
{
#ifdef O_TMPFILE
  UniqueFd fd (open (dir.c_str (), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (fd)
    return fd;
#endif
  /* A file system without O_TMPFILE: a named file, unlinked at once. */
  std::string path = dir + G_DIR_SEPARATOR_S + ".removal-XXXXXX";
  UniqueFd named (g_mkstemp_full (path.data (), O_RDWR | O_CLOEXEC, 0600));
  if (named)
    unlink (path.c_str ());
  return named;
}

}  // namespace

KeySpool::KeySpool (const std::string &dir) : file_ (make_unlinked_file (dir)), writable_ (static_cast<bool> (file_))
{
  if (!file_)
    GST_INFO ("no file for the keys of a removal in %s (%s): they stay in memory", dir.c_str (), g_strerror (errno));
}

void KeySpool::add (const std::string &key)
{
  guint32 length = static_cast<guint32> (key.size ());
  buffer_.append (reinterpret_cast<const char *> (&length), kLengthBytes);
  buffer_.append (key);
  count_++;
  if (writable_ && buffer_.size () >= kFlushBytes)
    flush ();
}

void KeySpool::flush ()
{
  gsize written = 0;
  while (written < buffer_.size ()) {
    ssize_t n = pwrite (file_.get (), buffer_.data () + written, buffer_.size () - written,
        static_cast<off_t> (file_bytes_));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      /* A full disk: what was written stays in the file, the rest here. */
      GST_INFO ("cannot write the keys of a removal (%s): the rest stay in memory", g_strerror (errno));
      writable_ = false;
      break;
    }
    written += static_cast<gsize> (n);
    file_bytes_ += static_cast<guint64> (n);
  }
  buffer_.erase (0, written);
}

void KeySpool::for_each (const std::function<void (const std::string &key)> &fn) const
{
  /* The records run on from the file into buffer_. */
  std::string pending;
  std::string key;
  auto take_records = [&] () {
    gsize at = 0;
    while (pending.size () - at >= kLengthBytes) {
      guint32 length;
      memcpy (&length, pending.data () + at, kLengthBytes);
      if (pending.size () - at - kLengthBytes < length)
        break;
      key.assign (pending, at + kLengthBytes, length);
      fn (key);
      at += kLengthBytes + length;
    }
    pending.erase (0, at);
  };
  std::string chunk (kFlushBytes, '\0');
  for (guint64 offset = 0; offset < file_bytes_;) {
    gsize want = static_cast<gsize> (MIN (static_cast<guint64> (chunk.size ()), file_bytes_ - offset));
    ssize_t n = pread (file_.get (), chunk.data (), want, static_cast<off_t> (offset));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      GST_WARNING ("cannot read back the keys of a removal (%s): their files stay", g_strerror (errno));
      return;
    }
    pending.append (chunk, 0, static_cast<gsize> (n));
    offset += static_cast<guint64> (n);
    take_records ();
  }
  pending.append (buffer_);
  take_records ();
}

}  // namespace gst_offline
