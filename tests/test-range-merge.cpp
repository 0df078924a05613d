/* Adjacent byte ranges of one file, end to end through the CLI: a DASH
 * SegmentList with mediaRange and an HLS media playlist with EXT-X-BYTERANGE,
 * each over one file, are fetched in fewer requests than they have segments,
 * and every segment lands in the cache byte for byte; a download killed in
 * the middle of its merged request resumes at the first byte not durable.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>

#include "download-checks.h"
#include "test-support.h"

#include <csignal>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr guint kSegments = 12;
constexpr gsize kInitSize = 900;

/* Uneven sizes, so that a range that is off by a byte shows. */
gsize segment_size (guint i)
{
  return 20000 + i * 777;
}

/* One file of random bytes served at /`name`: an init part and kSegments
 * media parts, one after the other. */
struct SingleFile {
  gchar *dir;
  gchar *data_dir;
  OtServer *server;
  std::string path;
  std::string url;
  GBytes *bytes;
  std::vector<std::pair<gsize, gsize>> ranges;  /* first and last byte of each media part */

  SingleFile (const char *test, const char *name)
  {
    dir = ot_make_temp_dir (test);
    data_dir = g_build_filename (dir, "data", nullptr);
    server = ot_server_new ();
    gsize offset = kInitSize;
    for (guint i = 0; i < kSegments; i++) {
      ranges.emplace_back (offset, offset + segment_size (i) - 1);
      offset += segment_size (i);
    }
    g_autofree gchar *file = ot_make_random_file (dir, name, offset);
    bytes = ot_read_file (file);
    path = std::string ("/") + name;
    g_autofree gchar *served = ot_server_add_file (server, path.c_str (), file);
    url = served;
  }
  ~SingleFile ()
  {
    g_bytes_unref (bytes);
    ot_server_free (server);
    g_free (data_dir);
    g_free (dir);
  }

  /* Serves `text` at /`name`; returns its URL. */
  std::string serve (const char *name, const std::string &text)
  {
    g_autofree gchar *file = g_build_filename (dir, name, nullptr);
    fail_unless (g_file_set_contents (file, text.data (), static_cast<gssize> (text.size ()), nullptr));
    g_autofree gchar *served_path = g_strconcat ("/", name, nullptr);
    g_autofree gchar *served = ot_server_add_file (server, served_path, file);
    return served;
  }

