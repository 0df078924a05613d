/* Live recording walked the ways users do (issue 17), each walk kept as a
 * test: the built gst-offline run at a "terminal" and by a script, against
 * the tests' live origin (tests/support/live-origin) over ffmpeg's
 * segments. The origin publishes a segment only when the test says so
 * (its clock is the test's), so what a recording holds at each step is
 * known, and the tests wait on the index (inotify), never on time.
 * - a recording for --duration, watched with list and status while it runs,
 *   then the same command again (it is complete: nothing more is fetched);
 * - a script reading the plain progress lines (`download` has no --json)
 *   and polling `status --json`: every output parses and none claims
 *   completion early;
 * - Ctrl-C, then the same command and `resume`; a second process on the same
 *   id; `pause` from another process;
 * - playback while it records (gst-launch-1.0 playbin3, which pauses on
 *   BUFFERING) and after, without network, under playbin, playbin3 and
 *   uridecodebin3, frames equal to the decode of the segments fetched;
 * - two audio languages of a live master playlist: --audio by ISO 639-1 or
 *   639-2 code, or all of them, played under playbin3.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>
#include <json-glib/json-glib.h>

#include "adaptive-content.h"
#include "frame-checks.h"
#include "live-checks.h"
#include "live-content.h"
#include "live-origin.h"
#include "running.h"
#include "test-support.h"

#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

using namespace ot;

namespace {

constexpr guint kWindow = 6;
/* The origin publishes only when the test says so. */
constexpr guint kTestClock = G_MAXINT;
/* The segments an audio track may need beyond the video's to hold as much
 * (AAC frames are not cut at segment boundaries: N audio segments hold N s
 * give or take a frame), which a recording for a duration waits for. */
constexpr guint kAudioLeeway = 1;

bool
contains (const std::string &text, const std::string &part)
{
  return text.find (part) != std::string::npos;
}

/* A parsed --json output; fails the test if it is not JSON. */
struct Json {
  JsonParser *parser = json_parser_new ();
  explicit Json (const std::string &text)
  {
    fail_unless (json_parser_load_from_data (parser, text.c_str (), -1, nullptr), "not JSON: %s", text.c_str ());
  }
  ~Json () { g_object_unref (parser); }
  Json (const Json &) = delete;
  Json &operator= (const Json &) = delete;
  JsonObject *object () { return json_node_get_object (json_parser_get_root (parser)); }
  /* `member`, which must be a number (not null, not a string). */
  double number (const gchar *member)
  {
    JsonNode *node = json_object_get_member (object (), member);
    fail_unless (node && JSON_NODE_HOLDS_VALUE (node)
            && (json_node_get_value_type (node) == G_TYPE_INT64 || json_node_get_value_type (node) == G_TYPE_DOUBLE),
        "%s is not a number", member);
    return json_node_get_double (node);
  }
  /* `member`, a string (owned by the parser). */
  const gchar *string (const gchar *member) { return json_object_get_string_member (object (), member); }
};

/* `gst-offline status ID --json`, which must succeed. */
std::string
status_json (const gchar *data, const gchar *id)
{
  Cli r = run (data, { "status", id, "--json" });
  ot_assert_exit (r, 0);
  return r.out;
}

/* The sum of the sizes of `files` of `dir`. */
guint64
size_of (const std::string &dir, const std::vector<Recorded> &files)
{
  guint64 total = 0;
  for (const Recorded &f : files) {
    GStatBuf st;
    fail_unless (g_stat ((dir + "/" + f.file).c_str (), &st) == 0, "%s/%s", dir.c_str (), f.file.c_str ());
    total += static_cast<guint64> (st.st_size);
  }
  return total;
}

/* A CLI run in a thread of its own (its output taken whole at the end)
 * while the test goes on. */
class Background {
 public:
  Background (const gchar *data, std::vector<std::string> args) : args_ (std::move (args))
  {
    thread_ = std::thread ([this, data] {
      std::vector<const char *> argv;
      for (const std::string &a : args_)
        argv.push_back (a.c_str ());
      result_ = run (data, argv);
    });
  }
  ~Background ()
  {
    if (thread_.joinable ())
      thread_.join ();
  }
  Background (const Background &) = delete;
  Background &operator= (const Background &) = delete;

