/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "playback-checks.h"

#include <gst/gst.h>
#include <unistd.h>

#include <algorithm>

namespace ot {

/* The files of `dir` (and of its subdirectories), relative to it, sorted. */
void
list_files (const gchar *dir, const std::string &prefix, std::vector<std::string> *files)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, nullptr);
  fail_unless (handle != nullptr);
  while (const gchar *name = g_dir_read_name (handle)) {
    g_autofree gchar *path = g_build_filename (dir, name, nullptr);
    if (g_file_test (path, G_FILE_TEST_IS_DIR))
      list_files (path, prefix + name + "/", files);
    else
      files->push_back (prefix + name);
  }
  std::sort (files->begin (), files->end ());
}

std::string
read_text (const std::string &path)
{
  gchar *contents = nullptr;
  gsize size = 0;
  GError *error = nullptr;
  if (!g_file_get_contents (path.c_str (), &contents, &size, &error))
    g_error ("cannot read %s: %s", path.c_str (), error->message);
  std::string text (contents, size);
  g_free (contents);
  return text;
}

void
write_text (const std::string &path, const std::string &text)
{
  gchar *dir = g_path_get_dirname (path.c_str ());
  g_mkdir_with_parents (dir, 0755);
  g_free (dir);
  GError *error = nullptr;
  if (!g_file_set_contents (path.c_str (), text.data (), static_cast<gssize> (text.size ()), &error))
    g_error ("cannot write %s: %s", path.c_str (), error->message);
}

std::vector<std::string>
playlist_uris (const std::string &path)
{
  std::vector<std::string> uris;
  gchar **lines = g_strsplit (read_text (path).c_str (), "\n", -1);
  for (gchar **l = lines; *l; l++) {
    if (**l && **l != '#')
      uris.push_back (*l);
  }
  g_strfreev (lines);
  return uris;
}

/* Serves every file of `dir` under /`name`/; returns the URL of `manifest`. */
gchar *
serve (OtServer *server, const gchar *dir, const gchar *name, const gchar *manifest)
{
  std::vector<std::string> files;
  list_files (dir, "", &files);
  for (const auto &file : files) {
    g_autofree gchar *local = g_build_filename (dir, file.c_str (), nullptr);
    g_autofree gchar *path = g_strdup_printf ("/%s/%s", name, file.c_str ());
    g_free (ot_server_add_file (server, path, local));
  }
  return g_strdup_printf ("%s/%s/%s", ot_server_get_base_url (server), name, manifest);
}

void
download (const gchar *data_dir, const gchar *url, const gchar *id)
{
  gchar *out = nullptr, *err = nullptr;
  gint status = ot_run_cli (data_dir, &out, &err, "download", url, "--id", id, nullptr);
  fail_unless (status == 0, "download %s failed: %s", url, err);
  g_free (out);
  g_free (err);
}



std::vector<Frame>
frames_of (GPtrArray *lines, const gchar *kind)
{
  std::vector<Frame> frames;
  for (guint i = 0; lines && i < lines->len; i++) {
    const gchar *line = static_cast<const gchar *> (g_ptr_array_index (lines, i));
    g_auto (GStrv) fields = g_strsplit (line, " ", 3);
    if (g_strv_length (fields) != 3 || g_strcmp0 (fields[0], kind) != 0)
      continue;
    frames.push_back ({ fields[0], g_ascii_strtoll (fields[1], nullptr, 10), fields[2], line });
  }
  return frames;
}

void
assert_same (const std::vector<Frame> &expected, const std::vector<Frame> &actual, const gchar *what)
{
  fail_unless (!expected.empty (), "%s: the reference has no frames", what);
  size_t first = G_MAXSIZE, last = 0, count = 0;
  for (size_t i = 0; i < std::min (expected.size (), actual.size ()); i++) {
    if (expected[i].line != actual[i].line) {
      first = MIN (first, i);
      last = i;
      count++;
    }
  }
  fail_unless (count == 0, "%s: %zu of %zu frames differ, from frame %zu to %zu; the first: expected '%s', got '%s'",
      what, count, expected.size (), first, last, count ? expected[first].line.c_str () : "",
      count ? actual[first].line.c_str () : "");
  fail_unless (actual.size () == expected.size (),
      "%s: frame counts differ", what);
}

