/* The paths a new user walks (issue 11), walked as that user would: the
 * built gst-offline run at a "terminal" (its text) and by a script (its
 * --json), on content ffmpeg makes at test time, served by the tests'
 * libsoup server. One test per item: the type from the content, track SPECs,
 * a download that runs alone, repair, removal during playback, and the
 * smaller edges (SegmentList duration, ids, --dir, licenses, a full disk, a
 * read-only data directory, cachesrc's tracks property).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "adaptive-content.h"
#include "download-checks.h"
#include "private-tmpfs.h"

#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

namespace {

using ot::Cli;
using ot::run;
#define assert_exit ot_assert_exit

/* The parsed --json output of a run; fails the test if it is not JSON. */
struct Json {
  JsonParser *parser = json_parser_new ();
  explicit Json (const std::string &text)
  {
    fail_unless (json_parser_load_from_data (parser, text.c_str (), -1, nullptr), "not JSON: %s", text.c_str ());
  }
  ~Json () { g_object_unref (parser); }
  JsonObject *object () { return json_node_get_object (json_parser_get_root (parser)); }
};

std::string status_field (const char *data, const char *id, const char *field)
{
  Cli r = run (data, { "status", id, "--json" });
  assert_exit (r, 0);
  Json json (r.out);
  return json_object_get_string_member (json.object (), field);
}

bool contains (const std::string &text, const std::string &part)
{
  return text.find (part) != std::string::npos;
}

/* The largest and the smallest whole file of the cache, by path. */
std::pair<std::string, std::string> cache_files (const char *data)
{
  std::string cache = std::string (data) + "/cache";
  std::vector<std::pair<goffset, std::string>> files;
  for (const auto &relative : ot::list_files (cache.c_str ())) {
    if (!g_str_has_suffix (relative.c_str (), ".data"))
      continue;
    std::string path = cache + "/" + relative;
    GStatBuf st;
    fail_unless (g_stat (path.c_str (), &st) == 0);
    files.emplace_back (st.st_size, path);
  }
  fail_unless (files.size () >= 2, "the cache holds %zu files", files.size ());
  std::sort (files.begin (), files.end ());
  return { files.back ().second, files.front ().second };
}

/* Plays `description` (a cachesrc pipeline) until an error or the end;
 * returns the error's message, "" at the end. With `on_first_buffer`, it is
 * called (from the streaming thread) once the sink named "sink" has its
 * first buffer. */
std::string play_pipeline (const char *data, const std::string &description, void (*on_first_buffer) (gpointer) = nullptr,
    gpointer user_data = nullptr)
{
  g_setenv ("GST_OFFLINE_DIR", data, TRUE);
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch (description.c_str (), &error);
  fail_unless (pipeline != nullptr, "%s: %s", description.c_str (), error ? error->message : "");
  struct First {
    void (*fn) (gpointer);
    gpointer data;
    gboolean done;
  } first { on_first_buffer, user_data, FALSE };
  if (on_first_buffer) {
    GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
    g_object_set (sink, "signal-handoffs", TRUE, nullptr);
    g_signal_connect (sink, "handoff", G_CALLBACK (+[] (GstElement *, GstBuffer *, GstPad *, First *f) {
      if (!f->done) {
        f->done = TRUE;
        f->fn (f->data);
      }
    }), &first);
    gst_object_unref (sink);
  }
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *message = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      static_cast<GstMessageType> (GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
  std::string result;
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    GError *gerror = nullptr;
    gst_message_parse_error (message, &gerror, nullptr);
    result = gerror->message;
    g_error_free (gerror);
  }
  gst_message_unref (message);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return result;
}

/* The DASH clip of ot::make_dash, served at /d/x.mpd and downloaded as `id`;
 * returns its URL. */
gchar *download_clip (const ot::Dirs &dirs, const char *id)
{
  ot::make_dash (dirs.content, nullptr);
  gchar *url = ot::serve (ot::test_server, dirs.content, "d", "x.mpd");
  ot::download (dirs.data, url, id);
  return url;
}

}  // namespace

/* Item 2: the type comes from the content. An MPD with a comment before its
 * root, at a URL without extension, served as application/dash+xml, is DASH
 * to inspect and to download alike; an HTML page and a truncated manifest
 * give both the same clear error, never "progressive"; --type overrides. */
