/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fmp4-timing.h"

#include "util/big-endian.h"

#include <gst/gst.h>

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

/* Reads the payload of the box whose header `box` was read at `offset`
 * (at most MAX_BOX bytes). */
std::optional<std::vector<guint8>>
read_box_payload (int fd, guint64 offset, const BoxHeader &box)
{
  guint64 length = box.size - box.header;
  if (length > MAX_BOX)
    return std::nullopt;
  std::vector<guint8> payload (length);
  if (!read_at (fd, offset + box.header, payload.data (), length))
    return std::nullopt;
  return payload;
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
    if (box->type == type)
      return read_box_payload (fd, offset, *box);
    offset += box->size;
  }
  return std::nullopt;
}

/* Reads the next box of `boxes` (a sequence of boxes): its type in *type,
 * its payload in *payload; false at the end or on a box that overruns. */
bool
next_child (ByteReader &boxes, guint32 *type, ByteReader *payload)
{
  if (boxes.left () < 8)
    return false;
  guint32 size32 = 0;
  boxes.u32 (&size32);
  boxes.u32 (type);
  guint64 length;
  if (size32 == 1) {
    guint64 size64;
    if (!boxes.u64 (&size64) || size64 < 16)
      return false;
    length = size64 - 16;
  } else if (size32 == 0) {
    length = boxes.left ();
  } else {
    if (size32 < 8)
      return false;
    length = size32 - 8;
  }
  if (length > boxes.left ())
    return false;
  *payload = ByteReader (boxes.here (), static_cast<gsize> (length));
  boxes.skip (length);
  return true;
}

