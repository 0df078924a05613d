/* ot-decode [--uridecodebin3|--playbin|--playbin3] [--seek NS] URI: decodes
 * URI with uridecodebin (or uridecodebin3, which the streams-aware adaptive
 * demuxers such as mssdemux2 need, or a player's playbin or playbin3, its
 * video and audio sinks taking the checksums) and prints one line per
 * decoded buffer, "video <pts-ns>
 * <md5>" (I420) then "audio <pts-ns> <md5>" (S16LE, interleaved). With
 * OT_DECODE_TEXT=1 in the environment, also "text <running-time-ns> <text>"
 * for each subtitle buffer (newlines as \n), last. With --seek it prerolls,
 * prints "duration <ns>" first, seeks to NS (flushing, accurate) and lists
 * only the buffers that come after the seek. With OT_DECODE_BUFFERING=1,
 * "buffering <percent>" goes to stderr at once for every BUFFERING
 * message while it plays (a test learns that playback waits). Exit 0 at
 * EOS; 1 with the error message on stderr.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include "test-support.h"

#include <sys/prctl.h>
#include <unistd.h>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace {

/* The lines of one kind of decoded buffer, and how a sample makes one. */
struct Stream {
  const gchar *kind;
  gchar *(*line_of) (const gchar *kind, GstSample *sample);
  std::vector<std::string> lines;
};

/* "<kind> <pts-ns> <md5>" (ot_checksum_line) */
gchar *
checksum_line_of (const gchar *kind, GstSample *sample)
{
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  return buffer ? ot_checksum_line (kind, buffer) : nullptr;
}

/* "text <running-time-ns> <text>", its newlines as \n */
gchar *
text_line_of (const gchar *kind, GstSample *sample)
{
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  GstMapInfo map;
  if (!buffer || !gst_buffer_map (buffer, &map, GST_MAP_READ))
    return nullptr;
  GstClockTime running = gst_segment_to_running_time (gst_sample_get_segment (sample), GST_FORMAT_TIME,
      GST_BUFFER_PTS (buffer));
  std::string text;
  for (gsize i = 0; i < map.size; i++)
    text += map.data[i] == '\n' ? std::string ("\\n") : std::string (1, static_cast<char> (map.data[i]));
  gst_buffer_unmap (buffer, &map);
  return g_strdup_printf ("%s %" G_GINT64_FORMAT " %s", kind,
      GST_CLOCK_TIME_IS_VALID (running) ? (gint64) running : (gint64) -1, text.c_str ());
}

std::mutex lock; /* guards the streams' lines and linked_streams */
Stream video { "video", checksum_line_of, {} };
Stream audio { "audio", checksum_line_of, {} };
Stream text { "text", text_line_of, {} };
/* The stream ids of the decoded pads linked so far (uridecodebin3 names
 * them: gst_pad_get_stream()). */
std::vector<std::string> linked_streams;

GstFlowReturn
on_new_sample (GstAppSink *sink, gpointer data)
{
  auto *stream = static_cast<Stream *> (data);
  GstSample *sample = gst_app_sink_pull_sample (sink);
  if (!sample)
    return GST_FLOW_EOS;
  gchar *line = stream->line_of (stream->kind, sample);
  if (line) {
    std::lock_guard<std::mutex> guard (lock);
    stream->lines.push_back (line);
  }
  g_free (line);
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

/* A flush (a seek) empties what a branch saw: only the buffers after it count. */
GstPadProbeReturn
on_flush_stop (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_FLUSH_STOP) {
    std::lock_guard<std::mutex> guard (lock);
    static_cast<Stream *> (data)->lines.clear ();
  }
  return GST_PAD_PROBE_OK;
}

/* Builds "convert ! capsfilter ! appsink" in `pipeline`, returns the convert's sink pad. */
GstPad *
make_branch (GstElement *pipeline, const gchar *convert_name, const gchar *caps_string, Stream *stream)
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
  g_signal_connect (sink, "new-sample", G_CALLBACK (on_new_sample), stream);
  GstPad *sink_pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (sink_pad, GST_PAD_PROBE_TYPE_EVENT_FLUSH, on_flush_stop, stream, nullptr);
  gst_object_unref (sink_pad);
  gst_bin_add_many (GST_BIN (pipeline), convert, filter, sink, nullptr);
  gst_element_link_many (convert, filter, sink, nullptr);
  gst_element_sync_state_with_parent (sink);
  gst_element_sync_state_with_parent (filter);
  gst_element_sync_state_with_parent (convert);
  return gst_element_get_static_pad (convert, "sink");
}

