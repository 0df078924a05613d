/* Unit tests of cachesrc's WebVTT rewriting (gst/cachesrc/webvtt-timing):
 * X-TIMESTAMP-MAP cue mapping, the normalisation subparse needs, hostile
 * input, and the first PCR and timestamp of MPEG-TS data.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>

#include "webvtt-timing.h"

#include <string>
#include <vector>

using namespace gst_offline;

namespace {

constexpr GstClockTime kFirstPts = 1400 * GST_MSECOND; /* ffmpeg's usual 126000 ticks */

std::string
rewrite_or_fail (const std::string &in, const std::optional<MediaTimeMap> &media)
{
  std::optional<WebvttTimestampMap> map;
  std::string error;
  fail_unless (webvtt_read_timestamp_map (in, &map, &error), "refused: %s", error.c_str ());
  auto out = webvtt_rewrite (in, map, media, &error);
  fail_unless (out.has_value (), "refused: %s", error.c_str ());
  return *out;
}

void
expect_rewrite (const std::string &in, const std::optional<MediaTimeMap> &media, const std::string &expected)
{
  std::string out = rewrite_or_fail (in, media);
  fail_unless (out == expected, "rewrote\n%s\ninto\n%s\nexpected\n%s", in.c_str (), out.c_str (), expected.c_str ());
}

/* The error for `in`, which must be refused by both functions. */
std::string
refusal (const std::string &in)
{
  std::optional<WebvttTimestampMap> map;
  std::string error, rewrite_error;
  bool read = webvtt_read_timestamp_map (in, &map, &error);
  auto out = webvtt_rewrite (in, map, MediaTimeMap { 0, kFirstPts }, &rewrite_error);
  fail_unless (!out.has_value (), "accepted: %s", in.c_str ());
  fail_unless (!rewrite_error.empty ());
  return read ? rewrite_error : error;
}

/* A TS packet holding the start of a PES with a PTS (and a DTS). */
std::string
pes_packet (guint16 pid, guint64 pts, std::optional<guint64> dts)
{
  std::string p (188, '\xff');
  p[0] = 0x47;
  p[1] = static_cast<char> (0x40 | (pid >> 8));
  p[2] = static_cast<char> (pid & 0xff);
  p[3] = 0x10;
  std::string pes = { 0, 0, 1, static_cast<char> (0xe0), 0, 0, static_cast<char> (0x80),
    static_cast<char> (dts ? 0xc0 : 0x80), static_cast<char> (dts ? 10 : 5) };
  auto ts = [] (guint8 prefix, guint64 t) {
    return std::string { static_cast<char> ((prefix << 4) | ((t >> 29) & 0xe) | 1), static_cast<char> (t >> 22),
      static_cast<char> (((t >> 14) & 0xfe) | 1), static_cast<char> (t >> 7), static_cast<char> (((t << 1) & 0xfe) | 1) };
  };
  pes += ts (dts ? 3 : 2, pts);
  if (dts)
    pes += ts (1, *dts);
  p.replace (4, pes.size (), pes);
  return p;
}

/* A TS packet whose adaptation field carries PCR base `base`. */
std::string
pcr_packet (guint64 base)
{
  std::string p (188, '\xff');
  const char head[] = { 0x47, 0x01, 0x00, 0x20, 7, 0x10, static_cast<char> (base >> 25), static_cast<char> (base >> 17),
    static_cast<char> (base >> 9), static_cast<char> (base >> 1), static_cast<char> (((base & 1) << 7) | 0x7e), 0 };
  p.replace (0, sizeof head, head, sizeof head);
  return p;
}

std::string
pat_packet ()
{
  std::string p (188, '\xff');
  const char head[] = { 0x47, 0x40, 0x00, 0x10, 0x00, 0x00, static_cast<char> (0xb0), 0x0d };
  p.replace (0, sizeof head, head, sizeof head);
  return p;
}

/* A TS packet continuing the PES of `pid` (no unit start, all payload). */
std::string
payload_packet (guint16 pid)
{
  std::string p (188, '\x55');
  p[0] = 0x47;
  p[1] = static_cast<char> (pid >> 8);
  p[2] = static_cast<char> (pid & 0xff);
  p[3] = 0x10;
  return p;
}

/* `packet` (from pes_packet()) with PES_packet_length `length`. */
std::string
with_pes_length (std::string packet, guint16 length)
{
  packet[8] = static_cast<char> (length >> 8);
  packet[9] = static_cast<char> (length & 0xff);
  return packet;
}

std::optional<gsize>
program_head (const std::string &ts)
{
  return mpegts_program_head (reinterpret_cast<const guint8 *> (ts.data ()), ts.size ());
}

} // namespace