GST_START_TEST (test_type_comes_from_the_content)
{
  ot::Dirs dirs ("user-type");
  std::string mpd = ot::make_dash_mpd (dirs.content);
  size_t root = mpd.find ("<MPD");
  fail_unless (root != std::string::npos);
  ot::write_text (dirs.in_content ("stream"),
      mpd.substr (0, root) + "<!-- packaged for the test -->\n" + mpd.substr (root));
  ot::write_text (dirs.in_content ("page"),
      "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><p>Please sign in.</p></body></html>\n");
  ot::write_text (dirs.in_content ("cut"), mpd.substr (0, mpd.size () / 2));
  g_autofree gchar *url = ot::serve (ot::test_server, dirs.content, "d", "stream");
  ot_server_set_content_type (ot::test_server, "/d/stream", "application/dash+xml");
  std::string base = std::string (ot_server_get_base_url (ot::test_server)) + "/d/";

  Cli inspect = run (dirs.data, { "inspect", url, "--json" });
  assert_exit (inspect, 0);
  Json json (inspect.out);
  fail_unless_equals_string (json_object_get_string_member (json.object (), "type"), "dash");
  fail_unless (json_array_get_length (json_object_get_array_member (json.object (), "tracks")) == 2, "%s",
      inspect.out.c_str ());

  Cli download = run (dirs.data, { "download", url, "--id", "stream" });
  assert_exit (download, 0);
  std::string type = status_field (dirs.data, "stream", "type");
  fail_unless_equals_string (type.c_str (), "dash");
  std::string state = status_field (dirs.data, "stream", "state");
  fail_unless_equals_string (state.c_str (), "completed");

  for (const char *name : { "page", "cut" }) {
    std::string page = base + name;
    Cli i = run (dirs.data, { "inspect", page.c_str () });
    Cli d = run (dirs.data, { "download", page.c_str (), "--id", name });
    assert_exit (i, 1);
    assert_exit (d, 1);
    std::string why_inspect = ot::reason_of (i), why_download = ot::reason_of (d);
    why_inspect = why_inspect.substr (why_inspect.find (page) + page.size ());
    why_download = why_download.substr (why_download.find (page) + page.size ());
    fail_unless (why_inspect == why_download, "inspect: %s\ndownload: %s", i.err.c_str (), d.err.c_str ());
    fail_if (contains (i.out + i.err, "progressive"), "%s%s", i.out.c_str (), i.err.c_str ());
    if (g_str_equal (name, "page"))
      fail_unless (contains (why_inspect, "not a media file (text/html)"), "%s", why_inspect.c_str ());
    /* Nothing was added for content that is not what it should be. */
    Cli status = run (dirs.data, { "status", name });
    assert_exit (status, 1);
  }

  /* --type says what the URL is, before anything is fetched. */
  Cli forced = run (dirs.data, { "download", url, "--id", "forced", "--type", "hls" });
  assert_exit (forced, 1);
  fail_unless (contains (ot::reason_of (forced), "not an HLS playlist"), "%s", forced.err.c_str ());
  Cli bad = run (dirs.data, { "download", url, "--type", "flv" });
  assert_exit (bad, 2);
  Cli typed = run (dirs.data, { "download", url, "--id", "typed", "--type", "dash" });
  assert_exit (typed, 0);
}
GST_END_TEST;

/* Item 3: track SPECs mean what users type. ffmpeg writes lang="eng"; `en`
 * matches it; a SPEC that matches nothing lists what there is; nothing
 * selected is a usage error that fetches nothing; `--text en` without text
 * tracks fails like `--audio fr`. inspect --json gives channels as a number. */
