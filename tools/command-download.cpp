/* gst-offline download: add a download and wait until it completes or fails.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "commands.h"
#include "data-dir.h"
#include "download-output.h"
#include "format.h"
#include "progress.h"
#include "scoped.h"

#include <glib-unix.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <tuple>
#include <algorithm>

namespace cli {

namespace {

enum class Outcome { kRunning, kTerminal, kRemoved, kInterrupted };

/* What the main loop watches: our download's latest snapshot. */
struct DownloadWatch {
  GMainLoop *loop = nullptr;
  GstOfflineDownloadManager *manager = nullptr;
  std::string id;
  std::unique_ptr<ProgressDisplay> progress;
  GstOfflineDownload *latest = nullptr;
  Outcome outcome = Outcome::kRunning;
  /* Ctrl-C asked a recording to stop (it then completes). */
  bool stopping_recording = false;

  ~DownloadWatch () { g_clear_object (&latest); }

  void finish (Outcome o)
  {
    if (outcome != Outcome::kRunning)
      return;
    outcome = o;
    g_main_loop_quit (loop);
  }

  /* Takes a newer snapshot of our download and decides whether we are done.
   * A stopped download is waited for: `gst-offline resume` in any process
   * clears its stop reason and our manager carries on with it. */
  void observe (GstOfflineDownload *download)
  {
    if (id != gst_offline_download_get_id (download))
      return;
    g_set_object (&latest, download);
    if (gst_offline_download_is_terminal (download)) {
      finish (Outcome::kTerminal);
      return;
    }
    if (!progress)
      return;
    switch (gst_offline_download_get_state (download)) {
      case GST_OFFLINE_DOWNLOAD_STATE_DOWNLOADING:
        progress->update (download);
        break;
      case GST_OFFLINE_DOWNLOAD_STATE_STOPPED: {
        guint reason = gst_offline_download_get_stop_reason (download);
        if (reason == GST_OFFLINE_STOP_REASON_PAUSED_BY_USER) {
          progress->show_waiting ("paused");
        } else {
          g_autofree gchar *text = g_strdup_printf ("stopped (stop reason %u)", reason);
          progress->show_waiting (text);
        }
        break;
      }
      case GST_OFFLINE_DOWNLOAD_STATE_QUEUED: {
        GstOfflineRequirements requirements = GST_OFFLINE_REQUIREMENTS_NONE;
        guint64 min_free_space = 0;
        g_object_get (manager, "requirements", &requirements, "min-free-space", &min_free_space, nullptr);
        GstOfflineRequirements waiting = requirements_holding_back (download,
            gst_offline_download_manager_get_data_dir (manager), requirements, min_free_space);
        if (waiting != GST_OFFLINE_REQUIREMENTS_NONE) {
          g_autofree gchar *names = gst_offline_requirements_to_string (waiting);
          progress->show_waiting (std::string ("waiting for: ") + names);
        }
        break;
      }
      default:
        break;
    }
  }

  /* Asks the manager for the latest snapshot. */
  void refresh ()
  {
    g_autoptr (GstOfflineDownload) download =
        gst_offline_download_manager_get_download (manager, id.c_str (), nullptr);
    if (download)
      observe (download);
  }
};

void
on_download_changed (GstOfflineDownloadManager *, GstOfflineDownload *download, gpointer user_data)
{
  static_cast<DownloadWatch *> (user_data)->observe (download);
}

void
on_download_removed (GstOfflineDownloadManager *, const gchar *id, gpointer user_data)
{
  auto *watch = static_cast<DownloadWatch *> (user_data);
  if (watch->id == id)
    watch->finish (Outcome::kRemoved);
}

/* Nothing runs any more, or the requirements changed: look at our download
 * again, as no download-changed may come for it. */
void
on_idle (GstOfflineDownloadManager *, gpointer user_data)
{
  static_cast<DownloadWatch *> (user_data)->refresh ();
}

void
on_requirements_changed (GstOfflineDownloadManager *, GstOfflineRequirements, gpointer user_data)
{
  static_cast<DownloadWatch *> (user_data)->refresh ();
}

