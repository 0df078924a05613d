/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "index/download-record.h"

#include "db/database.h"
#include "index/playback-plan.h"

#include <cmath>

namespace gst_offline {

namespace {

constexpr const char *kColumns =
    "id, uri, type, stream_keys, headers, custom_data, key_set_id, state, start_time_ms, "
    "update_time_ms, content_length, stop_reason, failure_code, failure_message, percent, "
    "bytes_downloaded, license_url, estimated_length, range_start_ns, range_end_ns, live_duration_ns, live_from_start, "
    "recording, recorded_ns, missing_ns, live_lag_ns";

bool is_known_state (gint64 value)
{
  switch (value) {
    case GST_OFFLINE_DOWNLOAD_STATE_QUEUED:
    case GST_OFFLINE_DOWNLOAD_STATE_STOPPED:
    case GST_OFFLINE_DOWNLOAD_STATE_DOWNLOADING:
    case GST_OFFLINE_DOWNLOAD_STATE_COMPLETED:
    case GST_OFFLINE_DOWNLOAD_STATE_FAILED:
    case GST_OFFLINE_DOWNLOAD_STATE_REMOVING:
    case GST_OFFLINE_DOWNLOAD_STATE_RESTARTING:
      return true;
  }
  return false;
}

/* Reads the current row of a SELECT of kColumns. Returns a description of
 * what is wrong with it, or nothing when it is valid. */
std::optional<std::string> read_row (const Statement &row, DownloadRecord &r)
{
  r.id = row.text (0);
  if (row.is_null (0) || r.id.empty ())
    return std::string ("empty id");
  r.uri = row.text (1);
  if (r.uri.empty ())
    return std::string ("empty uri");
  gint64 type = row.int64 (2);
  if (row.column_type (2) != SQLITE_INTEGER || type < GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE
      || type > GST_OFFLINE_DOWNLOAD_TYPE_MSS)
    return "type '" + row.text (2) + "' is not a known download type";
  r.type = static_cast<GstOfflineDownloadType> (type);
  r.stream_keys = split_lines (row.text (3));
  r.headers = split_lines (row.text (4));
  r.custom_data = row.is_null (5) ? std::nullopt : std::optional<std::string> (row.blob (5));
  r.key_set_id = row.is_null (6) ? std::nullopt : std::optional<std::string> (row.blob (6));
  gint64 state = row.int64 (7);
  if (row.column_type (7) != SQLITE_INTEGER || !is_known_state (state))
    return "state '" + row.text (7) + "' is not a known state";
  r.state = static_cast<GstOfflineDownloadState> (state);
  r.start_time_ms = row.int64 (8);
  r.update_time_ms = row.int64 (9);
  r.content_length = row.int64 (10);
  if (r.content_length < -1)
    return "content length " + std::to_string (r.content_length) + " is negative";
  gint64 stop_reason = row.int64 (11);
  if (stop_reason < 0 || stop_reason > G_MAXUINT)
    return "stop reason " + std::to_string (stop_reason) + " is out of range";
  r.stop_reason = static_cast<guint> (stop_reason);
  if (!row.is_null (12)) {
    gint64 code = row.int64 (12);
    if (code < GST_OFFLINE_ERROR_FAILED || code > GST_OFFLINE_ERROR_LICENSE_EXPIRED)
      return "failure code " + std::to_string (code) + " is not a known error";
    r.failure_code = static_cast<GstOfflineError> (code);
  } else {
    r.failure_code.reset ();
  }
  r.failure_message = row.text (13);
  r.percent = row.real (14);
  if (std::isnan (r.percent) || r.percent < -1 || r.percent > 100)
    return "percent " + row.text (14) + " is out of range";
  gint64 bytes = row.int64 (15);
  if (bytes < 0)
    return "bytes downloaded " + std::to_string (bytes) + " is negative";
  r.bytes_downloaded = static_cast<guint64> (bytes);
  r.license_url = row.is_null (16) ? std::nullopt : std::optional<std::string> (row.text (16));
  r.estimated_length = row.int64 (17);
  if (r.estimated_length < -1)
    return "estimated length " + std::to_string (r.estimated_length) + " is negative";
  for (int column : { 18, 19 }) {
    std::optional<guint64> &bound = column == 18 ? r.range_start_ns : r.range_end_ns;
    bound.reset ();
    if (row.is_null (column))
      continue;
    if (row.int64 (column) < 0)
      return "time range bound " + row.text (column) + " is negative";
    bound = static_cast<guint64> (row.int64 (column));
  }
  if (r.range_start_ns && r.range_end_ns && *r.range_end_ns <= *r.range_start_ns)
    return "time range ends before it starts";
  r.live_duration_ns.reset ();
  if (!row.is_null (20)) {
    if (row.int64 (20) <= 0)
      return "live duration " + row.text (20) + " is not positive";
    r.live_duration_ns = static_cast<guint64> (row.int64 (20));
  }
  r.live_from_start = row.int64 (21) != 0;
  r.recording = row.int64 (22) != 0;
  if (row.int64 (23) < 0 || row.int64 (24) < 0)
    return "recorded or missing duration is negative";
  r.recorded_ns = static_cast<guint64> (row.int64 (23));
  r.missing_ns = static_cast<guint64> (row.int64 (24));
  r.live_lag_ns = MAX (row.int64 (25), -1);
  return std::nullopt;
}

void set_corrupt (GError **error, const std::string &id, const std::string &problem)
{
  g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_CORRUPT,
      "download '%s': corrupt index row: %s", id.c_str (), problem.c_str ());
}

}  // namespace

