/* The size of a download before it is made (issue 16, item 4): what
 * `inspect --json` says a selection takes, against what the download then
 * holds, for content ffmpeg makes here: DASH SegmentTemplate (bandwidth
 * only: an estimate), DASH byte ranges and SegmentBase (exact), HLS TS (an estimate from a
 * few of the variant's segments), HLS with audio and subtitle renditions (sampled
 * segments), HLS with ffmpeg's default BANDWIDTH (the variant's segments
 * sampled too), HLS EXT-X-BYTERANGE (exact), Smooth Streaming (an
 * estimate from the Bitrates) and a progressive file (its Content-Length,
 * exact); a time range (--start/--end: only the segments it needs); the
 * text a person reads; a download that cannot fit refused before it writes
 * a byte, saying how much it needs and how much is free, and leaving
 * nothing behind; and the helper's measure from a main loop.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "adaptive-content.h"
#include "private-tmpfs.h"

#include <sys/statvfs.h>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace {

using ot::Cli;
using ot::run;

/* What `inspect URL --json [SPECs]` says of the selection. */
struct Inspected {
  gint64 size = -1;
  bool exact = false;
  std::vector<std::string> keys;
  guint tracks = 0;
  /* The time range, -1 for an open end. */
  double range_start = -1, range_end = -1;
};

Inspected inspect_json (const gchar *data, const std::string &url, std::vector<const char *> specs = {})
{
  std::vector<const char *> args = { "inspect", url.c_str (), "--json" };
  args.insert (args.end (), specs.begin (), specs.end ());
  Cli r = run (data, args);
  ot_assert_exit (r, 0);
  g_autoptr (JsonParser) parser = json_parser_new ();
  fail_unless (json_parser_load_from_data (parser, r.out.c_str (), -1, nullptr), "not JSON:\n%s", r.out.c_str ());
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  Inspected result;
  JsonArray *tracks = json_object_get_array_member (root, "tracks");
  result.tracks = json_array_get_length (tracks);
  for (guint i = 0; i < result.tracks; i++) {
    JsonObject *t = json_array_get_object_element (tracks, i);
    JsonNode *size = json_object_get_member (t, "size");
    fail_unless (size && !json_node_is_null (size) && json_node_get_int (size) > 0, "track %s has no size:\n%s",
        json_object_get_string_member (t, "stream_key"), r.out.c_str ());
    fail_unless (json_object_has_member (t, "size_exact"));
  }
  JsonObject *selection = json_object_get_object_member (root, "selection");
  fail_unless (selection != nullptr, "no selection in:\n%s", r.out.c_str ());
  JsonNode *size = json_object_get_member (selection, "size");
  fail_unless (size && !json_node_is_null (size), "the selection has no size:\n%s", r.out.c_str ());
  result.size = json_node_get_int (size);
  result.exact = json_object_get_boolean_member (selection, "exact");
  for (auto [name, bound] : { std::make_pair ("range_start", &result.range_start),
           std::make_pair ("range_end", &result.range_end) }) {
    JsonNode *node = json_object_get_member (selection, name);
    fail_unless (node != nullptr, "no %s in:\n%s", name, r.out.c_str ());
    if (!json_node_is_null (node))
      *bound = json_node_get_double (node);
  }
  JsonArray *keys = json_object_get_array_member (selection, "stream_keys");
  for (guint i = 0; i < json_array_get_length (keys); i++)
    result.keys.emplace_back (json_array_get_string_element (keys, i));
  return result;
}

