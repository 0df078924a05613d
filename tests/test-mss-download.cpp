/* Smooth Streaming downloads end to end through the CLI: ffmpeg's
 * smoothstreaming muxer output (its manifest given the first c element's t,
 * which ffmpeg 5.1 leaves out) served on 127.0.0.1, downloaded, and checked
 * in the cache and the playback plan; selection fetching nothing of the
 * QualityLevels not chosen; live and PlayReady manifests refused clearly.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>
#include <gst/offline/offline-playback-private.h>

#include "adaptive-content.h"
#include "download-checks.h"

#include <algorithm>
#include <string>
#include <vector>

namespace {

using ot::Cli;
using ot::run;
#define assert_exit ot_assert_exit

/* ffmpeg's smoothstreaming output in a new folder's movie.ism: video
 * QualityLevels 200000 (180p) and 800000 (360p), audio; 2 s fragments. */
gchar *make_smooth (const char *name, std::vector<std::string> *files)
{
  gchar *dir = ot_make_temp_dir (name);
  *files = ot::make_smooth (dir);
  return dir;
}

}  // namespace

GST_START_TEST (test_worst_video_fetches_only_its_quality_level)
{
  std::vector<std::string> files;
  g_autofree gchar *dir = make_smooth ("mss-worst", &files);
  g_autofree gchar *data = g_build_filename (dir, "data", nullptr);
  g_autofree gchar *ism = g_build_filename (dir, "movie.ism", nullptr);
  OtServer *server = ot_server_new ();
  ot::serve_dir (server, ism, "/vod/movie.ism");
  std::string manifest = std::string (ot_server_get_base_url (server)) + "/vod/movie.ism/Manifest";
  const char *manifest_url = manifest.c_str ();
  files.erase (std::find (files.begin (), files.end (), "Manifest"));

  Cli r = run (data, { "download", manifest_url, "--id", "movie", "--video", "worst" });
  assert_exit (r, 0);

  /* The 180p video and the audio fragments, each fetched once and whole;
   * nothing of the 360p QualityLevel, and no FragmentInfo. */
  std::string base = std::string (ot_server_get_base_url (server)) + "/vod/movie.ism/";
  guint fetched = 0;
  for (const auto &f : files) {
    std::string path = "/vod/movie.ism/" + f;
    guint requests = ot_server_get_request_count (server, path.c_str ());
    bool chosen = f.find ("/Fragments(") != std::string::npos && f.find ("QualityLevels(800000)") == std::string::npos;
    if (!chosen) {
      fail_unless (requests == 0, "%s was fetched", f.c_str ());
      continue;
    }
    fail_unless (requests == 1, "%s was requested %u times", f.c_str (), requests);
    g_autofree gchar *local = g_build_filename (ism, f.c_str (), nullptr);
    g_autoptr (GBytes) original = ot_read_file (local);
    g_autoptr (GBytes) copy = ot::cached (data, base + f);
    fail_unless (g_bytes_equal (original, copy), "%s differs in the cache", f.c_str ());
    fetched++;
  }
  fail_unless_equals_int (fetched, 6);
  g_autoptr (GBytes) cached_manifest = ot::cached (data, manifest);

  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (data, nullptr);
  g_autoptr (GstOfflineDownload) d = gst_offline_download_index_get_download (index, "movie", nullptr);
  fail_unless_equals_int (gst_offline_download_get_download_type (d), GST_OFFLINE_DOWNLOAD_TYPE_MSS);
  fail_unless_equals_int (gst_offline_download_get_state (d), GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
  g_autoptr (GPtrArray) tracks = gst_offline_download_index_get_tracks (index, "movie", nullptr);
  fail_unless_equals_int (tracks->len, 2);
  auto video = GST_OFFLINE_TRACK (g_ptr_array_index (tracks, 0));
  fail_unless_equals_string (gst_offline_track_get_stream_key (video), "0.0");
  fail_unless_equals_string (gst_offline_track_get_container (video), "mss-fmp4");
  fail_unless_equals_string (gst_offline_track_get_codecs (video), "H264");
  fail_unless_equals_int (gst_offline_track_get_height (video), 180);
  fail_unless_equals_int (gst_offline_track_get_width (video), 320);
  fail_unless_equals_uint64 (gst_offline_track_get_bandwidth (video), 200000);
  /* What qtdemux needs to read fragments with no init segment: the
   * StreamIndex's TimeScale and the QualityLevel's codec setup (H.264 SPS
   * and PPS with start codes; AAC's AudioSpecificConfig) and audio format. */
  fail_unless_equals_uint64 (gst_offline_track_get_timescale (video), 10000000);
  GBytes *sps_pps = gst_offline_track_get_codec_private_data (video);
  fail_unless (sps_pps && g_bytes_get_size (sps_pps) > 8);
  fail_unless (memcmp (g_bytes_get_data (sps_pps, nullptr), "\x00\x00\x00\x01\x67", 5) == 0);
  auto audio = GST_OFFLINE_TRACK (g_ptr_array_index (tracks, 1));
  fail_unless_equals_string (gst_offline_track_get_codecs (audio), "AACL");
  fail_unless_equals_uint64 (gst_offline_track_get_timescale (audio), 10000000);
  fail_unless_equals_int (gst_offline_track_get_sampling_rate (audio), 44100);
  fail_unless_equals_string (gst_offline_track_get_channels (audio), "1");
  fail_unless_equals_int (gst_offline_track_get_audio_tag (audio), 255);
  GBytes *audio_config = gst_offline_track_get_codec_private_data (audio);
  fail_unless (audio_config && g_bytes_get_size (audio_config) >= 2);
  g_autoptr (GPtrArray) segments = gst_offline_download_index_get_segments (index, "movie", 0, 0, 100, nullptr);
  fail_unless_equals_int (segments->len, 3);
  auto seg0 = static_cast<GstOfflineSegment *> (g_ptr_array_index (segments, 0));
  fail_unless (seg0->init_resource == nullptr || seg0->init_resource[0] == '\0');
  fail_unless_equals_uint64 (seg0->start, 80 * GST_MSECOND);
  GstClockTime duration = gst_offline_download_index_get_duration (index, "movie");
  fail_unless (duration > 5 * GST_SECOND && duration <= 7 * GST_SECOND, "%" GST_TIME_FORMAT, GST_TIME_ARGS (duration));

  ot::assert_verify_clean (data);

  /* Again: nothing is fetched but the manifest. */
  r = run (data, { "download", manifest_url, "--id", "movie", "--video", "worst" });
  assert_exit (r, 0);
  for (const auto &f : files)
    fail_unless (ot_server_get_request_count (server, ("/vod/movie.ism/" + f).c_str ()) <= 1, "%s fetched again",
        f.c_str ());
  ot_server_free (server);
}
GST_END_TEST;

GST_START_TEST (test_inspect_lists_quality_levels)
{
  std::vector<std::string> files;
  g_autofree gchar *dir = make_smooth ("mss-inspect", &files);
  g_autofree gchar *data = g_build_filename (dir, "data", nullptr);
  g_autofree gchar *ism = g_build_filename (dir, "movie.ism", nullptr);
  OtServer *server = ot_server_new ();
  g_autofree gchar *manifest_path = g_build_filename (ism, "Manifest", nullptr);
  g_autofree gchar *manifest_url = ot_server_add_file (server, "/vod/movie.ism/Manifest", manifest_path);
  Cli r = run (data, { "inspect", manifest_url });
  assert_exit (r, 0);
  for (const char *key : { "0.0", "0.1", "1.0" })
    fail_unless (r.out.find (key) != std::string::npos, "no %s in:\n%s", key, r.out.c_str ());
  ot_server_free (server);
}
GST_END_TEST;

GST_START_TEST (test_live_and_playready_are_refused)
{
  g_autofree gchar *dir = ot_make_temp_dir ("mss-refused");
  g_autofree gchar *data = g_build_filename (dir, "data", nullptr);
  OtServer *server = ot_server_new ();
  const char *stream = "<StreamIndex Type=\"video\" Url=\"QualityLevels({bitrate})/Fragments(video={start time})\">"
                       "<QualityLevel Index=\"0\" Bitrate=\"1000\" FourCC=\"H264\"/><c t=\"0\" d=\"20000000\"/></StreamIndex>";
  const struct {
    const char *name, *content, *reason;
  } cases[] = {
    { "live", "<?xml version=\"1.0\"?><SmoothStreamingMedia MajorVersion=\"2\" IsLive=\"TRUE\" Duration=\"0\">%s"
      "</SmoothStreamingMedia>", "live Smooth Streaming is not supported" },
    { "playready", "<?xml version=\"1.0\"?><SmoothStreamingMedia MajorVersion=\"2\" Duration=\"20000000\">"
      "<Protection><ProtectionHeader SystemID=\"9A04F079-9840-4286-AB92-E65BE0885F95\">AAAA</ProtectionHeader>"
      "</Protection>%s</SmoothStreamingMedia>", "PlayReady-protected Smooth Streaming is not supported" },
    { "broken", "<?xml version=\"1.0\"?><SmoothStreamingMedia>%s", "invalid Smooth Streaming manifest" },
  };
  for (const auto &c : cases) {
    g_autofree gchar *sub = g_build_filename (dir, c.name, nullptr);
    g_mkdir_with_parents (sub, 0755);
    g_autofree gchar *path = g_build_filename (sub, "Manifest", nullptr);
    g_autofree gchar *content = g_strdup_printf (c.content, stream);
    fail_unless (g_file_set_contents (path, content, -1, nullptr));
    g_autofree gchar *server_path = g_strdup_printf ("/%s.ism/Manifest", c.name);
    g_autofree gchar *url = ot_server_add_file (server, server_path, path);
    g_autofree gchar *fragment = g_strdup_printf ("/%s.ism/QualityLevels(1000)/Fragments(video=0)", c.name);
    g_free (ot_server_add_file (server, fragment, path));
    Cli r = run (data, { "download", url, "--retries", "0" });
    assert_exit (r, 1);
    std::string reason = ot::reason_of (r);
    fail_unless (reason.find (c.reason) != std::string::npos, "%s: the reason does not say '%s': %s", c.name, c.reason,
        reason.c_str ());
    fail_unless_equals_int (ot_server_get_request_count (server, fragment), 0);
  }
  ot_server_free (server);
}
GST_END_TEST;

static Suite *mss_download_suite (void)
{
  Suite *s = suite_create ("mss-download");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 240);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_worst_video_fetches_only_its_quality_level);
  tcase_add_test (tc, test_inspect_lists_quality_levels);
  tcase_add_test (tc, test_live_and_playready_are_refused);
  return s;
}

GST_CHECK_MAIN (mss_download);
