/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "manifest/dash/sidx.h"

#include <gst/gst.h>
#include <gst/offline/offline-error.h>

#include "util/big-endian.h"

#include <cstring>
#include <string>

namespace gst_offline {
namespace dash {

namespace {

bool fail (GError **error, const std::string &what, GstOfflineError code = GST_OFFLINE_ERROR_INVALID_ARGUMENT)
{
  g_set_error (error, GST_OFFLINE_ERROR, code, "%s sidx box: %s",
      code == GST_OFFLINE_ERROR_UNSUPPORTED ? "unsupported" : "invalid", what.c_str ());
  return false;
}

/* Big-endian reads within [data, data + size); `pos` moves on. */
class Reader {
 public:
  Reader (const guint8 *data, gsize size) : data_ (data), size_ (size) {}
  bool has (gsize n) const { return size_ - pos_ >= n; }
  gsize pos () const { return pos_; }
  guint32 u32 ()
  {
    guint32 v = read_u32_be (data_ + pos_);
    pos_ += 4;
    return v;
  }
  guint64 u64 ()
  {
    guint64 v = read_u64_be (data_ + pos_);
    pos_ += 8;
    return v;
  }
  guint16 u16 ()
  {
    guint16 v = read_u16_be (data_ + pos_);
    pos_ += 2;
    return v;
  }

 private:
  const guint8 *data_;
  gsize size_;
  gsize pos_ = 0;
};

}  // namespace

std::optional<Sidx> parse_sidx (const guint8 *data, gsize size, GError **error)
{
  gsize offset = 0;
  while (true) {
    if (size - offset < 8) {
      fail (error, "no 'sidx' box in the " + std::to_string (size) + " bytes of the index range");
      return std::nullopt;
    }
    const guint8 *box = data + offset;
    guint64 box_size = read_u32_be (box);
    gsize header = 8;
    if (box_size == 1) {
      if (size - offset < 16) {
        fail (error, "a box header is truncated");
        return std::nullopt;
      }
      box_size = read_u64_be (box + 8);
      header = 16;
    } else if (box_size == 0) {
      box_size = size - offset;
    }
    if (box_size < header) {
      fail (error, "a box has the impossible size " + std::to_string (box_size));
      return std::nullopt;
    }
    if (std::memcmp (box + 4, "sidx", 4) != 0) {
      if (box_size > size - offset) {
        fail (error, "no 'sidx' box before the end of the index range");
        return std::nullopt;
      }
      offset += box_size;
      continue;
    }
    if (box_size > size - offset) {
      fail (error, "the box is " + std::to_string (box_size) + " bytes but only "
          + std::to_string (size - offset) + " were given (truncated)");
      return std::nullopt;
    }

    Reader r (box + header, box_size - header);
    Sidx sidx;
    if (!r.has (12)) {
      fail (error, "the box is truncated");
      return std::nullopt;
    }
    guint32 version_flags = r.u32 ();
    guint version = version_flags >> 24;
    if (version > 1) {
      fail (error, "version " + std::to_string (version) + " is unknown", GST_OFFLINE_ERROR_UNSUPPORTED);
      return std::nullopt;
    }
    r.u32 ();  /* reference_ID */
    sidx.timescale = r.u32 ();
    if (sidx.timescale == 0) {
      fail (error, "the timescale is 0");
      return std::nullopt;
    }
    if (!r.has (version == 0 ? 12 : 20)) {
      fail (error, "the box is truncated");
      return std::nullopt;
    }
    if (version == 0) {
      sidx.earliest_presentation_time = r.u32 ();
      sidx.first_offset = r.u32 ();
    } else {
      sidx.earliest_presentation_time = r.u64 ();
      sidx.first_offset = r.u64 ();
    }
    r.u16 ();  /* reserved */
    guint16 count = r.u16 ();
    if (!r.has (static_cast<gsize> (count) * 12)) {
      fail (error, std::to_string (count) + " references do not fit in the box (truncated)");
      return std::nullopt;
    }
    sidx.references.reserve (count);
    for (guint i = 0; i < count; i++) {
      guint32 type_size = r.u32 ();
      SidxReference ref;
      ref.subsegment_duration = r.u32 ();
      guint32 sap = r.u32 ();
      if (type_size & 0x80000000u) {
        fail (error, "reference " + std::to_string (i) + " points to another sidx (hierarchical indexes "
            "are not supported)", GST_OFFLINE_ERROR_UNSUPPORTED);
        return std::nullopt;
      }
      ref.referenced_size = type_size & 0x7fffffffu;
      if (ref.referenced_size == 0) {
        fail (error, "reference " + std::to_string (i) + " has size 0");
        return std::nullopt;
      }
      ref.starts_with_sap = (sap & 0x80000000u) != 0;
      sidx.references.push_back (ref);
    }
    sidx.end_offset = offset + box_size;
    return sidx;
  }
}

bool add_sidx_segments (SegmentIndex &index, const guint8 *data, gsize size, GError **error)
{
  if (!index.sidx)
    return fail (error, "the segment index does not come from a sidx");
  auto sidx = parse_sidx (data, size, error);
  if (!sidx)
    return false;
  const std::string &url = index.sidx->url;
  guint64 anchor = index.sidx->range.first;
  if (sidx->end_offset > G_MAXUINT64 - anchor || sidx->first_offset > G_MAXUINT64 - anchor - sidx->end_offset)
    return fail (error, "first_offset overflows");
  guint64 offset = anchor + sidx->end_offset + sidx->first_offset;
  guint64 time = sidx->earliest_presentation_time;
  guint64 pto_ns = gst_util_uint64_scale (index.presentation_time_offset, GST_SECOND, index.timescale);
  std::vector<MediaSegment> media;
  media.reserve (sidx->references.size ());
  for (const auto &ref : sidx->references) {
    if (ref.referenced_size > G_MAXUINT64 - offset || ref.subsegment_duration > G_MAXUINT64 - time)
      return fail (error, "subsegment offsets or times overflow");
    guint64 time_ns = gst_util_uint64_scale (time, GST_SECOND, sidx->timescale);
    guint64 duration_ns = gst_util_uint64_scale (ref.subsegment_duration, GST_SECOND, sidx->timescale);
    if (time_ns >= static_cast<guint64> (G_MAXINT64) || pto_ns >= static_cast<guint64> (G_MAXINT64))
      return fail (error, "subsegment times are too large to represent");
    MediaSegment segment;
    segment.url = url;
    segment.range = ByteRange { offset, offset + ref.referenced_size - 1 };
    segment.number = media.size () + 1;
    segment.time = time;
    segment.duration = ref.subsegment_duration;
    segment.timescale = sidx->timescale;
    segment.start_ns = static_cast<gint64> (time_ns) - static_cast<gint64> (pto_ns);
    segment.duration_ns = duration_ns;
    media.push_back (std::move (segment));
    offset += ref.referenced_size;
    time += ref.subsegment_duration;
  }
  index.media = std::move (media);
  return true;
}

}  // namespace dash
}  // namespace gst_offline
