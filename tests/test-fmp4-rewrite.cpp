/* cachesrc's rewrites of fMP4: the clear lead of a clear init segment
 * (fmp4-clear-lead.h) and the cut of a media segment at the end of its
 * Period (fmp4_cut_at(), fmp4-timing.h), pure code compiled in (the plugin
 * exports nothing).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fmp4-clear-lead.h"
#include "fmp4-timing.h"

#include <gst/check/gstcheck.h>
#include <sys/mman.h>
#include <unistd.h>

#include <optional>
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

/* A sample of a fragment: its duration, size and composition offset. */
struct Sample {
  guint32 duration, size;
  gint32 composition;
};

constexpr guint32 kTimescale = 12800;
constexpr guint32 kFrame = 512; /* 25 frames a second */

/* Ten pictures as x264 orders them with B-frames: the display index of
 * each in decode order, shown two frames after the first is decoded. */
std::vector<Sample> reordered_pictures ()
{
  const int display[] = { 0, 3, 1, 2, 6, 4, 5, 9, 7, 8 };
  std::vector<Sample> samples;
  for (int i = 0; i < 10; i++)
    samples.push_back ({ kFrame, 100, (display[i] - i + 2) * static_cast<gint32> (kFrame) });
  return samples;
}

/* A trun with per-sample durations, sizes and composition offsets. */
Bytes trun (const std::vector<Sample> &samples)
{
  Bytes payload;
  put32 (payload, 0x000b01); /* version 0: data offset, duration, size, composition offset */
  put32 (payload, static_cast<guint32> (samples.size ()));
  put32 (payload, 0); /* data offset: not read by the cut */
  for (const auto &sample : samples) {
    put32 (payload, sample.duration);
    put32 (payload, sample.size);
    put32 (payload, static_cast<guint32> (sample.composition));
  }
  return box ("trun", payload);
}

Bytes tfhd ()
{
  Bytes payload;
  put32 (payload, 0x020000); /* default-base-is-moof */
  put32 (payload, 1);
  return box ("tfhd", payload);
}

Bytes tfdt (guint32 time)
{
  Bytes payload;
  put32 (payload, 0);
  put32 (payload, time);
  return box ("tfdt", payload);
}

/* A moof whose traf holds `children` after its tfhd, and its mdat. */
Bytes fragment (const Bytes &children, gsize data)
{
  return cat ({ box ("moof", cat ({ box ("mfhd", Bytes (8, 0)), box ("traf", cat ({ tfhd (), children })) })),
      box ("mdat", Bytes (data, 0)) });
}

/* The presentation time (ns) of display index `index` of
 * reordered_pictures() starting at decode time `tfdt`. */
guint64 shown_at (guint32 tfdt, int index)
{
  return gst_util_uint64_scale (tfdt + (index + 2) * kFrame, GST_SECOND, kTimescale);
}

std::optional<gst_offline::Fmp4Cut> cut_at (const Bytes &segment, guint64 stop)
{
  int fd = memfd_create ("segment", MFD_CLOEXEC);
  fail_unless (fd >= 0);
  fail_unless (write (fd, segment.data (), segment.size ()) == static_cast<ssize_t> (segment.size ()));
  auto cut = gst_offline::fmp4_cut_at (fd, segment.size (), kTimescale, stop);
  close (fd);
  return cut;
}

/* `segment` as cachesrc sends it cut. */
Bytes apply (const Bytes &segment, const gst_offline::Fmp4Cut &cut)
{
  Bytes out (segment.begin (), segment.begin () + cut.end);
  for (auto [at, value] : cut.patches) {
    fail_unless (at + 4 <= out.size ());
    for (int i = 0; i < 4; i++)
      out[at + i] = static_cast<guint8> (value >> (8 * (3 - i)));
  }
  return out;
}

