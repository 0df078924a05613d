/* gst-offline play: playbin on offline://ID until the end, counting what
 * reaches the sinks.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "commands.h"
#include "data-dir.h"
#include "format.h"
#include "scoped.h"

#include <glib-unix.h>
#include <gst/gst.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>

namespace cli {

namespace {

struct Playback {
  GMainLoop *loop = nullptr;
  GstElement *pipeline = nullptr;
  std::string data_dir;
  /* Updated from the streaming threads. */
  std::atomic<guint64> video_frames{0};
  std::atomic<guint64> audio_buffers{0};
  /* The end of the latest buffer: the duration when the pipeline cannot tell. */
  std::atomic<guint64> last_end{GST_CLOCK_TIME_NONE};
  std::string error;
  bool eos = false;
  bool interrupted = false;
};

/* Counts buffers on a sink's sink pad. Called from streaming threads. */
GstPadProbeReturn
count_buffers (GstPad *, GstPadProbeInfo *info, gpointer user_data)
{
  auto *counter = static_cast<std::atomic<guint64> *> (user_data);
  guint n = 1;
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    n = gst_buffer_list_length (GST_PAD_PROBE_INFO_BUFFER_LIST (info));
  *counter += n;
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn
track_end (GstPad *, GstPadProbeInfo *info, gpointer user_data)
{
  auto *playback = static_cast<Playback *> (user_data);
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
    if (GST_BUFFER_PTS_IS_VALID (buffer)) {
      GstClockTime end = GST_BUFFER_PTS (buffer) +
          (GST_BUFFER_DURATION_IS_VALID (buffer) ? GST_BUFFER_DURATION (buffer) : 0);
      guint64 last = playback->last_end.load ();
      while ((!GST_CLOCK_TIME_IS_VALID (last) || end > last) &&
          !playback->last_end.compare_exchange_weak (last, end)) {
      }
    }
  }
  return GST_PAD_PROBE_OK;
}

/* A sink from a gst-launch description ("fakesink", "queue ! fakesink"),
 * or the automatic one; with probes counting what arrives. */
GstElement *
make_sink (const char *description, const char *fallback, std::atomic<guint64> *counter, Playback *playback, GError **error)
{
  GstElement *sink = nullptr;
  if (description) {
    sink = gst_parse_bin_from_description (description, TRUE, error);
  } else {
    sink = gst_element_factory_make (fallback, nullptr);
    if (!sink)
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN, "no element '%s'", fallback);
  }
  if (!sink)
    return nullptr;
  g_autoptr (GstPad) pad = gst_element_get_static_pad (sink, "sink");
  if (!pad) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION, "'%s' has no sink pad",
        description ? description : fallback);
    gst_object_unref (gst_object_ref_sink (sink));
    return nullptr;
  }
  gst_pad_add_probe (pad, (GstPadProbeType) (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
      count_buffers, counter, nullptr);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, track_end, playback, nullptr);
  return sink;
}

/* cachesrc reads the data directory the tool was given. */
void
on_source_setup (GstElement *, GstElement *source, gpointer user_data)
{
  auto *playback = static_cast<Playback *> (user_data);
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (source), "cache-dir"))
    g_object_set (source, "cache-dir", playback->data_dir.c_str (), nullptr);
}