gboolean
on_interrupt (gpointer user_data)
{
  auto *watch = static_cast<DownloadWatch *> (user_data);
  /* A recording is ended, not interrupted: stopped, it completes with what
   * it holds (a second Ctrl-C interrupts). */
  if (watch->latest && gst_offline_download_is_recording (watch->latest) && !watch->stopping_recording
      && watch->manager) {
    watch->stopping_recording = true;
    if (watch->progress)
      watch->progress->show_waiting ("stopping the recording");
    if (gst_offline_download_manager_set_stop_reason (watch->manager, watch->id.c_str (),
            GST_OFFLINE_STOP_REASON_PAUSED_BY_USER, nullptr))
      return G_SOURCE_CONTINUE;
  }
  watch->finish (Outcome::kInterrupted);
  return G_SOURCE_CONTINUE;
}

/* The id the user meant, for messages printed before the manager resolved it. */
std::string
requested_id (const char *id, const char *url)
{
  if (id)
    return id;
  g_autofree gchar *derived = gst_offline_download_request_derive_id (url);
  return derived ? derived : url;
}

/* What --type names; AUTO (after a usage error) if nothing. */
bool
parse_type (const char *text, GstOfflineDownloadType *type)
{
  *type = GST_OFFLINE_DOWNLOAD_TYPE_AUTO;
  if (!text)
    return true;
  for (GstOfflineDownloadType t : { GST_OFFLINE_DOWNLOAD_TYPE_DASH, GST_OFFLINE_DOWNLOAD_TYPE_HLS,
           GST_OFFLINE_DOWNLOAD_TYPE_MSS, GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE }) {
    if (g_ascii_strcasecmp (text, gst_offline_download_type_to_string (t)) == 0) {
      *type = t;
      return true;
    }
  }
  usage_error ("download", "download: --type must be dash, hls, mss or progressive, not '%s'", text);
  return false;
}

/* The request: of the type --type names, else the one the URL's suffix
 * says, else the one its content says (the first bytes are fetched to tell,
 * as `inspect` does); with SPECs, of the tracks they choose, resolved
 * against the manifest now so that the download stores concrete stream
 * keys. Without any, the request names no track and the downloader takes
 * its format's default selection. */
GstOfflineDownloadRequest *
build_request (const char *url, const char *id, GstOfflineDownloadType type, const gchar *const *headers,
    const char *video, const char *audio, const char *text, int *status)
{
  *status = kExitSuccess;
  g_autoptr (GstOfflineDownloadRequest) plain = gst_offline_download_request_new (id, url);
  for (const gchar *const *h = headers; h && *h; h++) {
    g_autoptr (GError) error = nullptr;
    if (!gst_offline_download_request_add_header (plain, *h, &error)) {
      *status = usage_error ("download", "download: invalid header '%s': %s", *h, error->message);
      return nullptr;
    }
  }
  if (type == GST_OFFLINE_DOWNLOAD_TYPE_AUTO)
    type = gst_offline_download_type_from_uri (url);
  if (!video && !audio && !text && type != GST_OFFLINE_DOWNLOAD_TYPE_AUTO) {
    gst_offline_download_request_set_download_type (plain, type);
    return GST_OFFLINE_DOWNLOAD_REQUEST (g_steal_pointer (&plain));
  }

  g_autoptr (GstOfflineDownloadHelper) helper = gst_offline_download_helper_new (url);
  gst_offline_download_helper_set_download_type (helper, type);
  for (const gchar *const *h = headers; h && *h; h++)
    gst_offline_download_helper_add_header (helper, *h, nullptr);
  g_autoptr (GError) error = nullptr;
  if (!gst_offline_download_helper_prepare (helper, nullptr, &error)) {
    *status = fail ("cannot download %s: %s", url, error->message);
    return nullptr;
  }
  if (!video && !audio && !text)
    return gst_offline_download_helper_get_download_request (helper, id, nullptr);
  g_auto (GStrv) keys = gst_offline_download_helper_select_tracks (helper, video, audio, text, &error);
  if (!keys) {
    *status = g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT)
        ? usage_error ("download", "download: %s", error->message)
        : fail ("cannot download %s: %s", url, error->message);
    return nullptr;
  }
  return gst_offline_download_helper_get_download_request (helper, id, keys);
}

/* A time of --start/--end: seconds with decimals ("90", "90.5") or
 * [HH:]MM:SS[.fff] ("1:30", "00:01:30.500"), in nanoseconds. */
