/* Export (issue 16): `gst-offline export ID FILE` and GstOfflineExport write
 * a complete download into one MP4 or Matroska file, remuxed. DASH (fMP4),
 * HLS (MPEG-TS), Smooth Streaming and CENC (ClearKey) downloads are made
 * at test time and exported; the files are decoded (with no data directory
 * of the download's, so nothing is decrypted at decode time) and compared
 * with the reference decodes of the plain concatenations of the segments.
 * A WebVTT track keeps its cues; an expired license, an incomplete
 * download, a full disk and a cancellation leave nothing behind.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>
#include <gst/pbutils/pbutils.h>
#include <gst/tag/tag.h>
#include <json-glib/json-glib.h>

#include "adaptive-content.h"
#include "cenc-packager.h"
#include "frame-checks.h"
#include "license-server.h"
#include "private-tmpfs.h"
#include "test-support.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <vector>

using namespace ot;

namespace {

/* A data directory that holds nothing: a decode of an exported file must
 * not need the download's keys. */
const gchar *
empty_data_dir ()
{
  static gchar *dir = ot_make_temp_dir ("export-empty-data");
  return dir;
}

GPtrArray *
decode_file (const std::string &path)
{
  g_autofree gchar *uri = gst_filename_to_uri (path.c_str (), nullptr);
  return decode (uri, empty_data_dir ());
}

/* The files in `dir` (none left behind: no FILE, no temporary). */
std::vector<std::string>
files_in (const gchar *dir)
{
  return list_files (dir);
}

/* The object `export --json` printed. */
JsonObject *
parse_object (const std::string &text, JsonParser *parser)
{
  g_autoptr (GError) error = nullptr;
  fail_unless (json_parser_load_from_data (parser, text.c_str (), -1, &error), "not JSON: %s\n%s",
      error ? error->message : "", text.c_str ());
  JsonNode *root = json_parser_get_root (parser);
  fail_unless (root && JSON_NODE_HOLDS_OBJECT (root), "not an object: %s", text.c_str ());
  return json_node_get_object (root);
}

/* `export ID PATH --json` succeeds; checks its object (path, size of the
 * file, duration near `seconds`, `types` the tracks' types in order). */
void
export_json (const gchar *data_dir, const gchar *id, const std::string &path, guint seconds,
    const std::vector<std::string> &types)
{
  Cli r = run (data_dir, { "export", id, path.c_str (), "--json" });
  ot_assert_exit (r, 0);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o = parse_object (r.out, parser);
  fail_unless (g_str_equal (json_object_get_string_member (o, "path"), path.c_str ()));
  fail_unless (g_str_equal (json_object_get_string_member (o, "id"), id));
  g_autoptr (GFile) file = g_file_new_for_path (path.c_str ());
  g_autoptr (GFileInfo) info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE,
      nullptr, nullptr);
  fail_unless (info != nullptr, "%s was not written", path.c_str ());
  fail_unless_equals_int64 (json_object_get_int_member (o, "size"), g_file_info_get_size (info));
  gdouble duration = json_object_get_double_member (o, "duration");
  fail_unless (duration > seconds - 0.5 && duration < seconds + 0.5, "duration %f, expected about %u", duration,
      seconds);
  JsonArray *tracks = json_object_get_array_member (o, "tracks");
  std::string got;
  for (guint i = 0; i < json_array_get_length (tracks); i++)
    got += std::string (i ? "," : "") + json_object_get_string_member (json_array_get_object_element (tracks, i), "type");
  std::string expected;
  for (size_t i = 0; i < types.size (); i++)
    expected += (i ? "," : "") + types[i];
  fail_unless (got == expected, "tracks %s, expected %s", got.c_str (), expected.c_str ());
}

/* `actual` (frames decoded from an exported file) are `expected`: as many,
 * each with the same checksum and, measured from `actual_origin` and
 * `expected_origin` (a file starts at 0 where the source began later, as
 * an MPEG-TS clock does), the same time within `tolerance` (Matroska keeps
 * milliseconds). `skip` first ones are not compared (the AAC priming frame
 * offline playback decodes and a reference file's edit list cuts); with
 * `lax_last` the last one is compared by its time only: the file's muxer
 * writes the track's length, to which its decoder clips the last AAC frame. */
void
assert_frames (const std::vector<Frame> &expected, gint64 expected_origin, const std::vector<Frame> &actual,
    gint64 actual_origin, gint64 tolerance, size_t skip, bool lax_last, const char *what)
{
  fail_unless (actual.size () > skip + 1 && actual.size () == expected.size (), "%s: %zu buffers, expected %zu", what,
      actual.size (), expected.size ());
  for (size_t i = skip; i < actual.size (); i++) {
    bool same_data = actual[i].md5 == expected[i].md5 || (lax_last && i + 1 == actual.size ());
    bool same_time = llabs ((actual[i].pts - actual_origin) - (expected[i].pts - expected_origin)) <= tolerance;
    fail_unless (same_data && same_time, "%s %zu differs: expected '%s' (from %" G_GINT64_FORMAT "), got '%s' (from %"
        G_GINT64_FORMAT ")", what, i, expected[i].line.c_str (), expected_origin, actual[i].line.c_str (), actual_origin);
  }
}

/* An exported DASH file decodes what offline playback decodes of the
 * references (assert_same_as_reference: every video frame, every audio
 * buffer but the priming one), the last AAC frame as assert_frames says. */
void
assert_exported_like (GPtrArray *reference_video, GPtrArray *reference_audio, GPtrArray *lines, bool matroska)
{
  gint64 tolerance = matroska ? GST_MSECOND / 2 : 0;
  assert_frames (frames_of (reference_video, "video"), 0, frames_of (lines, "video"), 0, tolerance, 0, false, "video");
  assert_frames (frames_of (reference_audio, "audio"), 0, frames_of (lines, "audio"), 0, tolerance, 1, true, "audio");
}

