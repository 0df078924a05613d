/* End-to-end tests of HLS playback: content made by ffmpeg's hls muxer at
 * test time and hand-written playlists over it (alternate audio and
 * subtitle renditions, discontinuities, key rotation), served from
 * 127.0.0.1, downloaded with the CLI, then decoded from the cache without
 * network and compared with the decode of the plain (decrypted)
 * concatenation of the same rendition's segments.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>
#include <gst/offline/offline-playback-private.h>

#include "adaptive-content.h"
#include "frame-checks.h"
#include "test-support.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace ot;

namespace {

constexpr guint CLIP_SECONDS = 6;

/* ffmpeg's hls muxer in `dir` (relative output names): H.264 320x240 (or
 * `size`, from `source`) at 25 fps, a keyframe every second, no B-frames,
 * 2 s segments; with `audio` an AAC track too. */
void
ffmpeg_hls (const std::string &dir, const std::vector<const gchar *> &output, bool audio = false,
    const gchar *source = "testsrc2", const gchar *size = "320x240", guint seconds = CLIP_SECONDS)
{
  g_mkdir_with_parents (dir.c_str (), 0700);
  g_autofree gchar *video = g_strdup_printf ("%s=size=%s:rate=25:duration=%u", source, size, seconds);
  g_autofree gchar *sine = g_strdup_printf ("sine=frequency=440:beep_factor=4:sample_rate=44100:duration=%u", seconds);
  std::vector<const gchar *> argv = { "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
    "-i", video };
  if (audio)
    argv.insert (argv.end (), { "-f", "lavfi", "-i", sine, "-map", "0:v", "-map", "1:a", "-c:a", "aac", "-b:a", "64k",
        "-ac", "2", "-flags:a", "+bitexact" });
  argv.insert (argv.end (), { "-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-keyint_min", "25",
      "-sc_threshold", "0", "-bf", "0", "-pix_fmt", "yuv420p", "-threads", "1", "-fflags", "+bitexact",
      "-flags:v", "+bitexact", "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod" });
  argv.insert (argv.end (), output.begin (), output.end ());
  run_or_fail (argv, dir.c_str ());
}

/* `files` (in `dir`) one after the other in `out`; returns its file URI. */
gchar *
concatenate (const std::string &dir, const std::vector<std::string> &files, const std::string &out)
{
  ot::concatenate (dir.c_str (), files, out.c_str ());
  return gst_filename_to_uri (out.c_str (), nullptr);
}

/* Offline decode of `id`, with video equal to the reference's. */
GPtrArray *
assert_video_as_reference (const gchar *reference_uri, const Dirs &d, const gchar *id)
{
  g_autoptr (GPtrArray) reference = decode (reference_uri, d.data);
  g_autofree gchar *uri = g_strdup_printf ("offline://%s", id);
  GPtrArray *offline = decode (uri, d.data);
  assert_same (frames_of (reference, "video"), frames_of (offline, "video"), "video");
  return offline;
}

/* Audio decoded offline equals the reference's, from the reference's first
 * buffer on: samples equal, times within a millisecond (the decoder times
 * its output from the first buffer it gets, and the reference drops the AAC
 * frame that starts before its first video frame, which an adaptive
 * source's TIME segment keeps). */
void
assert_audio_as_reference (GPtrArray *reference_lines, GPtrArray *offline_lines)
{
  auto reference = frames_of (reference_lines, "audio");
  fail_unless (!reference.empty (), "the reference has no audio");
  auto offline = from (frames_of (offline_lines, "audio"), reference.front ().pts - GST_MSECOND);
  fail_unless (offline.size () == reference.size (), "audio: %zu buffers, the reference has %zu", offline.size (),
      reference.size ());
  for (size_t i = 0; i < offline.size (); i++) {
    fail_unless (offline[i].md5 == reference[i].md5
            && llabs (offline[i].pts - reference[i].pts) < static_cast<gint64> (GST_MSECOND),
        "audio buffer %zu differs: expected '%s', got '%s'", i, reference[i].line.c_str (), offline[i].line.c_str ());
  }
}

/* offline://`id` decodes the video of `video_reference_uri`
 * (assert_video_as_reference) and the audio of `audio_reference_uri`
 * (assert_audio_as_reference). */
