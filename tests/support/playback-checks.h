/* Shared checks of offline playback for the C++ end-to-end tests: serving
 * a directory, downloading with the CLI, checksum lines parsed into frames
 * and compared, and playback in this process with seeks (uridecodebin into
 * fakesinks that take per-buffer checksums).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/check/gstcheck.h>

#include "test-support.h"

#include <mutex>
#include <string>
#include <vector>

namespace ot {

/* ---- Content and downloads ---------------------------------------------------- */

/* The files of `dir` (and of its subdirectories), relative to it, sorted. */
void list_files (const gchar *dir, const std::string &prefix, std::vector<std::string> *files);
/* A whole file as text, and a file written whole (its directories made).
 * A failure is a g_error(): these also run before check forks a test. */
std::string read_text (const std::string &path);
void write_text (const std::string &path, const std::string &text);
/* The URIs an HLS media playlist names (its lines that are not tags), in order. */
std::vector<std::string> playlist_uris (const std::string &path);
/* Serves every file of `dir` under /`name`/; returns the URL of `manifest`. */
gchar *serve (OtServer *server, const gchar *dir, const gchar *name, const gchar *manifest);
/* Downloads `url` as `id` with the CLI; fails the test if that fails. */
void download (const gchar *data_dir, const gchar *url, const gchar *id);
/* Runs a program in `dir`; fails the test if it does not exit 0. */
void run_or_fail (const std::vector<const gchar *> &command, const gchar *dir);
/* Runs `command` (a gst-launch-1.0 argument list) with the data directory
 * under unshare -n; returns its exit status. */
gint run_without_network (const gchar *data_dir, const std::vector<const gchar *> &command, gchar **err);

/* ---- Checksum lines ("video <pts> <md5>") ------------------------------------ */

struct Frame {
  std::string kind;
  gint64 pts;
  std::string md5; /* for "text" lines: the text */
  std::string line;
};

/* The lines of `kind` ("video", "audio", "text"). */
std::vector<Frame> frames_of (GPtrArray *lines, const gchar *kind);
/* Equal and non-empty, naming the differences. */
void assert_same (const std::vector<Frame> &expected, const std::vector<Frame> &actual, const gchar *what);
/* The frames with PTS >= `pts`. */
std::vector<Frame> from (const std::vector<Frame> &frames, gint64 pts);
/* ot_decode_checksums without network; fails the test on an error. */
GPtrArray *decode (const gchar *uri, const gchar *data_dir);

/* ---- Playback in this process ------------------------------------------------ */

struct Branch {
  std::mutex lock;
  std::vector<std::string> lines;
  const gchar *kind;
};

struct Player {
  GstElement *pipeline;
  gchar *data_dir;
  Branch video { {}, {}, "video" };
  Branch audio { {}, {}, "audio" };
};

/* decodebin's "pad-added": a checksum branch per video and audio pad
 * (a flush empties what the branch saw), a fakesink for the others. */
void on_pad_added (GstElement *element, GstPad *pad, gpointer player);
/* uridecodebin's "source-setup": cachesrc reads the player's data directory. */
void on_source_setup (GstElement *element, GstElement *source, gpointer player);
/* Waits for `type` (or an error, which fails the test). */
void wait_for (GstElement *pipeline, GstMessageType type);
std::vector<Frame> lines_to_frames (Branch &branch);
/* Plays `uri` in this process: prerolls, answers *duration, seeks to
 * `target` (flushing, accurate), plays to the end; returns the video and
 * audio frames decoded after the seek (a flush empties what came before). */
void play_after_seek (const gchar *uri, const gchar *data_dir, GstClockTime target, gint64 *duration,
    std::vector<Frame> *video, std::vector<Frame> *audio);

}  // namespace ot