/* The directory of `path` holds `path` alone: no temporary file is left. */
void
assert_only (const std::string &dir, const std::vector<std::string> &names)
{
  auto files = files_in (dir.c_str ());
  std::string listed;
  for (const auto &f : files)
    listed += f + " ";
  fail_unless (files == names, "%s holds: %s", dir.c_str (), listed.c_str ());
}

/* ---- DASH (fMP4) -------------------------------------------------------------- */

GST_START_TEST (test_dash_to_mp4_and_mkv)
{
  Dirs dirs ("export-dash");
  References references = download_dash (test_server, dirs, "movie", nullptr);
  std::string out = std::string (dirs.root) + "/out";
  g_mkdir_with_parents (out.c_str (), 0700);
  for (const char *name : { "movie.mp4", "movie.mkv" }) {
    std::string path = out + "/" + name;
    export_json (dirs.data, "movie", path, kDashClipSeconds, { "video", "audio" });
    g_autoptr (GPtrArray) lines = decode_file (path);
    assert_exported_like (references.video, references.audio, lines, g_str_has_suffix (name, ".mkv"));
  }

  /* As a person at a terminal (script(1) gives the CLI one): a bar on
   * stderr, redrawn in place and erased, then the result. */
  std::string tty_path = out + "/tty.mkv";
  std::string command = std::string (g_getenv ("GST_OFFLINE_CLI")) + " --dir " + dirs.data + " export movie " + tty_path;
  const gchar *argv[] = { "script", "-q", "-e", "-c", command.c_str (), "/dev/null", nullptr };
  gchar *screen = nullptr;
  gint status = 0;
  g_autoptr (GError) error = nullptr;
  fail_unless (ot_spawn_sync (nullptr, const_cast<gchar **> (argv), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr,
                   &screen, nullptr, &status, &error),
      "script: %s", error ? error->message : "");
  std::string text = screen ? screen : "";
  g_free (screen);
  fail_unless (g_spawn_check_wait_status (status, nullptr), "%s", text.c_str ());
  fail_unless (text.find ("\rmovie ") != std::string::npos && text.find ("% ") != std::string::npos
          && text.find (" of 0:00:06.") != std::string::npos /* the last redraw gives the exported duration */
          && text.find ("\r\033[K") != std::string::npos
          && text.find ("exported movie to " + tty_path + ": ") != std::string::npos,
      "%s", text.c_str ());
  assert_only (out, { "movie.mkv", "movie.mp4", "tty.mkv" });
}
GST_END_TEST;

/* ---- HLS (MPEG-TS) ------------------------------------------------------------ */

/* When the first video and audio samples of the file at `path` come on
 * its timeline, as `demuxer` gives them: for an MP4 (qtdemux) their
 * running times (an edit list that starts a track later shows in its
 * segment, not in the samples' PTS), for an MPEG-TS (tsdemux) their PTS,
 * on the one clock of its tracks (its segment starts at the first video
 * frame, clipping audio before it). */
struct FirstSamples {
  GstClockTime video = GST_CLOCK_TIME_NONE;
  GstClockTime audio = GST_CLOCK_TIME_NONE;
  bool running_time = false;
};

FirstSamples
first_samples (const std::string &path, const char *demuxer)
{
  std::string description = "filesrc location=\"" + path + "\" ! " + demuxer + " name=demux";
  g_autoptr (GError) error = nullptr;
  g_autoptr (GstElement) pipeline = gst_parse_launch (description.c_str (), &error);
  fail_unless (pipeline != nullptr, "%s", error ? error->message : "");
  FirstSamples first;
  first.running_time = g_str_equal (demuxer, "qtdemux");
  g_autoptr (GstElement) demux = gst_bin_get_by_name (GST_BIN (pipeline), "demux");
  g_signal_connect (demux, "pad-added", G_CALLBACK (+[] (GstElement *element, GstPad *pad, gpointer data) {
    GstElement *sink = gst_element_factory_make ("fakesink", nullptr);
    g_object_set (sink, "sync", FALSE, "async", FALSE, nullptr);
    GstElement *bin = GST_ELEMENT (gst_element_get_parent (element));
    gst_bin_add (GST_BIN (bin), sink);
    gst_object_unref (bin);
    gst_element_sync_state_with_parent (sink);
    g_autoptr (GstPad) sink_pad = gst_element_get_static_pad (sink, "sink");
    gst_pad_link (pad, sink_pad);
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, [] (GstPad *pad, GstPadProbeInfo *info, gpointer data) {
      auto *first = static_cast<FirstSamples *> (data);
      GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
      g_autoptr (GstEvent) event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
      const GstSegment *segment = nullptr;
      gst_event_parse_segment (event, &segment);
      GstClockTime time = first->running_time
          ? gst_segment_to_running_time (segment, GST_FORMAT_TIME, GST_BUFFER_PTS (buffer))
          : GST_BUFFER_PTS (buffer);
      if (!GST_CLOCK_TIME_IS_VALID (time))
        return GST_PAD_PROBE_OK; /* not timed: the next one is */
      const gchar *name = GST_PAD_NAME (pad);
      GstClockTime *slot = g_str_has_prefix (name, "video") ? &first->video
          : g_str_has_prefix (name, "audio")                ? &first->audio
                                                            : nullptr;
      if (slot && !GST_CLOCK_TIME_IS_VALID (*slot))
        *slot = time;
      return GST_PAD_PROBE_REMOVE;
    }, data, nullptr);
  }), &first);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr (GstMessage) message = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      static_cast<GstMessageType> (GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless (GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS, "%s: %s", path.c_str (), description.c_str ());
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless (GST_CLOCK_TIME_IS_VALID (first.video) && GST_CLOCK_TIME_IS_VALID (first.audio), "%s: video %"
      GST_TIME_FORMAT ", audio %" GST_TIME_FORMAT, path.c_str (), GST_TIME_ARGS (first.video), GST_TIME_ARGS (first.audio));
  return first;
}