void
assert_plays_as_references (const Dirs &d, const gchar *id, const gchar *video_reference_uri,
    const gchar *audio_reference_uri)
{
  g_autoptr (GPtrArray) offline = assert_video_as_reference (video_reference_uri, d, id);
  g_autoptr (GPtrArray) reference_audio = decode (audio_reference_uri, d.data);
  assert_audio_as_reference (reference_audio, offline);
}

/* AES-128-CBC with PKCS7 of `in` into `out`, by openssl: `direction` "-e"
 * encrypts, "-d" decrypts. */
void
aes128_cbc (const gchar *direction, const std::string &in, const std::string &out, const gchar *key_hex,
    const gchar *iv_hex)
{
  run_or_fail ({ "openssl", "enc", direction, "-aes-128-cbc", "-K", key_hex, "-iv", iv_hex, "-in", in.c_str (), "-out",
                   out.c_str () },
      nullptr);
}

/* Whether the license of `id` in the data directory's store holds the key `name`. */
bool
has_key (const gchar *data_dir, const gchar *id, const std::string &name)
{
  GError *error = nullptr;
  GstOfflineSqliteDrmStore *store = gst_offline_sqlite_drm_store_new (data_dir, &error);
  fail_unless (store != nullptr, "%s", error ? error->message : "?");
  GBytes *value = gst_offline_drm_store_lookup_key (GST_OFFLINE_DRM_STORE (store), id, name.c_str (), &error);
  fail_unless (value || g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND), "%s", error->message);
  if (value)
    g_bytes_unref (value);
  g_clear_error (&error);
  g_object_unref (store);
  return value != nullptr;
}

/* The distinct key names of the plan of `id`. */
std::vector<std::string>
planned_key_names (const gchar *data_dir, const gchar *id)
{
  GError *error = nullptr;
  GstOfflineDownloadIndex *index = gst_offline_download_index_new (data_dir, &error);
  fail_unless (index != nullptr);
  GPtrArray *segments = gst_offline_download_index_get_segments (index, id, 0, 0, 10000, &error);
  fail_unless (segments != nullptr, "%s", error ? error->message : "?");
  std::vector<std::string> names;
  for (guint i = 0; i < segments->len; i++) {
    auto *s = static_cast<GstOfflineSegment *> (g_ptr_array_index (segments, i));
    const gchar *key_resource = gst_offline_segment_get_key_resource (s);
    if (key_resource && std::find (names.begin (), names.end (), key_resource) == names.end ())
      names.push_back (key_resource);
  }
  g_ptr_array_unref (segments);
  g_object_unref (index);
  return names;
}

/* `gst-offline remove id` forgets the download's keys and their list. */
void
remove_and_assert_keys_gone (const gchar *data_dir, const gchar *id, size_t expected_keys)
{
  auto names = planned_key_names (data_dir, id);
  fail_unless_equals_int (names.size (), expected_keys);
  for (const auto &name : names)
    fail_unless (has_key (data_dir, id, name), "%s is not in the DRM store", name.c_str ());
  gchar *err = nullptr;
  gint status = ot_run_cli (data_dir, nullptr, &err, "remove", id, nullptr);
  fail_unless (status == 0, "remove failed: %s", err);
  g_free (err);
  for (const auto &name : names)
    fail_unless (!has_key (data_dir, id, name), "%s is still in the DRM store", name.c_str ());
}

} // namespace

/* TS variants under a master playlist (ffmpeg's -var_stream_map): the
 * default download is the best variant, `--video 180p` the other; each plays
 * as the concatenation of its own segments, and choosing one fetches
 * nothing of the other. A seek to the middle gives the reference's frames
 * from there; the duration is the clip's. */
