/* Big-endian fields of boxes and packets, read byte by byte. Box data sits
 * at any alignment in its buffer, and GST_READ_UINT32_BE (with the
 * GstByteReader getters built on it) loads through a cast pointer where the
 * CPU allows unaligned access: undefined behaviour in C++, which UBSan
 * reports. Compilers turn these shifts into one load and a byte swap.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

namespace gst_offline {

inline guint16 read_u16_be (const guint8 *p)
{
  return static_cast<guint16> ((p[0] << 8) | p[1]);
}

inline guint32 read_u32_be (const guint8 *p)
{
  return (static_cast<guint32> (p[0]) << 24) | (static_cast<guint32> (p[1]) << 16)
      | (static_cast<guint32> (p[2]) << 8) | p[3];
}

inline guint64 read_u64_be (const guint8 *p)
{
  return (static_cast<guint64> (read_u32_be (p)) << 32) | read_u32_be (p + 4);
}

/* Reads big-endian fields front to back, never past the end: each read
 * fails (and moves nothing) when too few bytes are left. */
class ByteReader {
 public:
  ByteReader (const guint8 *data, gsize size) : data_ (data), size_ (size) {}

  gsize left () const { return size_; }
  const guint8 *here () const { return data_; }
  bool skip (gsize n)
  {
    if (size_ < n)
      return false;
    data_ += n;
    size_ -= n;
    return true;
  }
  bool u8 (guint8 *out) { return size_ >= 1 && (*out = data_[0], skip (1)); }
  bool u32 (guint32 *out) { return size_ >= 4 && (*out = read_u32_be (data_), skip (4)); }
  bool u64 (guint64 *out) { return size_ >= 8 && (*out = read_u64_be (data_), skip (8)); }

 private:
  const guint8 *data_;
  gsize size_;
};

}  // namespace gst_offline
