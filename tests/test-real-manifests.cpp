/* Manifests nobody here wrote: the test manifests of other players
 * (tests/manifests/README.md says whence). Each is parsed as `inspect` does
 * and its tracks listed, then every listed DASH or Smooth Streaming track
 * expanded as a download would: the outcome must be a track list or one
 * clear line of error, and must be what tests/manifests/expected.txt says
 * (the number of tracks and segments, or a part of the error). With
 * GST_OFFLINE_UPDATE_EXPECTED=1 the test writes that file instead (review
 * the diff: it is the behaviour being pinned).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <algorithm>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gst/check/gstcheck.h>

#include "tracks/dash-tracks.h"
#include "tracks/hls-tracks.h"
#include "tracks/mss-tracks.h"
#include "manifest/dash/mpd-parser.h"
#include "manifest/dash/segment-index.h"
#include "manifest/hls/playlist-parser.h"
#include "manifest/mss/manifest-parser.h"

namespace {

const std::string kRoot = MANIFESTS_DIR;

void collect (const std::string &dir, const std::string &rel, std::vector<std::string> &files)
{
  g_autoptr (GDir) handle = g_dir_open (dir.c_str (), 0, nullptr);
  fail_unless (handle != nullptr, "cannot read %s", dir.c_str ());
  while (const char *name = g_dir_read_name (handle)) {
    std::string path = dir + "/" + name;
    std::string child = rel.empty () ? name : rel + "/" + name;
    if (g_file_test (path.c_str (), G_FILE_TEST_IS_DIR))
      collect (path, child, files);
    else if (child.find ('/') != std::string::npos)
      files.push_back (child);
  }
}

/* "error: <message>", or "N tracks" and for DASH/MSS ", M segments" (those
 * of every track, or the first expansion error). */
std::string outcome (const std::string &rel, const std::string &bytes)
{
  std::string url = "https://media.example.com/" + rel;
  g_autoptr (GError) error = nullptr;
  std::string result;
  if (rel.find ("/dash/") != std::string::npos) {
    auto mpd = gst_offline::dash::parse_mpd (bytes, url, &error);
    if (mpd) {
      auto tracks = gst_offline::dash_tracks (*mpd);
      guint64 segments = 0;
      for (const auto &track : tracks) {
        auto ref = gst_offline::parse_dash_stream_key (track.stream_key, *mpd, &error);
        fail_unless (ref.has_value ());
        const auto &period = mpd->periods[ref->period];
        auto index = gst_offline::dash::expand_segments (period,
            period.adaptation_sets[ref->set].representations[ref->representation], &error);
        if (!index)
          return std::to_string (tracks.size ()) + " tracks, expansion error: " + error->message;
        segments += index->media.size () + (index->sidx ? 1 : 0);
      }
      return std::to_string (tracks.size ()) + " tracks, " + std::to_string (segments) + " segments";
    }
  } else if (rel.find ("/hls/") != std::string::npos) {
    auto playlist = gst_offline::hls::parse_playlist (bytes, url, &error);
    if (playlist) {
      if (playlist->is_media () && !gst_offline::hls::check_not_live (playlist->media (), &error))
        ;
      else
        return std::to_string (gst_offline::hls_tracks (*playlist).size ()) + " tracks";
    }
  } else {
    auto manifest = gst_offline::mss::parse_manifest (bytes, url, &error);
    if (manifest) {
      auto tracks = gst_offline::mss_tracks (*manifest);
      guint64 segments = 0;
      for (const auto &track : tracks) {
        auto ref = gst_offline::parse_mss_stream_key (track.stream_key, *manifest, &error);
        fail_unless (ref.has_value ());
        const auto &stream = manifest->streams[ref->stream];
        auto refs = gst_offline::mss::expand_fragments (*manifest, stream, stream.quality_levels[ref->level], &error);
        if (!refs)
          return std::to_string (tracks.size ()) + " tracks, expansion error: " + error->message;
        segments += refs->size ();
      }
      return std::to_string (tracks.size ()) + " tracks, " + std::to_string (segments) + " segments";
    }
  }
  fail_unless (error != nullptr && error->message[0] != '\0', "%s: a failure without a message", rel.c_str ());
  return std::string ("error: ") + error->message;
}