/* The bytes the completed download `id` holds. */
guint64 downloaded_bytes (const gchar *data, const gchar *id)
{
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (data, nullptr);
  g_autoptr (GstOfflineDownload) d = gst_offline_download_index_get_download (index, id, nullptr);
  fail_unless (d != nullptr, "no download %s", id);
  fail_unless_equals_int (gst_offline_download_get_state (d), GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
  return gst_offline_download_get_bytes_downloaded (d);
}

/* Inspects `url`, downloads its default selection, and compares: equal when
 * the inspection said exact, else within 10 %. */
void assert_size_before (const gchar *data, const std::string &url, const gchar *id, bool expect_exact)
{
  Inspected before = inspect_json (data, url);
  ot::download (data, url.c_str (), id);
  guint64 after = downloaded_bytes (data, id);
  GST_INFO ("%s: inspect said %" G_GINT64_FORMAT " (%s), the download holds %" G_GUINT64_FORMAT, id, before.size,
      before.exact ? "exact" : "estimate", after);
  fail_unless (before.exact == expect_exact, "%s: the size is %s, expected %s", id,
      before.exact ? "exact" : "an estimate", expect_exact ? "exact" : "an estimate");
  if (expect_exact) {
    fail_unless_equals_uint64 ((guint64) before.size, after);
  } else {
    fail_unless (std::llabs (before.size - (gint64) after) * 10 <= (gint64) after,
        "%s: estimated %" G_GINT64_FORMAT " bytes, the download holds %" G_GUINT64_FORMAT, id, before.size, after);
  }
}

/* HLS as ffmpeg packages it with renditions: a video-only variant (300
 * kbit/s at most, its BANDWIDTH counting the audio too, as the spec wants),
 * an AAC audio rendition and a WebVTT subtitle rendition (which have no
 * bandwidth in the master playlist), and an audio-only variant over the
 * audio rendition's playlist. */
void make_hls_renditions (const gchar *dir)
{
  ot::write_text (std::string (dir) + "/s.srt",
      "1\n00:00:00,500 --> 00:00:01,500\nThe first cue of the clip\n\n"
      "2\n00:00:02,500 --> 00:00:03,500\nThe second cue of the clip\n\n"
      "3\n00:00:04,500 --> 00:00:05,500\nThe third cue of the clip\n");
  ot::run_ffmpeg (dir, { "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=6", "-f", "lavfi", "-i",
      "sine=frequency=440:duration=6", "-i", "s.srt", "-map", "0:v", "-map", "1:a", "-map", "2:s", "-c:v", "libx264",
      "-preset", "veryfast", "-b:v", "300k", "-maxrate", "300k", "-bufsize", "300k", "-g", "25", "-keyint_min", "25",
      "-sc_threshold", "0", "-pix_fmt", "yuv420p", "-threads", "1", "-c:a", "aac", "-b:a", "64k", "-ac", "2", "-c:s",
      "webvtt", "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod", "-var_stream_map",
      "v:0,s:0,agroup:aud,sgroup:subs a:0,agroup:aud", "-master_pl_name", "master.m3u8", "-hls_segment_filename",
      "v%v/seg%d.ts", "v%v/index.m3u8" });
  g_unlink ((std::string (dir) + "/s.srt").c_str ());
  std::string master = ot::read_text (std::string (dir) + "/master.m3u8");
  fail_unless (master.find ("TYPE=AUDIO") != std::string::npos && master.find ("TYPE=SUBTITLES") != std::string::npos,
      "no renditions in:\n%s", master.c_str ());
}

/* HLS as ffmpeg's hls muxer makes it with its defaults (no target bitrate:
 * x264's quality-based rate control, AAC at its default rate): a video
 * variant with an AUDIO group whose rendition is the audio, and an
 * audio-only variant over the same playlist. ffmpeg gives the video
 * variant the BANDWIDTH its encoders announce — the audio's alone, as x264
 * announces none — plus 10 %: BANDWIDTH=75900, a fraction of the real rate. */
void make_hls_default_bandwidth (const gchar *dir)
{
  ot::run_ffmpeg (dir, { "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=8", "-f", "lavfi", "-i",
      "sine=frequency=440:duration=8", "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "veryfast", "-g",
      "25", "-keyint_min", "25", "-sc_threshold", "0", "-pix_fmt", "yuv420p", "-threads", "1", "-c:a", "aac", "-f",
      "hls", "-hls_time", "2", "-hls_playlist_type", "vod", "-var_stream_map", "v:0,agroup:aud a:0,agroup:aud",
      "-master_pl_name", "master.m3u8", "-hls_segment_filename", "v%v/seg%d.ts", "v%v/index.m3u8" });
}

/* The BANDWIDTH of the variant of `master` with a RESOLUTION. */
guint64 video_variant_bandwidth (const std::string &master)
{
  g_autoptr (GRegex) regex = g_regex_new ("#EXT-X-STREAM-INF:BANDWIDTH=([0-9]+),RESOLUTION=", (GRegexCompileFlags) 0,
      (GRegexMatchFlags) 0, nullptr);
  g_autoptr (GMatchInfo) match = nullptr;
  fail_unless (g_regex_match (regex, master.c_str (), (GRegexMatchFlags) 0, &match), "no video variant in:\n%s",
      master.c_str ());
  g_autofree gchar *digits = g_match_info_fetch (match, 1);
  return g_ascii_strtoull (digits, nullptr, 10);
}

/* The helper's measure of `url`'s default selection (exact or not), and
 * the size of its track `key` (-1 if it has none). */
gint64 helper_size (const std::string &url, gboolean *exact, const gchar *key = nullptr, gint64 *track_size = nullptr)
{
  g_autoptr (GstOfflineDownloadHelper) helper = gst_offline_download_helper_new (url.c_str ());
  g_autoptr (GError) error = nullptr;
  fail_unless (gst_offline_download_helper_prepare (helper, nullptr, &error), "%s", error ? error->message : "");
  fail_unless (gst_offline_download_helper_measure (helper, nullptr, &error), "%s", error ? error->message : "");
  if (key) {
    *track_size = -1;
    g_autoptr (GPtrArray) tracks = gst_offline_download_helper_get_tracks (helper);
    for (guint i = 0; i < tracks->len; i++) {
      auto track = GST_OFFLINE_TRACK (g_ptr_array_index (tracks, i));
      if (g_str_equal (gst_offline_track_get_stream_key (track), key)) {
        *track_size = gst_offline_track_get_size (track);
        fail_if (gst_offline_track_get_size_exact (track));
      }
    }
  }
  return gst_offline_download_helper_get_size (helper, nullptr, exact);
}

/* ffmpeg: `seconds` of a 320x240 test pattern in H.264 (a keyframe every
 * second) into `dir`, with `output` (muxer options and the output). */
void encode_video (const gchar *dir, const char *seconds, const std::vector<const char *> &output)
{
  g_autofree gchar *source = g_strdup_printf ("testsrc2=size=320x240:rate=25:duration=%s", seconds);
  std::vector<const char *> args = { "-f", "lavfi", "-i", source, "-c:v", "libx264", "-preset", "veryfast", "-g", "25",
    "-keyint_min", "25", "-sc_threshold", "0", "-pix_fmt", "yuv420p", "-threads", "1" };
  args.insert (args.end (), output.begin (), output.end ());
  ot::run_ffmpeg (dir, args);
}

}  // namespace