GST_START_TEST (test_track_specs_mean_what_users_type)
{
  ot::Dirs dirs ("user-tracks");
  std::string mpd = ot::make_dash_mpd (dirs.content, "-metadata:s:a:0 language=eng");
  fail_unless (contains (mpd, "lang=\"eng\""), "%s", mpd.c_str ());
  g_autofree gchar *url = ot::serve (ot::test_server, dirs.content, "d", "x.mpd");

  Cli inspect = run (dirs.data, { "inspect", url, "--json" });
  assert_exit (inspect, 0);
  Json json (inspect.out);
  JsonArray *tracks = json_object_get_array_member (json.object (), "tracks");
  std::string audio_key;
  for (guint i = 0; i < json_array_get_length (tracks); i++) {
    JsonObject *t = json_array_get_object_element (tracks, i);
    if (!g_str_equal (json_object_get_string_member (t, "type"), "audio"))
      continue;
    audio_key = json_object_get_string_member (t, "stream_key");
    JsonNode *channels = json_object_get_member (t, "channels");
    fail_unless (json_node_get_value_type (channels) == G_TYPE_INT64, "channels is not a number: %s",
        inspect.out.c_str ());
    fail_unless_equals_int (json_node_get_int (channels), 2);
  }
  fail_if (audio_key.empty (), "%s", inspect.out.c_str ());

  Cli en = run (dirs.data, { "download", url, "--id", "en", "--video", "none", "--audio", "en" });
  assert_exit (en, 0);
  Cli status = run (dirs.data, { "status", "en", "--json" });
  Json en_json (status.out);
  JsonArray *keys = json_object_get_array_member (en_json.object (), "tracks");
  fail_unless (json_array_get_length (keys) == 1, "%s", status.out.c_str ());
  fail_unless_equals_string (json_array_get_string_element (keys, 0), audio_key.c_str ());

  Cli fr = run (dirs.data, { "download", url, "--id", "fr", "--audio", "fr" });
  assert_exit (fr, 1);
  fail_unless (contains (ot::reason_of (fr), "'fr'") && contains (ot::reason_of (fr), "eng"), "%s", fr.err.c_str ());
  Cli small = run (dirs.data, { "download", url, "--id", "small", "--video", "100p" });
  assert_exit (small, 1);
  fail_unless (contains (ot::reason_of (small), "240p"), "%s", small.err.c_str ());
  Cli text = run (dirs.data, { "download", url, "--id", "text", "--text", "en" });
  assert_exit (text, 1);
  fail_unless (contains (ot::reason_of (text), "no text track"), "%s", text.err.c_str ());

  guint requests = ot_server_get_request_count (ot::test_server, "/d/x.mpd");
  Cli nothing = run (dirs.data, { "download", url, "--id", "nothing", "--video", "none", "--audio", "none" });
  assert_exit (nothing, 2);
  fail_unless_equals_int (ot_server_get_request_count (ot::test_server, "/d/x.mpd"), requests);
  Cli list = run (dirs.data, { "list" });
  fail_if (contains (list.out, "nothing"), "%s", list.out.c_str ());
}
GST_END_TEST;

/* Item 4: `download` runs its own download only, not the rest of the queue;
 * --no-wait on a complete download leaves it complete and playable. */
GST_START_TEST (test_download_runs_that_download_only)
{
  ot::Dirs dirs ("user-alone");
  g_autofree gchar *a = ot_make_mp4 (dirs.content, "a.mp4", 2, FALSE);
  g_autofree gchar *b = ot_make_mp4 (dirs.content, "b.mp4", 2, FALSE);
  g_autofree gchar *url_a = ot_server_add_file (ot::test_server, "/a.mp4", a);
  g_autofree gchar *url_b = ot_server_add_file (ot::test_server, "/b.mp4", b);

  Cli queued = run (dirs.data, { "download", url_a, "--id", "other", "--no-wait" });
  assert_exit (queued, 0);
  fail_unless_equals_string (queued.out.c_str (), "queued other\n");
  Cli mine = run (dirs.data, { "download", url_b, "--id", "mine" });
  assert_exit (mine, 0);
  fail_unless_equals_int (ot_server_get_request_count (ot::test_server, "/a.mp4"), 0);
  std::string other_state = status_field (dirs.data, "other", "state");
  fail_unless_equals_string (other_state.c_str (), "queued");

  guint requests = ot_server_get_request_count (ot::test_server, "/b.mp4");
  Cli again = run (dirs.data, { "download", url_b, "--id", "mine", "--no-wait" });
  assert_exit (again, 0);
  fail_unless_equals_string (again.out.c_str (), "completed mine\n");
  std::string mine_state = status_field (dirs.data, "mine", "state");
  fail_unless_equals_string (mine_state.c_str (), "completed");
  fail_unless_equals_int (ot_server_get_request_count (ot::test_server, "/b.mp4"), requests);
  Cli play = run (dirs.data, { "play", "mine", "--video-sink", "fakesink", "--audio-sink", "fakesink" });
  assert_exit (play, 0);
}
GST_END_TEST;

/* Item 6: what verify finds truncated or missing is fetched again by
 * `verify --repair` and by running the same download again. */