  void download (const std::string &manifest, const char *id)
  {
    gchar *out = nullptr, *err = nullptr;
    gint status = ot_run_cli (data_dir, &out, &err, "download", manifest.c_str (), "--id", id, nullptr);
    fail_unless (status == 0, "download exited with %d\n%s%s", status, out, err);
    g_free (out);
    g_free (err);
    g_autoptr (GstOfflineDownload) done = ot::index_download (data_dir, id);
    ot::assert_state (done, GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
  }

  /* The cached resource `key` equals bytes `first`..`last` of the file. */
  void assert_cached (GstOfflineCache *cache, const char *key, gsize first, gsize last)
  {
    GError *error = nullptr;
    g_autofree gchar *file = gst_offline_cache_lookup (cache, key, nullptr, &error);
    fail_unless (file != nullptr, "%s is not in the cache: %s", key, error ? error->message : "");
    g_autoptr (GBytes) cached = ot_read_file (file);
    g_autoptr (GBytes) expected = g_bytes_new_from_bytes (bytes, first, last - first + 1);
    fail_unless (g_bytes_equal (cached, expected), "%s differs from bytes %" G_GSIZE_FORMAT "-%" G_GSIZE_FORMAT, key,
        first, last);
  }

  /* The resource of each media part the plan of download `id` lists so far. */
  std::vector<std::string> plan_resources (const char *id)
  {
    g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (data_dir, nullptr);
    g_autoptr (GPtrArray) segments = index ? gst_offline_download_index_get_segments (index, id, 0, 0, 1000, nullptr)
                                           : nullptr;
    std::vector<std::string> resources;
    for (guint i = 0; segments && i < segments->len; i++)
      resources.emplace_back (static_cast<GstOfflineSegment *> (g_ptr_array_index (segments, i))->resource);
    return resources;
  }

  /* The plan of download `id` lists every media part, in order, each cached
   * byte for byte; so is the init part when `init` is set. */
  void assert_plan_cached (const char *id, bool init)
  {
    g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (data_dir, nullptr);
    g_autoptr (GstOfflineCache) cache = gst_offline_cache_new (data_dir, nullptr);
    g_autoptr (GPtrArray) segments = gst_offline_download_index_get_segments (index, id, 0, 0, 1000, nullptr);
    fail_unless (segments != nullptr);
    fail_unless_equals_int (segments->len, kSegments);
    for (guint i = 0; i < segments->len; i++) {
      auto s = static_cast<GstOfflineSegment *> (g_ptr_array_index (segments, i));
      assert_cached (cache, s->resource, ranges[i].first, ranges[i].second);
      if (init)
        assert_cached (cache, s->init_resource, 0, kInitSize - 1);
    }
  }

  /* The file was asked for in one request, from byte `first` to its end:
   * it is smaller than the least a merged request may ask for. */
  void assert_one_request_from (gsize first)
  {
    fail_unless_equals_int (ot_server_get_request_count (server, path.c_str ()), 1);
    g_autofree gchar *range = ot_server_get_last_range (server, path.c_str ());
    g_autofree gchar *expected = g_strdup_printf ("bytes=%" G_GSIZE_FORMAT "-%" G_GSIZE_FORMAT, first,
        ranges.back ().second);
    fail_unless_equals_string (range, expected);
  }

  /* Waits until part `part` of download `id` is whole in the cache (while
   * another process or thread downloads it); returns the plan's resources. */
  std::vector<std::string> wait_until_whole (GstOfflineCache *cache, const char *id, guint part)
  {
    struct Wait {
      SingleFile *f;
      GstOfflineCache *cache;
      const char *id;
      guint part;
      std::vector<std::string> resources;
    } wait { this, cache, id, part, {} };
    /* A part becomes whole with a commit, which changes the database's files. */
    ot_wait_for_changes (data_dir, [] (gpointer data) -> gboolean {
      auto wait = static_cast<Wait *> (data);
      wait->resources = wait->f->plan_resources (wait->id);
      return wait->resources.size () == kSegments && is_whole (wait->cache, wait->resources[wait->part]);
    }, &wait);
    return wait.resources;
  }

  static bool is_whole (GstOfflineCache *cache, const std::string &resource)
  {
    g_autofree gchar *file = gst_offline_cache_lookup (cache, resource.c_str (), nullptr, nullptr);
    return file != nullptr;
  }

  /* An MPD of one SegmentList over the file, the init part then `media`
   * (first and last byte of each), served; returns its URL. */
  std::string serve_dash_segment_list (const std::vector<std::pair<gsize, gsize>> &media)
  {
    std::string mpd = "<?xml version=\"1.0\"?>\n"
        "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\" profiles=\"urn:mpeg:dash:profile:isoff-main:2011\"\n"
        "     minBufferTime=\"PT2S\" mediaPresentationDuration=\"PT" + std::to_string (2 * media.size ()) + "S\">\n"
        " <Period id=\"0\">\n"
        "  <AdaptationSet contentType=\"video\" mimeType=\"video/mp4\">\n"
        "   <Representation id=\"v\" codecs=\"avc1.64000d\" bandwidth=\"100000\" width=\"320\" height=\"180\">\n"
        "    <BaseURL>" + path.substr (1) + "</BaseURL>\n"
        "    <SegmentList timescale=\"1\" duration=\"2\">\n"
        "     <Initialization range=\"0-" + std::to_string (kInitSize - 1) + "\"/>\n";
    for (const auto &range : media)
      mpd += "     <SegmentURL mediaRange=\"" + std::to_string (range.first) + "-" + std::to_string (range.second) + "\"/>\n";
    mpd += "    </SegmentList>\n   </Representation>\n  </AdaptationSet>\n </Period>\n</MPD>\n";
    return serve ("manifest.mpd", mpd);
  }

  /* A media playlist of the parts, served; returns its URL. */
  std::string serve_hls_playlist ()
  {
    std::string playlist = "#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n";
    for (const auto &range : ranges)
      playlist += "#EXTINF:2.0,\n#EXT-X-BYTERANGE:" + std::to_string (range.second - range.first + 1) + "@"
          + std::to_string (range.first) + "\nmedia.ts\n";
    playlist += "#EXT-X-ENDLIST\n";
    return serve ("index.m3u8", playlist);
  }
};

}  // namespace