GST_START_TEST (test_dash_template_estimate)
{
  ot::Dirs dirs ("size-dash");
  ot::make_dash (dirs.content, nullptr);
  g_autofree gchar *url = ot::serve (ot::test_server, dirs.content, "dash", "x.mpd");
  assert_size_before (dirs.data, url, "dash", false);
}
GST_END_TEST;

GST_START_TEST (test_dash_byte_ranges_exact)
{
  ot::Dirs dirs ("size-dash-ranges");
  ot::make_dash (dirs.content, "-single_file 1");
  g_autofree gchar *url = ot::serve (ot::test_server, dirs.content, "ranges", "x.mpd");
  assert_size_before (dirs.data, url, "ranges", true);
}
GST_END_TEST;

/* SegmentBase with indexRange (ffmpeg's mp4 muxer with a global sidx:
 * ftyp, moov, sidx, then moof/mdat pairs): the sidx lists every byte range,
 * so the size is exact. */
GST_START_TEST (test_dash_segment_base_exact)
{
  ot::Dirs dirs ("size-dash-base");
  encode_video (dirs.content, "6",
      { "-movflags", "+frag_keyframe+empty_moov+default_base_moof+global_sidx+skip_trailer", "v.mp4" });
  std::string bytes = ot::read_text (dirs.in_content ("v.mp4"));
  auto box_size = [&] (guint64 at) {
    fail_unless (at + 8 <= bytes.size ());
    return (guint64) GST_READ_UINT32_BE (bytes.data () + at);
  };
  guint64 sidx = box_size (0) + box_size (box_size (0));
  fail_unless (bytes.compare (sidx + 4, 4, "sidx") == 0, "no sidx after ftyp and moov");
  g_autofree gchar *mpd = g_strdup_printf ("<?xml version=\"1.0\"?>\n"
      "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\" "
      "profiles=\"urn:mpeg:dash:profile:isoff-on-demand:2011\" minBufferTime=\"PT2S\" "
      "mediaPresentationDuration=\"PT6S\">\n <Period>\n"
      "  <AdaptationSet contentType=\"video\" mimeType=\"video/mp4\">\n"
      "   <Representation id=\"v\" codecs=\"avc1.64000d\" bandwidth=\"100000\" width=\"320\" height=\"240\">\n"
      "    <BaseURL>v.mp4</BaseURL>\n"
      "    <SegmentBase indexRange=\"%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "\">"
      "<Initialization range=\"0-%" G_GUINT64_FORMAT "\"/></SegmentBase>\n"
      "   </Representation>\n  </AdaptationSet>\n </Period>\n</MPD>\n",
      sidx, sidx + box_size (sidx) - 1, sidx - 1);
  ot::write_text (dirs.in_content ("base.mpd"), mpd);
  g_autofree gchar *url = ot::serve (ot::test_server, dirs.content, "base", "base.mpd");
  assert_size_before (dirs.data, url, "base", true);
}
GST_END_TEST;

GST_START_TEST (test_hls_ts_estimate)
{
  ot::Dirs dirs ("size-hls");
  /* A constrained bitrate, as streams that are packaged for HLS have (the
   * size comes from a few of the variant's segments all the same). */
  ot::run_ffmpeg (dirs.content, { "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=6", "-f", "lavfi", "-i",
      "sine=frequency=440:duration=6", "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "veryfast", "-b:v",
      "300k", "-maxrate", "300k", "-bufsize", "300k", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0",
      "-pix_fmt", "yuv420p", "-threads", "1", "-c:a", "aac", "-b:a", "64k", "-ac", "2", "-f", "hls", "-hls_time", "2",
      "-hls_playlist_type", "vod", "-var_stream_map", "v:0,a:0", "-master_pl_name", "master.m3u8",
      "-hls_segment_filename", "v%v/seg%d.ts", "v%v/index.m3u8" });
  g_autofree gchar *url = ot::serve (ot::test_server, dirs.content, "hls", "master.m3u8");
  assert_size_before (dirs.data, url, "hls", false);
}
GST_END_TEST;