  Cli join ()
  {
    thread_.join ();
    return result_;
  }

 private:
  std::vector<std::string> args_;
  std::thread thread_;
  Cli result_;
};

/* Checksum lines as a GPtrArray (transfer full), from a program's output. */
GPtrArray *
lines_of (const std::string &text)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) split = g_strsplit (text.c_str (), "\n", -1);
  for (gchar **l = split; *l; l++)
    if (g_str_has_prefix (*l, "video ") || g_str_has_prefix (*l, "audio "))
      g_ptr_array_add (lines, g_strdup (*l));
  return lines;
}

/* ot-decode's checksum lines of offline://`id` without network, through
 * `flags`' player (fails the test on an error). */
GPtrArray *
play (const gchar *data, const gchar *id, OtDecodeFlags flags)
{
  g_autofree gchar *uri = g_strdup_printf ("offline://%s", id);
  g_autofree gchar *error = nullptr;
  GPtrArray *lines = ot_decode_checksums_full (uri, data, static_cast<OtDecodeFlags> (flags | OT_DECODE_NO_NETWORK),
      GST_CLOCK_TIME_NONE, &error);
  fail_unless (lines != nullptr, "%s did not play: %s", uri, error);
  return lines;
}

/* The segments of the track of `id` served from /`track`/ (none: empty). */
size_t
count_recorded (const gchar *data, const gchar *id, const std::string &track)
{
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (data, nullptr);
  size_t count = 0;
  for (guint t = 0; t < 8; t++) {
    g_autoptr (GPtrArray) segments = gst_offline_download_index_get_segments (index, id, t, 0, 10000, nullptr);
    for (guint i = 0; segments && i < segments->len; i++)
      count += contains (static_cast<GstOfflineSegment *> (g_ptr_array_index (segments, i))->resource, "/" + track + "/");
  }
  return count;
}

/* Whether the plan of `id` holds a segment of /`track`/, for ot_wait_for_changes(). */
struct Plan {
  const gchar *data;
  const gchar *id;
  const gchar *track;
};

gboolean
plan_holds_one (gpointer data)
{
  auto *p = static_cast<Plan *> (data);
  return count_recorded (p->data, p->id, p->track) > 0;
}

/* A video-only live origin publishing a window of kWindow segments, then
 * only when the test says so. */
struct VideoLive {
  std::string video;
  LiveOrigin origin;
  std::string url;

  explicit VideoLive (const Dirs &d)
      : video (made (d)), origin ({ { "video", video } }, kWindow, kWindow, kTestClock),
        url (origin.url ("/video/index.m3u8"))
  {
  }
  static std::string made (const Dirs &d)
  {
    std::string dir = d.in_content ("video");
    make_live_video (dir);
    return dir;
  }

  /* Starts `download URL --id live`, a recording from the live edge without
   * --duration, and returns its pid once it holds `seconds` (0: at once). */
  GPid start_recording (const Dirs &d, guint seconds) const
  {
    const gchar *argv[] = { "download", url.c_str (), "--id", "live", nullptr };
    GPid cli = ot_spawn_cli (d.data, argv);
    if (seconds > 0)
      wait_recorded (d.data, "live", seconds);
    return cli;
  }
};

/* 1. At a terminal: `download URL --id live --duration 6` records from the
 * live edge (segments 3 to 5 of the window [0, 6)); while it waits for the
 * next segments, `list` shows it as a recording and `status` (text and
 * JSON) says what it holds: 3 s recorded, none missing, its lag, and the
 * bytes of the segments fetched. Three more segments complete it: the
 * command says so with the same bytes `status` then shows. The same command
 * again finds it complete and fetches nothing, though the stream goes on. */
