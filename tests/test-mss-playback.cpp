/* Smooth Streaming played offline through cachesrc: ffmpeg's smoothstreaming
 * output (tests/support/adaptive-content.h) served on 127.0.0.1 and
 * downloaded with the CLI decodes, in a process without network, to the
 * very frames and audio buffers the same stream gives online through
 * mssdemux2 (uridecodebin3 picks it for the manifest) from the start, and
 * through mssdemux after a seek to the middle, with the same duration. A
 * track whose codec cachesrc cannot describe to qtdemux is a clear error; a
 * text stream, which neither plays, is left out of the default choice.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>

#include "adaptive-content.h"

#include <string>
#include <vector>

namespace {

using ot::Cli;
#define assert_exit ot_assert_exit

GPtrArray *decode (const std::string &uri, const char *data_dir, OtDecodeFlags flags, GstClockTime seek)
{
  gchar *message = nullptr;
  GPtrArray *lines = ot_decode_checksums_full (uri.c_str (), data_dir, flags, seek, &message);
  fail_unless (lines != nullptr, "decoding %s failed: %s", uri.c_str (), message);
  return lines;
}

/* The lines that start with `kind` ("video", "audio", "duration"). */
std::vector<std::string> lines_of (GPtrArray *lines, const char *kind)
{
  std::vector<std::string> result;
  std::string prefix = std::string (kind) + " ";
  for (guint i = 0; i < lines->len; i++) {
    const char *line = static_cast<const char *> (g_ptr_array_index (lines, i));
    if (g_str_has_prefix (line, prefix.c_str ()))
      result.push_back (line);
  }
  return result;
}

/* The PTS of a checksum line "KIND PTS MD5". */
gint64 pts_of (const std::string &line)
{
  return g_ascii_strtoll (line.c_str () + line.find (' ') + 1, nullptr, 10);
}

/* ffmpeg's Smooth Streaming output with one video QualityLevel (so that
 * mssdemux2 has no other to switch to), and manifests a test makes from it,
 * each served over the same fragments. */
struct EditedSmooth {
  gchar *dir;
  gchar *data;
  gchar *ism;
  std::string original; /* ffmpeg's Manifest, first t added */
  OtServer *server;

  explicit EditedSmooth (const char *name)
      : dir (ot_make_temp_dir (name)), data (g_build_filename (dir, "data", nullptr)),
        ism (g_build_filename (dir, "movie.ism", nullptr)), server (ot_server_new ())
  {
    ot::make_smooth (dir, true);
    g_autofree gchar *path = g_build_filename (ism, "Manifest", nullptr);
    g_autofree gchar *text = nullptr;
    fail_unless (g_file_get_contents (path, &text, nullptr, nullptr));
    original = text;
  }
  ~EditedSmooth ()
  {
    ot_server_free (server);
    g_free (ism);
    g_free (data);
    g_free (dir);
  }

  /* Serves `manifest` at /ID.ism/Manifest and downloads it as ID with
   * `args`; returns its URL. */
  std::string serve_and_download (const char *id, const std::string &manifest,
      const std::vector<const char *> &args = {})
  {
    std::string name = std::string (id) + ".xml";
    g_autofree gchar *local = g_build_filename (dir, name.c_str (), nullptr);
    fail_unless (g_file_set_contents (local, manifest.c_str (), -1, nullptr));
    std::string prefix = std::string ("/") + id + ".ism";
    ot::serve_dir (server, ism, prefix);
    g_autofree gchar *url = ot_server_add_file (server, (prefix + "/Manifest").c_str (), local);
    std::vector<const char *> download = { "download", url, "--id", id };
    download.insert (download.end (), args.begin (), args.end ());
    Cli r = ot::run (data, download);
    assert_exit (r, 0);
    return url;
  }
};

}  // namespace

/* From the start: every video frame and audio buffer, with its PTS, is the
 * one mssdemux2 gives online. */
