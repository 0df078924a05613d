/* End-to-end tests of the cachesrc element: downloads made through the public
 * library from a local HTTP server, then played back from the cache in pull
 * mode, in push mode, through uridecodebin without network, and broken in the
 * ways a user may break them.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>

#include "test-support.h"

#include <glib/gstdio.h>

#include <cstring>
#include <unistd.h>

namespace {

/* ---- Downloads through the public library --------------------------------- */

struct DownloadWait {
  const gchar *id;
  GMainLoop *loop;
  GstOfflineDownload *terminal;
};

void
on_download_changed (GstOfflineDownloadManager *, GstOfflineDownload *download, gpointer user_data)
{
  auto *wait = static_cast<DownloadWait *> (user_data);
  if (g_strcmp0 (gst_offline_download_get_id (download), wait->id) != 0)
    return;
  GST_DEBUG ("download %s: %s", wait->id,
      gst_offline_download_state_to_string (gst_offline_download_get_state (download)));
  if (!wait->terminal && gst_offline_download_is_terminal (download)) {
    wait->terminal = GST_OFFLINE_DOWNLOAD (g_object_ref (download));
    g_main_loop_quit (wait->loop);
  }
}

/* The download manager of a data directory, made once per process in a main
 * context of its own that download() iterates. It is kept until the process
 * exits, as an application would keep it. */
struct Downloads {
  GMainContext *context;
  GstOfflineDownloadManager *manager;
};

Downloads *
downloads_for (const gchar *data_dir)
{
  static GHashTable *by_dir = nullptr;
  static pid_t owner = 0;
  if (!by_dir || owner != getpid ()) {
    by_dir = g_hash_table_new (g_str_hash, g_str_equal);
    owner = getpid ();
  }
  auto *downloads = static_cast<Downloads *> (g_hash_table_lookup (by_dir, data_dir));
  if (downloads)
    return downloads;

  downloads = g_new0 (Downloads, 1);
  downloads->context = g_main_context_new ();
  g_main_context_push_thread_default (downloads->context);
  GError *error = nullptr;
  downloads->manager = gst_offline_download_manager_new (data_dir, &error);
  g_main_context_pop_thread_default (downloads->context);
  fail_unless (downloads->manager != nullptr, "cannot make a download manager: %s", error ? error->message : "?");
  g_hash_table_insert (by_dir, g_strdup (data_dir), downloads);
  return downloads;
}

/* Adds a progressive download and runs a main loop until it ends; returns its
 * terminal snapshot (transfer full). */
GstOfflineDownload *
download (const gchar *data_dir, const gchar *id, const gchar *url)
{
  Downloads *downloads = downloads_for (data_dir);
  GMainContext *context = downloads->context;
  g_main_context_push_thread_default (context);

  DownloadWait wait = { id, g_main_loop_new (context, FALSE), nullptr };
  gulong handler = g_signal_connect (downloads->manager, "download-changed", G_CALLBACK (on_download_changed), &wait);

  GError *error = nullptr;
  GstOfflineDownloadRequest *request = gst_offline_download_request_new (id, url);
  gst_offline_download_request_set_download_type (request, GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE);
  GstOfflineDownload *added = gst_offline_download_manager_add_download (downloads->manager, request, &error);
  fail_unless (added != nullptr, "cannot add download %s: %s", id, error ? error->message : "?");
  if (!wait.terminal && gst_offline_download_is_terminal (added))
    wait.terminal = GST_OFFLINE_DOWNLOAD (g_object_ref (added));
  g_object_unref (added);
  g_object_unref (request);

  /* Until it ends (one that never does is caught by the harness's timeout). */
  if (!wait.terminal)
    g_main_loop_run (wait.loop);

  g_signal_handler_disconnect (downloads->manager, handler);
  g_main_loop_unref (wait.loop);
  g_main_context_pop_thread_default (context);
  return wait.terminal;
}