GST_START_TEST (test_record_at_a_terminal)
{
  Dirs d ("terminal");
  VideoLive live (d);
  Background first (d.data, { "download", live.url, "--id", "live", "--duration", "6" });
  wait_recorded (d.data, "live", 3);

  Cli list = run (d.data, { "list" });
  ot_assert_exit (list, 0);
  fail_unless (contains (list.out, "live  downloading") && contains (list.out, "(recording: 3.0 s recorded, ")
          && contains (list.out, " behind the live edge)"),
      "list while it records: %s", list.out.c_str ());
  Cli text = run (d.data, { "status", "live" });
  ot_assert_exit (text, 0);
  fail_unless (contains (text.out, "recording: 3.0 s recorded, "), "status while it records: %s", text.out.c_str ());
  {
    Json running (status_json (d.data, "live"));
    fail_unless_equals_string (running.string ("state"), "downloading");
    fail_unless (json_object_get_boolean_member (running.object (), "recording"));
    fail_unless (running.number ("recorded_seconds") == 3.0, "%f s recorded", running.number ("recorded_seconds"));
    fail_unless (running.number ("missing_seconds") == 0.0, "%f s missing", running.number ("missing_seconds"));
    double lag = running.number ("live_lag_seconds");
    fail_unless (lag >= 0 && lag <= kWindow, "%f s behind the live edge", lag);
    auto fetched = recorded (d.data, "live", "video");
    fail_unless_equals_int (fetched.size (), 3);
    fail_unless (running.number ("bytes_downloaded") >= static_cast<double> (size_of (live.video, fetched)),
        "%.0f bytes downloaded, the segments fetched are %" G_GUINT64_FORMAT, running.number ("bytes_downloaded"),
        size_of (live.video, fetched));
  }

  live.origin.publish (3);
  Cli done = first.join ();
  ot_assert_exit (done, 0);
  Json completed (status_json (d.data, "live"));
  fail_unless_equals_string (completed.string ("state"), "completed");
  fail_unless (completed.number ("recorded_seconds") == 6.0, "%f s recorded", completed.number ("recorded_seconds"));
  fail_unless (completed.number ("missing_seconds") == 0.0);
  fail_unless (json_object_get_null_member (completed.object (), "live_lag_seconds"), "a lag once completed");
  auto fetched = recorded (d.data, "live", "video");
  fail_unless_equals_int (fetched.size (), 6);
  double bytes = completed.number ("bytes_downloaded");
  fail_unless (bytes >= static_cast<double> (size_of (live.video, fetched)), "%.0f bytes", bytes);
  g_autofree gchar *end = g_strdup_printf ("live: recording completed: 6.0 s recorded, %.0f bytes\n", bytes);
  fail_unless (g_str_has_suffix (done.out.c_str (), end), "the command ends with:\n%s", done.out.c_str ());
  list = run (d.data, { "list" });
  fail_unless (contains (list.out, "live  completed  100.0%") && contains (list.out, "(recording: 6.0 s recorded)\n"),
      "list once completed: %s", list.out.c_str ());

  live.origin.publish (3);
  auto served = live.origin.served ("video");
  Cli again = run (d.data, { "download", live.url.c_str (), "--id", "live", "--duration", "6" });
  ot_assert_exit (again, 0);
  fail_unless (contains (again.out, "live: recording completed: 6.0 s recorded"), "%s", again.out.c_str ());
  fail_unless (live.origin.served ("video") == served, "the same command recorded again");
  fail_unless_equals_int (recorded (d.data, "live", "video").size (), 6);
}
GST_END_TEST;

/* Video and audio renditions (English only by default), a master
 * playlist: the origin of the walks that play, publishing when the test
 * says so. The renditions' sines are 440 Hz, 880 Hz, ...: each language
 * decodes to its own frames. */
struct MasterLive {
  const Dirs &d;
  std::string video;
  LiveOrigin origin;
  std::string url;

  explicit MasterLive (const Dirs &dirs,
      const std::vector<LiveRendition> &audio = { { "audio", "English", "en", true } })
      : d (dirs), video (dirs.in_content ("video")), origin (make (dirs, audio), kWindow, kWindow, kTestClock,
                                                         live_master_playlist (audio)),
        url (origin.url ("/master.m3u8"))
  {
  }
  static std::vector<LiveOrigin::Track> make (const Dirs &d, const std::vector<LiveRendition> &audio)
  {
    std::vector<LiveOrigin::Track> tracks = { { "video", d.in_content ("video") } };
    make_live_video (tracks[0].dir);
    for (size_t i = 0; i < audio.size (); i++) {
      tracks.push_back ({ audio[i].track, d.in_content (audio[i].track) });
      make_live_audio (tracks.back ().dir, static_cast<guint> (440 * (i + 1)));
    }
    return tracks;
  }
  std::string audio (const std::string &track = "audio") const { return d.in_content (track); }
};

