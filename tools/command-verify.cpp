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

/* Whether `text` names `word` as a whole: not as part of a longer id or URL
 * (so that `verify a` does not pick every problem with an "a" in it). */
bool
names (const char *text, const char *word)
{
  auto is_name_char = [] (char c) {
    return g_ascii_isalnum (c) || strchr ("-._~/%?&=+#", c) != nullptr;
  };
  size_t length = strlen (word);
  if (length == 0)
    return false;
  for (const char *at = strstr (text, word); at; at = strstr (at + 1, word)) {
    bool starts = at == text || !is_name_char (at[-1]);
    bool ends = at[length] == '\0' || !is_name_char (at[length]);
    if (starts && ends)
      return true;
  }
  return false;
}

}  // namespace

int
command_verify (Context &ctx, int argc, char **argv)
{
  const GOptionEntry entries[] = {{}};
  int status = parse_command_options (ctx, "verify", "[ID]",
      "Checks the index and the cache: every whole resource has its file with the recorded length,\n"
      "no index row is corrupt, no stray files. Prints each problem; exit status 0 if clean, 1 if not.\n"
      "With ID, only the problems that name that download (its id or its URI).",
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
    g_autoptr (GPtrArray) found = gst_offline_download_index_verify (index, &error);
    if (!collect (found, error, "download index", problems))
      return kExitFailure;
  }
  {
    g_autoptr (GError) error = nullptr;
    g_autoptr (GstOfflineCache) cache = gst_offline_cache_new (ctx.data_dir.c_str (), &error);
    g_autoptr (GPtrArray) found = cache ? gst_offline_cache_verify (cache, &error) : nullptr;
    if (!collect (found, error, "cache", problems))
      return kExitFailure;
  }

  guint shown = 0;
  for (guint i = 0; i < problems->len; i++) {
    const gchar *problem = (const gchar *) g_ptr_array_index (problems, i);
    if (download && !names (problem, gst_offline_download_get_id (download)) &&
        !names (problem, gst_offline_download_get_uri (download)))
      continue;
    printf ("%s\n", problem);
    shown++;
  }
  fflush (stdout);
  if (shown > 0)
    return fail ("%u problem%s found", shown, shown == 1 ? "" : "s");
  return kExitSuccess;
}

}  // namespace cli
