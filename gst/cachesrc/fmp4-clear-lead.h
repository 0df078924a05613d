/* A clear init segment of a protected track, presented as protected
 * content whose samples are clear (a Common Encryption "clear lead").
 *
 * A DASH track may be clear in one Period and protected in the next. After
 * a demuxer, those are two different streams (video/x-h264, then
 * application/x-cenc): nothing below qtdemux (decodebin's, parsebin's or
 * decodebin3's chains) turns an existing chain into one with a decryptor
 * when the caps of its pad change. ISO/IEC 23001-7 lets a protected track
 * hold clear samples (tenc with default_isProtected = 0, no sample
 * auxiliary information): so cachesrc gives such a track's clear Periods
 * an init segment that says so, and the track is application/x-cenc from
 * its first sample to its last, on one pad, with one stream id.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include <optional>
#include <vector>

namespace gst_offline {

/* `init` (a whole init segment: ftyp, moov, ...) with the first sample
 * entry of every video and audio trak (moov/trak/mdia/minf/stbl/stsd)
 * that is not protected renamed encv or enca and given a sinf (frma: its
 * format; schm: 'cenc' 1.0; schi/tenc: not protected, no IV, KID 0), every
 * box around it resized. nullopt when it cannot be read as such (a box
 * that overruns its parent, 64-bit or open-ended sizes on that path, no
 * moov): the caller sends it as it is. */
std::optional<std::vector<guint8>> fmp4_init_as_clear_lead (const std::vector<guint8> &init);

} // namespace gst_offline
