/* gst-offline daemon: run the download queue of a data directory in the
 * foreground, for service managers (data/gst-offline.service), until
 * SIGINT/SIGTERM. One line on stdout per state change.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "commands.h"
#include "data-dir.h"
#include "scoped.h"

#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <map>
#include <string>

namespace cli {

namespace {

struct Daemon {
  GMainLoop *loop = nullptr;
  /* The last state logged per id, so that only changes are logged. */
  std::map<std::string, GstOfflineDownloadState> states;
};

void
log_line (const char *format, ...) G_GNUC_PRINTF (1, 2);

/* Service managers read stdout line by line (and stamp the time). */
void
log_line (const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree gchar *line = g_strdup_vprintf (format, args);
  va_end (args);
  for (gchar *c = line; *c; c++) {
    if (*c == '\n' || *c == '\r')
      *c = ' ';
  }
  printf ("%s\n", line);
  fflush (stdout);
}

void
log_state (Daemon &daemon, GstOfflineDownload *download)
{
  const char *id = gst_offline_download_get_id (download);
  GstOfflineDownloadState state = gst_offline_download_get_state (download);
  auto known = daemon.states.find (id);
  if (known != daemon.states.end () && known->second == state)
    return;
  daemon.states[id] = state;

  switch (state) {
    case GST_OFFLINE_DOWNLOAD_STATE_COMPLETED:
      log_line ("%s: completed, %" G_GUINT64_FORMAT " bytes", id, gst_offline_download_get_bytes_downloaded (download));
      break;
    case GST_OFFLINE_DOWNLOAD_STATE_FAILED: {
      const gchar *reason = gst_offline_download_get_failure_message (download);
      log_line ("%s: failed: %s", id, reason ? reason : "unknown error");
      break;
    }
    case GST_OFFLINE_DOWNLOAD_STATE_STOPPED: {
      guint reason = gst_offline_download_get_stop_reason (download);
      if (reason == GST_OFFLINE_STOP_REASON_PAUSED_BY_USER)
        log_line ("%s: paused", id);
      else
        log_line ("%s: stopped (stop reason %u)", id, reason);
      break;
    }
    default:
      log_line ("%s: %s", id, gst_offline_download_state_to_string (state));
      break;
  }
}

void
on_download_changed (GstOfflineDownloadManager *, GstOfflineDownload *download, gpointer user_data)
{
  log_state (*static_cast<Daemon *> (user_data), download);
}

void
on_download_removed (GstOfflineDownloadManager *, const gchar *id, gpointer user_data)
{
  static_cast<Daemon *> (user_data)->states.erase (id);
  log_line ("%s: removed", id);
}

void
log_requirements (GstOfflineRequirements not_met)
{
  if (not_met == GST_OFFLINE_REQUIREMENTS_NONE) {
    log_line ("requirements met");
  } else {
    g_autofree gchar *names = gst_offline_requirements_to_string (not_met);
    log_line ("requirements not met: %s", names);
  }
}

void
on_requirements_changed (GstOfflineDownloadManager *, GstOfflineRequirements not_met, gpointer)
{
  log_requirements (not_met);
}

gboolean
on_terminate (gpointer user_data)
{
  g_main_loop_quit (static_cast<Daemon *> (user_data)->loop);
  return G_SOURCE_CONTINUE;
}

}  // namespace