/* A progress line of `download` for a recording, as docs/cli.md gives it:
 * `ID: [P% ]SIZE[ of [about ]SIZE], R s recorded[, M s missing (played as
 * gaps)][, L s behind the live edge]`; its percent (-1 without one) and
 * seconds recorded. */
bool
parse_progress_line (const std::string &line, const std::string &id, double *percent, double *seconds)
{
  g_autofree gchar *pattern = g_strdup_printf ("^%s: (?:(\\d+\\.\\d)%% )?\\d+(?:\\.\\d)? (?:B|KiB|MiB|GiB)"
      "(?: of (?:about )?\\d+(?:\\.\\d)? (?:B|KiB|MiB|GiB))?, (\\d+\\.\\d) s recorded"
      "(?:, \\d+\\.\\d s missing \\(played as gaps\\))?(?:, \\d+\\.\\d s behind the live edge)?$", id.c_str ());
  g_autoptr (GRegex) re = g_regex_new (pattern, (GRegexCompileFlags) 0, (GRegexMatchFlags) 0, nullptr);
  GMatchInfo *match = nullptr;
  bool matched = g_regex_match (re, line.c_str (), (GRegexMatchFlags) 0, &match);
  if (matched) {
    g_autofree gchar *p = g_match_info_fetch (match, 1);
    g_autofree gchar *r = g_match_info_fetch (match, 2);
    *percent = p && *p ? g_ascii_strtod (p, nullptr) : -1;
    *seconds = g_ascii_strtod (r, nullptr);
  }
  g_match_info_free (match);
  return matched;
}

/* 2. A script: `download --duration 8` with its output read as a script
 * reads it (stdout is no terminal: plain lines; `download` has no --json),
 * and `status --json` polled at every segment the origin publishes. Every
 * line is a progress line of the recording or its last line, the end;
 * every status parses, says a running recording until the end, with the
 * seconds recorded growing, and only the last says completed. */
GST_START_TEST (test_script_follows_a_recording)
{
  Dirs d ("script");
  MasterLive live (d);
  Background recording (d.data, { "download", live.url, "--id", "script", "--duration", "8" });
  std::vector<std::string> polls;
  for (guint held = 3; held < 8; held++) {
    wait_recorded (d.data, "script", held);
    polls.push_back (status_json (d.data, "script"));
    live.origin.publish (1);
  }
  live.origin.publish (kAudioLeeway);
  Cli done = recording.join ();
  ot_assert_exit (done, 0);
  polls.push_back (status_json (d.data, "script"));

  double last = 0;
  for (size_t i = 0; i < polls.size (); i++) {
    Json status (polls[i]);
    bool end = i + 1 == polls.size ();
    std::string state = status.string ("state");
    fail_unless (state == (end ? "completed" : "downloading"), "poll %zu: %s", i, polls[i].c_str ());
    fail_unless (json_object_get_boolean_member (status.object (), "recording"), "poll %zu: %s", i, polls[i].c_str ());
    double seconds = status.number ("recorded_seconds");
    fail_unless (seconds >= last && seconds >= 3 + (end ? 5 : i), "poll %zu: %f s recorded after %f", i, seconds, last);
    last = seconds;
    double percent = status.number ("percent");
    fail_unless (end ? percent == 100 : percent < 100, "poll %zu: %f%%", i, percent);
    fail_unless (end ? json_object_get_null_member (status.object (), "live_lag_seconds")
                     : status.number ("live_lag_seconds") >= 0, "poll %zu: %s", i, polls[i].c_str ());
  }
  fail_unless (last == 8, "%f s recorded", last);

  g_auto (GStrv) lines = g_strsplit (done.out.c_str (), "\n", -1);
  guint count = g_strv_length (lines);
  fail_unless (count >= 2 && lines[count - 1][0] == '\0', "%s", done.out.c_str ());
  double seconds_before = 0, percent_before = -1;
  for (guint i = 0; i + 2 < count; i++) {
    double percent = -1, seconds = 0;
    fail_unless (parse_progress_line (lines[i], "script", &percent, &seconds), "not a progress line: '%s'\n%s",
        lines[i], done.out.c_str ());
    fail_unless (percent < 100 && percent >= percent_before && seconds >= seconds_before && seconds < 8,
        "'%s' after %f%%, %f s", lines[i], percent_before, seconds_before);
    percent_before = percent;
    seconds_before = seconds;
  }
  fail_unless (g_regex_match_simple ("^script: recording completed: 8\\.0 s recorded, \\d+ bytes$", lines[count - 2],
                   (GRegexCompileFlags) 0, (GRegexMatchFlags) 0),
      "the last line: '%s'", lines[count - 2]);
}
GST_END_TEST;

