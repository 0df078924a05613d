/* Time to first frame of offline playback (issue 18: within 1.2x of
 * filesrc), for playbin, playbin3 and uridecodebin: the time from
 * set_state (PLAYING) to the first decoded video frame at the sink, for
 * offline://ID (cachesrc) against file:// (filesrc) of the same media, in
 * alternating rounds of one run (median of 5 each; BENCH_ROUNDS changes
 * it). Two downloads: a progressive MP4 (filesrc reads the very file that
 * was downloaded) and a DASH download of video and audio (filesrc reads
 * ffmpeg's MP4 remux of the same DASH streams). Every run plays to the end
 * and counts the video frames decoded, printed beside the times.
 *
 * Two tables: "warm", many playbacks in this one process, after one that
 * loaded every plugin; and "first in a process", each playback the first
 * of a new process (what gst-play-1.0 or an application that plays one
 * download sees): its time includes loading the plugin and the libraries
 * it links, which the warm table never pays again.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/gst.h>

#include "adaptive-content.h"
#include "test-support.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die (const std::string &message)
{
  g_printerr ("time-to-first-frame: %s\n", message.c_str ());
  exit (1);
}

/* The processor time of this process, all threads, in microseconds. */
gint64 process_cpu_us ()
{
  struct rusage usage;
  getrusage (RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * G_USEC_PER_SEC + usage.ru_utime.tv_usec +
         usage.ru_stime.tv_usec;
}

struct Counter {
  gint64 start_us = 0;
  gint64 start_cpu_us = 0;
  std::atomic<gint64> first_frame_us { 0 };
  gint64 first_frame_cpu_us = 0;
  std::atomic<guint> frames { 0 };
};

void on_video_frame (GstElement *, GstBuffer *, GstPad *, Counter *counter)
{
  gint64 expected = 0;
  if (counter->first_frame_us.compare_exchange_strong (expected, g_get_monotonic_time ()))
    counter->first_frame_cpu_us = process_cpu_us ();
  counter->frames++;
}

GstElement *make_sink (Counter *counter)
{
  GstElement *sink = gst_element_factory_make ("fakesink", nullptr);
  g_object_set (sink, "sync", FALSE, nullptr);
  if (counter) {
    g_object_set (sink, "signal-handoffs", TRUE, nullptr);
    g_signal_connect (sink, "handoff", G_CALLBACK (on_video_frame), counter);
  }
  return sink;
}

/* uridecodebin: a counting sink for video, a plain one for the rest. */
void on_pad_added (GstElement *decodebin, GstPad *pad, Counter *counter)
{
  GstElement *pipeline = GST_ELEMENT (gst_element_get_parent (decodebin));
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  if (!caps)
    caps = gst_pad_query_caps (pad, nullptr);
  bool video = g_str_has_prefix (gst_structure_get_name (gst_caps_get_structure (caps, 0)), "video/");
  GstElement *sink = make_sink (video ? counter : nullptr);
  gst_bin_add (GST_BIN (pipeline), sink);
  gst_element_sync_state_with_parent (sink);
  g_autoptr (GstPad) sink_pad = gst_element_get_static_pad (sink, "sink");
  if (gst_pad_link (pad, sink_pad) != GST_PAD_LINK_OK)
    die ("cannot link a pad of uridecodebin");
  gst_object_unref (pipeline);
}

struct Result {
  double first_frame_s;
  double first_frame_cpu_s; /* processor time spent until then, all threads */
  guint frames;
};

/* Plays `uri` to the end with `player`. */
Result play (const std::string &player, const std::string &uri)
{
  Counter counter;
  GstElement *pipeline;
  if (player == "uridecodebin") {
    pipeline = gst_pipeline_new (nullptr);
    GstElement *decodebin = gst_element_factory_make ("uridecodebin", nullptr);
    g_object_set (decodebin, "uri", uri.c_str (), nullptr);
    g_signal_connect (decodebin, "pad-added", G_CALLBACK (on_pad_added), &counter);
    gst_bin_add (GST_BIN (pipeline), decodebin);
  } else {
    pipeline = gst_element_factory_make (player.c_str (), nullptr);
    if (!pipeline)
      die ("no element " + player);
    g_object_set (pipeline, "uri", uri.c_str (), "video-sink", make_sink (&counter), "audio-sink", make_sink (nullptr),
        nullptr);
  }
  GstBus *bus = gst_element_get_bus (pipeline);
  counter.start_us = g_get_monotonic_time ();
  counter.start_cpu_us = process_cpu_us ();
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  GstMessage *message = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      static_cast<GstMessageType> (GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    g_autoptr (GError) error = nullptr;
    gst_message_parse_error (message, &error, nullptr);
    die (player + " " + uri + ": " + error->message);
  }
  gst_message_unref (message);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  if (counter.first_frame_us == 0)
    die (player + " " + uri + ": no video frame");
  return { static_cast<double> (counter.first_frame_us - counter.start_us) / 1e6,
    static_cast<double> (counter.first_frame_cpu_us - counter.start_cpu_us) / 1e6, counter.frames };
}

/* The first playback of a new process: runs this program with
 * --first-frame PLAYER URI (main() below) and reads the time it prints. */
Result play_in_new_process (const char *self, const std::string &player, const std::string &uri)
{
  const gchar *argv[] = { self, "--first-frame", player.c_str (), uri.c_str (), nullptr };
  g_autofree gchar *out = nullptr;
  gint status = 0;
  g_autoptr (GError) error = nullptr;
  if (!g_spawn_sync (nullptr, const_cast<gchar **> (argv), nullptr, G_SPAWN_DEFAULT, nullptr, nullptr, &out, nullptr,
          &status, &error))
    die (std::string ("cannot run a playback process: ") + error->message);
  if (!g_spawn_check_wait_status (status, nullptr))
    die ("the playback process of " + player + " " + uri + " failed");
  Result r {};
  if (sscanf (out, "%lf %lf", &r.first_frame_s, &r.first_frame_cpu_s) != 2)
    die (std::string ("unexpected output of a playback process: ") + out);
  return r;
}

double median (std::vector<double> values)
{
  std::sort (values.begin (), values.end ());
  return values[values.size () / 2];
}

std::string file_uri (const std::string &path)
{
  g_autofree gchar *uri = g_filename_to_uri (path.c_str (), nullptr, nullptr);
  return uri;
}

}  // namespace