GST_START_TEST (test_repair)
{
  ot::Dirs dirs ("user-repair");
  g_autofree gchar *url = download_clip (dirs, "movie");

  auto [largest, smallest] = cache_files (dirs.data);
  fail_unless (truncate (largest.c_str (), 100) == 0);
  Cli verify = run (dirs.data, { "verify" });
  assert_exit (verify, 1);
  Cli repair = run (dirs.data, { "verify", "--repair" });
  assert_exit (repair, 0);
  fail_unless (contains (repair.out, "repaired movie\n"), "%s", repair.out.c_str ());
  ot::assert_verify_clean (dirs.data);

  fail_unless (g_unlink (smallest.c_str ()) == 0);
  Cli broken = run (dirs.data, { "verify", "movie" });
  assert_exit (broken, 1);
  Cli again = run (dirs.data, { "download", url, "--id", "movie" });
  assert_exit (again, 0);
  ot::assert_verify_clean (dirs.data);
  Cli play = run (dirs.data, { "play", "movie", "--video-sink", "fakesink", "--audio-sink", "fakesink" });
  assert_exit (play, 0);
}
GST_END_TEST;

/* Item 6: removing a download while it plays ends playback with "download
 * ID was removed". Playback runs at the clock's pace; the removal comes
 * with the first frame. */
GST_START_TEST (test_removed_while_playing)
{
  ot::Dirs dirs ("user-removed");
  g_autofree gchar *url = download_clip (dirs, "movie");

  struct Remover {
    const char *data;
    gint status = -1;
  } remover { dirs.data };
  std::string error = play_pipeline (dirs.data, "cachesrc uri=offline://movie tracks=0 ! qtdemux ! fakesink name=sink sync=true",
      [] (gpointer data) {
        auto *r = static_cast<Remover *> (data);
        r->status = run (r->data, { "remove", "movie" }).status;
      },
      &remover);
  fail_unless_equals_int (remover.status, 0);
  fail_unless (contains (error, "'movie' was removed"), "playback ended with: '%s'", error.c_str ());
}
GST_END_TEST;

/* Item 7: the rest of what a new user hit. */
GST_START_TEST (test_what_a_new_user_hit)
{
  ot::Dirs dirs ("user-edges");
  /* A SegmentList MPD (ffmpeg lists a last segment past its duration) at
   * …/movie/manifest.mpd. */
  std::string movie_dir = dirs.in_content ("movie");
  g_mkdir_with_parents (movie_dir.c_str (), 0700);
  std::string mpd = ot::make_dash_mpd (movie_dir.c_str (), "-use_template 0 -use_timeline 0");
  fail_unless (contains (mpd, "<SegmentList"), "%s", mpd.c_str ());
  fail_unless (g_rename ((movie_dir + "/x.mpd").c_str (), (movie_dir + "/manifest.mpd").c_str ()) == 0);
  ot::serve_dir (ot::test_server, dirs.content, "/shows");
  std::string base = std::string (ot_server_get_base_url (ot::test_server)) + "/shows/";
  std::string url = base + "movie/manifest.mpd";

  /* A failed first attempt does not take the id for good. */
  std::string typo = base + "movie/manifest.mdp.mpd";
  Cli failed = run (dirs.data, { "download", typo.c_str (), "--id", "film" });
  assert_exit (failed, 1);
  Cli film = run (dirs.data, { "download", url.c_str (), "--id", "film" });
  assert_exit (film, 0);

  /* The default id is the meaningful path element, and the CLI says so. */
  Cli derived = run (dirs.data, { "download", url.c_str () });
  assert_exit (derived, 0);
  fail_unless (g_str_has_prefix (derived.out.c_str (), "movie: the id of "), "%s", derived.out.c_str ());
  fail_unless (contains (derived.out, "movie: completed, "), "%s", derived.out.c_str ());

  /* SegmentList: the download lasts what the MPD says. */
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (dirs.data, nullptr);
  GstClockTime duration = gst_offline_download_index_get_duration (index, "movie");
  fail_unless (duration >= (ot::kDashClipSeconds - 0.1) * GST_SECOND && duration <= (ot::kDashClipSeconds + 0.1) * GST_SECOND,
      "duration %" GST_TIME_FORMAT " for a %u s MPD", GST_TIME_ARGS (duration), ot::kDashClipSeconds);

  /* Ids that read as a directory or an option are refused. */
  for (const char *bad : { "--id=.", "--id=..", "--id=-x" }) {
    Cli r = run (dirs.data, { "download", url.c_str (), bad });
    assert_exit (r, 1);
    fail_unless (contains (ot::reason_of (r), "is not a valid download id"), "%s", r.err.c_str ());
  }

  /* --dir naming a file is an error, not an empty list. */
  std::string file = std::string (dirs.root) + "/a-file";
  ot::write_text (file, "x");
  Cli list = run (dirs.data, { "list", "--dir", file.c_str () });
  assert_exit (list, 1);
  fail_unless (contains (ot::reason_of (list), "is not a directory"), "%s", list.err.c_str ());

  /* A download without a license has none to show or release; status never
   * shows a negative time. */
  for (const char *sub : { "status", "release" }) {
    Cli r = run (dirs.data, { "license", sub, "movie" });
    assert_exit (r, 1);
    fail_unless (contains (ot::reason_of (r), "has no license"), "%s", r.err.c_str ());
  }
  Cli status = run (dirs.data, { "status", "movie" });
  fail_if (contains (status.out, "-1 s"), "%s", status.out.c_str ());

  /* cachesrc's tracks property: a track named twice, and any track of a
   * single media file, are errors. */
  std::string twice = play_pipeline (dirs.data, "cachesrc uri=offline://movie tracks=0,0 ! fakesink");
  fail_unless (contains (twice, "named twice"), "%s", twice.c_str ());
  g_autofree gchar *mp4 = ot_make_mp4 (dirs.made, "clip.mp4", 1, FALSE);
  g_autofree gchar *clip_url = ot_server_add_file (ot::test_server, "/clip.mp4", mp4);
  ot::download (dirs.data, clip_url, "clip");
  std::string progressive = play_pipeline (dirs.data, "cachesrc uri=offline://clip tracks=0 ! fakesink");
  fail_unless (contains (progressive, "single media file"), "%s", progressive.c_str ());
}
GST_END_TEST;

