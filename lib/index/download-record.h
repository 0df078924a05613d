/* The persisted form of one download, and the SQL that reads and writes it.
 * Rows are validated when read: a corrupt row is an error that names the
 * download and the bad field, never a crash or a made-up value.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/offline/offline-error.h>
#include <gst/offline/offline-types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace gst_offline {

class Database;

struct DownloadRecord {
  /* The request. */
  std::string id;
  std::string uri;
  GstOfflineDownloadType type = GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE;
  std::vector<std::string> stream_keys;
  std::vector<std::string> headers;
  std::optional<std::string> custom_data;
  std::optional<std::string> key_set_id;
  /* The ClearKey license server to use instead of the manifest's Laurl. */
  std::optional<std::string> license_url;
  /* The time range to download and play, in presentation time (none: from
   * the start, to the end). Adaptive downloads only. */
  std::optional<guint64> range_start_ns;
  std::optional<guint64> range_end_ns;
  /* A live stream: how much media to record (none: until it ends or is
   * stopped), and whether from the oldest segment of the window rather
   * than from the live edge. */
  std::optional<guint64> live_duration_ns;
  bool live_from_start = false;
  /* Its state. */
  GstOfflineDownloadState state = GST_OFFLINE_DOWNLOAD_STATE_QUEUED;
  gint64 start_time_ms = 0;
  gint64 update_time_ms = 0;
  gint64 content_length = -1;
  /* The total while content_length is unknown, as far as it can be told
   * (-1 without an estimate); equal to content_length once that is known. */
  gint64 estimated_length = -1;
  guint stop_reason = GST_OFFLINE_STOP_REASON_NONE;
  std::optional<GstOfflineError> failure_code;
  std::string failure_message;
  double percent = -1;
  guint64 bytes_downloaded = 0;
  /* A live recording (known once its downloader read the playlist): the
   * media it holds, the media it lost (segments gone from the window before
   * they were fetched, time while nobody recorded), and how far behind the
   * live edge its last segment is (-1: unknown, or not recording now). */
  bool recording = false;
  guint64 recorded_ns = 0;
  guint64 missing_ns = 0;
  gint64 live_lag_ns = -1;
  /* Runtime only, never persisted: known while this process downloads it. */
  double speed = 0;          /* bytes per second */
  gint64 eta_seconds = -1;

  bool is_terminal () const
  {
    return state == GST_OFFLINE_DOWNLOAD_STATE_COMPLETED || state == GST_OFFLINE_DOWNLOAD_STATE_FAILED;
  }
  bool has_range () const { return range_start_ns.has_value () || range_end_ns.has_value (); }
  void clear_failure ()
  {
    failure_code.reset ();
    failure_message.clear ();
  }
};

/* SQL access to the `downloads` table. */
namespace download_table {

/* NOT_FOUND for an unknown id, CORRUPT for a row that does not validate. */
std::optional<DownloadRecord> get (Database &db, const std::string &id, GError **error);
/* Every row that validates, oldest first; each corrupt row is described in
 * `corrupt` (may be null). */
std::optional<std::vector<DownloadRecord>> list (Database &db, std::vector<std::string> *corrupt, GError **error);
/* The order for_each () reads rows in. */
enum class Order { ByStart, ById };
/* Calls `fn` with every row that validates, oldest first (or by id), one at
 * a time (memory flat in their number), until `fn` returns false; false if
 * reading failed. */
bool for_each (Database &db, std::vector<std::string> *corrupt, const std::function<bool (DownloadRecord &)> &fn,
    GError **error, Order order = Order::ByStart);
/* Inserts or replaces the whole row. */
bool put (Database &db, const DownloadRecord &record, GError **error);
/* Updates the state, failure and progress columns, leaving the request and
 * the stop reason (which other processes may set) as they are. */
bool update_state (Database &db, const DownloadRecord &record, GError **error);
/* Updates only the progress columns; a removed row stays removed. */
bool update_progress (Database &db, const DownloadRecord &record, GError **error);
/* Removes the row and the download's playback plan but its segments, in
 * one transaction: the download is gone for every reader, and the
 * segments, thousands of rows, go later (playback_plan::remove_segments (),
 * cache/pending-removals.h). */
bool remove (Database &db, const std::string &id, GError **error);
/* Sets (or clears) the key-set id of one download, leaving the rest of the
 * row as it is. NOT_FOUND for an unknown id. */
bool set_key_set_id (Database &db, const std::string &id, const std::optional<std::string> &key_set_id,
    GError **error);
/* Sets the stop reason of one download (or of all when `id` is empty).
 * Returns false with NOT_FOUND for an unknown id. */
bool set_stop_reason (Database &db, const std::string &id, guint stop_reason, GError **error);
/* Sets the time range of one download (its request's range-start and
 * range-end; nullopt: open), leaving the rest of the row as it is: the
 * process downloading it sees the change and fetches the new range.
 * NOT_FOUND for an unknown id. */
bool set_time_range (Database &db, const DownloadRecord &record, GError **error);
/* Asks the process downloading `id` (whichever it is: the change reaches its
 * manager as a state change does) to fetch the segments from `position_ns`
 * on next, then those before. NOT_FOUND for an unknown id. */
bool request_position (Database &db, const std::string &id, guint64 position_ns, GError **error);
/* The position last asked for, if any. */
std::optional<guint64> wanted_position (Database &db, const std::string &id, GError **error);

}  // namespace download_table

/* Joins/splits the one-per-line text columns. */
std::string join_lines (const std::vector<std::string> &lines);
std::vector<std::string> split_lines (const std::string &text);

}  // namespace gst_offline
