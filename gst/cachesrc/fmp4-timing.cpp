/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fmp4-timing.h"

#include "util/big-endian.h"

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
  box.size = read_u32_be (bytes);
  box.type = read_u32_be (bytes + 4);
  box.header = 8;
  if (box.size == 1) {
    if (end - offset < 16 || !read_at (fd, offset + 8, bytes + 8, 8))
      return std::nullopt;
    box.size = read_u64_be (bytes + 8);
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

/* Finds the first child box of type `type` in `boxes` (a sequence of boxes)
 * and sets `child` to its payload. */
bool
find_child (ByteReader boxes, guint32 type, ByteReader *child)
{
  while (boxes.left () >= 8) {
    guint32 size32 = 0, box_type = 0;
    boxes.u32 (&size32);
    boxes.u32 (&box_type);
    guint64 payload;
    if (size32 == 1) {
      guint64 size64;
      if (!boxes.u64 (&size64) || size64 < 16)
        return false;
      payload = size64 - 16;
    } else if (size32 == 0) {
      payload = boxes.left ();
    } else {
      if (size32 < 8)
        return false;
      payload = size32 - 8;
    }
    if (payload > boxes.left ())
      return false;
    if (box_type == type) {
      *child = ByteReader (boxes.here (), static_cast<gsize> (payload));
      return true;
    }
    boxes.skip (payload);
  }
  return false;
}

/* The payload of box `type` in the first traf of the first moof of a media
 * segment (in *moof, which holds the bytes it points into). */
bool
find_in_first_traf (int fd, guint64 size, guint32 type, std::vector<guint8> *moof, ByteReader *box)
{
  auto found = read_top_level_box (fd, size, fourcc ("moof"));
  if (!found)
    return false;
  *moof = std::move (*found);
  ByteReader traf (nullptr, 0);
  return find_child (ByteReader (moof->data (), moof->size ()), fourcc ("traf"), &traf)
      && find_child (traf, type, box);
}

} // namespace

std::optional<guint32>
fmp4_track_timescale (int fd, guint64 size)
{
  auto moov = read_top_level_box (fd, size, fourcc ("moov"));
  if (!moov)
    return std::nullopt;
  ByteReader trak (nullptr, 0), mdia (nullptr, 0), mdhd (nullptr, 0);
  if (!find_child (ByteReader (moov->data (), moov->size ()), fourcc ("trak"), &trak)
      || !find_child (trak, fourcc ("mdia"), &mdia) || !find_child (mdia, fourcc ("mdhd"), &mdhd))
    return std::nullopt;
  guint8 version;
  guint32 timescale;
  if (!mdhd.u8 (&version) || !mdhd.skip (3) || !mdhd.skip (version == 1 ? 16 : 8) || !mdhd.u32 (&timescale)
      || timescale == 0)
    return std::nullopt;
  return timescale;
}

std::optional<bool>
fmp4_track_protected (int fd, guint64 size)
{
  auto moov = read_top_level_box (fd, size, fourcc ("moov"));
  if (!moov)
    return std::nullopt;
  ByteReader trak (nullptr, 0), mdia (nullptr, 0), minf (nullptr, 0), stbl (nullptr, 0), stsd (nullptr, 0);
  if (!find_child (ByteReader (moov->data (), moov->size ()), fourcc ("trak"), &trak)
      || !find_child (trak, fourcc ("mdia"), &mdia) || !find_child (mdia, fourcc ("minf"), &minf)
      || !find_child (minf, fourcc ("stbl"), &stbl) || !find_child (stbl, fourcc ("stsd"), &stsd))
    return std::nullopt;
  /* Full box header, entry count, then the first sample entry's size and type. */
  guint32 entries, entry_size, type;
  if (!stsd.skip (4) || !stsd.u32 (&entries) || entries == 0 || !stsd.u32 (&entry_size) || !stsd.u32 (&type))
    return std::nullopt;
  return type == fourcc ("encv") || type == fourcc ("enca") || type == fourcc ("enct") || type == fourcc ("encs");
}


std::optional<guint64>
fmp4_first_decode_time (int fd, guint64 size)
{
  std::vector<guint8> moof;
  ByteReader tfdt (nullptr, 0);
  if (!find_in_first_traf (fd, size, fourcc ("tfdt"), &moof, &tfdt))
    return std::nullopt;
  guint8 version;
  if (!tfdt.u8 (&version) || !tfdt.skip (3))
    return std::nullopt;
  if (version == 1) {
    guint64 time;
    if (!tfdt.u64 (&time))
      return std::nullopt;
    return time;
  }
  guint32 time;
  if (!tfdt.u32 (&time))
    return std::nullopt;
  return time;
}

std::optional<gint64>
fmp4_first_composition_offset (int fd, guint64 size)
{
  std::vector<guint8> moof;
  ByteReader trun (nullptr, 0);
  if (!find_in_first_traf (fd, size, fourcc ("trun"), &moof, &trun))
    return std::nullopt;
  guint8 version;
  guint8 flag_bytes[3];
  guint32 count;
  if (!trun.u8 (&version) || !trun.u8 (&flag_bytes[0]) || !trun.u8 (&flag_bytes[1]) || !trun.u8 (&flag_bytes[2])
      || !trun.u32 (&count) || count == 0)
    return std::nullopt;
  guint32 flags = (guint32 (flag_bytes[0]) << 16) | (guint32 (flag_bytes[1]) << 8) | flag_bytes[2];
  if (!(flags & 0x800))
    return 0; /* no composition offsets: presented as decoded */
  /* data offset, first sample flags; then the first sample's duration,
   * size and flags before its composition offset */
  gsize skip = ((flags & 0x1) ? 4 : 0) + ((flags & 0x4) ? 4 : 0) + ((flags & 0x100) ? 4 : 0)
      + ((flags & 0x200) ? 4 : 0) + ((flags & 0x400) ? 4 : 0);
  guint32 offset;
  if (!trun.skip (skip) || !trun.u32 (&offset))
    return std::nullopt;
  return version == 0 ? static_cast<gint64> (offset) : static_cast<gint64> (static_cast<gint32> (offset));
}

} // namespace gst_offline