void
download_completed (const gchar *data_dir, const gchar *id, const gchar *url)
{
  GstOfflineDownload *result = download (data_dir, id, url);
  const gchar *failure = gst_offline_download_get_failure_message (result);
  fail_unless_equals_int (gst_offline_download_get_state (result), GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
  fail_unless (failure == nullptr || !*failure, "completed download %s has a failure: %s", id, failure);
  g_object_unref (result);
}

/* ---- The content every test plays ------------------------------------------
 * Made once per process (gst-check forks a child per test, and each child
 * makes its own; without fork they are shared). */

struct Content {
  OtServer *server;
  gchar *media_dir;
  gchar *data_dir;
  gchar *faststart;   /* local path of the original, downloaded as "faststart" */
  gchar *moov_at_end; /* downloaded as "moov-at-end" */
};

/* qtdemux in push mode seeks over an mdat only when upstream is larger than
 * 4 MiB (below that it buffers the mdat): a moov-at-end file that big, made
 * quickly by encoding noise losslessly. */
gchar *
make_large_moov_at_end_mp4 (const gchar *dir)
{
  gchar *path = g_build_filename (dir, "large-moov-at-end.mp4", nullptr);
  const gchar *argv[] = {
    "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
    "-f", "lavfi", "-i", "nullsrc=size=320x240:rate=25:duration=2,geq=lum='random(1)*255':cb=128:cr=128",
    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=2",
    "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-g", "25", "-pix_fmt", "yuv420p", "-threads", "1",
    "-c:a", "aac", "-b:a", "64k", "-ac", "2", "-map_metadata", "-1", "-fflags", "+bitexact",
    path, nullptr,
  };
  gchar *err = nullptr;
  gint status = 0;
  GError *error = nullptr;
  fail_unless (ot_spawn_sync (nullptr, (gchar **) argv, nullptr,
                   static_cast<GSpawnFlags> (G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL), nullptr, nullptr,
                   nullptr, &err, &status, &error),
      "cannot run ffmpeg: %s", error ? error->message : "?");
  fail_unless (g_spawn_check_wait_status (status, nullptr), "ffmpeg could not make %s: %s", path, err);
  g_free (err);

  GStatBuf st;
  fail_unless (g_stat (path, &st) == 0 && st.st_size > 4 * 1024 * 1024 + 1024 * 1024,
      "%s is too small to make qtdemux seek", path);
  return path;
}

Content *
content (void)
{
  static Content *content = nullptr;
  static pid_t owner = 0;
  if (content && owner == getpid ())
    return content;

  content = g_new0 (Content, 1);
  owner = getpid ();
  content->server = ot_server_new ();
  content->media_dir = ot_make_temp_dir ("media");
  content->data_dir = ot_make_temp_dir ("data");
  content->faststart = ot_make_mp4 (content->media_dir, "faststart.mp4", 2, FALSE);
  content->moov_at_end = ot_make_mp4 (content->media_dir, "moov-at-end.mp4", 2, TRUE);

  gchar *url = ot_server_add_file (content->server, "/faststart.mp4", content->faststart);
  download_completed (content->data_dir, "faststart", url);
  g_free (url);
  url = ot_server_add_file (content->server, "/moov-at-end.mp4", content->moov_at_end);
  download_completed (content->data_dir, "moov-at-end", url);
  g_free (url);
  return content;
}

/* ---- Pipelines ------------------------------------------------------------ */

GstElement *
make_cachesrc (const gchar *download_id, const gchar *data_dir)
{
  GstElement *src = gst_element_factory_make ("cachesrc", nullptr);
  fail_unless (src != nullptr, "no cachesrc element: is GST_PLUGIN_PATH set?");
  gchar *uri = g_strdup_printf ("offline://%s", download_id);
  g_object_set (src, "uri", uri, "cache-dir", data_dir, nullptr);
  g_free (uri);
  return src;
}

/* A gst-launch description whose element named "src" is a cachesrc. */
GstElement *
make_pipeline (const gchar *description, const gchar *download_id, const gchar *data_dir)
{
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch (description, &error);
  fail_unless (pipeline != nullptr && error == nullptr, "cannot make '%s': %s", description,
      error ? error->message : "?");
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  fail_unless (src != nullptr);
  gchar *uri = g_strdup_printf ("offline://%s", download_id);
  g_object_set (src, "uri", uri, "cache-dir", data_dir, nullptr);
  g_free (uri);
  gst_object_unref (src);
  return pipeline;
}

/* Plays to EOS or an error; returns NULL at EOS or the error's message (a
 * pipeline that never ends is caught by the harness's timeout). Leaves the
 * pipeline in NULL. */
gchar *
run_pipeline (GstElement *pipeline)
{
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *message = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      static_cast<GstMessageType> (GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless (message != nullptr);

  gchar *result = nullptr;
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    GError *error = nullptr;
    gchar *debug = nullptr;
    gst_message_parse_error (message, &error, &debug);
    GST_INFO ("error from %s: %s (%s)", GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), error->message, debug);
    result = g_strdup (error->message);
    g_error_free (error);
    g_free (debug);
  }
  gst_message_unref (message);
  gst_object_unref (bus);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  return result;
}

/* The error cachesrc posts for `download_id` (fails the test if it plays). */
gchar *
expect_error (const gchar *download_id, const gchar *data_dir)
{
  GstElement *pipeline = make_pipeline ("cachesrc name=src ! fakesink", download_id, data_dir);
  gchar *message = run_pipeline (pipeline);
  gst_object_unref (pipeline);
  fail_unless (message != nullptr, "offline://%s played without an error", download_id);
  return message;
}

void
assert_contains (const gchar *haystack, const gchar *needle)
{
  fail_unless (haystack && strstr (haystack, needle), "'%s' does not contain '%s'", haystack, needle);
}

/* ---- What the src pad sends in push mode ----------------------------------- */

struct PushRecord {
  guint buffers = 0;
  guint64 next_offset = 0;
  bool offsets_contiguous = true;
  bool first_discont = false;
  guint stream_starts = 0;
  bool has_group_id = false;
  guint bytes_segments = 0;
  guint segments_after_start = 0; /* segments starting after byte 0: seeks */
  guint64 last_segment_start = 0;
  guint32 last_segment_seqnum = 0;
  guint64 first_offset_after_segment = G_MAXUINT64;
  bool expect_first_after_segment = false;
  GMutex lock = {}; /* zeroed: usable without g_mutex_init() */
};

GstPadProbeReturn
record_push (GstPad *, GstPadProbeInfo *info, gpointer user_data)
{
  auto *record = static_cast<PushRecord *> (user_data);
  g_mutex_lock (&record->lock);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
    if (record->buffers == 0)
      record->first_discont = GST_BUFFER_IS_DISCONT (buffer);
    if (record->expect_first_after_segment) {
      record->first_offset_after_segment = GST_BUFFER_OFFSET (buffer);
      record->expect_first_after_segment = false;
      fail_unless (GST_BUFFER_IS_DISCONT (buffer), "the first buffer after a segment is not DISCONT");
    } else if (GST_BUFFER_OFFSET (buffer) != record->next_offset) {
      record->offsets_contiguous = false;
    }
    record->next_offset = GST_BUFFER_OFFSET (buffer) + gst_buffer_get_size (buffer);
    fail_unless_equals_uint64 (GST_BUFFER_OFFSET_END (buffer), record->next_offset);
    record->buffers++;
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (event) == GST_EVENT_STREAM_START) {
      guint group_id;
      record->stream_starts++;
      record->has_group_id = gst_event_parse_group_id (event, &group_id);
    } else if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT) {
      const GstSegment *segment;
      gst_event_parse_segment (event, &segment);
      if (segment->format == GST_FORMAT_BYTES)
        record->bytes_segments++;
      if (segment->start > 0)
        record->segments_after_start++;
      record->last_segment_start = segment->start;
      record->last_segment_seqnum = gst_event_get_seqnum (event);
      record->next_offset = segment->start;
      record->expect_first_after_segment = true;
    }
  }
  g_mutex_unlock (&record->lock);
  return GST_PAD_PROBE_OK;
}

