/* DASH download throughput against aria2c on the same segment list, with the
 * same parallelism, in the same run (issue 3: at least aria2c's throughput).
 *
 * The asset is made here: one video Representation whose SegmentTemplate
 * lists an init segment and 600 `$Number$` media segments of random bytes
 * (the downloader stores segments, it never decodes them). OtServer serves
 * it on 127.0.0.1 and starts every answer 20 ms late, as a distant CDN would.
 *
 * For each parallelism P, best of three rounds, alternating:
 *  - gst-offline's SegmentFetcher (what DashDownloader runs after the MPD)
 *    fetching the init and media segments into a fresh cache, P at a time;
 *  - aria2c fetching the same URLs with -j P into a fresh directory.
 * Then the whole download through GstOfflineDownloadManager (MPD, plan,
 * segments at the built-in parallelism), in a fresh data directory each
 * round, timed from add_download to the download-changed signal that says
 * COMPLETED, next to aria2c at that parallelism.
 *
 * DASH_BENCH_SEGMENTS (600), DASH_BENCH_SEGMENT_KIB (48),
 * DASH_BENCH_LATENCY_MS (20), DASH_BENCH_PARALLELISM ("4,6,8,16") and
 * DASH_BENCH_DIR (the temporary directory; use a real disk, the cache
 * fsyncs) change the set-up. Without aria2c only gst-offline is measured.
 *
 * Then yt-dlp (-N 8 and -N 16, one output file) on the same MPD, against
 * the whole download; and, without latency, a real DASH asset of about
 * 50 MB made by ffmpeg, through the manager against `ffmpeg -c copy` of the
 * same MPD (DASH_BENCH_NO_FFMPEG skips it). OtServer sends without Nagle's
 * delay, so keep-alive answers are not held for the client's delayed ACK.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cache/cache-private.h"
#include "downloader/segment-fetcher.h"
#include "http/http-client.h"

#include <gst/gst.h>
#include <gst/offline/offline.h>

#include "test-support.h"

#include <glib/gstdio.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace gst_offline;

namespace {

constexpr guint kRounds = 3;
constexpr gint64 kRoundTimeoutUs = 300 * G_USEC_PER_SEC;

guint env_uint (const char *name, guint fallback)
{
  const char *value = g_getenv (name);
  return value && *value ? static_cast<guint> (g_ascii_strtoull (value, nullptr, 10)) : fallback;
}

[[noreturn]] void die (const std::string &message)
{
  g_printerr ("dash-download-throughput: %s\n", message.c_str ());
  exit (1);
}

void remove_tree (const std::string &path)
{
  GStatBuf st;
  if (g_lstat (path.c_str (), &st) != 0)
    return;
  if (S_ISDIR (st.st_mode)) {
    if (GDir *dir = g_dir_open (path.c_str (), 0, nullptr)) {
      while (const gchar *name = g_dir_read_name (dir))
        remove_tree (path + G_DIR_SEPARATOR_S + name);
      g_dir_close (dir);
    }
    g_rmdir (path.c_str ());
  } else {
    g_unlink (path.c_str ());
  }
}

/* Bytes of the regular files under `path`, and how many there are. */
guint64 tree_bytes (const std::string &path, guint *files)
{
  GStatBuf st;
  if (g_lstat (path.c_str (), &st) != 0)
    return 0;
  if (!S_ISDIR (st.st_mode)) {
    (*files)++;
    return static_cast<guint64> (st.st_size);
  }
  guint64 total = 0;
  if (GDir *dir = g_dir_open (path.c_str (), 0, nullptr)) {
    while (const gchar *name = g_dir_read_name (dir))
      total += tree_bytes (path + G_DIR_SEPARATOR_S + name, files);
    g_dir_close (dir);
  }
  return total;
}

void write_file (const std::string &path, const std::string &contents)
{
  g_autoptr (GError) error = nullptr;
  if (!g_file_set_contents (path.c_str (), contents.data (), static_cast<gssize> (contents.size ()), &error))
    die (error->message);
}

std::string random_bytes (GRand *rand, gsize size)
{
  std::string bytes (size, '\0');
  for (gsize i = 0; i < size; i++)
    bytes[i] = static_cast<char> (g_rand_int (rand));
  return bytes;
}

/* The asset, served by `server`: returns the MPD's URL and fills `urls`
 * with the init segment and the media segments, in order. */