int
command_daemon (Context &ctx, int argc, char **argv)
{
  gint max_parallel = 3;
  gint64 min_free_option = (gint64) GST_OFFLINE_DEFAULT_MIN_FREE_SPACE;
  gint segment_parallelism = GST_OFFLINE_DEFAULT_SEGMENT_PARALLELISM;
  const GOptionEntry entries[] = {
      {"max-parallel", 0, 0, G_OPTION_ARG_INT, &max_parallel,
          "How many downloads run at once (1 to 64, default 3)", "N"},
      {"min-free-space", 0, 0, G_OPTION_ARG_INT64, &min_free_option,
          "Bytes of the disk to leave free: downloads wait while less is free (default 104857600)", "BYTES"},
      {"segment-parallelism", 0, 0, G_OPTION_ARG_INT, &segment_parallelism,
          "How many segments of an adaptive download are fetched at once (1 to 16, default 8)", "N"},
      {},
  };
  int status = parse_command_options (ctx, "daemon", "",
      "Runs the download queue of the data directory in the foreground until SIGINT or SIGTERM:\n"
      "queued downloads start (max-parallel at a time), paused ones wait for 'gst-offline resume',\n"
      "and downloads added by 'gst-offline download --no-wait' are picked up. One line per state\n"
      "change on stdout. Exits 0 once the running downloads are stopped, their data kept.",
      entries, &argc, &argv);
  if (status == kExitSuccess)
    status = expect_arguments ("daemon", argc, argv, 0, 0, "");
  if (status != kExitSuccess)
    return status;
  if (max_parallel < 1 || max_parallel > 64)
    return usage_error ("daemon", "daemon: --max-parallel must be between 1 and 64");
  guint64 min_free_space = 0;
  if (!parse_min_free_space ("daemon", min_free_option, &min_free_space))
    return kExitUsage;
  if (!check_segment_parallelism ("daemon", segment_parallelism))
    return kExitUsage;

  g_autoptr (GMainLoop) loop = g_main_loop_new (nullptr, FALSE);
  Daemon daemon;
  daemon.loop = loop;
  /* Signals first: a SIGTERM during start-up still ends us cleanly. */
  UnixSignalWatch sigint (SIGINT, on_terminate, &daemon);
  UnixSignalWatch sigterm (SIGTERM, on_terminate, &daemon);

  /* Created paused so that the handlers below see every start. */
  g_autoptr (GstOfflineDownloadManager) manager = open_manager (ctx, true, false, 5, min_free_space,
      GST_OFFLINE_REQUIREMENTS_DEFAULT, (guint) segment_parallelism);
  if (!manager)
    return kExitFailure;
  g_object_set (manager, "max-parallel-downloads", (guint) max_parallel, nullptr);
  {
    SignalConnection changed (manager, "download-changed", G_CALLBACK (on_download_changed), &daemon);
    SignalConnection removed (manager, "download-removed", G_CALLBACK (on_download_removed), &daemon);
    SignalConnection requirements (manager, "requirements-changed", G_CALLBACK (on_requirements_changed), &daemon);

    log_line ("gst-offline daemon: running the queue of %s (up to %d at a time)", ctx.data_dir.c_str (),
        max_parallel);
    GstOfflineRequirements not_met = gst_offline_download_manager_get_not_met_requirements (manager);
    if (not_met != GST_OFFLINE_REQUIREMENTS_NONE)
      log_requirements (not_met);
    /* What is waiting now; from here on, only changes. */
    g_autoptr (GError) error = nullptr;
    g_autoptr (GPtrArray) downloads = gst_offline_download_manager_get_downloads (manager, &error);
    if (!downloads)
      return fail ("cannot read the download index: %s", error->message);
    sort_downloads (downloads);
    for (guint i = 0; i < downloads->len; i++) {
      auto *download = GST_OFFLINE_DOWNLOAD (g_ptr_array_index (downloads, i));
      if (!gst_offline_download_is_terminal (download))
        log_state (daemon, download);
      else
        daemon.states[gst_offline_download_get_id (download)] = gst_offline_download_get_state (download);
    }

    gst_offline_download_manager_resume_downloads (manager);
    g_main_loop_run (loop);
  }
  /* Disposing of the manager stops the running downloads; their data stays
   * and the next run carries on. */
  g_clear_object (&manager);
  log_line ("gst-offline daemon: stopped");
  return kExitSuccess;
}

}  // namespace cli
