/* cachesrc's clear-lead rewrite of a clear init segment (fmp4-clear-lead.h),
 * pure code compiled in (the plugin exports nothing).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fmp4-clear-lead.h"

#include <gst/check/gstcheck.h>

#include <string>
#include <vector>

namespace {

using Bytes = std::vector<guint8>;

void put32 (Bytes &b, guint32 v)
{
  for (int s = 24; s >= 0; s -= 8)
    b.push_back (static_cast<guint8> (v >> s));
}

guint32 get32 (const Bytes &b, gsize at)
{
  return (guint32 (b[at]) << 24) | (guint32 (b[at + 1]) << 16) | (guint32 (b[at + 2]) << 8) | b[at + 3];
}

guint32 fourcc (const char *s)
{
  return (guint32 (guint8 (s[0])) << 24) | (guint32 (guint8 (s[1])) << 16) | (guint32 (guint8 (s[2])) << 8)
      | guint8 (s[3]);
}

Bytes box (const char *type, const Bytes &payload)
{
  Bytes b;
  put32 (b, static_cast<guint32> (8 + payload.size ()));
  put32 (b, fourcc (type));
  b.insert (b.end (), payload.begin (), payload.end ());
  return b;
}

Bytes cat (std::initializer_list<Bytes> parts)
{
  Bytes b;
  for (const Bytes &p : parts)
    b.insert (b.end (), p.begin (), p.end ());
  return b;
}

/* A trak whose handler is `handler`, with one sample entry `entry`
 * (`fixed` bytes of fields, then a child box). */
Bytes trak (const char *handler, const char *entry, gsize fixed)
{
  Bytes hdlr (24, 0);
  for (int i = 0; i < 4; i++)
    hdlr[8 + i] = static_cast<guint8> (handler[i]);
  Bytes sample_entry = box (entry, cat ({ Bytes (fixed, 0), box ("btrt", Bytes (12, 1)) }));
  Bytes stsd_payload;
  put32 (stsd_payload, 0);
  put32 (stsd_payload, 1);
  Bytes stsd = box ("stsd", cat ({ stsd_payload, sample_entry }));
  Bytes stbl = box ("stbl", cat ({ stsd, box ("stts", Bytes (8, 0)) }));
  Bytes minf = box ("minf", cat ({ box ("vmhd", Bytes (12, 0)), stbl }));
  Bytes mdia = box ("mdia", cat ({ box ("mdhd", Bytes (24, 0)), box ("hdlr", hdlr), minf }));
  return box ("trak", cat ({ box ("tkhd", Bytes (84, 0)), mdia }));
}

/* Every box of [from, to) at this level: its offset and type; every size
 * must fit its parent. */
std::vector<std::pair<gsize, guint32>> boxes (const Bytes &b, gsize from, gsize to)
{
  std::vector<std::pair<gsize, guint32>> found;
  while (from < to) {
    fail_unless (to - from >= 8);
    guint32 size = get32 (b, from);
    fail_unless (size >= 8 && size <= to - from, "box at %zu has size %u, %zu left", from, size, to - from);
    found.push_back ({ from, get32 (b, from + 4) });
    from += size;
  }
  return found;
}

/* The offset of the child `type` of the box at `at` (after `skip` payload bytes). */
gsize child (const Bytes &b, gsize at, const char *type, gsize skip = 0)
{
  for (auto [offset, t] : boxes (b, at + 8 + skip, at + get32 (b, at))) {
    if (t == fourcc (type))
      return offset;
  }
  ck_abort_msg ("no %s", type);
  return 0;
}

/* The first sample entry of the trak at `at`. */
gsize sample_entry (const Bytes &b, gsize at)
{
  gsize stbl = child (b, child (b, child (b, at, "mdia"), "minf"), "stbl");
  gsize stsd = child (b, stbl, "stsd");
  return boxes (b, stsd + 16, stsd + get32 (b, stsd)).at (0).first;
}

} // namespace