std::string make_asset (OtServer *server, const std::string &dir, guint segments, gsize segment_size,
    std::vector<std::string> *urls, guint64 *bytes)
{
  GRand *rand = g_rand_new_with_seed (600);
  auto serve = [&] (const std::string &name, const std::string &contents) {
    std::string path = dir + G_DIR_SEPARATOR_S + name;
    write_file (path, contents);
    g_autofree gchar *url = ot_server_add_file (server, ("/" + name).c_str (), path.c_str ());
    return std::string (url);
  };
  urls->push_back (serve ("init.mp4", random_bytes (rand, 1024)));
  *bytes = 1024;
  for (guint i = 1; i <= segments; i++) {
    g_autofree gchar *name = g_strdup_printf ("seg-%05u.m4s", i);
    urls->push_back (serve (name, random_bytes (rand, segment_size)));
    *bytes += segment_size;
  }
  g_rand_free (rand);

  /* Two-second segments: the period's length decides how many there are. */
  g_autofree gchar *mpd = g_strdup_printf (
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\" profiles=\"urn:mpeg:dash:profile:isoff-live:2011\"\n"
      "     minBufferTime=\"PT2S\" mediaPresentationDuration=\"PT%uS\">\n"
      "  <Period id=\"0\" start=\"PT0S\">\n"
      "    <AdaptationSet id=\"0\" contentType=\"video\" mimeType=\"video/mp4\" segmentAlignment=\"true\">\n"
      "      <SegmentTemplate timescale=\"1\" duration=\"2\" startNumber=\"1\"\n"
      "                       initialization=\"init.mp4\" media=\"seg-$Number%%05d$.m4s\"/>\n"
      "      <Representation id=\"v0\" codecs=\"avc1.64000d\" bandwidth=\"%" G_GSIZE_FORMAT "\"\n"
      "                      width=\"320\" height=\"180\" frameRate=\"25\"/>\n"
      "    </AdaptationSet>\n"
      "  </Period>\n"
      "</MPD>\n",
      segments * 2, segment_size * 8 / 2);
  return serve ("manifest.mpd", mpd);
}