GST_START_TEST (test_ts_variants_select_and_seek)
{
  Dirs d ("variants");
  std::string dir = d.in_content ("v");
  ffmpeg_hls (dir, { "-map", "0:v", "-map", "0:v", "-s:v:0", "320x180", "-s:v:1", "640x360",
                       /* without bit rates ffmpeg writes a master playlist with no variants */
                       "-b:v:0", "200k", "-b:v:1", "600k", "-var_stream_map",
                       "v:0 v:1", "-master_pl_name", "master.m3u8", "-hls_segment_filename", "v%v/seg%d.ts",
                       "v%v/index.m3u8" });
  /* The best variant again, with EXTINF durations that are not the
   * segments' real ones (as rounding gives): a segment's nominal start is
   * then not where its MPEG-TS clock puts it. */
  std::string skewed = read_text (dir + "/v1/index.m3u8");
  for (size_t at; (at = skewed.find ("#EXTINF:2.0")) != std::string::npos;)
    skewed.replace (at, strlen ("#EXTINF:2.0"), "#EXTINF:1.9");
  write_text (dir + "/v1/skewed.m3u8", skewed);
  g_autofree gchar *url = serve (test_server, d.content, "vs", "v/master.m3u8");

  const struct {
    const gchar *id;
    const gchar *spec; /* NULL: the default */
    const gchar *chosen, *other;
  } cases[] = { { "best", nullptr, "v1", "v0" }, { "small", "180p", "v0", "v1" } };
  for (const auto &c : cases) {
    guint other_before = 0, chosen_before = 0;
    std::vector<std::string> other_files, chosen_files;
    for (const auto &f : playlist_uris (dir + "/" + c.other + "/index.m3u8"))
      other_files.push_back (std::string ("/vs/v/") + c.other + "/" + f);
    other_files.push_back (std::string ("/vs/v/") + c.other + "/index.m3u8");
    for (const auto &f : other_files)
      other_before += ot_server_get_request_count (test_server, f.c_str ());
    std::vector<std::string> segments = playlist_uris (dir + "/" + c.chosen + "/index.m3u8");
    for (const auto &f : segments)
      chosen_before
          += ot_server_get_request_count (test_server, (std::string ("/vs/v/") + c.chosen + "/" + f).c_str ());

    gchar *err = nullptr;
    gint status = c.spec ? ot_run_cli (d.data, nullptr, &err, "download", url, "--id", c.id, "--video", c.spec, nullptr)
                         : ot_run_cli (d.data, nullptr, &err, "download", url, "--id", c.id, nullptr);
    fail_unless (status == 0, "download %s failed: %s", c.id, err);
    g_free (err);

    guint other_after = 0, chosen_after = 0;
    for (const auto &f : other_files)
      other_after += ot_server_get_request_count (test_server, f.c_str ());
    for (const auto &f : segments)
      chosen_after += ot_server_get_request_count (test_server, (std::string ("/vs/v/") + c.chosen + "/" + f).c_str ());
    fail_unless (other_after == other_before, "%s: %u requests of variant %s", c.id, other_after - other_before,
        c.other);
    fail_unless_equals_int (chosen_after - chosen_before, segments.size ());

    g_autofree gchar *reference
        = concatenate (dir + "/" + c.chosen, segments, std::string (d.root) + "/" + c.id + ".ts");
    g_ptr_array_unref (assert_video_as_reference (reference, d, c.id));
  }

  /* Seek and duration. The frames are at 0.7 s + 40 ms steps (tsdemux
   * times them from the first PCR), so the accurate seek clips the frame
   * before the target to it: the reference is the concatenation seeked the
   * same way. */
  constexpr GstClockTime target = 3 * GST_SECOND;
  g_autofree gchar *best_path = g_build_filename (d.root, "best.ts", nullptr);
  g_autofree gchar *best_uri = gst_filename_to_uri (best_path, nullptr);
  g_autoptr (GPtrArray) reference_lines = decode (best_uri, d.data, target);
  auto reference = frames_of (reference_lines, "video");
  for (const gchar *id : { "best", "skewed" }) {
    if (g_str_equal (id, "skewed")) {
      g_autofree gchar *skewed_url = g_strdup_printf ("%s/vs/v/v1/skewed.m3u8", ot_server_get_base_url (test_server));
      download (d.data, skewed_url, id);
    }
    g_autofree gchar *uri = g_strdup_printf ("offline://%s", id);
    g_autoptr (GPtrArray) lines = decode (uri, d.data, target);
    auto video = frames_of (lines, "video");
    gint64 duration = duration_of (lines);
    gint64 expected = g_str_equal (id, "best") ? CLIP_SECONDS * GST_SECOND : 3 * 1900 * GST_MSECOND;
    fail_unless (llabs (duration - expected) <= static_cast<gint64> (GST_SECOND / 10), "%s: duration %" GST_TIME_FORMAT,
        id, GST_TIME_ARGS (duration));
    fail_unless (!video.empty () && video.front ().pts >= static_cast<gint64> (target), "%s: video after the seek", id);
    assert_same (reference, video, id);
  }
}
GST_END_TEST;

