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

}  // namespace

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
  return s;
}

GST_CHECK_MAIN (real_manifests);
