/* gst-offline pause / resume: set or clear the persisted stop reason of
 * downloads. Only the index is written — no manager, so no download starts
 * in this process, and no D-Bus: the process downloading one sees the change
 * in the index within a second and stops (or restarts) it.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "commands.h"
#include "data-dir.h"

#include <cstdio>

namespace cli {

namespace {

struct StopReasonCommand {
  const char *name;     /* "pause" */
  const char *summary;
  const char *done;     /* what is printed before each id: "paused" */
  guint stop_reason;
};

int
run_stop_reason_command (const StopReasonCommand &command, Context &ctx, int argc, char **argv)
{
  gboolean all = FALSE;
  const GOptionEntry entries[] = {
      {"all", 0, 0, G_OPTION_ARG_NONE, &all, "Every download", nullptr},
      {},
  };
  int status = parse_command_options (ctx, command.name, "ID|--all", command.summary, entries, &argc, &argv);
  if (status != kExitSuccess)
    return status;
  if (all && argc > 1)
    return usage_error (command.name, "%s: give either an ID or --all, not both", command.name);
  if (!all && (status = expect_arguments (command.name, argc, argv, 1, 1, "ID or --all")) != kExitSuccess)
    return status;
  const char *id = all ? nullptr : argv[1];

  g_autoptr (GstOfflineDownloadIndex) index = open_index (ctx, &status);
  if (status != kExitSuccess)
    return status;
  if (!index)
    return all ? kExitSuccess : fail ("no download with id '%s'", id);

  /* --all changes every row in one statement; the ids it reports are read
   * just before (one added in between is changed too, but not named). */
  g_autoptr (GPtrArray) downloads = nullptr;
  g_autoptr (GError) error = nullptr;
  if (all) {
    downloads = gst_offline_download_index_get_downloads (index, &error);
    if (!downloads)
      return fail ("cannot read the download index: %s", error->message);
    sort_downloads (downloads);
    if (downloads->len == 0)
      return kExitSuccess;
  }

  if (!gst_offline_download_index_set_stop_reason (index, id, command.stop_reason, &error)) {
    if (id && g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND))
      return fail ("no download with id '%s'", id);
    return fail ("cannot %s %s: %s", command.name, id ? id : "the downloads", error->message);
  }

  if (all) {
    for (guint i = 0; i < downloads->len; i++)
      printf ("%s %s\n", command.done, gst_offline_download_get_id (GST_OFFLINE_DOWNLOAD (g_ptr_array_index (downloads, i))));
  } else {
    printf ("%s %s\n", command.done, id);
  }
  fflush (stdout);
  return kExitSuccess;
}

}  // namespace

int
command_pause (Context &ctx, int argc, char **argv)
{
  static const StopReasonCommand pause = {"pause",
      "Stops the download (in whichever process runs it) and keeps it stopped, with its data,\n"
      "until 'gst-offline resume'. Sets the persisted stop reason 1 (paused by the user).",
      "paused", GST_OFFLINE_STOP_REASON_PAUSED_BY_USER};
  return run_stop_reason_command (pause, ctx, argc, argv);
}

int
command_resume (Context &ctx, int argc, char **argv)
{
  static const StopReasonCommand resume = {"resume",
      "Clears the stop reason of the download: it is queued again, and the process that was\n"
      "downloading it (or a 'gst-offline daemon') carries on where it stopped.",
      "resumed", GST_OFFLINE_STOP_REASON_NONE};
  return run_stop_reason_command (resume, ctx, argc, argv);
}

}  // namespace cli
