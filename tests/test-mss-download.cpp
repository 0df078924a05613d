/* Smooth Streaming downloads end to end through the CLI: ffmpeg's
 * smoothstreaming muxer output (its manifest given the first c element's t,
 * which ffmpeg 5.1 leaves out) served on 127.0.0.1, downloaded, and checked
 * in the cache and the playback plan; selection fetching nothing of the
 * QualityLevels not chosen; live and PlayReady manifests refused clearly.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>

#include "test-support.h"

#include <map>
#include <string>
#include <vector>

namespace {

/* ffmpeg's smoothstreaming output in dir/movie.ism: video QualityLevels
 * 200000 (180p) and 800000 (360p), audio 69000 or so; 2 s fragments. The
 * manifest gets each StreamIndex's first t (the earliest fragment file). */
gchar *make_smooth (const char *name)
{
  gchar *dir = ot_make_temp_dir (name);
  g_autofree gchar *ism = g_build_filename (dir, "movie.ism", nullptr);
  const char *argv[] = { "ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-f",
    "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "6", "-map", "0:v", "-map", "0:v", "-map", "1:a",
    "-c:v", "libx264", "-g", "25", "-pix_fmt", "yuv420p", "-s:v:0", "320x180", "-s:v:1", "640x360", "-b:v:0", "200k",
    "-b:v:1", "800k", "-c:a", "aac", "-min_frag_duration", "2000000", "-f", "smoothstreaming", ism, nullptr };
  gchar *err = nullptr;
  gint status = 0;
  GError *error = nullptr;
  fail_unless (g_spawn_sync (dir, (gchar **) argv, nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr, nullptr, &err,
      &status, &error), "%s", error ? error->message : "");
  fail_unless (g_spawn_check_wait_status (status, nullptr), "ffmpeg failed: %s", err);
  g_free (err);
  return dir;
}

/* Every file under dir/movie.ism, relative to it ("QualityLevels(200000)/Fragments(video=800000)"). */
std::vector<std::string> list_ism (const char *ism)
{
  std::vector<std::string> files;
  g_autoptr (GDir) d = g_dir_open (ism, 0, nullptr);
  while (const gchar *level = g_dir_read_name (d)) {
    g_autofree gchar *sub = g_build_filename (ism, level, nullptr);
    if (!g_file_test (sub, G_FILE_TEST_IS_DIR))
      continue;
    g_autoptr (GDir) l = g_dir_open (sub, 0, nullptr);
    while (const gchar *name = g_dir_read_name (l))
      files.push_back (std::string (level) + "/" + name);
  }
  return files;
}

/* Adds the first t of each StreamIndex to dir/movie.ism/Manifest. */
void fix_manifest (const char *ism, const std::vector<std::string> &files)
{
  g_autofree gchar *path = g_build_filename (ism, "Manifest", nullptr);
  g_autofree gchar *raw = nullptr;
  fail_unless (g_file_get_contents (path, &raw, nullptr, nullptr));
  std::string text = raw;
  for (const char *kind : { "video", "audio" }) {
    std::string prefix = std::string ("Fragments(") + kind + "=";
    guint64 first = G_MAXUINT64;
    for (const auto &f : files) {
      size_t at = f.find (prefix);
      if (at != std::string::npos)
        first = MIN (first, g_ascii_strtoull (f.c_str () + at + prefix.size (), nullptr, 10));
    }
    fail_unless (first != G_MAXUINT64, "no %s fragments", kind);
    size_t stream = text.find (prefix + "{start time})");
    fail_unless (stream != std::string::npos);
    size_t c = text.find ("<c ", stream);
    fail_unless (c != std::string::npos);
    text.insert (c + 3, "t=\"" + std::to_string (first) + "\" ");
  }
  fail_unless (g_file_set_contents (path, text.c_str (), -1, nullptr));
}

struct Cli {
  gint status;
  std::string out, err;
};

Cli run (const char *data_dir, std::vector<const char *> args)
{
  args.push_back (nullptr);
  gchar *out = nullptr, *err = nullptr;
  Cli r;
  r.status = ot_run_cliv (data_dir, args.data (), &out, &err);
  r.out = out ? out : "";
  r.err = err ? err : "";
  g_free (out);
  g_free (err);
  return r;
}

#define assert_exit(r, expected) \
  fail_unless ((r).status == (expected), "exit %d, expected %d\n%s%s", (r).status, (expected), (r).out.c_str (), (r).err.c_str ())

