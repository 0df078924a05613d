/* gst-offline CLI: how a download snapshot is shown — the JSON object of
 * `list --json`/`status --json`, the table of `list` and the text of `status`.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/offline/offline.h>
#include <json-glib/json-glib.h>

#include <string>

namespace cli {

/* The JSON object documented in docs/cli.md (`status --json`). */
JsonNode *download_to_json (GstOfflineDownload *download);
/* Pretty-printed JSON text of `node`, ending with a newline. */
std::string json_to_string (JsonNode *node);

/* `list`: one line per download, columns aligned: ID  STATE  PERCENT  BYTES  URI. */
std::string format_download_table (GPtrArray *downloads);
/* `status`: one "field: value" line per property. */
std::string format_download_status (GstOfflineDownload *download);

}  // namespace cli
