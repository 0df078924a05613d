/* How gst-offline's costs grow with scale (issue 18), each case measured in
 * a process of its own so that its peak memory is its own:
 *
 *  - segments: a DASH download of N tiny segments (1k, 10k, 25k, 50k; no
 *    latency, so what is timed is the per-segment work) through the manager,
 *    then its removal: until download-removed (the download gone for every
 *    reader) and until the call's answer (the rest of its rows and its files
 *    deleted on the manager's deleter thread). Printed: wall and CPU time
 *    of the download (the CPU read before the removal, which the process's
 *    total also holds: deleting 50,000 rows and files costs seconds of its
 *    own), the peak memory of the process and of the download alone. Targets: 50k within 2.1x of 25k, memory flat, the removal of
 *    50k under 1 s.
 *  - downloads: N downloads (100, 1k, 10k) in one data directory, added one
 *    by one to a paused manager; then the time of one more add, one status
 *    read, one removal (means of 1,000 adds and removals, each removal
 *    until its download-removed, and of 20,000 reads), and of `gst-offline list` and
 *    `list --json` (time and peak memory). Targets: add, status and remove
 *    flat from 100 to 10k; list of 10k under 0.2 s and 40 MB.
 *
 * Ratios are printed from this one run. SCALE_BENCH_SEGMENTS
 * ("1000,10000,25000,50000"), SCALE_BENCH_DOWNLOADS ("100,1000,10000") and
 * SCALE_BENCH_DIR (the temporary directory; use a real disk) change it.
 * SCALE_BENCH_KEEP=1 keeps the segment cases' data directories, without
 * their removal; `scale --remove-child DIR` then times the removal of the
 * download of DIR (a copy of one, as the removal deletes it).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/gst.h>
#include <gst/offline/offline.h>

#include "test-support.h"

#include <glib/gstdio.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

extern char **environ;

namespace {

/* The first adds of the downloads case, timed apart. */
constexpr guint kSample = 100;
/* Adds and removals timed at each size, and status reads. */
constexpr guint kTimed = 1000;
constexpr guint kStatusReads = 20000;

[[noreturn]] void die (const std::string &message)
{
  g_printerr ("scale: %s\n", message.c_str ());
  exit (1);
}

std::vector<guint> parse_list (const char *variable, const char *fallback)
{
  const char *text = g_getenv (variable);
  std::vector<guint> values;
  g_auto (GStrv) parts = g_strsplit (text && *text ? text : fallback, ",", -1);
  for (gchar **p = parts; *p; p++) {
    guint64 v = g_ascii_strtoull (*p, nullptr, 10);
    if (v > 0)
      values.push_back (static_cast<guint> (v));
  }
  return values;
}

double seconds_since (gint64 start)
{
  return static_cast<double> (g_get_monotonic_time () - start) / 1e6;
}

/* A program's run: its wall time, peak memory and output. */
struct Run {
  double seconds = 0;
  /* User and system CPU time: what the work costs whatever the machine's
   * load (a loaded machine stretches the wall time). */
  double cpu_seconds = 0;
  long max_rss_kib = 0;
  std::string out;
};