GST_START_TEST (test_frames_equal_mssdemux2)
{
  EditedSmooth asset ("movie");
  std::string manifest = asset.serve_and_download ("movie", asset.original);
  g_autoptr (GPtrArray) online = decode (manifest, nullptr, OT_DECODE_URIDECODEBIN3, GST_CLOCK_TIME_NONE);
  g_autoptr (GPtrArray) offline = decode ("offline://movie", asset.data, OT_DECODE_NO_NETWORK, GST_CLOCK_TIME_NONE);
  /* 6 s at 25 fps, and the audio. */
  fail_unless_equals_int (lines_of (online, "video").size (), 150);
  fail_unless (lines_of (online, "audio").size () > 200, "%zu audio buffers", lines_of (online, "audio").size ());
  ot_assert_same_frames (online, offline);
}
GST_END_TEST;

/* The duration is the manifest's, and an accurate flushing seek to the
 * middle gives what mssdemux gives after the same seek: the frames from the
 * target on, and the audio from the fragment holding it. (The reference is
 * the legacy mssdemux: mssdemux2 of GStreamer 1.22 outputs nothing after a
 * seek in fragments that have no tfdt, as ffmpeg's are.) */
GST_START_TEST (test_seek_and_duration_equal_mssdemux)
{
  EditedSmooth asset ("seek");
  std::string manifest = asset.serve_and_download ("seek", asset.original);
  constexpr GstClockTime target = 3 * GST_SECOND;
  g_setenv ("GST_PLUGIN_FEATURE_RANK", "mssdemux2:NONE", TRUE);
  g_autoptr (GPtrArray) online = decode (manifest, nullptr, static_cast<OtDecodeFlags> (0), target);
  g_unsetenv ("GST_PLUGIN_FEATURE_RANK");
  g_autoptr (GPtrArray) offline = decode ("offline://seek", asset.data, OT_DECODE_NO_NETWORK, target);

  auto duration = lines_of (offline, "duration");
  fail_unless_equals_int (duration.size (), 1);
  gint64 ns = pts_of (duration[0]);
  fail_unless (ns > static_cast<gint64> (6 * GST_SECOND) && ns < static_cast<gint64> (6200 * GST_MSECOND), "%s",
      duration[0].c_str ());
  auto video = lines_of (offline, "video");
  fail_unless (!video.empty () && pts_of (video.front ()) >= static_cast<gint64> (target), "video after the seek "
      "from %s", video.empty () ? "nothing" : video.front ().c_str ());
  fail_unless (video.size () < 100, "%zu frames after a seek to the middle", video.size ());
  fail_unless (!lines_of (offline, "audio").empty ());
  ot_assert_same_frames (online, offline);
  /* uridecodebin3 seeks once every branch is there (ot-decode waits for
   * them) and gives the same frames. */
  g_autoptr (GPtrArray) offline3 = decode ("offline://seek", asset.data,
      static_cast<OtDecodeFlags> (OT_DECODE_NO_NETWORK | OT_DECODE_URIDECODEBIN3), target);
  ot_assert_same_frames (offline, offline3);
}
GST_END_TEST;

/* A QualityLevel whose codec cachesrc cannot tell qtdemux about (a FourCC
 * it does not know, H.264 setup without a PPS) downloads, but playing it
 * is an error that says which track and why, not garbage. */
