/* Play while downloading: playbin plays offline://ID while the download
 * runs, in this process (a GstOfflineDownloadManager) or in another (the
 * CLI's `download`). The test's server holds the download back at its
 * second segments until playback has run out of cache and said so
 * (BUFFERING 0), so each run waits whatever the machine's speed; then the
 * download goes on, playback carries on (BUFFERING 100) and plays to the
 * end, every frame equal to the reference decode. A download paused
 * half-way plays what it has and fails at the first missing segment with
 * an error that says so.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>
#include <gst/offline/offline-playback-private.h>

#include "adaptive-content.h"
#include "cenc-packager.h"
#include "clear-then-protected.h"
#include "db/database.h"
#include "download-checks.h"
#include "frame-checks.h"
#include "license-server.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>

#include <functional>
#include <string>
#include <vector>

using namespace ot;

namespace {

/* What a playback saw. */
struct Played {
  std::vector<gint> buffering; /* the BUFFERING percentages, in order */
  bool eos = false;
  std::string error;           /* the first error's message */
  std::string error_source;
  GError *error_code = nullptr;
  GPtrArray *lines = nullptr;  /* checksum lines, video then audio */

  ~Played ()
  {
    g_clear_error (&error_code);
    if (lines)
      g_ptr_array_unref (lines);
  }
};

/* Plays offline://`id` of `data_dir` into checksum sinks until EOS or the
 * first error, as an application does: PAUSED while BUFFERING is under
 * 100, PLAYING at 100. `on_buffering` hears each percentage (and gets the
 * pipeline), `on_prerolled` (if set) each ASYNC_DONE of the pipeline.
 * `player`: "playbin" plays it with video only (its audio sink path
 * converts the samples), "playbin3" video and audio, "uridecodebin" and
 * "uridecodebin3" in a pipeline, video and audio. */
void
play (const gchar *data_dir, const gchar *id, Played *played, const std::function<void (GstElement *, gint)> &on_buffering,
    const gchar *player_factory = "uridecodebin", const std::function<void (GstElement *)> &on_prerolled = {})
{
  Player player;
  player.data_dir = const_cast<gchar *> (data_dir);
  g_autofree gchar *uri = g_strdup_printf ("offline://%s", id);
  GstElement *playbin;
  if (g_str_has_prefix (player_factory, "playbin")) {
    playbin = gst_element_factory_make (player_factory, nullptr);
    fail_unless (playbin != nullptr);
    if (g_str_equal (player_factory, "playbin"))
      gst_util_set_object_arg (G_OBJECT (playbin), "flags", "video+native-video");
    else
      g_object_set (playbin, "audio-sink", checksum_sink (&player.audio), nullptr);
    g_object_set (playbin, "uri", uri, "video-sink", checksum_sink (&player.video), nullptr);
    g_signal_connect (playbin, "source-setup", G_CALLBACK (on_source_setup), &player);
  } else {
    playbin = gst_pipeline_new (nullptr);
    GstElement *decodebin = gst_element_factory_make (player_factory, nullptr);
    fail_unless (decodebin != nullptr);
    g_object_set (decodebin, "uri", uri, nullptr);
    g_signal_connect (decodebin, "source-setup", G_CALLBACK (on_source_setup), &player);
    g_signal_connect (decodebin, "pad-added", G_CALLBACK (on_pad_added), &player);
    gst_bin_add (GST_BIN (playbin), decodebin);
  }
  player.pipeline = playbin;
  GstBus *bus = gst_element_get_bus (playbin);
  gst_element_set_state (playbin, GST_STATE_PLAYING);
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
        static_cast<GstMessageType> (GST_MESSAGE_BUFFERING | GST_MESSAGE_ASYNC_DONE | GST_MESSAGE_EOS
            | GST_MESSAGE_ERROR));
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ASYNC_DONE) {
      if (on_prerolled && GST_MESSAGE_SRC (msg) == GST_OBJECT (playbin))
        on_prerolled (playbin);
    } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_BUFFERING) {
      gint percent = 0;
      gst_message_parse_buffering (msg, &percent);
      played->buffering.push_back (percent);
      gst_element_set_state (playbin, percent < 100 ? GST_STATE_PAUSED : GST_STATE_PLAYING);
      on_buffering (playbin, percent);
    } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      played->eos = true;
    } else {
      g_autofree gchar *debug = nullptr;
      gst_message_parse_error (msg, &played->error_code, &debug);
      played->error = played->error_code->message;
      played->error_source = GST_OBJECT_NAME (GST_MESSAGE_SRC (msg));
    }
    GstMessageType type = GST_MESSAGE_TYPE (msg);
    gst_message_unref (msg);
    if (type == GST_MESSAGE_EOS || type == GST_MESSAGE_ERROR)
      break;
  }
  gst_element_set_state (playbin, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (playbin);
  played->lines = g_ptr_array_new_with_free_func (g_free);
  for (Branch *branch : { &player.video, &player.audio })
    for (const auto &line : branch->lines)
      g_ptr_array_add (played->lines, g_strdup (line.c_str ()));
}

/* Playback waited for the download (BUFFERING 0) and carried on (100). */
void
assert_waited (const Played &played)
{
  fail_unless (played.error.empty (), "playback failed: %s (%s)", played.error.c_str (), played.error_source.c_str ());
  fail_unless (played.eos, "playback did not end");
  fail_unless (played.buffering.size () >= 2 && played.buffering.front () == 0 && played.buffering.back () == 100,
      "%zu BUFFERING messages, expected 0 first and 100 last", played.buffering.size ());
}