GST_START_TEST (test_hls_ts_to_mp4)
{
  Dirs dirs ("export-hls");
  run_or_fail ({ "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                   "testsrc2=size=320x240:rate=25:duration=4", "-f", "lavfi", "-i",
                   "sine=frequency=440:beep_factor=4:sample_rate=44100:duration=4", "-map", "0:v", "-map", "1:a",
                   "-c:a", "aac", "-aac_pns", "0", "-b:a", "64k", "-ac", "2", "-flags:a", "+bitexact", "-c:v",
                   "libx264", "-preset", "veryfast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0", "-bf",
                   "0", "-pix_fmt", "yuv420p", "-threads", "1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
                   "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod", "-hls_segment_filename", "seg%d.ts",
                   "index.m3u8" },
      dirs.content);
  g_autofree gchar *url = serve (test_server, dirs.content, "clip", "index.m3u8");
  download (dirs.data, url, "clip");
  std::string reference = std::string (dirs.root) + "/reference.ts";
  ot::concatenate (dirs.content, playlist_uris (dirs.in_content ("index.m3u8")), reference.c_str ());
  g_autoptr (GPtrArray) expected = decode_file (reference);
  /* What offline playback decodes, which the HLS playback tests hold
   * against the same reference. */
  g_autoptr (GPtrArray) played = decode ("offline://clip", dirs.data);

  std::string path = std::string (dirs.root) + "/clip.mp4";
  export_json (dirs.data, "clip", path, 4, { "video", "audio" });
  g_autoptr (GPtrArray) lines = decode_file (path);
  /* The first AAC frame comes 23 ms before the first video frame in the
   * TS: the file keeps that (mp4mux's edit list starts the video track
   * later), to within a tick of its movie timescale. */
  FirstSamples source = first_samples (reference, "tsdemux");
  FirstSamples file = first_samples (path, "qtdemux");
  gint64 source_offset = (gint64) source.video - (gint64) source.audio;
  gint64 file_offset = (gint64) file.video - (gint64) file.audio;
  fail_unless (source_offset > 10 * GST_MSECOND, "the source's offset is %" G_GINT64_FORMAT " ns", source_offset);
  fail_unless (llabs (file_offset - source_offset) <= GST_MSECOND, "video starts %" G_GINT64_FORMAT " ns after the "
      "audio in the file, %" G_GINT64_FORMAT " ns in the source", file_offset, source_offset);
  /* Within each track, times from its first sample (the TS clock starts
   * later than the file's). */
  auto video = frames_of (lines, "video");
  auto audio = frames_of (lines, "audio");
  auto reference_video = frames_of (expected, "video");
  auto played_audio = frames_of (played, "audio");
  fail_unless (!video.empty () && !audio.empty () && !reference_video.empty () && !played_audio.empty ());
  /* MP4 times audio by its sample count, the TS by PES times in 90 kHz
   * ticks: equal within a tick. */
  constexpr gint64 kTick = GST_SECOND / 90000 + 1;
  assert_frames (reference_video, reference_video[0].pts, video, video[0].pts, kTick, 0, false, "video");
  assert_frames (played_audio, played_audio[0].pts, audio, audio[0].pts, kTick, 0, true, "audio");
}
GST_END_TEST;

/* ---- HLS with audio renditions ------------------------------------------------- */

/* One track of a file as its demuxer gives it: its language tag and its
 * decoded buffers (as ot-decode's checksum lines). */
struct DecodedTrack {
  std::string kind;
  std::string language;
  std::vector<std::string> lines;
};

struct TrackDecode {
  std::mutex lock;
  std::map<std::string, DecodedTrack> tracks; /* by the demuxer's pad name */
};

/* Decodes each track of the file at `path` on its own (ot-decode mixes the
 * buffers of two audio tracks): decodebin, then per decoded pad the
 * conversion ot-decode makes; the tracks by decodebin's pad names, each
 * with the language its stream tags give. */