/* 3a. Ctrl-C in a recording without --duration ends it, completed with
 * what it holds (exit 0, as docs/cli.md says); the same command again then
 * finds it complete and records nothing more, though the stream goes on,
 * and `resume` leaves it so. */
GST_START_TEST (test_interrupt_then_again)
{
  Dirs d ("interrupt");
  VideoLive live (d);
  GPid cli = live.start_recording (d, 3);
  kill (cli, SIGINT);
  fail_unless_equals_int (ot_wait_pid (cli), 0);
  {
    Json status (status_json (d.data, "live"));
    fail_unless_equals_string (status.string ("state"), "completed");
    fail_unless (status.number ("recorded_seconds") == 3, "%f s recorded", status.number ("recorded_seconds"));
    fail_unless (status.number ("stop_reason") == 0, "Ctrl-C left a stop reason");
  }
  live.origin.publish (3);
  auto served = live.origin.served ("video");
  Cli again = run (d.data, { "download", live.url.c_str (), "--id", "live" });
  ot_assert_exit (again, 0);
  fail_unless (contains (again.out, "live: recording completed: 3.0 s recorded"), "%s", again.out.c_str ());
  Cli resume = run (d.data, { "resume", "live" });
  ot_assert_exit (resume, 0);
  fail_unless_equals_string (resume.out.c_str (), "resumed live\n");
  Json status (status_json (d.data, "live"));
  fail_unless_equals_string (status.string ("state"), "completed");
  fail_unless (live.origin.served ("video") == served, "it recorded again");
  fail_unless (status.number ("recorded_seconds") == 3);
}
GST_END_TEST;

/* 3a'. Ctrl-C as soon as the recording holds its first segment (a user
 * who changes their mind at once): it is ended all the same, completed
 * with what it holds, not interrupted. */
GST_START_TEST (test_interrupt_at_first_segment)
{
  Dirs d ("first-segment");
  VideoLive live (d);
  GPid cli = live.start_recording (d, 0);
  Plan first { d.data, "live", "video" };
  ot_wait_for_changes (d.data, plan_holds_one, &first);
  kill (cli, SIGINT);
  fail_unless_equals_int (ot_wait_pid (cli), 0);
  Json status (status_json (d.data, "live"));
  fail_unless_equals_string (status.string ("state"), "completed");
  fail_unless (status.number ("recorded_seconds") >= 1, "%f s recorded", status.number ("recorded_seconds"));
}
GST_END_TEST;

/* 3b. A second process on the id being recorded, as `download` (with or
 * without --duration) and `download --no-wait`, is refused with the reason
 * docs/cli.md gives, leaving the recording as it was; `pause` from another
 * process ends it, completed, the stop reason kept until `resume`. */
GST_START_TEST (test_second_process_and_pause)
{
  Dirs d ("second");
  VideoLive live (d);
  GPid cli = live.start_recording (d, 3);
  for (std::vector<const char *> extra : { std::vector<const char *> {}, { "--duration", "4" }, { "--no-wait" } }) {
    std::vector<const char *> args = { "download", live.url.c_str (), "--id", "live" };
    args.insert (args.end (), extra.begin (), extra.end ());
    Cli second = run (d.data, args);
    ot_assert_exit (second, 1);
    std::string reason = reason_of (second);
    fail_unless_equals_string (reason.c_str (), "gst-offline: download live is being downloaded by another process");
  }
  std::string state = Json (status_json (d.data, "live")).string ("state");
  fail_unless_equals_string (state.c_str (), "downloading");
  live.origin.publish (1);
  wait_recorded (d.data, "live", 4);
  Cli pause = run (d.data, { "pause", "live" });
  ot_assert_exit (pause, 0);
  fail_unless_equals_int (ot_wait_pid (cli), 0);
  {
    Json status (status_json (d.data, "live"));
    fail_unless_equals_string (status.string ("state"), "completed");
    fail_unless (status.number ("recorded_seconds") == 4, "%f s recorded", status.number ("recorded_seconds"));
    fail_unless (status.number ("stop_reason") == 1, "pause's stop reason is gone");
  }
  ot_assert_exit (run (d.data, { "resume", "live" }), 0);
  Json status (status_json (d.data, "live"));
  fail_unless (status.number ("stop_reason") == 0);
  fail_unless_equals_string (status.string ("state"), "completed");
}
GST_END_TEST;