/* ffmpeg's layout: MPEGTS:126000 is LOCAL 0, the media starts at 1.4 s on
 * the MPEG-TS clock and at 0 (or 10 s, a later segment) in presentation. */
GST_START_TEST (test_maps_cues_to_presentation_time)
{
  std::string in = "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00.000\n\n"
                   "1\n00:00:02.000 --> 00:00:03.500 align:start line:0\nHello\n\n"
                   "00:04.250 --> 00:05.000\nmm:ss form\n";
  expect_rewrite (in, MediaTimeMap { 0, kFirstPts },
      "WEBVTT\n\n1\n00:00:02.000 --> 00:00:03.500 align:start line:0\nHello\n\n"
      "00:00:04.250 --> 00:00:05.000\nmm:ss form\n\n");
  /* A period at presentation 10 s whose MPEG-TS clock starts at 1.4 s again. */
  expect_rewrite (in, MediaTimeMap { 10 * GST_SECOND, kFirstPts },
      "WEBVTT\n\n1\n00:00:12.000 --> 00:00:13.500 align:start line:0\nHello\n\n"
      "00:00:14.250 --> 00:00:15.000\nmm:ss form\n\n");
  /* LOCAL first, spaces, a cue before the media's start comes out at 0. */
  std::string local_first = "WEBVTT\nX-TIMESTAMP-MAP=LOCAL:00:00:10.000, MPEGTS:900000\n\n"
                            "00:00:10.500 --> 00:00:11.000\nA\n\n00:00:00.000 --> 00:00:01.000\nB\n\n";
  expect_rewrite (local_first, MediaTimeMap { 0, kFirstPts },
      "WEBVTT\n\n00:00:09.100 --> 00:00:09.600\nA\n\n00:00:00.000 --> 00:00:00.000\nB\n\n");
  /* Hours beyond 99 (the map is 26.5 hours of the MPEG-TS clock: 123 hours
   * wrap, as a 33-bit clock does). */
  std::string late = "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n\n123:00:00.001 --> 123:00:01.000\nC\n";
  expect_rewrite (late, MediaTimeMap { 0, 0 }, "WEBVTT\n\n96:29:16.283 --> 96:29:17.282\nC\n\n");
  expect_rewrite ("WEBVTT\n\n123:00:00.001 --> 123:00:01.000\nC\n", MediaTimeMap { 0, 0 },
      "WEBVTT\n\n123:00:00.001 --> 123:00:01.000\nC\n\n");
}
GST_END_TEST;

/* The MPEG-TS clock has 33 bits: a map just before the wrap and media just
 * after it (or the other way round) are a few seconds apart, not 26 hours. */
GST_START_TEST (test_wraparound)
{
  const guint64 wrap = G_GUINT64_CONSTANT (1) << 33;
  WebvttTimestampMap before_wrap { gst_util_uint64_scale (wrap - 90000, GST_SECOND, 90000), 0 };
  MediaTimeMap after_wrap { 5 * GST_SECOND, GST_SECOND };
  fail_unless_equals_uint64 (webvtt_presentation_time (3 * GST_SECOND, before_wrap, after_wrap), 6 * GST_SECOND);
  WebvttTimestampMap after { GST_SECOND, 0 };
  MediaTimeMap before { 5 * GST_SECOND, gst_util_uint64_scale (wrap - 90000, GST_SECOND, 90000) };
  fail_unless_equals_uint64 (webvtt_presentation_time (0, after, before), 7 * GST_SECOND);
  /* An MPEGTS value past 33 bits is taken modulo the wrap. */
  std::string in = "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:" + std::to_string (wrap + 126000)
      + ",LOCAL:00:00:00.000\n\n00:00:01.000 --> 00:00:02.000\nX\n";
  expect_rewrite (in, MediaTimeMap { 0, kFirstPts },
      "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nX\n\n");
}
GST_END_TEST;

/* A tfdt scaled to nanoseconds or a period start anywhere in 64 bits (the
 * server chooses them) saturates instead of overflowing (UBSan found the
 * signed overflow). */
GST_START_TEST (test_extreme_times)
{
  fail_unless_equals_uint64 (media_to_presentation (G_MAXINT64, MediaTimeMap { G_MAXINT64, 0 }), G_MAXINT64);
  fail_unless_equals_uint64 (media_to_presentation (G_MAXINT64, MediaTimeMap { G_MAXUINT64 - 1, 0 }), G_MAXINT64);
  fail_unless_equals_uint64 (media_to_presentation (G_MININT64, MediaTimeMap { 0, G_MAXUINT64 }), 0);
  fail_unless_equals_uint64 (media_to_presentation (0, MediaTimeMap { 0, G_MAXUINT64 }), 0);
  fail_unless_equals_uint64 (media_to_presentation (G_MININT64, MediaTimeMap { GST_SECOND, G_MAXINT64 }), 0);
  /* Ordinary values still map exactly. */
  fail_unless_equals_uint64 (media_to_presentation (3 * GST_SECOND, MediaTimeMap { 10 * GST_SECOND, GST_SECOND }),
      12 * GST_SECOND);
}
GST_END_TEST;