GST_START_TEST (test_dash_segment_list_of_one_file)
{
  SingleFile f ("dash-list", "media.mp4");
  f.download (f.serve_dash_segment_list (f.ranges), "dash");
  /* The init part and every media part in one answer. */
  f.assert_one_request_from (0);
  f.assert_plan_cached ("dash", true);
}
GST_END_TEST;

/* A last mediaRange that ends at the file's length instead of its last
 * byte (as in a real-world MPD dashdemux2 and ExoPlayer play): the server
 * answers the bytes the file has, and the segment is those bytes. */
static void check_range_past_the_end (bool server_ignores_range)
{
  SingleFile f ("dash-past-end", "media.mp4");
  std::vector<std::pair<gsize, gsize>> ranges = f.ranges;
  ranges.back ().second++;
  if (server_ignores_range)
    ot_server_set_fault (f.server, f.path.c_str (), OT_FAULT_IGNORE_RANGE, 0, -1);
  f.download (f.serve_dash_segment_list (ranges), "dash");
  fail_unless_equals_int (ot_server_get_request_count (f.server, f.path.c_str ()), 1);
  f.assert_plan_cached ("dash", true);
}

GST_START_TEST (test_last_media_range_past_the_end_is_cut_at_it)
{
  check_range_past_the_end (false);
}
GST_END_TEST;

GST_START_TEST (test_last_media_range_past_the_end_of_a_whole_file_answer)
{
  check_range_past_the_end (true);
}
GST_END_TEST;

/* A mediaRange that starts past the end of the file is an error that names
 * it; the segments before it are kept. */
GST_START_TEST (test_media_range_beyond_the_end_fails_clearly)
{
  SingleFile f ("dash-beyond-end", "media.mp4");
  std::vector<std::pair<gsize, gsize>> ranges = f.ranges;
  gsize size = ranges.back ().second + 1;
  ranges.back () = { size + 10, size + 1000 };
  gchar *out = nullptr, *err = nullptr;
  gint status = ot_run_cli (f.data_dir, &out, &err, "download", f.serve_dash_segment_list (ranges).c_str (), "--id",
      "dash", nullptr);
  fail_unless (status != 0, "the download of a range past the end succeeded\n%s", out);
  g_autofree gchar *expected = g_strdup_printf ("bytes %" G_GSIZE_FORMAT "-%" G_GSIZE_FORMAT
      " are beyond the end of the file on the server", size + 10, size + 1000);
  fail_unless (strstr (err, expected) != nullptr, "no clear error: %s", err);
  g_free (out);
  g_free (err);
  g_autoptr (GstOfflineCache) cache = gst_offline_cache_new (f.data_dir, nullptr);
  std::vector<std::string> resources = f.plan_resources ("dash");
  fail_unless_equals_int (resources.size (), kSegments);
  for (guint i = 0; i + 1 < kSegments; i++)
    f.assert_cached (cache, resources[i].c_str (), f.ranges[i].first, f.ranges[i].second);
}
GST_END_TEST;

GST_START_TEST (test_hls_byte_ranges_of_one_file)
{
  SingleFile f ("hls-single", "media.ts");
  f.download (f.serve_hls_playlist (), "hls");
  f.assert_one_request_from (f.ranges.front ().first);
  f.assert_plan_cached ("hls", false);
}
GST_END_TEST;