std::vector<Frame>
from (const std::vector<Frame> &frames, gint64 pts)
{
  std::vector<Frame> result;
  for (const auto &frame : frames) {
    if (frame.pts >= pts)
      result.push_back (frame);
  }
  return result;
}

GPtrArray *
decode (const gchar *uri, const gchar *data_dir)
{
  gchar *error = nullptr;
  GPtrArray *lines = ot_decode_checksums (uri, data_dir, TRUE, &error);
  fail_unless (lines != nullptr, "decoding %s failed: %s", uri, error);
  return lines;
}


static void
on_handoff (GstElement *, GstBuffer *buffer, GstPad *, gpointer data)
{
  auto *branch = static_cast<Branch *> (data);
  GstMapInfo map;
  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return;
  g_autofree gchar *md5 = g_compute_checksum_for_data (G_CHECKSUM_MD5, map.data, map.size);
  gst_buffer_unmap (buffer, &map);
  GstClockTime pts = GST_BUFFER_PTS (buffer);
  g_autofree gchar *line = g_strdup_printf ("%s %" G_GINT64_FORMAT " %s", branch->kind,
      GST_CLOCK_TIME_IS_VALID (pts) ? static_cast<gint64> (pts) : G_GINT64_CONSTANT (-1), md5);
  std::lock_guard<std::mutex> guard (branch->lock);
  branch->lines.push_back (line);
}

/* A flush empties what a branch saw: only the frames after the seek count. */
static GstPadProbeReturn
on_sink_event (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto *branch = static_cast<Branch *> (data);
  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_FLUSH_STOP) {
    std::lock_guard<std::mutex> guard (branch->lock);
    branch->lines.clear ();
  }
  return GST_PAD_PROBE_OK;
}

void
on_pad_added (GstElement *, GstPad *pad, gpointer data)
{
  auto *player = static_cast<Player *> (data);
  GstCaps *caps = gst_pad_get_current_caps (pad);
  if (!caps)
    caps = gst_pad_query_caps (pad, nullptr);
  const gchar *name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  Branch *branch = g_str_has_prefix (name, "video/") ? &player->video
      : g_str_has_prefix (name, "audio/")            ? &player->audio
                                                     : nullptr;
  gst_caps_unref (caps);

  GstElement *bin;
  if (branch == &player->video)
    bin = gst_parse_bin_from_description (
        "videoconvert ! video/x-raw,format=I420 ! fakesink name=sink sync=false signal-handoffs=true", TRUE, nullptr);
  else if (branch == &player->audio)
    bin = gst_parse_bin_from_description ("audioconvert dithering=none noise-shaping=none ! "
                                          "audio/x-raw,format=S16LE,layout=interleaved ! "
                                          "fakesink name=sink sync=false signal-handoffs=true",
        TRUE, nullptr);
  else
    bin = gst_parse_bin_from_description ("fakesink sync=false async=false", TRUE, nullptr);
  fail_unless (bin != nullptr);
  if (branch) {
    GstElement *sink = gst_bin_get_by_name (GST_BIN (bin), "sink");
    g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), branch);
    GstPad *sinkpad = gst_element_get_static_pad (sink, "sink");
    gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_EVENT_FLUSH, on_sink_event, branch, nullptr);
    gst_object_unref (sinkpad);
    gst_object_unref (sink);
  }
  gst_bin_add (GST_BIN (player->pipeline), bin);
  gst_element_sync_state_with_parent (bin);
  GstPad *sinkpad = gst_element_get_static_pad (bin, "sink");
  fail_unless_equals_int (gst_pad_link (pad, sinkpad), GST_PAD_LINK_OK);
  gst_object_unref (sinkpad);
}

void
on_source_setup (GstElement *, GstElement *source, gpointer data)
{
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (source), "cache-dir"))
    g_object_set (source, "cache-dir", static_cast<Player *> (data)->data_dir, nullptr);
}

/* Waits for `type` (or an error, which fails the test). */
void
wait_for (GstElement *pipeline, GstMessageType type)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *message = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      static_cast<GstMessageType> (type | GST_MESSAGE_ERROR));
  gst_object_unref (bus);
  fail_unless (message != nullptr, "timed out waiting for %s", gst_message_type_get_name (type));
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    GError *error = nullptr;
    gchar *debug = nullptr;
    gst_message_parse_error (message, &error, &debug);
    ck_abort_msg ("error from %s: %s (%s)", GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), error->message, debug);
  }
  gst_message_unref (message);
}

