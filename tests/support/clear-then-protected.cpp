/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "clear-then-protected.h"

#include <gst/check/gstcheck.h>

#include <cstring>

namespace ot {

ClearThenProtected::ClearThenProtected (const gchar *clear_dir, const gchar *enc_dir, const gchar *mixed_dir,
    const gchar *data_dir, bool signalled)
{
  copy_segments (clear_dir, mixed_dir, "p0");
  copy_segments (enc_dir, mixed_dir, "p1");
  auto clear = split_period (read_text (std::string (clear_dir) + "/x.mpd"));
  auto enc = split_period (read_text (std::string (enc_dir) + "/manifest.mpd"));
  if (!signalled) {
    /* The protected Period's media are as they were (encv/enca, a pssh in
     * the init segments); its manifest says nothing of it. */
    for (size_t at; (at = enc.body.find ("<ContentProtection")) != std::string::npos;) {
      size_t tag_end = enc.body.find ('>', at);
      size_t end = enc.body[tag_end - 1] == '/' ? tag_end + 1
                                                 : enc.body.find ("</ContentProtection>", at) + strlen ("</ContentProtection>");
      enc.body.erase (at, end - at);
    }
    fail_unless (enc.head.find ("ContentProtection") == std::string::npos);
  }
  std::string mpd = enc.head + "<Period id=\"clear\" start=\"PT0S\"><BaseURL>p0/</BaseURL>" + clear.body
      + "\n<Period id=\"protected\" start=\"PT4S\"><BaseURL>p1/</BaseURL>" + enc.body + enc.tail;
  size_t duration = mpd.find ("mediaPresentationDuration=\"");
  fail_unless (duration != std::string::npos);
  size_t value = duration + strlen ("mediaPresentationDuration=\"");
  mpd.replace (value, mpd.find ('"', value) - value, "PT8S");
  write_text (std::string (mixed_dir) + "/mixed.mpd", mpd);

  g_autofree gchar *reference_video = dash_reference (clear_dir, 0);
  g_autofree gchar *reference_uri = gst_filename_to_uri (reference_video, nullptr);
  g_autofree gchar *message = nullptr;
  GPtrArray *reference = ot_decode_checksums (reference_uri, data_dir, TRUE, &message);
  fail_unless (reference != nullptr, "decoding the reference failed: %s", message);
  one_period_ = frames_of (reference, "video");
  g_ptr_array_unref (reference);
  fail_unless (!one_period_.empty ());
}

void
ClearThenProtected::assert_frames (const std::vector<Frame> &video, gint64 start, const std::string &how) const
{
  /* Both Periods' pictures from `start` on. (Their PTS are media times:
   * each Period's media starts at 0, and its segment maps that to its
   * start.) */
  std::vector<Frame> expected;
  for (gint64 shift : { gint64 (0), kPeriod }) {
    for (const Frame &f : one_period_) {
      if (f.pts + shift >= start)
        expected.push_back (f);
    }
  }
  fail_unless_equals_int (static_cast<int> (video.size ()), static_cast<int> (expected.size ()));
  for (size_t i = 0; i < video.size (); i++) {
    fail_unless (video[i].md5 == expected[i].md5, "%s: frame %zu differs", how.c_str (), i);
    fail_unless (video[i].pts == expected[i].pts, "%s: frame %zu at %" G_GINT64_FORMAT " instead of %" G_GINT64_FORMAT,
        how.c_str (), i, video[i].pts, expected[i].pts);
  }
}

}  // namespace ot