void
record_pad (GstElement *src, PushRecord *record)
{
  /* The pad appears in READY->PAUSED: probe it as soon as it is added. */
  g_signal_connect (src, "pad-added", G_CALLBACK (+[] (GstElement *, GstPad *pad, gpointer user_data) {
    gst_pad_add_probe (pad, static_cast<GstPadProbeType> (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
        record_push, user_data, nullptr);
  }), record);
}

} // namespace

/* ---- 1. Push mode: cachesrc ! filesink ------------------------------------- */

GST_START_TEST (test_push_to_filesink)
{
  Content *c = content ();
  gchar *out_dir = ot_make_temp_dir ("out");
  gchar *out = g_build_filename (out_dir, "copy.mp4", nullptr);

  /* A block size that does not divide the file: the last buffer is short. */
  GstElement *pipeline = make_pipeline ("cachesrc name=src blocksize=1000 ! filesink name=sink", "faststart",
      c->data_dir);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (sink, "location", out, nullptr);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  PushRecord record;
  record_pad (src, &record);

  gchar *error = run_pipeline (pipeline);
  fail_unless (error == nullptr, "cachesrc ! filesink failed: %s", error);

  GBytes *original = ot_read_file (c->faststart);
  GBytes *copy = ot_read_file (out);
  gsize size = g_bytes_get_size (original);
  fail_unless (size % 1000 != 0, "the test wants a file size that 1000 does not divide");
  fail_unless_equals_uint64 (g_bytes_get_size (copy), size);
  fail_unless (g_bytes_equal (original, copy), "the copy differs from the original");

  fail_unless_equals_int (record.buffers, (size + 999) / 1000);
  fail_unless (record.offsets_contiguous, "buffer offsets are not contiguous");
  fail_unless (record.first_discont, "the first buffer is not DISCONT");
  fail_unless_equals_int (record.stream_starts, 1);
  fail_unless (record.has_group_id, "stream-start has no group id");
  fail_unless_equals_int (record.bytes_segments, 1);

  g_bytes_unref (original);
  g_bytes_unref (copy);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_free (out);
  g_free (out_dir);
}
GST_END_TEST;

/* ---- 2. Pull mode: getrange at random offsets ------------------------------ */

static void
activate_pull_on_pad_added (GstElement *, GstPad *pad, gpointer user_data)
{
  /* What typefind does in decodebin: link, then switch to pull mode before
   * no-more-pads. */
  GstPad *sinkpad = GST_PAD (user_data);
  fail_unless_equals_int (gst_pad_link (pad, sinkpad), GST_PAD_LINK_OK);
  fail_unless (gst_pad_activate_mode (sinkpad, GST_PAD_MODE_PULL, TRUE), "cannot pull from %s", GST_PAD_NAME (pad));
}