/* CPU time (user + system) of `who`, in microseconds. */
gint64 cpu_us (int who)
{
  struct rusage usage;
  getrusage (who, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * G_USEC_PER_SEC + usage.ru_utime.tv_usec
      + usage.ru_stime.tv_usec;
}

/* The fastest round: bytes, wall time and the client's CPU time. */
struct Measure {
  guint64 bytes = 0;
  gint64 us = G_MAXINT64;
  gint64 cpu = 0;
  void keep_best (guint64 b, gint64 t, gint64 c)
  {
    if (t < us) {
      us = t;
      bytes = b;
      cpu = c;
    }
  }
  double seconds () const { return static_cast<double> (us) / 1e6; }
  double mb_per_s () const { return us > 0 ? (static_cast<double> (bytes) / 1e6) / seconds () : 0; }
};

/* SegmentFetcher into a fresh cache, on this thread; returns the
 * microseconds taken and sets the CPU time this thread spent. */
gint64 run_fetcher (const std::string &work, const std::vector<std::string> &urls, guint parallelism,
    guint64 expected_bytes, gint64 *cpu)
{
  std::string data_dir = work + G_DIR_SEPARATOR_S + "gst-offline";
  g_autoptr (GError) error = nullptr;
  GstOfflineCache *cache = cache_open_for_writing (data_dir.c_str (), &error);
  if (!cache)
    die (error->message);
  SoupSession *session = SOUP_SESSION (g_object_ref (http_shared_session ()));
  std::vector<SegmentSpec> segments;
  for (const std::string &url : urls)
    segments.push_back ({ { url, segment_cache_key (url, std::nullopt), "bench", {}, std::nullopt }, -1 });
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  DownloaderContext context { session, cache, RetryPolicy {}, nullptr, GST_OFFLINE_DEFAULT_SEGMENT_PARALLELISM };

  bool done = false;
  GError *failure = nullptr;
  gint64 cpu_start = cpu_us (RUSAGE_THREAD);
  gint64 start = g_get_monotonic_time ();
  auto fetcher = SegmentFetcher::create (context, std::move (segments), parallelism, cancellable);
  fetcher->start ([] (const SegmentFetcher::Progress &) {},
      [&] (const GError *e) {
        done = true;
        failure = e ? g_error_copy (e) : nullptr;
      });
  while (!done && g_get_monotonic_time () - start < kRoundTimeoutUs)
    g_main_context_iteration (nullptr, TRUE);
  gint64 elapsed = g_get_monotonic_time () - start;
  *cpu = cpu_us (RUSAGE_THREAD) - cpu_start;
  if (!done)
    die ("gst-offline did not finish within 300 s");
  if (failure)
    die (std::string ("gst-offline failed: ") + failure->message);

  guint64 held = 0;
  for (const std::string &url : urls)
    held += gst_offline_cache_get_cached_length (cache, url.c_str ());
  if (held != expected_bytes)
    die ("gst-offline holds " + std::to_string (held) + " bytes, expected " + std::to_string (expected_bytes));
  fetcher.reset ();
  g_object_unref (session);
  g_object_unref (cache);
  return elapsed;
}

/* aria2c on the same URLs into a fresh directory; returns the microseconds
 * taken and sets its CPU time. */
gint64 run_aria2c (const char *aria2c, const std::string &work, const std::string &list, guint parallelism,
    guint64 expected_bytes, guint expected_files, gint64 *cpu)
{
  std::string out = work + G_DIR_SEPARATOR_S + "aria2c";
  g_mkdir_with_parents (out.c_str (), 0700);
  std::string jobs = std::to_string (parallelism);
  std::string per_server = "--max-connection-per-server=" + std::to_string (std::min (parallelism, 16u));
  /* No pre-allocation, no control files, no disk cache so that it writes as it
   * receives; no retries needed on loopback. */
  std::vector<const char *> argv = { aria2c, "-i", list.c_str (), "-d", out.c_str (), "-j", jobs.c_str (), "-x", "1",
    per_server.c_str (), "--allow-overwrite=true", "--auto-file-renaming=false", "--file-allocation=none",
    "--console-log-level=error", "--summary-interval=0", "--download-result=hide", "-q", nullptr };
  gchar *err = nullptr;
  gint status = 0;
  g_autoptr (GError) error = nullptr;
  gint64 cpu_start = cpu_us (RUSAGE_CHILDREN);
  gint64 start = g_get_monotonic_time ();
  if (!g_spawn_sync (nullptr, const_cast<gchar **> (argv.data ()), nullptr, G_SPAWN_STDOUT_TO_DEV_NULL, nullptr,
          nullptr, nullptr, &err, &status, &error))
    die (std::string ("cannot run aria2c: ") + error->message);
  gint64 elapsed = g_get_monotonic_time () - start;
  *cpu = cpu_us (RUSAGE_CHILDREN) - cpu_start;
  if (!g_spawn_check_wait_status (status, nullptr))
    die (std::string ("aria2c failed: ") + (err ? err : ""));
  g_free (err);
  guint files = 0;
  guint64 bytes = tree_bytes (out, &files);
  if (bytes != expected_bytes || files != expected_files)
    die ("aria2c wrote " + std::to_string (bytes) + " bytes in " + std::to_string (files) + " files, expected " +
        std::to_string (expected_bytes) + " in " + std::to_string (expected_files));
  return elapsed;
}

/* Runs `argv` (a NULL-terminated program and arguments); returns the
 * microseconds it took, or dies naming `what` if it fails. */
gint64 run_timed (const char *what, const std::vector<const char *> &argv)
{
  gchar *err = nullptr;
  gint status = 0;
  g_autoptr (GError) error = nullptr;
  gint64 start = g_get_monotonic_time ();
  if (!g_spawn_sync (nullptr, const_cast<gchar **> (argv.data ()), nullptr, G_SPAWN_STDOUT_TO_DEV_NULL, nullptr,
          nullptr, nullptr, &err, &status, &error))
    die (std::string ("cannot run ") + what + ": " + error->message);
  gint64 elapsed = g_get_monotonic_time () - start;
  if (!g_spawn_check_wait_status (status, nullptr))
    die (std::string (what) + " failed: " + (err ? err : ""));
  g_free (err);
  return elapsed;
}

/* yt-dlp fetching the MPD's fragments, `parallelism` at a time, into one file. */
gint64 run_ytdlp (const char *ytdlp, const std::string &work, const std::string &mpd_url, guint parallelism,
    guint64 expected_bytes)
{
  g_mkdir_with_parents (work.c_str (), 0700);
  std::string out = work + "/yt-dlp.mp4";
  std::string jobs = std::to_string (parallelism);
  gint64 us = run_timed ("yt-dlp", { ytdlp, "-q", "--no-warnings", "--no-part", "--fixup", "never",
    "--no-cache-dir", "-N", jobs.c_str (), "-o", out.c_str (), mpd_url.c_str (), nullptr });
  guint files = 0;
  if (tree_bytes (out, &files) != expected_bytes)
    die ("yt-dlp wrote " + std::to_string (tree_bytes (out, &files)) + " bytes, expected " + std::to_string (expected_bytes));
  return us;
}

/* The whole DASH download through the manager in a fresh data directory;
 * returns the microseconds from add_download to COMPLETED and the bytes. */
gint64 run_manager (const std::string &work, const std::string &mpd_url, guint64 *bytes)
{
  std::string data_dir = work + G_DIR_SEPARATOR_S + "manager";
  g_autoptr (GError) error = nullptr;
  GstOfflineDownloadManager *manager = gst_offline_download_manager_new (data_dir.c_str (), &error);
  if (!manager)
    die (error->message);
  struct Outcome {
    GstOfflineDownloadState state = GST_OFFLINE_DOWNLOAD_STATE_QUEUED;
    guint64 bytes = 0;
    std::string failure;
  } outcome;
  gulong handler = g_signal_connect (manager, "download-changed",
      G_CALLBACK (+[] (GstOfflineDownloadManager *, GstOfflineDownload *download, Outcome *o) {
        o->state = gst_offline_download_get_state (download);
        o->bytes = gst_offline_download_get_bytes_downloaded (download);
        if (const gchar *reason = gst_offline_download_get_failure_message (download))
          o->failure = reason;
      }),
      &outcome);

  g_autoptr (GstOfflineDownloadRequest) request = gst_offline_download_request_new ("bench", mpd_url.c_str ());
  gst_offline_download_request_set_download_type (request, GST_OFFLINE_DOWNLOAD_TYPE_DASH);
  gint64 start = g_get_monotonic_time ();
  g_autoptr (GstOfflineDownload) added = gst_offline_download_manager_add_download (manager, request, &error);
  if (!added)
    die (error->message);
  auto finished = [&] () {
    return outcome.state == GST_OFFLINE_DOWNLOAD_STATE_COMPLETED || outcome.state == GST_OFFLINE_DOWNLOAD_STATE_FAILED;
  };
  while (!finished () && g_get_monotonic_time () - start < kRoundTimeoutUs)
    g_main_context_iteration (nullptr, TRUE);
  gint64 elapsed = g_get_monotonic_time () - start;
  if (outcome.state != GST_OFFLINE_DOWNLOAD_STATE_COMPLETED)
    die ("the DASH download did not complete: " + (outcome.failure.empty () ? "timeout" : outcome.failure));
  *bytes = outcome.bytes;
  g_signal_handler_disconnect (manager, handler);
  g_object_unref (manager);
  /* Signals queued for the main context still hold snapshots: let them go. */
  while (g_main_context_iteration (nullptr, FALSE))
    ;
  return elapsed;
}

/* The no-latency case: a real DASH asset of about 50 MB (ffmpeg's), whole
 * through the manager, against `ffmpeg -c copy` of the same MPD into one
 * file (serial, unsynced). Prints the ratio of their times. */
void compare_with_ffmpeg (const std::string &root)
{
  g_autofree gchar *ffmpeg = g_find_program_in_path ("ffmpeg");
  if (!ffmpeg) {
    g_print ("ffmpeg not installed: skipping the no-latency case\n");
    return;
  }
  std::string dir = root + "/real";
  g_mkdir_with_parents (dir.c_str (), 0700);
  std::string mpd = dir + "/movie.mpd";
  run_timed ("ffmpeg (making the asset)", { ffmpeg, "-loglevel", "error", "-f", "lavfi", "-i",
    "testsrc2=size=1280x720:rate=25", "-t", "42", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "12", "-g", "50",
    "-f", "dash", "-seg_duration", "2", "-use_template", "1", "-use_timeline", "0", mpd.c_str (), nullptr });
  OtServer *server = ot_server_new ();
  std::string mpd_url;
  guint64 asset_bytes = 0;
  g_autoptr (GDir) files = g_dir_open (dir.c_str (), 0, nullptr);
  while (const gchar *name = files ? g_dir_read_name (files) : nullptr) {
    std::string path = dir + "/" + name;
    g_autofree gchar *url = ot_server_add_file (server, (std::string ("/real/") + name).c_str (), path.c_str ());
    guint count = 0;
    asset_bytes += tree_bytes (path, &count);
    if (g_str_equal (name, "movie.mpd"))
      mpd_url = url;
  }
  Measure gst, ff;
  for (guint round = 0; round < kRounds; round++) {
    std::string work = root + "/real-work";
    remove_tree (work);
    guint64 bytes = 0;
    gst.keep_best (asset_bytes, run_manager (work, mpd_url, &bytes), 0);
    remove_tree (work);
    g_mkdir_with_parents (work.c_str (), 0700);
    std::string out = work + "/copy.mp4";
    ff.keep_best (asset_bytes, run_timed ("ffmpeg -c copy", { ffmpeg, "-loglevel", "error", "-y", "-i", mpd_url.c_str (),
      "-c", "copy", out.c_str (), nullptr }), 0);
    remove_tree (work);
  }
  g_print ("no latency, %.1f MB of real DASH: gst-offline %.3f s, ffmpeg -c copy %.3f s: gst-offline's time is "
      "%.2f of ffmpeg's (target <= 1.2)\n", asset_bytes / 1e6, gst.seconds (), ff.seconds (), gst.seconds () / ff.seconds ());
  ot_server_free (server);
}

std::vector<guint> parse_parallelisms (const char *text)
{
  std::vector<guint> values;
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  for (gchar **p = parts; *p; p++) {
    guint64 v = g_ascii_strtoull (*p, nullptr, 10);
    if (v >= 1 && v <= 64)
      values.push_back (static_cast<guint> (v));
  }
  if (values.empty ())
    die (std::string ("DASH_BENCH_PARALLELISM has no parallelism in 1..64: ") + text);
  return values;
}

void print_row (const char *label, guint parallelism, const Measure &gst, const Measure *aria)
{
  g_print ("%-22s %3u  %10" G_GUINT64_FORMAT " %7.3f s %8.2f MB/s %6.0f ms", label, parallelism, gst.bytes,
      gst.seconds (), gst.mb_per_s (), static_cast<double> (gst.cpu) / 1e3);
  if (aria)
    g_print ("   %7.3f s %8.2f MB/s %6.0f ms  %6.2f\n", aria->seconds (), aria->mb_per_s (),
        static_cast<double> (aria->cpu) / 1e3, aria->mb_per_s () > 0 ? gst.mb_per_s () / aria->mb_per_s () : 0);
  else
    g_print ("   (no aria2c)\n");
}

}  // namespace