/* Without a map (a DASH sidecar, HLS without X-TIMESTAMP-MAP) or without a
 * media map (subtitles alone) the times stay; the text is still made fit
 * for subparse: BOM gone, LF ends, an empty line at the end. */
GST_START_TEST (test_normalises_without_mapping)
{
  std::string in = "\xEF\xBB\xBFWEBVTT - title\r\n\r\nNOTE a note\r\n\r\n00:01.000 --> 00:02.000\rline one\rline two";
  expect_rewrite (in, MediaTimeMap { 0, kFirstPts },
      "WEBVTT - title\n\nNOTE a note\n\n00:00:01.000 --> 00:00:02.000\nline one\nline two\n\n");
  std::string mapped = "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00.000\n\n00:00:01.000 --> 00:00:02.000\nY\n\n";
  /* A map but no media: times and the header stay. */
  expect_rewrite (mapped, std::nullopt, mapped.c_str ());
  expect_rewrite ("WEBVTT", std::nullopt, "WEBVTT\n\n");
}
GST_END_TEST;

/* Hostile input: a clear reason, never a crash or a half-rewritten file. */
GST_START_TEST (test_refuses_bad_input)
{
  struct Case {
    std::string input;
    const char *reason;
  };
  const std::vector<Case> cases = {
    { "", "does not start with 'WEBVTT'" },
    { "<html>404</html>", "does not start with 'WEBVTT'" },
    { "WEBVTTX\n", "does not start with 'WEBVTT'" },
    { std::string ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\xff\xfe\n"), "not UTF-8" },
    { std::string ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nA\0B\n", 42), "not UTF-8" },
    { "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:abc,LOCAL:00:00:00.000\n", "line 2: malformed X-TIMESTAMP-MAP" },
    { "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:1\n", "line 2: malformed X-TIMESTAMP-MAP" },
    { "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:1,MPEGTS:2\n", "line 2: malformed X-TIMESTAMP-MAP" },
    { "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:1,LOCAL:00:00:00.000 junk\n", "line 2: malformed X-TIMESTAMP-MAP" },
    { "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:99999999999999999999,LOCAL:00:00:00.000\n", "malformed X-TIMESTAMP-MAP" },
    { "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:1,LOCAL:00:00:00.000\nX-TIMESTAMP-MAP=MPEGTS:2,LOCAL:00:00:00.000\n",
        "line 3: a second X-TIMESTAMP-MAP" },
    { "WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nA\n00:00:01.000 --> soon\n", "line 5: malformed cue timing" },
    { "WEBVTT\n\n00:00:61.000 --> 00:01:02.000\n", "line 3: malformed cue timing" },
    { "WEBVTT\n\n00:00:01.0000 --> 00:00:02.000\n", "line 3: malformed cue timing" },
    { "WEBVTT\n\n0:00:01.000 --> 00:00:02.000\n", "line 3: malformed cue timing" },
    { "WEBVTT\n\n99999999:00:01.000 --> 99999999:00:02.000\n", "line 3: malformed cue timing" },
    { "WEBVTT\n\n00:00:01.000 --> 00:00:02.000align:start\n", "line 3: malformed cue timing" },
    { "WEBVTT\n00:00:01.000 --> 00:00:02.000\nA\n", "line 2: a cue timing in the header" },
    { "WEBVTT\n\n" + std::string (kMaxWebvttSegmentSize, 'a'), "larger than" },
  };
  for (const auto &c : cases) {
    std::string error = refusal (c.input);
    fail_unless (error.find (c.reason) != std::string::npos, "input '%.40s': '%s' lacks '%s'", c.input.c_str (),
        error.c_str (), c.reason);
  }
}
GST_END_TEST;

GST_START_TEST (test_mpegts_first_timestamp)
{
  /* PAT, then a video PES with PTS 1.48 s and DTS 1.4 s: the DTS. */
  std::string ts = pat_packet () + pes_packet (0x100, 133200, 126000) + pes_packet (0x101, 1000, std::nullopt);
  auto data = reinterpret_cast<const guint8 *> (ts.data ());
  auto found = mpegts_first_timestamp (data, ts.size ());
  fail_unless (found.has_value ());
  fail_unless_equals_uint64 (*found, kFirstPts);
  /* A PTS just below the DTS (by less than a second) wins. */
  std::string low = pes_packet (0x100, 125100, 126000);
  found = mpegts_first_timestamp (reinterpret_cast<const guint8 *> (low.data ()), low.size ());
  fail_unless (found.has_value () && *found == 1390 * GST_MSECOND);
  /* Leading junk before sync; PTS only. */
  std::string junk = "garbage" + pes_packet (0x101, 900000, std::nullopt) + pes_packet (0x100, 1, std::nullopt);
  found = mpegts_first_timestamp (reinterpret_cast<const guint8 *> (junk.data ()), junk.size ());
  fail_unless (found.has_value () && *found == 10 * GST_SECOND);
  /* Nothing to find: no PES, lost sync, short data, nothing. */
  std::string pat = pat_packet () + pat_packet ();
  fail_if (mpegts_first_timestamp (reinterpret_cast<const guint8 *> (pat.data ()), pat.size ()).has_value ());
  std::string lost = pat_packet () + pat_packet () + "x" + pes_packet (0x100, 1, std::nullopt);
  fail_if (mpegts_first_timestamp (reinterpret_cast<const guint8 *> (lost.data ()), lost.size ()).has_value ());
  fail_if (mpegts_first_timestamp (data, 100).has_value ());
  fail_if (mpegts_first_timestamp (nullptr, 0).has_value ());
}
GST_END_TEST;

/* The first PCR, wherever the first PES is. */
GST_START_TEST (test_mpegts_first_pcr)
{
  std::string ts = pat_packet () + pes_packet (0x100, 126000, std::nullopt) + pcr_packet (63001) + pcr_packet (99);
  auto found = mpegts_first_pcr (reinterpret_cast<const guint8 *> (ts.data ()), ts.size ());
  fail_unless (found.has_value ());
  fail_unless_equals_uint64 (*found, gst_util_uint64_scale (63001, GST_SECOND, 90000));
  std::string none = pat_packet () + pes_packet (0x100, 126000, std::nullopt);
  fail_if (mpegts_first_pcr (reinterpret_cast<const guint8 *> (none.data ()), none.size ()).has_value ());
  /* A PCR after lost sync does not count. */
  std::string lost = pat_packet () + pat_packet () + "x" + pcr_packet (5);
  fail_if (mpegts_first_pcr (reinterpret_cast<const guint8 *> (lost.data ()), lost.size ()).has_value ());
}
GST_END_TEST;

/* The head cachesrc gives tsdemux before the stream collection: the tables
 * and the five packets tsdemux needs to find the packet size, with no PES
 * complete in them. */
GST_START_TEST (test_mpegts_program_head)
{
  std::string pes = pes_packet (0x100, 126000, std::nullopt), more = payload_packet (0x100);
  /* ffmpeg's start: tables, then an unbounded (video) PES. */
  std::string ts = pat_packet () + pat_packet () + pes + more + more + more + pes;
  auto head = program_head (ts);
  fail_unless (head.has_value ());
  fail_unless_equals_uint64 (*head, 5 * 188);
  /* Tables longer than five packets: all of them and the first PES packet. */
  std::string tables;
  for (int i = 0; i < 6; i++)
    tables += pat_packet ();
  head = program_head (tables + pes + more);
  fail_unless (head.has_value ());
  fail_unless_equals_uint64 (*head, 7 * 188);
  /* A PES whose length ends it within the head; a second start on its PID. */
  std::string audio = with_pes_length (pes, 2000);
  fail_unless (program_head (pat_packet () + pat_packet () + audio + more + more + more).has_value ());
  fail_if (program_head (pat_packet () + pat_packet () + with_pes_length (pes, 200) + more + more).has_value ());
  fail_if (program_head (pat_packet () + pes + pes + more + more).has_value ());
  /* Another PID's start is no end of this one. */
  fail_unless (program_head (pat_packet () + pes + pes_packet (0x101, 1, std::nullopt) + more + more).has_value ());
  /* No table first, too short, not packets. */
  fail_if (program_head (pes + more + more + more + more + more).has_value ());
  fail_if (program_head (pat_packet () + pat_packet () + pes).has_value ());
  fail_if (program_head (tables).has_value ());
  fail_if (program_head ("x" + ts).has_value ());
  fail_if (mpegts_program_head (nullptr, 0).has_value ());
}
GST_END_TEST;

static Suite *
webvtt_timing_suite (void)
{
  Suite *s = suite_create ("webvtt-timing");
  TCase *tc = tcase_create ("webvtt");
  tcase_add_test (tc, test_maps_cues_to_presentation_time);
  tcase_add_test (tc, test_wraparound);
  tcase_add_test (tc, test_extreme_times);
  tcase_add_test (tc, test_normalises_without_mapping);
  tcase_add_test (tc, test_refuses_bad_input);
  tcase_add_test (tc, test_mpegts_first_timestamp);
  tcase_add_test (tc, test_mpegts_first_pcr);
  tcase_add_test (tc, test_mpegts_program_head);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (webvtt_timing);