std::string join_lines (const std::vector<std::string> &lines)
{
  std::string text;
  for (const auto &line : lines) {
    if (!text.empty ())
      text += '\n';
    text += line;
  }
  return text;
}

std::vector<std::string> split_lines (const std::string &text)
{
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size ()) {
    size_t end = text.find ('\n', start);
    if (end == std::string::npos)
      end = text.size ();
    if (end > start)
      lines.emplace_back (text, start, end - start);
    start = end + 1;
  }
  return lines;
}

namespace download_table {

std::optional<DownloadRecord> get (Database &db, const std::string &id, GError **error)
{
  std::string sql = std::string ("SELECT ") + kColumns + " FROM downloads WHERE id = ?";
  auto stmt = db.prepare (sql.c_str (), error);
  if (!stmt)
    return std::nullopt;
  stmt->bind (1, id);
  switch (stmt->step (error)) {
    case Statement::Step::Error:
      return std::nullopt;
    case Statement::Step::Done:
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND, "no download with id '%s'", id.c_str ());
      return std::nullopt;
    case Statement::Step::Row:
      break;
  }
  DownloadRecord record;
  if (auto problem = read_row (*stmt, record)) {
    set_corrupt (error, id, *problem);
    return std::nullopt;
  }
  return record;
}

bool for_each (Database &db, std::vector<std::string> *corrupt, const std::function<bool (DownloadRecord &)> &fn,
    GError **error, Order order)
{
  /* downloads_by_start, or the primary key, gives the order. */
  std::string sql = std::string ("SELECT ") + kColumns + " FROM downloads ORDER BY "
      + (order == Order::ById ? "id" : "start_time_ms, id");
  auto stmt = db.prepare (sql.c_str (), error);
  if (!stmt)
    return false;
  DownloadRecord record;
  auto rows = stmt->rows (error);
  for (Statement &row : rows) {
    if (auto problem = read_row (row, record)) {
      if (corrupt)
        corrupt->push_back ("download '" + row.text (0) + "': corrupt index row: " + *problem);
      continue;
    }
    if (!fn (record))
      return true;
  }
  return !rows.failed ();
}

std::optional<std::vector<DownloadRecord>> list (Database &db, std::vector<std::string> *corrupt, GError **error)
{
  std::vector<DownloadRecord> records;
  if (!for_each (db, corrupt, [&] (DownloadRecord &record) {
        records.push_back (std::move (record));
        return true;
      }, error))
    return std::nullopt;
  return records;
}

