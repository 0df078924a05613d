/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "index/playback-plan.h"

#include "db/database.h"

#include <algorithm>

namespace gst_offline {
namespace playback_plan {

namespace {

constexpr const char *kSegmentColumns =
    "track, number, period, start_ns, duration_ns, resource, init_resource, discontinuity, key_resource, iv, early_ns";
/* What a plan's reader selects of a segment: its columns, then where its
 * Period ends (NULL: with its media). */
constexpr const char *kSegmentReadColumns =
    "track, number, period, start_ns, duration_ns, resource, init_resource, discontinuity, key_resource, iv, early_ns, "
    "(SELECT end_ns FROM periods WHERE periods.download_id = segments.download_id "
    "AND periods.period = segments.period)";

PlanSegment read_segment (const Statement &row)
{
  PlanSegment s;
  s.track = static_cast<guint> (row.int64 (0));
  s.number = static_cast<guint64> (row.int64 (1));
  s.period = static_cast<guint> (row.int64 (2));
  s.start_ns = static_cast<guint64> (MAX (row.int64 (3), 0));
  s.duration_ns = static_cast<guint64> (MAX (row.int64 (4), 0));
  s.resource = row.text (5);
  s.init_resource = row.text (6);
  s.discontinuity = row.int64 (7) != 0;
  s.key_resource = row.text (8);
  s.iv = row.blob (9);
  s.early_ns = static_cast<guint64> (MAX (row.int64 (10), 0));
  if (!row.is_null (11))
    s.period_end_ns = static_cast<guint64> (MAX (row.int64 (11), 0));
  return s;
}

constexpr const char *kTrackColumns =
    "track, stream_key, type, container, codecs, language, label, bandwidth, width, height, timescale, "
    "codec_private_data, sampling_rate, channels, bits_per_sample, packet_size, audio_tag, kids, license_url, "
    "group_name, mime_type, frame_rate, roles, accessibility, protection_systems, audio_group, text_group, "
    "whole_presentation";

/* Lists of words that hold no line break (roles, descriptors, UUIDs). */
std::string join_lines (const std::vector<std::string> &values)
{
  std::string joined;
  for (const std::string &value : values)
    joined += (joined.empty () ? "" : "\n") + value;
  return joined;
}

std::vector<std::string> split_lines (const std::string &text)
{
  std::vector<std::string> values;
  g_auto (GStrv) parts = g_strsplit (text.c_str (), "\n", -1);
  for (gchar **part = parts; *part; part++) {
    if (**part)
      values.push_back (*part);
  }
  return values;
}

void bind_optional_uint (Statement &stmt, int index, const std::optional<guint> &value)
{
  if (value)
    stmt.bind (index, static_cast<gint64> (*value));
  else
    stmt.bind_null (index);
}

std::optional<guint> optional_uint (const Statement &row, int column)
{
  if (row.is_null (column))
    return std::nullopt;
  return static_cast<guint> (CLAMP (row.int64 (column), 0, G_MAXUINT));
}

void bind_optional_text (Statement &stmt, int index, const std::string &text)
{
  if (text.empty ())
    stmt.bind_null (index);
  else
    stmt.bind (index, text);
}

void bind_optional_text (Statement &stmt, int index, const std::optional<std::string> &text)
{
  if (text)
    stmt.bind (index, *text);
  else
    stmt.bind_null (index);
}

std::optional<std::string> optional_text (const Statement &row, int column)
{
  if (row.is_null (column))
    return std::nullopt;
  return row.text (column);
}

std::optional<std::vector<PlanSegment>> collect (Statement &stmt, GError **error)
{
  std::vector<PlanSegment> result;
  auto rows = stmt.rows (error);
  for (Statement &row : rows)
    result.push_back (read_segment (row));
  if (rows.failed ())
    return std::nullopt;
  return result;
}

}  // namespace

/* The transaction and segment statement both ways of writing a plan use;
 * `replace`: the download's plan is removed first. */
std::unique_ptr<Writer> Writer::open (Database &db, const std::string &download_id, bool replace, GError **error)
{
  auto transaction = db.begin (error);
  if (!transaction || (replace && !remove (db, download_id, error)))
    return nullptr;
  std::string segment_sql = std::string ("INSERT INTO segments (download_id, ") + kSegmentColumns
      + ", fetch_url, range_offset, range_length, expected_length) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  auto segment_stmt = db.prepare (segment_sql.c_str (), error);
  if (!segment_stmt)
    return nullptr;
  return std::unique_ptr<Writer> (new Writer (db, download_id, std::move (*transaction), std::move (*segment_stmt)));
}

std::unique_ptr<Writer> Writer::begin (Database &db, const std::string &download_id, GError **error)
{
  return open (db, download_id, true, error);
}

std::unique_ptr<Writer> Writer::append (Database &db, const std::string &download_id, GError **error)
{
  return open (db, download_id, false, error);
}

bool Writer::set_next_sequence (guint track, guint64 sequence, GError **error)
{
  auto stmt = db_.prepare ("INSERT OR REPLACE INTO recording_tracks (download_id, track, next_sequence) VALUES (?, ?, ?)",
      error);
  return stmt && stmt->bind (1, download_id_).bind (2, static_cast<gint64> (track))
      .bind (3, static_cast<gint64> (MIN (sequence, static_cast<guint64> (G_MAXINT64)))).run (error);
}

bool Writer::add (const PlanSegment &s, GError **error)
{
  Statement &stmt = segment_;
  stmt.bind (1, download_id_).bind (2, static_cast<gint64> (s.track)).bind (3, static_cast<gint64> (s.number))
      .bind (4, static_cast<gint64> (s.period)).bind (5, static_cast<gint64> (s.start_ns))
      .bind (6, static_cast<gint64> (s.duration_ns)).bind (7, s.resource);
  bind_optional_text (stmt, 8, s.init_resource);
  stmt.bind (9, static_cast<gint64> (s.discontinuity ? 1 : 0));
  bind_optional_text (stmt, 10, s.key_resource);
  if (s.iv.empty ())
    stmt.bind_null (11);
  else
    stmt.bind_blob (11, s.iv);
  stmt.bind (12, static_cast<gint64> (MIN (s.early_ns, static_cast<guint64> (G_MAXINT64))));
  bind_optional_text (stmt, 13, s.fetch_url);
  if (s.range_length > 0) {
    stmt.bind (14, static_cast<gint64> (MIN (s.range_offset, static_cast<guint64> (G_MAXINT64))))
        .bind (15, static_cast<gint64> (MIN (s.range_length, static_cast<guint64> (G_MAXINT64))));
  } else {
    stmt.bind_null (14).bind_null (15);
  }
  stmt.bind (16, s.expected_length);
  bool ok = stmt.run (error);
  stmt.reset ();
  if (ok)
    count_++;
  return ok;
}

bool Writer::finish (const std::vector<Track> &tracks, const std::vector<PlanPeriod> &periods, GError **error)
{
  Database &db = db_;
  const std::string &download_id = download_id_;
  std::string track_sql = std::string ("INSERT INTO tracks (download_id, ") + kTrackColumns
      + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  auto track_stmt = db.prepare (track_sql.c_str (), error);
  auto protection_stmt = db.prepare ("INSERT INTO track_protection (download_id, track, system_id, origin, data) "
      "VALUES (?, ?, ?, ?, ?)", error);
  auto period_stmt = db.prepare ("INSERT INTO periods (download_id, period, start_ns, end_ns) VALUES (?, ?, ?, ?)", error);
  if (!track_stmt || !protection_stmt || !period_stmt)
    return false;
  for (const PlanPeriod &p : periods) {
    period_stmt->bind (1, download_id).bind (2, static_cast<gint64> (p.period))
        .bind (3, static_cast<gint64> (MIN (p.start_ns, static_cast<guint64> (G_MAXINT64))));
    if (p.end_ns)
      period_stmt->bind (4, static_cast<gint64> (MIN (*p.end_ns, static_cast<guint64> (G_MAXINT64))));
    else
      period_stmt->bind_null (4);
    if (!period_stmt->run (error))
      return false;
    period_stmt->reset ();
  }
  for (const Track &t : tracks) {
    track_stmt->bind (1, download_id).bind (2, static_cast<gint64> (t.index)).bind (3, t.stream_key)
        .bind (4, static_cast<gint64> (t.type)).bind (5, t.container).bind (6, t.codecs).bind (7, t.language)
        .bind (8, t.label).bind (9, static_cast<gint64> (t.bandwidth));
    bind_optional_uint (*track_stmt, 10, t.width);
    bind_optional_uint (*track_stmt, 11, t.height);
    track_stmt->bind (12, static_cast<gint64> (MIN (t.timescale, static_cast<guint64> (G_MAXINT64))));
    if (t.codec_private_data.empty ())
      track_stmt->bind_null (13);
    else
      track_stmt->bind_blob (13, t.codec_private_data);
    bind_optional_uint (*track_stmt, 14, t.sampling_rate);
    /* "2" is stored as a number (the column is INTEGER), "6/JOC" as text. */
    bind_optional_text (*track_stmt, 15, t.channels);
    bind_optional_uint (*track_stmt, 16, t.bits_per_sample);
    bind_optional_uint (*track_stmt, 17, t.packet_size);
    bind_optional_uint (*track_stmt, 18, t.audio_tag);
    std::string kids;
    for (const std::string &kid : t.kids)
      kids += (kids.empty () ? "" : " ") + kid;
    track_stmt->bind (19, kids);
    bind_optional_text (*track_stmt, 20, t.license_url);
    track_stmt->bind (21, t.group).bind (22, t.mime_type);
    if (t.frame_rate)
      track_stmt->bind (23, *t.frame_rate);
    else
      track_stmt->bind_null (23);
    track_stmt->bind (24, join_lines (t.roles)).bind (25, join_lines (t.accessibility))
        .bind (26, join_lines (t.protection_systems));
    bind_optional_text (*track_stmt, 27, t.audio_group);
    bind_optional_text (*track_stmt, 28, t.text_group);
    track_stmt->bind (29, static_cast<gint64> (t.whole_presentation ? 1 : 0));
    if (!track_stmt->run (error))
      return false;
    track_stmt->reset ();
    for (const TrackProtection &p : t.protection) {
      protection_stmt->bind (1, download_id).bind (2, static_cast<gint64> (t.index)).bind (3, p.system_id)
          .bind (4, p.origin).bind_blob (5, p.data);
      if (!protection_stmt->run (error))
        return false;
      protection_stmt->reset ();
    }
  }
  return transaction_.commit (error);
}

bool store (Database &db, const std::string &download_id, const std::vector<Track> &tracks,
    const std::vector<PlanSegment> &segments, GError **error, const std::vector<PlanPeriod> &periods)
{
  auto writer = Writer::begin (db, download_id, error);
  if (!writer)
    return false;
  for (const PlanSegment &s : segments) {
    if (!writer->add (s, error))
      return false;
  }
  return writer->finish (tracks, periods, error);
}

std::optional<std::vector<Track>> tracks (Database &db, const std::string &download_id, GError **error)
{
  std::string sql = std::string ("SELECT ") + kTrackColumns + " FROM tracks WHERE download_id = ? ORDER BY track";
  auto stmt = db.prepare (sql.c_str (), error);
  auto protection = db.prepare ("SELECT system_id, origin, data FROM track_protection WHERE download_id = ? AND track = ? "
      "ORDER BY rowid", error);
  if (!stmt || !protection)
    return std::nullopt;
  stmt->bind (1, download_id);
  std::vector<Track> result;
  auto rows = stmt->rows (error);
  for (Statement &row : rows) {
    Track t;
    t.index = static_cast<guint> (row.int64 (0));
    t.stream_key = row.text (1);
    gint64 type = row.int64 (2);
    if (type < static_cast<gint64> (TrackType::Video) || type > static_cast<gint64> (TrackType::Text)) {
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_CORRUPT, "download '%s': track %u has an unknown type %"
          G_GINT64_FORMAT, download_id.c_str (), t.index, type);
      return std::nullopt;
    }
    t.type = static_cast<TrackType> (type);
    t.container = row.text (3);
    t.codecs = row.text (4);
    t.language = row.text (5);
    t.label = row.text (6);
    t.bandwidth = static_cast<guint64> (MAX (row.int64 (7), 0));
    t.width = optional_uint (row, 8);
    t.height = optional_uint (row, 9);
    t.timescale = static_cast<guint64> (MAX (row.int64 (10), 0));
    t.codec_private_data = row.blob (11);
    t.sampling_rate = optional_uint (row, 12);
    t.channels = optional_text (row, 13);
    t.bits_per_sample = optional_uint (row, 14);
    t.packet_size = optional_uint (row, 15);
    t.audio_tag = optional_uint (row, 16);
    g_auto (GStrv) kids = g_strsplit (row.text (17).c_str (), " ", -1);
    for (gchar **kid = kids; *kid; kid++) {
      if (**kid)
        t.kids.push_back (*kid);
    }
    t.license_url = row.text (18);
    t.group = row.text (19);
    t.mime_type = row.text (20);
    if (!row.is_null (21))
      t.frame_rate = row.real (21);
    t.roles = split_lines (row.text (22));
    t.accessibility = split_lines (row.text (23));
    t.protection_systems = split_lines (row.text (24));
    t.audio_group = optional_text (row, 25);
    t.text_group = optional_text (row, 26);
    t.whole_presentation = row.int64 (27) != 0;
    protection->bind (1, download_id).bind (2, static_cast<gint64> (t.index));
    auto systems = protection->rows (error);
    for (Statement &system : systems)
      t.protection.push_back ({ system.text (0), system.text (1), system.blob (2) });
    if (systems.failed ())
      return std::nullopt;
    protection->reset ();
    /* A plan from before schema 8 names its DRM systems only in its protection. */
    for (const TrackProtection &p : t.protection) {
      if (std::find (t.protection_systems.begin (), t.protection_systems.end (), p.system_id) == t.protection_systems.end ())
        t.protection_systems.push_back (p.system_id);
    }
    result.push_back (std::move (t));
  }
  if (rows.failed ())
    return std::nullopt;
  return result;
}

std::optional<std::vector<PlanSegment>> segments (Database &db, const std::string &download_id, guint track,
    guint64 first, guint limit, GError **error)
{
  std::string sql = std::string ("SELECT ") + kSegmentReadColumns
      + " FROM segments WHERE download_id = ? AND track = ? AND number >= ? ORDER BY number LIMIT ?";
  auto stmt = db.prepare (sql.c_str (), error);
  if (!stmt)
    return std::nullopt;
  stmt->bind (1, download_id).bind (2, static_cast<gint64> (track)).bind (3, static_cast<gint64> (first))
      .bind (4, static_cast<gint64> (limit));
  return collect (*stmt, error);
}

std::optional<PlanSegment> segment_at (Database &db, const std::string &download_id, guint track, guint64 time_ns,
    GError **error)
{
  /* Both queries walk the (download_id, track, start_ns) index. */
  std::string sql = std::string ("SELECT ") + kSegmentReadColumns + " FROM segments WHERE download_id = ?1 AND track = ?2 "
      "AND start_ns <= ?3 ORDER BY start_ns DESC, number DESC LIMIT 1";
  std::string first_sql = std::string ("SELECT ") + kSegmentReadColumns
      + " FROM segments WHERE download_id = ?1 AND track = ?2 ORDER BY start_ns, number LIMIT 1";
  for (const std::string *query : { &sql, &first_sql }) {
    auto stmt = db.prepare (query->c_str (), error);
    if (!stmt)
      return std::nullopt;
    stmt->bind (1, download_id).bind (2, static_cast<gint64> (track));
    if (query == &sql)
      stmt->bind (3, static_cast<gint64> (MIN (time_ns, static_cast<guint64> (G_MAXINT64))));
    auto found = collect (*stmt, error);
    if (!found)
      return std::nullopt;
    if (!found->empty ())
      return found->front ();
  }
  g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND, "download '%s' has no segment in track %u",
      download_id.c_str (), track);
  return std::nullopt;
}