GST_START_TEST (test_killed_download_resumes_at_the_first_byte_not_durable)
{
  SingleFile f ("hls-kill", "media.ts");
  std::string playlist = f.serve_hls_playlist ();
  /* About six seconds for the whole file. */
  ot_server_set_rate (f.server, f.path.c_str (), 48 * 1024);
  const gchar *argv[] = { "download", playlist.c_str (), "--id", "kill", nullptr };
  fail_unless (g_mkdir_with_parents (f.data_dir, 0700) == 0);
  GPid pid = ot_spawn_cli (f.data_dir, argv);
  /* Killed in the middle of its one request, once three parts are whole. */
  g_autoptr (GstOfflineCache) cache = gst_offline_cache_new (f.data_dir, nullptr);
  std::vector<std::string> resources = f.wait_until_whole (cache, "kill", 2);
  kill (pid, SIGKILL);
  gint status = ot_wait_pid (pid);
  fail_unless (status == 128 + SIGKILL, "the download was not killed (exit %d): it is too fast for this test", status);
  auto whole = [&] (guint i) { return SingleFile::is_whole (cache, resources[i]); };

  /* Where the resume must start: the first part not whole, from its durable bytes. */
  guint first_missing = 0;
  while (first_missing < kSegments && whole (first_missing))
    first_missing++;
  fail_unless (first_missing < kSegments, "every part was whole before the kill: it came too late for this test");
  guint64 resume_at = f.ranges[first_missing].first
      + gst_offline_cache_get_cached_length (cache, resources[first_missing].c_str ());

  ot_server_set_rate (f.server, f.path.c_str (), 0);
  f.download (playlist, "kill");
  g_autoptr (GPtrArray) asked = ot_server_get_ranges (f.server, f.path.c_str ());
  fail_unless_equals_int (asked->len, 2);
  g_autofree gchar *expected = g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-%" G_GSIZE_FORMAT, resume_at,
      f.ranges.back ().second);
  fail_unless_equals_string (static_cast<const char *> (g_ptr_array_index (asked, 1)), expected);
  f.assert_plan_cached ("kill", false);
}
GST_END_TEST;

/* Files under `dir`, at any depth. */
static guint count_files (const std::string &dir)
{
  guint count = 0;
  g_autoptr (GDir) d = g_dir_open (dir.c_str (), 0, nullptr);
  while (const gchar *name = d ? g_dir_read_name (d) : nullptr) {
    std::string path = dir + G_DIR_SEPARATOR_S + name;
    count += g_file_test (path.c_str (), G_FILE_TEST_IS_DIR) ? count_files (path) : 1;
  }
  return count;
}

GST_START_TEST (test_download_removed_while_streaming_leaves_nothing)
{
  SingleFile f ("hls-remove", "media.ts");
  std::string playlist = f.serve_hls_playlist ();
  ot_server_set_rate (f.server, f.path.c_str (), 48 * 1024);
  GError *error = nullptr;
  GstOfflineDownloadManager *manager = gst_offline_download_manager_new (f.data_dir, &error);
  fail_unless (manager != nullptr, "%s", error ? error->message : "");
  g_autoptr (GstOfflineDownloadRequest) request = gst_offline_download_request_new ("rm", playlist.c_str ());
  g_autoptr (GstOfflineDownload) added = gst_offline_download_manager_add_download (manager, request, &error);
  fail_unless (added != nullptr, "%s", error ? error->message : "");
  /* Removed while parts are committed and the next one is written, before
   * its first checkpoint: rows and files of both kinds are in flight. */
  g_autoptr (GstOfflineCache) cache = gst_offline_cache_new (f.data_dir, nullptr);
  f.wait_until_whole (cache, "rm", 2);
  fail_unless (gst_offline_download_manager_remove_download (manager, "rm", &error), "%s", error ? error->message : "");
  /* Disposing of the manager waits for its download's end. */
  g_object_unref (manager);
  while (g_main_context_iteration (nullptr, FALSE))
    ;

  g_autoptr (GPtrArray) problems = gst_offline_cache_verify (cache, nullptr, &error);
  fail_unless (problems != nullptr, "%s", error ? error->message : "");
  fail_unless (problems->len == 0, "%s", problems->len ? static_cast<const char *> (problems->pdata[0]) : "");
  fail_unless_equals_uint64 (gst_offline_cache_get_total_size (cache), 0);
  g_autofree gchar *cache_dir = g_build_filename (f.data_dir, "cache", nullptr);
  fail_unless_equals_int (count_files (cache_dir), 0);
}
GST_END_TEST;

static Suite *range_merge_suite (void)
{
  Suite *s = suite_create ("range-merge");
  TCase *tc = tcase_create ("range-merge");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_dash_segment_list_of_one_file);
  tcase_add_test (tc, test_last_media_range_past_the_end_is_cut_at_it);
  tcase_add_test (tc, test_last_media_range_past_the_end_of_a_whole_file_answer);
  tcase_add_test (tc, test_media_range_beyond_the_end_fails_clearly);
  tcase_add_test (tc, test_hls_byte_ranges_of_one_file);
  tcase_add_test (tc, test_killed_download_resumes_at_the_first_byte_not_durable);
  tcase_add_test (tc, test_download_removed_while_streaming_leaves_nothing);
  return s;
}

GST_CHECK_MAIN (range_merge);