/* fMP4 with EXT-X-MAP: the init section then the segments. */
GST_START_TEST (test_fmp4)
{
  Dirs d ("fmp4");
  std::string dir = d.in_content ("f");
  ffmpeg_hls (dir, { "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4", "-hls_segment_filename",
                       "seg%d.m4s", "index.m3u8" });
  g_autofree gchar *url = serve (test_server, d.content, "fmp4", "f/index.m3u8");
  download (d.data, url, "fmp4");
  std::vector<std::string> files = { "init.mp4" };
  for (const auto &f : playlist_uris (dir + "/index.m3u8"))
    files.push_back (f);
  g_autofree gchar *reference = concatenate (dir, files, std::string (d.root) + "/reference.mp4");
  g_ptr_array_unref (assert_video_as_reference (reference, d, "fmp4"));
}
GST_END_TEST;

/* ffmpeg's single_file: every segment a byte range of one file. */
GST_START_TEST (test_single_file_byte_ranges)
{
  Dirs d ("single");
  std::string dir = d.in_content ("s");
  ffmpeg_hls (dir, { "-hls_flags", "single_file", "index.m3u8" }, true);
  fail_unless (read_text (dir + "/index.m3u8").find ("#EXT-X-BYTERANGE") != std::string::npos);
  g_autofree gchar *url = serve (test_server, d.content, "single", "s/index.m3u8");
  download (d.data, url, "single");
  g_autofree gchar *path = g_build_filename (dir.c_str (), "index.ts", nullptr);
  g_autofree gchar *reference_uri = gst_filename_to_uri (path, nullptr);
  assert_plays_as_references (d, "single", reference_uri, reference_uri);
}
GST_END_TEST;

/* A hand-written master in d's content/ over ffmpeg's video-only media
 * playlist in video/ and an audio-only one in audio/, which ffmpeg writes
 * with `audio_output` (its muxer and output options) from the 440 Hz sine;
 * served as `name`, downloaded as `name`. */
static void
make_and_download_alternate_audio (const Dirs &d, const gchar *name, const std::vector<const gchar *> &audio_output)
{
  std::string video_dir = d.in_content ("video"), audio_dir = d.in_content ("audio");
  ffmpeg_hls (video_dir, { "-an", "-hls_segment_filename", "seg%d.ts", "index.m3u8" });
  g_autofree gchar *sine
      = g_strdup_printf ("sine=frequency=440:beep_factor=4:sample_rate=44100:duration=%u", CLIP_SECONDS);
  g_mkdir_with_parents (audio_dir.c_str (), 0700);
  std::vector<const gchar *> argv = { "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
    "-i", sine, "-c:a", "aac", "-b:a", "64k", "-ac", "2", "-flags:a", "+bitexact", "-fflags", "+bitexact" };
  argv.insert (argv.end (), audio_output.begin (), audio_output.end ());
  run_or_fail (argv, audio_dir.c_str ());
  write_text (d.in_content ("master.m3u8"),
      "#EXTM3U\n#EXT-X-VERSION:4\n"
      "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"English\",LANGUAGE=\"en\",DEFAULT=YES,AUTOSELECT=YES,"
      "URI=\"audio/index.m3u8\"\n"
      "#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=320x240,CODECS=\"avc1.64000d,mp4a.40.2\",AUDIO=\"aud\"\n"
      "video/index.m3u8\n");
  g_autofree gchar *url = serve (test_server, d.content, name, "master.m3u8");
  download (d.data, url, name);
}

/* An alternate audio rendition (hand-written master over ffmpeg's
 * video-only and audio-only media playlists) plays on its own pad. */
GST_START_TEST (test_alternate_audio)
{
  Dirs d ("alt");
  std::string video_dir = d.in_content ("video"), audio_dir = d.in_content ("audio");
  make_and_download_alternate_audio (d, "alt",
      { "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod", "-hls_segment_filename", "seg%d.ts", "index.m3u8" });

  g_autofree gchar *video_reference
      = concatenate (video_dir, playlist_uris (video_dir + "/index.m3u8"), std::string (d.root) + "/video.ts");
  g_autofree gchar *audio_reference
      = concatenate (audio_dir, playlist_uris (audio_dir + "/index.m3u8"), std::string (d.root) + "/audio.ts");
  /* The audio came from a pad of its own: the video reference has none. */
  assert_plays_as_references (d, "alt", video_reference, audio_reference);
}
GST_END_TEST;