namespace {

/* A row of fetch_url, resource, range_offset, range_length, expected_length,
 * and at `whole_column` the length of the resource if whole and used. */
PlanFetch read_fetch (const Statement &row, int whole_column)
{
  PlanFetch f;
  f.url = row.text (0);
  f.resource = row.text (1);
  if (!row.is_null (3) && row.int64 (3) > 0) {
    f.range_offset = static_cast<guint64> (MAX (row.int64 (2), 0));
    f.range_length = static_cast<guint64> (row.int64 (3));
  }
  f.expected_length = row.int64 (4);
  f.whole_length = row.is_null (whole_column) ? -1 : MAX (row.int64 (whole_column), 0);
  return f;
}

}  // namespace

std::optional<std::vector<PlanFetch>> fetches (Database &db, const std::string &download_id,
    PlanFetchPosition *position, guint limit, GError **error, const PlanFetchFilter &filter)
{
  /* It walks segments_to_fetch: a window costs its own rows (and, for a
   * part, the rows the part leaves out, once). */
  std::string sql = "SELECT fetch_url, resource, range_offset, range_length, expected_length, start_ns, track, number, "
      "(SELECT r.length FROM resources r JOIN download_resources d ON d.key = r.key "
      " WHERE r.key = segments.resource AND d.download_id = ?1) "
      "FROM segments WHERE download_id = ?1 AND fetch_url IS NOT NULL";
  bool from_start = filter.range_start_ns == 0, to_end = filter.range_end_ns >= static_cast<guint64> (G_MAXINT64);
  if (!to_end)
    sql += " AND start_ns < ?6";
  if (!from_start)
    sql += " AND start_ns + duration_ns > ?7";
  if (position->started)
    sql += " AND (start_ns, track, number) > (?3, ?4, ?5)";
  if (filter.part == PlanFetchFilter::Part::Ahead)
    sql += " AND start_ns + duration_ns > ?8";
  else if (filter.part == PlanFetchFilter::Part::Behind)
    sql += " AND start_ns + duration_ns <= ?8";
  sql += " ORDER BY start_ns, track, number LIMIT ?2";
  auto stmt = db.prepare (sql.c_str (), error);
  if (!stmt)
    return std::nullopt;
  auto ns = [] (guint64 value) { return static_cast<gint64> (MIN (value, static_cast<guint64> (G_MAXINT64))); };
  stmt->bind (1, download_id).bind (2, static_cast<gint64> (limit));
  if (position->started)
    stmt->bind (3, static_cast<gint64> (position->start_ns)).bind (4, static_cast<gint64> (position->track))
        .bind (5, static_cast<gint64> (position->number));
  if (!to_end)
    stmt->bind (6, ns (filter.range_end_ns));
  if (!from_start)
    stmt->bind (7, ns (filter.range_start_ns));
  if (filter.part != PlanFetchFilter::Part::All)
    stmt->bind (8, ns (filter.position_ns));
  std::vector<PlanFetch> result;
  auto rows = stmt->rows (error);
  for (Statement &row : rows) {
    PlanFetch f = read_fetch (row, 8);
    position->started = true;
    position->start_ns = static_cast<guint64> (row.int64 (5));
    position->track = static_cast<guint> (row.int64 (6));
    position->number = static_cast<guint64> (row.int64 (7));
    result.push_back (std::move (f));
  }
  if (rows.failed ())
    return std::nullopt;
  return result;
}

