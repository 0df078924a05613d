/* gst-offline list / status: read the index, never change it.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "commands.h"
#include "data-dir.h"
#include "download-output.h"

#include <cstdio>

namespace cli {


int
command_list (Context &ctx, int argc, char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print a JSON array of download objects (see status --json)", nullptr},
      {},
  };
  int status = parse_command_options (ctx, "list", "",
      "One line per download: ID  STATE  PERCENT  BYTES  URI.", entries, &argc, &argv);
  if (status == kExitSuccess)
    status = expect_arguments ("list", argc, argv, 0, 0, "");
  if (status != kExitSuccess)
    return status;

  g_autoptr (GstOfflineDownloadIndex) index = open_index (ctx, &status);
  if (status != kExitSuccess)
    return status;
  g_autoptr (GPtrArray) downloads = nullptr;
  if (index) {
    g_autoptr (GError) error = nullptr;
    downloads = gst_offline_download_index_get_downloads (index, &error);
    if (!downloads)
      return fail ("cannot read the download index: %s", error->message);
  } else {
    downloads = g_ptr_array_new ();
  }
  sort_downloads (downloads);

  if (json) {
    print_download_array (downloads, ctx.data_dir.c_str ());
  } else {
    fputs (format_download_table (downloads).c_str (), stdout);
  }
  return kExitSuccess;
}

int
command_status (Context &ctx, int argc, char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object (fields in docs/cli.md)", nullptr},
      {},
  };
  int status = parse_command_options (ctx, "status", "ID",
      "The download's state, progress and failure.", entries, &argc, &argv);
  if (status == kExitSuccess)
    status = expect_arguments ("status", argc, argv, 1, 1, "ID");
  if (status != kExitSuccess)
    return status;
  const char *id = argv[1];

  g_autoptr (GstOfflineDownloadIndex) index = open_index (ctx, &status);
  if (status != kExitSuccess)
    return status;
  g_autoptr (GstOfflineDownload) download = get_download (index, id);
  if (!download)
    return kExitFailure;

  if (json) {
    g_autoptr (JsonNode) root = download_to_json (download, ctx.data_dir.c_str ());
    fputs (json_to_string (root).c_str (), stdout);
  } else {
    fputs (format_download_status (download, ctx.data_dir.c_str ()).c_str (), stdout);
  }
  return kExitSuccess;
}

}  // namespace cli