GST_START_TEST (test_pull_random_access)
{
  Content *c = content ();
  GBytes *original = ot_read_file (c->moov_at_end);
  gsize size;
  const guint8 *data = static_cast<const guint8 *> (g_bytes_get_data (original, &size));

  GstElement *src = make_cachesrc ("moov-at-end", c->data_dir);
  GstPad *sinkpad = gst_pad_new ("sink", GST_PAD_SINK);
  g_signal_connect (src, "pad-added", G_CALLBACK (activate_pull_on_pad_added), sinkpad);
  fail_unless_equals_int (gst_element_set_state (src, GST_STATE_PAUSED), GST_STATE_CHANGE_SUCCESS);

  GstPad *srcpad = gst_element_get_static_pad (src, "src_0");
  fail_unless (srcpad != nullptr, "no src_0 pad in PAUSED");
  fail_unless_equals_int (GST_PAD_MODE (srcpad), GST_PAD_MODE_PULL);
  /* Switched to pull before it was exposed: no push task was ever started. */
  fail_unless (GST_PAD_TASK (srcpad) == nullptr, "a push task runs on a pad in pull mode");

  /* What decodebin's typefind and qtdemux ask first. */
  GstQuery *query = gst_query_new_scheduling ();
  fail_unless (gst_pad_peer_query (sinkpad, query));
  fail_unless (gst_query_has_scheduling_mode_with_flags (query, GST_PAD_MODE_PULL, GST_SCHEDULING_FLAG_SEEKABLE));
  fail_unless (gst_query_has_scheduling_mode (query, GST_PAD_MODE_PUSH));
  gst_query_unref (query);
  gint64 duration = -1;
  fail_unless (gst_pad_peer_query_duration (sinkpad, GST_FORMAT_BYTES, &duration));
  fail_unless_equals_int64 (duration, (gint64) size);

  GRand *rand = g_rand_new_with_seed (42);
  for (guint i = 0; i < 300; i++) {
    guint64 offset = g_rand_int_range (rand, 0, (gint32) size);
    guint length = g_rand_int_range (rand, 1, 200000);
    GstBuffer *buffer = nullptr;
    fail_unless_equals_int (gst_pad_pull_range (sinkpad, offset, length, &buffer), GST_FLOW_OK);
    gsize expected = MIN ((guint64) length, size - offset);
    fail_unless_equals_uint64 (gst_buffer_get_size (buffer), expected);
    fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buffer), offset);
    fail_unless (gst_buffer_memcmp (buffer, 0, data + offset, expected) == 0,
        "bytes %" G_GUINT64_FORMAT "+%" G_GSIZE_FORMAT " differ", offset, expected);
    gst_buffer_unref (buffer);
  }
  g_rand_free (rand);

  /* A short read at the end, then EOS at and after the end. */
  GstBuffer *buffer = nullptr;
  fail_unless_equals_int (gst_pad_pull_range (sinkpad, size - 7, 4096, &buffer), GST_FLOW_OK);
  fail_unless_equals_uint64 (gst_buffer_get_size (buffer), 7);
  fail_unless (gst_buffer_memcmp (buffer, 0, data + size - 7, 7) == 0);
  gst_buffer_unref (buffer);
  buffer = nullptr;
  fail_unless_equals_int (gst_pad_pull_range (sinkpad, size, 1, &buffer), GST_FLOW_EOS);
  fail_unless_equals_int (gst_pad_pull_range (sinkpad, size + 1000, 10, &buffer), GST_FLOW_EOS);

  /* Into a buffer the caller provides. */
  buffer = gst_buffer_new_allocate (nullptr, 100, nullptr);
  GstBuffer *provided = buffer;
  fail_unless_equals_int (gst_pad_pull_range (sinkpad, 1234, 100, &buffer), GST_FLOW_OK);
  fail_unless (buffer == provided);
  fail_unless (gst_buffer_memcmp (buffer, 0, data + 1234, 100) == 0);
  gst_buffer_unref (buffer);

  fail_unless_equals_int (gst_element_set_state (src, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  fail_unless (gst_element_get_static_pad (src, "src_0") == nullptr, "src_0 is still there in NULL");
  gst_pad_activate_mode (sinkpad, GST_PAD_MODE_PULL, FALSE);
  gst_object_unref (srcpad);

  /* The element can start again: a new src_0 appears. */
  fail_unless_equals_int (gst_element_set_state (src, GST_STATE_PAUSED), GST_STATE_CHANGE_SUCCESS);
  srcpad = gst_element_get_static_pad (src, "src_0");
  fail_unless (srcpad != nullptr, "no src_0 pad in PAUSED the second time");
  buffer = nullptr;
  fail_unless_equals_int (gst_pad_pull_range (sinkpad, 0, 1000, &buffer), GST_FLOW_OK);
  fail_unless (gst_buffer_memcmp (buffer, 0, data, 1000) == 0);
  gst_buffer_unref (buffer);
  fail_unless_equals_int (gst_element_set_state (src, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  gst_pad_activate_mode (sinkpad, GST_PAD_MODE_PULL, FALSE);

  gst_object_unref (srcpad);
  gst_object_unref (sinkpad);
  gst_object_unref (src);
  g_bytes_unref (original);
}
GST_END_TEST;

/* ---- 3. uridecodebin, no network: the same frames as the original ------------ */

static void
assert_decodes_like_original (const gchar *download_id, const gchar *original_path)
{
  Content *c = content ();
  gchar *message = nullptr;

  gchar *file_uri = gst_filename_to_uri (original_path, nullptr);
  GPtrArray *expected = ot_decode_checksums (file_uri, nullptr, FALSE, &message);
  fail_unless (expected != nullptr, "cannot decode %s: %s", file_uri, message);

  gchar *offline_uri = g_strdup_printf ("offline://%s", download_id);
  GPtrArray *actual = ot_decode_checksums (offline_uri, c->data_dir, TRUE, &message);
  fail_unless (actual != nullptr, "cannot decode %s without network: %s", offline_uri, message);

  ot_assert_same_frames (expected, actual);

  g_ptr_array_unref (expected);
  g_ptr_array_unref (actual);
  g_free (file_uri);
  g_free (offline_uri);
}

GST_START_TEST (test_uridecodebin_faststart)
{
  assert_decodes_like_original ("faststart", content ()->faststart);
}
GST_END_TEST;

GST_START_TEST (test_uridecodebin_moov_at_end)
{
  assert_decodes_like_original ("moov-at-end", content ()->moov_at_end);
}
GST_END_TEST;

/* ---- 4. Push mode into qtdemux: upstream BYTES seeks -------------------------- */

struct DecodedCount {
  guint video = 0;
  guint audio = 0;
};

static GstPadProbeReturn
count_decoded (GstPad *pad, GstPadProbeInfo *, gpointer user_data)
{
  auto *count = static_cast<DecodedCount *> (user_data);
  GstCaps *caps = gst_pad_get_current_caps (pad);
  const gchar *name = caps ? gst_structure_get_name (gst_caps_get_structure (caps, 0)) : "";
  if (g_str_has_prefix (name, "video/"))
    g_atomic_int_inc (&count->video);
  else if (g_str_has_prefix (name, "audio/"))
    g_atomic_int_inc (&count->audio);
  if (caps)
    gst_caps_unref (caps);
  return GST_PAD_PROBE_OK;
}

static void
link_decoded_pad (GstElement *decodebin, GstPad *pad, gpointer user_data)
{
  GstElement *pipeline = GST_ELEMENT (gst_element_get_parent (decodebin));
  GstElement *sink = gst_element_factory_make ("fakesink", nullptr);
  g_object_set (sink, "sync", FALSE, nullptr);
  gst_bin_add (GST_BIN (pipeline), sink);
  GstPad *sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER, count_decoded, user_data, nullptr);
  fail_unless_equals_int (gst_pad_link (pad, sinkpad), GST_PAD_LINK_OK);
  gst_element_sync_state_with_parent (sink);
  gst_object_unref (sinkpad);
  gst_object_unref (pipeline);
}

GST_START_TEST (test_push_through_queue_moov_at_end)
{
  Content *c = content ();
  gchar *large = make_large_moov_at_end_mp4 (c->media_dir);
  gchar *url = ot_server_add_file (c->server, "/large-moov-at-end.mp4", large);
  download_completed (c->data_dir, "large-moov-at-end", url);

  gchar *message = nullptr;
  gchar *file_uri = gst_filename_to_uri (large, nullptr);
  GPtrArray *expected = ot_decode_checksums (file_uri, nullptr, FALSE, &message);
  fail_unless (expected != nullptr, "cannot decode %s: %s", file_uri, message);
  guint expected_video = 0;
  for (guint i = 0; i < expected->len; i++)
    if (g_str_has_prefix (static_cast<const gchar *> (g_ptr_array_index (expected, i)), "video "))
      expected_video++;
  fail_unless (expected_video > 0);

  /* The queue makes qtdemux run in push mode: it must seek upstream in BYTES
   * to read the moov after the mdat, then back. */
  GstElement *pipeline = make_pipeline ("cachesrc name=src ! queue ! decodebin name=dec", "large-moov-at-end",
      c->data_dir);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GstElement *dec = gst_bin_get_by_name (GST_BIN (pipeline), "dec");
  PushRecord record;
  record_pad (src, &record);
  DecodedCount count;
  g_signal_connect (dec, "pad-added", G_CALLBACK (link_decoded_pad), &count);

  gchar *error = run_pipeline (pipeline);
  fail_unless (error == nullptr, "cachesrc ! queue ! decodebin failed: %s", error);
  fail_unless (record.segments_after_start > 0, "qtdemux never seeked: was the moov really at the end?");
  fail_unless (record.buffers > 0);
  fail_unless_equals_int (count.video, expected_video);
  fail_unless (count.audio > 0, "no audio decoded");

  gst_object_unref (src);
  gst_object_unref (dec);
  gst_object_unref (pipeline);
  g_ptr_array_unref (expected);
  g_free (file_uri);
  g_free (url);
  g_free (large);
}
GST_END_TEST;

/* ---- Push mode: seeks from the application -------------------------------- */

GST_START_TEST (test_push_bytes_seek)
{
  Content *c = content ();
  GBytes *original = ot_read_file (c->faststart);
  gsize size = g_bytes_get_size (original);
  fail_unless (size > 20000);

  GstElement *pipeline = make_pipeline ("cachesrc name=src blocksize=1000 ! fakesink name=sink sync=false",
      "faststart", c->data_dir);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  PushRecord record;
  record_pad (src, &record);

  fail_unless (gst_element_set_state (pipeline, GST_STATE_PAUSED) != GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (gst_element_get_state (pipeline, nullptr, nullptr, GST_CLOCK_TIME_NONE),
      GST_STATE_CHANGE_SUCCESS);

  GstPad *srcpad = gst_element_get_static_pad (src, "src_0");
  fail_unless_equals_int (GST_PAD_MODE (srcpad), GST_PAD_MODE_PUSH);
  GstQuery *query = gst_query_new_seeking (GST_FORMAT_BYTES);
  fail_unless (gst_pad_query (srcpad, query));
  gboolean seekable = FALSE;
  gint64 seek_end = 0;
  gst_query_parse_seeking (query, nullptr, &seekable, nullptr, &seek_end);
  fail_unless (seekable);
  fail_unless_equals_int64 (seek_end, (gint64) size);
  gst_query_unref (query);
  query = gst_query_new_uri ();
  fail_unless (gst_pad_query (srcpad, query));
  gchar *uri = nullptr;
  gst_query_parse_uri (query, &uri);
  fail_unless_equals_string (uri, "offline://faststart");
  g_free (uri);
  gst_query_unref (query);

  /* Only BYTES seeks. */
  fail_if (gst_element_seek (pipeline, 1.0, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH, GST_SEEK_TYPE_SET, GST_SECOND,
      GST_SEEK_TYPE_NONE, -1), "a TIME seek was accepted");

  GstEvent *seek = gst_event_new_seek (1.0, GST_FORMAT_BYTES, GST_SEEK_FLAG_FLUSH, GST_SEEK_TYPE_SET, 5500,
      GST_SEEK_TYPE_SET, 17250);
  guint32 seqnum = gst_event_get_seqnum (seek);
  fail_unless (gst_element_send_event (pipeline, seek), "a flushing BYTES seek was refused");
  fail_unless_equals_int (gst_element_get_state (pipeline, nullptr, nullptr, GST_CLOCK_TIME_NONE),
      GST_STATE_CHANGE_SUCCESS);
  g_mutex_lock (&record.lock);
  fail_unless_equals_uint64 (record.last_segment_start, 5500);
  fail_unless_equals_int (record.last_segment_seqnum, seqnum);
  g_mutex_unlock (&record.lock);

  gchar *error = run_pipeline (pipeline);
  fail_unless (error == nullptr, "playing after a seek failed: %s", error);
  fail_unless_equals_uint64 (record.first_offset_after_segment, 5500);
  /* The segment stop ends the stream: the last buffer is cut at 17250. */
  fail_unless_equals_uint64 (record.next_offset, 17250);

  gst_object_unref (srcpad);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  g_bytes_unref (original);
}
GST_END_TEST;

/* Flushing seeks in quick succession while data flows through a queue: no
 * deadlock, and the stream ends where the last seek says. */
GST_START_TEST (test_push_many_flushing_seeks)
{
  Content *c = content ();
  GBytes *original = ot_read_file (c->faststart);
  gint64 size = g_bytes_get_size (original);
  g_bytes_unref (original);

  GstElement *pipeline = make_pipeline ("cachesrc name=src blocksize=100 ! queue max-size-buffers=4 ! "
      "fakesink sync=false", "faststart", c->data_dir);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  PushRecord record;
  record_pad (src, &record);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (gst_element_get_state (pipeline, nullptr, nullptr, GST_CLOCK_TIME_NONE),
      GST_STATE_CHANGE_SUCCESS);

  GRand *rand = g_rand_new_with_seed (7);
  gint64 start = 0;
  guint32 seqnum = 0;
  for (guint i = 0; i < 60; i++) {
    start = g_rand_int_range (rand, 0, (gint32) size);
    GstEvent *seek = gst_event_new_seek (1.0, GST_FORMAT_BYTES, GST_SEEK_FLAG_FLUSH, GST_SEEK_TYPE_SET, start,
        GST_SEEK_TYPE_NONE, -1);
    seqnum = gst_event_get_seqnum (seek);
    fail_unless (gst_element_send_event (pipeline, seek), "flushing seek %u refused", i);
    /* Let the streaming thread run a little between some seeks, by a
     * random number of turns rather than a time. */
    if (i % 3 == 0)
      for (gint turns = g_rand_int_range (rand, 0, 200); turns > 0; turns--)
        g_thread_yield ();
  }
  g_rand_free (rand);

  /* Earlier segments may have reached their EOS: wait for the last seek's. */
  GstBus *bus = gst_element_get_bus (pipeline);
  for (;;) {
    GstMessage *message = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
        static_cast<GstMessageType> (GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    fail_unless (message != nullptr, "no EOS after the last seek");
    fail_unless_equals_int (GST_MESSAGE_TYPE (message), GST_MESSAGE_EOS);
    bool last = gst_message_get_seqnum (message) == seqnum;
    gst_message_unref (message);
    if (last)
      break;
  }
  gst_object_unref (bus);

  g_mutex_lock (&record.lock);
  fail_unless_equals_uint64 (record.last_segment_start, start);
  fail_unless_equals_uint64 (record.next_offset, size);
  g_mutex_unlock (&record.lock);

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (src);
  gst_object_unref (pipeline);
}
GST_END_TEST;

/* A non-flushing seek while the task is blocked in preroll returns at once
 * and takes effect after the buffer being pushed. */
GST_START_TEST (test_push_non_flushing_seek)
{
  Content *c = content ();
  GstElement *pipeline = make_pipeline ("cachesrc name=src blocksize=1000 ! fakesink sync=false", "faststart",
      c->data_dir);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  PushRecord record;
  record_pad (src, &record);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PAUSED) != GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (gst_element_get_state (pipeline, nullptr, nullptr, GST_CLOCK_TIME_NONE),
      GST_STATE_CHANGE_SUCCESS);

  GstEvent *seek = gst_event_new_seek (1.0, GST_FORMAT_BYTES, GST_SEEK_FLAG_NONE, GST_SEEK_TYPE_SET, 20000,
      GST_SEEK_TYPE_SET, 30000);
  guint32 seqnum = gst_event_get_seqnum (seek);
  /* The sink holds the preroll buffer until PLAYING, so a seek that waited
   * for downstream would never return (and the harness's timeout would
   * end the test). */
  fail_unless (gst_element_send_event (pipeline, seek));

  gchar *error = run_pipeline (pipeline);
  fail_unless (error == nullptr, "playing after a non-flushing seek failed: %s", error);
  fail_unless_equals_uint64 (record.last_segment_start, 20000);
  fail_unless_equals_int (record.last_segment_seqnum, seqnum);
  fail_unless_equals_uint64 (record.first_offset_after_segment, 20000);
  fail_unless_equals_uint64 (record.next_offset, 30000);
  gst_object_unref (src);
  gst_object_unref (pipeline);
}
GST_END_TEST;

/* A seek sent to the element before it has pads applies to its first push. */
GST_START_TEST (test_push_seek_before_start)
{
  Content *c = content ();
  GstElement *pipeline = make_pipeline ("cachesrc name=src blocksize=4096 ! fakesink sync=false", "faststart",
      c->data_dir);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  PushRecord record;
  record_pad (src, &record);
  fail_unless (gst_element_send_event (src, gst_event_new_seek (1.0, GST_FORMAT_BYTES, GST_SEEK_FLAG_NONE,
      GST_SEEK_TYPE_SET, 3000, GST_SEEK_TYPE_NONE, -1)));

  gchar *error = run_pipeline (pipeline);
  fail_unless (error == nullptr, "playing after a seek in NULL failed: %s", error);
  fail_unless_equals_uint64 (record.last_segment_start, 3000);
  fail_unless_equals_uint64 (record.first_offset_after_segment, 3000);
  GBytes *original = ot_read_file (c->faststart);
  fail_unless_equals_uint64 (record.next_offset, g_bytes_get_size (original));
  fail_unless (record.offsets_contiguous);
  g_bytes_unref (original);
  gst_object_unref (src);
  gst_object_unref (pipeline);
}
GST_END_TEST;

/* A pipeline stopped while cachesrc is blocked pushing into a prerolled sink
 * goes down at once. */
GST_START_TEST (test_stop_while_pushing)
{
  Content *c = content ();
  for (guint i = 0; i < 5; i++) {
    GstElement *pipeline = make_pipeline ("cachesrc name=src blocksize=100 ! fakesink sync=true", "faststart",
        c->data_dir);
    fail_unless (gst_element_set_state (pipeline, GST_STATE_PAUSED) != GST_STATE_CHANGE_FAILURE);
    fail_unless_equals_int (gst_element_get_state (pipeline, nullptr, nullptr, GST_CLOCK_TIME_NONE),
        GST_STATE_CHANGE_SUCCESS);
    fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
    gst_object_unref (pipeline);
  }
}
GST_END_TEST;

/* ---- 5. Errors ---------------------------------------------------------------- */

GST_START_TEST (test_error_unknown_id)
{
  Content *c = content ();
  gchar *message = expect_error ("no-such-download", c->data_dir);
  assert_contains (message, "No download with id 'no-such-download'");
  assert_contains (message, c->data_dir);
  g_free (message);

  /* A data directory that does not exist is not created. */
  gchar *missing = g_build_filename (c->data_dir, "not-there", nullptr);
  message = expect_error ("faststart", missing);
  assert_contains (message, "No download with id 'faststart'");
  fail_if (g_file_test (missing, G_FILE_TEST_EXISTS), "cachesrc created %s", missing);
  g_free (message);
  g_free (missing);
}
GST_END_TEST;

GST_START_TEST (test_error_uri)
{
  GError *error = nullptr;
  GstElement *src = gst_element_make_from_uri (GST_URI_SRC, "offline://movie", nullptr, &error);
  fail_unless (src != nullptr, "no element for offline://: %s", error ? error->message : "?");
  GstElementFactory *factory = gst_element_get_factory (src);
  fail_unless_equals_string (GST_OBJECT_NAME (factory), "cachesrc");

  gchar *download_id = nullptr;
  g_object_get (src, "download-id", &download_id, nullptr);
  fail_unless_equals_string (download_id, "movie");
  g_free (download_id);

  /* GstURIHandler refuses other schemes itself, with its own message. */
  fail_if (gst_uri_handler_set_uri (GST_URI_HANDLER (src), "http://127.0.0.1/movie.mp4", &error));
  fail_unless (g_error_matches (error, GST_URI_ERROR, GST_URI_ERROR_UNSUPPORTED_PROTOCOL));
  assert_contains (error->message, "http");
  g_clear_error (&error);

  fail_if (gst_uri_handler_set_uri (GST_URI_HANDLER (src), "offline://", &error));
  fail_unless (g_error_matches (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI));
  assert_contains (error->message, "names no download");
  g_clear_error (&error);

  /* The failed attempts left the URI as it was. */
  gchar *uri = gst_uri_handler_get_uri (GST_URI_HANDLER (src));
  fail_unless_equals_string (uri, "offline://movie");
  g_free (uri);

  /* Ids are percent-decoded, and encoded back. */
  fail_unless (gst_uri_handler_set_uri (GST_URI_HANDLER (src), "offline://my%20movie", &error));
  g_object_get (src, "download-id", &download_id, nullptr);
  fail_unless_equals_string (download_id, "my movie");
  g_free (download_id);
  uri = gst_uri_handler_get_uri (GST_URI_HANDLER (src));
  fail_unless_equals_string (uri, "offline://my%20movie");
  g_free (uri);
  gst_object_unref (src);

  fail_unless (gst_element_make_from_uri (GST_URI_SRC, "offline://", nullptr, &error) == nullptr);
  fail_unless (error != nullptr);
  g_clear_error (&error);

  /* A wrong uri property is reported when the element starts. */
  GstElement *pipeline = gst_parse_launch ("cachesrc name=src ! fakesink", nullptr);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  g_object_set (src, "uri", "file:///tmp/movie.mp4", nullptr);
  gchar *message = run_pipeline (pipeline);
  assert_contains (message, "offline://<download-id>");
  assert_contains (message, "file:///tmp/movie.mp4");
  g_free (message);
  gst_object_unref (src);
  gst_object_unref (pipeline);
}
GST_END_TEST;

GST_START_TEST (test_error_incomplete)
{
  Content *c = content ();
  gchar *url = g_strdup_printf ("%s/not-served.mp4", ot_server_get_base_url (c->server));
  GstOfflineDownload *result = download (c->data_dir, "broken", url);
  fail_unless_equals_int (gst_offline_download_get_state (result), GST_OFFLINE_DOWNLOAD_STATE_FAILED);
  g_object_unref (result);

  gchar *message = expect_error ("broken", c->data_dir);
  assert_contains (message, "Download 'broken' is not complete");
  assert_contains (message, "state failed");
  g_free (message);
  g_free (url);
}
GST_END_TEST;

GST_START_TEST (test_error_damaged_cache)
{
  Content *c = content ();
  GBytes *original = ot_read_file (c->faststart);
  gsize size = g_bytes_get_size (original);
  g_bytes_unref (original);

  /* Copies of a download under URLs of their own: their own cache files. */
  const gchar *ids[] = { "deleted", "truncated" };
  for (const gchar *id : ids) {
    gchar *path = g_strdup_printf ("/%s.mp4", id);
    gchar *url = ot_server_add_file (c->server, path, c->faststart);
    download_completed (c->data_dir, id, url);

    GError *error = nullptr;
    GstOfflineCache *cache = gst_offline_cache_new (c->data_dir, &error);
    fail_unless (cache != nullptr, "%s", error ? error->message : "?");
    guint64 length = 0;
    gchar *cached = gst_offline_cache_lookup (cache, url, &length, &error);
    fail_unless (cached != nullptr, "the cache has no file for %s: %s", url, error ? error->message : "?");
    fail_unless_equals_uint64 (length, size);
    g_object_unref (cache);

    /* It plays before the damage... */
    GstElement *pipeline = make_pipeline ("cachesrc name=src ! fakesink", id, c->data_dir);
    gchar *message = run_pipeline (pipeline);
    fail_unless (message == nullptr, "%s did not play: %s", id, message);
    gst_object_unref (pipeline);

    /* ...and after it, an error says what to do. */
    if (g_str_equal (id, "deleted")) {
      fail_unless_equals_int (unlink (cached), 0);
    } else {
      fail_unless_equals_int (truncate (cached, 1000), 0);
    }
    message = expect_error (id, c->data_dir);
    assert_contains (message, id);
    assert_contains (message, "gst-offline verify");
    g_free (message);

    g_free (cached);
    g_free (url);
    g_free (path);
  }
}
GST_END_TEST;

/* ---- 6. What gst-inspect-1.0 shows ------------------------------------------ */

GST_START_TEST (test_element_description)
{
  GstElementFactory *factory = gst_element_factory_find ("cachesrc");
  fail_unless (factory != nullptr);
  fail_unless_equals_int (gst_plugin_feature_get_rank (GST_PLUGIN_FEATURE (factory)), GST_RANK_PRIMARY);
  fail_unless_equals_string (gst_element_factory_get_metadata (factory, GST_ELEMENT_METADATA_KLASS), "Source/File");
  fail_unless_equals_string (gst_element_factory_get_metadata (factory, GST_ELEMENT_METADATA_LONGNAME),
      "Offline cache source");
  fail_unless_equals_int (gst_element_factory_get_uri_type (factory), GST_URI_SRC);
  const gchar *const *protocols = gst_element_factory_get_uri_protocols (factory);
  fail_unless (protocols && g_strv_contains (protocols, "offline"));
  GstPlugin *plugin = gst_plugin_feature_get_plugin (GST_PLUGIN_FEATURE (factory));
  fail_unless_equals_string (gst_plugin_get_name (plugin), "offline");
  gst_object_unref (plugin);

  /* uridecodebin looks at the first src template only: it must be SOMETIMES. */
  const GList *templates = gst_element_factory_get_static_pad_templates (factory);
  fail_unless_equals_int (g_list_length ((GList *) templates), 1);
  auto *templ = static_cast<GstStaticPadTemplate *> (templates->data);
  fail_unless_equals_string (templ->name_template, "src_%u");
  fail_unless_equals_int (templ->direction, GST_PAD_SRC);
  fail_unless_equals_int (templ->presence, GST_PAD_SOMETIMES);
  GstCaps *caps = gst_static_caps_get (&templ->static_caps);
  fail_unless (gst_caps_is_any (caps));
  gst_caps_unref (caps);

  GstElement *src = gst_element_factory_create (factory, nullptr);
  fail_unless (src != nullptr);
  GObjectClass *klass = G_OBJECT_GET_CLASS (src);
  const gchar *names[] = { "uri", "download-id", "cache-dir", "blocksize" };
  for (const gchar *name : names) {
    GParamSpec *pspec = g_object_class_find_property (klass, name);
    fail_unless (pspec != nullptr, "no property %s", name);
    fail_unless ((pspec->flags & G_PARAM_READWRITE) == G_PARAM_READWRITE, "%s is not read-write", name);
    fail_unless (pspec->flags & GST_PARAM_MUTABLE_READY, "%s is not mutable in READY", name);
    fail_unless (pspec->flags & G_PARAM_STATIC_STRINGS);
    fail_unless (g_param_spec_get_blurb (pspec) && *g_param_spec_get_blurb (pspec));
  }
  fail_unless_equals_int (G_PARAM_SPEC_UINT (g_object_class_find_property (klass, "blocksize"))->default_value, 65536);

  gchar *uri, *download_id, *cache_dir;
  guint blocksize;
  g_object_get (src, "uri", &uri, "download-id", &download_id, "cache-dir", &cache_dir, "blocksize", &blocksize,
      nullptr);
  fail_unless (uri == nullptr && download_id == nullptr && cache_dir == nullptr);
  fail_unless_equals_int (blocksize, 65536);

  g_object_set (src, "download-id", "movie", "cache-dir", "/srv/offline", "blocksize", 4096, nullptr);
  g_object_get (src, "uri", &uri, "cache-dir", &cache_dir, "blocksize", &blocksize, nullptr);
  fail_unless_equals_string (uri, "offline://movie");
  fail_unless_equals_string (cache_dir, "/srv/offline");
  fail_unless_equals_int (blocksize, 4096);
  g_free (uri);
  g_free (cache_dir);

  gst_object_unref (src);
  gst_object_unref (factory);
}
GST_END_TEST;

static Suite *
cachesrc_suite (void)
{
  Suite *s = suite_create ("cachesrc");

  TCase *tc = tcase_create ("description");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_element_description);
  tcase_add_test (tc, test_error_uri);

  tc = tcase_create ("playback");
  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 240);
  tcase_add_test (tc, test_push_to_filesink);
  tcase_add_test (tc, test_pull_random_access);
  tcase_add_test (tc, test_uridecodebin_faststart);
  tcase_add_test (tc, test_uridecodebin_moov_at_end);
  tcase_add_test (tc, test_push_through_queue_moov_at_end);
  tcase_add_test (tc, test_push_bytes_seek);
  tcase_add_test (tc, test_push_seek_before_start);
  tcase_add_test (tc, test_push_many_flushing_seeks);
  tcase_add_test (tc, test_push_non_flushing_seek);
  tcase_add_test (tc, test_stop_while_pushing);

  tc = tcase_create ("errors");
  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 240);
  tcase_add_test (tc, test_error_unknown_id);
  tcase_add_test (tc, test_error_incomplete);
  tcase_add_test (tc, test_error_damaged_cache);

  return s;
}

GST_CHECK_MAIN (cachesrc);
