/* gst-offline verify: integrity check of the index and the cache.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "commands.h"
#include "data-dir.h"

#include <cstdio>
#include <cstring>

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

}  // namespace

int
command_verify (Context &ctx, int argc, char **argv)
{
  const GOptionEntry entries[] = {{}};
  int status = parse_command_options (ctx, "verify", "[ID]",
      "Checks the index and the cache: every whole resource has its file with the recorded length,\n"
      "no index row is corrupt, no stray files. Prints each problem; exit status 0 if clean, 1 if not.\n"
      "With ID, only that download's index row and resources.",
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
  if (count > 0)
    return fail ("%u problem%s found", count, count == 1 ? "" : "s");
  return kExitSuccess;
}

}  // namespace cli