std::string read_manifest (const std::string &rel)
{
  gchar *contents = nullptr;
  gsize size = 0;
  fail_unless (g_file_get_contents ((kRoot + "/" + rel).c_str (), &contents, &size, nullptr), "cannot read %s",
      rel.c_str ());
  std::string bytes (contents, size);
  g_free (contents);
  return bytes;
}

gst_offline::dash::Mpd must_parse_mpd (const std::string &rel)
{
  g_autoptr (GError) error = nullptr;
  auto mpd = gst_offline::dash::parse_mpd (read_manifest (rel), "https://media.example.com/" + rel, &error);
  fail_unless (mpd.has_value (), "%s: %s", rel.c_str (), error ? error->message : "?");
  return std::move (*mpd);
}

gst_offline::dash::SegmentIndex must_expand (const gst_offline::dash::Mpd &mpd, guint period, guint set,
    guint representation)
{
  g_autoptr (GError) error = nullptr;
  const auto &p = mpd.periods.at (period);
  auto index = gst_offline::dash::expand_segments (p, p.adaptation_sets.at (set).representations.at (representation),
      &error);
  fail_unless (index.has_value (), "%s", error ? error->message : "?");
  return std::move (*index);
}

gst_offline::hls::Playlist must_parse_playlist (const std::string &rel, const std::string &bytes)
{
  g_autoptr (GError) error = nullptr;
  auto playlist = gst_offline::hls::parse_playlist (bytes, "https://media.example.com/" + rel, &error);
  fail_unless (playlist.has_value (), "%s: %s", rel.c_str (), error ? error->message : "?");
  return std::move (*playlist);
}

std::vector<std::string> stream_keys (const std::vector<gst_offline::Track> &tracks)
{
  std::vector<std::string> keys;
  for (const auto &t : tracks)
    keys.push_back (t.stream_key);
  return keys;
}

}  // namespace

/* The real-world features of issue 14, each on a manifest of another
 * player's tests (the counts of test_real_manifests say little of them):
 * what the parsers make of the feature, field by field. */