GST_START_TEST (test_video_and_audio_become_protected_with_clear_samples)
{
  Bytes moov = box ("moov", cat ({ box ("mvhd", Bytes (100, 0)), trak ("vide", "avc1", 78), trak ("soun", "mp4a", 28),
                                 trak ("text", "wvtt", 8) }));
  Bytes init = cat ({ box ("ftyp", Bytes (8, 0)), moov, box ("free", Bytes (3, 7)) });
  auto out = gst_offline::fmp4_init_as_clear_lead (init);
  fail_unless (out.has_value ());
  const Bytes &b = *out;
  /* One sinf (80 bytes) for each of the video and audio entries. */
  fail_unless_equals_int (static_cast<int> (b.size ()), static_cast<int> (init.size () + 2 * 80));
  auto top = boxes (b, 0, b.size ());
  fail_unless_equals_int (static_cast<int> (top.size ()), 3);
  fail_unless (top[1].second == fourcc ("moov") && top[2].second == fourcc ("free"));
  auto traks = boxes (b, top[1].first + 8, top[1].first + get32 (b, top[1].first));
  const char *expected[][2] = { { "encv", "avc1" }, { "enca", "mp4a" } };
  for (int i = 0; i < 2; i++) {
    gsize entry = sample_entry (b, traks[i + 1].first);
    fail_unless (get32 (b, entry + 4) == fourcc (expected[i][0]), "trak %d: entry not %s", i, expected[i][0]);
    gsize fixed = i == 0 ? 78 : 28;
    gsize sinf = child (b, entry, "sinf", fixed);
    fail_unless (get32 (b, child (b, sinf, "frma") + 8) == fourcc (expected[i][1]));
    gsize schm = child (b, sinf, "schm");
    fail_unless (get32 (b, schm + 12) == fourcc ("cenc"));
    gsize tenc = child (b, child (b, sinf, "schi"), "tenc");
    fail_unless_equals_int (b[tenc + 14], 0); /* default_isProtected */
    fail_unless_equals_int (b[tenc + 15], 0); /* default_Per_Sample_IV_Size */
    child (b, entry, "btrt", fixed); /* its own children stay */
  }
  /* A text track is left as it is. */
  fail_unless (get32 (b, sample_entry (b, traks[3].first) + 4) == fourcc ("wvtt"));

  /* Already protected: nothing added. */
  auto again = gst_offline::fmp4_init_as_clear_lead (b);
  fail_unless (again.has_value () && *again == b);
}
GST_END_TEST;

GST_START_TEST (test_unreadable_init_segments_are_left_alone)
{
  Bytes moov = box ("moov", trak ("vide", "avc1", 78));
  /* No moov. */
  fail_if (gst_offline::fmp4_init_as_clear_lead (box ("ftyp", Bytes (8, 0))).has_value ());
  /* A box that overruns its parent. */
  Bytes bad = moov;
  bad[8 + 3] = 0xff;
  fail_if (gst_offline::fmp4_init_as_clear_lead (bad).has_value ());
  /* Truncated. */
  Bytes cut (moov.begin (), moov.end () - 5);
  fail_if (gst_offline::fmp4_init_as_clear_lead (cut).has_value ());
  /* A 64-bit size on the path. */
  Bytes large;
  put32 (large, 1);
  put32 (large, fourcc ("moov"));
  put32 (large, 0);
  put32 (large, 16);
  fail_if (gst_offline::fmp4_init_as_clear_lead (large).has_value ());
  fail_if (gst_offline::fmp4_init_as_clear_lead (Bytes ()).has_value ());
}
GST_END_TEST;

static Suite *
fmp4_clear_lead_suite (void)
{
  Suite *s = suite_create ("fmp4-clear-lead");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_video_and_audio_become_protected_with_clear_samples);
  tcase_add_test (tc, test_unreadable_init_segments_are_left_alone);
  return s;
}

GST_CHECK_MAIN (fmp4_clear_lead);