/* Item 7: a disk that fills up mid-download says "not enough space in DIR";
 * a data directory on a read-only file system can still be listed. */
GST_START_TEST (test_full_disk_and_read_only_data_dir)
{
  ot::Dirs dirs ("user-disk");
  g_autofree gchar *mp4 = ot_make_mp4 (dirs.made, "long.mp4", 20, FALSE);
  GStatBuf st;
  fail_unless (g_stat (mp4, &st) == 0);
  std::string mnt = std::string (dirs.root) + "/mnt";
  g_mkdir (mnt.c_str (), 0700);
  /* Room for the database and the manager's 512 KiB space reserve, and
   * half of the file. */
  ot::mount_private_tmpfs (mnt.c_str (), 1024 + (guint) (st.st_size / 1024 / 2));
  std::string data = mnt + "/data";
  g_autofree gchar *url = ot_server_add_file (ot::test_server, "/long.mp4", mp4);
  /* No Content-Length: nothing tells the size before the disk fills. */
  ot_server_set_fault (ot::test_server, "/long.mp4", OT_FAULT_CHUNKED, 0, -1);

  Cli full = run (data.c_str (), { "download", url, "--id", "long", "--min-free-space", "0" });
  assert_exit (full, 1);
  fail_unless (contains (ot::reason_of (full), "not enough space in " + data), "%s", full.err.c_str ());

  fail_unless (mount ("tmpfs", mnt.c_str (), "tmpfs", MS_REMOUNT | MS_RDONLY, nullptr) == 0, "remount: %s",
      g_strerror (errno));
  Cli list = run (data.c_str (), { "list" });
  assert_exit (list, 0);
  fail_unless (contains (list.out, "long"), "%s", list.out.c_str ());
  Cli json = run (data.c_str (), { "list", "--json" });
  assert_exit (json, 0);
}
GST_END_TEST;

static Suite *user_paths_suite (void)
{
  Suite *s = suite_create ("user-paths");
  TCase *tc = ot::adaptive_tcase ("user");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_type_comes_from_the_content);
  tcase_add_test (tc, test_track_specs_mean_what_users_type);
  tcase_add_test (tc, test_download_runs_that_download_only);
  tcase_add_test (tc, test_repair);
  tcase_add_test (tc, test_removed_while_playing);
  tcase_add_test (tc, test_what_a_new_user_hit);
  tcase_add_test (tc, test_full_disk_and_read_only_data_dir);
  return s;
}

GST_CHECK_MAIN (user_paths);