/* 4. Playback while it records and after. While it records: gst-launch-1.0
 * playbin3 (a user's player, which pauses on BUFFERING) and playbin3 with
 * checksums, both waiting at the end of what it holds, then playing on as
 * the recording grows and ending when it completes. After: playbin and
 * uridecodebin3, without network. Every one plays the frames of the
 * segments recorded, video and audio. */
GST_START_TEST (test_plays_while_and_after)
{
  Dirs d ("plays");
  MasterLive live (d);
  Background recording (d.data, { "download", live.url, "--id", "played", "--duration", "8" });
  wait_recorded (d.data, "played", 3);

  Running launch (d.data, { "gst-launch-1.0", "playbin3", "uri=offline://played", "video-sink=fakesink",
                              "audio-sink=fakesink" });
  Running checksums (d.data, { ot_decoder_path (), "--playbin3", "offline://played" }, { { "OT_DECODE_BUFFERING", "1" } });
  launch.wait_line (false, "Buffering, setting pipeline to PAUSED");
  checksums.wait_line (true, "buffering 0");
  for (guint held = 3; held < 8; held++) {
    wait_recorded (d.data, "played", held);
    live.origin.publish (1);
  }
  live.origin.publish (kAudioLeeway);
  ot_assert_exit (recording.join (), 0);
  std::string out, err;
  fail_unless_equals_int (launch.finish (&out, &err), 0);
  fail_unless (contains (out, "Got EOS"), "%s%s", out.c_str (), err.c_str ());
  fail_unless_equals_int (checksums.finish (&out, &err), 0);
  g_autoptr (GPtrArray) while_recording = lines_of (out);

  auto videos = recorded (d.data, "played", "video");
  auto audios = recorded (d.data, "played", "audio");
  fail_unless_equals_int (videos.size (), 8);
  assert_plays_parts (d, live.video, videos, "video", while_recording);
  assert_plays_parts (d, live.audio (), audios, "audio", while_recording);
  for (OtDecodeFlags flags : { OT_DECODE_PLAYBIN, OT_DECODE_URIDECODEBIN3 }) {
    g_autoptr (GPtrArray) offline = play (d.data, "played", flags);
    assert_plays_parts (d, live.video, videos, "video", offline);
    assert_plays_parts (d, live.audio (), audios, "audio", offline);
  }
}
GST_END_TEST;

/* 6. Two audio languages of a live master playlist, whose LANGUAGE is ISO
 * 639-2 (`eng`, `fra`): `--audio en` records the English rendition alone
 * (ISO 639-1 matches 639-2), `--audio fre` (639-2/B) the French alone,
 * `--audio all` both, which plays English (DEFAULT=YES) under playbin3. */
