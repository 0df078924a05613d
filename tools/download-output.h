/* gst-offline CLI: how a download snapshot is shown — the JSON object of
 * `list --json`/`status --json`, the table of `list` and the text of `status`.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/offline/offline.h>
#include <json-glib/json-glib.h>

#include "json-writer.h"

#include <array>
#include <cstdio>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cli {

/* The requirements that keep `download` from starting, as a manager with
 * these requirements (by default a daemon's) would find them now: none
 * unless it is queued. */
GstOfflineRequirements requirements_holding_back (GstOfflineDownload *download, const char *data_dir,
    GstOfflineRequirements requirements = GST_OFFLINE_REQUIREMENTS_DEFAULT,
    guint64 min_free_space = GST_OFFLINE_DEFAULT_MIN_FREE_SPACE);
/* The names of `requirements` ("network", "storage-not-low"); empty for none. */
std::vector<std::string> requirement_names (GstOfflineRequirements requirements);

/* What `status` shows of a download's license: seconds, -1 unlimited. */
struct LicenseSummary {
  gint64 expires_in = -1;
  gint64 playable_for = -1;
  std::string expires_at;   /* ISO 8601 UTC; empty: never */
  std::string license_url;  /* empty: keys that came without a license server */
};
/* `license` of `status --json`: expires_in, playable_for, expires_at (ISO
 * 8601 UTC or null), license_url (or null). */
void add_license_json (JsonWriter &w, const LicenseSummary &license);
/* One line for a person: "expires in 60 s (at ...), playable for 60 s, from URL". */
std::string license_text (const LicenseSummary &license);
/* What a command that shows many downloads at one instant (`list`) finds
 * once rather than per download: requirements_holding_back () for each
 * host, and whether the data directory has a drm.db. */
struct ListingMemo {
  std::map<std::string, GstOfflineRequirements> by_host;
  std::optional<bool> has_drm_db;
};

/* Its license, or nothing when it has none (never creates drm.db). */
std::optional<LicenseSummary> license_of (GstOfflineDownload *download, const char *data_dir,
    ListingMemo *memo = nullptr);

/* The JSON object documented in docs/cli.md (`status --json`). */
void write_download_json (JsonWriter &w, GstOfflineDownload *download, const char *data_dir,
    ListingMemo *memo = nullptr);
/* Pretty-printed JSON text of `node`, ending with a newline. */
std::string json_to_string (JsonNode *node);
/* Prints downloads on stdout as the pretty-printed JSON array of their
 * objects, each as it is added (memory flat in their number); finish ()
 * closes the array. */
class DownloadArrayPrinter {
 public:
  explicit DownloadArrayPrinter (const char *data_dir);
  void add (GstOfflineDownload *download);
  void finish ();

 private:
  std::string data_dir_;
  ListingMemo memo_;
  std::string text_;
  guint count_ = 0;
};

/* "1.2 MiB of 2.9 MiB", "1.2 MiB of about 2.9 MiB" while the total is an
 * estimate, "1.2 MiB" without one: how the bar, the lines of `download` and
 * `status` show the size. */
std::string progress_text (GstOfflineDownload *download);

/* "12.0 s recorded, 1.0 s missing (played as gaps), 3.0 s behind the live
 * edge" of a live recording (status, list, progress). */
std::string recording_text (GstOfflineDownload *d);

/* "A to B" of the time range a download was asked for (status, list), or
 * "" for the whole item. */
std::string range_text (GstOfflineDownload *download);

/* Whether the time range of `download` holds [start, end] (ns;
 * GST_CLOCK_TIME_NONE: open). */
bool range_covers (GstOfflineDownload *download, GstClockTime start, GstClockTime end);

/* `list`: one line per download added, columns aligned: ID  STATE  PERCENT  BYTES  URI. */
class DownloadTable {
 public:
  void add (GstOfflineDownload *download);
  /* Writes the rows, aligned, one line at a time. */
  void print (FILE *out) const;

 private:
  static constexpr size_t kColumns = 5;
  using Row = std::array<std::string, kColumns>;
  /* A deque: tens of thousands of rows are added without moving them. */
  std::deque<Row> rows_;
  std::array<size_t, kColumns> widths_ {};
};
/* `status`: one "field: value" line per property. */
std::string format_download_status (GstOfflineDownload *download, const char *data_dir);

}  // namespace cli
