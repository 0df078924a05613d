/* gst-offline verify: integrity check of the index and the cache.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "commands.h"
#include "data-dir.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace cli {

namespace {

/* Appends the problems found by one check to `problems`; false (reason
 * printed) if the check itself could not run. */
bool
collect (GPtrArray *found, GError *error, const char *what, GPtrArray *problems)
{
  if (!found) {
    fail ("cannot verify the %s: %s", what, error ? error->message : "unknown error");
    return false;
  }
  for (guint i = 0; i < found->len; i++)
    g_ptr_array_add (problems, g_strdup ((const gchar *) g_ptr_array_index (found, i)));
  return true;
}

/* The downloads verify found damage in: `id`, or every download, whose
 * resources the cache finds missing or short. */
std::vector<std::string>
damaged_downloads (GstOfflineCache *cache, GstOfflineDownloadIndex *index, const char *id)
{
  std::vector<std::string> ids;
  if (id) {
    ids.push_back (id);
  } else {
    g_autoptr (GPtrArray) all = gst_offline_download_index_get_downloads (index, nullptr);
    for (guint i = 0; all && i < all->len; i++)
      ids.push_back (gst_offline_download_get_id (GST_OFFLINE_DOWNLOAD (g_ptr_array_index (all, i))));
  }
  std::vector<std::string> damaged;
  for (const auto &candidate : ids) {
    g_autoptr (GPtrArray) found = gst_offline_cache_verify (cache, candidate.c_str (), nullptr);
    if (found && found->len > 0)
      damaged.push_back (candidate);
  }
  return damaged;
}

/* Fetches again what is damaged: each download is added again, which
 * forgets its missing and short files, and waited for as `download` does. */
int
repair (Context &ctx, GstOfflineDownloadIndex *index, const std::vector<std::string> &ids)
{
  g_autoptr (GstOfflineDownloadManager) manager = open_manager (ctx, false, true, 5,
      GST_OFFLINE_DEFAULT_MIN_FREE_SPACE, GST_OFFLINE_REQUIREMENTS_NETWORK);
  if (!manager)
    return kExitFailure;
  int status = kExitSuccess;
  for (const auto &id : ids) {
    g_autoptr (GstOfflineDownload) download = get_download (index, id.c_str ());
    if (!download) {
      status = kExitFailure;
      continue;
    }
    if (gst_offline_download_get_state (download) != GST_OFFLINE_DOWNLOAD_STATE_COMPLETED) {
      /* Not complete: its next run fetches what is missing anyway. */
      printf ("%s: not complete (%s): run 'gst-offline download' or 'resume' to finish it\n", id.c_str (),
          gst_offline_download_state_to_string (gst_offline_download_get_state (download)));
      continue;
    }
    int one = run_download (manager, gst_offline_download_get_request (download), id, false);
    if (one == kExitInterrupted)
      return one;
    if (one == kExitSuccess)
      printf ("repaired %s\n", id.c_str ());
    else
      status = kExitFailure;
    fflush (stdout);
  }
  return status;
}

}  // namespace

int
command_verify (Context &ctx, int argc, char **argv)
{
  gboolean repair_option = FALSE;
  const GOptionEntry entries[] = {
      {"repair", 0, 0, G_OPTION_ARG_NONE, &repair_option,
          "Remove what killed processes left; fetch again the files found missing or damaged (online), "
          "waiting as 'download' does", nullptr},
      {},
  };
  int status = parse_command_options (ctx, "verify", "[ID]",
      "Checks the index and the cache: every whole resource has its file with the recorded length,\n"
      "no index row is corrupt, no stray files. Prints each problem; exit status 0 if clean, 1 if not.\n"
      "With ID, only that download's index row and resources. With --repair, what killed processes\n"
      "left (a half-made space reserve) is removed and the downloads whose files are missing or\n"
      "damaged are fetched again; exit status 0 once they are whole.",
      entries, &argc, &argv);
  if (status == kExitSuccess)
    status = expect_arguments ("verify", argc, argv, 0, 1, "");
  if (status != kExitSuccess)
    return status;
  const char *id = argc > 1 ? argv[1] : nullptr;

  g_autoptr (GstOfflineDownloadIndex) index = open_index (ctx, &status);
  if (status != kExitSuccess)
    return status;
  g_autoptr (GstOfflineDownload) download = nullptr;
  if (id && !(download = get_download (index, id)))
    return kExitFailure;
  if (!index)
    return kExitSuccess;  /* no data directory: nothing to be wrong */

  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  {
    g_autoptr (GError) error = nullptr;
    g_autoptr (GPtrArray) found = gst_offline_download_index_verify (index, id, &error);
    if (!collect (found, error, "download index", problems))
      return kExitFailure;
  }
  guint cache_from = problems->len; /* the cache's problems follow the index's */
  {
    g_autoptr (GError) error = nullptr;
    g_autoptr (GstOfflineCache) cache = gst_offline_cache_new (ctx.data_dir.c_str (), &error);
    g_autoptr (GPtrArray) found = cache ? gst_offline_cache_verify (cache, id, &error) : nullptr;
    if (!collect (found, error, "cache", problems))
      return kExitFailure;
  }

  for (guint i = 0; i < problems->len; i++)
    printf ("%s\n", (const gchar *) g_ptr_array_index (problems, i));
  fflush (stdout);
  guint count = problems->len;
  if (repair_option && count > 0) {
    /* A manager's start clears what killed processes left (a half-made
     * space reserve, a removal to finish): what verify finds then is
     * what fetching again repairs. */
    {
      g_autoptr (GstOfflineDownloadManager) manager = open_manager (ctx, true, true);
      if (!manager)
        return kExitFailure;
    }
    g_autoptr (GstOfflineCache) cache = gst_offline_cache_new (ctx.data_dir.c_str (), nullptr);
    g_autoptr (GPtrArray) left = cache ? gst_offline_cache_verify (cache, id, nullptr) : nullptr;
    if (left) {
      for (guint i = cache_from; i < problems->len; i++) {
        auto *problem = static_cast<const gchar *> (g_ptr_array_index (problems, i));
        bool still = false;
        for (guint j = 0; j < left->len && !still; j++)
          still = g_str_equal (problem, g_ptr_array_index (left, j));
        if (!still)
          printf ("repaired: %s\n", problem);
      }
      fflush (stdout);
    }
    std::vector<std::string> damaged;
    if (cache)
      damaged = damaged_downloads (cache, index, id);
    if (damaged.empty () && cache_from == 0 && left && left->len == 0)
      return kExitSuccess;
    if (damaged.empty ())
      return fail ("%u problem%s found, none that fetching again repairs", count, count == 1 ? "" : "s");
    return repair (ctx, index, damaged);
  }
  if (count > 0)
    return fail ("%u problem%s found", count, count == 1 ? "" : "s");
  return kExitSuccess;
}

}  // namespace cli