int main (int argc, char **argv)
{
  gst_init (&argc, &argv);

  guint segments = std::max (1u, env_uint ("DASH_BENCH_SEGMENTS", 600));
  gsize segment_size = std::max (1u, env_uint ("DASH_BENCH_SEGMENT_KIB", 48)) * 1024;
  guint latency_ms = env_uint ("DASH_BENCH_LATENCY_MS", 20);
  std::vector<guint> parallelisms = parse_parallelisms (g_getenv ("DASH_BENCH_PARALLELISM") ? g_getenv ("DASH_BENCH_PARALLELISM") : "4,6,8,16");
  if (std::find (parallelisms.begin (), parallelisms.end (), GST_OFFLINE_DEFAULT_SEGMENT_PARALLELISM) == parallelisms.end ())
    parallelisms.push_back (GST_OFFLINE_DEFAULT_SEGMENT_PARALLELISM);
  const char *base = g_getenv ("DASH_BENCH_DIR");
  std::string root_template = std::string (base && *base ? base : g_get_tmp_dir ()) + "/dash-bench-XXXXXX";
  std::vector<char> root_buffer (root_template.begin (), root_template.end ());
  root_buffer.push_back ('\0');
  if (!g_mkdtemp (root_buffer.data ()))
    die ("cannot make a directory under " + std::string (base && *base ? base : g_get_tmp_dir ()));
  std::string root = root_buffer.data ();
  std::string asset_dir = root + "/asset";
  g_mkdir (asset_dir.c_str (), 0700);

  OtServer *server = ot_server_new ();
  std::vector<std::string> urls;
  guint64 segment_bytes = 0;
  std::string mpd_url = make_asset (server, asset_dir, segments, segment_size, &urls, &segment_bytes);
  ot_server_set_latency (server, latency_ms);
  std::string list = root + "/list.txt";
  {
    std::string text;
    for (const std::string &url : urls)
      text += url + "\n";
    write_file (list, text);
  }

  g_autofree gchar *aria2c = g_find_program_in_path ("aria2c");
  g_print ("DASH download throughput: %u media segments of %" G_GSIZE_FORMAT " KiB and an init segment "
      "(%" G_GUINT64_FORMAT " bytes), %u ms added to every answer, best of %u rounds\n",
      segments, segment_size / 1024, segment_bytes, latency_ms, kRounds);
  if (!aria2c)
    g_print ("aria2c not installed: skipping the comparison\n");
  g_print ("%-22s %3s  %10s %9s %13s %9s   %9s %13s %9s  %6s\n", "", "P", "bytes", "time", "gst-offline", "cpu",
      "time", "aria2c", "cpu", "ratio");

  std::vector<std::pair<guint, double>> ratios;
  Measure aria_at_default;
  std::string work = root + "/work";
  for (guint p : parallelisms) {
    Measure gst, aria;
    for (guint round = 0; round < kRounds; round++) {
      remove_tree (work);
      gint64 cpu = 0;
      gint64 us = run_fetcher (work, urls, p, segment_bytes, &cpu);
      gst.keep_best (segment_bytes, us, cpu);
      remove_tree (work);
      if (aria2c) {
        us = run_aria2c (aria2c, work, list, p, segment_bytes, static_cast<guint> (urls.size ()), &cpu);
        aria.keep_best (segment_bytes, us, cpu);
        remove_tree (work);
      }
    }
    print_row ("segments (fetcher)", p, gst, aria2c ? &aria : nullptr);
    if (aria2c)
      ratios.emplace_back (p, gst.mb_per_s () / aria.mb_per_s ());
    if (p == GST_OFFLINE_DEFAULT_SEGMENT_PARALLELISM)
      aria_at_default = aria;
  }

  /* The whole download as users run it: MPD, plan, then the segments. */
  Measure whole;
  for (guint round = 0; round < kRounds; round++) {
    remove_tree (work);
    guint64 bytes = 0;
    /* The manager works on a thread of its own: count the whole process,
     * the server thread included. */
    gint64 cpu_start = cpu_us (RUSAGE_SELF);
    gint64 us = run_manager (work, mpd_url, &bytes);
    whole.keep_best (bytes, us, cpu_us (RUSAGE_SELF) - cpu_start);
  }
  remove_tree (work);
  print_row ("whole DASH (manager)", GST_OFFLINE_DEFAULT_SEGMENT_PARALLELISM, whole, aria2c ? &aria_at_default : nullptr);

  g_autofree gchar *ytdlp = g_find_program_in_path ("yt-dlp");
  if (ytdlp) {
    for (guint p : { 8u, 16u }) {
      Measure yt;
      for (guint round = 0; round < kRounds; round++) {
        remove_tree (work);
        yt.keep_best (segment_bytes, run_ytdlp (ytdlp, work, mpd_url, p, segment_bytes), 0);
      }
      remove_tree (work);
      g_print ("yt-dlp -N %-2u            %7.3f s: its time is %.2f of gst-offline's whole download (target >= 1.0)\n", p,
          yt.seconds (), yt.seconds () / whole.seconds ());
    }
  } else {
    g_print ("yt-dlp not installed: skipping its comparison\n");
  }

  if (aria2c) {
    guint best_p = 0;
    double best_ratio = 0;
    for (auto [p, ratio] : ratios)
      if (ratio > best_ratio)
        best_ratio = ratio, best_p = p;
    double default_ratio = whole.mb_per_s () / aria_at_default.mb_per_s ();
    g_print ("target: gst-offline at least aria2c's throughput at the default parallelism %u: %s (%.2f)\n",
        GST_OFFLINE_DEFAULT_SEGMENT_PARALLELISM, default_ratio >= 1.0 ? "met" : "MISSED", default_ratio);
    g_print ("best ratio against aria2c: %.2f at P=%u\n", best_ratio, best_p);
  }

  ot_server_free (server);
  if (!g_getenv ("DASH_BENCH_NO_FFMPEG"))
    compare_with_ffmpeg (root);
  remove_tree (root);
  return 0;
}