std::map<std::string, DecodedTrack>
decode_tracks (const std::string &path)
{
  std::string description = "filesrc location=\"" + path + "\" ! decodebin name=decode";
  g_autoptr (GError) error = nullptr;
  g_autoptr (GstElement) pipeline = gst_parse_launch (description.c_str (), &error);
  fail_unless (pipeline != nullptr, "%s", error ? error->message : "");
  TrackDecode decode;
  g_autoptr (GstElement) decodebin = gst_bin_get_by_name (GST_BIN (pipeline), "decode");
  g_signal_connect (decodebin, "pad-added", G_CALLBACK (+[] (GstElement *element, GstPad *pad, gpointer data) {
    auto *decode = static_cast<TrackDecode *> (data);
    const gchar *kind = ot_pad_kind (pad);
    bool video = g_strcmp0 (kind, "video") == 0;
    bool audio = g_strcmp0 (kind, "audio") == 0;
    const gchar *branch = video ? "videoconvert ! video/x-raw,format=I420 ! fakesink name=sink sync=false signal-handoffs=true"
        : audio ? "audioconvert dithering=0 noise-shaping=0 ! audio/x-raw,format=S16LE,layout=interleaved "
                  "! fakesink name=sink sync=false signal-handoffs=true"
                : "fakesink sync=false async=false";
    GstElement *bin = gst_parse_bin_from_description (branch, TRUE, nullptr);
    fail_unless (bin != nullptr);
    GstElement *pipeline = GST_ELEMENT (gst_element_get_parent (element));
    gst_bin_add (GST_BIN (pipeline), bin);
    gst_object_unref (pipeline);
    gst_element_sync_state_with_parent (bin);
    g_autoptr (GstPad) sink_pad = gst_element_get_static_pad (bin, "sink");
    GstPadLinkReturn linked = gst_pad_link (pad, sink_pad);
    fail_unless (GST_PAD_LINK_SUCCESSFUL (linked), "%s: %s", GST_PAD_NAME (pad), gst_pad_link_get_name (linked));
    if (!video && !audio)
      return;
    {
      std::lock_guard<std::mutex> guard (decode->lock);
      decode->tracks[GST_PAD_NAME (pad)].kind = kind;
    }
    /* The line of each buffer, under the pad's name. */
    g_autoptr (GstElement) sink = gst_bin_get_by_name (GST_BIN (bin), "sink");
    g_object_set_data_full (G_OBJECT (sink), "track", g_strdup (GST_PAD_NAME (pad)), g_free);
    g_signal_connect (sink, "handoff", G_CALLBACK (+[] (GstElement *sink, GstBuffer *buffer, GstPad *, gpointer data) {
      auto *decode = static_cast<TrackDecode *> (data);
      auto *name = static_cast<const gchar *> (g_object_get_data (G_OBJECT (sink), "track"));
      std::lock_guard<std::mutex> guard (decode->lock);
      DecodedTrack &track = decode->tracks[name];
      g_autofree gchar *line = ot_checksum_line (track.kind.c_str (), buffer);
      track.lines.push_back (line);
    }), decode);
    /* Its language, from the stream tags. */
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, [] (GstPad *pad, GstPadProbeInfo *info, gpointer data) {
      GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
      if (GST_EVENT_TYPE (event) != GST_EVENT_TAG)
        return GST_PAD_PROBE_OK;
      GstTagList *tags = nullptr;
      gst_event_parse_tag (event, &tags);
      g_autofree gchar *language = nullptr;
      if (gst_tag_list_get_string (tags, GST_TAG_LANGUAGE_CODE, &language)) {
        auto *decode = static_cast<TrackDecode *> (data);
        const gchar *code = gst_tag_get_language_code_iso_639_1 (language);
        std::lock_guard<std::mutex> guard (decode->lock);
        decode->tracks[GST_PAD_NAME (pad)].language = code ? code : language;
      }
      return GST_PAD_PROBE_OK;
    }, decode, nullptr);
  }), &decode);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr (GstMessage) message = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      static_cast<GstMessageType> (GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  g_autoptr (GError) failure = nullptr;
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
    gst_message_parse_error (message, &failure, nullptr);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless (!failure, "%s: %s", path.c_str (), failure ? failure->message : "");
  std::lock_guard<std::mutex> guard (decode.lock);
  return decode.tracks;
}

/* The track of `kind` in `language` ("" for any) among `tracks`; fails the
 * test unless there is exactly one. */
const DecodedTrack &
track_of (const std::map<std::string, DecodedTrack> &tracks, const std::string &kind, const std::string &language,
    const std::string &what)
{
  const DecodedTrack *found = nullptr;
  std::string listed;
  guint matches = 0;
  for (const auto &[pad, track] : tracks) {
    listed += pad + " " + track.kind + " (" + track.language + ") ";
    if (track.kind == kind && (language.empty () || track.language == language)) {
      found = &track;
      matches++;
    }
  }
  fail_unless (matches == 1, "%s: %u %s tracks in '%s'; it has %s", what.c_str (), matches, kind.c_str (),
      language.c_str (), listed.c_str ());
  return *found;
}

/* The frames of `lines` (a track's checksum lines) of `kind`. */
std::vector<Frame>
frames_in (const std::vector<std::string> &lines, const char *kind)
{
  g_autoptr (GPtrArray) array = g_ptr_array_new ();
  for (const auto &line : lines)
    g_ptr_array_add (array, const_cast<gchar *> (line.c_str ()));
  return frames_of (array, kind);
}

/* HLS as ffmpeg packages a video variant with an audio group of two
 * renditions (English, the default, and French), each its own MPEG-TS
 * playlist: two tones, so that the tracks cannot be taken for each other. */
void
make_hls_audio_group (const gchar *dir)
{
  run_ffmpeg (dir, { "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4", "-f", "lavfi", "-i",
      "sine=frequency=440:sample_rate=44100:duration=4", "-f", "lavfi", "-i",
      "sine=frequency=660:sample_rate=44100:duration=4", "-map", "0:v", "-map", "1:a", "-map", "2:a", "-c:v",
      "libx264", "-preset", "veryfast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0", "-bf", "0", "-pix_fmt",
      "yuv420p", "-threads", "1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-c:a", "aac", "-aac_pns", "0",
      "-b:a", "64k", "-ac", "2", "-flags:a", "+bitexact", "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod",
      "-var_stream_map", "v:0,agroup:aud a:0,agroup:aud,language:eng,default:yes a:1,agroup:aud,language:fra",
      "-master_pl_name", "master.m3u8", "-hls_segment_filename", "v%v/seg%d.ts", "v%v/index.m3u8" });
  std::string master = read_text (std::string (dir) + "/master.m3u8");
  fail_unless (master.find ("LANGUAGE=\"eng\"") != std::string::npos && master.find ("LANGUAGE=\"fra\"") != std::string::npos,
      "no audio renditions in:\n%s", master.c_str ());
}

/* Issue 16: an HLS download with two audio renditions exported to MKV or
 * MP4 hung (the muxer was offered aacparse's ADTS, which it refused; the
 * error then left cachesrc's parked track waiting for ever). Both audio
 * tracks are in the file, with their languages, each decoding what the
 * plain concatenation of its rendition's segments decodes. */