Run run (const std::vector<std::string> &args, const std::map<std::string, std::string> &env = {})
{
  std::vector<char *> argv;
  for (const auto &arg : args)
    argv.push_back (const_cast<char *> (arg.c_str ()));
  argv.push_back (nullptr);
  std::vector<std::string> env_strings;
  for (char **e = environ; *e; e++)
    env_strings.emplace_back (*e);
  for (const auto &[name, value] : env)
    env_strings.push_back (name + "=" + value);
  std::vector<char *> envp;
  for (auto &e : env_strings)
    envp.push_back (e.data ());
  envp.push_back (nullptr);

  int pipe_fds[2];
  if (pipe (pipe_fds) != 0)
    die ("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init (&actions);
  posix_spawn_file_actions_adddup2 (&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose (&actions, pipe_fds[0]);
  pid_t pid;
  gint64 start = g_get_monotonic_time ();
  if (posix_spawn (&pid, argv[0], &actions, nullptr, argv.data (), envp.data ()) != 0)
    die ("cannot run " + args[0]);
  posix_spawn_file_actions_destroy (&actions);
  close (pipe_fds[1]);
  Run result;
  char buffer[65536];
  ssize_t got;
  while ((got = read (pipe_fds[0], buffer, sizeof buffer)) > 0)
    result.out.append (buffer, static_cast<size_t> (got));
  close (pipe_fds[0]);
  int status = 0;
  struct rusage usage {};
  if (wait4 (pid, &status, 0, &usage) != pid || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    die (args[0] + " " + (args.size () > 1 ? args[1] : "") + " failed");
  result.seconds = seconds_since (start);
  result.cpu_seconds = static_cast<double> (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
      + static_cast<double> (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  result.max_rss_kib = usage.ru_maxrss;
  return result;
}

/* run (), with the peak memory of the program itself: a child's
 * ru_maxrss counts its parent's memory at the exec, so GNU time (small)
 * runs it and reports it. */
Run run_measured (const std::vector<std::string> &args, const std::string &dir)
{
  if (!g_file_test ("/usr/bin/time", G_FILE_TEST_IS_EXECUTABLE))
    return run (args);
  std::string report = dir + "/time.out";
  std::vector<std::string> timed = { "/usr/bin/time", "-f", "%M", "-o", report };
  timed.insert (timed.end (), args.begin (), args.end ());
  Run result = run (timed);
  g_autofree gchar *kib = nullptr;
  if (g_file_get_contents (report.c_str (), &kib, nullptr, nullptr))
    result.max_rss_kib = static_cast<long> (g_ascii_strtoll (kib, nullptr, 10));
  return result;
}

/* Waits on the main context until `id` is completed or failed. */
GstOfflineDownloadState wait_for_end (GstOfflineDownloadManager *manager, const char *id)
{
  struct Watch {
    std::string id;
    GstOfflineDownloadState state = GST_OFFLINE_DOWNLOAD_STATE_QUEUED;
    std::string failure;
  } watch { id };
  gulong handler = g_signal_connect (manager, "download-changed",
      G_CALLBACK (+[] (GstOfflineDownloadManager *, GstOfflineDownload *download, Watch *w) {
        if (w->id != gst_offline_download_get_id (download))
          return;
        w->state = gst_offline_download_get_state (download);
        if (const gchar *reason = gst_offline_download_get_failure_message (download))
          w->failure = reason;
      }),
      &watch);
  while (watch.state != GST_OFFLINE_DOWNLOAD_STATE_COMPLETED && watch.state != GST_OFFLINE_DOWNLOAD_STATE_FAILED)
    g_main_context_iteration (nullptr, TRUE);
  g_signal_handler_disconnect (manager, handler);
  if (watch.state == GST_OFFLINE_DOWNLOAD_STATE_FAILED)
    die ("download " + watch.id + " failed: " + watch.failure);
  return watch.state;
}

/* The user and system CPU time of this process so far, in seconds. */
double cpu_seconds_so_far ()
{
  struct rusage usage {};
  getrusage (RUSAGE_SELF, &usage);
  return static_cast<double> (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
      + static_cast<double> (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

/* The process's peak resident memory so far (VmHWM), in KiB. */
long peak_rss_kib ()
{
  g_autofree gchar *status = nullptr;
  if (!g_file_get_contents ("/proc/self/status", &status, nullptr, nullptr))
    return 0;
  const char *line = strstr (status, "VmHWM:");
  return line ? static_cast<long> (g_ascii_strtoll (line + 6, nullptr, 10)) : 0;
}

struct RemovalTimes {
  double hidden_s; /* until download-removed: the download is gone for every reader */
  double gone_s;   /* until the call's answer: its other rows and its files are gone too */
};

/* Removes `id` through remove_download_async. */
RemovalTimes time_removal (GstOfflineDownloadManager *manager, const char *id)
{
  struct Wait {
    gint64 start = g_get_monotonic_time ();
    gint64 hidden = 0, gone = 0;
    GError *error = nullptr;
  } wait;
  gulong handler = g_signal_connect (manager, "download-removed",
      G_CALLBACK (+[] (GstOfflineDownloadManager *, const gchar *, Wait *w) { w->hidden = g_get_monotonic_time (); }),
      &wait);
  gst_offline_download_manager_remove_download_async (manager, id, nullptr,
      [] (GObject *source, GAsyncResult *result, gpointer data) {
        auto w = static_cast<Wait *> (data);
        gst_offline_download_manager_remove_download_finish (GST_OFFLINE_DOWNLOAD_MANAGER (source), result, &w->error);
        w->gone = g_get_monotonic_time ();
      },
      &wait);
  while (!wait.hidden || !wait.gone)
    g_main_context_iteration (nullptr, TRUE);
  g_signal_handler_disconnect (manager, handler);
  if (wait.error)
    die (wait.error->message);
  return { static_cast<double> (wait.hidden - wait.start) / 1e6, static_cast<double> (wait.gone - wait.start) / 1e6 };
}

/* Child: the DASH download at `mpd`, then its removal. Prints "DOWNLOAD_S
 * HIDDEN_S GONE_S DOWNLOAD_PEAK_KIB DOWNLOAD_CPU_S" (the peak and the CPU
 * time before the removal; the two times of time_removal ()). With
 * SCALE_BENCH_KEEP set, no removal. */
int segments_child (const char *mpd, const char *data_dir)
{
  g_autoptr (GError) error = nullptr;
  g_autoptr (GstOfflineDownloadManager) manager = gst_offline_download_manager_new (data_dir, &error);
  if (!manager)
    die (error->message);
  g_autoptr (GstOfflineDownloadRequest) request = gst_offline_download_request_new ("scale", mpd);
  gst_offline_download_request_set_download_type (request, GST_OFFLINE_DOWNLOAD_TYPE_DASH);
  gint64 start = g_get_monotonic_time ();
  g_autoptr (GstOfflineDownload) added = gst_offline_download_manager_add_download (manager, request, &error);
  if (!added)
    die (error->message);
  wait_for_end (manager, "scale");
  double download = seconds_since (start);
  long download_peak = peak_rss_kib ();
  double download_cpu = cpu_seconds_so_far ();
  if (g_getenv ("SCALE_BENCH_KEEP")) {
    printf ("%.3f 0 0 %ld %.3f\n", download, download_peak, download_cpu);
    return 0;
  }
  RemovalTimes removal = time_removal (manager, "scale");
  printf ("%.3f %.3f %.3f %ld %.3f\n", download, removal.hidden_s, removal.gone_s, download_peak, download_cpu);
  return 0;
}

/* Child: removes download "scale" of `data_dir` (a copy of one that
 * SCALE_BENCH_KEEP kept). Prints the two times of time_removal (). */
int remove_child (const char *data_dir)
{
  g_autoptr (GError) error = nullptr;
  g_autoptr (GstOfflineDownloadManager) manager = gst_offline_download_manager_new (data_dir, &error);
  if (!manager)
    die (error->message);
  RemovalTimes removal = time_removal (manager, "scale");
  printf ("%.3f %.3f\n", removal.hidden_s, removal.gone_s);
  return 0;
}

/* Child: adds `count` downloads to a paused manager, then times, at that
 * size, kTimed more adds, kStatusReads status reads and kTimed removals
 * (each until its download-removed: the call itself only posts it). Prints
 * the three means in milliseconds and the mean of the first kSample adds.
 * A status read takes microseconds: thousands of them make a mean that the
 * timer's resolution and one page fault do not decide. */
int downloads_child (guint count, const char *data_dir)
{
  g_autoptr (GError) error = nullptr;
  g_autoptr (GstOfflineDownloadManager) manager = GST_OFFLINE_DOWNLOAD_MANAGER (g_initable_new (
      GST_OFFLINE_TYPE_DOWNLOAD_MANAGER, nullptr, &error, "data-dir", data_dir, "downloads-paused", TRUE, nullptr));
  if (!manager)
    die (error->message);
  auto add = [&] (guint i) {
    g_autofree gchar *id = g_strdup_printf ("d%06u", i);
    g_autofree gchar *uri = g_strdup_printf ("http://127.0.0.1:9/media/%06u.mp4", i);
    g_autoptr (GstOfflineDownloadRequest) request = gst_offline_download_request_new (id, uri);
    g_autoptr (GstOfflineDownload) added = gst_offline_download_manager_add_download (manager, request, &error);
    if (!added)
      die (error->message);
  };
  gint64 start = g_get_monotonic_time ();
  for (guint i = 0; i < MIN (count, kSample); i++)
    add (i);
  double first_adds = seconds_since (start) * 1e3 / MIN (count, kSample);
  for (guint i = kSample; i < count; i++)
    add (i);
  /* At `count` downloads. */
  start = g_get_monotonic_time ();
  for (guint i = 0; i < kTimed; i++)
    add (count + i);
  double adds = seconds_since (start) * 1e3 / kTimed;
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (data_dir, &error);
  start = g_get_monotonic_time ();
  for (guint i = 0; i < kStatusReads; i++) {
    g_autofree gchar *id = g_strdup_printf ("d%06u", (i * 7919) % count);
    g_autoptr (GstOfflineDownload) download = gst_offline_download_index_get_download (index, id, &error);
    if (!download)
      die (error->message);
  }
  double status = seconds_since (start) * 1e3 / kStatusReads;
  guint removed = 0;
  gulong handler = g_signal_connect (manager, "download-removed",
      G_CALLBACK (+[] (GstOfflineDownloadManager *, const gchar *, guint *n) { (*n)++; }), &removed);
  start = g_get_monotonic_time ();
  for (guint i = 0; i < kTimed; i++) {
    g_autofree gchar *id = g_strdup_printf ("d%06u", count + i);
    if (!gst_offline_download_manager_remove_download (manager, id, &error))
      die (error->message);
  }
  while (removed < kTimed)
    g_main_context_iteration (nullptr, TRUE);
  double removes = seconds_since (start) * 1e3 / kTimed;
  g_signal_handler_disconnect (manager, handler);
  printf ("%.4f %.4f %.4f %.4f\n", adds, status, removes, first_adds);
  return 0;
}

std::string make_temp_root ()
{
  const char *base = g_getenv ("SCALE_BENCH_DIR");
  std::string root = std::string (base && *base ? base : g_get_tmp_dir ()) + "/scale-bench-XXXXXX";
  if (!g_mkdtemp (root.data ()))
    die ("cannot make a directory for the benchmark");
  return root;
}

void remove_tree (const std::string &path)
{
  run ({ "/bin/rm", "-rf", path });
}

/* A DASH asset of `count` segments of `size` bytes under `dir`, served by
 * `server`; returns the MPD's URL. */
std::string make_asset (OtServer *server, const std::string &dir, guint count, gsize size)
{
  g_mkdir_with_parents (dir.c_str (), 0700);
  std::string bytes (size, 'x');
  auto serve = [&] (const std::string &name, const std::string &contents) {
    std::string path = dir + "/" + name;
    if (!g_file_set_contents (path.c_str (), contents.data (), static_cast<gssize> (contents.size ()), nullptr))
      die ("cannot write " + path);
    g_autofree gchar *url = ot_server_add_file (server, ("/" + std::to_string (count) + "/" + name).c_str (),
        path.c_str ());
    return std::string (url);
  };
  serve ("init.mp4", bytes);
  for (guint i = 1; i <= count; i++) {
    g_autofree gchar *name = g_strdup_printf ("seg-%05u.m4s", i);
    serve (name, bytes);
  }
  g_autofree gchar *mpd = g_strdup_printf (
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\" profiles=\"urn:mpeg:dash:profile:isoff-live:2011\"\n"
      "     minBufferTime=\"PT2S\" mediaPresentationDuration=\"PT%uS\">\n"
      "  <Period id=\"0\" start=\"PT0S\">\n"
      "    <AdaptationSet id=\"0\" contentType=\"video\" mimeType=\"video/mp4\">\n"
      "      <SegmentTemplate timescale=\"1\" duration=\"1\" startNumber=\"1\"\n"
      "                       initialization=\"init.mp4\" media=\"seg-$Number%%05d$.m4s\"/>\n"
      "      <Representation id=\"v0\" codecs=\"avc1.64000d\" bandwidth=\"%" G_GSIZE_FORMAT "\" width=\"320\" height=\"180\"/>\n"
      "    </AdaptationSet>\n"
      "  </Period>\n"
      "</MPD>\n",
      count, size * 8);
  return serve ("manifest.mpd", mpd);
}

}  // namespace

int main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  if (argc == 4 && g_str_equal (argv[1], "--segments-child"))
    return segments_child (argv[2], argv[3]);
  if (argc == 3 && g_str_equal (argv[1], "--remove-child"))
    return remove_child (argv[2]);
  if (argc == 4 && g_str_equal (argv[1], "--downloads-child"))
    return downloads_child (static_cast<guint> (g_ascii_strtoull (argv[2], nullptr, 10)), argv[3]);

  g_autofree gchar *self = g_file_read_link ("/proc/self/exe", nullptr);
  const char *cli = g_getenv ("GST_OFFLINE_CLI");
  std::string root = make_temp_root ();

  g_print ("segments of one DASH download (no latency, 512-byte segments)\n");
  g_print ("%8s %10s %10s %10s %15s %10s %10s\n", "segments", "download", "CPU", "peak RSS", "peak (download)",
      "removal", "all gone");
  std::vector<guint> segment_counts = parse_list ("SCALE_BENCH_SEGMENTS", "1000,10000,25000,50000");
  OtServer *server = segment_counts.empty () ? nullptr : ot_server_new ();
  std::map<guint, double> download_s, cpu_s;
  std::map<guint, long> rss, download_rss;
  double removal_50k = -1;
  for (guint count : segment_counts) {
    std::string mpd = make_asset (server, root + "/asset-" + std::to_string (count), count, 512);
    std::string data_dir = root + "/segments-" + std::to_string (count);
    Run r = run_measured ({ self, "--segments-child", mpd, data_dir }, root);
    double download = 0, removal = 0, gone = 0, download_cpu = 0;
    long download_peak = 0;
    if (sscanf (r.out.c_str (), "%lf %lf %lf %ld %lf", &download, &removal, &gone, &download_peak, &download_cpu) != 5)
      die ("unexpected output: " + r.out);
    download_s[count] = download;
    cpu_s[count] = download_cpu;
    rss[count] = r.max_rss_kib;
    download_rss[count] = download_peak;
    if (count == 50000)
      removal_50k = removal;
    g_print ("%8u %8.2f s %8.2f s %7ld MB %12ld MB %8.3f s %8.3f s\n", count, download, download_cpu,
        r.max_rss_kib / 1024, download_peak / 1024, removal, gone);
    if (!g_getenv ("SCALE_BENCH_KEEP"))
      remove_tree (data_dir);
    else
      g_print ("kept %s\n", data_dir.c_str ());
  }
  if (server)
    ot_server_free (server);
  if (download_s.count (25000) && download_s.count (50000))
    g_print ("ratio 50k/25k segments: time %.2f (target <= 2.1), CPU %.2f, peak memory %.2f (%+ld MB)\n",
        download_s[50000] / download_s[25000], cpu_s[50000] / cpu_s[25000],
        static_cast<double> (rss[50000]) / static_cast<double> (rss[25000]), (rss[50000] - rss[25000]) / 1024);
  if (rss.count (1000) && rss.count (50000))
    g_print ("peak memory 50k - 1k segments: %+ld MB, of the download alone %+ld MB (target: flat)\n",
        (rss[50000] - rss[1000]) / 1024, (download_rss[50000] - download_rss[1000]) / 1024);
  if (removal_50k >= 0)
    g_print ("removal of 50k segments: %.3f s until download-removed (target < 1 s)\n", removal_50k);

  g_print ("\ndownloads in one data directory (means of %u adds and removals, %u status reads; first add: of %u)\n",
      kTimed, kStatusReads, kSample);
  g_print ("%8s %9s %9s %9s %9s %14s %14s\n", "downloads", "add", "status", "remove", "first add", "list",
      "list --json");
  std::map<guint, std::vector<double>> rows;
  for (guint count : parse_list ("SCALE_BENCH_DOWNLOADS", "100,1000,10000")) {
    std::string data_dir = root + "/downloads-" + std::to_string (count);
    Run r = run ({ self, "--downloads-child", std::to_string (count), data_dir });
    double add = 0, status = 0, remove = 0, first = 0;
    if (sscanf (r.out.c_str (), "%lf %lf %lf %lf", &add, &status, &remove, &first) != 4)
      die ("unexpected output: " + r.out);
    Run list, json;
    if (cli) {
      list = run_measured ({ cli, "--dir", data_dir, "list" }, root);
      json = run_measured ({ cli, "--dir", data_dir, "list", "--json" }, root);
    }
    rows[count] = { add, status, remove, list.seconds, json.seconds, static_cast<double> (json.max_rss_kib) / 1024 };
    g_print ("%8u %6.3f ms %6.4f ms %6.3f ms %6.3f ms %6.3f s %3ld MB %6.3f s %3ld MB\n", count, add, status, remove,
        first, list.seconds, list.max_rss_kib / 1024, json.seconds, json.max_rss_kib / 1024);
    remove_tree (data_dir);
  }
  if (!cli)
    g_print ("GST_OFFLINE_CLI not set: list not measured\n");
  if (rows.count (100) && rows.count (10000)) {
    const auto &small = rows[100], &large = rows[10000];
    g_print ("ratio 10k/100 downloads: add %.2f, status %.2f, remove %.2f (target: flat)\n", large[0] / small[0],
        large[1] / small[1], large[2] / small[2]);
    if (cli)
      g_print ("list --json of 10k: %.3f s, %.0f MB (target < 0.2 s, < 40 MB)\n", large[4], large[5]);
  }
  if (!g_getenv ("SCALE_BENCH_KEEP"))
    remove_tree (root);
  return 0;
}
