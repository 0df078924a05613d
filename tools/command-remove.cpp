/* gst-offline remove: delete downloads and their data.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "commands.h"
#include "data-dir.h"
#include "scoped.h"

#include <cstdio>
#include <string>

namespace cli {

namespace {

/* How long to wait for another process to finish a removal it was asked for
 * (it looks at the index about four times a second). */
constexpr gint64 kRemovalWait = 5 * G_USEC_PER_SEC;
constexpr guint kRemovalPollMs = 100;

struct RemovalWait {
  std::string id;
  GMainLoop *loop;
  GstOfflineDownloadIndex *index;
  gint64 deadline;
  bool gone = false;

  void check ()
  {
    g_autoptr (GError) error = nullptr;
    g_autoptr (GstOfflineDownload) left = gst_offline_download_index_get_download (index, id.c_str (), &error);
    if (!left && g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND))
      gone = true;
    if (gone || g_get_monotonic_time () >= deadline)
      g_main_loop_quit (loop);
  }
};

void
on_download_removed (GstOfflineDownloadManager *, const gchar *id, gpointer user_data)
{
  auto *wait = static_cast<RemovalWait *> (user_data);
  if (wait->id == id) {
    wait->gone = true;
    g_main_loop_quit (wait->loop);
  }
}

/* Removes one download; returns kExitSuccess or kExitFailure (reason printed). */
int
remove_one (GstOfflineDownloadManager *manager, GstOfflineDownloadIndex *index, const char *id)
{
  g_autoptr (GError) error = nullptr;
  g_autoptr (GstOfflineDownload) existing = gst_offline_download_manager_get_download (manager, id, &error);
  if (!existing) {
    if (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND))
      return fail ("no download with id '%s'", id);
    return fail ("cannot remove download %s: %s", id, error->message);
  }

  g_autoptr (GMainLoop) loop = g_main_loop_new (nullptr, FALSE);
  RemovalWait wait{id, loop, index, g_get_monotonic_time () + kRemovalWait};
  gboolean removed = FALSE;
  {
    SignalConnection removal (manager, "download-removed", G_CALLBACK (on_download_removed), &wait);
    removed = gst_offline_download_manager_remove_download (manager, id, &error);
    /* The removal may be finished elsewhere: by our manager's worker, or by
     * the process downloading it, which sees the row marked for removal.
     * Either way the row goes once the data is gone. */
    if (removed) {
      wait.check ();
      if (!wait.gone) {
        GSource *poll = g_timeout_source_new (kRemovalPollMs);
        g_source_set_callback (poll, [] (gpointer data) -> gboolean {
          static_cast<RemovalWait *> (data)->check ();
          return G_SOURCE_CONTINUE;
        }, &wait, nullptr);
        g_source_attach (poll, nullptr);
        g_main_loop_run (loop);
        g_source_destroy (poll);
        g_source_unref (poll);
      }
    }
  }

  if (!removed) {
    if (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_BUSY))
      return fail ("download %s is being downloaded by another process", id);
    if (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND))
      return fail ("no download with id '%s'", id);
    return fail ("cannot remove download %s: %s", id, error->message);
  }
  /* Still there: it is marked for removal, which the process holding it (or
   * the next one to open the data directory) finishes. */
  printf ("%s %s\n", wait.gone ? "removed" : "removing", id);
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
  g_autoptr (GstOfflineDownloadIndex) index = open_index (ctx, &status);
  if (!index)
    return kExitFailure;

  if (!all)
    return remove_one (manager, index, argv[1]);

  g_autoptr (GError) error = nullptr;
  g_autoptr (GPtrArray) downloads = gst_offline_download_manager_get_downloads (manager, &error);
  if (!downloads)
    return fail ("cannot read the download index: %s", error->message);
  sort_downloads (downloads);
  status = kExitSuccess;
  for (guint i = 0; i < downloads->len; i++) {
    auto *download = GST_OFFLINE_DOWNLOAD (g_ptr_array_index (downloads, i));
    if (remove_one (manager, index, gst_offline_download_get_id (download)) != kExitSuccess)
      status = kExitFailure;
  }
  return status;
}

}  // namespace cli
