/* End-to-end tests of HLS downloads: content made by ffmpeg's hls muxer (TS
 * variants under a master playlist, fMP4 with EXT-X-MAP, AES-128, single_file
 * byte ranges) and hand-written playlists (alternate audio and subtitle
 * renditions, SAMPLE-AES, malformed; live playlists are recorded: see
 * test-live-recording), served by the test server,
 * downloaded with the built CLI, then checked through the public API.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>
#include <gst/offline/offline-playback-private.h>

#include "adaptive-content.h"
#include "frame-checks.h"
#include "test-support.h"

#include <cstring>
#include <map>
#include <string>
#include <vector>

using namespace ot;

namespace {

constexpr const gchar *kId = "x";
/* The IV written into the AES-128 key info file, and its bytes. */
constexpr const gchar *kIvHex = "0123456789abcdef0011223344556677";

/* Content shared by the tests, made once by the parent before they fork. */
std::string media_root;
/* While the parent makes it, check's messaging is not set up yet. */
bool making_media = false;

#define must(cond, ...)                 \
  G_STMT_START                          \
  {                                     \
    if (!(cond)) {                      \
      if (making_media)                 \
        g_error (__VA_ARGS__);          \
      else                              \
        ck_abort_msg (__VA_ARGS__);     \
    }                                   \
  }                                     \
  G_STMT_END

void
run_ffmpeg (const std::vector<std::string> &args)
{
  std::vector<const gchar *> argv = { "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y" };
  for (const auto &a : args)
    argv.push_back (a.c_str ());
  argv.push_back (nullptr);
  gchar *err = nullptr;
  gint status = 0;
  GError *error = nullptr;
  gboolean spawned = ot_spawn_sync (nullptr, (gchar **) argv.data (), nullptr,
      (GSpawnFlags) (G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL), nullptr, nullptr, nullptr, &err, &status, &error);
  must (spawned, "cannot run ffmpeg: %s", error ? error->message : "?");
  must (g_spawn_check_wait_status (status, nullptr), "ffmpeg failed: %s", err);
  g_free (err);
}

std::vector<std::string>
concat (std::vector<std::string> a, const std::vector<std::string> &b)
{
  a.insert (a.end (), b.begin (), b.end ());
  return a;
}

std::vector<std::string>
video_input (const gchar *size = "320x240", guint seconds = 3)
{
  return { "-f", "lavfi", "-i", std::string ("testsrc2=size=") + size + ":rate=25:duration=" + std::to_string (seconds) };
}

std::vector<std::string>
hls_args ()
{
  return { "-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod" };
}

const std::vector<std::string> kH264 = { "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-keyint_min", "25",
  "-sc_threshold", "0", "-pix_fmt", "yuv420p" };

std::string
vtt_playlist (const std::string &language)
{
  std::string playlist = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n";
  for (int i = 0; i < 2; i++) {
    write_text (media_root + "/alt/sub_" + language + "/cue" + std::to_string (i) + ".vtt",
        "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00.000\n\n00:00:0" + std::to_string (i * 2)
            + ".000 --> 00:00:0" + std::to_string (i * 2 + 1) + ".500\n" + language + " cue " + std::to_string (i)
            + "\n");
    playlist += "#EXTINF:2.0,\ncue" + std::to_string (i) + ".vtt\n";
  }
  return playlist + "#EXT-X-ENDLIST\n";
}