GST_START_TEST (test_undescribable_codec_is_a_clear_error)
{
  EditedSmooth asset ("mss-codec");
  const std::string &text = asset.original;
  size_t codec = text.find ("CodecPrivateData=\"00000001");
  fail_unless (codec != std::string::npos);
  size_t pps = text.find ("00000001", codec + 26);
  fail_unless (pps != std::string::npos);
  std::string without_pps = text.substr (0, pps) + text.substr (text.find ('"', pps));
  std::string unknown = text;
  unknown.replace (unknown.find ("FourCC=\"H264\""), 13, "FourCC=\"XVID\"");
  const struct {
    const char *id;
    std::string manifest;
    const char *says;
  } cases[] = {
    { "no-pps", without_pps, "SPS and PPS" },
    { "xvid", unknown, "FourCC 'XVID'" },
  };
  for (const auto &c : cases) {
    asset.serve_and_download (c.id, c.manifest);
    std::string uri = std::string ("offline://") + c.id;
    gchar *message = nullptr;
    GPtrArray *lines = ot_decode_checksums (uri.c_str (), asset.data, TRUE, &message);
    fail_unless (lines == nullptr, "%s played", c.id);
    fail_unless (message && strstr (message, "cannot be played") && strstr (message, c.says)
        && strstr (message, c.id), "%s: %s", c.id, GST_STR_NULL (message));
    g_free (message);
  }
}
GST_END_TEST;

/* A text StreamIndex (which neither mssdemux nor cachesrc plays) is left
 * out of the default choice with a warning: video and audio still play as
 * they do online; asking for the text track by name is an error naming it. */
GST_START_TEST (test_text_track_left_out_of_default_choice)
{
  EditedSmooth asset ("mss-text");

  /* The text stream reuses the audio fragments' URLs and times: its bytes
   * do not matter, it is never played. */
  std::string manifest = asset.original;
  size_t begin = manifest.find ("<StreamIndex Type=\"audio\"");
  size_t end = manifest.find ("</StreamIndex>", begin);
  fail_unless (begin != std::string::npos && end != std::string::npos);
  std::string text = manifest.substr (begin, end + strlen ("</StreamIndex>") - begin);
  text.replace (0, strlen ("<StreamIndex Type=\"audio\""), "<StreamIndex Type=\"text\" Subtype=\"TTML\" Language=\"en\"");
  text.replace (text.find ("FourCC=\"AACL\""), strlen ("FourCC=\"AACL\""), "FourCC=\"TTML\"");
  manifest.insert (manifest.find ("</SmoothStreamingMedia>"), text + "\n");
  std::string online_url = asset.serve_and_download ("text", manifest, { "--text", "all" });
  g_autoptr (GPtrArray) online = decode (online_url, nullptr, OT_DECODE_URIDECODEBIN3, GST_CLOCK_TIME_NONE);
  g_autoptr (GPtrArray) offline = decode ("offline://text", asset.data, OT_DECODE_NO_NETWORK, GST_CLOCK_TIME_NONE);
  fail_unless_equals_int (lines_of (offline, "video").size (), 150);
  ot_assert_same_frames (online, offline);

  /* Asked for by name, the text track is refused with its name. */
  GstElement *src = gst_element_factory_make ("cachesrc", nullptr);
  fail_unless (src != nullptr);
  g_object_set (src, "cache-dir", asset.data, "download-id", "text", "tracks", "2", nullptr);
  GstElement *pipeline = gst_pipeline_new (nullptr);
  gst_bin_add (GST_BIN (pipeline), src);
  GstBus *bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PAUSED);
  GstMessage *message = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (message != nullptr, "choosing the text track was not refused");
  GError *error = nullptr;
  gst_message_parse_error (message, &error, nullptr);
  fail_unless (strstr (error->message, "cannot play") && strstr (error->message, "2.0"), "%s", error->message);
  g_error_free (error);
  gst_message_unref (message);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}
GST_END_TEST;

static Suite *mss_playback_suite (void)
{
  Suite *s = suite_create ("mss-playback");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 240);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_frames_equal_mssdemux2);
  tcase_add_test (tc, test_seek_and_duration_equal_mssdemux);
  tcase_add_test (tc, test_undescribable_codec_is_a_clear_error);
  tcase_add_test (tc, test_text_track_left_out_of_default_choice);
  return s;
}

GST_CHECK_MAIN (mss_playback);
