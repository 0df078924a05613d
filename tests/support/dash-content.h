/* DASH content for the playback tests: ffmpeg's dash muxer output made at
 * test time, served by the test's server (ot-server), downloaded with the
 * CLI, and the plain concatenations of segments that are the references.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "test-support.h"

#include <string>
#include <vector>

namespace ot {

/* The length of the clips make_dash() makes. */
constexpr guint kDashClipSeconds = 6;

/* Runs `command` (a program and its arguments) in `dir`; fails the test
 * unless it exits 0. */
void run_or_fail (const std::vector<const gchar *> &command, const gchar *dir);

/* Runs ffmpeg's dash muxer into `dir`/x.mpd: 6 s of H.264 320x240 at 25 fps
 * (a keyframe every second) and AAC, 2 s segments; `extra` (may be NULL)
 * adds options separated by spaces, such as "-use_timeline 0" (a later
 * option overrides an earlier one: "-g 30 -keyint_min 30"). */
void make_dash (const gchar *dir, const gchar *extra);

/* The files of `dir` and of its subdirectories, relative to it, sorted. */
std::vector<std::string> list_files (const gchar *dir);

/* Serves every file of `dir` under /`name`/; returns the URL of `manifest`
 * (free it). */
gchar *serve_dir (OtServer *server, const gchar *dir, const gchar *name, const gchar *manifest);

/* Downloads `url` as `id` into `data_dir` with the CLI; fails the test
 * unless it succeeds. */
void download (const gchar *data_dir, const gchar *url, const gchar *id);

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

}  // namespace ot
