/* ot-decode URI [SEEK-NS]: decodes URI with uridecodebin and prints one line
 * per decoded buffer, "video <pts-ns> <md5>" (I420) then "audio <pts-ns>
 * <md5>" (S16LE, interleaved). With SEEK-NS it prerolls, seeks there
 * (flushing, accurate) and prints only what is decoded after the seek.
 * Exit 0 at EOS; 1 with the error message on stderr.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include <unistd.h>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace {

constexpr GstClockTime kTimeout = 60 * GST_SECOND;

struct Collected {
  std::mutex lock;
  std::vector<std::string> video;
  std::vector<std::string> audio;
};

Collected collected;

GstFlowReturn
on_new_sample (GstAppSink *sink, gpointer data)
{
  auto *lines = static_cast<std::vector<std::string> *> (data);
  GstSample *sample = gst_app_sink_pull_sample (sink);
  if (!sample)
    return GST_FLOW_EOS;
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  GstMapInfo map;
  if (buffer && gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    gchar *md5 = g_compute_checksum_for_data (G_CHECKSUM_MD5, map.data, map.size);
    GstClockTime pts = GST_BUFFER_PTS (buffer);
    gchar *line = g_strdup_printf ("%" G_GINT64_FORMAT " %s", GST_CLOCK_TIME_IS_VALID (pts) ? (gint64) pts : (gint64) -1, md5);
    {
      std::lock_guard<std::mutex> guard (collected.lock);
      lines->push_back (line);
    }
    g_free (line);
    g_free (md5);
    gst_buffer_unmap (buffer, &map);
  }
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

/* Builds "convert ! capsfilter ! appsink" in `pipeline`, returns the convert's sink pad. */
GstPad *
make_branch (GstElement *pipeline, const gchar *convert_name, const gchar *caps_string, std::vector<std::string> *lines)
{
  GstElement *convert = gst_element_factory_make (convert_name, nullptr);
  GstElement *filter = gst_element_factory_make ("capsfilter", nullptr);
  GstElement *sink = gst_element_factory_make ("appsink", nullptr);
  if (!convert || !filter || !sink) {
    g_printerr ("ot-decode: missing element %s, capsfilter or appsink\n", convert_name);
    exit (1);
  }
  if (g_str_equal (convert_name, "audioconvert")) {
    /* Dithering adds noise; the checksums must be reproducible. */
    g_object_set (convert, "dithering", 0, "noise-shaping", 0, nullptr);
  }
  GstCaps *caps = gst_caps_from_string (caps_string);
  g_object_set (filter, "caps", caps, nullptr);
  gst_caps_unref (caps);
  g_object_set (sink, "sync", FALSE, "emit-signals", TRUE, "max-buffers", 0, nullptr);
  g_signal_connect (sink, "new-sample", G_CALLBACK (on_new_sample), lines);
  gst_bin_add_many (GST_BIN (pipeline), convert, filter, sink, nullptr);
  gst_element_link_many (convert, filter, sink, nullptr);
  gst_element_sync_state_with_parent (sink);
  gst_element_sync_state_with_parent (filter);
  gst_element_sync_state_with_parent (convert);
  return gst_element_get_static_pad (convert, "sink");
}