/* What a test waits to be whole in a cache: its data directory, the keys. */
struct CachedKeys {
  const gchar *data;
  std::vector<std::string> keys;
};

gboolean
all_cached (gpointer user_data)
{
  auto *wanted = static_cast<CachedKeys *> (user_data);
  g_autoptr (GstOfflineCache) cache = gst_offline_cache_new (wanted->data, nullptr);
  for (const auto &key : wanted->keys) {
    g_autofree gchar *path = cache ? gst_offline_cache_lookup (cache, key.c_str (), nullptr, nullptr) : nullptr;
    if (!path)
      return FALSE;
  }
  return TRUE;
}

/* make_dash() in dirs.content served at /`id`/, downloaded as `id` by a
 * new manager in this process, held back at its second segments: returns
 * the manager once the download waits there (its plan written, its first
 * segments in the cache). */
GstOfflineDownloadManager *
start_held_dash_download (const Dirs &dirs, const gchar *id)
{
  make_dash (dirs.content, nullptr);
  g_autofree gchar *url = serve (test_server, dirs.content, id, "x.mpd");
  g_autofree gchar *held = g_strdup_printf ("/%s/chunk-stream*-00002.m4s", id);
  ot_server_hold (test_server, held);

  g_autoptr (GError) error = nullptr;
  GstOfflineDownloadManager *manager = gst_offline_download_manager_new (dirs.data, &error);
  fail_unless (manager != nullptr, "%s", error ? error->message : "");
  /* Two requests at a time: once both second segments are held, nothing
   * else is in flight and everything before them (the init and first
   * segments of both tracks) has come. */
  g_object_set (manager, "segment-parallelism", 2u, nullptr);
  g_autoptr (GstOfflineDownloadRequest) request = gst_offline_download_request_new (id, url);
  g_autoptr (GstOfflineDownload) download = gst_offline_download_manager_add_download (manager, request, &error);
  fail_unless (download != nullptr, "%s", error ? error->message : "");
  ot_server_wait_held (test_server, 2);
  /* Served is not yet in the cache: the download commits each segment a
   * moment after its last byte came. Playback starting before would wait
   * for one of them (BUFFERING 0 before any data: a seek sent to the
   * pipeline then reaches no sink), not at 2 s. */
  CachedKeys first { dirs.data, {} };
  for (const gchar *name : { "init-stream0.m4s", "init-stream1.m4s", "chunk-stream0-00001.m4s",
           "chunk-stream1-00001.m4s" })
    first.keys.push_back (std::string (ot_server_get_base_url (test_server)) + "/" + id + "/" + name);
  ot_wait_for_changes (dirs.data, all_cached, &first);
  return manager;
}

/* Runs the default main context until `id`'s state is `state` (the
 * manager tells every change there). */
void
wait_for_state (GstOfflineDownloadManager *manager, const gchar *id, GstOfflineDownloadState state)
{
  struct Wait {
    std::string id;
    GstOfflineDownloadState state;
    bool reached = false;
  } wait { id, state };
  gulong handler = g_signal_connect (manager, "download-changed", G_CALLBACK (+[] (GstOfflineDownloadManager *,
      GstOfflineDownload *download, gpointer data) {
    auto *w = static_cast<Wait *> (data);
    if (w->id == gst_offline_download_get_id (download) && gst_offline_download_get_state (download) == w->state)
      w->reached = true;
  }), &wait);
  g_autoptr (GstOfflineDownload) now = gst_offline_download_manager_get_download (manager, id, nullptr);
  wait.reached = now && gst_offline_download_get_state (now) == state;
  while (!wait.reached)
    g_main_context_iteration (nullptr, TRUE);
  g_signal_handler_disconnect (manager, handler);
}

/* `gst-offline download URL --id ID [EXTRA...]` on `data_dir`, running in the background. */
GPid
spawn_cli_download (const gchar *data_dir, const gchar *url, const gchar *id,
    const std::vector<const gchar *> &extra = {})
{
  std::vector<const gchar *> argv = { "download", url, "--id", id };
  argv.insert (argv.end (), extra.begin (), extra.end ());
  argv.push_back (nullptr);
  return ot_spawn_cli (data_dir, argv.data ());
}

} // namespace

/* Waits for the manager to complete `id`, releases it, and checks that
 * what played from `target` on is the reference decode of the DASH
 * content from there. */