GST_START_TEST (test_real_world_dash_features)
{
  using gst_offline::dash::ByteRange;
  /* Multi-period with period durations, SegmentBase@indexRange and a
   * presentationTimeOffset in the second Period (ExoPlayer's
   * multi-period-with-offset: two Periods over one file, each half of it). */
  auto periods = must_parse_mpd ("exoplayer/dash/dash_multi-period-with-offset_sample.mpd");
  fail_unless_equals_int (periods.periods.size (), 2);
  fail_unless_equals_uint64 (periods.periods[0].start, 0);
  fail_unless (periods.periods[0].duration == std::optional<guint64> (500 * GST_MSECOND));
  fail_unless_equals_uint64 (periods.periods[1].start, 500 * GST_MSECOND);
  fail_unless (periods.periods[1].duration.has_value () && periods.duration ().has_value ());
  fail_unless_equals_uint64 (periods.periods[1].start + *periods.periods[1].duration, *periods.duration ());
  for (guint p = 0; p < 2; p++) {
    auto index = must_expand (periods, p, 0, 0);
    fail_unless (index.sidx.has_value ());
    fail_unless_equals_string (index.sidx->url.c_str (),
        "https://media.example.com/exoplayer/dash/sample.video.mp4");
    fail_unless (index.sidx->range == (ByteRange { 862, 905 }));
    fail_unless (index.init.has_value () && index.init->range == (ByteRange { 0, 861 }));
    fail_unless_equals_uint64 (index.timescale, 30000);
    fail_unless_equals_uint64 (index.presentation_time_offset, p == 0 ? 0 : 15000);
  }

  /* $Number%05d$ (ExoPlayer's multi-track sample, made by ffmpeg). */
  auto number = must_parse_mpd ("exoplayer/dash/dash_multi-track_sample.mpd");
  auto numbered = must_expand (number, 0, 0, 0);
  fail_unless_equals_int (numbered.media.size (), 1);
  fail_unless_equals_string (numbered.media[0].url.c_str (),
      "https://media.example.com/exoplayer/dash/chunk-stream0-00001.m4s");
  fail_unless_equals_string (numbered.init->url.c_str (), "https://media.example.com/exoplayer/dash/init-stream0.m4s");

  /* $Bandwidth$ and $Time$ under BaseURLs at the MPD (the first of four)
   * and the AdaptationSet. */
  auto based = must_parse_mpd ("exoplayer/dash/mpd_sample_mpd_vod_location_fallback.mpd");
  auto banded = must_expand (based, 0, 0, 1);
  fail_unless_equals_int (banded.media.size (), 226);
  fail_unless_equals_string (banded.media[0].url.c_str (), "http://video.com/baseUrl/a/video/video_0_700000.m4s");
  fail_unless_equals_string (banded.media[1].url.c_str (), "http://video.com/baseUrl/a/video/video_4000_700000.m4s");

  /* Trick-mode AdaptationSets (EssentialProperty trickmode) are not
   * listed; a SupplementalProperty trickmode set is an ordinary one. */
  auto trick = must_parse_mpd ("exoplayer/dash/mpd_sample_mpd_trick_play.mpd");
  fail_unless_equals_string (trick.periods[0].adaptation_sets[2].unsupported_essential_property.c_str (),
      "http://dashif.org/guidelines/trickmode");
  auto keys = stream_keys (gst_offline::dash_tracks (trick));
  fail_unless (keys == (std::vector<std::string> { "0.0.0", "0.1.0", "0.3.0" }), "%zu tracks, the third %s",
      keys.size (), keys.size () > 2 ? keys[2].c_str () : "-");

  /* EssentialProperty of schemes the parser knows (colour description) and
   * SupplementalProperty keep their Representation; its own BaseURL names
   * the file of its SegmentBase. */
  auto essential = must_parse_mpd ("shaka/dash/dv-p8-1-hevc_manifest.mpd");
  fail_unless_equals_string (essential.periods[0].adaptation_sets[0].unsupported_essential_property.c_str (), "");
  fail_unless_equals_int (gst_offline::dash_tracks (essential).size (), 1);
  auto hevc = must_expand (essential, 0, 0, 0);
  fail_unless_equals_string (hevc.sidx->url.c_str (),
      "https://media.example.com/shaka/dash/media-video-hvc1-dvh1-db1p-1.mp4");
  fail_unless (hevc.sidx->range == (ByteRange { 803, 1266 }));
  auto supplemental = must_parse_mpd ("shaka/dash/lcevc-dual-track_master.mpd");
  fail_unless_equals_int (gst_offline::dash_tracks (supplemental).size (), 2);
}
GST_END_TEST;