/* A playbin's video-sink or audio-sink: make_branch() in a bin of its own,
 * after a capsfilter of `input` (may be NULL). */
GstElement *
make_sink_bin (const gchar *input, const gchar *convert_name, const gchar *caps_string, Stream *stream)
{
  GstElement *bin = gst_bin_new (nullptr);
  GstPad *pad = make_branch (bin, convert_name, caps_string, stream);
  if (input) {
    GstElement *filter = gst_element_factory_make ("capsfilter", nullptr);
    GstCaps *caps = gst_caps_from_string (input);
    g_object_set (filter, "caps", caps, nullptr);
    gst_caps_unref (caps);
    gst_bin_add (GST_BIN (bin), filter);
    GstPad *filter_src = gst_element_get_static_pad (filter, "src");
    gst_pad_link (filter_src, pad);
    gst_object_unref (filter_src);
    gst_object_unref (pad);
    pad = gst_element_get_static_pad (filter, "sink");
  }
  gst_element_add_pad (bin, gst_ghost_pad_new ("sink", pad));
  gst_object_unref (pad);
  return bin;
}

void
remove_branch (GstElement *pipeline, gpointer data)
{
  auto *sink = static_cast<GstElement *> (data);
  for (GstElement *element = sink; element;) {
    GstPad *pad = gst_element_get_static_pad (element, "src");
    GstPad *peer = pad ? gst_pad_get_peer (pad) : nullptr;
    GstElement *next = peer ? gst_pad_get_parent_element (peer) : nullptr;
    if (pad)
      gst_object_unref (pad);
    if (peer)
      gst_object_unref (peer);
    gst_element_set_locked_state (element, TRUE);
    gst_element_set_state (element, GST_STATE_NULL);
    gst_bin_remove (GST_BIN (pipeline), element);
    element = next;
    if (next)
      gst_object_unref (next);
  }
}

void remove_retired_branches (GstElement *pipeline, const gchar *kind);

void
on_pad_added (GstElement *, GstPad *pad, gpointer data)
{
  auto *pipeline = static_cast<GstElement *> (data);
  const gchar *kind = ot_pad_kind (pad);
  GstPad *sinkpad;
  if (g_strcmp0 (kind, "video") == 0) {
    sinkpad = make_branch (pipeline, "videoconvert", "video/x-raw,format=I420", &video);
  } else if (g_strcmp0 (kind, "audio") == 0) {
    sinkpad = make_branch (pipeline, "audioconvert", "audio/x-raw,format=S16LE,layout=interleaved", &audio);
  } else if (g_strcmp0 (kind, "text") == 0 && g_strcmp0 (g_getenv ("OT_DECODE_TEXT"), "1") == 0) {
    GstElement *sink = gst_element_factory_make ("appsink", nullptr);
    g_object_set (sink, "sync", FALSE, "async", FALSE, "emit-signals", TRUE, "max-buffers", 0, nullptr);
    g_signal_connect (sink, "new-sample", G_CALLBACK (on_new_sample), &text);
    gst_bin_add (GST_BIN (pipeline), sink);
    gst_element_sync_state_with_parent (sink);
    sinkpad = gst_element_get_static_pad (sink, "sink");
  } else {
    /* Subtitles and anything else are drained. */
    GstElement *sink = gst_element_factory_make ("fakesink", nullptr);
    g_object_set (sink, "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add (GST_BIN (pipeline), sink);
    gst_element_sync_state_with_parent (sink);
    sinkpad = gst_element_get_static_pad (sink, "sink");
  }
  if (gst_pad_link (pad, sinkpad) != GST_PAD_LINK_OK)
    g_printerr ("ot-decode: warning: cannot link pad %s (%s)\n", GST_PAD_NAME (pad), kind ? kind : "other");
  g_object_set_data_full (G_OBJECT (pad), "ot-decode-branch", sinkpad, gst_object_unref);
  remove_retired_branches (pipeline, kind);

  /* The branch and its sink exist (and started to preroll): tell main(). */
  GstStream *stream = gst_pad_get_stream (pad);
  if (stream) {
    std::lock_guard<std::mutex> guard (lock);
    linked_streams.emplace_back (gst_stream_get_stream_id (stream));
    gst_object_unref (stream);
  }
  gst_element_post_message (pipeline, gst_message_new_application (GST_OBJECT (pipeline),
                                          gst_structure_new_empty ("ot-decode-linked")));
}

/* uridecodebin (decodebin2) replaces the pads of a stream that changes so
 * that it needs other elements (clear content then protected, at a change
 * of DASH Period): it drains the old pad, drops its EOS and removes it, then
 * adds the new one. The old branch, which will see no EOS, goes once the new
 * one is there (before, the pipeline would end if the other branches have). */
std::vector<std::pair<std::string, GstElement *>> retired_branches; /* kind, first element; guarded by lock */

void
on_pad_removed (GstElement *, GstPad *pad, gpointer)
{
  auto *branch = static_cast<GstPad *> (g_object_get_data (G_OBJECT (pad), "ot-decode-branch"));
  GstElement *first = branch ? gst_pad_get_parent_element (branch) : nullptr;
  const gchar *kind = ot_pad_kind (pad);
  if (!first)
    return;
  std::lock_guard<std::mutex> guard (lock);
  retired_branches.emplace_back (kind ? kind : "", first);
}

void
remove_retired_branches (GstElement *pipeline, const gchar *kind)
{
  std::lock_guard<std::mutex> guard (lock);
  for (auto it = retired_branches.begin (); it != retired_branches.end ();) {
    if (it->first == (kind ? kind : "")) {
      gst_element_call_async (pipeline, remove_branch, it->second, gst_object_unref);
      it = retired_branches.erase (it);
    } else {
      ++it;
    }
  }
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

/* Fails with the pipeline's error messages if one is on the bus. */
void
fail_on_error (GstMessage *msg, GstBus *bus)
{
  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ERROR)
    return;
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
  } while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR)));
  /* An element that fails posts its error before it returns the flow that
   * makes the elements upstream post theirs: the errors that explain a
   * generic one are on the bus already. */
  fail ("%s", all->str);
}