void
on_pad_added (GstElement *, GstPad *pad, gpointer data)
{
  auto *pipeline = static_cast<GstElement *> (data);
  GstCaps *caps = gst_pad_get_current_caps (pad);
  if (!caps)
    caps = gst_pad_query_caps (pad, nullptr);
  const gchar *name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  GstPad *sinkpad;
  if (g_str_has_prefix (name, "video/")) {
    sinkpad = make_branch (pipeline, "videoconvert", "video/x-raw,format=I420", &collected.video);
  } else if (g_str_has_prefix (name, "audio/")) {
    sinkpad = make_branch (pipeline, "audioconvert", "audio/x-raw,format=S16LE,layout=interleaved", &collected.audio);
  } else {
    /* Subtitles and anything else are drained. */
    GstElement *sink = gst_element_factory_make ("fakesink", nullptr);
    g_object_set (sink, "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add (GST_BIN (pipeline), sink);
    gst_element_sync_state_with_parent (sink);
    sinkpad = gst_element_get_static_pad (sink, "sink");
  }
  gst_caps_unref (caps);
  if (gst_pad_link (pad, sinkpad) != GST_PAD_LINK_OK)
    g_printerr ("ot-decode: warning: cannot link a %s pad\n", name);
  gst_object_unref (sinkpad);
}

[[noreturn]] void
fail (const gchar *format, ...) G_GNUC_PRINTF (1, 2);

void
fail (const gchar *format, ...)
{
  va_list ap;
  va_start (ap, format);
  gchar *message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_printerr ("%s\n", message);
  fflush (stderr);
  /* Without tearing down: a stuck pipeline must not hang us at exit. */
  _exit (1);
}

/* Waits for a message of `type`; an error (with the ones right after it,
 * which often explain it) or the deadline ends the program. */
void
wait_for (GstBus *bus, GstMessageType type, GstClockTime deadline, const gchar *uri)
{
  for (;;) {
    GstClockTime now = gst_util_get_timestamp ();
    if (now >= deadline)
      fail ("ot-decode: timed out after %" G_GUINT64_FORMAT " s decoding %s", kTimeout / GST_SECOND, uri);
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, deadline - now, (GstMessageType) (type | GST_MESSAGE_ERROR));
    if (!msg)
      continue;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      /* The first error is often a generic "Internal data stream error" from
       * upstream; the one that explains it may come right after. */
      GString *all = g_string_new (nullptr);
      do {
        GError *error = nullptr;
        gchar *debug = nullptr;
        gst_message_parse_error (msg, &error, &debug);
        g_string_append_printf (all, "%s%s\n  (from %s: %s)", all->len ? "\n" : "", error->message,
            GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), debug ? debug : "no details");
        g_error_free (error);
        g_free (debug);
        gst_message_unref (msg);
      } while ((msg = gst_bus_timed_pop_filtered (bus, 200 * GST_MSECOND, GST_MESSAGE_ERROR)));
      fail ("%s", all->str);
    }
    gst_message_unref (msg);
    return;
  }
}

}  // namespace

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  if (argc != 2 && argc != 3) {
    g_printerr ("usage: ot-decode URI [SEEK-NS]\n");
    return 2;
  }
  const gchar *uri = argv[1];
  gint64 seek = argc == 3 ? g_ascii_strtoll (argv[2], nullptr, 10) : -1;
  /* A safety net should even tearing down hang. */
  alarm (90);

  GstElement *pipeline = gst_pipeline_new ("ot-decode");
  GstElement *decodebin = gst_element_factory_make ("uridecodebin", nullptr);
  if (!decodebin)
    fail ("ot-decode: no uridecodebin");
  g_object_set (decodebin, "uri", uri, nullptr);
  g_signal_connect (decodebin, "pad-added", G_CALLBACK (on_pad_added), pipeline);
  gst_bin_add (GST_BIN (pipeline), decodebin);

  GstBus *bus = gst_element_get_bus (pipeline);
  if (gst_element_set_state (pipeline, seek >= 0 ? GST_STATE_PAUSED : GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (msg) {
      GError *error = nullptr;
      gst_message_parse_error (msg, &error, nullptr);
      fail ("%s", error->message);
    }
    fail ("ot-decode: cannot start decoding %s", uri);
  }

  GstClockTime deadline = gst_util_get_timestamp () + kTimeout;
  if (seek >= 0) {
    wait_for (bus, GST_MESSAGE_ASYNC_DONE, deadline, uri);
    if (!gst_element_seek_simple (pipeline, GST_FORMAT_TIME,
            (GstSeekFlags) (GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE), seek))
      fail ("ot-decode: the seek to %" G_GINT64_FORMAT " ns in %s was refused", seek, uri);
    /* appsink emits new-sample only from PLAYING on: what prerolled before
     * the seek was flushed, nothing of it is collected. */
    wait_for (bus, GST_MESSAGE_ASYNC_DONE, deadline, uri);
    gst_element_set_state (pipeline, GST_STATE_PLAYING);
  }
  wait_for (bus, GST_MESSAGE_EOS, deadline, uri);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);

  std::lock_guard<std::mutex> guard (collected.lock);
  for (const auto &line : collected.video)
    printf ("video %s\n", line.c_str ());
  for (const auto &line : collected.audio)
    printf ("audio %s\n", line.c_str ());
  fflush (stdout);
  return 0;
}
