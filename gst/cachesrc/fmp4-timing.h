/* What cachesrc reads from fragmented MP4 segments: qtdemux
 * timestamps fragments by their 'tfdt' (media time) rather than by the
 * buffer PTS, so the TIME segments cachesrc sends must map media time to
 * presentation time, and that needs the first decode time of a fragment and
 * the track's timescale; and whether a track is protected, which decides
 * its stream id at a change of Period.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include <optional>

namespace gst_offline {

/* The timescale of the first track (moov/trak/mdia/mdhd) of an init segment
 * held in file `fd` of `size` bytes. */
std::optional<guint32> fmp4_track_timescale (int fd, guint64 size);

/* Whether the first track of an init segment held in file `fd` of `size`
 * bytes is protected (Common Encryption: its first sample entry is encv,
 * enca, enct or encs); nullopt if it has no sample description. */
std::optional<bool> fmp4_track_protected (int fd, guint64 size);

/* The base media decode time (moof/traf/tfdt) of the first fragment of a
 * media segment held in file `fd` of `size` bytes, in timescale ticks. */
std::optional<guint64> fmp4_first_decode_time (int fd, guint64 size);

/* The composition time offset (moof/traf/trun) of the first sample of a
 * media segment held in file `fd` of `size` bytes, in timescale ticks: how
 * much later than it is decoded the segment's first picture is shown (its
 * earliest presentation time, which the MPD's times are, less its tfdt);
 * 0 when the trun has none, nullopt without a trun or a sample. */
std::optional<gint64> fmp4_first_composition_offset (int fd, guint64 size);

} // namespace gst_offline