/* Waits for a message of `type` (or an error, which ends the program). A
 * decode that never ends is ended with the test that runs it: this process
 * dies with its parent. */
void
wait_for (GstBus *bus, GstMessageType type)
{
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE, (GstMessageType) (type | GST_MESSAGE_ERROR));
  fail_on_error (msg, bus);
  gst_message_unref (msg);
}

/* Waits (on the bus, failing on an error) until the pipeline has prerolled:
 * every ASYNC_DONE wakes a check of the state, so one left over from an
 * earlier preroll is harmless. */
void
wait_for_preroll (GstBus *bus, GstElement *pipeline)
{
  for (;;) {
    GstStateChangeReturn ret = gst_element_get_state (pipeline, nullptr, nullptr, 0);
    if (ret == GST_STATE_CHANGE_SUCCESS || ret == GST_STATE_CHANGE_NO_PREROLL)
      return;
    if (ret == GST_STATE_CHANGE_FAILURE)
      wait_for (bus, GST_MESSAGE_ERROR);
    wait_for (bus, GST_MESSAGE_ASYNC_DONE);
  }
}

/* Whether a decoded stream's id is `selected` or derived from it: demuxers
 * name their streams "<upstream id>/<n>" (qtdemux) or "<upstream
 * id>:<program>/<pid>" (tsdemux). */
bool
derives_from (const std::string &id, const std::string &selected)
{
  return id == selected
      || (g_str_has_prefix (id.c_str (), selected.c_str ()) && (id[selected.size ()] == '/' || id[selected.size ()] == ':'));
}

/* uridecodebin3 has no no-more-pads, and its pipeline may preroll on its
 * first branch, before the others exist: a seek then is too early. The
 * streams of the last streams-selected message (the source's when it
 * selects — cachesrc, the adaptive demuxers —, else decodebin3's, posted
 * once its outputs are exposed) are all there once each has a linked
 * branch; then the pipeline prerolls with every branch. */