bool
parse_clock_time (const char *text, GstClockTime *time)
{
  g_auto (GStrv) parts = g_strsplit (text, ":", -1);
  guint count = g_strv_length (parts);
  if (count == 0 || count > 3)
    return false;
  guint64 seconds = 0;
  for (guint i = 0; i < count; i++) {
    std::string part = parts[i];
    std::string fraction;
    size_t dot = part.find ('.');
    if (dot != std::string::npos) {
      if (i + 1 != count)
        return false;
      fraction = part.substr (dot + 1);
      part.resize (dot);
      if (fraction.empty () || fraction.size () > 9
          || !std::all_of (fraction.begin (), fraction.end (), [] (char c) { return g_ascii_isdigit (c); }))
        return false;
    }
    guint64 value;
    if (part.empty () || part.size () > 12
        || !std::all_of (part.begin (), part.end (), [] (char c) { return g_ascii_isdigit (c); }))
      return false;
    value = g_ascii_strtoull (part.c_str (), nullptr, 10);
    /* Minutes and seconds after a colon are below 60. */
    if (i > 0 && value >= 60)
      return false;
    seconds = seconds * 60 + value;
    if (seconds > G_MAXINT64 / GST_SECOND - 1)
      return false;
    if (!fraction.empty ()) {
      fraction.append (9 - fraction.size (), '0');
      *time = seconds * GST_SECOND + g_ascii_strtoull (fraction.c_str (), nullptr, 10);
      return true;
    }
  }
  *time = seconds * GST_SECOND;
  return true;
}

}  // namespace

bool
parse_time_range (const char *command, const char *start_text, const char *end_text, GstClockTime *start,
    GstClockTime *end, int *status)
{
  *start = *end = GST_CLOCK_TIME_NONE;
  for (auto [text, time, name] : { std::make_tuple (start_text, start, "--start"),
           std::make_tuple (end_text, end, "--end") }) {
    if (text && !parse_clock_time (text, time)) {
      *status = usage_error (command, "%s: %s '%s' is not a time: give seconds (90, 90.5) or HH:MM:SS[.mmm]",
          command, name, text);
      return false;
    }
  }
  return true;
}

namespace {

/* --start and --end on the request; a usage error if they do not read as
 * times or the range is empty. */
bool
set_time_range (GstOfflineDownloadRequest *request, const char *start_text, const char *end_text, int *status)
{
  GstClockTime start, end;
  if (!parse_time_range ("download", start_text, end_text, &start, &end, status))
    return false;
  g_autoptr (GError) error = nullptr;
  if (!gst_offline_download_request_set_time_range (request, start, end, &error)) {
    *status = usage_error ("download", "download: %s", error->message);
    return false;
  }
  return true;
}

/* The license server of --license-url, on the request of `url`. */
GstOfflineDownloadRequest *
set_license_url (GstOfflineDownloadRequest *request, const char *license_url)
{
  if (request && license_url)
    gst_offline_download_request_set_license_url (request, license_url);
  return request;
}

int
report_add_error (GError *error, const std::string &id, GstOfflineDownloadManager *manager,
    GstOfflineDownloadRequest *request)
{
  if (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_BUSY)) {
    /* A time range is handed to the process that downloads it (through the
     * index): done, once the range it fetches holds the one asked for. */
    GstClockTime start = gst_offline_download_request_get_range_start (request);
    GstClockTime end = gst_offline_download_request_get_range_end (request);
    g_autoptr (GstOfflineDownload) running = GST_CLOCK_TIME_IS_VALID (start) || GST_CLOCK_TIME_IS_VALID (end)
        ? gst_offline_download_manager_get_download (manager, id.c_str (), nullptr) : nullptr;
    if (running && range_covers (running, start, end)) {
      std::string range = range_text (running);
      printf ("%s: being downloaded by another process, which fetches %s\n", id.c_str (),
          range.empty () ? "the whole item" : range.c_str ());
      fflush (stdout);
      return kExitSuccess;
    }
    return fail ("download %s is being downloaded by another process", id.c_str ());
  }
  return fail ("cannot add download %s: %s", id.c_str (), error->message);
}

/* Says so when the library brought the end of the range asked for back to
 * the end of the presentation. */
