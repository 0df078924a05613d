/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fmp4-timing.h"

#include <gst/base/gstbytereader.h>

#include <unistd.h>

#include <cerrno>
#include <vector>

namespace gst_offline {

namespace {

/* Container boxes are read whole; nothing cachesrc needs is this large. */
constexpr guint64 MAX_BOX = 8 * 1024 * 1024;

constexpr guint32
fourcc (const char (&s)[5])
{
  return (guint32 (guint8 (s[0])) << 24) | (guint32 (guint8 (s[1])) << 16) | (guint32 (guint8 (s[2])) << 8)
      | guint32 (guint8 (s[3]));
}

bool
read_at (int fd, guint64 offset, guint8 *data, gsize length)
{
  gsize done = 0;
  while (done < length) {
    ssize_t n = pread (fd, data + done, length - done, offset + done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    done += n;
  }
  return true;
}

struct BoxHeader {
  guint32 type = 0;
  guint64 size = 0;   /* the whole box */
  guint header = 0;   /* bytes before its payload */
};

/* The header of the box at `offset` in a file whose boxes end at `end`. */
std::optional<BoxHeader>
read_box_header (int fd, guint64 offset, guint64 end)
{
  if (end - offset < 8)
    return std::nullopt;
  guint8 bytes[16];
  if (!read_at (fd, offset, bytes, 8))
    return std::nullopt;
  BoxHeader box;
  box.size = GST_READ_UINT32_BE (bytes);
  box.type = GST_READ_UINT32_BE (bytes + 4);
  box.header = 8;
  if (box.size == 1) {
    if (end - offset < 16 || !read_at (fd, offset + 8, bytes + 8, 8))
      return std::nullopt;
    box.size = GST_READ_UINT64_BE (bytes + 8);
    box.header = 16;
  } else if (box.size == 0) {
    box.size = end - offset;
  }
  if (box.size < box.header || box.size > end - offset)
    return std::nullopt;
  return box;
}

/* Reads the payload of the first top-level box of type `type`. */
std::optional<std::vector<guint8>>
read_top_level_box (int fd, guint64 size, guint32 type)
{
  guint64 offset = 0;
  while (offset < size) {
    auto box = read_box_header (fd, offset, size);
    if (!box)
      return std::nullopt;
    if (box->type == type) {
      guint64 length = box->size - box->header;
      if (length > MAX_BOX)
        return std::nullopt;
      std::vector<guint8> payload (length);
      if (!read_at (fd, offset + box->header, payload.data (), length))
        return std::nullopt;
      return payload;
    }
    offset += box->size;
  }
  return std::nullopt;
}

/* Finds the first child box of type `type` in `reader` (positioned on a
 * sequence of boxes) and sets `child` to its payload. */
bool
find_child (GstByteReader reader, guint32 type, GstByteReader *child)
{
  while (gst_byte_reader_get_remaining (&reader) >= 8) {
    guint32 size32 = 0, box_type = 0;
    gst_byte_reader_get_uint32_be (&reader, &size32);
    gst_byte_reader_get_uint32_be (&reader, &box_type);
    guint64 payload;
    if (size32 == 1) {
      guint64 size64;
      if (!gst_byte_reader_get_uint64_be (&reader, &size64) || size64 < 16)
        return false;
      payload = size64 - 16;
    } else if (size32 == 0) {
      payload = gst_byte_reader_get_remaining (&reader);
    } else {
      if (size32 < 8)
        return false;
      payload = size32 - 8;
    }
    if (payload > gst_byte_reader_get_remaining (&reader))
      return false;
    if (box_type == type) {
      const guint8 *data = nullptr;
      if (!gst_byte_reader_get_data (&reader, payload, &data))
        return false;
      gst_byte_reader_init (child, data, payload);
      return true;
    }
    gst_byte_reader_skip (&reader, payload);
  }
  return false;
}

} // namespace

std::optional<guint32>
fmp4_track_timescale (int fd, guint64 size)
{
  auto moov = read_top_level_box (fd, size, fourcc ("moov"));
  if (!moov)
    return std::nullopt;
  GstByteReader reader, trak, mdia, mdhd;
  gst_byte_reader_init (&reader, moov->data (), moov->size ());
  if (!find_child (reader, fourcc ("trak"), &trak) || !find_child (trak, fourcc ("mdia"), &mdia)
      || !find_child (mdia, fourcc ("mdhd"), &mdhd))
    return std::nullopt;
  guint8 version;
  guint32 timescale;
  if (!gst_byte_reader_get_uint8 (&mdhd, &version) || !gst_byte_reader_skip (&mdhd, 3)
      || !gst_byte_reader_skip (&mdhd, version == 1 ? 16 : 8) || !gst_byte_reader_get_uint32_be (&mdhd, &timescale)
      || timescale == 0)
    return std::nullopt;
  return timescale;
}

std::optional<guint64>
fmp4_first_decode_time (int fd, guint64 size)
{
  auto moof = read_top_level_box (fd, size, fourcc ("moof"));
  if (!moof)
    return std::nullopt;
  GstByteReader reader, traf, tfdt;
  gst_byte_reader_init (&reader, moof->data (), moof->size ());
  if (!find_child (reader, fourcc ("traf"), &traf) || !find_child (traf, fourcc ("tfdt"), &tfdt))
    return std::nullopt;
  guint8 version;
  if (!gst_byte_reader_get_uint8 (&tfdt, &version) || !gst_byte_reader_skip (&tfdt, 3))
    return std::nullopt;
  if (version == 1) {
    guint64 time;
    if (!gst_byte_reader_get_uint64_be (&tfdt, &time))
      return std::nullopt;
    return time;
  }
  guint32 time;
  if (!gst_byte_reader_get_uint32_be (&tfdt, &time))
    return std::nullopt;
  return time;
}

} // namespace gst_offline