void
wait_for_every_branch (GstBus *bus, GstElement *pipeline)
{
  std::vector<std::string> selected;
  bool have_selection = false;
  auto all_linked = [&] {
    std::lock_guard<std::mutex> guard (lock);
    for (const auto &id : selected) {
      bool found = false;
      for (const auto &linked : linked_streams)
        found = found || derives_from (linked, id);
      if (!found)
        return false;
    }
    return true;
  };
  while (!have_selection || !all_linked ()) {
    /* Extended types (streams-selected) share bits with the basic ones:
     * take every message and compare types whole. */
    GstMessage *msg = gst_bus_timed_pop (bus, GST_CLOCK_TIME_NONE);
    fail_on_error (msg, bus);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_STREAMS_SELECTED) {
      selected.clear ();
      for (guint i = 0; i < gst_message_streams_selected_get_size (msg); i++) {
        GstStream *stream = gst_message_streams_selected_get_stream (msg, i);
        selected.emplace_back (gst_stream_get_stream_id (stream));
        gst_object_unref (stream);
      }
      have_selection = true;
    }
    gst_message_unref (msg);
  }
  wait_for_preroll (bus, pipeline);
}

}  // namespace

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  const gchar *bin_name = "uridecodebin";
  gint64 seek = -1;
  int arg = 1;
  for (; arg < argc - 1; arg++) {
    if (g_str_equal (argv[arg], "--uridecodebin3"))
      bin_name = "uridecodebin3";
    else if (g_str_equal (argv[arg], "--playbin") || g_str_equal (argv[arg], "--playbin3"))
      bin_name = argv[arg] + 2;
    else if (g_str_equal (argv[arg], "--seek") && arg + 1 < argc - 1)
      seek = g_ascii_strtoll (argv[++arg], nullptr, 10);
    else
      break;
  }
  if (arg != argc - 1) {
    g_printerr ("usage: ot-decode [--uridecodebin3|--playbin|--playbin3] [--seek NS] URI\n");
    return 2;
  }
  const gchar *uri = argv[arg];
  /* Whatever hangs here ends with the test that started it. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);

  bool player = g_str_has_prefix (bin_name, "playbin");
  GstElement *pipeline;
  if (player) {
    /* The player is the pipeline; its sinks take the checksums. Its flags:
     * video, audio, native video and audio (no conversion but the
     * branches', no subtitles). It prefers decoders whose output its sink
     * takes as it is: F32 audio, as the decoder uridecodebin chooses for
     * AAC gives. */
    pipeline = gst_element_factory_make (bin_name, "ot-decode");
    if (!pipeline)
      fail ("ot-decode: no %s", bin_name);
    g_object_set (pipeline, "uri", uri, "flags", 0x1 | 0x2 | 0x20 | 0x40, "video-sink",
        make_sink_bin (nullptr, "videoconvert", "video/x-raw,format=I420", &video), "audio-sink",
        make_sink_bin ("audio/x-raw,format=F32LE", "audioconvert", "audio/x-raw,format=S16LE,layout=interleaved",
            &audio),
        nullptr);
  } else {
    pipeline = gst_pipeline_new ("ot-decode");
    GstElement *decodebin = gst_element_factory_make (bin_name, nullptr);
    if (!decodebin)
      fail ("ot-decode: no %s", bin_name);
    g_object_set (decodebin, "uri", uri, nullptr);
    g_signal_connect (decodebin, "pad-added", G_CALLBACK (on_pad_added), pipeline);
    g_signal_connect (decodebin, "pad-removed", G_CALLBACK (on_pad_removed), nullptr);
    gst_bin_add (GST_BIN (pipeline), decodebin);
  }

  GstBus *bus = gst_element_get_bus (pipeline);
  gint64 duration = -1;
  if (seek >= 0) {
    if (gst_element_set_state (pipeline, GST_STATE_PAUSED) == GST_STATE_CHANGE_FAILURE)
      wait_for (bus, GST_MESSAGE_ERROR);
    /* decodebin (uridecodebin) prerolls only once all its pads are there. */
    if (g_str_equal (bin_name, "uridecodebin3"))
      wait_for_every_branch (bus, pipeline);
    else
      wait_for_preroll (bus, pipeline);
    if (!gst_element_query_duration (pipeline, GST_FORMAT_TIME, &duration))
      fail ("ot-decode: no duration for %s", uri);
    if (!gst_element_seek_simple (pipeline, GST_FORMAT_TIME,
            (GstSeekFlags) (GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE), seek))
      fail ("ot-decode: cannot seek %s to %" G_GINT64_FORMAT, uri, seek);
    /* The flush made the sinks lose their preroll (within the seek call). */
    wait_for_preroll (bus, pipeline);
  }
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (msg) {
      GError *error = nullptr;
      gst_message_parse_error (msg, &error, nullptr);
      fail ("%s", error->message);
    }
    fail ("ot-decode: cannot start decoding %s", uri);
  }
  if (g_strcmp0 (g_getenv ("OT_DECODE_BUFFERING"), "1") == 0) {
    for (;;) {
      GstMessage *msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
          (GstMessageType) (GST_MESSAGE_BUFFERING | GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
      if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_BUFFERING) {
        fail_on_error (msg, bus);
        gst_message_unref (msg);
        break;
      }
      gint percent = 0;
      gst_message_parse_buffering (msg, &percent);
      gst_message_unref (msg);
      g_printerr ("buffering %d\n", percent);
    }
  } else {
    wait_for (bus, GST_MESSAGE_EOS);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);

  std::lock_guard<std::mutex> guard (lock);
  if (duration >= 0)
    printf ("duration %" G_GINT64_FORMAT "\n", duration);
  for (const Stream *stream : { &video, &audio, &text })
    for (const auto &line : stream->lines)
      printf ("%s\n", line.c_str ());
  fflush (stdout);
  return 0;
}