/* An audio rendition of packed audio (raw ADTS, as Apple's packed audio
 * without its ID3 tag) in segments named .ts, as real servers have them:
 * the download takes them for MPEG-TS; offline playback must not wait
 * forever for tsdemux to find a packet, but fail naming the track. */
GST_START_TEST (test_packed_audio_named_ts)
{
  Dirs d ("packed");
  make_and_download_alternate_audio (d, "packed",
      { "-f", "segment", "-segment_time", "2", "-segment_format", "adts", "-segment_list", "index.m3u8",
          "-segment_list_type", "m3u8", "seg%d.ts" });
  std::string first_segment = read_text (d.in_content ("audio/seg0.ts"));
  fail_unless (first_segment.size () > 2 && static_cast<guint8> (first_segment[0]) == 0xff, "ffmpeg wrote no ADTS");

  gchar *message = nullptr;
  g_autoptr (GPtrArray) lines = ot_decode_checksums ("offline://packed", d.data, FALSE, &message);
  fail_unless (lines == nullptr, "packed audio named .ts played as MPEG-TS");
  fail_unless (message && strstr (message, "packed audio") && strstr (message, "'packed'"), "no clear error: %s",
      message);
  g_free (message);
}
GST_END_TEST;

/* Two differently encoded parts (320x240 testsrc2, then 160x120 testsrc,
 * each starting its MPEG-TS clock again) joined by EXT-X-DISCONTINUITY:
 * every frame of the first, then every frame of the second, on. */
GST_START_TEST (test_discontinuity)
{
  Dirs d ("discont");
  std::string a = d.in_content ("a"), b = d.in_content ("b");
  ffmpeg_hls (a, { "-hls_segment_filename", "seg%d.ts", "index.m3u8" }, false, "testsrc2", "320x240", 4);
  ffmpeg_hls (b, { "-hls_segment_filename", "seg%d.ts", "index.m3u8" }, false, "testsrc", "160x120", 4);
  std::string playlist = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n";
  for (const auto &f : playlist_uris (a + "/index.m3u8"))
    playlist += "#EXTINF:2.0,\na/" + f + "\n";
  playlist += "#EXT-X-DISCONTINUITY\n";
  for (const auto &f : playlist_uris (b + "/index.m3u8"))
    playlist += "#EXTINF:2.0,\nb/" + f + "\n";
  write_text (d.in_content ("joined.m3u8"), playlist + "#EXT-X-ENDLIST\n");
  g_autofree gchar *url = serve (test_server, d.content, "discont", "joined.m3u8");
  download (d.data, url, "discont");

  g_autofree gchar *ref_a = concatenate (a, playlist_uris (a + "/index.m3u8"), std::string (d.root) + "/a.ts");
  g_autofree gchar *ref_b = concatenate (b, playlist_uris (b + "/index.m3u8"), std::string (d.root) + "/b.ts");
  g_autoptr (GPtrArray) lines_a = decode (ref_a, d.data);
  g_autoptr (GPtrArray) lines_b = decode (ref_b, d.data);
  g_autoptr (GPtrArray) offline = decode ("offline://discont", d.data);
  auto frames_a = frames_of (lines_a, "video"), frames_b = frames_of (lines_b, "video");
  auto video = frames_of (offline, "video");
  fail_unless_equals_int (video.size (), frames_a.size () + frames_b.size ());
  for (size_t i = 0; i < video.size (); i++) {
    const Frame &expected = i < frames_a.size () ? frames_a[i] : frames_b[i - frames_a.size ()];
    gint64 shift = i < frames_a.size () ? 0 : static_cast<gint64> (4 * GST_SECOND);
    fail_unless (video[i].md5 == expected.md5 && video[i].pts == expected.pts + shift,
        "frame %zu: expected '%s' (+%" G_GINT64_FORMAT " ns), got '%s'", i, expected.line.c_str (), shift,
        video[i].line.c_str ());
  }
}
GST_END_TEST;

/* Key rotation (hand-written): the first segment under one AES-128 key with
 * an explicit IV, the others under a second key with the media-sequence IV;
 * they decode as the plain segments. Removing the download forgets both
 * keys. */
