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

}  // namespace gst_offline