std::vector<Frame>
lines_to_frames (Branch &branch)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  {
    std::lock_guard<std::mutex> guard (branch.lock);
    for (const auto &line : branch.lines)
      g_ptr_array_add (lines, g_strdup (line.c_str ()));
  }
  auto frames = frames_of (lines, branch.kind);
  g_ptr_array_unref (lines);
  return frames;
}

/* Runs `command` (a gst-launch-1.0 argument list) with the data directory
 * under unshare -n; returns its exit status. */
gint
run_without_network (const gchar *data_dir, const std::vector<const gchar *> &command, gchar **err)
{
  std::vector<const gchar *> argv = { "unshare", geteuid () == 0 ? "-n" : "-rn", "--" };
  argv.insert (argv.end (), command.begin (), command.end ());
  argv.push_back (nullptr);
  gchar **envp = g_get_environ ();
  envp = g_environ_setenv (envp, "GST_OFFLINE_DIR", data_dir, TRUE);
  gint status = 0;
  GError *error = nullptr;
  if (!g_spawn_sync (nullptr, const_cast<gchar **> (argv.data ()), envp, G_SPAWN_SEARCH_PATH, nullptr, nullptr,
          nullptr, err, &status, &error))
    ck_abort_msg ("cannot run %s: %s", command[0], error->message);
  g_strfreev (envp);
  return g_spawn_check_wait_status (status, nullptr) ? 0 : 1;
}

/* Plays `uri` in this process: prerolls, answers *duration, seeks to
 * `target` (flushing, accurate), plays to the end; returns the video and
 * audio frames decoded after the seek (a flush empties what came before). */
void
play_after_seek (const gchar *uri, const gchar *data_dir, GstClockTime target, gint64 *duration,
    std::vector<Frame> *video, std::vector<Frame> *audio)
{
  Player player;
  player.data_dir = const_cast<gchar *> (data_dir);
  player.pipeline = gst_pipeline_new (nullptr);
  GstElement *decodebin = gst_element_factory_make ("uridecodebin", nullptr);
  g_object_set (decodebin, "uri", uri, nullptr);
  g_signal_connect (decodebin, "source-setup", G_CALLBACK (on_source_setup), &player);
  g_signal_connect (decodebin, "pad-added", G_CALLBACK (on_pad_added), &player);
  gst_bin_add (GST_BIN (player.pipeline), decodebin);

  gst_element_set_state (player.pipeline, GST_STATE_PAUSED);
  wait_for (player.pipeline, GST_MESSAGE_ASYNC_DONE);

  *duration = -1;
  fail_unless (gst_element_query_duration (player.pipeline, GST_FORMAT_TIME, duration));
  GstQuery *seeking = gst_query_new_seeking (GST_FORMAT_TIME);
  fail_unless (gst_element_query (player.pipeline, seeking));
  gboolean seekable = FALSE;
  gst_query_parse_seeking (seeking, nullptr, &seekable, nullptr, nullptr);
  fail_unless (seekable, "%s is not seekable", uri);
  gst_query_unref (seeking);

  fail_unless (gst_element_seek_simple (player.pipeline, GST_FORMAT_TIME,
      static_cast<GstSeekFlags> (GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE), target));
  wait_for (player.pipeline, GST_MESSAGE_ASYNC_DONE);
  gst_element_set_state (player.pipeline, GST_STATE_PLAYING);
  wait_for (player.pipeline, GST_MESSAGE_EOS);
  gst_element_set_state (player.pipeline, GST_STATE_NULL);

  *video = lines_to_frames (player.video);
  *audio = lines_to_frames (player.audio);
  gst_object_unref (player.pipeline);
}

/* Runs a program; fails the test if it does not exit 0. */
void
run_or_fail (const std::vector<const gchar *> &command, const gchar *dir)
{
  std::vector<const gchar *> argv (command);
  argv.push_back (nullptr);
  gchar *err = nullptr;
  gint status = 0;
  GError *error = nullptr;
  if (!g_spawn_sync (dir, const_cast<gchar **> (argv.data ()), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr,
          nullptr, &err, &status, &error))
    ck_abort_msg ("cannot run %s: %s", command[0], error->message);
  fail_unless (g_spawn_check_wait_status (status, nullptr), "%s failed: %s", command[0], err);
  g_free (err);
}

}  // namespace ot