/* Audio and subtitle renditions have no bandwidth in the master playlist:
 * their sizes come from a few of their segments (HEAD requests), as the
 * variant's video does; the default selection
 * (video, audio and subtitles) counts them all, within 10 %. */
GST_START_TEST (test_hls_renditions_estimate)
{
  ot::Dirs dirs ("size-hls-renditions");
  make_hls_renditions (dirs.content);
  g_autofree gchar *url = ot::serve (ot::test_server, dirs.content, "renditions", "master.m3u8");
  Inspected before = inspect_json (dirs.data, url);
  fail_unless_equals_int (before.keys.size (), 3);
  /* No media segment was fetched to tell it. */
  for (const auto &file : ot::list_files (dirs.content)) {
    if (!g_str_has_suffix (file.c_str (), ".m3u8"))
      fail_unless_equals_uint64 (ot_server_get_bytes_sent (ot::test_server, ("/renditions/" + file).c_str ()), 0);
  }
  assert_size_before (dirs.data, url, "renditions", false);
  Cli r = run (dirs.data, { "inspect", url });
  ot_assert_exit (r, 0);
  fail_unless (r.out.find (" ?") == std::string::npos, "a size is unknown:\n%s", r.out.c_str ());
}
GST_END_TEST;

/* ffmpeg's default BANDWIDTH is far below the real rate (the whole
 * BANDWIDTH over the presentation is under half of what the download
 * takes): the variant's size comes from a few of its segments too, as the
 * renditions' do, and the estimate of the default selection (video variant
 * and audio rendition) is within 10 % of what the download takes, through
 * `inspect --json` and the helper alike, marked as an estimate, with no
 * media segment fetched to tell it. A server that tells no segment length
 * (HEAD fails) leaves the variant at its BANDWIDTH times its duration,
 * still an estimate. */
GST_START_TEST (test_hls_default_bandwidth_estimate)
{
  ot::Dirs dirs ("size-hls-default");
  make_hls_default_bandwidth (dirs.content);
  g_autofree gchar *url = ot::serve (ot::test_server, dirs.content, "default", "master.m3u8");
  std::string master = ot::read_text (dirs.in_content ("master.m3u8"));
  guint64 bandwidth = video_variant_bandwidth (master);
  fail_unless (master.find ("TYPE=AUDIO") != std::string::npos, "no audio rendition in:\n%s", master.c_str ());

  Inspected before = inspect_json (dirs.data, url);
  fail_unless_equals_int (before.keys.size (), 2);
  fail_if (before.exact);
  for (const auto &file : ot::list_files (dirs.content)) {
    if (!g_str_has_suffix (file.c_str (), ".m3u8"))
      fail_unless_equals_uint64 (ot_server_get_bytes_sent (ot::test_server, ("/default/" + file).c_str ()), 0);
  }
  gboolean exact = TRUE;
  gint64 measured = helper_size (url, &exact);
  fail_if (exact);
  fail_unless_equals_int64 (measured, before.size);

  ot::download (dirs.data, url, "default");
  guint64 after = downloaded_bytes (dirs.data, "default");
  GST_INFO ("BANDWIDTH=%" G_GUINT64_FORMAT "; estimated %" G_GINT64_FORMAT ", the download holds %" G_GUINT64_FORMAT,
      bandwidth, before.size, after);
  /* What the BANDWIDTH alone says is far off: its 8 s (BANDWIDTH / 8 bytes
   * a second) are under half of the download. */
  fail_unless (bandwidth * 2 < after, "BANDWIDTH=%" G_GUINT64_FORMAT " is not far from the %" G_GUINT64_FORMAT
      " bytes of 8 s", bandwidth, after);
  fail_unless (std::llabs (before.size - (gint64) after) * 10 <= (gint64) after,
      "estimated %" G_GINT64_FORMAT " bytes, the download holds %" G_GUINT64_FORMAT, before.size, after);

  /* The playlists alone: every HEAD of a segment fails (404). */
  for (const char *playlist : { "master.m3u8", "v0/index.m3u8", "v1/index.m3u8" }) {
    g_free (ot_server_add_file (ot::test_server, (std::string ("/playlists-only/") + playlist).c_str (),
        dirs.in_content (playlist).c_str ()));
  }
  std::string bare = std::string (ot_server_get_base_url (ot::test_server)) + "/playlists-only/master.m3u8";
  gint64 video = -1;
  helper_size (bare, &exact, "v:0", &video);
  /* Four segments of 2 s at BANDWIDTH (the audio rendition's rate is
   * unknown: nothing to take off), and the playlist. */
  guint64 playlist_length = ot::read_text (dirs.in_content ("v0/index.m3u8")).size ();
  fail_unless_equals_int64 (video, (gint64) (4 * (bandwidth * 2 / 8) + playlist_length));
}
GST_END_TEST;