void
assert_completed_and_played_from (GstOfflineDownloadManager *manager, const Dirs &dirs, const gchar *id,
    const Played &played, GstClockTime target)
{
  wait_for_state (manager, id, GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
  g_object_unref (manager);
  References references = dash_references (dirs.content, dirs.data, test_server, id);
  assert_same_from (played.lines, references.video, references.audio, target, target, "after the seek");
}

/* DASH, downloaded by a manager in this process while playbin plays it. */
GST_START_TEST (test_dash_plays_while_the_manager_downloads)
{
  Dirs dirs ("dash-manager");
  GstOfflineDownloadManager *manager = start_held_dash_download (dirs, "live");

  Played played;
  play (dirs.data, "live", &played, [] (GstElement *, gint percent) {
    if (percent == 0)
      ot_server_release (test_server);
  });
  assert_waited (played);
  wait_for_state (manager, "live", GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
  g_object_unref (manager);

  References references = dash_references (dirs.content, dirs.data, test_server, "live");
  assert_same_as_reference (references.video, references.audio, played.lines);
}
GST_END_TEST;

/* HLS (MPEG-TS), downloaded by the CLI in another process: its commits
 * reach playback through the index's commit signal. */
GST_START_TEST (test_hls_plays_while_the_cli_downloads)
{
  Dirs dirs ("hls-cli");
  std::string dir = dirs.in_content ("v");
  g_mkdir_with_parents (dir.c_str (), 0700);
  run_ffmpeg (dir.c_str (), { "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=6", "-c:v", "libx264",
      "-preset", "veryfast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0", "-bf", "0", "-pix_fmt", "yuv420p",
      "-threads", "1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-f", "hls", "-hls_time", "2",
      "-hls_playlist_type", "vod", "-hls_segment_filename", "seg%d.ts", "index.m3u8" });
  g_autofree gchar *url = serve (test_server, dirs.content, "hls", "v/index.m3u8");
  ot_server_hold (test_server, "/hls/v/seg1.ts");

  GPid cli = spawn_cli_download (dirs.data, url, "hls");
  ot_server_wait_held (test_server, 1);

  Played played;
  play (dirs.data, "hls", &played, [] (GstElement *, gint percent) {
    if (percent == 0)
      ot_server_release (test_server);
  }, "playbin");
  assert_waited (played);
  fail_unless_equals_int (ot_wait_pid (cli), 0);

  std::vector<std::string> files;
  for (const auto &file : playlist_uris (dir + "/index.m3u8"))
    files.push_back (file);
  std::string reference = std::string (dirs.root) + "/reference.ts";
  concatenate (dir.c_str (), files, reference.c_str ());
  g_autofree gchar *reference_uri = gst_filename_to_uri (reference.c_str (), nullptr);
  g_autoptr (GPtrArray) expected = decode (reference_uri, dirs.data);
  assert_same (frames_of (expected, "video"), frames_of (played.lines, "video"), "video");
}
GST_END_TEST;

/* A seek to where the download has not come yet, made while playback
 * waits for it: the flush ends the wait, the streams start again at the
 * target and wait there (BUFFERING 0 again) until the segment comes; then
 * the frames from the target on are the reference's. The application
 * seeks the pipeline once it has prerolled (its sinks take the seek
 * upstream; before it has any, GstBin sends the seek to nobody and still
 * answers TRUE) and playback waits at 2 s. */
GST_START_TEST (test_seek_to_what_is_not_downloaded_waits)
{
  Dirs dirs ("seek");
  GstOfflineDownloadManager *manager = start_held_dash_download (dirs, "seek");
  constexpr GstClockTime target = 3 * GST_SECOND; /* in the second segments, held back */
  bool prerolled = false, waiting = false, sought = false;
  guint waits_after_seek = 0;
  auto seek_when_ready = [&] (GstElement *pipeline) {
    if (sought || !prerolled || !waiting)
      return;
    sought = true;
    fail_unless (gst_element_seek_simple (pipeline, GST_FORMAT_TIME,
        static_cast<GstSeekFlags> (GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE), target));
  };
  Played played;
  play (dirs.data, "seek", &played, [&] (GstElement *pipeline, gint percent) {
    waiting = percent < 100;
    if (percent != 0)
      return;
    if (sought) {
      waits_after_seek++;
      ot_server_release (test_server);
    } else {
      seek_when_ready (pipeline);
    }
  }, "uridecodebin", [&] (GstElement *pipeline) {
    prerolled = true;
    seek_when_ready (pipeline);
  });
  assert_waited (played);
  fail_unless (sought, "playback never waited once prerolled");
  fail_unless (waits_after_seek >= 1, "playback did not wait again after the seek");
  g_object_unref (manager);

  References references = dash_references (dirs.content, dirs.data, test_server, "seek");
  assert_same_from (played.lines, references.video, references.audio, target, target, "after the seek");
}
GST_END_TEST;

namespace {

/* Who waited for the index's write lock while the test held it. */
struct LockWaits {
  GThread *seeker = nullptr;
  sqlite3 *holder = nullptr;
  std::atomic<bool> seek_waited { false };
};

/* Database::set_wait_observer (): called on the thread of a connection
 * about to wait for the lock. The seek's own thread waiting is the
 * failure: the holder lets go then, so that the test goes on to fail
 * rather than the seek giving up after the busy timeout. */
void
note_lock_wait (gpointer data)
{
  auto *waits = static_cast<LockWaits *> (data);
  if (g_thread_self () != waits->seeker || waits->seek_waited.exchange (true))
    return;
  sqlite3_exec (waits->holder, "COMMIT", nullptr, nullptr, nullptr);
}

struct WantedPosition {
  std::string db_path;
  const gchar *id;
  GstClockTime position;
};

/* Whether the index holds `position` as the download's wanted position. */
gboolean
position_requested (gpointer data)
{
  auto *wanted = static_cast<WantedPosition *> (data);
  sqlite3 *db = nullptr;
  bool found = false;
  if (sqlite3_open_v2 (wanted->db_path.c_str (), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt *stmt = nullptr;
    if (sqlite3_prepare_v2 (db, "SELECT wanted_position_ns FROM downloads WHERE id = ?", -1, &stmt, nullptr)
        == SQLITE_OK) {
      sqlite3_bind_text (stmt, 1, wanted->id, -1, SQLITE_TRANSIENT);
      found = sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) == SQLITE_INTEGER
          && static_cast<GstClockTime> (sqlite3_column_int64 (stmt, 0)) == wanted->position;
    }
    sqlite3_finalize (stmt);
  }
  sqlite3_close (db);
  return found;
}

} // namespace

/* A seek beyond what is downloaded while another connection holds the
 * index's write lock (a downloader committing a batch, another process):
 * the seek tells the download where to go on without waiting for the lock
 * (the library's busy-wait seam says which thread waits for it: never the
 * one that seeks), and the position reaches the index once the lock is
 * free; then playback goes on from the target as the reference. */
GST_START_TEST (test_seek_does_not_wait_for_the_index_writer)
{
  Dirs dirs ("busy");
  GstOfflineDownloadManager *manager = start_held_dash_download (dirs, "busy");
  constexpr GstClockTime target = 3 * GST_SECOND; /* in the second segments, held back */
  WantedPosition wanted { gst_offline::database_path (dirs.data), "busy", target };
  LockWaits waits;
  bool prerolled = false, waiting = false, sought = false;
  auto seek_when_ready = [&] (GstElement *pipeline) {
    if (sought || !prerolled || !waiting)
      return;
    sought = true;
    fail_unless_equals_int (sqlite3_open (wanted.db_path.c_str (), &waits.holder), SQLITE_OK);
    sqlite3_busy_timeout (waits.holder, 60 * 1000);
    fail_unless_equals_int (sqlite3_exec (waits.holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    waits.seeker = g_thread_self ();
    gst_offline::Database::set_wait_observer (note_lock_wait, &waits);
    fail_unless (gst_element_seek_simple (pipeline, GST_FORMAT_TIME,
        static_cast<GstSeekFlags> (GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE), target));
    fail_if (waits.seek_waited, "the seek waited for the index's write lock");
    fail_if (position_requested (&wanted), "the position is in the index while its write lock is held");
    fail_unless_equals_int (sqlite3_exec (waits.holder, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
    gst_offline::Database::set_wait_observer (nullptr, nullptr);
    sqlite3_close (waits.holder);
    ot_wait_for_changes (dirs.data, position_requested, &wanted);
    ot_server_release (test_server);
  };
  Played played;
  play (dirs.data, "busy", &played, [&] (GstElement *pipeline, gint percent) {
    waiting = percent < 100;
    if (percent == 0)
      seek_when_ready (pipeline);
  }, "uridecodebin", [&] (GstElement *pipeline) {
    prerolled = true;
    seek_when_ready (pipeline);
  });
  assert_waited (played);
  fail_unless (sought, "playback never waited once prerolled");
  assert_completed_and_played_from (manager, dirs, "busy", played, target);
}
GST_END_TEST;

/* The cachesrc of a pipeline (transfer full). */
static GstElement *
cache_src_of (GstElement *pipeline)
{
  GstIterator *found = gst_bin_iterate_all_by_element_factory_name (GST_BIN (pipeline), "cachesrc");
  GValue item = G_VALUE_INIT;
  GstElement *source = nullptr;
  if (gst_iterator_next (found, &item) == GST_ITERATOR_OK)
    source = GST_ELEMENT (g_value_dup_object (&item));
  g_value_unset (&item);
  gst_iterator_free (found);
  fail_unless (source != nullptr, "no cachesrc in the pipeline");
  return source;
}

/* A seek at the earliest moment of a download still running: the audio's
 * init segment is held back at the server, so playback's first wait
 * (BUFFERING 0) is for it, before the audio pushed a byte, and so before
 * the pipeline has a sink (decodebin exposes its pads once it knows every
 * track). The application seeks cachesrc itself then (a pipeline seek
 * would reach no sink yet); the seek ends the wait, the tracks start again
 * at the target (the audio waiting there again); once the download goes
 * on, the frames from the target on are the reference's. */
GST_START_TEST (test_seek_before_any_data_is_not_lost)
{
  Dirs dirs ("early");
  make_dash (dirs.content, nullptr);
  g_autofree gchar *url = serve (test_server, dirs.content, "early", "x.mpd");
  ot_server_hold (test_server, "/early/init-stream1.m4s");
  g_autoptr (GError) error = nullptr;
  GstOfflineDownloadManager *manager = gst_offline_download_manager_new (dirs.data, &error);
  fail_unless (manager != nullptr, "%s", error ? error->message : "");
  g_autoptr (GstOfflineDownloadRequest) request = gst_offline_download_request_new ("early", url);
  g_autoptr (GstOfflineDownload) download = gst_offline_download_manager_add_download (manager, request, &error);
  fail_unless (download != nullptr, "%s", error ? error->message : "");
  ot_server_wait_held (test_server, 1);

  constexpr GstClockTime target = 3 * GST_SECOND;
  bool sought = false;
  Played played;
  play (dirs.data, "early", &played, [&sought] (GstElement *pipeline, gint percent) {
    if (percent != 0 || sought)
      return;
    sought = true;
    GstElement *source = cache_src_of (pipeline);
    fail_unless (gst_element_seek_simple (source, GST_FORMAT_TIME,
        static_cast<GstSeekFlags> (GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE), target));
    gst_object_unref (source);
    ot_server_release (test_server);
  });
  assert_waited (played);
  fail_unless (sought, "playback did not wait for the held init segment");
  assert_completed_and_played_from (manager, dirs, "early", played, target);
}
GST_END_TEST;

/* A download paused half-way plays what it has, then fails at the first
 * segment it does not have: not downloaded yet, how much is, and how to go
 * on — not "damaged". */
GST_START_TEST (test_paused_half_download_fails_at_the_first_missing_segment)
{
  Dirs dirs ("paused");
  GstOfflineDownloadManager *manager = start_held_dash_download (dirs, "half");
  g_autoptr (GError) error = nullptr;
  fail_unless (gst_offline_download_manager_set_stop_reason (manager, "half", GST_OFFLINE_STOP_REASON_PAUSED_BY_USER,
                   &error),
      "%s", error ? error->message : "");
  wait_for_state (manager, "half", GST_OFFLINE_DOWNLOAD_STATE_STOPPED);
  ot_server_release (test_server);

  Played played;
  play (dirs.data, "half", &played, [] (GstElement *, gint) {});
  g_object_unref (manager);
  fail_if (played.eos, "a half download played to the end");
  fail_unless (g_error_matches (played.error_code, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND),
      "not a NOT_FOUND error: %s", played.error.c_str ());
  for (const gchar *expected : { "Download 'half' is not complete (stopped, ", "is not downloaded yet, from ",
           " of 6.0 s; resume it with 'gst-offline resume half'" })
    fail_unless (played.error.find (expected) != std::string::npos, "'%s' is not in the error: %s", expected,
        played.error.c_str ());
  /* Where the second segment of the video (2.0 s) or the audio (AAC
   * frames: just before) begins. */
  gdouble from = g_ascii_strtod (played.error.c_str () + played.error.find (", from ") + 7, nullptr);
  fail_unless (from >= 1.85 && from <= 2.05, "%s", played.error.c_str ());
  fail_unless (played.error.find ("verify") == std::string::npos, "%s", played.error.c_str ());
  fail_unless (played.buffering.empty (), "a stopped download is not waited for");
  /* What it has played: the first segment's frames, as the reference. */
  References references = dash_references (dirs.content, dirs.data, test_server, "half");
  auto video = frames_of (played.lines, "video");
  auto expected = frames_of (references.video, "video");
  fail_unless (video.size () <= expected.size ());
  for (size_t i = 0; i < video.size (); i++)
    fail_unless (video[i].md5 == expected[i].md5 && video[i].pts == expected[i].pts, "video frame %zu differs", i);
}
GST_END_TEST;

/* Fails unless `played` ended with the error of a download that nobody
 * downloads any more (queued: the index reads a row left downloading by a
 * dead process so), at its second segments. */
static void
assert_nobody_downloads (const Played &played, const gchar *id)
{
  fail_if (played.eos, "a half download played to the end");
  fail_unless (g_error_matches (played.error_code, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND),
      "not a NOT_FOUND error: %s", played.error.c_str ());
  g_autofree gchar *head = g_strdup_printf ("Download '%s' is not complete (queued, ", id);
  for (const gchar *expected : { (const gchar *) head, "is not downloaded yet, from ",
           " of 6.0 s; no process downloads it now: resume it with its 'gst-offline download' command" })
    fail_unless (played.error.find (expected) != std::string::npos, "'%s' is not in the error: %s", expected,
        played.error.c_str ());
}

/* The CLI downloading in another process is killed (SIGKILL: it cleans
 * nothing up, its row still says downloading) while playback waits for
 * it: the kernel drops its locks, playback sees that nobody downloads the
 * rest and fails at the missing segment with the error that says so,
 * rather than buffering at 0% for ever. Played again, it fails at once,
 * with no BUFFERING. */
GST_START_TEST (test_killed_downloader_is_not_waited_for)
{
  Dirs dirs ("killed");
  make_dash (dirs.content, nullptr);
  g_autofree gchar *url = serve (test_server, dirs.content, "killed", "x.mpd");
  ot_server_hold (test_server, "/killed/chunk-stream*-00002.m4s");
  GPid cli = spawn_cli_download (dirs.data, url, "killed");
  ot_server_wait_held (test_server, 1);

  Played played;
  play (dirs.data, "killed", &played, [cli] (GstElement *, gint percent) {
    if (percent == 0)
      kill (cli, SIGKILL);
  });
  fail_unless_equals_int (ot_wait_pid (cli), 128 + SIGKILL);
  ot_server_release (test_server);
  fail_unless (!played.buffering.empty () && played.buffering.front () == 0, "playback did not wait");
  assert_nobody_downloads (played, "killed");

  Played again;
  play (dirs.data, "killed", &again, [] (GstElement *, gint) {});
  assert_nobody_downloads (again, "killed");
  fail_unless (again.buffering.empty (), "a download nobody fetches is waited for");
}
GST_END_TEST;

/* A queued download is waited for while a manager that would start it
 * lives (here paused), and no longer once it is gone. */
GST_START_TEST (test_queued_download_is_waited_for_while_its_manager_lives)
{
  Dirs dirs ("queued");
  GstOfflineDownloadManager *manager = start_held_dash_download (dirs, "queued");
  gst_offline_download_manager_pause_downloads (manager);
  wait_for_state (manager, "queued", GST_OFFLINE_DOWNLOAD_STATE_QUEUED);

  Played played;
  play (dirs.data, "queued", &played, [&manager] (GstElement *, gint percent) {
    if (percent == 0 && manager)
      g_clear_object (&manager);
  });
  /* Held until now: the second segments are not in the cache, whatever
   * the cancelled requests do once answered. */
  ot_server_release (test_server);
  fail_unless (manager == nullptr, "playback did not wait for the queued download");
  assert_nobody_downloads (played, "queued");
}
GST_END_TEST;

/* BUFFERING tells how much of what playback waits for is there: the
 * second segments are held back while the third ones come, so playback
 * waits at 2 s with half of its 4 s in the cache; then the rest comes.
 * The percentages of each wait grow from 0 to 100, with one in between. */
GST_START_TEST (test_buffering_percentages_grow_to_100)
{
  Dirs dirs ("percent");
  GstOfflineDownloadManager *manager = start_held_dash_download (dirs, "percent");
  Played played;
  play (dirs.data, "percent", &played, [] (GstElement *, gint percent) {
    if (percent > 0 && percent < 100)
      ot_server_release (test_server);
  });
  assert_waited (played);
  g_object_unref (manager);
  /* Each wait (the streams may not wait together: one may wait again
   * when the other has carried on) goes from 0 up to 100. */
  bool between = false;
  std::string all;
  for (gint percent : played.buffering)
    all += std::to_string (percent) + " ";
  for (size_t i = 0; i < played.buffering.size (); i++) {
    gint percent = played.buffering[i];
    between |= percent > 0 && percent < 100;
    bool starts = i == 0 || played.buffering[i - 1] == 100;
    fail_unless (starts ? percent == 0 : percent > played.buffering[i - 1], "BUFFERING %s", all.c_str ());
  }
  fail_unless (between, "no BUFFERING between 0 and 100: %s", all.c_str ());
}
GST_END_TEST;

/* The whole way from a seek to the server: playback seeks beyond what a
 * running download (the CLI, one segment at a time, slowed down at the
 * server) has fetched; cachesrc asks for the seek position through the
 * index, and the CLI's manager turns its downloader there. The server's
 * next requests are for the segments from the seek position on, then for
 * the rest before it; the frames played after the seek are the
 * reference's. */
GST_START_TEST (test_seek_turns_the_running_download)
{
  Dirs dirs ("turn");
  make_dash (dirs.content, "-seg_duration 1");
  g_autofree gchar *url = serve (test_server, dirs.content, "turn", "x.mpd");
  for (const auto &name : list_files (dirs.content)) {
    if (g_str_has_prefix (name.c_str (), "chunk-"))
      ot_server_set_rate (test_server, ("/turn/" + name).c_str (), 64 * 1024);
  }
  /* Playback starts with the first segments in the cache, the second ones on their way. */
  ot_server_hold (test_server, "/turn/chunk-stream*-00002.m4s");
  GPid cli = spawn_cli_download (dirs.data, url, "turn", { "--segment-parallelism", "1" });
  ot_server_wait_held (test_server, 1);

  /* Inside the fifth segments (4 - 5 s): the download is then at its second
   * ones, with four from the target on and five before it to leave for later. */
  constexpr GstClockTime target = 4500 * GST_MSECOND;
  guint waits = 0;
  Played played;
  play (dirs.data, "turn", &played, [&waits] (GstElement *pipeline, gint percent) {
    if (percent != 0)
      return;
    if (++waits == 1) {
      fail_unless (gst_element_seek_simple (pipeline, GST_FORMAT_TIME,
          static_cast<GstSeekFlags> (GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE), target));
    } else if (waits == 2) {
      /* Waiting at the target: the position is in the index. */
      ot_server_release (test_server);
    }
  });
  assert_waited (played);
  fail_unless (waits >= 2, "playback did not wait again after the seek");
  fail_unless_equals_int (ot_wait_pid (cli), 0);

  ot::assert_turned_to (test_server, ot::planned_segments (dirs.data, "turn", test_server), target);
  References references = dash_references (dirs.content, dirs.data, test_server, "turn");
  assert_same_from (played.lines, references.video, references.audio, target, target, "after the seek");
}
GST_END_TEST;

namespace {

struct PartialBytes {
  const gchar *data;
  const gchar *key;
};

/* Whether the cache holds durable bytes of the resource being written. */
gboolean
partial_has_bytes (gpointer user_data)
{
  auto *p = static_cast<PartialBytes *> (user_data);
  g_autoptr (GstOfflineCache) cache = gst_offline_cache_new (p->data, nullptr);
  guint64 durable = 0;
  g_autofree gchar *path = cache ? gst_offline_cache_lookup_partial (cache, p->key, &durable, nullptr, nullptr) : nullptr;
  return path && durable > 0;
}

} // namespace

/* A single media file plays while it is downloaded: cachesrc reads its
 * partial file up to the bytes the download has made durable, and waits
 * for more. The server sends it slower than it plays, so playback catches
 * up with the download and waits (BUFFERING 0, then 100); every frame is
 * the reference decode's of the file. */
GST_START_TEST (test_progressive_plays_while_the_manager_downloads)
{
  Dirs dirs ("progressive");
  g_autofree gchar *file = ot_make_mp4 (dirs.content, "clip.mp4", 4, FALSE);
  GStatBuf st;
  fail_unless (g_stat (file, &st) == 0);
  g_autofree gchar *url = ot_server_add_file (test_server, "/progressive/clip.mp4", file);
  /* Eight seconds for four of playback. */
  ot_server_set_rate (test_server, "/progressive/clip.mp4", static_cast<guint64> (st.st_size) / 8);

  g_autoptr (GError) error = nullptr;
  GstOfflineDownloadManager *manager = gst_offline_download_manager_new (dirs.data, &error);
  fail_unless (manager != nullptr, "%s", error ? error->message : "");
  g_autoptr (GstOfflineDownloadRequest) request = gst_offline_download_request_new ("clip", url);
  g_autoptr (GstOfflineDownload) download = gst_offline_download_manager_add_download (manager, request, &error);
  fail_unless (download != nullptr, "%s", error ? error->message : "");
  PartialBytes partial { dirs.data, url };
  ot_wait_for_changes (dirs.data, partial_has_bytes, &partial);

  Played played;
  play (dirs.data, "clip", &played, [] (GstElement *, gint) {});
  assert_waited (played);
  wait_for_state (manager, "clip", GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
  g_object_unref (manager);

  g_autofree gchar *reference_uri = gst_filename_to_uri (file, nullptr);
  g_autoptr (GPtrArray) expected = decode (reference_uri, dirs.data);
  assert_same (frames_of (expected, "video"), frames_of (played.lines, "video"), "video");
  assert_same (frames_of (expected, "audio"), frames_of (played.lines, "audio"), "audio");
}
GST_END_TEST;

namespace {

/* A progressive download that starts over while it plays. The server cuts
 * its first answer at 40% of the file; the download's next request waits
 * at the server until playback has caught up with the download (BUFFERING
 * 0) and `before_release` has run; whatever answers it then (a queued
 * fault, a changed file) makes the download start over. Playback then
 * waits for the new file to hold again what it had. Returns the file
 * served first. */
gchar *
play_restarted_download (const Dirs &dirs, const gchar *id, Played *played,
    const std::function<void (const std::string &path, const gchar *file)> &before_release,
    const std::function<void (const std::string &path)> &faults)
{
  gchar *file = ot_make_mp4 (dirs.content, "clip.mp4", 4, FALSE);
  GStatBuf st;
  fail_unless (g_stat (file, &st) == 0);
  std::string path = std::string ("/") + id + "/clip.mp4";
  g_autofree gchar *url = ot_server_add_file (test_server, path.c_str (), file);
  ot_server_set_rate (test_server, path.c_str (), static_cast<guint64> (st.st_size) / 8);
  ot_server_set_fault (test_server, path.c_str (), OT_FAULT_CLOSE_AFTER, st.st_size * 2 / 5, 1);
  faults (path);

  g_autoptr (GError) error = nullptr;
  GstOfflineDownloadManager *manager = gst_offline_download_manager_new (dirs.data, &error);
  fail_unless (manager != nullptr, "%s", error ? error->message : "");
  g_autoptr (GstOfflineDownloadRequest) request = gst_offline_download_request_new (id, url);
  g_autoptr (GstOfflineDownload) download = gst_offline_download_manager_add_download (manager, request, &error);
  fail_unless (download != nullptr, "%s", error ? error->message : "");
  PartialBytes partial { dirs.data, url };
  ot_wait_for_changes (dirs.data, partial_has_bytes, &partial);
  /* The first answer is under way: the next request waits. */
  ot_server_hold (test_server, path.c_str ());

  bool released = false;
  play (dirs.data, id, played, [&] (GstElement *, gint percent) {
    if (percent != 0 || released)
      return;
    ot_server_wait_held (test_server, 1);
    before_release (path, file);
    ot_server_release (test_server);
    released = true;
  });
  fail_unless (released, "playback never waited for the download");
  if (played->error.empty ())
    wait_for_state (manager, id, GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
  g_object_unref (manager);
  return file;
}

}  // namespace

/* The download starts over with the same file (the server refuses the
 * resumption: 416 without a length): playback carries on from the new file
 * once it holds again what was played, to the end, every frame the
 * reference's. */
GST_START_TEST (test_progressive_restart_plays_on)
{
  Dirs dirs ("progressive-restart");
  Played played;
  g_autofree gchar *file = play_restarted_download (dirs, "again", &played,
      [] (const std::string &, const gchar *) {},
      [] (const std::string &path) { ot_server_queue_fault (test_server, path.c_str (), OT_FAULT_STATUS, 416, 1); });
  assert_waited (played);
  fail_unless (ot_server_get_fault_count (test_server, "/again/clip.mp4", OT_FAULT_STATUS) == 1,
      "the download did not start over");
  g_autofree gchar *reference_uri = gst_filename_to_uri (file, nullptr);
  g_autoptr (GPtrArray) expected = decode (reference_uri, dirs.data);
  assert_same (frames_of (expected, "video"), frames_of (played.lines, "video"), "video");
  assert_same (frames_of (expected, "audio"), frames_of (played.lines, "audio"), "audio");
}
GST_END_TEST;

/* The file changed on the server (same length, other bytes in what was
 * played): the download starts over, and playback stops with an error
 * that says so, not with damaged frames or "run verify". */
GST_START_TEST (test_progressive_restart_with_changed_file_fails_clearly)
{
  Dirs dirs ("progressive-changed");
  Played played;
  g_autofree gchar *file = play_restarted_download (dirs, "changed", &played,
      [&] (const std::string &path, const gchar *first) {
        std::string bytes = read_text (first);
        /* A byte of the first tenth (played already) changes. */
        bytes[bytes.size () / 10] = static_cast<char> (bytes[bytes.size () / 10] ^ 0x55);
        std::string changed = std::string (dirs.root) + "/changed.mp4";
        write_text (changed, bytes);
        g_free (ot_server_add_file (test_server, path.c_str (), changed.c_str ()));
      },
      [] (const std::string &) {});
  fail_unless (!played.eos, "played to the end");
  fail_unless (played.error.find ("Download 'changed' started over and its file changed on the server") == 0
          && g_error_matches (played.error_code, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ),
      "%s (from %s)", played.error.c_str (), played.error_source.c_str ());
}
GST_END_TEST;

namespace {

const std::array<guint8, 16> kKid = { 0x21, 0x43, 0x65, 0x87, 0xa9, 0xcb, 0x4d, 0xef, 0x80, 0x11, 0x22, 0x33, 0x44,
  0x55, 0x66, 0x77 };
const std::array<guint8, 16> kKey = { 0x3c, 0x91, 0x0e, 0x5f, 0xd4, 0x27, 0x88, 0x6a, 0x1b, 0xc3, 0x70, 0x49, 0xe2,
  0x05, 0xbd, 0x96 };

} // namespace

/* A clear Period, then the same media protected, the manifest saying
 * nothing of it (the second Period's init segments alone do: encv/enca, a
 * pssh), played by playbin3 and by uridecodebin3 while the download runs:
 * the server holds back the second Period, its init segments and media
 * segments, and lets them go once playback has started and waits
 * (BUFFERING 0). cachesrc waits for those init segments before it decides
 * how the track goes (protected throughout, the clear Period as a clear
 * lead): each player plays to the end, every picture the reference's, in
 * both Periods. It used to decide without them, counting them clear, and
 * gave the track a new stream id at the change, on which playbin3 and
 * uridecodebin3 hang or decode the wrong pictures. */
GST_START_TEST (test_unsignalled_protection_known_from_init_segments_not_downloaded_yet)
{
  Dirs dirs ("unsignalled");
  std::string clear = dirs.in_content ("clear"), enc = dirs.in_content ("enc"), mixed = dirs.in_content ("mixed");
  for (const std::string &dir : { clear, enc, mixed })
    g_mkdir_with_parents (dir.c_str (), 0700);
  make_dash (clear.c_str (), "-t 4");
  OtCencOptions options;
  options.kid = kKid;
  options.key = kKey;
  g_autoptr (GError) error = nullptr;
  fail_unless (ot_cenc_package_dash (clear.c_str (), "x.mpd", enc.c_str (), options, &error), "%s",
      error ? error->message : "");
  ClearThenProtected periods (clear.c_str (), enc.c_str (), mixed.c_str (), dirs.data, false);

  for (const gchar *player : { "playbin3", "uridecodebin3" }) {
    /* Served under a name of its own: none of it is in the cache. */
    g_autofree gchar *url = serve (test_server, mixed.c_str (), player, "mixed.mpd");
    g_autofree gchar *later_period = g_strdup_printf ("/%s/p1/*", player);
    ot_server_hold (test_server, later_period);
    GstOfflineDownloadManager *manager = gst_offline_download_manager_new (dirs.data, &error);
    fail_unless (manager != nullptr, "%s", error ? error->message : "");
    /* Four requests at a time: the init segments go first, and once the
     * second Period's two init segments and its two first media segments
     * are held, the first Period is in the cache and nothing else is in
     * flight. Playback starts with the first Period there (no wait for
     * it) and nothing of the second. */
    g_object_set (manager, "segment-parallelism", 4u, nullptr);
    g_autoptr (GstOfflineDownloadRequest) request = gst_offline_download_request_new (player, url);
    g_autoptr (GstOfflineDownload) download = gst_offline_download_manager_add_download (manager, request, &error);
    fail_unless (download != nullptr, "%s", error ? error->message : "");
    ot_server_wait_held (test_server, 4);
    CachedKeys first { dirs.data, {} };
    for (const gchar *name : { "init-stream0.m4s", "init-stream1.m4s", "chunk-stream0-00001.m4s",
             "chunk-stream1-00001.m4s", "chunk-stream0-00002.m4s", "chunk-stream1-00002.m4s" })
      first.keys.push_back (std::string (ot_server_get_base_url (test_server)) + "/" + player + "/p0/" + name);
    ot_wait_for_changes (dirs.data, all_cached, &first);

    /* No license to ask for: the key comes from the application (here
     * straight into the data directory's store). */
    g_autoptr (GstOfflineSqliteDrmStore) store = gst_offline_sqlite_drm_store_new (dirs.data, &error);
    fail_unless (store != nullptr, "%s", error ? error->message : "");
    g_autoptr (GBytes) key = g_bytes_new (kKey.data (), kKey.size ());
    fail_unless (gst_offline_drm_store_add_key (GST_OFFLINE_DRM_STORE (store), player, hex (kKid).c_str (), key,
                     &error), "%s", error ? error->message : "");

    Played played;
    play (dirs.data, player, &played, [] (GstElement *, gint percent) {
      if (percent == 0)
        ot_server_release (test_server);
    }, player);
    assert_waited (played);
    wait_for_state (manager, player, GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
    g_object_unref (manager);
    periods.assert_frames (frames_of (played.lines, "video"), 0, player);
    fail_unless (!frames_of (played.lines, "audio").empty (), "%s: no audio", player);
  }
}
GST_END_TEST;

static Suite *
play_while_downloading_suite (void)
{
  Suite *s = suite_create ("play-while-downloading");
  TCase *tc = adaptive_tcase ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_dash_plays_while_the_manager_downloads);
  tcase_add_test (tc, test_hls_plays_while_the_cli_downloads);
  tcase_add_test (tc, test_seek_to_what_is_not_downloaded_waits);
  tcase_add_test (tc, test_seek_does_not_wait_for_the_index_writer);
  tcase_add_test (tc, test_seek_before_any_data_is_not_lost);
  tcase_add_test (tc, test_paused_half_download_fails_at_the_first_missing_segment);
  tcase_add_test (tc, test_killed_downloader_is_not_waited_for);
  tcase_add_test (tc, test_queued_download_is_waited_for_while_its_manager_lives);
  tcase_add_test (tc, test_buffering_percentages_grow_to_100);
  tcase_add_test (tc, test_seek_turns_the_running_download);
  tcase_add_test (tc, test_unsignalled_protection_known_from_init_segments_not_downloaded_yet);
  tcase_add_test (tc, test_progressive_plays_while_the_manager_downloads);
  tcase_add_test (tc, test_progressive_restart_plays_on);
  tcase_add_test (tc, test_progressive_restart_with_changed_file_fails_clearly);
  return s;
}

GST_CHECK_MAIN (play_while_downloading);
