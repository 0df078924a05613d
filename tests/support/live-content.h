/* What a live origin (live-origin.h) publishes, made by ffmpeg at test
 * time: VOD HLS tracks of 1 s MPEG-TS segments that the origin makes live.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include <string>
#include <vector>

namespace ot {

/* How long the content lasts: the origin publishes it one segment a second. */
constexpr guint kLiveClipSeconds = 24;

/* ffmpeg's hls muxer in `dir`: kLiveClipSeconds of H.264 320x240 at 25 fps,
 * a keyframe every second, in 1 s segments seg0.ts, seg1.ts, ... and a VOD
 * index.m3u8. */
void make_live_video (const std::string &dir);
/* The same length of a `frequency` Hz sine (beeping), AAC in 1 s segments:
 * two languages of a stream are two frequencies. */
void make_live_audio (const std::string &dir, guint frequency = 440);

/* An audio rendition of a live master playlist: served at /`track`/. */
struct LiveRendition {
  std::string track;
  std::string name;
  std::string language; /* LANGUAGE, as the packager wrote it ("en", "eng") */
  bool main = false;     /* DEFAULT=YES */
};
/* A master playlist of the video at /video/index.m3u8 (H.264 320x240) and
 * `audio` in one AUDIO group. */
std::string live_master_playlist (const std::vector<LiveRendition> &audio);

}  // namespace ot