GST_START_TEST (test_hls_byte_ranges_exact)
{
  ot::Dirs dirs ("size-hls-ranges");
  encode_video (dirs.content, "4",
      { "-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod", "-hls_flags", "single_file", "index.m3u8" });
  fail_unless (ot::read_text (dirs.in_content ("index.m3u8")).find ("#EXT-X-BYTERANGE") != std::string::npos);
  g_autofree gchar *url = ot::serve (ot::test_server, dirs.content, "single", "index.m3u8");
  assert_size_before (dirs.data, url, "single", true);
}
GST_END_TEST;

GST_START_TEST (test_smooth_streaming_estimate)
{
  ot::Dirs dirs ("size-mss");
  ot::make_smooth (dirs.content);
  g_autofree gchar *ism = g_build_filename (dirs.content, "movie.ism", nullptr);
  g_autofree gchar *url = ot::serve (ot::test_server, ism, "movie.ism", "Manifest");
  assert_size_before (dirs.data, url, "movie", false);
}
GST_END_TEST;

GST_START_TEST (test_progressive_exact)
{
  ot::Dirs dirs ("size-progressive");
  encode_video (dirs.content, "2", { "clip.mp4" });
  g_autofree gchar *url = ot::serve (ot::test_server, dirs.content, "files", "clip.mp4");
  assert_size_before (dirs.data, url, "clip", true);
}
GST_END_TEST;

/* What a person reads: the size of each track (with '~' for an estimate),
 * then the selection and its total; SPECs choose another selection, as for
 * `download`. */
GST_START_TEST (test_inspect_text_shows_sizes)
{
  ot::Dirs dirs ("size-text");
  ot::make_dash (dirs.content, nullptr);
  g_autofree gchar *url = ot::serve (ot::test_server, dirs.content, "dash", "x.mpd");
  Cli r = run (dirs.data, { "inspect", url });
  ot_assert_exit (r, 0);
  g_auto (GStrv) lines = g_strsplit (r.out.c_str (), "\n", -1);
  fail_unless_equals_int (g_strv_length (lines), 5);  /* the type, two tracks, the selection, "" */
  for (int i = 1; i <= 2; i++) {
    fail_unless (g_regex_match_simple ("^0\\.[01]\\.0 +(video|audio) .* ~[0-9]+\\.[0-9] KiB  ", lines[i],
                     (GRegexCompileFlags) 0, (GRegexMatchFlags) 0),
        "a track line without its estimated size: '%s'", lines[i]);
  }
  fail_unless (g_regex_match_simple ("^default selection: 0\\.0\\.0 0\\.1\\.0, ~[0-9]+\\.[0-9] KiB$", lines[3],
                   (GRegexCompileFlags) 0, (GRegexMatchFlags) 0),
      "not the selection line: '%s'", lines[3]);
  fail_unless_equals_string (lines[4], "");

  r = run (dirs.data, { "inspect", url, "--audio", "none" });
  ot_assert_exit (r, 0);
  fail_unless (r.out.find ("\nselection: 0.0.0, ~") != std::string::npos, "%s", r.out.c_str ());
  Inspected all = inspect_json (dirs.data, url);
  Inspected video = inspect_json (dirs.data, url, { "--audio", "none" });
  fail_unless (video.keys == std::vector<std::string> { "0.0.0" });
  fail_unless (video.size > 0 && video.size < all.size);
  /* A SPEC that names nothing is refused as `download` refuses it. */
  r = run (dirs.data, { "inspect", url, "--audio", "fr" });
  ot_assert_exit (r, 1);
  fail_unless (r.err.find ("no audio track in language 'fr'") != std::string::npos, "%s", r.err.c_str ());
}
GST_END_TEST;

/* A time range counts only the segments a download of it fetches: those
 * that overlap it and, for a range that starts later, the first segment
 * (where playback anchors the Period), with the init segments. With byte
 * ranges the size is exact, so it must equal what the ranged download
 * holds. */
GST_START_TEST (test_time_range_counts_its_segments)
{
  ot::Dirs dirs ("size-range");
  ot::make_dash (dirs.content, "-single_file 1");
  g_autofree gchar *url = ot::serve (ot::test_server, dirs.content, "ranges", "x.mpd");
  Inspected whole = inspect_json (dirs.data, url);
  fail_unless (whole.range_start < 0 && whole.range_end < 0);
  struct {
    const char *id;
    std::vector<const char *> range;
    double start, end;
  } cases[] = { { "head", { "--end", "2" }, -1, 2 }, { "tail", { "--start", "4.5" }, 4.5, -1 },
    { "middle", { "--start", "00:00:02.500", "--end", "3.5" }, 2.5, 3.5 } };
  for (const auto &c : cases) {
    Inspected ranged = inspect_json (dirs.data, url, c.range);
    fail_unless (ranged.exact);
    fail_unless (ranged.range_start == c.start && ranged.range_end == c.end, "%s: range %f-%f", c.id,
        ranged.range_start, ranged.range_end);
    fail_unless (ranged.size > 0 && ranged.size < whole.size, "%s: %" G_GINT64_FORMAT " bytes of %" G_GINT64_FORMAT,
        c.id, ranged.size, whole.size);
    std::vector<const char *> args = { "download", url, "--id", c.id };
    args.insert (args.end (), c.range.begin (), c.range.end ());
    Cli r = run (dirs.data, args);
    ot_assert_exit (r, 0);
    fail_unless_equals_uint64 (downloaded_bytes (dirs.data, c.id), (guint64) ranged.size);
  }
  /* The text says the range. */
  Cli r = run (dirs.data, { "inspect", url, "--start", "4.5" });
  ot_assert_exit (r, 0);
  fail_unless (r.out.find ("default selection: 0.0.0 0.1.0 from 0:00:04.500 to the end, ") != std::string::npos,
      "%s", r.out.c_str ());
  /* What download refuses, inspect refuses. */
  r = run (dirs.data, { "inspect", url, "--start", "3", "--end", "2" });
  ot_assert_exit (r, 2);
  fail_unless (r.err.find ("the time range ends") != std::string::npos, "%s", r.err.c_str ());
  r = run (dirs.data, { "inspect", url, "--end", "two" });
  ot_assert_exit (r, 2);
  fail_unless (r.err.find ("--end 'two' is not a time") != std::string::npos, "%s", r.err.c_str ());
}
GST_END_TEST;

