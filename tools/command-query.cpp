/* gst-offline list / status: read the index, never change it.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "commands.h"
#include "data-dir.h"
#include "download-output.h"

#include <cstdio>
#include <functional>

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
      "One line per download: ID  STATE  PERCENT  BYTES  URI, and '(range A to B)' after the URI of a\n"
      "download of a time range.", entries, &argc, &argv);
  if (status == kExitSuccess)
    status = expect_arguments ("list", argc, argv, 0, 0, "");
  if (status != kExitSuccess)
    return status;

  g_autoptr (GstOfflineDownloadIndex) index = open_index (ctx, &status);
  if (status != kExitSuccess)
    return status;
  /* One download at a time, in id order, straight from the index. */
  DownloadArrayPrinter printer (ctx.data_dir.c_str ());
  DownloadTable table;
  std::function<void (GstOfflineDownload *)> add = [&] (GstOfflineDownload *d) {
    if (json)
      printer.add (d);
    else
      table.add (d);
  };
  g_autoptr (GError) error = nullptr;
  if (index && !gst_offline_download_index_foreach_download (index,
          [] (GstOfflineDownload *d, gpointer data) -> gboolean {
            (*static_cast<std::function<void (GstOfflineDownload *)> *> (data)) (d);
            return TRUE;
          },
          &add, &error))
    return fail ("cannot read the download index: %s", error->message);
  if (json)
    printer.finish ();
  else
    table.print (stdout);
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
    std::string text;
    JsonWriter w (text);
    write_download_json (w, download, ctx.data_dir.c_str ());
    text += "\n";
    fputs (text.c_str (), stdout);
  } else {
    fputs (format_download_status (download, ctx.data_dir.c_str ()).c_str (), stdout);
  }
  return kExitSuccess;
}

}  // namespace cli
