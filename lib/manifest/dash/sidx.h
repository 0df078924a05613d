/* The 'sidx' box (ISO/IEC 14496-12 8.16.3) of a SegmentBase Representation:
 * the byte ranges and durations of its subsegments. Pure: bytes in.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "manifest/dash/segment-index.h"

#include <glib.h>

#include <optional>
#include <vector>

namespace gst_offline {
namespace dash {

struct SidxReference {
  guint32 referenced_size = 0;
  guint32 subsegment_duration = 0;
  bool starts_with_sap = false;
};

struct Sidx {
  guint32 timescale = 0;
  guint64 earliest_presentation_time = 0;
  guint64 first_offset = 0;
  std::vector<SidxReference> references;
  /* Offset, in the bytes parsed, of the first byte after the box: the anchor
   * that first_offset counts from. */
  gsize end_offset = 0;
};

/* Finds the first 'sidx' box in `data` (other top-level boxes before it are
 * skipped) and reads it, version 0 or 1. A truncated or inconsistent box is
 * INVALID_ARGUMENT; a reference to another sidx (a hierarchical index) is
 * UNSUPPORTED. */
std::optional<Sidx> parse_sidx (const guint8 *data, gsize size, GError **error);

/* For an index from expand_segments() with `sidx` set: parses the bytes of
 * that range and fills `index.media` with one segment per reference, byte
 * ranges counted from the end of the box plus first_offset. */
bool add_sidx_segments (SegmentIndex &index, const guint8 *data, gsize size, GError **error);

}  // namespace dash
}  // namespace gst_offline