GST_START_TEST (test_real_world_hls_features)
{
  using gst_offline::hls::ByteRange;
  /* EXT-X-MAP with a BYTERANGE, media in byte ranges of the same file. */
  const std::string mapped_rel = "shaka/hls/dv-p8-1-hevc_media.m3u8";
  auto mapped = must_parse_playlist (mapped_rel, read_manifest (mapped_rel));
  fail_unless (mapped.is_media ());
  const auto &opening = mapped.media ().segments.at (0);
  fail_unless (opening.init_section != nullptr && opening.init_section->byte_range == (ByteRange { 0, 803 }));
  fail_unless_equals_string (opening.init_section->uri.c_str (),
      "https://media.example.com/shaka/hls/media-video-hvc1-dvh1-db1p-1.mp4");
  fail_unless (opening.byte_range == (ByteRange { 1267, 147761 }));
  fail_unless (mapped.media ().segments.at (1).byte_range == (ByteRange { 149028, 373348 }));

  /* EXT-X-DISCONTINUITY-SEQUENCE, then a discontinuity that counts on from it. */
  const std::string disc_rel = "shaka/hls/hls-text-offset_playlist-video.m3u8";
  auto disc = must_parse_playlist (disc_rel, read_manifest (disc_rel));
  const auto &segments = disc.media ().segments;
  fail_unless_equals_int (segments.size (), 5);
  fail_unless_equals_uint64 (segments[2].discontinuity_sequence, 0);
  fail_unless (segments[3].discontinuity);
  fail_unless_equals_uint64 (segments[3].discontinuity_sequence, 1);
  fail_unless_equals_uint64 (segments[4].discontinuity_sequence, 1);

  /* EXT-X-PART and EXT-X-PRELOAD-HINT are ignored: ExoPlayer's low-latency
   * playlist, once ended, is its six whole segments (the parts of the
   * unfinished seventh are no segment). */
  const std::string parts_rel = "exoplayer/hls/m3u8_live_low_latency_segments_and_parts.m3u8";
  auto parts = must_parse_playlist (parts_rel, read_manifest (parts_rel) + "#EXT-X-ENDLIST\n");
  fail_unless_equals_int (parts.media ().segments.size (), 6);
  for (guint i = 0; i < 6; i++) {
    const auto &segment = parts.media ().segments[i];
    fail_unless_equals_uint64 (segment.media_sequence, 10 + i);
    std::string uri = "https://media.example.com/exoplayer/hls/fileSequence" + std::to_string (10 + i) + ".ts";
    fail_unless_equals_string (segment.uri.c_str (), uri.c_str ());
  }

  /* An I-frame variant in a master is no track. */
  const std::string iframes_rel = "shaka/hls/lcevc-sei-ts_master.m3u8";
  auto iframes = must_parse_playlist (iframes_rel, read_manifest (iframes_rel));
  fail_unless_equals_int (iframes.master ().variants.size (), 1);
  fail_unless_equals_int (iframes.master ().i_frame_variants.size (), 1);
  fail_unless_equals_int (gst_offline::hls_tracks (iframes).size (), 1);
}
GST_END_TEST;

GST_START_TEST (test_real_manifests)
{
  std::vector<std::string> files;
  collect (kRoot, "", files);
  std::sort (files.begin (), files.end ());
  fail_unless (files.size () > 100, "only %zu manifests", files.size ());

  std::map<std::string, std::string> results;
  for (const auto &rel : files) {
    gchar *contents = nullptr;
    gsize size = 0;
    fail_unless (g_file_get_contents ((kRoot + "/" + rel).c_str (), &contents, &size, nullptr));
    std::string result = outcome (rel, std::string (contents, size));
    g_free (contents);
    /* One line, as inspect prints it. */
    fail_unless (result.find ('\n') == std::string::npos, "%s: more than one line: %s", rel.c_str (), result.c_str ());
    results[rel] = result;
  }

  std::string expected_path = kRoot + "/expected.txt";
  if (g_getenv ("GST_OFFLINE_UPDATE_EXPECTED")) {
    std::ofstream out (expected_path);
    for (const auto &[rel, result] : results)
      out << rel << "\t" << result << "\n";
    return;
  }
  std::ifstream in (expected_path);
  fail_unless (in.good (), "no %s", expected_path.c_str ());
  std::map<std::string, std::string> expected;
  for (std::string line; std::getline (in, line);) {
    size_t tab = line.find ('\t');
    fail_unless (tab != std::string::npos, "bad line in expected.txt: %s", line.c_str ());
    expected[line.substr (0, tab)] = line.substr (tab + 1);
  }
  int mismatches = 0;
  for (const auto &[rel, result] : results) {
    auto found = expected.find (rel);
    if (found == expected.end () || found->second != result) {
      g_printerr ("%s:\n  expected: %s\n  got:      %s\n", rel.c_str (),
          found == expected.end () ? "(not listed)" : found->second.c_str (), result.c_str ());
      mismatches++;
    }
  }
  fail_unless_equals_int (mismatches, 0);
  fail_unless_equals_int (expected.size (), results.size ());
}
GST_END_TEST;

static Suite *
real_manifests_suite (void)
{
  Suite *s = suite_create ("real-manifests");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_real_manifests);
  tcase_add_test (tc, test_real_world_dash_features);
  tcase_add_test (tc, test_real_world_hls_features);
  return s;
}

GST_CHECK_MAIN (real_manifests);