gboolean
on_bus_message (GstBus *, GstMessage *message, gpointer user_data)
{
  auto *playback = static_cast<Playback *> (user_data);
  switch (GST_MESSAGE_TYPE (message)) {
    case GST_MESSAGE_EOS:
      playback->eos = true;
      g_main_loop_quit (playback->loop);
      break;
    case GST_MESSAGE_BUFFERING: {
      /* cachesrc waits for a download still running: pause meanwhile. */
      gint percent = 100;
      gst_message_parse_buffering (message, &percent);
      gst_element_set_state (playback->pipeline, percent < 100 ? GST_STATE_PAUSED : GST_STATE_PLAYING);
      break;
    }
    case GST_MESSAGE_ERROR: {
      g_autoptr (GError) error = nullptr;
      g_autofree gchar *debug = nullptr;
      gst_message_parse_error (message, &error, &debug);
      playback->error = error->message;
      /* The developer's detail goes to the debug log, not to the user's line. */
      GST_INFO ("error from %s: %s (%s)", GST_MESSAGE_SRC_NAME (message), error->message,
          debug ? debug : "");
      g_main_loop_quit (playback->loop);
      break;
    }
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

gboolean
on_interrupt (gpointer user_data)
{
  auto *playback = static_cast<Playback *> (user_data);
  playback->interrupted = true;
  g_main_loop_quit (playback->loop);
  return G_SOURCE_CONTINUE;
}

}  // namespace

int
command_play (Context &ctx, int argc, char **argv)
{
  gchar *video_option = nullptr;
  gchar *audio_option = nullptr;
  const GOptionEntry entries[] = {
      {"video-sink", 0, 0, G_OPTION_ARG_STRING, &video_option,
          "The video sink, as a gst-launch description (default: autovideosink)", "DESC"},
      {"audio-sink", 0, 0, G_OPTION_ARG_STRING, &audio_option,
          "The audio sink, as a gst-launch description (default: autoaudiosink)", "DESC"},
      {},
  };
  int status = parse_command_options (ctx, "play", "ID",
      "Plays offline://ID with playbin until the end, without network. At the end prints\n"
      "`played ID: N video frames, M audio buffers, duration H:MM:SS.mmm`.",
      entries, &argc, &argv);
  g_autofree gchar *video_description = video_option;
  g_autofree gchar *audio_description = audio_option;
  if (status == kExitSuccess)
    status = expect_arguments ("play", argc, argv, 1, 1, "ID");
  if (status != kExitSuccess)
    return status;
  const char *id = argv[1];

  /* A clear message for the common mistakes before any element is made. */
  {
    g_autoptr (GstOfflineDownloadIndex) index = open_index (ctx, &status);
    if (status != kExitSuccess)
      return status;
    g_autoptr (GstOfflineDownload) download = get_download (index, id);
    if (!download)
      return kExitFailure;
    /* A download plays while it is fetched (cachesrc waits for what is not
     * there yet, or says it will not come); an adaptive one stopped or
     * failed plays what it has, a single file stopped or failed nothing. */
    GstOfflineDownloadState state = gst_offline_download_get_state (download);
    if (state == GST_OFFLINE_DOWNLOAD_STATE_REMOVING
        || ((state == GST_OFFLINE_DOWNLOAD_STATE_STOPPED || state == GST_OFFLINE_DOWNLOAD_STATE_FAILED)
            && gst_offline_download_get_download_type (download) == GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE))
      return fail ("download %s is not complete (state: %s)", id, gst_offline_download_state_to_string (state));
  }

  Playback playback;
  playback.data_dir = ctx.data_dir;

  GstElement *playbin = gst_element_factory_make ("playbin", nullptr);
  if (!playbin)
    return fail ("cannot play: the GStreamer element 'playbin' is missing (gstreamer1.0-plugins-base)");
  g_autoptr (GstElement) pipeline = GST_ELEMENT (gst_object_ref_sink (playbin));
  playback.pipeline = pipeline;

  g_autoptr (GError) error = nullptr;
  GstElement *video_sink = make_sink (video_description, "autovideosink", &playback.video_frames, &playback, &error);
  if (!video_sink)
    return fail ("cannot make the video sink: %s", error->message);
  g_object_set (pipeline, "video-sink", video_sink, nullptr);
  GstElement *audio_sink = make_sink (audio_description, "autoaudiosink", &playback.audio_buffers, &playback, &error);
  if (!audio_sink)
    return fail ("cannot make the audio sink: %s", error->message);
  g_object_set (pipeline, "audio-sink", audio_sink, nullptr);

  g_autofree gchar *uri = g_strdup_printf ("offline://%s", id);
  g_object_set (pipeline, "uri", uri, nullptr);
  g_signal_connect (pipeline, "source-setup", G_CALLBACK (on_source_setup), &playback);

  g_autoptr (GMainLoop) loop = g_main_loop_new (nullptr, FALSE);
  playback.loop = loop;
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  gst_bus_add_watch (bus, on_bus_message, &playback);
  UnixSignalWatch sigint (SIGINT, on_interrupt, &playback);
  UnixSignalWatch sigterm (SIGTERM, on_interrupt, &playback);

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    /* The reason is on the bus as an error message. */
    g_autoptr (GstMessage) message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (message)
      on_bus_message (bus, message, &playback);
    else
      playback.error = "the pipeline could not start";
  } else {
    g_main_loop_run (loop);
  }

  gint64 duration = -1;
  if (!gst_element_query_duration (pipeline, GST_FORMAT_TIME, &duration) || duration < 0)
    duration = GST_CLOCK_TIME_IS_VALID (playback.last_end.load ()) ? (gint64) playback.last_end.load () : -1;

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_bus_remove_watch (bus);

  if (!playback.error.empty ())
    return fail ("%s", playback.error.c_str ());
  if (playback.interrupted) {
    fail ("playback of %s interrupted", id);
    return kExitInterrupted;
  }

  printf ("played %s: %" G_GUINT64_FORMAT " video frames, %" G_GUINT64_FORMAT
          " audio buffers, duration %s\n",
      id, playback.video_frames.load (), playback.audio_buffers.load (),
      format_duration (duration >= 0 ? (guint64) duration : GST_CLOCK_TIME_NONE).c_str ());
  return kExitSuccess;
}

}  // namespace cli
