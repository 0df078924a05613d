/* ot-serve: the test content and servers of the C tests, for tests written in
 * other languages (the Python API tests). It makes, with the support's
 * helpers, one download of each kind under DIR — a progressive MP4, DASH,
 * HLS, Smooth Streaming and ClearKey-encrypted DASH — serves them with an
 * OtServer (and the encrypted one's keys with a LicenseServer) on 127.0.0.1,
 * prints one "KIND URL" line per download, then "license URL" and "ready",
 * and serves until its standard input ends.
 *
 *   ot-serve DIR [KIND...]
 *
 * KINDs (progressive, dash, hls, mss, dash-cenc) limit what is made; the
 * encrypted DASH needs the clear one, which is then made but not listed.
 * live-hls, only when named, is a live HLS stream (tests/support's live
 * origin: a master playlist of video and English audio, a window of 6 s
 * segments of 1 s) whose clock is the caller's: a line "publish N" on our
 * standard input publishes the next N segments, answered "published TOTAL".
 *
 * A failure to make the content ends it with the reason on stderr and exit 1
 * before "ready".
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "adaptive-content.h"
#include "cenc-packager.h"
#include "license-server.h"
#include "live-content.h"
#include "live-origin.h"
#include "test-support.h"

#include <gst/check/gstcheck.h>

#include <cstdio>
#include <memory>
#include <set>
#include <string>

namespace {

/* The ClearKey content key of the encrypted DASH download and its KID. */
const ot::Block kKid = { 0x6f, 0x66, 0x66, 0x6c, 0x69, 0x6e, 0x65, 0x2d, 0x70, 0x79, 0x74, 0x68, 0x6f, 0x6e, 0x2d,
  0x31 };
const ot::Block kKey = { 0x94, 0x1d, 0x3a, 0x07, 0xc2, 0x58, 0xe1, 0x6b, 0x30, 0xaf, 0x4e, 0x92, 0x0d, 0x77, 0xb8,
  0x15 };

std::string
subdir (const gchar *dir, const gchar *name)
{
  g_autofree gchar *path = g_build_filename (dir, name, nullptr);
  g_mkdir_with_parents (path, 0700);
  return path;
}

/* The support's helpers report as check tests do (even when all is well):
 * this runs as one, in this process, so that a failure (ffmpeg's stderr,
 * say) is reported. */
const gchar *content_dir;
std::set<std::string> kinds; /* empty: all */

bool
wanted (const char *kind)
{
  return kinds.empty () || kinds.count (kind);
}

START_TEST (make_and_serve)
{
  const gchar *dir = content_dir;
  OtServer *server = ot_server_new ();
  auto announce = [&] (const char *kind, const std::string &served, const char *manifest) {
    g_autofree gchar *url = ot::serve (server, served.c_str (), kind, manifest);
    printf ("%s %s\n", kind, url);
  };

  if (wanted ("progressive")) {
    std::string progressive = subdir (dir, "progressive");
    g_free (ot_make_mp4 (progressive.c_str (), "clip.mp4", 2, FALSE));
    announce ("progressive", progressive, "clip.mp4");
  }

  std::string dash = subdir (dir, "dash");
  if (wanted ("dash") || wanted ("dash-cenc"))
    ot::make_dash (dash.c_str (), "-t 4");
  if (wanted ("dash"))
    announce ("dash", dash, "x.mpd");

  if (wanted ("hls")) {
    std::string hls = subdir (dir, "hls");
    ot::make_ladder (hls.c_str (), { "-t", "4", "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod",
        "-var_stream_map", "v:0,a:0", "-master_pl_name", "master.m3u8", "-hls_segment_filename",
        "v%v/seg%d.ts", "v%v/index.m3u8" }, true);
    announce ("hls", hls, "master.m3u8");
  }

  if (wanted ("mss")) {
    std::string mss = subdir (dir, "mss");
    ot::make_smooth (mss.c_str (), true);
    announce ("mss", mss + "/movie.ism", "Manifest");
  }

  ot::LicenseServer licenses (kKid, kKey);
  if (wanted ("dash-cenc")) {
    std::string cenc = subdir (dir, "dash-cenc");
    OtCencOptions options;
    options.kid = kKid;
    options.key = kKey;
    options.license_url = licenses.url ();
    g_autoptr (GError) error = nullptr;
    fail_unless (ot_cenc_package_dash (dash.c_str (), "x.mpd", cenc.c_str (), options, &error),
        "cannot encrypt the DASH content: %s", error ? error->message : "");
    announce ("dash-cenc", cenc, "manifest.mpd");
    printf ("license %s\n", licenses.url ().c_str ());
  }
  std::unique_ptr<ot::LiveOrigin> live;
  if (kinds.count ("live-hls")) {
    std::string video = subdir (dir, "live-hls/video"), audio = subdir (dir, "live-hls/audio");
    ot::make_live_video (video);
    ot::make_live_audio (audio);
    live = std::make_unique<ot::LiveOrigin> (std::vector<ot::LiveOrigin::Track> { { "video", video }, { "audio", audio } },
        6, 6, G_MAXINT, ot::live_master_playlist ({ { "audio", "English", "en", true } }));
    printf ("live-hls %s\n", live->url ("/master.m3u8").c_str ());
  }
  printf ("ready\n");
  fflush (stdout);

  /* The servers answer from threads of their own; this one reads the
   * test's commands until it closes our standard input (or ends). */
  char line[256];
  while (fgets (line, sizeof line, stdin)) {
    guint count = 0;
    if (live && sscanf (line, "publish %u", &count) == 1) {
      live->publish (count);
      printf ("published %u\n", live->published ());
      fflush (stdout);
    }
  }
  live.reset ();
  ot_server_free (server);
}
END_TEST

}  // namespace

int
main (int argc, char **argv)
{
  if (argc < 2) {
    fprintf (stderr, "usage: ot-serve DIR [KIND...]\n");
    return 2;
  }
  gst_init (nullptr, nullptr);
  content_dir = argv[1];
  kinds.insert (argv + 2, argv + argc);

  Suite *suite = suite_create ("ot-serve");
  TCase *tc = tcase_create ("content");
  tcase_set_timeout (tc, 0);
  tcase_add_test (tc, make_and_serve);
  suite_add_tcase (suite, tc);
  SRunner *runner = srunner_create (suite);
  srunner_set_fork_status (runner, CK_NOFORK);
  srunner_run_all (runner, CK_SILENT);
  int failed = srunner_ntests_failed (runner);
  if (failed) {
    TestResult **results = srunner_failures (runner);
    fprintf (stderr, "ot-serve: %s\n", tr_msg (results[0]));
    free (results);
  }
  srunner_free (runner);
  return failed ? 1 : 0;
}