GBytes *cached (const char *data_dir, const std::string &key)
{
  g_autoptr (GstOfflineCache) cache = gst_offline_cache_new (data_dir, nullptr);
  GError *error = nullptr;
  g_autofree gchar *path = gst_offline_cache_lookup (cache, key.c_str (), nullptr, &error);
  fail_unless (path != nullptr, "%s is not whole in the cache: %s", key.c_str (), error ? error->message : "");
  return ot_read_file (path);
}

/* The tool's "gst-offline: ..." line of stderr. */
std::string reason_of (const Cli &r)
{
  size_t line = r.err.find ("gst-offline: ");
  fail_unless (line != std::string::npos, "no gst-offline line: %s", r.err.c_str ());
  return r.err.substr (line, r.err.find ('\n', line) - line);
}

}  // namespace

GST_START_TEST (test_worst_video_fetches_only_its_quality_level)
{
  g_autofree gchar *dir = make_smooth ("mss-worst");
  g_autofree gchar *data = g_build_filename (dir, "data", nullptr);
  g_autofree gchar *ism = g_build_filename (dir, "movie.ism", nullptr);
  auto files = list_ism (ism);
  fix_manifest (ism, files);
  OtServer *server = ot_server_new ();
  g_autofree gchar *manifest_path = g_build_filename (ism, "Manifest", nullptr);
  g_autofree gchar *manifest_url = ot_server_add_file (server, "/vod/movie.ism/Manifest", manifest_path);
  for (const auto &f : files) {
    g_autofree gchar *local = g_build_filename (ism, f.c_str (), nullptr);
    g_free (ot_server_add_file (server, ("/vod/movie.ism/" + f).c_str (), local));
  }

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
    g_autoptr (GBytes) copy = cached (data, base + f);
    fail_unless (g_bytes_equal (original, copy), "%s differs in the cache", f.c_str ());
    fetched++;
  }
  fail_unless_equals_int (fetched, 6);
  g_autoptr (GBytes) manifest = cached (data, manifest_url);

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
  auto audio = GST_OFFLINE_TRACK (g_ptr_array_index (tracks, 1));
  fail_unless_equals_string (gst_offline_track_get_codecs (audio), "AACL");
  g_autoptr (GPtrArray) segments = gst_offline_download_index_get_segments (index, "movie", 0, 0, 100, nullptr);
  fail_unless_equals_int (segments->len, 3);
  auto seg0 = static_cast<GstOfflineSegment *> (g_ptr_array_index (segments, 0));
  fail_unless (seg0->init_resource == nullptr || seg0->init_resource[0] == '\0');
  fail_unless_equals_uint64 (seg0->start, 80 * GST_MSECOND);
  GstClockTime duration = gst_offline_download_index_get_duration (index, "movie");
  fail_unless (duration > 5 * GST_SECOND && duration <= 7 * GST_SECOND, "%" GST_TIME_FORMAT, GST_TIME_ARGS (duration));

  Cli verify = run (data, { "verify" });
  fail_unless (verify.status == 0 && verify.out.empty (), "verify: %d\n%s%s", verify.status, verify.out.c_str (),
      verify.err.c_str ());

  /* Again: nothing is fetched but the manifest. */
  r = run (data, { "download", manifest_url, "--id", "movie", "--video", "worst" });
  assert_exit (r, 0);
  for (const auto &f : files)
    fail_unless (ot_server_get_request_count (server, ("/vod/movie.ism/" + f).c_str ()) <= 1, "%s fetched again",
        f.c_str ());

  /* Playing it is refused, saying why, until cachesrc learns Smooth Streaming. */
  gchar *message = nullptr;
  GPtrArray *frames = ot_decode_checksums ("offline://movie", data, TRUE, &message);
  fail_unless (frames == nullptr, "an MSS download played");
  fail_unless (message && strstr (message, "cannot play offline yet"), "%s", GST_STR_NULL (message));
  g_free (message);
  ot_server_free (server);
}
GST_END_TEST;

GST_START_TEST (test_inspect_lists_quality_levels)
{
  g_autofree gchar *dir = make_smooth ("mss-inspect");
  g_autofree gchar *data = g_build_filename (dir, "data", nullptr);
  g_autofree gchar *ism = g_build_filename (dir, "movie.ism", nullptr);
  fix_manifest (ism, list_ism (ism));
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
    std::string reason = reason_of (r);
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
