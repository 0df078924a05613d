/* gst-offline remove: delete downloads and their data.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "commands.h"
#include "data-dir.h"

#include <cstdio>
#include <string>

namespace cli {

namespace {

/* How long `remove` waits for another process to finish a removal it was
 * asked for (it does so as soon as it sees the index change) before saying
 * `removing ID`: only a stuck process takes that long. */
constexpr guint kRemovalPatienceS = 5;

struct Removal {
  GMainLoop *loop;
  GAsyncResult *result = nullptr;
};

void
on_removed (GObject *, GAsyncResult *result, gpointer user_data)
{
  auto *removal = static_cast<Removal *> (user_data);
  removal->result = G_ASYNC_RESULT (g_object_ref (result));
  g_main_loop_quit (removal->loop);
}

/* Removes one download; returns kExitSuccess or kExitFailure (reason printed). */
int
remove_one (GstOfflineDownloadManager *manager, const char *id)
{
  /* The answer of the asynchronous form is the event: the download is gone
   * (removed here, or by the process downloading it, which sees the row
   * marked for removal), or the removal failed. */
  g_autoptr (GMainLoop) loop = g_main_loop_new (nullptr, FALSE);
  g_autoptr (GCancellable) patience = g_cancellable_new ();
  Removal removal { loop };
  gst_offline_download_manager_remove_download_async (manager, id, patience, on_removed, &removal);
  guint give_up = g_timeout_add_seconds (kRemovalPatienceS, [] (gpointer cancellable) -> gboolean {
    g_cancellable_cancel (G_CANCELLABLE (cancellable));
    return G_SOURCE_REMOVE;
  }, patience);
  g_main_loop_run (loop);
  g_autoptr (GAsyncResult) result = removal.result;
  g_autoptr (GError) error = nullptr;
  gboolean removed = gst_offline_download_manager_remove_download_finish (manager, result, &error);
  if (!g_cancellable_is_cancelled (patience))
    g_source_remove (give_up);

  if (!removed && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    /* Still there: it is marked for removal, which the process holding it
     * (or the next one to open the data directory) finishes. */
    printf ("removing %s\n", id);
    fflush (stdout);
    return kExitSuccess;
  }
  if (!removed) {
    if (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND))
      return fail ("no download with id '%s'", id);
    return fail ("cannot remove download %s: %s", id, error->message);
  }
  printf ("removed %s\n", id);
  fflush (stdout);
  return kExitSuccess;
}

}  // namespace

int
command_remove (Context &ctx, int argc, char **argv)
{
  gboolean all = FALSE;
  const GOptionEntry entries[] = {
      {"all", 0, 0, G_OPTION_ARG_NONE, &all, "Remove every download", nullptr},
      {},
  };
  int status = parse_command_options (ctx, "remove", "ID|--all",
      "Deletes the download's data and its index entry. Resources another download also uses stay.",
      entries, &argc, &argv);
  if (status != kExitSuccess)
    return status;
  if (all && argc > 1)
    return usage_error ("remove", "remove: give either an ID or --all, not both");
  if (!all && (status = expect_arguments ("remove", argc, argv, 1, 1, "ID or --all")) != kExitSuccess)
    return status;

  if (!data_dir_exists (ctx))
    return all ? kExitSuccess : fail ("no download with id '%s'", argv[1]);

  g_autoptr (GstOfflineDownloadManager) manager = open_manager (ctx, true, false);
  if (!manager)
    return kExitFailure;
  if (!all)
    return remove_one (manager, argv[1]);

  g_autoptr (GError) error = nullptr;
  g_autoptr (GPtrArray) downloads = gst_offline_download_manager_get_downloads (manager, &error);
  if (!downloads)
    return fail ("cannot read the download index: %s", error->message);
  sort_downloads (downloads);
  status = kExitSuccess;
  for (guint i = 0; i < downloads->len; i++) {
    auto *download = GST_OFFLINE_DOWNLOAD (g_ptr_array_index (downloads, i));
    if (remove_one (manager, gst_offline_download_get_id (download)) != kExitSuccess)
      status = kExitFailure;
  }
  return status;
}

}  // namespace cli