GST_START_TEST (test_hls_audio_renditions_to_mkv_and_mp4)
{
  Dirs dirs ("export-hls-renditions");
  make_hls_audio_group (dirs.content);
  g_autofree gchar *url = serve (test_server, dirs.content, "group", "master.m3u8");
  Cli r = run (dirs.data, { "download", url, "--id", "group", "--audio", "all" });
  ot_assert_exit (r, 0);

  const char *variants[] = { "v0", "v1", "v2" };
  std::vector<std::vector<Frame>> references;
  for (size_t i = 0; i < 3; i++) {
    std::string reference = std::string (dirs.root) + "/reference-" + variants[i] + ".ts";
    std::string playlist = std::string (variants[i]) + "/index.m3u8";
    std::vector<std::string> parts;
    for (const auto &uri : playlist_uris (dirs.in_content (playlist)))
      parts.push_back (std::string (variants[i]) + "/" + uri);
    concatenate (dirs.content, parts, reference.c_str ());
    auto tracks = decode_tracks (reference);
    const DecodedTrack &track = track_of (tracks, i ? "audio" : "video", "", reference);
    references.push_back (frames_in (track.lines, track.kind.c_str ()));
  }

  /* MP4 times audio by its sample count, the TS by PES times in 90 kHz
   * ticks: equal within a tick; Matroska keeps milliseconds. */
  constexpr gint64 kTick = GST_SECOND / 90000 + 1;
  for (const char *name : { "group.mkv", "group.mp4" }) {
    bool matroska = g_str_has_suffix (name, ".mkv");
    std::string path = std::string (dirs.root) + "/" + name;
    export_json (dirs.data, "group", path, 4, { "video", "audio", "audio" });
    auto tracks = decode_tracks (path);
    fail_unless_equals_int (tracks.size (), 3);
    gint64 tolerance = matroska ? GST_MSECOND : kTick;
    auto video = frames_in (track_of (tracks, "video", "", path).lines, "video");
    fail_unless (!video.empty () && !references[0].empty ());
    assert_frames (references[0], references[0][0].pts, video, video[0].pts, tolerance, 0, false, "video");
    /* Each language with its own rendition's sound. */
    for (size_t i = 0; i < 2; i++) {
      auto audio = frames_in (track_of (tracks, "audio", i ? "fr" : "en", path).lines, "audio");
      const auto &expected = references[i + 1];
      fail_unless (!audio.empty () && !expected.empty ());
      assert_frames (expected, expected[0].pts, audio, audio[0].pts, tolerance, 0, true, i ? "French" : "English");
    }
  }
}
GST_END_TEST;

/* A stream refused while the others are held, or flowing (WebM takes
 * neither H.264 nor AAC): a clear refusal, never a hang. (This hung once in
 * three runs: cachesrc's tracks parked as not linked, which stopping the
 * pipeline did not wake.) Nothing is left behind. */
GST_START_TEST (test_refused_stream_does_not_hang)
{
  Dirs dirs ("export-refused-stream");
  make_hls_audio_group (dirs.content);
  g_autofree gchar *url = serve (test_server, dirs.content, "group", "master.m3u8");
  Cli r = run (dirs.data, { "download", url, "--id", "group", "--audio", "all" });
  ot_assert_exit (r, 0);
  std::string out = std::string (dirs.root) + "/out";
  g_mkdir_with_parents (out.c_str (), 0700);
  for (guint i = 0; i < 5; i++) {
    r = run (dirs.data, { "export", "group", (out + "/group.webm").c_str () });
    ot_assert_exit (r, 1);
    fail_unless (reason_of (r).find ("WebM cannot carry its video/x-h264 stream") != std::string::npos, "%s",
        r.err.c_str ());
    assert_only (out, {});
  }
}
GST_END_TEST;

/* ---- Smooth Streaming ----------------------------------------------------------- */

GST_START_TEST (test_smooth_to_mkv)
{
  Dirs dirs ("export-mss");
  make_smooth (dirs.content, true);
  g_autofree gchar *base = serve (test_server, dirs.content, "mss", "");
  g_autofree gchar *url = g_strdup_printf ("%smovie.ism/Manifest", base);
  download (dirs.data, url, "mss");
  /* The reference: mssdemux2 playing the same stream online. */
  gchar *message = nullptr;
  g_autoptr (GPtrArray) reference =
      ot_decode_checksums_full (url, dirs.data, OT_DECODE_URIDECODEBIN3, GST_CLOCK_TIME_NONE, &message);
  fail_unless (reference != nullptr, "decoding %s online failed: %s", url, message);
  g_autoptr (GPtrArray) played = decode ("offline://mss", dirs.data);

  std::string path = std::string (dirs.root) + "/mss.mkv";
  export_json (dirs.data, "mss", path, 6, { "video", "audio" });
  g_autoptr (GPtrArray) lines = decode_file (path);
  constexpr gint64 kMatroska = GST_MSECOND / 2;
  assert_frames (frames_of (reference, "video"), 0, frames_of (lines, "video"), 0, kMatroska, 0, false, "video");
  assert_frames (frames_of (played, "audio"), 0, frames_of (lines, "audio"), 0, kMatroska, 0, true, "audio");
}
GST_END_TEST;

/* ---- CENC (ClearKey) -------------------------------------------------------------- */

const std::array<guint8, 16> kKid = { 0x21, 0x43, 0x65, 0x87, 0xa9, 0xcb, 0x4d, 0xef, 0x80, 0x11, 0x22, 0x33, 0x44,
  0x55, 0x66, 0x77 };
const std::array<guint8, 16> kKey = { 0x3c, 0x91, 0x0e, 0x5f, 0xd4, 0x27, 0x88, 0x6a, 0x1b, 0xc3, 0x70, 0x49, 0xe2,
  0x05, 0xbd, 0x96 };