GST_START_TEST (test_key_rotation)
{
  Dirs d ("rotation");
  std::string plain = d.in_content ("plain");
  ffmpeg_hls (plain, { "-hls_segment_filename", "seg%d.ts", "index.m3u8" }, true);
  auto segments = playlist_uris (plain + "/index.m3u8");
  fail_unless (segments.size () >= 3);
  const gchar *key1 = "000102030405060708090a0b0c0d0e0f", *key2 = "f0e1d2c3b4a5968778695a4b3c2d1e0f";
  const gchar *iv1 = "0123456789abcdef0123456789abcdef";
  const guint8 k1[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
  const guint8 k2[16] = { 0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87, 0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f };
  write_text (d.in_content ("enc/k1.key"), std::string (reinterpret_cast<const char *> (k1), 16));
  write_text (d.in_content ("enc/k2.key"), std::string (reinterpret_cast<const char *> (k2), 16));
  std::string playlist = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n"
                         "#EXT-X-PLAYLIST-TYPE:VOD\n";
  for (size_t i = 0; i < segments.size (); i++) {
    g_autofree gchar *sequence_iv = g_strdup_printf ("%032zx", i);
    aes128_cbc ("-e", plain + "/" + segments[i], d.in_content ("enc/" + segments[i]), i == 0 ? key1 : key2,
        i == 0 ? iv1 : sequence_iv);
    if (i == 0)
      playlist += std::string ("#EXT-X-KEY:METHOD=AES-128,URI=\"k1.key\",IV=0x") + iv1 + "\n";
    else if (i == 1)
      playlist += "#EXT-X-KEY:METHOD=AES-128,URI=\"k2.key\"\n";
    playlist += "#EXTINF:2.0,\n" + segments[i] + "\n";
  }
  write_text (d.in_content ("enc/index.m3u8"), playlist + "#EXT-X-ENDLIST\n");
  g_autofree gchar *url = serve (test_server, d.content, "rot", "enc/index.m3u8");
  download (d.data, url, "rot");

  g_autofree gchar *reference_uri = concatenate (plain, segments, std::string (d.root) + "/plain.ts");
  assert_plays_as_references (d, "rot", reference_uri, reference_uri);

  remove_and_assert_keys_gone (d.data, "rot", 2);
}
GST_END_TEST;

/* The first decode time of an HLS media playlist's video, in 90 kHz ticks. */
guint64
first_dts_ticks (const std::string &playlist)
{
  gchar *out = nullptr;
  gint status = 0;
  const gchar *probe[] = { "ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=dts_time",
    "-read_intervals", "%+#1", "-of", "csv=p=0", playlist.c_str (), nullptr };
  fail_unless (ot_spawn_sync (nullptr, const_cast<gchar **> (probe), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr,
                   &out, nullptr, &status, nullptr)
          && status == 0,
      "ffprobe %s failed", playlist.c_str ());
  guint64 ticks = static_cast<guint64> (g_ascii_strtod (out, nullptr) * 90000 + 0.5);
  g_free (out);
  return ticks;
}

/* WebVTT subtitle renditions whose segments map LOCAL 00:01:00.000 to the
 * video's first time (MPEG-TS: its first PTS, 1.4 s with ffmpeg; fMP4: its
 * first decode time): their cues come out 60 s earlier, on the video's
 * timeline (the frame at that media time has the same running time), with
 * TS and with fMP4 video. A segment that is not WebVTT is an error naming
 * it. */
GST_START_TEST (test_webvtt_timestamp_map)
{
  Dirs d ("webvtt");
  ffmpeg_hls (d.in_content ("ts"), { "-hls_segment_filename", "seg%d.ts", "index.m3u8" });
  ffmpeg_hls (d.in_content ("fmp4"), { "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4",
                                       "-hls_segment_filename", "seg%d.m4s", "index.m3u8" });
  const gchar *kinds[] = { "ts", "fmp4" };
  for (const gchar *kind : kinds) {
    std::string video = d.in_content (kind);
    guint64 first_ticks = first_dts_ticks (video + "/index.m3u8");
    std::string playlist = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n";
    for (size_t i = 0; i < playlist_uris (video + "/index.m3u8").size (); i++) {
      g_autofree gchar *vtt = g_strdup_printf ("\xEF\xBB\xBFWEBVTT\r\nX-TIMESTAMP-MAP=MPEGTS:%" G_GUINT64_FORMAT
                                               ",LOCAL:00:01:00.000\r\n\r\n00:01:%02zu.400 --> 00:01:%02zu.000\r\ncue %zu",
          first_ticks, 2 * i, 2 * i + 1, i);
      write_text (video + "/subs/" + std::to_string (i) + ".vtt", vtt);
      playlist += "#EXTINF:2.0,\n" + std::to_string (i) + ".vtt\n";
    }
    write_text (video + "/subs/index.m3u8", playlist + "#EXT-X-ENDLIST\n");
    /* The same with an HTML page for the second segment. */
    write_text (video + "/subs/bad.html", "<!DOCTYPE html><html><body>Not found</body></html>\n");
    std::string bad = playlist;
    bad.replace (bad.find ("1.vtt"), 5, "bad.html");
    write_text (video + "/subs/bad.m3u8", bad + "#EXT-X-ENDLIST\n");
    for (const gchar *name : { "master", "bad" }) {
      write_text (video + "/" + name + ".m3u8",
          std::string ("#EXTM3U\n#EXT-X-VERSION:7\n"
                       "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"English\",LANGUAGE=\"en\",DEFAULT=YES,"
                       "AUTOSELECT=YES,URI=\"subs/")
              + (g_str_equal (name, "bad") ? "bad" : "index") + ".m3u8\"\n"
              + "#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=320x240,CODECS=\"avc1.64000d\",SUBTITLES=\"subs\"\n"
                "index.m3u8\n");
    }
  }
  g_autofree gchar *base = serve (test_server, d.content, "vtt", "");

  for (const gchar *kind : kinds) {
    g_autofree gchar *url = g_strdup_printf ("%s%s/master.m3u8", base, kind);
    download (d.data, url, kind);
    g_autofree gchar *uri = g_strdup_printf ("offline://%s", kind);
    g_setenv ("OT_DECODE_TEXT", "1", TRUE);
    g_autoptr (GPtrArray) offline = decode (uri, d.data);
    g_unsetenv ("OT_DECODE_TEXT");
    auto cues = frames_of (offline, "text");
    auto frames = frames_of (offline, "video");
    fail_unless_equals_int (cues.size (), CLIP_SECONDS / 2);
    fail_unless_equals_int (frames.size (), 25 * CLIP_SECONDS);
    for (size_t i = 0; i < cues.size (); i++) {
      /* Frame 10 of each 2 s segment is at the cue's media time; the cue
       * comes out at that frame's running time (ot-decode gives the text's
       * running time and the video's PTS, which its segment makes equal). */
      const Frame &frame = frames[50 * i + 10];
      fail_unless (frame.pts == frames[0].pts + static_cast<gint64> (2 * i * GST_SECOND + 400 * GST_MSECOND),
          "%s: frame %zu: '%s'", kind, 50 * i + 10, frame.line.c_str ());
      g_autofree gchar *text = g_strdup_printf ("cue %zu", i);
      fail_unless (cues[i].pts == frame.pts && cues[i].md5 == text, "%s: cue %zu: '%s', expected at %" G_GINT64_FORMAT,
          kind, i, cues[i].line.c_str (), frame.pts);
    }

    /* playbin and playbin3 (text overlay and all) play it to the end;
     * playbin3 used to choose the text alone nine times in ten (see "Tracks
     * start in turn" in docs/architecture.md). */
    g_autofree gchar *uri_arg = g_strdup_printf ("uri=%s", uri);
    for (const gchar *player : { "playbin", "playbin3" }) {
      gchar *err = nullptr;
      gint status = run_without_network (d.data,
          { "gst-launch-1.0", "-q", player, uri_arg, "video-sink=fakesink sync=false",
              "audio-sink=fakesink sync=false" },
          &err);
      fail_unless (status == 0, "%s: %s failed: %s", kind, player, err);
      g_free (err);
    }
  }

  /* A segment that is not WebVTT: an error that names it, no garbage. */
  g_autofree gchar *bad_url = g_strdup_printf ("%sts/bad.m3u8", base);
  download (d.data, bad_url, "bad");
  gchar *message = nullptr;
  g_setenv ("OT_DECODE_TEXT", "1", TRUE);
  GPtrArray *lines = ot_decode_checksums ("offline://bad", d.data, TRUE, &message);
  g_unsetenv ("OT_DECODE_TEXT");
  fail_unless (lines == nullptr, "decoding a bad WebVTT segment succeeded");
  fail_unless (message && strstr (message, "WebVTT segment 1 of track s:subs:English of download 'bad' is malformed: "
                                           "not a WebVTT segment") != nullptr,
      "unexpected error: %s", message);
  g_free (message);
}
GST_END_TEST;

/* HLS with AES-128 (MPEG-TS segments encrypted by ffmpeg's hls muxer): the
 * segments are decrypted with the key the download stored, and decode as the
 * concatenation of the segments decrypted by openssl does: every video frame;
 * the audio buffers from the reference's first one on (the reference drops
 * the AAC frame that starts before its first video frame, which an adaptive
 * source's TIME segment keeps). Removing the download forgets its key. */
GST_START_TEST (test_hls_aes128)
{
  Dirs d ("hls");

  const gchar *key_hex = "000102030405060708090a0b0c0d0e0f";
  const gchar *iv_hex = "f0e0d0c0b0a090807060504030201000";
  const guint8 key[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
  g_autofree gchar *key_path = g_build_filename (d.content, "k.key", nullptr);
  fail_unless (g_file_set_contents (key_path, reinterpret_cast<const gchar *> (key), sizeof key, nullptr));
  g_autofree gchar *key_info
      = g_strdup_printf ("%s/hls/k.key\n%s\n%s\n", ot_server_get_base_url (test_server), key_path, iv_hex);
  g_autofree gchar *key_info_text = g_strcompress (key_info);
  g_autofree gchar *key_info_path = g_build_filename (d.root, "keyinfo", nullptr);
  fail_unless (g_file_set_contents (key_info_path, key_info_text, -1, nullptr));

  g_autofree gchar *video = g_strdup_printf ("testsrc2=size=320x240:rate=25:duration=%u", CLIP_SECONDS);
  g_autofree gchar *audio = g_strdup_printf ("sine=frequency=440:beep_factor=4:sample_rate=44100:duration=%u",
      CLIP_SECONDS);
  run_or_fail ({ "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", video,
                   "-f", "lavfi", "-i", audio, "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset",
                   "veryfast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0", "-pix_fmt", "yuv420p",
                   "-threads", "1", "-c:a", "aac", "-b:a", "64k", "-ac", "2", "-fflags", "+bitexact",
                   "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-hls_time", "2", "-hls_playlist_type", "vod",
                   "-hls_key_info_file", key_info_path, "-hls_segment_filename", "seg%03d.ts", "-f", "hls",
                   "x.m3u8" },
      d.content);

  /* The reference: each segment decrypted by openssl, concatenated. */
  std::vector<std::string> files = list_files (d.content);
  std::string plain;
  for (const auto &file : files) {
    if (!g_str_has_suffix (file.c_str (), ".ts"))
      continue;
    std::string out = std::string (d.root) + "/" + file + ".plain";
    aes128_cbc ("-d", d.in_content (file), out, key_hex, iv_hex);
    plain += read_text (out);
  }
  std::string reference_path = std::string (d.root) + "/reference.ts";
  write_text (reference_path, plain);

  g_autofree gchar *url = serve (test_server, d.content, "hls", "x.m3u8");
  download (d.data, url, "hls");

  g_autofree gchar *reference_uri = gst_filename_to_uri (reference_path.c_str (), nullptr);
  assert_plays_as_references (d, "hls", reference_uri, reference_uri);

  remove_and_assert_keys_gone (d.data, "hls", 1);
}
GST_END_TEST;

static Suite *
hls_playback_suite (void)
{
  Suite *s = suite_create ("hls-playback");
  TCase *tc = adaptive_tcase ("hls");
  tcase_add_test (tc, test_hls_aes128);
  tcase_add_test (tc, test_ts_variants_select_and_seek);
  tcase_add_test (tc, test_fmp4);
  tcase_add_test (tc, test_single_file_byte_ranges);
  tcase_add_test (tc, test_alternate_audio);
  tcase_add_test (tc, test_packed_audio_named_ts);
  tcase_add_test (tc, test_discontinuity);
  tcase_add_test (tc, test_key_rotation);
  tcase_add_test (tc, test_webvtt_timestamp_map);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (hls_playback);
