/* Decoded frames of offline playback compared with a reference decode:
 * ot-decode's checksum lines ("video <pts> <md5>") as frames, the rules by
 * which adaptive playback must equal the decode of the plain concatenation
 * of a representation's segments, and playback in the test's own process
 * (uridecodebin into fakesinks that take the same checksums).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "adaptive-content.h"
#include "test-support.h"

#include <mutex>
#include <string>
#include <vector>

namespace ot {

struct Frame {
  std::string kind;
  gint64 pts;
  std::string md5;
  std::string line;
};

/* The frames of `kind` ("video", "audio") among checksum lines. */
std::vector<Frame> frames_of (GPtrArray *lines, const gchar *kind);
/* The frames with PTS >= `pts`. */
std::vector<Frame> from (const std::vector<Frame> &frames, gint64 pts);
/* Fails the test unless both lists are equal (PTS and checksum) and not
 * empty, saying how many frames differ and where. */
void assert_same (const std::vector<Frame> &expected, const std::vector<Frame> &actual, const gchar *what);

/* ot_decode_checksums() (after a seek to `seek` unless it is
 * GST_CLOCK_TIME_NONE) in a process without network; fails the test on an
 * error. */
GPtrArray *decode (const gchar *uri, const gchar *data_dir, GstClockTime seek = GST_CLOCK_TIME_NONE);
/* The duration a decode with a seek queried before seeking ("duration" line). */
gint64 duration_of (GPtrArray *lines);

/* Offline playback (`offline`, checksum lines) decodes what the references
 * decode.
 *
 * Video: every frame, with its PTS, is the same.
 * Audio: every buffer but the first is the same. The first AAC frame is the
 * encoder's priming, which the init segment's edit list cuts: qtdemux
 * honours that edit list when it reads the concatenated file (BYTES), but
 * not when upstream drives it in TIME, as an adaptive source does (the same
 * happens with the adaptive demuxers), so offline playback decodes that
 * frame at PTS 0 while the reference starts one frame later. */
void assert_same_as_reference (GPtrArray *reference_video, GPtrArray *reference_audio, GPtrArray *offline);

/* The decodes of a video and an audio reference file (in a process without
 * network, `data_dir` its cache directory). */
struct References {
  GPtrArray *video;
  GPtrArray *audio;

  References (const gchar *video_file, const gchar *audio_file, const gchar *data_dir);
  ~References ();
  References (const References &) = delete;
  References &operator= (const References &) = delete;
};
/* The References of ffmpeg's DASH output in `dir`: the dash_reference()s of
 * its streams 0 (video) and 1 (audio), `server` and `name` as there. */
References dash_references (const gchar *dir, const gchar *data_dir, OtServer *server = nullptr,
    const gchar *name = nullptr);
/* make_dash() (with `extra`) in dirs.content, served by `server` and
 * downloaded into dirs.data as `name`; returns its dash_references(). */
References download_dash (OtServer *server, const Dirs &dirs, const gchar *name, const gchar *extra);
/* Plays offline://`id` from `data_dir` without network:
 * assert_same_as_reference() with `references`. */
void assert_plays_like (const gchar *id, const gchar *data_dir, const References &references);

/* `offline` (checksum lines) shows the reference decodes' frames from
 * media time `video_start` (video) and `audio_start` (audio) on. (Times
 * are PTS: media time, which the source's TIME segment maps to
 * presentation time, e.g. less a presentationTimeOffset.)
 * - video: exactly the frames from the one showing at the start on, that
 *   one with its PTS clipped to the start (a decoder starts at the keyframe
 *   before; what comes before the start is dropped, the frame it lands in
 *   clipped);
 * - audio: the first buffer within 25 ms of the start (the AAC frame
 *   holding it, clipped), and every buffer after it is the reference's.
 *   (AAC decodes the same after a flush as without one only if the encoder
 *   used no perceptual noise substitution, whose noise comes from a
 *   generator the decoder runs across frames: make_dash() turns it off.)
 * `what` names the case in failure messages. */
void assert_same_from (GPtrArray *offline, GPtrArray *reference_video, GPtrArray *reference_audio,
    GstClockTime video_start, GstClockTime audio_start, const gchar *what);

/* An accurate flushing seek to presentation time `target` in `uri`
 * (offline://…, decoded without network) gives the reference decodes'
 * frames from there on: assert_same_from() from media times target +
 * `video_offset` and target + `audio_offset` (presentationTimeOffsets). */
void assert_seek_same_as_reference (const gchar *uri, const gchar *data_dir, GstClockTime target,
    GPtrArray *reference_video, GPtrArray *reference_audio, GstClockTime video_offset = 0,
    GstClockTime audio_offset = 0);

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

/* A sink bin that adds the checksum line of every buffer to `branch`
 * (video as I420, audio as S16LE; a seek's flush empties it), or a fakesink that
 * does not preroll for nullptr: what on_pad_added() links, and a playbin's
 * video-sink or audio-sink. With `sync` the sink plays in real time. */
GstElement *checksum_sink (Branch *branch, bool sync = false);
/* decodebin's "pad-added": a checksum branch per video and audio pad
 * (a seek's flush empties what the branch saw), a fakesink for the others. */
void on_pad_added (GstElement *element, GstPad *pad, gpointer player);
/* uridecodebin's "source-setup": cachesrc reads the player's data directory. */
void on_source_setup (GstElement *element, GstElement *source, gpointer player);
/* Waits for `type` (or an error, which fails the test). */
void wait_for (GstElement *pipeline, GstMessageType type);
std::vector<Frame> lines_to_frames (Branch &branch);

}  // namespace ot