/* The baseMediaDecodeTime of a tfdt payload. */
std::optional<guint64>
tfdt_decode_time (ByteReader tfdt)
{
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

/* Finds the first child box of type `type` in `boxes` (a sequence of boxes)
 * and sets `child` to its payload. */
bool
find_child (ByteReader boxes, guint32 type, ByteReader *child)
{
  guint32 box_type;
  ByteReader payload (nullptr, 0);
  while (next_child (boxes, &box_type, &payload)) {
    if (box_type == type) {
      *child = payload;
      return true;
    }
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
  return tfdt_decode_time (tfdt);
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

namespace {

/* More samples than a segment ever holds (qtdemux refuses sample tables of
 * some 50 MiB): a cut gives up beyond. */
constexpr guint64 MAX_CUT_SAMPLES = 1 << 20;

/* One trun of a fragment being cut: where its type and sample count lie
 * in the file, and its samples' place among the segment's. */
struct CutRun {
  guint64 type_at;
  guint64 count_at;
  guint64 first;
  guint32 count;
};

struct CutFragment {
  std::vector<CutRun> runs;
  guint64 first = 0; /* its first sample among the segment's */
  std::optional<guint64> senc_count_at, saiz_count_at;
  guint64 mdat_end = 0; /* the end of the mdat after it, 0 before one */
};

/* The samples of the traf of a moof, whose payload `moof` was read at
 * `at` in the file: their runs in *fragment; each sample's presentation
 * time (ns) measured against `stop`, the last one before it in *last_kept;
 * *index and *next_time (the decode time after the last sample, in
 * timescale ticks) carried from fragment to fragment. */
bool
read_cut_fragment (const std::vector<guint8> &moof, guint64 at, guint32 timescale, guint64 stop,
    CutFragment *fragment, guint64 *index, std::optional<guint64> *next_time, std::optional<guint64> *last_kept)
{
  auto file_offset = [&] (const ByteReader &r) { return at + static_cast<guint64> (r.here () - moof.data ()); };
  ByteReader children (moof.data (), moof.size ()), traf (nullptr, 0), payload (nullptr, 0);
  guint32 type;
  guint trafs = 0;
  while (next_child (children, &type, &payload)) {
    if (type == fourcc ("traf")) {
      traf = payload;
      trafs++;
    }
  }
  if (trafs != 1)
    return false;

  ByteReader tfhd (nullptr, 0), tfdt (nullptr, 0);
  if (!find_child (traf, fourcc ("tfhd"), &tfhd))
    return false;
  guint32 tfhd_flags, default_duration = 0;
  bool has_default_duration;
  if (!tfhd.u32 (&tfhd_flags) || !tfhd.skip (4) || !tfhd.skip ((tfhd_flags & 0x1) ? 8 : 0)
      || !tfhd.skip ((tfhd_flags & 0x2) ? 4 : 0))
    return false;
  has_default_duration = (tfhd_flags & 0x8) != 0;
  if (has_default_duration && !tfhd.u32 (&default_duration))
    return false;
  if (find_child (traf, fourcc ("tfdt"), &tfdt)) {
    *next_time = tfdt_decode_time (tfdt);
    if (!*next_time)
      return false;
  }
  if (!*next_time)
    return false;

  fragment->first = *index;
  ByteReader boxes = traf;
  while (next_child (boxes, &type, &payload)) {
    if (type == fourcc ("senc") || type == fourcc ("saiz")) {
      guint32 flags;
      if (!payload.u32 (&flags))
        return false;
      /* saiz: aux info type and parameter, default size; senc (PIFF): its
       * own algorithm, IV size and KID */
      gsize head = type == fourcc ("saiz") ? ((flags & 0x1) ? 8 : 0) + 1 : ((flags & 0x1) ? 20 : 0);
      if (!payload.skip (head))
        return false;
      if (payload.left () < 4)
        return false;
      (type == fourcc ("senc") ? fragment->senc_count_at : fragment->saiz_count_at) = file_offset (payload);
      continue;
    }
    if (type != fourcc ("trun"))
      continue;
    CutRun run;
    run.type_at = file_offset (payload) - 4;
    guint32 flags;
    if (!payload.u32 (&flags))
      return false;
    run.count_at = file_offset (payload);
    if (!payload.u32 (&run.count) || !payload.skip (((flags & 0x1) ? 4 : 0) + ((flags & 0x4) ? 4 : 0)))
      return false;
    gsize entry = ((flags & 0x100) ? 4 : 0) + ((flags & 0x200) ? 4 : 0) + ((flags & 0x400) ? 4 : 0)
        + ((flags & 0x800) ? 4 : 0);
    if (!(flags & 0x100) && !has_default_duration)
      return false;
    if (run.count > MAX_CUT_SAMPLES - *index || (entry > 0 && run.count > payload.left () / entry))
      return false;
    run.first = *index;
    for (guint32 i = 0; i < run.count; i++) {
      guint32 duration = default_duration, field = 0;
      gint64 composition = 0;
      if (flags & 0x100)
        payload.u32 (&duration);
      payload.skip (((flags & 0x200) ? 4 : 0) + ((flags & 0x400) ? 4 : 0));
      if (flags & 0x800) {
        payload.u32 (&field);
        /* Signed whatever the version, as qtdemux reads it (and its
         * "no decode" value as 0). */
        gint32 offset = static_cast<gint32> (field);
        if (offset < 0 && offset != G_MININT32)
          return false; /* qtdemux shifts the whole run by the least one */
        composition = offset == G_MININT32 ? 0 : offset;
      }
      guint64 decode = **next_time;
      if (decode > G_MAXUINT64 - duration - static_cast<guint64> (composition))
        return false;
      if (gst_util_uint64_scale (decode + composition, GST_SECOND, timescale) < stop)
        *last_kept = *index;
      *next_time = decode + duration;
      (*index)++;
    }
    fragment->runs.push_back (run);
  }
  return true;
}

} // namespace

std::optional<Fmp4Cut>
fmp4_cut_at (int fd, guint64 size, guint32 timescale, guint64 stop)
{
  if (timescale == 0)
    return std::nullopt;
  std::vector<CutFragment> fragments;
  guint64 index = 0;
  std::optional<guint64> next_time, last_kept;
  for (guint64 offset = 0; offset < size;) {
    auto box = read_box_header (fd, offset, size);
    if (!box)
      return std::nullopt;
    if (box->type == fourcc ("mdat") && !fragments.empty () && fragments.back ().mdat_end == 0) {
      fragments.back ().mdat_end = offset + box->size;
    } else if (box->type == fourcc ("moof")) {
      auto moof = read_box_payload (fd, offset, *box);
      if (!moof)
        return std::nullopt;
      fragments.emplace_back ();
      if (!read_cut_fragment (*moof, offset + box->header, timescale, stop, &fragments.back (), &index, &next_time,
              &last_kept))
        return std::nullopt;
    }
    offset += box->size;
  }
  if (index == 0)
    return std::nullopt;

  Fmp4Cut cut;
  cut.keeps = last_kept.has_value ();
  cut.cuts = !last_kept || *last_kept + 1 < index;
  cut.end = size;
  if (!cut.keeps || !cut.cuts)
    return cut;
  const CutFragment *kept = nullptr;
  for (const auto &fragment : fragments) {
    if (fragment.first <= *last_kept)
      kept = &fragment;
  }
  if (!kept->mdat_end)
    return std::nullopt;
  cut.end = kept->mdat_end;
  for (const auto &run : kept->runs) {
    if (run.first > *last_kept)
      cut.patches.emplace_back (run.type_at, fourcc ("free"));
    else if (run.first + run.count > *last_kept + 1)
      cut.patches.emplace_back (run.count_at, static_cast<guint32> (*last_kept + 1 - run.first));
  }
  guint32 in_fragment = static_cast<guint32> (*last_kept + 1 - kept->first);
  for (auto at : { kept->senc_count_at, kept->saiz_count_at }) {
    if (at)
      cut.patches.emplace_back (*at, in_fragment);
  }
  return cut;
}

} // namespace gst_offline