GST_START_TEST (test_cenc_exported_decrypted_while_licensed)
{
  Dirs dirs ("export-cenc");
  make_dash (dirs.made, "-t 4");
  LicenseServer licenses (kKid, kKey);
  OtCencOptions options;
  options.kid = kKid;
  options.key = kKey;
  options.license_url = licenses.url ();
  g_autoptr (GError) error = nullptr;
  fail_unless (ot_cenc_package_dash (dirs.made, "x.mpd", dirs.content, options, &error), "%s",
      error ? error->message : "");
  g_autofree gchar *url = serve (test_server, dirs.content, "enc", "manifest.mpd");
  download (dirs.data, url, "enc");
  g_autofree gchar *reference_video = dash_reference (dirs.made, 0);
  g_autofree gchar *reference_audio = dash_reference (dirs.made, 1);
  References references (reference_video, reference_audio, dirs.data);

  /* Decrypted: the file decodes without any key. */
  std::string path = std::string (dirs.root) + "/enc.mp4";
  export_json (dirs.data, "enc", path, 4, { "video", "audio" });
  g_autoptr (GPtrArray) lines = decode_file (path);
  assert_exported_like (references.video, references.audio, lines, false);

  /* A license of one second, two seconds later (the clock seam licenses
   * are judged by): refused with the reason, nothing written. */
  licenses.set_answer (LicenseAnswer::Keys, 1);
  download (dirs.data, url, "short");
  g_setenv ("GST_OFFLINE_CLOCK_MS", std::to_string (g_get_real_time () / 1000 + 2000).c_str (), TRUE);
  std::string refused_dir = std::string (dirs.root) + "/refused";
  g_mkdir_with_parents (refused_dir.c_str (), 0700);
  Cli r = run (dirs.data, { "export", "short", (refused_dir + "/short.mkv").c_str () });
  g_unsetenv ("GST_OFFLINE_CLOCK_MS");
  ot_assert_exit (r, 1);
  std::string reason = reason_of (r);
  fail_unless (reason.find ("expired at") != std::string::npos && reason.find ("short") != std::string::npos
          && reason.find ("license renew short") != std::string::npos,
      "%s", reason.c_str ());
  assert_only (refused_dir, {});

  /* Released: the missing key is the reason, from offlinedrm. */
  r = run (dirs.data, { "license", "release", "enc" });
  ot_assert_exit (r, 0);
  r = run (dirs.data, { "export", "enc", (refused_dir + "/enc.mp4").c_str () });
  ot_assert_exit (r, 1);
  reason = reason_of (r);
  fail_unless (reason.find ("No key for KID") != std::string::npos, "%s", reason.c_str ());
  assert_only (refused_dir, {});
}
GST_END_TEST;

/* ---- Text ---------------------------------------------------------------------- */

/* The "text <running-time> <text>" lines of a decode of `path`. */
std::vector<std::string>
text_lines (const std::string &path)
{
  g_setenv ("OT_DECODE_TEXT", "1", TRUE);
  g_autoptr (GPtrArray) lines = decode_file (path);
  g_unsetenv ("OT_DECODE_TEXT");
  std::vector<std::string> text;
  for (guint i = 0; i < lines->len; i++) {
    const gchar *line = static_cast<const gchar *> (g_ptr_array_index (lines, i));
    if (g_str_has_prefix (line, "text "))
      text.push_back (line);
  }
  return text;
}

/* The stream tags and the caps of one elementary stream of a file, as its
 * demuxer sends them. */
struct ReadStream {
  std::string media;
  GstTagList *tags = nullptr;
};

struct TagReading {
  std::mutex lock;
  std::list<ReadStream> streams; /* the probes hold pointers into it */
  GstElement *pipeline = nullptr;
};

static GstPadProbeReturn
on_read_event (GstPad *, GstPadProbeInfo *info, gpointer user_data)
{
  auto *stream = static_cast<ReadStream *> (user_data);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    GstCaps *caps = nullptr;
    gst_event_parse_caps (event, &caps);
    stream->media = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  } else if (GST_EVENT_TYPE (event) == GST_EVENT_TAG) {
    GstTagList *list = nullptr;
    gst_event_parse_tag (event, &list);
    if (gst_tag_list_get_scope (list) == GST_TAG_SCOPE_STREAM) {
      GstTagList *merged = gst_tag_list_merge (stream->tags, list, GST_TAG_MERGE_REPLACE);
      if (stream->tags)
        gst_tag_list_unref (stream->tags);
      stream->tags = merged;
    }
  }
  return GST_PAD_PROBE_OK;
}

static void
on_read_pad (GstElement *, GstPad *pad, TagReading *reading)
{
  ReadStream *stream;
  {
    std::lock_guard<std::mutex> guard (reading->lock);
    reading->streams.emplace_back ();
    stream = &reading->streams.back ();
  }
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_read_event, stream, nullptr);
  GstElement *sink = gst_element_factory_make ("fakesink", nullptr);
  g_object_set (sink, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add (GST_BIN (reading->pipeline), sink);
  gst_element_sync_state_with_parent (sink);
  g_autoptr (GstPad) sink_pad = gst_element_get_static_pad (sink, "sink");
  fail_unless (GST_PAD_LINK_SUCCESSFUL (gst_pad_link (pad, sink_pad)));
}

/* "TYPE LANGUAGE TITLE" of each audio and text stream of the file at
 * `path`, as its demuxer reads it back (the whole file, to its end: a
 * sparse text track's tags may come late, which a discoverer, stopping at
 * preroll, would miss): the language as its ISO 639-1 code, "-" for a tag
 * not there. */