bool put (Database &db, const DownloadRecord &r, GError **error)
{
  std::string sql = std::string ("INSERT OR REPLACE INTO downloads (") + kColumns
      + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  auto stmt = db.prepare (sql.c_str (), error);
  if (!stmt)
    return false;
  stmt->bind (1, r.id).bind (2, r.uri).bind (3, static_cast<gint64> (r.type))
      .bind (4, join_lines (r.stream_keys)).bind (5, join_lines (r.headers));
  if (r.custom_data)
    stmt->bind_blob (6, *r.custom_data);
  else
    stmt->bind_null (6);
  if (r.key_set_id)
    stmt->bind_blob (7, *r.key_set_id);
  else
    stmt->bind_null (7);
  stmt->bind (8, static_cast<gint64> (r.state)).bind (9, r.start_time_ms).bind (10, r.update_time_ms)
      .bind (11, r.content_length).bind (12, static_cast<gint64> (r.stop_reason));
  if (r.failure_code)
    stmt->bind (13, static_cast<gint64> (*r.failure_code)).bind (14, r.failure_message);
  else
    stmt->bind_null (13).bind_null (14);
  stmt->bind (15, r.percent).bind (16, static_cast<gint64> (r.bytes_downloaded));
  if (r.license_url)
    stmt->bind (17, *r.license_url);
  else
    stmt->bind_null (17);
  stmt->bind (18, r.estimated_length);
  if (r.range_start_ns)
    stmt->bind (19, static_cast<gint64> (*r.range_start_ns));
  else
    stmt->bind_null (19);
  if (r.range_end_ns)
    stmt->bind (20, static_cast<gint64> (*r.range_end_ns));
  else
    stmt->bind_null (20);
  if (r.live_duration_ns)
    stmt->bind (21, static_cast<gint64> (MIN (*r.live_duration_ns, static_cast<guint64> (G_MAXINT64))));
  else
    stmt->bind_null (21);
  stmt->bind (22, static_cast<gint64> (r.live_from_start ? 1 : 0)).bind (23, static_cast<gint64> (r.recording ? 1 : 0))
      .bind (24, static_cast<gint64> (r.recorded_ns)).bind (25, static_cast<gint64> (r.missing_ns))
      .bind (26, r.live_lag_ns);
  return stmt->run (error);
}

bool update_state (Database &db, const DownloadRecord &r, GError **error)
{
  auto stmt = db.prepare ("UPDATE downloads SET state = ?, failure_code = ?, failure_message = ?, content_length = ?, "
      "percent = ?, bytes_downloaded = ?, update_time_ms = ?, estimated_length = ?, recording = ?, recorded_ns = ?, "
      "missing_ns = ?, live_lag_ns = ? WHERE id = ?", error);
  if (!stmt)
    return false;
  stmt->bind (1, static_cast<gint64> (r.state));
  if (r.failure_code)
    stmt->bind (2, static_cast<gint64> (*r.failure_code)).bind (3, r.failure_message);
  else
    stmt->bind_null (2).bind_null (3);
  stmt->bind (4, r.content_length).bind (5, r.percent).bind (6, static_cast<gint64> (r.bytes_downloaded))
      .bind (7, r.update_time_ms).bind (8, r.estimated_length).bind (9, static_cast<gint64> (r.recording ? 1 : 0))
      .bind (10, static_cast<gint64> (r.recorded_ns)).bind (11, static_cast<gint64> (r.missing_ns))
      .bind (12, r.live_lag_ns).bind (13, r.id);
  return stmt->run (error);
}

bool update_progress (Database &db, const DownloadRecord &r, GError **error)
{
  auto stmt = db.prepare ("UPDATE downloads SET content_length = ?, percent = ?, bytes_downloaded = ?, "
      "update_time_ms = ?, estimated_length = ?, recording = ?, recorded_ns = ?, missing_ns = ?, live_lag_ns = ? "
      "WHERE id = ?", error);
  if (!stmt)
    return false;
  stmt->bind (1, r.content_length).bind (2, r.percent).bind (3, static_cast<gint64> (r.bytes_downloaded))
      .bind (4, r.update_time_ms).bind (5, r.estimated_length).bind (6, static_cast<gint64> (r.recording ? 1 : 0))
      .bind (7, static_cast<gint64> (r.recorded_ns)).bind (8, static_cast<gint64> (r.missing_ns))
      .bind (9, r.live_lag_ns).bind (10, r.id);
  return stmt->run (error);
}