/* The data directory `data` on a tmpfs of its own at `mnt`, as a download
 * finds it (its databases made). */
void make_data_dir (const gchar *mnt, const gchar *data, const std::string &url)
{
  ot::mount_private_tmpfs (mnt, 8 * 1024);
  Cli warm_up = run (data, { "download", url.c_str (), "--id", "warm-up", "--no-wait" });
  ot_assert_exit (warm_up, 0);
  warm_up = run (data, { "remove", "warm-up" });
  ot_assert_exit (warm_up, 0);
}

/* The --min-free-space that leaves `room` bytes for downloads on `mnt`. */
gchar *keep_free_but (const gchar *mnt, guint64 room)
{
  struct statvfs st;
  fail_unless (statvfs (mnt, &st) == 0);
  guint64 free_bytes = (guint64) st.f_bavail * st.f_frsize;
  fail_unless (free_bytes > room);
  return g_strdup_printf ("%" G_GUINT64_FORMAT, free_bytes - room);
}

/* `download` refused for space: exit 1, saying "not enough space in DIR: N
 * KiB more are needed and M MiB are free (K MiB are kept free)" (GLib's
 * sizes, a no-break space before the unit), N within 10 % of `expected`
 * bytes (what inspect said). */
void assert_refused (const Cli &r, gint64 expected)
{
  ot_assert_exit (r, 1);
  std::string reason = ot::reason_of (r);
  g_autoptr (GRegex) sizes = g_regex_new ("not enough space in .*: ([0-9.]+).KiB more are needed and [0-9.]+.[KM]iB "
      "are free \\([0-9.]+.[KM]iB are kept free\\)", (GRegexCompileFlags) 0, (GRegexMatchFlags) 0, nullptr);
  g_autoptr (GMatchInfo) match = nullptr;
  fail_unless (g_regex_match (sizes, reason.c_str (), (GRegexMatchFlags) 0, &match), "%s", reason.c_str ());
  g_autofree gchar *needed = g_match_info_fetch (match, 1);
  double needed_bytes = g_ascii_strtod (needed, nullptr) * 1024;
  fail_unless (std::abs (needed_bytes - (double) expected) <= 0.1 * (double) expected,
      "the refusal needs %s KiB, inspect said %" G_GINT64_FORMAT " bytes", needed, expected);
}

/* Every file under the data directory `dir` but the database and the
 * (empty) lock files, which stay once made, as after `remove`. */
std::vector<std::string> files_but_databases (const gchar *dir)
{
  std::vector<std::string> files;
  for (const auto &file : ot::list_files (dir)) {
    if (!g_str_has_prefix (file.c_str (), "offline.db") && !g_str_has_prefix (file.c_str (), "locks/"))
      files.push_back (file);
  }
  return files;
}

/* A selection larger than the free space of the data directory's file
 * system (less --min-free-space) is refused before any segment is fetched
 * or written, the message saying both sizes, counting what inspect counts
 * (renditions too); a download refused so leaves nothing behind: no row in
 * the index, no file (not even the manifest that told the size; its lock
 * file aside, as after `remove`). */