void
make_shared_media (void)
{
  if (!media_root.empty ())
    return;
  making_media = true;
  gchar *dir = ot_make_temp_dir ("hls-media");
  media_root = dir;
  g_free (dir);
  const std::string &d = media_root;

  /* Two TS variants with muxed audio; the larger one is listed second. */
  g_mkdir_with_parents ((d + "/ts").c_str (), 0755);
  run_ffmpeg (concat (concat (concat (video_input ("640x360", 4),
      { "-f", "lavfi", "-i", "sine=frequency=440:duration=4", "-map", "0:v", "-map", "1:a", "-map", "0:v", "-map",
        "1:a" }), kH264), concat ({ "-c:a", "aac", "-ac", "2", "-s:v:0", "320x180", "-s:v:1", "640x360" },
      concat (hls_args (), { "-var_stream_map", "v:0,a:0 v:1,a:1", "-master_pl_name", "master.m3u8",
        "-hls_segment_filename", d + "/ts/v%v/seg%d.ts", d + "/ts/v%v/index.m3u8" }))));

  /* fMP4 with EXT-X-MAP. */
  g_mkdir_with_parents ((d + "/fmp4").c_str (), 0755);
  run_ffmpeg (concat (concat (video_input (), kH264), concat (hls_args (), { "-hls_segment_type", "fmp4",
      "-hls_fmp4_init_filename", "init.mp4", "-hls_segment_filename", d + "/fmp4/seg%d.m4s", d + "/fmp4/index.m3u8" })));

  /* AES-128 TS, key at a relative URI, explicit IV. */
  g_mkdir_with_parents ((d + "/aes").c_str (), 0755);
  std::string key;
  for (int i = 0; i < 16; i++)
    key += static_cast<char> (0xA0 + i * 3);
  write_text (d + "/aes/key.bin", key);
  write_text (d + "/aes/keyinfo", "key.bin\n" + d + "/aes/key.bin\n" + kIvHex + "\n");
  run_ffmpeg (concat (concat (video_input (), kH264), concat (hls_args (), { "-hls_key_info_file", d + "/aes/keyinfo",
      "-hls_segment_filename", d + "/aes/seg%d.ts", d + "/aes/index.m3u8" })));
  /* The same key behind a URI that will answer 404. */
  std::string playlist = read_text (d + "/aes/index.m3u8");
  size_t at = playlist.find ("URI=\"key.bin\"");
  must (at != std::string::npos, "no key URI in:\n%s", playlist.c_str ());
  write_text (d + "/aes/missing-key.m3u8", playlist.substr (0, at) + "URI=\"gone.bin\"" + playlist.substr (at + 13));

  /* One file, EXT-X-BYTERANGE. */
  g_mkdir_with_parents ((d + "/single").c_str (), 0755);
  run_ffmpeg (concat (concat (video_input ("320x240", 4), kH264), concat (hls_args (), { "-hls_flags", "single_file",
      d + "/single/index.m3u8" })));

  /* Alternate renditions: video-only, audio in two languages plus a
   * commentary that nothing selects by default, and two subtitle languages. */
  g_mkdir_with_parents ((d + "/alt/video").c_str (), 0755);
  run_ffmpeg (concat (concat (video_input (), kH264), concat ({ "-an" }, concat (hls_args (), {
      "-hls_segment_filename", d + "/alt/video/seg%d.ts", d + "/alt/video/index.m3u8" }))));
  for (const char *lang : { "en", "fr", "commentary" }) {
    std::string sub = d + "/alt/audio_" + lang;
    g_mkdir_with_parents (sub.c_str (), 0755);
    run_ffmpeg (concat ({ "-f", "lavfi", "-i", std::string ("sine=frequency=") + (lang[0] == 'e' ? "440" : "660")
        + ":duration=3", "-c:a", "aac", "-vn" }, concat (hls_args (), { "-hls_segment_filename", sub + "/seg%d.ts",
        sub + "/index.m3u8" })));
  }
  write_text (d + "/alt/sub_en/index.m3u8", vtt_playlist ("en"));
  write_text (d + "/alt/sub_fr/index.m3u8", vtt_playlist ("fr"));
  write_text (d + "/alt/master.m3u8",
      "#EXTM3U\n"
      "#EXT-X-VERSION:4\n"
      "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"English\",LANGUAGE=\"en\",DEFAULT=YES,AUTOSELECT=YES,URI=\"audio_en/index.m3u8\"\n"
      "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"Francais\",LANGUAGE=\"fr\",AUTOSELECT=YES,URI=\"audio_fr/index.m3u8\"\n"
      "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"Commentary\",LANGUAGE=\"en\",URI=\"audio_commentary/index.m3u8\"\n"
      "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"English\",LANGUAGE=\"en\",DEFAULT=YES,AUTOSELECT=YES,URI=\"sub_en/index.m3u8\"\n"
      "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"Francais\",LANGUAGE=\"fr\",URI=\"sub_fr/index.m3u8\"\n"
      "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,RESOLUTION=320x240,URI=\"video/iframes.m3u8\"\n"
      "#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=320x240,CODECS=\"avc1.42c00d,mp4a.40.2\",AUDIO=\"aud\",SUBTITLES=\"subs\",FRAME-RATE=25\n"
      "video/index.m3u8\n");
  /* The same with subtitles the variant's CODECS call TTML in MP4 (what
   * ExoPlayer's hls/ttml-in-mp4 sample has; their playlist is WebVTT here,
   * never fetched). */
  write_text (d + "/alt/ttml-master.m3u8",
      "#EXTM3U\n"
      "#EXT-X-VERSION:4\n"
      "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"English\",LANGUAGE=\"en\",DEFAULT=YES,AUTOSELECT=YES,URI=\"audio_en/index.m3u8\"\n"
      "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"ttml\",NAME=\"English\",LANGUAGE=\"en\",DEFAULT=YES,AUTOSELECT=YES,URI=\"sub_en/index.m3u8\"\n"
      "#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=320x240,CODECS=\"avc1.42c00d,mp4a.40.2,stpp.ttml.im1t\",AUDIO=\"aud\",SUBTITLES=\"ttml\"\n"
      "video/index.m3u8\n");

  /* Refused at download time. */
  std::string ts = read_text (d + "/ts/v0/index.m3u8");
  at = ts.find ("#EXTINF");
  write_text (d + "/ts/v0/sample-aes.m3u8", ts.substr (0, at)
      + "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"skd://key\",KEYFORMAT=\"com.apple.streamingkeydelivery\"\n" + ts.substr (at));
  write_text (d + "/bad/malformed.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:one second,\nseg0.ts\n#EXT-X-ENDLIST\n");
  write_text (d + "/bad/html.m3u8", "<!DOCTYPE html><html><body>Not found</body></html>\n");
  making_media = false;
}

using CliResult = ot::Cli;

/* One test's world: its data directory and a server of all the media. */
struct World {
  gchar *dir = nullptr;
  std::string data_dir;
  OtServer *server = nullptr;
  std::string base;

  explicit World (const gchar *name)
  {
    dir = ot_make_temp_dir (name);
    data_dir = std::string (dir) + "/data";
    server = ot_server_new ();
    base = ot_server_get_base_url (server);
    serve_dir (server, media_root.c_str ());
  }
  ~World ()
  {
    ot_server_free (server);
    g_free (dir);
  }
  World (const World &) = delete;
  World &operator= (const World &) = delete;

  std::string url (const std::string &path) const { return base + path; }
  guint requests (const std::string &path) const { return ot_server_get_request_count (server, path.c_str ()); }

  /* `gst-offline download URL --id x` and `options`. */
  CliResult download (const std::string &path, const std::vector<std::string> &options = {})
  {
    std::string u = url (path);
    std::vector<const gchar *> argv = { "download", u.c_str (), "--id", kId };
    for (const auto &option : options)
      argv.push_back (option.c_str ());
    return ot::run (data_dir.c_str (), argv);
  }
};

#define assert_status(r, expected)                                                                          \
  fail_unless ((r).status == (expected), "gst-offline exited with %d, expected %d\nstdout:\n%s\nstderr:\n%s", \
      (r).status, (expected), (r).out.c_str (), (r).err.c_str ())

/* The download failed, and its one-line reason contains every fragment. */
void
assert_failed_with (const CliResult &r, const std::vector<std::string> &fragments)
{
  assert_status (r, 1);
  std::string prefix = std::string ("gst-offline: download ") + kId + " failed: ";
  size_t at = r.err.find (prefix);
  fail_unless (at != std::string::npos, "no '%s' line on stderr:\n%s", prefix.c_str (), r.err.c_str ());
  std::string reason = r.err.substr (at + prefix.size ());
  reason = reason.substr (0, reason.find ('\n'));
  for (const auto &fragment : fragments)
    fail_unless (reason.find (fragment) != std::string::npos, "'%s' is not in the reason: %s", fragment.c_str (),
        reason.c_str ());
}

struct PlannedSegment {
  guint64 start;
  guint64 duration;
  std::string resource;
  std::string init_resource;
  std::string key_resource;
  std::string iv;
  guint period;
  bool discontinuity;
};

struct PlannedTrack {
  std::string stream_key;
  GstOfflineTrackType type;
  std::string container;
  std::string language;
  guint height;
  std::vector<PlannedSegment> segments;
};

std::vector<PlannedTrack>
read_plan (const World &w)
{
  GError *error = nullptr;
  GstOfflineDownloadIndex *index = gst_offline_download_index_new (w.data_dir.c_str (), &error);
  fail_unless (index != nullptr, "cannot open the index: %s", error ? error->message : "?");
  GstOfflineDownload *d = gst_offline_download_index_get_download (index, kId, &error);
  fail_unless (d != nullptr, "no download: %s", error ? error->message : "?");
  fail_unless (gst_offline_download_get_state (d) == GST_OFFLINE_DOWNLOAD_STATE_COMPLETED, "download is %s: %s",
      gst_offline_download_state_to_string (gst_offline_download_get_state (d)),
      GST_STR_NULL (gst_offline_download_get_failure_message (d)));
  fail_unless (gst_offline_download_get_download_type (d) == GST_OFFLINE_DOWNLOAD_TYPE_HLS);
  g_object_unref (d);
  GPtrArray *tracks = gst_offline_download_index_get_tracks (index, kId, &error);
  fail_unless (tracks != nullptr, "no tracks: %s", error ? error->message : "?");
  std::vector<PlannedTrack> plan;
  for (guint i = 0; i < tracks->len; i++) {
    auto *t = GST_OFFLINE_TRACK (g_ptr_array_index (tracks, i));
    PlannedTrack p;
    p.stream_key = GST_STR_NULL (gst_offline_track_get_stream_key (t));
    p.type = gst_offline_track_get_track_type (t);
    p.container = GST_STR_NULL (gst_offline_track_get_container (t));
    p.language = gst_offline_track_get_language (t) ? gst_offline_track_get_language (t) : "";
    p.height = gst_offline_track_get_height (t);
    GPtrArray *segments = gst_offline_download_index_get_segments (index, kId, gst_offline_track_get_index (t), 0,
        100000, &error);
    fail_unless (segments != nullptr, "no segments: %s", error ? error->message : "?");
    for (guint s = 0; s < segments->len; s++) {
      auto *seg = static_cast<GstOfflineSegment *> (g_ptr_array_index (segments, s));
      PlannedSegment ps;
      ps.start = seg->start;
      ps.duration = seg->duration;
      ps.resource = seg->resource;
      ps.init_resource = seg->init_resource ? seg->init_resource : "";
      const gchar *key_resource = gst_offline_segment_get_key_resource (seg);
      ps.key_resource = key_resource ? key_resource : "";
      if (GBytes *iv = gst_offline_segment_get_iv (seg)) {
        gsize size = 0;
        const gchar *data = static_cast<const gchar *> (g_bytes_get_data (iv, &size));
        ps.iv.assign (data, size);
      }
      ps.period = seg->period;
      ps.discontinuity = seg->discontinuity;
      p.segments.push_back (ps);
    }
    g_ptr_array_unref (segments);
    plan.push_back (std::move (p));
  }
  g_ptr_array_unref (tracks);
  g_object_unref (index);
  return plan;
}

/* What the server holds for a resource key: "URL" or "URL bytes=A-B". */
std::string
served_bytes (const World &w, const std::string &resource)
{
  std::string url = resource;
  gint64 first = -1, last = -1;
  size_t space = resource.find (" bytes=");
  if (space != std::string::npos) {
    url = resource.substr (0, space);
    fail_unless (sscanf (resource.c_str () + space + 7, "%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT, &first, &last) == 2,
        "odd resource key %s", resource.c_str ());
  }
  fail_unless (url.rfind (w.base, 0) == 0, "resource %s is not from the test server", resource.c_str ());
  std::string all = read_text (media_root + url.substr (w.base.size ()));
  if (first < 0)
    return all;
  fail_unless (last < (gint64) all.size () && first <= last, "range of %s is beyond the file", resource.c_str ());
  return all.substr ((size_t) first, (size_t) (last - first + 1));
}

/* The cache holds exactly the served bytes of `resource`. */
void
assert_cached (const World &w, const std::string &resource)
{
  GError *error = nullptr;
  GstOfflineCache *cache = gst_offline_cache_new (w.data_dir.c_str (), &error);
  fail_unless (cache != nullptr, "cannot open the cache: %s", error ? error->message : "?");
  guint64 length = 0;
  gchar *path = gst_offline_cache_lookup (cache, resource.c_str (), &length, &error);
  fail_unless (path != nullptr, "%s is not whole in the cache: %s", resource.c_str (), error ? error->message : "?");
  std::string cached = read_text (path);
  std::string served = served_bytes (w, resource);
  fail_unless (cached.size () == length && cached == served, "cache of %s (%" G_GSIZE_FORMAT " bytes) differs from "
      "the %" G_GSIZE_FORMAT " served bytes", resource.c_str (), cached.size (), served.size ());
  g_free (path);
  g_object_unref (cache);
}

/* Every planned segment and init section is whole and identical, and the
 * segments of each track follow each other in time. Returns the resources. */
std::vector<std::string>
assert_plan_cached (const World &w, const std::vector<PlannedTrack> &plan)
{
  std::vector<std::string> resources;
  for (const auto &t : plan) {
    fail_unless (!t.segments.empty (), "track %s has no segment", t.stream_key.c_str ());
    guint64 expected_start = 0;
    for (const auto &s : t.segments) {
      fail_unless (s.start == expected_start, "track %s: a segment starts at %" G_GUINT64_FORMAT ", expected %"
          G_GUINT64_FORMAT, t.stream_key.c_str (), s.start, expected_start);
      fail_unless (s.duration > 0, "track %s: a segment has no duration", t.stream_key.c_str ());
      expected_start += s.duration;
      assert_cached (w, s.resource);
      resources.push_back (s.resource);
      if (!s.init_resource.empty ())
        assert_cached (w, s.init_resource);
    }
  }
  return resources;
}

const PlannedTrack &
track_with_key (const std::vector<PlannedTrack> &plan, const std::string &key)
{
  for (const auto &t : plan) {
    if (t.stream_key == key)
      return t;
  }
  ck_abort_msg ("no track with stream key %s", key.c_str ());
  return plan.front ();
}

}  // namespace

GST_START_TEST (test_ts_master_default_selection)
{
  World w ("ts-master");
  CliResult r = w.download ("/ts/master.m3u8");
  assert_status (r, 0);
  auto plan = read_plan (w);
  fail_unless_equals_int (plan.size (), 1);
  /* The best variant is the larger, listed second. */
  const PlannedTrack &t = plan[0];
  fail_unless_equals_string (t.stream_key.c_str (), "v:1");
  fail_unless (t.type == GST_OFFLINE_TRACK_TYPE_VIDEO);
  fail_unless_equals_string (t.container.c_str (), "mpegts");
  fail_unless_equals_int (t.height, 360);
  fail_unless_equals_int (t.segments.size (), playlist_uris (media_root + "/ts/v1/index.m3u8").size ());
  for (const auto &s : t.segments) {
    fail_unless (s.init_resource.empty () && s.key_resource.empty () && s.iv.empty ());
    fail_unless (s.resource.find ("/ts/v1/") != std::string::npos, "segment %s", s.resource.c_str ());
  }
  assert_plan_cached (w, plan);
  assert_cached (w, w.url ("/ts/master.m3u8"));
  assert_cached (w, w.url ("/ts/v1/index.m3u8"));
  /* Not one byte of the other variant. */
  auto files = list_files ((media_root + "/ts/v0").c_str ());
  fail_unless (files.size () >= 4);
  for (const auto &f : files)
    fail_unless_equals_int (w.requests ("/ts/v0/" + f), 0);
  /* Each segment was fetched once. */
  for (const auto &s : t.segments)
    fail_unless_equals_int (w.requests (s.resource.substr (w.base.size ())), 1);
}
GST_END_TEST;

GST_START_TEST (test_ts_media_playlist)
{
  World w ("ts-media");
  CliResult r = w.download ("/ts/v0/index.m3u8");
  assert_status (r, 0);
  auto plan = read_plan (w);
  fail_unless_equals_int (plan.size (), 1);
  fail_unless_equals_string (plan[0].stream_key.c_str (), "v:0");
  fail_unless_equals_string (plan[0].container.c_str (), "mpegts");
  fail_unless_equals_int (plan[0].segments.size (), playlist_uris (media_root + "/ts/v0/index.m3u8").size ());
  assert_plan_cached (w, plan);
}
GST_END_TEST;

GST_START_TEST (test_fmp4)
{
  World w ("fmp4");
  CliResult r = w.download ("/fmp4/index.m3u8");
  assert_status (r, 0);
  auto plan = read_plan (w);
  fail_unless_equals_int (plan.size (), 1);
  fail_unless_equals_string (plan[0].container.c_str (), "fmp4");
  fail_unless_equals_int (plan[0].segments.size (), playlist_uris (media_root + "/fmp4/index.m3u8").size ());
  std::string init = w.url ("/fmp4/init.mp4");
  for (const auto &s : plan[0].segments)
    fail_unless (s.init_resource == init, "init resource %s", s.init_resource.c_str ());
  assert_plan_cached (w, plan);
  fail_unless_equals_int (w.requests ("/fmp4/init.mp4"), 1);
}
GST_END_TEST;

GST_START_TEST (test_single_file_byte_ranges)
{
  World w ("single");
  CliResult r = w.download ("/single/index.m3u8");
  assert_status (r, 0);
  auto plan = read_plan (w);
  fail_unless_equals_int (plan.size (), 1);
  std::string file = read_text (media_root + "/single/index.ts");
  /* The ranges follow each other and cover the file. */
  guint64 next = 0;
  for (const auto &s : plan[0].segments) {
    std::string prefix = w.url ("/single/index.ts") + " bytes=" + std::to_string (next) + "-";
    fail_unless (s.resource.rfind (prefix, 0) == 0, "segment %s does not start at byte %" G_GUINT64_FORMAT,
        s.resource.c_str (), next);
    next += served_bytes (w, s.resource).size ();
  }
  fail_unless_equals_uint64 (next, file.size ());
  fail_unless (plan[0].segments.size () >= 3);
  assert_plan_cached (w, plan);
  /* Adjacent ranges of one file go in one request (a small file: one). */
  fail_unless_equals_int (w.requests ("/single/index.ts"), 1);
}
GST_END_TEST;

GST_START_TEST (test_aes128)
{
  World w ("aes");
  CliResult r = w.download ("/aes/index.m3u8");
  assert_status (r, 0);
  fail_unless_equals_int (w.requests ("/aes/key.bin"), 1);
  auto plan = read_plan (w);
  fail_unless_equals_int (plan.size (), 1);
  std::string key = read_text (media_root + "/aes/key.bin");
  std::string iv;
  for (int i = 0; i < 16; i++)
    iv += static_cast<char> (g_ascii_xdigit_value (kIvHex[2 * i]) * 16 + g_ascii_xdigit_value (kIvHex[2 * i + 1]));
  const std::string &name = plan[0].segments.front ().key_resource;
  fail_unless (g_str_has_prefix (name.c_str (), "hls-key:") && name.size () == 8 + 64, "key name %s", name.c_str ());
  for (const auto &s : plan[0].segments) {
    fail_unless_equals_string (s.key_resource.c_str (), name.c_str ());
    fail_unless (s.iv == iv, "the plan's IV is not the playlist's");
  }
  /* The segments are cached as served: encrypted. */
  assert_plan_cached (w, plan);

  /* The key is in the DRM store under that name... */
  GError *error = nullptr;
  GstOfflineSqliteDrmStore *store = gst_offline_sqlite_drm_store_new (w.data_dir.c_str (), &error);
  fail_unless (store != nullptr, "%s", error ? error->message : "?");
  GBytes *stored = gst_offline_drm_store_lookup_key (GST_OFFLINE_DRM_STORE (store), kId, name.c_str (),
      &error);
  fail_unless (stored != nullptr, "the key is not in the DRM store: %s", error ? error->message : "?");
  gsize size = 0;
  const char *data = static_cast<const char *> (g_bytes_get_data (stored, &size));
  fail_unless (std::string (data, size) == key, "the stored key is wrong");
  g_bytes_unref (stored);
  g_object_unref (store);

  /* ... and nowhere else: no cache file, not the index database. */
  guint checked = 0;
  for (const auto &f : list_files (w.data_dir.c_str ())) {
    if (g_str_has_prefix (f.c_str (), "drm.db"))
      continue;
    std::string contents = read_text (w.data_dir + "/" + f);
    fail_unless (contents.find (key) == std::string::npos, "the key is in %s", f.c_str ());
    checked++;
  }
  fail_unless (checked >= plan[0].segments.size () + 2, "only %u files checked", checked);
  /* Not logged either. */
  std::string key_hex;
  for (unsigned char c : key) {
    char two[3];
    g_snprintf (two, sizeof two, "%02x", c);
    key_hex += two;
  }
  fail_unless (r.out.find (key_hex) == std::string::npos && r.err.find (key_hex) == std::string::npos);
}
GST_END_TEST;

GST_START_TEST (test_alternate_renditions)
{
  World w ("alt");
  CliResult r = w.download ("/alt/master.m3u8");
  assert_status (r, 0);
  auto plan = read_plan (w);
  fail_unless_equals_int (plan.size (), 5);
  const PlannedTrack &video = track_with_key (plan, "v:0");
  fail_unless (video.type == GST_OFFLINE_TRACK_TYPE_VIDEO);
  fail_unless_equals_string (video.container.c_str (), "mpegts");
  const PlannedTrack &en = track_with_key (plan, "a:aud:English");
  const PlannedTrack &fr = track_with_key (plan, "a:aud:Francais");
  fail_unless (en.type == GST_OFFLINE_TRACK_TYPE_AUDIO && fr.type == GST_OFFLINE_TRACK_TYPE_AUDIO);
  fail_unless_equals_string (en.language.c_str (), "en");
  fail_unless_equals_string (fr.language.c_str (), "fr");
  fail_unless_equals_string (en.container.c_str (), "mpegts");
  for (const char *key : { "s:subs:English", "s:subs:Francais" }) {
    const PlannedTrack &t = track_with_key (plan, key);
    fail_unless (t.type == GST_OFFLINE_TRACK_TYPE_TEXT);
    fail_unless_equals_string (t.container.c_str (), "webvtt");
    fail_unless_equals_int (t.segments.size (), 2);
  }
  assert_plan_cached (w, plan);
  /* The commentary (neither DEFAULT nor AUTOSELECT) and the I-frame
   * playlist were never asked for. */
  fail_unless_equals_int (w.requests ("/alt/audio_commentary/index.m3u8"), 0);
  fail_unless_equals_int (w.requests ("/alt/audio_commentary/seg0.ts"), 0);
  fail_unless_equals_int (w.requests ("/alt/video/iframes.m3u8"), 0);
}
GST_END_TEST;

/* Downloads refused with a one-line reason, before any segment: each row
 * serves `key` (a media file) at /aes/gone.bin answering `key_status` (0:
 * normally), downloads `path`, and expects every fragment in the reason (a
 * fragment starting with '/' is a path on the server, given as its URL). */
GST_START_TEST (test_refused)
{
  const struct {
    const gchar *name;
    const gchar *path;
    const gchar *key;
    guint key_status;
    std::vector<std::string> reason;
    const gchar *never_fetched;
  } cases[] = {
    { "aes-404", "/aes/missing-key.m3u8", "/aes/key.bin", 404, { "/aes/gone.bin", "404" }, "/aes/seg0.ts" },
    { "aes-length", "/aes/missing-key.m3u8", "/aes/keyinfo", 0, { "/aes/gone.bin", "16 bytes" }, "/aes/seg0.ts" },
    { "sample-aes", "/ts/v0/sample-aes.m3u8", nullptr, 0, { "HLS SAMPLE-AES is not supported" }, "/ts/v0/seg0.ts" },
    { "malformed", "/bad/malformed.m3u8", nullptr, 0, { "line 3" }, "/bad/seg0.ts" },
    { "not-a-playlist", "/bad/html.m3u8", nullptr, 0, { "/bad/html.m3u8", "not an HLS playlist" }, nullptr },
  };
  for (const auto &c : cases) {
    World w (c.name);
    if (c.key) {
      g_free (ot_server_add_file (w.server, "/aes/gone.bin", (media_root + c.key).c_str ()));
      if (c.key_status)
        ot_server_set_fault (w.server, "/aes/gone.bin", OT_FAULT_STATUS, c.key_status, -1);
    }
    CliResult r = w.download (c.path);
    std::vector<std::string> reason;
    for (const auto &fragment : c.reason)
      reason.push_back (fragment[0] == '/' ? w.url (fragment) : fragment);
    assert_failed_with (r, reason);
    if (c.key)
      fail_unless_equals_int (w.requests ("/aes/gone.bin"), 1);
    if (c.never_fetched)
      fail_unless (w.requests (c.never_fetched) == 0, "%s: %s was fetched", c.name, c.never_fetched);
  }
}
GST_END_TEST;

/* HLS subtitles in TTML in MP4 (CODECS "stpp.ttml.im1t") were once taken
 * for WebVTT and failed playback before the first frame: a default choice
 * now leaves them out and downloads the rest; asked for, they are refused
 * with one line before any segment. */
GST_START_TEST (test_ttml_subtitles_left_out_or_refused)
{
  {
    World w ("ttml-default");
    CliResult r = w.download ("/alt/ttml-master.m3u8");
    assert_status (r, 0);
    auto plan = read_plan (w);
    fail_unless_equals_int (plan.size (), 2);
    fail_unless (track_with_key (plan, "v:0").type == GST_OFFLINE_TRACK_TYPE_VIDEO);
    fail_unless (track_with_key (plan, "a:aud:English").type == GST_OFFLINE_TRACK_TYPE_AUDIO);
    assert_plan_cached (w, plan);
    fail_unless_equals_int (w.requests ("/alt/sub_en/index.m3u8"), 0);
  }
  {
    World w ("ttml-asked");
    CliResult r = w.download ("/alt/ttml-master.m3u8", { "--text", "en" });
    assert_failed_with (r, { "HLS subtitles 'English' are TTML in MP4 (stpp.ttml.im1t), which is not supported" });
    fail_unless_equals_int (w.requests ("/alt/sub_en/index.m3u8"), 0);
    fail_unless_equals_int (w.requests ("/alt/video/seg0.ts"), 0);
  }
}
GST_END_TEST;

/* Track options on masters: what each chooses is all that is fetched. */
GST_START_TEST (test_track_options)
{
  const struct {
    const gchar *name;
    const gchar *master;
    std::vector<std::string> options;
    std::vector<std::string> stream_keys; /* of the plan, in order */
    std::vector<std::string> never_fetched; /* directories */
  } cases[] = {
    { "video-180p", "/ts/master.m3u8", { "--video", "180p" }, { "v:0" }, { "/ts/v1" } },
    { "video-worst", "/ts/master.m3u8", { "--video", "worst" }, { "v:0" }, { "/ts/v1" } },
    { "audio-fr", "/alt/master.m3u8", { "--audio", "fr", "--text", "none" }, { "v:0", "a:aud:Francais" },
        { "/alt/audio_en", "/alt/audio_commentary", "/alt/sub_en", "/alt/sub_fr" } },
    { "text-fr", "/alt/master.m3u8", { "--audio", "none", "--text", "fr" }, { "v:0", "s:subs:Francais" },
        { "/alt/audio_en", "/alt/audio_fr", "/alt/audio_commentary", "/alt/sub_en" } },
  };
  for (const auto &c : cases) {
    World w (c.name);
    CliResult r = w.download (c.master, c.options);
    assert_status (r, 0);
    auto plan = read_plan (w);
    std::vector<std::string> keys;
    for (const auto &t : plan)
      keys.push_back (t.stream_key);
    fail_unless (keys == c.stream_keys, "%s: the plan has %zu tracks, the first %s", c.name, keys.size (),
        keys.empty () ? "-" : keys[0].c_str ());
    assert_plan_cached (w, plan);
    for (const auto &dir : c.never_fetched) {
      auto files = list_files ((media_root + dir).c_str ());
      fail_unless (!files.empty (), "no files in %s", dir.c_str ());
      for (const auto &f : files)
        fail_unless (w.requests (dir + "/" + f) == 0, "%s: %s/%s was fetched", c.name, dir.c_str (), f.c_str ());
    }
  }
}
GST_END_TEST;

static Suite *
hls_download_suite (void)
{
  Suite *s = suite_create ("hls-download");
  TCase *tc = tcase_create ("hls");
  make_shared_media ();
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_ts_master_default_selection);
  tcase_add_test (tc, test_ts_media_playlist);
  tcase_add_test (tc, test_fmp4);
  tcase_add_test (tc, test_single_file_byte_ranges);
  tcase_add_test (tc, test_aes128);
  tcase_add_test (tc, test_alternate_renditions);
  tcase_add_test (tc, test_refused);
  tcase_add_test (tc, test_ttml_subtitles_left_out_or_refused);
  tcase_add_test (tc, test_track_options);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (hls_download);
