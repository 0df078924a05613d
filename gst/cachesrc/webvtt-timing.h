/* WebVTT segments of HLS subtitle renditions, made fit for subparse.
 *
 * An HLS WebVTT segment says where its cue times lie on the media timeline
 * with an `X-TIMESTAMP-MAP=MPEGTS:<90 kHz ticks>,LOCAL:<cue time>` header;
 * subparse ignores that header and takes cue times as stream times, so the
 * cue times are rewritten to presentation time first, as hlsdemux2 does: a
 * cue at LOCAL + d is at MPEG-TS time MPEGTS + d, and the media segment of
 * the same discontinuity sequence that starts at presentation time P begins
 * with MPEG-TS (or fMP4 decode) time M, so the cue is at P + MPEGTS + d - M
 * (33-bit wrap-around allowed for).
 *
 * subparse reads one stream of lines, so segments one after the other must
 * also: end with an empty line (else the next segment's header joins the
 * last cue's text), use LF line ends (it splits at LF only), carry no BOM
 * after the first, and have cue times that do not go back.
 *
 * Pure: bytes in, bytes out, no I/O.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

#include <optional>
#include <string>
#include <string_view>

namespace gst_offline {

/* A WebVTT segment larger than this is refused (a subtitle segment is a few
 * KiB; a whole-film sidecar file a few hundred). */
inline constexpr gsize kMaxWebvttSegmentSize = 16 * 1024 * 1024;

/* The X-TIMESTAMP-MAP of a segment, in nanoseconds. */
struct WebvttTimestampMap {
  GstClockTime mpegts; /* the MPEGTS value (33 bits) as time */
  GstClockTime local;  /* the LOCAL cue time */
};

/* Where one discontinuity sequence's media timeline meets presentation
 * time: the media segment starting at `presentation` begins with the
 * MPEG-TS (or fMP4 decode) time `media`. */
struct MediaTimeMap {
  GstClockTime presentation;
  GstClockTime media;
};

/* The presentation time of media time `media_time` (ns) in the period of
 * `media`, allowing for a wrap of the 33-bit MPEG-TS clock in between;
 * negative times come out as 0, times past G_MAXINT64 (a hostile tfdt) as
 * G_MAXINT64. */
GstClockTime media_to_presentation (gint64 media_time, const MediaTimeMap &media);

/* Checks that `segment` is a WebVTT file this code can rewrite (UTF-8, no
 * NUL, a `WEBVTT` signature, at most kMaxWebvttSegmentSize bytes) and reads
 * its X-TIMESTAMP-MAP into *map (nullopt when it has none). On bad input
 * returns false with a sentence saying why in *error. */
bool webvtt_read_timestamp_map (std::string_view segment, std::optional<WebvttTimestampMap> *map,
    std::string *error);

/* The presentation time of cue time `cue` of a segment with `map`, against
 * the media's `media` map; negative times come out as 0. */
GstClockTime webvtt_presentation_time (GstClockTime cue, const WebvttTimestampMap &map, const MediaTimeMap &media);

/* The segment as subparse needs it (see above): with `map` and `media`
 * given, every cue time mapped by webvtt_presentation_time() and the
 * X-TIMESTAMP-MAP line dropped (its times no longer apply); without, cue
 * times as they are. nullopt with *error on bad input, which includes a
 * line holding "-->" that is not a well-formed cue timing line (WebVTT
 * allows "-->" nowhere else). */
std::optional<std::string> webvtt_rewrite (std::string_view segment, const std::optional<WebvttTimestampMap> &map,
    const std::optional<MediaTimeMap> &media, std::string *error);

/* The first PCR of MPEG-TS data (its 90 kHz base), nullopt if it has none.
 * tsdemux, fed in TIME, times its output from the first PCR it meets: that
 * PCR comes out at the time of the buffer holding it. So this, not the
 * first PES timestamp, is where the media timeline meets presentation time
 * when cachesrc plays a TS track. */
std::optional<GstClockTime> mpegts_first_pcr (const guint8 *data, gsize size);

/* The first timestamp of MPEG-TS data, as hlsdemux2 takes it: from the first
 * PES header that has one, its DTS, or its PTS when that is lower (by less
 * than a second) or alone. nullopt when the data holds none. */
std::optional<GstClockTime> mpegts_first_timestamp (const guint8 *data, gsize size);

/* How much of the start of MPEG-TS data tsdemux can be given for it to
 * make its program (and pads) but push nothing out: the tables that come
 * first (PAT, PMT), and at least the five packets its packetizer needs to
 * find the packet size, no PES complete among them (a PES ends at the next
 * start on its PID, or after the length its header gives). nullopt when
 * the data is not packets from its first byte on, does not begin with a
 * table, or has no such head. */
std::optional<gsize> mpegts_program_head (const guint8 *data, gsize size);

} // namespace gst_offline