void assert_cannot_fit (const gchar *name, void (*make) (const gchar *dir), const gchar *manifest)
{
  ot::Dirs dirs (name);
  make (dirs.content);
  g_autofree gchar *url = ot::serve (ot::test_server, dirs.content, name, manifest);
  g_autofree gchar *mnt = g_build_filename (dirs.root, "mnt", nullptr);
  fail_unless (g_mkdir (mnt, 0700) == 0);
  g_autofree gchar *data = g_build_filename (mnt, "data", nullptr);
  make_data_dir (mnt, data, url);
  std::vector<std::string> files_before = files_but_databases (data);
  Inspected before = inspect_json (data, url);
  /* Free all but half of what the download needs. */
  g_autofree gchar *keep = keep_free_but (mnt, (guint64) before.size / 2);
  std::map<std::string, guint64> sent_before;
  for (const auto &file : ot::list_files (dirs.content))
    sent_before[file] = ot_server_get_bytes_sent (ot::test_server, ("/" + std::string (name) + "/" + file).c_str ());
  Cli r = run (data, { "download", url, "--id", "big", "--min-free-space", keep });
  assert_refused (r, before.size);
  /* No segment was fetched by the download (inspect and the download
   * asked some of their lengths, with HEAD). */
  for (const auto &file : ot::list_files (dirs.content)) {
    if (!g_str_has_suffix (file.c_str (), ".m3u8") && !g_str_has_suffix (file.c_str (), ".mpd"))
      fail_unless_equals_uint64 (
          ot_server_get_bytes_sent (ot::test_server, ("/" + std::string (name) + "/" + file).c_str ()),
          sent_before[file]);
  }
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (data, nullptr);
  g_autoptr (GError) error = nullptr;
  g_autoptr (GstOfflineDownload) d = gst_offline_download_index_get_download (index, "big", &error);
  fail_unless (d == nullptr && g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND),
      "the refused download is still in the index");
  fail_unless (files_but_databases (data) == files_before, "the refused download left files behind");
  r = run (data, { "list" });
  ot_assert_exit (r, 0);
  fail_unless_equals_string (r.out.c_str (), "");
  r = run (data, { "verify" });
  ot_assert_exit (r, 0);
}

void make_dash_template (const gchar *dir)
{
  ot::make_dash (dir, nullptr);
}

GST_START_TEST (test_download_that_cannot_fit_says_both_sizes)
{
  assert_cannot_fit ("refused-dash", make_dash_template, "x.mpd");
}
GST_END_TEST;

GST_START_TEST (test_hls_renditions_that_cannot_fit)
{
  assert_cannot_fit ("refused-hls", make_hls_renditions, "master.m3u8");
}
GST_END_TEST;

/* The refusal of a download with a time range counts the range's segments,
 * not the whole item's: a range fits where the whole does not, and one that
 * does not fit is refused with the size inspect gives the range. A
 * download that held data before keeps it when a wider range is refused. */
GST_START_TEST (test_time_range_refusal_counts_the_range)
{
  ot::Dirs dirs ("size-range-refused");
  ot::make_dash (dirs.content, nullptr);
  g_autofree gchar *url = ot::serve (ot::test_server, dirs.content, "dash", "x.mpd");
  g_autofree gchar *mnt = g_build_filename (dirs.root, "mnt", nullptr);
  fail_unless (g_mkdir (mnt, 0700) == 0);
  g_autofree gchar *data = g_build_filename (mnt, "data", nullptr);
  make_data_dir (mnt, data, url);
  Inspected whole = inspect_json (data, url);
  Inspected head = inspect_json (data, url, { "--end", "2" });
  Inspected tail = inspect_json (data, url, { "--start", "4.5" });
  fail_unless (head.size * 3 < whole.size * 2 && tail.size < whole.size);

  /* A range that does not fit says what it needs: the range's size (in a
   * cache that holds none of it yet: what the cache holds is not needed). */
  g_autofree gchar *keep_tail = keep_free_but (mnt, (guint64) tail.size / 2);
  Cli r = run (data, { "download", url, "--id", "tail", "--start", "4.5", "--min-free-space", keep_tail });
  assert_refused (r, tail.size);
  /* Room for the first 2 s, not for the whole: the range is fetched. (The
   * room is as large as it can be short of the whole: the database grows
   * while the download writes its plan, before the check.) */
  guint64 room = (guint64) whole.size - 2048;
  g_autofree gchar *keep = keep_free_but (mnt, room);
  r = run (data, { "download", url, "--id", "head", "--end", "2", "--min-free-space", keep });
  fail_unless (r.status == 0, "the first 2 s (%" G_GINT64_FORMAT " bytes) in %" G_GUINT64_FORMAT " bytes: %s", head.size,
      room, r.err.c_str ());
  /* The whole of "head" does not fit either: what it holds stays, failed. */
  guint64 held = downloaded_bytes (data, "head");
  g_autofree gchar *keep_whole = keep_free_but (mnt, (guint64) (whole.size - head.size) / 2);
  r = run (data, { "download", url, "--id", "head", "--min-free-space", keep_whole });
  ot_assert_exit (r, 1);
  fail_unless (ot::reason_of (r).find ("not enough space") != std::string::npos, "%s", r.err.c_str ());
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (data, nullptr);
  g_autoptr (GstOfflineDownload) d = gst_offline_download_index_get_download (index, "head", nullptr);
  fail_unless (d != nullptr);
  fail_unless_equals_int (gst_offline_download_get_state (d), GST_OFFLINE_DOWNLOAD_STATE_FAILED);
  fail_unless_equals_int (gst_offline_download_get_failure_code (d), GST_OFFLINE_ERROR_NO_SPACE);
  fail_unless_equals_uint64 (gst_offline_download_get_bytes_downloaded (d), held);
  r = run (data, { "verify" });
  ot_assert_exit (r, 0);
}
GST_END_TEST;