std::optional<std::vector<PlanFetch>> period_anchors (Database &db, const std::string &download_id,
    const PlanFetchFilter &filter, GError **error)
{
  std::vector<PlanFetch> result;
  if (filter.range_start_ns == 0)
    return result;  /* the range holds them */
  auto stmt = db.prepare ("SELECT s.fetch_url, s.resource, s.range_offset, s.range_length, s.expected_length, "
      "(SELECT r.length FROM resources r JOIN download_resources d ON d.key = r.key "
      " WHERE r.key = s.resource AND d.download_id = ?1) "
      "FROM segments s JOIN (SELECT track, period, MIN (number) AS first FROM segments WHERE download_id = ?1 "
      " GROUP BY track, period) p ON s.track = p.track AND s.number = p.first "
      "WHERE s.download_id = ?1 AND s.fetch_url IS NOT NULL AND s.start_ns + s.duration_ns <= ?3 "
      "AND EXISTS (SELECT 1 FROM segments i WHERE i.download_id = ?1 AND i.track = s.track AND i.period = s.period "
      " AND i.start_ns < ?2 AND i.start_ns + i.duration_ns > ?3) "
      "ORDER BY s.start_ns, s.track", error);
  if (!stmt)
    return std::nullopt;
  auto ns = [] (guint64 value) { return static_cast<gint64> (MIN (value, static_cast<guint64> (G_MAXINT64))); };
  stmt->bind (1, download_id).bind (2, ns (filter.range_end_ns)).bind (3, ns (filter.range_start_ns));
  auto rows = stmt->rows (error);
  for (Statement &row : rows)
    result.push_back (read_fetch (row, 5));
  if (rows.failed ())
    return std::nullopt;
  return result;
}