void
say_range_end (GstOfflineDownloadRequest *request, GstOfflineDownload *added)
{
  GstClockTime asked = gst_offline_download_request_get_range_end (request);
  GstOfflineDownloadRequest *got = gst_offline_download_get_request (added);
  GstClockTime end = got ? gst_offline_download_request_get_range_end (got) : GST_CLOCK_TIME_NONE;
  if (!GST_CLOCK_TIME_IS_VALID (asked) || !GST_CLOCK_TIME_IS_VALID (end) || end >= asked)
    return;
  printf ("%s: the presentation ends at %s: the range ends there, not at %s\n", gst_offline_download_get_id (added),
      format_duration (end).c_str (), format_duration (asked).c_str ());
  fflush (stdout);
}

/* --no-wait: adds the download through a manager that starts nothing, so
 * that no byte is fetched by this short-lived process. */
int
queue_download (Context &ctx, GstOfflineDownloadRequest *request, const std::string &requested, guint retries)
{
  g_autoptr (GstOfflineDownloadManager) manager = open_manager (ctx, true, true, retries);
  if (!manager)
    return kExitFailure;
  g_autoptr (GError) error = nullptr;
  g_autoptr (GstOfflineDownload) added = gst_offline_download_manager_add_download (manager, request, &error);
  if (!added)
    return report_add_error (error, requested, manager, request);
  say_range_end (request, added);
  /* A complete download whose files are all there stays complete. */
  bool complete = gst_offline_download_get_state (added) == GST_OFFLINE_DOWNLOAD_STATE_COMPLETED;
  printf ("%s %s\n", complete ? "completed" : "queued", gst_offline_download_get_id (added));
  fflush (stdout);
  return kExitSuccess;
}

}  // namespace

int
run_download (GstOfflineDownloadManager *manager, GstOfflineDownloadRequest *request, const std::string &requested,
    bool announce_id)
{
  g_autoptr (GMainLoop) loop = g_main_loop_new (nullptr, FALSE);
  DownloadWatch watch;
  watch.loop = loop;
  watch.manager = manager;
  watch.id = requested;
  {
    /* Connected before adding, so no change of our download is missed; they
     * are delivered once the loop runs, after `watch.id` holds the real id. */
    SignalConnection changed (manager, "download-changed", G_CALLBACK (on_download_changed), &watch);
    SignalConnection progress (manager, "download-progress", G_CALLBACK (on_download_changed), &watch);
    SignalConnection removed (manager, "download-removed", G_CALLBACK (on_download_removed), &watch);
    SignalConnection idle (manager, "idle", G_CALLBACK (on_idle), &watch);
    SignalConnection requirements (manager, "requirements-changed", G_CALLBACK (on_requirements_changed), &watch);
    UnixSignalWatch sigint (SIGINT, on_interrupt, &watch);
    UnixSignalWatch sigterm (SIGTERM, on_interrupt, &watch);

    g_autoptr (GError) error = nullptr;
    g_autoptr (GstOfflineDownload) added = gst_offline_download_manager_add_download (manager, request, &error);
    if (!added)
      return report_add_error (error, watch.id, manager, request);
    watch.id = gst_offline_download_get_id (added);
    if (announce_id) {
      /* The id was derived from the URL: say which, for `play ID` later. */
      printf ("%s: the id of %s (--id chooses another)\n", watch.id.c_str (), gst_offline_download_get_uri (added));
      fflush (stdout);
    }
    say_range_end (request, added);
    watch.progress = std::make_unique<ProgressDisplay> (watch.id, isatty (STDERR_FILENO));
    watch.observe (added);
    if (watch.outcome == Outcome::kRunning)
      g_main_loop_run (loop);
  }
  watch.progress->clear ();

  const char *did = watch.id.c_str ();
  switch (watch.outcome) {
    case Outcome::kInterrupted:
      /* Unreffing the manager stops the download; its data stays for a resume. */
      fail ("download %s interrupted; run the same command again to resume it", did);
      return kExitInterrupted;
    case Outcome::kRemoved:
      return fail ("download %s was removed while downloading", did);

    case Outcome::kTerminal:
    case Outcome::kRunning:
      break;
  }

  GstOfflineDownload *final = watch.latest;
  if (gst_offline_download_get_state (final) != GST_OFFLINE_DOWNLOAD_STATE_COMPLETED) {
    const gchar *reason = gst_offline_download_get_failure_message (final);
    return fail ("download %s failed: %s", did, reason ? reason : "unknown error");
  }
  if (watch.stopping_recording)
    gst_offline_download_manager_set_stop_reason (manager, did, GST_OFFLINE_STOP_REASON_NONE, nullptr);
  if (gst_offline_download_is_recording (final))
    printf ("%s: recording completed: %s, %" G_GUINT64_FORMAT " bytes\n", did, recording_text (final).c_str (),
        gst_offline_download_get_bytes_downloaded (final));
  else
    printf ("%s: completed, %" G_GUINT64_FORMAT " bytes\n", did, gst_offline_download_get_bytes_downloaded (final));
  fflush (stdout);
  return kExitSuccess;
}

