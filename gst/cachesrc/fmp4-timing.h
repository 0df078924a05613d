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
#include <utility>
#include <vector>

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

/* A media segment cut at a stop: the samples shown from the stop on left
 * out, as far as decoding the earlier ones allows. */
struct Fmp4Cut {
  /* Whether it holds a sample shown before the stop (else none of it is
   * sent) and one left out (else it is sent as it is). */
  bool keeps = false;
  bool cuts = false;
  /* The bytes sent: up to the end of the mdat that follows the fragment
   * holding the last sample kept. */
  guint64 end = 0;
  /* 32-bit big-endian fields to write over the file's: trun, senc and saiz
   * sample counts, and the type of a trun left out whole ('free'). */
  std::vector<std::pair<guint64, guint32>> patches;
};

/* Where the media segment held in file `fd` of `size` bytes (one traf per
 * moof) is cut for a stop at `stop` ns of media time (its samples timed as
 * qtdemux times them: decode time from the tfdt on, plus the composition
 * offset, at `timescale`): every sample in decode order up to the last one
 * shown before the stop is kept — the pictures shown after the stop that
 * earlier ones refer to come before it in decode order — and none after
 * it. nullopt when the segment cannot be read so (several trafs in a moof,
 * no tfdt or sample durations, negative composition offsets, boxes over
 * 8 MiB): the caller sends it whole. */
std::optional<Fmp4Cut> fmp4_cut_at (int fd, guint64 size, guint32 timescale, guint64 stop);

} // namespace gst_offline