std::vector<std::string>
stream_tags (const std::string &path)
{
  TagReading reading;
  reading.pipeline = gst_pipeline_new (nullptr);
  GstElement *source = gst_element_factory_make ("filesrc", nullptr);
  GstElement *parse = gst_element_factory_make ("parsebin", nullptr);
  fail_unless (source && parse);
  g_object_set (source, "location", path.c_str (), nullptr);
  gst_bin_add_many (GST_BIN (reading.pipeline), source, parse, nullptr);
  fail_unless (gst_element_link (source, parse));
  g_signal_connect (parse, "pad-added", G_CALLBACK (on_read_pad), &reading);
  gst_element_set_state (reading.pipeline, GST_STATE_PLAYING);
  g_autoptr (GstBus) bus = gst_element_get_bus (reading.pipeline);
  GstMessage *message = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      static_cast<GstMessageType> (GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  bool eos = GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS;
  gst_message_unref (message);
  gst_element_set_state (reading.pipeline, GST_STATE_NULL);
  gst_object_unref (reading.pipeline);
  fail_unless (eos, "%s: could not be read to its end", path.c_str ());

  std::vector<std::string> result;
  for (ReadStream &stream : reading.streams) {
    const char *type = g_str_has_prefix (stream.media.c_str (), "audio/") ? "audio"
        : g_str_has_prefix (stream.media.c_str (), "text/")               ? "text"
                                                                          : nullptr;
    g_autofree gchar *language = nullptr;
    g_autofree gchar *title = nullptr;
    if (stream.tags) {
      gst_tag_list_get_string (stream.tags, GST_TAG_LANGUAGE_CODE, &language);
      gst_tag_list_get_string (stream.tags, GST_TAG_TITLE, &title);
      gst_tag_list_unref (stream.tags);
    }
    if (!type)
      continue;
    const gchar *code = language ? gst_tag_get_language_code_iso_639_1 (language) : nullptr;
    result.push_back (std::string (type) + " " + (code ? code : language ? language : "-") + " " + (title ? title : "-"));
  }
  std::sort (result.begin (), result.end ());
  return result;
}

GST_START_TEST (test_webvtt_into_matroska_and_mp4)
{
  Dirs dirs ("export-text");
  make_dash (dirs.content, nullptr);
  std::string mpd_path = dirs.in_content ("x.mpd");
  std::string mpd = read_text (mpd_path);
  size_t end = mpd.rfind ("</Period>");
  fail_unless (end != std::string::npos);
  /* The audio track in French, and both with a title (a DASH Label). */
  size_t audio = mpd.find ("contentType=\"audio\"");
  fail_unless (audio != std::string::npos && mpd.find ("lang=") == std::string::npos, "%s", mpd.c_str ());
  mpd.insert (audio, "lang=\"fr\" ");
  mpd.insert (mpd.find ('>', audio) + 1, "<Label>Commentaire</Label>");
  end = mpd.rfind ("</Period>");
  mpd.insert (end, "<AdaptationSet id=\"3\" contentType=\"text\" mimeType=\"text/vtt\" lang=\"en\">"
                   "<Label>English subtitles</Label>"
                   "<Representation id=\"3\" bandwidth=\"256\"><BaseURL>subs.vtt</BaseURL></Representation>"
                   "</AdaptationSet>\n");
  write_text (mpd_path, mpd);
  write_text (dirs.in_content ("subs.vtt"),
      "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfirst <b>cue</b>\n\n00:00:04.000 --> 00:00:05.000\nsecond cue\n\n");
  g_autofree gchar *url = serve (test_server, dirs.content, "subs", "x.mpd");
  Cli r = run (dirs.data, { "download", url, "--id", "subs", "--text", "all" });
  ot_assert_exit (r, 0);

  for (const char *name : { "subs.mkv", "subs.mp4" }) {
    std::string path = std::string (dirs.root) + "/" + name;
    export_json (dirs.data, "subs", path, kDashClipSeconds, { "video", "audio", "text" });
    auto text = text_lines (path);
    std::string all;
    for (const auto &line : text)
      all += line + "\n";
    fail_unless (text.size () == 2, "%s: %zu cues:\n%s", name, text.size (), all.c_str ());
    fail_unless (text[0] == "text 1000000000 first cue" && text[1] == "text 4000000000 second cue", "%s:\n%s", name,
        all.c_str ());
    /* The languages and titles of the tracks are in the file: in Matroska
     * too, whose track headers are written once the audio and video have
     * data, long before the text track's first cue. */
    auto tags = stream_tags (path);
    std::string listed;
    for (const auto &t : tags)
      listed += t + "; ";
    fail_unless (tags.size () == 2 && tags[0] == "audio fr Commentaire" && tags[1] == "text en English subtitles",
        "%s: %s", name, listed.c_str ());
  }
}
GST_END_TEST;

/* ---- Refusals and failures ----------------------------------------------------- */

GST_START_TEST (test_refusals_leave_nothing)
{
  Dirs dirs ("export-refusals");
  References references = download_dash (test_server, dirs, "movie", "-t 2");
  std::string out = std::string (dirs.root) + "/out";
  g_mkdir_with_parents (out.c_str (), 0700);

  Cli r = run (dirs.data, { "export", "nothing", (out + "/x.mp4").c_str () });
  ot_assert_exit (r, 1);
  fail_unless (reason_of (r) == "gst-offline: no download with id 'nothing'", "%s", r.err.c_str ());
  r = run (dirs.data, { "export", "movie", (out + "/x.avi").c_str () });
  ot_assert_exit (r, 2);
  fail_unless (r.err.find ("--format") != std::string::npos, "%s", r.err.c_str ());
  r = run (dirs.data, { "export", "movie", (out + "/x.mp4").c_str (), "--format", "avi" });
  ot_assert_exit (r, 2);
  r = run (dirs.data, { "export", "movie" });
  ot_assert_exit (r, 2);

  /* An incomplete download (queued, nothing fetched) is refused. */
  g_autofree gchar *url = serve (test_server, dirs.content, "later", "x.mpd");
  r = run (dirs.data, { "download", url, "--id", "later", "--no-wait" });
  ot_assert_exit (r, 0);
  r = run (dirs.data, { "export", "later", (out + "/later.mp4").c_str () });
  ot_assert_exit (r, 1);
  fail_unless (reason_of (r).find ("is not complete (state: queued)") != std::string::npos, "%s", r.err.c_str ());

  /* A directory that does not exist: nothing is written. */
  r = run (dirs.data, { "export", "movie", (out + "/missing/x.mp4").c_str () });
  ot_assert_exit (r, 1);
  fail_unless (reason_of (r).find ("cannot write in") != std::string::npos, "%s", r.err.c_str ());

  /* --format wins over the name's extension. */
  std::string path = out + "/movie.bin";
  r = run (dirs.data, { "export", "movie", path.c_str (), "--format", "mkv" });
  ot_assert_exit (r, 0);
  /* Progress lines (not a terminal), then what was written. */
  fail_unless (r.out.find ("movie: ") == 0 && r.out.find ("\nexported movie to " + path + ": ") != std::string::npos,
      "%s", r.out.c_str ());
  fail_unless (read_text (path).compare (0, 4, "\x1a\x45\xdf\xa3") == 0, "not a Matroska file");
  assert_only (out, { "movie.bin" });

  /* FILE exists: refused and left as it is, unless --force, which replaces it. */
  write_text (path, "keep me");
  r = run (dirs.data, { "export", "movie", path.c_str (), "--format", "mkv" });
  ot_assert_exit (r, 1);
  fail_unless (reason_of (r) == "gst-offline: export of movie refused: " + path + " exists (--force replaces it)", "%s",
      r.err.c_str ());
  fail_unless (read_text (path) == "keep me");
  assert_only (out, { "movie.bin" });
  r = run (dirs.data, { "export", "movie", path.c_str (), "--format", "mkv", "--force" });
  ot_assert_exit (r, 0);
  fail_unless (read_text (path).compare (0, 4, "\x1a\x45\xdf\xa3") == 0, "not replaced by a Matroska file");
  assert_only (out, { "movie.bin" });

  /* A full disk: the export fails, and neither FILE nor its temporary
   * stays. */
  std::string small = std::string (dirs.root) + "/small";
  g_mkdir_with_parents (small.c_str (), 0700);
  mount_private_tmpfs (small.c_str (), 64);
  r = run (dirs.data, { "export", "movie", (small + "/movie.mp4").c_str () });
  ot_assert_exit (r, 1);
  fail_unless (reason_of (r).find ("not enough space in " + small) != std::string::npos, "%s", r.err.c_str ());
  assert_only (small, {});
}
GST_END_TEST;

/* ---- The library call ------------------------------------------------------------ */

struct LibraryRun {
  GMainLoop *loop;
  GCancellable *cancellable;
  guint progress = 0;
  guint64 last_position = 0;
  bool position_went_back = false;
  bool done = false;
  GError *error = nullptr;
};

void
on_library_progress (GstOfflineExport *, guint64 position, guint64 duration, gpointer data)
{
  auto *run = static_cast<LibraryRun *> (data);
  run->progress++;
  run->position_went_back = run->position_went_back || position < run->last_position;
  run->last_position = position;
  fail_unless (duration > 0 && GST_CLOCK_TIME_IS_VALID (duration));
  if (run->cancellable)
    g_cancellable_cancel (run->cancellable);
}

void
on_library_done (GObject *source, GAsyncResult *result, gpointer data)
{
  auto *run = static_cast<LibraryRun *> (data);
  gst_offline_export_run_finish (GST_OFFLINE_EXPORT (source), result, &run->error);
  run->done = true;
  g_main_loop_quit (run->loop);
}

GST_START_TEST (test_library_async_and_cancel)
{
  Dirs dirs ("export-library");
  References references = download_dash (test_server, dirs, "movie", nullptr);
  std::string out = std::string (dirs.root) + "/out";
  g_mkdir_with_parents (out.c_str (), 0700);
  g_autoptr (GMainLoop) loop = g_main_loop_new (nullptr, FALSE);

  /* Cancelled at the first progress: G_IO_ERROR_CANCELLED, nothing left. */
  {
    g_autoptr (GCancellable) cancellable = g_cancellable_new ();
    g_autoptr (GstOfflineExport) exporter = gst_offline_export_new (dirs.data, "movie", (out + "/c.mkv").c_str ());
    LibraryRun run { loop, cancellable };
    g_signal_connect (exporter, "progress", G_CALLBACK (on_library_progress), &run);
    gst_offline_export_run_async (exporter, cancellable, on_library_done, &run);
    g_main_loop_run (loop);
    fail_unless (run.done);
    fail_unless (g_error_matches (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED), "%s",
        run.error ? run.error->message : "not cancelled");
    g_clear_error (&run.error);
    assert_only (out, {});
  }

  /* To the end: progress that never goes back, then the results. */
  g_autoptr (GstOfflineExport) exporter = gst_offline_export_new (dirs.data, "movie", (out + "/movie.m4v").c_str ());
  fail_unless_equals_int (gst_offline_export_get_format (exporter), GST_OFFLINE_EXPORT_FORMAT_AUTO);
  fail_unless_equals_int (gst_offline_export_format_from_path ("A.M4V"), GST_OFFLINE_EXPORT_FORMAT_MP4);
  LibraryRun run { loop, nullptr };
  g_signal_connect (exporter, "progress", G_CALLBACK (on_library_progress), &run);
  gst_offline_export_run_async (exporter, nullptr, on_library_done, &run);
  g_main_loop_run (loop);
  fail_unless (run.error == nullptr, "%s", run.error ? run.error->message : "");
  fail_unless (run.progress >= 1 && !run.position_went_back);
  fail_unless_equals_uint64 (run.last_position, gst_offline_export_get_duration (exporter));
  GstStreamCollection *streams = gst_offline_export_get_streams (exporter);
  fail_unless (streams && gst_stream_collection_get_size (streams) == 2);
  fail_unless (gst_offline_export_get_size (exporter) == read_text (out + "/movie.m4v").size ());
  g_autoptr (GPtrArray) lines = decode_file (out + "/movie.m4v");
  assert_exported_like (references.video, references.audio, lines, false);
  assert_only (out, { "movie.m4v" });
}
GST_END_TEST;

Suite *
export_suite (void)
{
  Suite *s = suite_create ("export");
  TCase *tc = adaptive_tcase ("export");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_dash_to_mp4_and_mkv);
  tcase_add_test (tc, test_hls_ts_to_mp4);
  tcase_add_test (tc, test_hls_audio_renditions_to_mkv_and_mp4);
  tcase_add_test (tc, test_refused_stream_does_not_hang);
  tcase_add_test (tc, test_smooth_to_mkv);
  tcase_add_test (tc, test_cenc_exported_decrypted_while_licensed);
  tcase_add_test (tc, test_webvtt_into_matroska_and_mp4);
  tcase_add_test (tc, test_refusals_leave_nothing);
  tcase_add_test (tc, test_library_async_and_cancel);
  return s;
}

}  // namespace

GST_CHECK_MAIN (export);
