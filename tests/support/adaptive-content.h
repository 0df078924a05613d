/* Adaptive streams made by ffmpeg at test time, served from the test's
 * HTTP server, and the CLI run on them: what the DASH and Smooth Streaming
 * tests share.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "test-support.h"

#include <string>
#include <vector>

namespace ot {

/* Runs ffmpeg with `args` (after its program name) in `dir`; fails the test
 * with ffmpeg's stderr if it fails. */
void run_ffmpeg (const char *dir, const std::vector<const char *> &args);

/* Encodes 6 s of a test pattern at 25 fps (H.264, a keyframe every second)
 * and a 440 Hz sine (AAC, 44.1 kHz) in `dir` with `output` (muxer options
 * and the output path): video streams 320x180 at 200 kbit/s and 640x360 at
 * 800 kbit/s, or with `one_video` only the 640x360 one; then the audio. */
void make_ladder (const char *dir, const std::vector<const char *> &output, bool one_video = false);

/* Smooth Streaming: make_ladder through ffmpeg's smoothstreaming muxer into
 * dir/movie.ism in 2 s fragments, its Manifest given each StreamIndex's
 * first `t`, which ffmpeg 5.1 leaves out (mssdemux2 cannot play it without).
 * Returns the files of movie.ism, relative to it. */
std::vector<std::string> make_smooth (const char *dir, bool one_video = false);

/* The files under `dir` (and its subdirectories), relative to it, sorted. */
std::vector<std::string> list_files (const char *dir);

/* Serves every file under `dir` at `prefix`/<its path relative to dir>
 * (`prefix` empty or starting with '/'); returns those relative paths. */
std::vector<std::string> serve_dir (OtServer *server, const char *dir, const std::string &prefix = "");

/* A run of the built CLI. */
struct Cli {
  gint status;
  std::string out, err;
};

Cli run (const char *data_dir, std::vector<const char *> args);

/* Runs `gst-offline verify` and fails the test unless it finds nothing. */
void assert_verify_clean (const char *data_dir);

/* The tool's "gst-offline: ..." line of stderr; fails the test if none. */
std::string reason_of (const Cli &r);

}  // namespace ot

#define ot_assert_exit(r, expected)                                                                                    \
  fail_unless ((r).status == (expected), "exit %d, expected %d\n%s%s", (r).status, (expected), (r).out.c_str (),    \
      (r).err.c_str ())
