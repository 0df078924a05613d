/* The size of a download before it is made (issue 16, item 4): what
 * `inspect --json` says a selection takes, against what the download then
 * holds, for content ffmpeg makes here: DASH SegmentTemplate (bandwidth
 * only: an estimate), DASH byte ranges and SegmentBase (exact), HLS TS (an estimate from the
 * variant's BANDWIDTH), HLS EXT-X-BYTERANGE (exact), Smooth Streaming (an
 * estimate from the Bitrates) and a progressive file (its Content-Length,
 * exact); the text a person reads; and a download that cannot fit refused
 * before it writes a byte, saying how much it needs and how much is free.
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
  /* A constrained bitrate, as streams that are packaged for HLS have: the
   * variant's BANDWIDTH (which ffmpeg gives 10 % of headroom) says it. */
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

/* A selection larger than the free space of the data directory's file
 * system (less --min-free-space) is refused before any segment is fetched
 * or written (the manifest that tells the size is kept), the message saying
 * both sizes. */
GST_START_TEST (test_download_that_cannot_fit_says_both_sizes)
{
  ot::Dirs dirs ("size-refused");
  ot::make_dash (dirs.content, nullptr);
  g_autofree gchar *url = ot::serve (ot::test_server, dirs.content, "dash", "x.mpd");
  g_autofree gchar *mnt = g_build_filename (dirs.root, "mnt", nullptr);
  fail_unless (g_mkdir (mnt, 0700) == 0);
  ot::mount_private_tmpfs (mnt, 8 * 1024);
  g_autofree gchar *data = g_build_filename (mnt, "data", nullptr);
  Inspected before = inspect_json (data, url);
  /* The data directory as a download finds it (its databases made), then
   * free all but half of what the download needs. */
  Cli warm_up = run (data, { "download", url, "--id", "warm-up", "--no-wait" });
  ot_assert_exit (warm_up, 0);
  warm_up = run (data, { "remove", "warm-up" });
  ot_assert_exit (warm_up, 0);
  struct statvfs st;
  fail_unless (statvfs (mnt, &st) == 0);
  guint64 free_bytes = (guint64) st.f_bavail * st.f_frsize;
  g_autofree gchar *keep = g_strdup_printf ("%" G_GUINT64_FORMAT, free_bytes - (guint64) before.size / 2);
  std::map<std::string, guint> requests_before;
  for (const auto &file : ot::list_files (dirs.content))
    requests_before[file] = ot_server_get_request_count (ot::test_server, ("/dash/" + file).c_str ());
  Cli r = run (data, { "download", url, "--id", "big", "--min-free-space", keep });
  ot_assert_exit (r, 1);
  std::string reason = ot::reason_of (r);
  /* "not enough space in DIR: N KiB more are needed and M MiB are free (K
   * MiB are kept free)", GLib's sizes with a no-break space before the unit. */
  g_autoptr (GRegex) sizes = g_regex_new ("not enough space in .*: ([0-9.]+).KiB more are needed and [0-9.]+.[KM]iB "
      "are free \\([0-9.]+.[KM]iB are kept free\\)", (GRegexCompileFlags) 0, (GRegexMatchFlags) 0, nullptr);
  g_autoptr (GMatchInfo) match = nullptr;
  fail_unless (g_regex_match (sizes, reason.c_str (), (GRegexMatchFlags) 0, &match), "%s", reason.c_str ());
  g_autofree gchar *needed = g_match_info_fetch (match, 1);
  /* What the refusal counts is what inspect said. */
  double needed_bytes = g_ascii_strtod (needed, nullptr) * 1024;
  fail_unless (std::abs (needed_bytes - (double) before.size) <= 0.1 * (double) before.size,
      "the refusal needs %s KiB, inspect said %" G_GINT64_FORMAT " bytes", needed, before.size);
  /* No segment was asked for by the download (inspect asked the init
   * segments' lengths). */
  for (const auto &file : ot::list_files (dirs.content)) {
    if (file.find (".m4s") != std::string::npos)
      fail_unless_equals_int (ot_server_get_request_count (ot::test_server, ("/dash/" + file).c_str ()),
          requests_before[file]);
  }
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (data, nullptr);
  g_autoptr (GstOfflineDownload) d = gst_offline_download_index_get_download (index, "big", nullptr);
  fail_unless_equals_int (gst_offline_download_get_failure_code (d), GST_OFFLINE_ERROR_NO_SPACE);
  /* What it holds is the manifest that told the size, nothing more. */
  fail_unless_equals_uint64 (gst_offline_download_get_bytes_downloaded (d),
      ot::read_text (dirs.in_content ("x.mpd")).size ());
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
  tcase_add_test (tc, test_hls_byte_ranges_exact);
  tcase_add_test (tc, test_smooth_streaming_estimate);
  tcase_add_test (tc, test_progressive_exact);
  tcase_add_test (tc, test_inspect_text_shows_sizes);
  tcase_add_test (tc, test_download_that_cannot_fit_says_both_sizes);
  return s;
}

GST_CHECK_MAIN (size_estimate);