bool check_range_start (guint64 start_ns, guint64 duration_ns, GError **error)
{
  if (start_ns < duration_ns)
    return true;
  g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
      "the time range starts at %.3f s, at or after the end of the presentation (%.3f s)",
      static_cast<double> (start_ns) / 1e9, static_cast<double> (duration_ns) / 1e9);
  return false;
}

guint64 duration_ns (Database &db, const std::string &download_id)
{
  auto stmt = db.prepare ("SELECT COALESCE (MAX (start_ns + duration_ns), 0) FROM segments WHERE download_id = ?", nullptr);
  if (!stmt || stmt->bind (1, download_id).step (nullptr) != Statement::Step::Row)
    return 0;
  return static_cast<guint64> (MAX (stmt->int64 (0), 0));
}

std::optional<std::map<guint, guint64>> next_sequences (Database &db, const std::string &download_id, GError **error)
{
  auto stmt = db.prepare ("SELECT track, next_sequence FROM recording_tracks WHERE download_id = ?", error);
  if (!stmt)
    return std::nullopt;
  stmt->bind (1, download_id);
  std::map<guint, guint64> result;
  auto rows = stmt->rows (error);
  for (Statement &row : rows)
    result[static_cast<guint> (CLAMP (row.int64 (0), 0, G_MAXUINT))] = static_cast<guint64> (MAX (row.int64 (1), 0));
  if (rows.failed ())
    return std::nullopt;
  return result;
}