/* A check test only because the fixtures (ffmpeg, the CLI runs) report
 * through libcheck; it asserts nothing of the times. */
GST_START_TEST (measure)
{
  const char *rounds_text = g_getenv ("BENCH_ROUNDS");
  guint rounds = rounds_text ? MAX (1u, static_cast<guint> (g_ascii_strtoull (rounds_text, nullptr, 10))) : 5;

  ot::Dirs dirs ("time-to-first-frame");
  g_setenv ("GST_OFFLINE_DIR", dirs.data, TRUE);
  OtServer *server = ot_server_new ();

  /* A progressive MP4: filesrc reads the file that was downloaded. */
  g_autofree gchar *mp4 = ot_make_mp4 (dirs.content, "movie.mp4", 10, FALSE);
  g_autofree gchar *mp4_url = ot_server_add_file (server, "/movie.mp4", mp4);
  ot::download (dirs.data, mp4_url, "movie");

  /* DASH, video and audio: filesrc reads ffmpeg's remux of its streams. */
  std::string dash_dir = std::string (dirs.made) + "/dash";
  g_mkdir_with_parents (dash_dir.c_str (), 0700);
  ot::make_dash (dash_dir.c_str (), nullptr);
  g_autofree gchar *mpd_url = ot::serve (server, dash_dir.c_str (), "dash", "x.mpd");
  ot::download (dirs.data, mpd_url, "dash");
  std::string remux = std::string (dirs.made) + "/dash.mp4";
  std::string mpd = dash_dir + "/x.mpd";
  const gchar *ffmpeg[] = { "ffmpeg", "-v", "error", "-y", "-i", mpd.c_str (), "-c", "copy", remux.c_str (), nullptr };
  gint status = 0;
  if (!g_spawn_sync (nullptr, const_cast<gchar **> (ffmpeg), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr, nullptr,
          nullptr, &status, nullptr) || !g_spawn_check_wait_status (status, nullptr))
    die ("ffmpeg could not remux the DASH streams");
  ot_server_free (server);

  struct Case {
    const char *name;
    std::string offline, file;
  };
  const Case cases[] = {
    { "progressive", "offline://movie", file_uri (mp4) },
    { "dash", "offline://dash", file_uri (remux) },
  };
  g_print ("time to first video frame, median of %u alternating rounds (target: cachesrc <= 1.2x filesrc)\n", rounds);
  g_print ("(cpu: the processor time the process spent until then, which the load of a shared machine moves less)\n");
  g_print ("%-12s %-12s %10s %10s %7s %10s %10s %7s %14s\n", "player", "download", "filesrc", "cachesrc", "ratio",
      "cpu file", "cpu cache", "ratio", "frames (f/c)");
  for (const char *player : { "playbin", "playbin3", "uridecodebin" }) {
    for (const Case &c : cases) {
      std::vector<double> file_s, offline_s, file_cpu_s, offline_cpu_s;
      guint file_frames = 0, offline_frames = 0;
      /* One unmeasured run each: the first start loads the plugins. */
      play (player, c.file);
      play (player, c.offline);
      for (guint round = 0; round < rounds; round++) {
        Result f = play (player, c.file);
        Result o = play (player, c.offline);
        file_s.push_back (f.first_frame_s);
        offline_s.push_back (o.first_frame_s);
        file_cpu_s.push_back (f.first_frame_cpu_s);
        offline_cpu_s.push_back (o.first_frame_cpu_s);
        file_frames = f.frames;
        offline_frames = o.frames;
      }
      double file = median (file_s), offline = median (offline_s);
      double file_cpu = median (file_cpu_s), offline_cpu = median (offline_cpu_s);
      g_print ("%-12s %-12s %8.3f s %8.3f s %7.2f %8.3f s %8.3f s %7.2f %7u/%u\n", player, c.name, file, offline,
          offline / file, file_cpu, offline_cpu, offline_cpu / file_cpu, file_frames, offline_frames);
    }
  }

  g_autofree gchar *self = g_file_read_link ("/proc/self/exe", nullptr);
  g_print ("\nfirst playback in a new process, median of %u alternating rounds (target: cachesrc <= 1.2x filesrc)\n",
      rounds);
  g_print ("(cpu: the processor time the process spent until then, which the load of a shared machine moves less)\n");
  g_print ("%-12s %-12s %10s %10s %7s %10s %10s %7s\n", "player", "download", "filesrc", "cachesrc", "ratio",
      "cpu file", "cpu cache", "ratio");
  for (const char *player : { "playbin", "playbin3", "uridecodebin" }) {
    for (const Case &c : cases) {
      std::vector<double> file_s, offline_s, file_cpu_s, offline_cpu_s;
      for (guint round = 0; round < rounds; round++) {
        Result f = play_in_new_process (self, player, c.file);
        Result o = play_in_new_process (self, player, c.offline);
        file_s.push_back (f.first_frame_s);
        offline_s.push_back (o.first_frame_s);
        file_cpu_s.push_back (f.first_frame_cpu_s);
        offline_cpu_s.push_back (o.first_frame_cpu_s);
      }
      double file = median (file_s), offline = median (offline_s);
      double file_cpu = median (file_cpu_s), offline_cpu = median (offline_cpu_s);
      g_print ("%-12s %-12s %8.3f s %8.3f s %7.2f %8.3f s %8.3f s %7.2f\n", player, c.name, file, offline,
          offline / file, file_cpu, offline_cpu, offline_cpu / file_cpu);
    }
  }
}
GST_END_TEST;

static Suite *time_to_first_frame_suite ()
{
  Suite *s = suite_create ("time-to-first-frame");
  TCase *tc = tcase_create ("measure");
  tcase_set_timeout (tc, 1200);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, measure);
  return s;
}

/* `--first-frame PLAYER URI`: one playback, the first of this process;
 * prints its time to the first frame. Otherwise the check suite. */
int main (int argc, char **argv)
{
  if (argc == 4 && g_str_equal (argv[1], "--first-frame")) {
    gst_init (nullptr, nullptr);
    Result r = play (argv[2], argv[3]);
    printf ("%.6f %.6f\n", r.first_frame_s, r.first_frame_cpu_s);
    return 0;
  }
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (time_to_first_frame_suite (), "time_to_first_frame", __FILE__);
}