GST_START_TEST (test_two_audio_languages)
{
  Dirs d ("languages");
  MasterLive live (d, { { "english", "English", "eng", true }, { "french", "Francais", "fra", false } });
  Cli english = run (d.data, { "download", live.url.c_str (), "--id", "english", "--duration", "2", "--audio", "en" });
  ot_assert_exit (english, 0);
  fail_unless (live.origin.served ("french").empty (), "--audio en fetched %zu French segments",
      live.origin.served ("french").size ());
  fail_unless (count_recorded (d.data, "english", "english") >= 2);
  fail_unless_equals_int (count_recorded (d.data, "english", "french"), 0);
  Cli french = run (d.data, { "download", live.url.c_str (), "--id", "french", "--duration", "2", "--audio", "fre" });
  ot_assert_exit (french, 0);
  fail_unless (count_recorded (d.data, "french", "french") >= 2);
  fail_unless_equals_int (count_recorded (d.data, "french", "english"), 0);

  Cli both = run (d.data, { "download", live.url.c_str (), "--id", "both", "--duration", "2", "--audio", "all" });
  ot_assert_exit (both, 0);
  auto videos = recorded (d.data, "both", "video");
  auto englishes = recorded (d.data, "both", "english");
  auto frenches = recorded (d.data, "both", "french");
  fail_unless (englishes.size () >= 2 && frenches.size () >= 2, "%zu English, %zu French segments", englishes.size (),
      frenches.size ());

  /* It plays, under playbin3, its main language (DEFAULT=YES). */
  g_autoptr (GPtrArray) offline = play (d.data, "both", OT_DECODE_PLAYBIN3);
  assert_plays_parts (d, live.video, videos, "video", offline);
  assert_plays_parts (d, live.audio ("english"), englishes, "audio", offline);
}
GST_END_TEST;

/* A user who gives --start/--end to a live stream (as for VOD) is told
 * that a live stream has no such times, before anything is recorded (no
 * row, no request of a segment): a recording is cut by --duration. (It was
 * recorded, listed "range 0:00:02.000 to the end", and played from 2 s of
 * its own timeline, which starts at 0 with its first segment.) */
GST_START_TEST (test_time_range_of_a_live_stream)
{
  Dirs d ("range");
  VideoLive live (d);
  Cli r = run (d.data, { "download", live.url.c_str (), "--id", "ranged", "--start", "2", "--duration", "2" });
  ot_assert_exit (r, 1);
  std::string reason = reason_of (r);
  fail_unless (g_str_has_prefix (reason.c_str (),
                   "gst-offline: cannot add download ranged: a time range needs a presentation that is not live: "),
      "%s", reason.c_str ());
  fail_unless (live.origin.served ("video").empty (), "a segment was fetched");
  Cli status = run (d.data, { "status", "ranged" });
  ot_assert_exit (status, 1);
}
GST_END_TEST;

/* `download --duration 2` of video and audio, as a user checks it with
 * `play`: the recording lasts 2 s, its tracks as long as each other.
 * ffmpeg's AAC segments last 0.998 s (its frames are not cut at 1 s): when
 * each track recorded until it held the duration exactly, two of them held
 * 1.997 s and the audio took a third segment, a second of audio without
 * video at the end (LiveRecorder::takes ()). */
GST_START_TEST (test_duration_is_the_recordings_length)
{
  Dirs d ("length");
  MasterLive live (d);
  Cli r = run (d.data, { "download", live.url.c_str (), "--id", "short", "--duration", "2" });
  ot_assert_exit (r, 0);
  size_t videos = count_recorded (d.data, "short", "video"), audios = count_recorded (d.data, "short", "audio");
  fail_unless (audios == videos, "%zu audio segments recorded with %zu video segments", audios, videos);
  g_autoptr (GPtrArray) offline = ot_decode_checksums_full ("offline://short", d.data, OT_DECODE_NO_NETWORK, 0, nullptr);
  fail_unless (offline != nullptr);
  gint64 duration = duration_of (offline);
  fail_unless (llabs (duration - static_cast<gint64> (2 * GST_SECOND)) < static_cast<gint64> (50 * GST_MSECOND),
      "the recording of 2 s lasts %" GST_TIME_FORMAT, GST_TIME_ARGS (duration));
}
GST_END_TEST;

}  // namespace

static Suite *
live_user_paths_suite (void)
{
  Suite *s = suite_create ("live-user-paths");
  TCase *tc = adaptive_tcase ("live-walks");
  tcase_add_test (tc, test_record_at_a_terminal);
  tcase_add_test (tc, test_script_follows_a_recording);
  tcase_add_test (tc, test_interrupt_then_again);
  tcase_add_test (tc, test_interrupt_at_first_segment);
  tcase_add_test (tc, test_second_process_and_pause);
  tcase_add_test (tc, test_plays_while_and_after);
  tcase_add_test (tc, test_two_audio_languages);
  tcase_add_test (tc, test_time_range_of_a_live_stream);
  tcase_add_test (tc, test_duration_is_the_recordings_length);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (live_user_paths);