guint64 track_media_ns (Database &db, const std::string &download_id, guint track)
{
  auto stmt = db.prepare ("SELECT COALESCE (SUM (duration_ns), 0) FROM segments WHERE download_id = ? AND track = ?",
      nullptr);
  if (!stmt || stmt->bind (1, download_id).bind (2, static_cast<gint64> (track)).step (nullptr) != Statement::Step::Row)
    return 0;
  return static_cast<guint64> (MAX (stmt->int64 (0), 0));
}

std::optional<PlanSegment> last_segment (Database &db, const std::string &download_id, guint track, GError **error)
{
  std::string sql = std::string ("SELECT ") + kSegmentReadColumns
      + " FROM segments WHERE download_id = ? AND track = ? ORDER BY number DESC LIMIT 1";
  auto stmt = db.prepare (sql.c_str (), error);
  if (!stmt)
    return std::nullopt;
  stmt->bind (1, download_id).bind (2, static_cast<gint64> (track));
  auto found = collect (*stmt, error);
  if (!found || found->empty ())
    return std::nullopt;
  return found->front ();
}

bool remove_all_but_segments (Database &db, const std::string &download_id, GError **error)
{
  for (const char *sql : { "DELETE FROM track_protection WHERE download_id = ?", "DELETE FROM tracks WHERE download_id = ?",
           "DELETE FROM periods WHERE download_id = ?", "DELETE FROM recording_tracks WHERE download_id = ?" }) {
    auto stmt = db.prepare (sql, error);
    if (!stmt || !stmt->bind (1, download_id).run (error))
      return false;
  }
  return true;
}

bool remove (Database &db, const std::string &download_id, GError **error)
{
  auto stmt = db.prepare ("DELETE FROM segments WHERE download_id = ?", error);
  return stmt && stmt->bind (1, download_id).run (error) && remove_all_but_segments (db, download_id, error);
}

bool remove_segments (Database &db, const std::string &download_id, guint batch, GError **error)
{
  /* The primary key's order: each batch is the first rows left. */
  auto stmt = db.prepare ("DELETE FROM segments WHERE download_id = ?1 AND (track, number) IN "
      "(SELECT track, number FROM segments WHERE download_id = ?1 ORDER BY track, number LIMIT ?2)", error);
  if (!stmt)
    return false;
  for (;;) {
    auto transaction = db.begin (error);
    if (!transaction)
      return false;
    stmt->reset ();
    if (!stmt->bind (1, download_id).bind (2, static_cast<gint64> (batch)).run (error))
      return false;
    gint64 deleted = db.changes ();
    if (!transaction->commit (error))
      return false;
    if (deleted < static_cast<gint64> (batch))
      return true;
  }
}

}  // namespace playback_plan
}  // namespace gst_offline
