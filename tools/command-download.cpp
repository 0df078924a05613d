/* gst-offline download: add a download and wait until it completes or fails.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "commands.h"
#include "data-dir.h"
#include "progress.h"
#include "scoped.h"

#include <glib-unix.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>

namespace cli {

namespace {

enum class Outcome { kRunning, kTerminal, kStopped, kRemoved, kInterrupted };

/* What the main loop watches: our download's latest snapshot. */
struct DownloadWatch {
  GMainLoop *loop = nullptr;
  std::string id;
  std::unique_ptr<ProgressDisplay> progress;
  GstOfflineDownload *latest = nullptr;
  Outcome outcome = Outcome::kRunning;

  ~DownloadWatch () { g_clear_object (&latest); }

  void finish (Outcome o)
  {
    if (outcome != Outcome::kRunning)
      return;
    outcome = o;
    g_main_loop_quit (loop);
  }

  /* Takes a newer snapshot of our download and decides whether we are done. */
  void observe (GstOfflineDownload *download)
  {
    if (id != gst_offline_download_get_id (download))
      return;
    g_set_object (&latest, download);
    if (gst_offline_download_is_terminal (download))
      finish (Outcome::kTerminal);
    else if (gst_offline_download_get_state (download) == GST_OFFLINE_DOWNLOAD_STATE_STOPPED)
      finish (Outcome::kStopped);
    else if (progress && gst_offline_download_get_state (download) == GST_OFFLINE_DOWNLOAD_STATE_DOWNLOADING)
      progress->update (download);
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

/* Nothing runs any more: if our download is not running either, the manager
 * will not get to it on its own (e.g. another process set a stop reason). */
void
on_idle (GstOfflineDownloadManager *manager, gpointer user_data)
{
  auto *watch = static_cast<DownloadWatch *> (user_data);
  g_autoptr (GstOfflineDownload) download =
      gst_offline_download_manager_get_download (manager, watch->id.c_str (), nullptr);
  if (download)
    watch->observe (download);
}

gboolean
on_interrupt (gpointer user_data)
{
  static_cast<DownloadWatch *> (user_data)->finish (Outcome::kInterrupted);
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

int
report_add_error (GError *error, const std::string &id)
{
  if (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_BUSY))
    return fail ("download %s is being downloaded by another process", id.c_str ());
  return fail ("cannot add download %s: %s", id.c_str (), error->message);
}

}  // namespace

int
command_download (Context &ctx, int argc, char **argv)
{
  gchar *id_option = nullptr;
  gchar **headers = nullptr;
  gint retries = 5;
  const GOptionEntry entries[] = {
      {"id", 0, 0, G_OPTION_ARG_STRING, &id_option,
          "The id to store it under (offline://ID); default: derived from the URL", "ID"},
      {"header", 0, 0, G_OPTION_ARG_STRING_ARRAY, &headers,
          "An HTTP header sent with every request of this download (repeatable)", "'K: V'"},
      {"retries", 0, 0, G_OPTION_ARG_INT, &retries,
          "How many times a failing request is retried before the download fails (default 5)", "N"},
      {},
  };
  int status = parse_command_options (ctx, "download", "URL",
      "Adds the download to the index and waits until it completes or fails.\n"
      "A progress bar is drawn on stderr when it is a terminal; otherwise one line per second\n"
      "at most on stdout. Running the same command again resumes a failed or interrupted download.",
      entries, &argc, &argv);
  g_autofree gchar *id = id_option;
  g_auto (GStrv) header_list = headers;
  if (status == kExitSuccess)
    status = expect_arguments ("download", argc, argv, 1, 1, "URL");
  if (status != kExitSuccess)
    return status;
  const char *url = argv[1];

  if (!g_uri_is_valid (url, G_URI_FLAGS_NONE, nullptr))
    return usage_error ("download", "download: '%s' is not an absolute URL", url);
  if (id && !*id)
    return usage_error ("download", "download: the id must not be empty");
  if (retries < 0 || retries > 1000)
    return usage_error ("download", "download: --retries must be between 0 and 1000");

  g_autoptr (GstOfflineDownloadRequest) request = gst_offline_download_request_new (id, url);
  for (gchar **h = header_list; h && *h; h++) {
    g_autoptr (GError) error = nullptr;
    if (!gst_offline_download_request_add_header (request, *h, &error))
      return usage_error ("download", "download: invalid header '%s': %s", *h, error->message);
  }

  g_autoptr (GstOfflineDownloadManager) manager = open_manager (ctx, false, (guint) retries);
  if (!manager)
    return kExitFailure;

  g_autoptr (GMainLoop) loop = g_main_loop_new (nullptr, FALSE);
  DownloadWatch watch;
  watch.loop = loop;
  watch.id = requested_id (id, url);
  {
    /* Connected before adding, so no change of our download is missed; they
     * are delivered once the loop runs, after `watch.id` holds the real id. */
    SignalConnection changed (manager, "download-changed", G_CALLBACK (on_download_changed), &watch);
    SignalConnection progress (manager, "download-progress", G_CALLBACK (on_download_changed), &watch);
    SignalConnection removed (manager, "download-removed", G_CALLBACK (on_download_removed), &watch);
    SignalConnection idle (manager, "idle", G_CALLBACK (on_idle), &watch);
    UnixSignalWatch sigint (SIGINT, on_interrupt, &watch);
    UnixSignalWatch sigterm (SIGTERM, on_interrupt, &watch);

    g_autoptr (GError) error = nullptr;
    g_autoptr (GstOfflineDownload) added = gst_offline_download_manager_add_download (manager, request, &error);
    if (!added)
      return report_add_error (error, watch.id);
    watch.id = gst_offline_download_get_id (added);
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
    case Outcome::kStopped:
      return fail ("download %s is stopped (stop reason %u)", did,
          gst_offline_download_get_stop_reason (watch.latest));
    case Outcome::kTerminal:
    case Outcome::kRunning:
      break;
  }

  GstOfflineDownload *final = watch.latest;
  if (gst_offline_download_get_state (final) != GST_OFFLINE_DOWNLOAD_STATE_COMPLETED) {
    const gchar *reason = gst_offline_download_get_failure_message (final);
    return fail ("download %s failed: %s", did, reason ? reason : "unknown error");
  }
  printf ("%s: completed, %" G_GUINT64_FORMAT " bytes\n", did, gst_offline_download_get_bytes_downloaded (final));
  fflush (stdout);
  return kExitSuccess;
}

}  // namespace cli