/* The helper measured from a main loop (measure_async): the sizes of the
 * blocking form; a cancelled measure says so, also while it waits for the
 * server. */
static void
on_measured (GObject *source, GAsyncResult *result, gpointer user_data)
{
  auto answer = static_cast<GAsyncResult **> (user_data);
  *answer = G_ASYNC_RESULT (g_object_ref (result));
  (void) source;
}

static GAsyncResult *
wait_answer (GAsyncResult **answer)
{
  while (!*answer)
    g_main_context_iteration (nullptr, TRUE);
  return *answer;
}

static std::vector<gint64> track_sizes (GstOfflineDownloadHelper *helper)
{
  g_autoptr (GPtrArray) tracks = gst_offline_download_helper_get_tracks (helper);
  std::vector<gint64> sizes;
  for (guint i = 0; i < tracks->len; i++)
    sizes.push_back (gst_offline_track_get_size (GST_OFFLINE_TRACK (g_ptr_array_index (tracks, i))));
  return sizes;
}

GST_START_TEST (test_measure_async)
{
  ot::Dirs dirs ("size-async");
  make_hls_renditions (dirs.content);
  g_autofree gchar *url = ot::serve (ot::test_server, dirs.content, "async", "master.m3u8");
  g_autoptr (GstOfflineDownloadHelper) helper = gst_offline_download_helper_new (url);
  g_autoptr (GError) error = nullptr;
  fail_unless (gst_offline_download_helper_prepare (helper, nullptr, &error), "%s", error ? error->message : "");
  fail_unless (gst_offline_download_helper_get_size (helper, nullptr, nullptr) == -1);

  GAsyncResult *answer = nullptr;
  gst_offline_download_helper_measure_async (helper, nullptr, on_measured, &answer);
  fail_unless (gst_offline_download_helper_measure_finish (helper, wait_answer (&answer), &error), "%s",
      error ? error->message : "");
  g_clear_object (&answer);
  std::vector<gint64> async_sizes = track_sizes (helper);
  gint64 total = gst_offline_download_helper_get_size (helper, nullptr, nullptr);
  fail_unless (total > 0);
  for (gint64 size : async_sizes)
    fail_unless (size > 0);
  fail_unless (gst_offline_download_helper_measure (helper, nullptr, &error), "%s", error ? error->message : "");
  fail_unless (track_sizes (helper) == async_sizes);

  /* Cancelled before it starts. */
  g_autoptr (GCancellable) cancelled = g_cancellable_new ();
  g_cancellable_cancel (cancelled);
  gst_offline_download_helper_measure_async (helper, cancelled, on_measured, &answer);
  fail_if (gst_offline_download_helper_measure_finish (helper, wait_answer (&answer), &error));
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED), "%s", error ? error->message : "");
  g_clear_error (&error);
  g_clear_object (&answer);

  /* Cancelled while the server holds its request for a media playlist. */
  g_autoptr (GstOfflineDownloadHelper) held = gst_offline_download_helper_new (url);
  fail_unless (gst_offline_download_helper_prepare (held, nullptr, &error), "%s", error ? error->message : "");
  ot_server_hold (ot::test_server, "*/index.m3u8");
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  gst_offline_download_helper_measure_async (held, cancellable, on_measured, &answer);
  ot_server_wait_held (ot::test_server, 1);
  g_cancellable_cancel (cancellable);
  fail_if (gst_offline_download_helper_measure_finish (held, wait_answer (&answer), &error));
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED), "%s", error ? error->message : "");
  g_clear_object (&answer);
  ot_server_release (ot::test_server);
}
GST_END_TEST;

static Suite *
size_estimate_suite (void)
{
  Suite *s = suite_create ("size-estimate");
  TCase *tc = ot::adaptive_tcase ("estimate");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_dash_template_estimate);
  tcase_add_test (tc, test_dash_byte_ranges_exact);
  tcase_add_test (tc, test_dash_segment_base_exact);
  tcase_add_test (tc, test_hls_ts_estimate);
  tcase_add_test (tc, test_hls_renditions_estimate);
  tcase_add_test (tc, test_hls_default_bandwidth_estimate);
  tcase_add_test (tc, test_hls_byte_ranges_exact);
  tcase_add_test (tc, test_smooth_streaming_estimate);
  tcase_add_test (tc, test_progressive_exact);
  tcase_add_test (tc, test_inspect_text_shows_sizes);
  tcase_add_test (tc, test_download_that_cannot_fit_says_both_sizes);
  tcase_add_test (tc, test_hls_renditions_that_cannot_fit);
  tcase_add_test (tc, test_time_range_counts_its_segments);
  tcase_add_test (tc, test_time_range_refusal_counts_the_range);
  tcase_add_test (tc, test_measure_async);
  return s;
}

GST_CHECK_MAIN (size_estimate);