bool remove (Database &db, const std::string &id, GError **error)
{
  auto transaction = db.begin (error);
  if (!transaction || !playback_plan::remove_all_but_segments (db, id, error))
    return false;
  auto stmt = db.prepare ("DELETE FROM downloads WHERE id = ?", error);
  if (!stmt || !stmt->bind (1, id).run (error))
    return false;
  return transaction->commit (error);
}

bool set_key_set_id (Database &db, const std::string &id, const std::optional<std::string> &key_set_id,
    GError **error)
{
  auto stmt = db.prepare ("UPDATE downloads SET key_set_id = ? WHERE id = ?", error);
  if (!stmt)
    return false;
  if (key_set_id)
    stmt->bind_blob (1, *key_set_id);
  else
    stmt->bind_null (1);
  stmt->bind (2, id);
  if (!stmt->run (error))
    return false;
  if (db.changes () == 0) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND, "no download with id '%s'", id.c_str ());
    return false;
  }
  return true;
}

bool set_stop_reason (Database &db, const std::string &id, guint stop_reason, GError **error)
{
  /* A stop reason moves a download between queued and stopped; it does not
   * touch completed, failed or removing ones (as ExoPlayer's index does). */
  const char *sql = id.empty ()
      ? "UPDATE downloads SET stop_reason = ?1, state = CASE WHEN state IN (0, 1) THEN "
        "(CASE WHEN ?1 = 0 THEN 0 ELSE 1 END) ELSE state END"
      : "UPDATE downloads SET stop_reason = ?1, state = CASE WHEN state IN (0, 1) THEN "
        "(CASE WHEN ?1 = 0 THEN 0 ELSE 1 END) ELSE state END WHERE id = ?2";
  auto stmt = db.prepare (sql, error);
  if (!stmt)
    return false;
  stmt->bind (1, static_cast<gint64> (stop_reason));
  if (!id.empty ())
    stmt->bind (2, id);
  if (!stmt->run (error))
    return false;
  if (!id.empty () && db.changes () == 0) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND, "no download with id '%s'", id.c_str ());
    return false;
  }
  return true;
}

bool set_time_range (Database &db, const DownloadRecord &r, GError **error)
{
  auto stmt = db.prepare ("UPDATE downloads SET range_start_ns = ?, range_end_ns = ? WHERE id = ?", error);
  if (!stmt)
    return false;
  if (r.range_start_ns)
    stmt->bind (1, static_cast<gint64> (*r.range_start_ns));
  else
    stmt->bind_null (1);
  if (r.range_end_ns)
    stmt->bind (2, static_cast<gint64> (*r.range_end_ns));
  else
    stmt->bind_null (2);
  if (!stmt->bind (3, r.id).run (error))
    return false;
  if (db.changes () == 0) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND, "no download with id '%s'", r.id.c_str ());
    return false;
  }
  return true;
}

bool request_position (Database &db, const std::string &id, guint64 position_ns, GError **error)
{
  auto stmt = db.prepare ("UPDATE downloads SET wanted_position_ns = ? WHERE id = ?", error);
  if (!stmt || !stmt->bind (1, static_cast<gint64> (MIN (position_ns, static_cast<guint64> (G_MAXINT64))))
                     .bind (2, id).run (error))
    return false;
  if (db.changes () == 0) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND, "no download with id '%s'", id.c_str ());
    return false;
  }
  return true;
}

std::optional<guint64> wanted_position (Database &db, const std::string &id, GError **error)
{
  auto stmt = db.prepare ("SELECT wanted_position_ns FROM downloads WHERE id = ?", error);
  if (!stmt || stmt->bind (1, id).step (error) != Statement::Step::Row || stmt->is_null (0))
    return std::nullopt;
  return static_cast<guint64> (MAX (stmt->int64 (0), 0));
}

}  // namespace download_table
}  // namespace gst_offline
