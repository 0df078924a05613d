/* DASH content of two Periods, the first clear and the second the same
 * media encrypted (Common Encryption), made from ffmpeg's clear output and
 * the test packager's encryption of it, and the pictures a player must
 * show of it.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "frame-checks.h"

#include <string>
#include <vector>

namespace ot {

class ClearThenProtected {
public:
  /* Writes `mixed_dir`/mixed.mpd: a clear Period (`clear_dir`'s x.mpd and
   * segments, copied under p0/) from 0 s, then a protected one
   * (`enc_dir`'s manifest.mpd and segments, under p1/) from 4 s. Unless
   * `signalled`, the protected Period's manifest says nothing of the
   * protection: its init segments alone do (encv/enca, a pssh). The
   * reference pictures are a decode of the clear media (with `data_dir`'s
   * cache setup, no network). */
  ClearThenProtected (const gchar *clear_dir, const gchar *enc_dir, const gchar *mixed_dir, const gchar *data_dir,
      bool signalled);

  /* Fails the test unless `video` are both Periods' pictures from
   * presentation time `start` on, each equal and at its time. */
  void assert_frames (const std::vector<Frame> &video, gint64 start, const std::string &how) const;

  static constexpr gint64 kPeriod = 4 * GST_SECOND;

private:
  std::vector<Frame> one_period_;
};

}  // namespace ot