int
command_download (Context &ctx, int argc, char **argv)
{
  gchar *id_option = nullptr;
  gchar **headers = nullptr;
  gchar *video = nullptr, *audio = nullptr, *text = nullptr;
  gint retries = 5;
  gint64 min_free_option = (gint64) GST_OFFLINE_DEFAULT_MIN_FREE_SPACE;
  gint segment_parallelism = -1;
  gboolean no_wait = FALSE;
  gchar *license_url_option = nullptr;
  gchar *type_option = nullptr;
  gchar *start_option = nullptr, *end_option = nullptr;
  gchar *duration_option = nullptr;
  gboolean live_from_start = FALSE;
  const GOptionEntry entries[] = {
      {"type", 0, 0, G_OPTION_ARG_STRING, &type_option,
          "What the URL is: dash, hls, mss or progressive (default: detected from its suffix, its Content-Type, "
          "then its first bytes)", "TYPE"},
      {"id", 0, 0, G_OPTION_ARG_STRING, &id_option,
          "The id to store it under (offline://ID); default: derived from the URL", "ID"},
      {"header", 0, 0, G_OPTION_ARG_STRING_ARRAY, &headers,
          "An HTTP header sent with every request of this download (repeatable)", "'K: V'"},
      {"video", 0, 0, G_OPTION_ARG_STRING, &video,
          "The video track(s): best (default), worst, all, none, a height like 720p, max-bitrate=N", "SPEC"},
      {"audio", 0, 0, G_OPTION_ARG_STRING, &audio,
          "The audio track(s): best of each language (default), worst, all, none, max-bitrate=N, a language like en",
          "SPEC"},
      {"text", 0, 0, G_OPTION_ARG_STRING, &text,
          "The text track(s): all (default), none, a language like en", "SPEC"},
      {"retries", 0, 0, G_OPTION_ARG_INT, &retries,
          "How many times a failing request is retried before the download fails (default 5)", "N"},
      {"min-free-space", 0, 0, G_OPTION_ARG_INT64, &min_free_option,
          "Bytes of the disk to leave free; a download that would eat into them fails (default 104857600)", "BYTES"},
      {"segment-parallelism", 0, 0, G_OPTION_ARG_INT, &segment_parallelism,
          "How many segments of an adaptive download are fetched at once (1 to 16, default 8)", "N"},
      {"license-url", 0, 0, G_OPTION_ARG_STRING, &license_url_option,
          "The ClearKey license server of protected content, instead of the manifest's Laurl", "URL"},
      {"start", 0, 0, G_OPTION_ARG_STRING, &start_option,
          "Only the part from this time on (adaptive downloads): seconds (90.5) or HH:MM:SS[.mmm]", "TIME"},
      {"end", 0, 0, G_OPTION_ARG_STRING, &end_option,
          "Only the part up to this time (adaptive downloads): seconds or HH:MM:SS[.mmm]", "TIME"},
      {"duration", 0, 0, G_OPTION_ARG_STRING, &duration_option,
          "Live streams: record this much media, then complete (default: until the stream ends or the recording "
          "is stopped by pause or Ctrl-C): seconds or HH:MM:SS[.mmm]", "TIME"},
      {"live-from-start", 0, 0, G_OPTION_ARG_NONE, &live_from_start,
          "Live streams: record from the oldest segment the playlist lists (default: from the live edge)", nullptr},
      {"no-wait", 0, 0, G_OPTION_ARG_NONE, &no_wait,
          "Only add it to the queue, print 'queued ID' and return (a 'gst-offline daemon' downloads it)",
          nullptr},
      {},
  };
  int status = parse_command_options (ctx, "download", "URL",
      "Adds the download to the index and waits until it completes or fails (while another\n"
      "process has paused it, it waits for 'gst-offline resume'). A progress bar is drawn on\n"
      "stderr when it is a terminal; otherwise one line per second at most on stdout. Running\n"
      "the same command again resumes a failed or interrupted download.",
      entries, &argc, &argv);
  g_autofree gchar *id = id_option;
  g_auto (GStrv) header_list = headers;
  g_autofree gchar *video_spec = video;
  g_autofree gchar *audio_spec = audio;
  g_autofree gchar *text_spec = text;
  g_autofree gchar *license_url = license_url_option;
  g_autofree gchar *type_text = type_option;
  g_autofree gchar *start_text = start_option;
  g_autofree gchar *end_text = end_option;
  g_autofree gchar *duration_text = duration_option;
  if (status == kExitSuccess)
    status = expect_arguments ("download", argc, argv, 1, 1, "URL");
  if (status != kExitSuccess)
    return status;
  const char *url = argv[1];

  if (!g_uri_is_valid (url, G_URI_FLAGS_NONE, nullptr))
    return usage_error ("download", "download: '%s' is not an absolute URL", url);
  if (license_url && !g_uri_is_valid (license_url, G_URI_FLAGS_NONE, nullptr))
    return usage_error ("download", "download: --license-url '%s' is not an absolute URL", license_url);
  if (id && !*id)
    return usage_error ("download", "download: the id must not be empty");
  if (retries < 0 || retries > 1000)
    return usage_error ("download", "download: --retries must be between 0 and 1000");
  guint64 min_free_space = 0;
  if (!parse_min_free_space ("download", min_free_option, &min_free_space))
    return kExitUsage;
  if (segment_parallelism != -1 && no_wait)
    return usage_error ("download", "download: --segment-parallelism is the daemon's with --no-wait");
  if (segment_parallelism == -1)
    segment_parallelism = GST_OFFLINE_DEFAULT_SEGMENT_PARALLELISM;
  if (!check_segment_parallelism ("download", segment_parallelism))
    return kExitUsage;
  GstOfflineDownloadType type;
  if (!parse_type (type_text, &type))
    return kExitUsage;
  auto is_none = [] (const char *spec) { return spec && g_ascii_strcasecmp (spec, "none") == 0; };
  if (is_none (video_spec) && is_none (audio_spec) && (!text_spec || is_none (text_spec)))
    return usage_error ("download", "download: nothing to download: --video none and --audio none choose no track "
        "(add --text SPEC for text alone)");

  GstClockTime live_duration = GST_CLOCK_TIME_NONE;
  if (duration_text && (!parse_clock_time (duration_text, &live_duration) || live_duration == 0))
    return usage_error ("download", "download: --duration '%s' is not a duration: give seconds (90, 90.5) or "
        "HH:MM:SS[.mmm], more than 0", duration_text);
  if (start_text || end_text) {
    /* The range is checked before the URL is fetched (a typo costs no request). */
    g_autoptr (GstOfflineDownloadRequest) probe = gst_offline_download_request_new (nullptr, url);
    if (!set_time_range (probe, start_text, end_text, &status))
      return status;
  }
  g_autoptr (GstOfflineDownloadRequest) request = set_license_url (
      build_request (url, id, type, header_list, video_spec, audio_spec, text_spec, &status), license_url);
  if (!request)
    return status;
  if ((start_text || end_text) && !set_time_range (request, start_text, end_text, &status))
    return status;
  g_object_set (request, "live-duration", live_duration, "live-from-start", live_from_start, nullptr);

  if (no_wait)
    return queue_download (ctx, request, requested_id (id, url), (guint) retries);

  /* Waiting for free space that will not come by itself is no use to
   * someone waiting at a terminal: the download starts, and fails if what
   * the server announces does not fit (a new download then leaves nothing
   * behind; one that held data keeps it, failed in the index).
   * A network, though, may come back: that is waited for. The daemon waits
   * for both. */
  g_autoptr (GstOfflineDownloadManager) manager = open_manager (ctx, false, true, (guint) retries, min_free_space,
      GST_OFFLINE_REQUIREMENTS_NETWORK, (guint) segment_parallelism);
  if (!manager)
    return kExitFailure;

  return run_download (manager, request, requested_id (id, url), !id);
}

}  // namespace cli