/* The offset of the first trun of the moof at `at`. */
gsize first_trun (const Bytes &b, gsize at)
{
  return child (b, child (b, at, "traf"), "trun");
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

/* The cut keeps every picture in decode order up to the last one shown
 * before the stop: the one shown after it that earlier ones refer to stays,
 * those after it go. */
GST_START_TEST (test_cut_keeps_what_pictures_before_the_stop_refer_to)
{
  Bytes one = fragment (cat ({ tfdt (0), trun (reordered_pictures ()) }), 1000);
  Bytes two = fragment (cat ({ tfdt (10 * kFrame), trun (reordered_pictures ()) }), 1000);
  Bytes segment = cat ({ box ("styp", Bytes (8, 0)), one, two });
  const gsize moof = 16;

  /* Shown before display index 5: decode positions 0 to 5, with index 6 at
   * position 4. The second fragment is not sent. */
  auto cut = cut_at (segment, shown_at (0, 5));
  fail_unless (cut.has_value ());
  fail_unless (cut->keeps && cut->cuts);
  fail_unless_equals_int (static_cast<int> (cut->end), static_cast<int> (16 + one.size ()));
  Bytes out = apply (segment, *cut);
  fail_unless_equals_int (static_cast<int> (get32 (out, first_trun (out, moof) + 12)), 6);
  /* The rest is as it was. */
  fail_unless_equals_int (static_cast<int> (cut->patches.size ()), 1);
  boxes (out, 0, out.size ());

  /* A stop inside the second fragment: the first is sent whole. */
  cut = cut_at (segment, shown_at (10 * kFrame, 8));
  fail_unless (cut.has_value () && cut->keeps && cut->cuts);
  fail_unless_equals_int (static_cast<int> (cut->end), static_cast<int> (segment.size ()));
  out = apply (segment, *cut);
  fail_unless_equals_int (static_cast<int> (get32 (out, first_trun (out, moof) + 12)), 10);
  fail_unless_equals_int (static_cast<int> (get32 (out, first_trun (out, moof + one.size ()) + 12)), 9);

  /* A stop where index 4 is shown leaves it out (decode positions 0 to
   * 3); one 1 ns later keeps it whole (the decoder clips it). */
  cut = cut_at (segment, shown_at (0, 4));
  fail_unless (cut.has_value ());
  fail_unless_equals_int (static_cast<int> (get32 (apply (segment, *cut), first_trun (segment, moof) + 12)), 4);
  cut = cut_at (segment, shown_at (0, 4) + 1);
  fail_unless (cut.has_value ());
  fail_unless_equals_int (static_cast<int> (get32 (apply (segment, *cut), first_trun (segment, moof) + 12)), 6);

  /* Everything is shown before the stop: nothing cut. */
  cut = cut_at (segment, shown_at (10 * kFrame, 10));
  fail_unless (cut.has_value () && cut->keeps && !cut->cuts && cut->patches.empty ());
  fail_unless_equals_int (static_cast<int> (cut->end), static_cast<int> (segment.size ()));
  /* Nothing is: none of it is sent. */
  cut = cut_at (segment, shown_at (0, 0));
  fail_unless (cut.has_value () && !cut->keeps && cut->cuts);
}
GST_END_TEST;

/* A fragment with two truns and sample encryption: the trun after the cut
 * is left out (renamed free), the senc and saiz counts follow the cut. */
GST_START_TEST (test_cut_across_runs_and_sample_encryption)
{
  auto pictures = reordered_pictures ();
  std::vector<Sample> head (pictures.begin (), pictures.begin () + 5), tail (pictures.begin () + 5, pictures.end ());
  Bytes saiz, senc;
  put32 (saiz, 0);
  saiz.push_back (8); /* default sample info size */
  put32 (saiz, 10);
  put32 (senc, 0);
  put32 (senc, 10);
  for (int i = 0; i < 10; i++) {
    put32 (senc, i);
    put32 (senc, 0);
  }
  Bytes segment = fragment (cat ({ tfdt (0), box ("saiz", saiz), box ("senc", senc), trun (head), trun (tail) }), 1000);
  gsize traf = child (segment, 0, "traf");
  auto runs = boxes (segment, traf + 8, traf + get32 (segment, traf));

  /* Shown before display index 3: decode positions 0 to 3. */
  auto cut = cut_at (segment, shown_at (0, 3));
  fail_unless (cut.has_value () && cut->keeps && cut->cuts);
  Bytes out = apply (segment, *cut);
  auto after = boxes (out, traf + 8, traf + get32 (out, traf));
  fail_unless_equals_int (static_cast<int> (after.size ()), static_cast<int> (runs.size ()));
  guint32 expected[][2] = { { fourcc ("tfhd"), 0 }, { fourcc ("tfdt"), 0 }, { fourcc ("saiz"), 4 },
    { fourcc ("senc"), 4 }, { fourcc ("trun"), 4 }, { fourcc ("free"), 0 } };
  for (gsize i = 0; i < after.size (); i++) {
    fail_unless (after[i].second == expected[i][0], "box %zu", i);
    gsize count = after[i].second == fourcc ("saiz") ? 13 : after[i].second == fourcc ("senc") || after[i].second == fourcc ("trun") ? 12 : 0;
    if (count)
      fail_unless_equals_int (static_cast<int> (get32 (out, after[i].first + count)), static_cast<int> (expected[i][1]));
  }
}
GST_END_TEST;

/* What the cut cannot read so is sent whole (nullopt). */
GST_START_TEST (test_cut_refuses_what_it_cannot_read)
{
  Bytes pictures = trun (reordered_pictures ());
  guint64 stop = shown_at (0, 5);
  /* Two trafs in a moof. */
  Bytes traf = box ("traf", cat ({ tfhd (), tfdt (0), pictures }));
  fail_if (cut_at (cat ({ box ("moof", cat ({ traf, traf })), box ("mdat", Bytes (10, 0)) }), stop).has_value ());
  /* No tfdt. */
  fail_if (cut_at (fragment (pictures, 1000), stop).has_value ());
  /* A negative composition offset: qtdemux shifts the run by the least. */
  auto samples = reordered_pictures ();
  samples[3].composition = -512;
  fail_if (cut_at (fragment (cat ({ tfdt (0), trun (samples) }), 1000), stop).has_value ());
  /* No sample durations (none in the trun, no default in the tfhd). */
  Bytes bare;
  put32 (bare, 0x000200);
  put32 (bare, 2);
  put32 (bare, 10);
  put32 (bare, 10);
  fail_if (cut_at (fragment (cat ({ tfdt (0), box ("trun", bare) }), 20), stop).has_value ());
  /* More samples than the trun holds. */
  Bytes lying = pictures;
  lying[8 + 7] = 200;
  fail_if (cut_at (fragment (cat ({ tfdt (0), lying }), 1000), stop).has_value ());
  /* No mdat after the fragment cut. */
  Bytes moof_only = fragment (cat ({ tfdt (0), pictures }), 0);
  moof_only.resize (moof_only.size () - 8);
  fail_if (cut_at (moof_only, stop).has_value ());
  /* Not boxes; no samples. */
  fail_if (cut_at (Bytes (5, 1), stop).has_value ());
  fail_if (cut_at (box ("mdat", Bytes (10, 0)), stop).has_value ());
}
GST_END_TEST;

static Suite *
fmp4_rewrite_suite (void)
{
  Suite *s = suite_create ("fmp4-rewrite");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_video_and_audio_become_protected_with_clear_samples);
  tcase_add_test (tc, test_unreadable_init_segments_are_left_alone);
  tcase_add_test (tc, test_cut_keeps_what_pictures_before_the_stop_refer_to);
  tcase_add_test (tc, test_cut_across_runs_and_sample_encryption);
  tcase_add_test (tc, test_cut_refuses_what_it_cannot_read);
  return s;
}

GST_CHECK_MAIN (fmp4_rewrite);
