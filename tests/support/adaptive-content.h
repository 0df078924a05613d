/* Adaptive streams made by ffmpeg at test time, served from the test's
 * HTTP server, the CLI run on them, and the plain concatenations of
 * segments that are the references of playback tests: what the DASH, HLS
 * and Smooth Streaming tests share.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "test-support.h"

#include <gst/check/gstcheck.h>

#include <string>
#include <vector>

namespace ot {

/* Runs `command` (a program and its arguments) in `dir`; fails the test
 * with its stderr unless it exits 0. */
void run_or_fail (const std::vector<const gchar *> &command, const gchar *dir);
/* Runs ffmpeg with `args` (after its program name) in `dir`, quietly. */
void run_ffmpeg (const char *dir, const std::vector<const char *> &args);
/* Runs `command` (a gst-launch-1.0 argument list, say) with GST_OFFLINE_DIR
 * `data_dir` under unshare -n; returns its exit status, its stderr in *err. */
gint run_without_network (const gchar *data_dir, const std::vector<const gchar *> &command, gchar **err);

/* A whole file as text, and a file written whole (its directories made).
 * A failure is a g_error(): these also run before check forks a test. */
std::string read_text (const std::string &path);
void write_text (const std::string &path, const std::string &text);
/* The URIs an HLS media playlist names (its lines that are not tags), in order. */
std::vector<std::string> playlist_uris (const std::string &path);

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

/* DASH: ffmpeg's dash muxer into `dir`/x.mpd: kDashClipSeconds of H.264
 * 320x240 at 25 fps (a keyframe every second) and AAC (no perceptual noise
 * substitution, so that it decodes the same after a flush), 2 s segments;
 * `extra` (may be NULL) adds options separated by spaces, such as
 * "-use_timeline 0" (a later option overrides an earlier one). */
constexpr guint kDashClipSeconds = 6;
void make_dash (const gchar *dir, const gchar *extra);
/* make_dash() with `extra`; returns the MPD it wrote. */
std::string make_dash_mpd (const gchar *dir, const gchar *extra = nullptr);

/* init-stream`stream`.m4s and the chunk-stream`stream`-*.m4s of ffmpeg's
 * output in `dir`, in order. With `server`, only the chunks the download
 * fetched from /`name`/: with $Number$ addressing ffmpeg writes a last short
 * segment past the MPD's duration, which is not part of the presentation. */
std::vector<std::string> dash_segment_files (const gchar *dir, guint stream, OtServer *server = nullptr,
    const gchar *name = nullptr);
/* Writes `parts` (files of `dir`) one after the other to `path`. */
void concatenate (const gchar *dir, const std::vector<std::string> &parts, const gchar *path);
/* The reference of ffmpeg's stream `stream` in `dir`: the concatenation of
 * dash_segment_files() written beside `dir` as reference-`stream`.mp4;
 * returns its path (free it). */
gchar *dash_reference (const gchar *dir, guint stream, OtServer *server = nullptr, const gchar *name = nullptr);

/* The files under `dir` (and its subdirectories), relative to it, sorted. */
std::vector<std::string> list_files (const char *dir);

/* An MPD with one Period in three parts, for MPDs of several Periods made
 * from it: what comes before the Period, the Period's body (after its
 * opening tag, its closing tag included) and what follows. */
struct MpdParts {
  std::string head, body, tail;
};
MpdParts split_period (const std::string &mpd);
/* Copies the media and init segments (.m4s) of `from` into `to`/`subdir`/. */
void copy_segments (const gchar *from, const gchar *to, const std::string &subdir);

/* Serves every file under `dir` at `prefix`/<its path relative to dir>
 * (`prefix` empty or starting with '/'); returns those relative paths. */
std::vector<std::string> serve_dir (OtServer *server, const char *dir, const std::string &prefix = "");
/* Serves every file under `dir` at /`name`/; returns the URL of `manifest`
 * there (free it). */
gchar *serve (OtServer *server, const gchar *dir, const gchar *name, const gchar *manifest);

/* The directories of one test, under a new temporary root named `name`:
 * made/ for what ffmpeg writes, content/ for what is served, data/ for the
 * download. */
struct Dirs {
  gchar *root, *made, *content, *data;

  explicit Dirs (const gchar *name);
  ~Dirs ();
  Dirs (const Dirs &) = delete;
  Dirs &operator= (const Dirs &) = delete;

  /* content/`relative` */
  std::string in_content (const std::string &relative) const;
};

/* The HTTP server of the tests of an adaptive_tcase(): a new one for each. */
extern OtServer *test_server;
/* A test case named `name` whose tests each get test_server and up to 240 s
 * (ffmpeg, a download and decodes). */
TCase *adaptive_tcase (const gchar *name);

/* A run of the built CLI. */
struct Cli {
  gint status;
  std::string out, err;
};

Cli run (const char *data_dir, std::vector<const char *> args);
/* Downloads `url` as `id` into `data_dir` with the CLI; fails the test
 * unless it succeeds. */
void download (const gchar *data_dir, const gchar *url, const gchar *id);

/* Runs `gst-offline verify` and fails the test unless it finds nothing. */
void assert_verify_clean (const char *data_dir);

/* The tool's "gst-offline: ..." line of stderr; fails the test if none. */
std::string reason_of (const Cli &r);

}  // namespace ot

#define ot_assert_exit(r, expected)                                                                                    \
  fail_unless ((r).status == (expected), "exit %d, expected %d\n%s%s", (r).status, (expected), (r).out.c_str (),    \
      (r).err.c_str ())
