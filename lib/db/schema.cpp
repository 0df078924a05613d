/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "db/schema.h"

#include "db/database.h"

#include <gst/offline/offline-error.h>

namespace gst_offline {

namespace {

/* Migration N takes the schema from version N to N+1. Never edit one that
 * shipped: add the next. */
const char *const kMigrations[] = {
  /* 0 -> 1 */
  "CREATE TABLE downloads ("
  "  id TEXT PRIMARY KEY NOT NULL,"
  "  uri TEXT NOT NULL,"
  "  type INTEGER NOT NULL,"
  "  stream_keys TEXT NOT NULL DEFAULT '',"  /* one per line */
  "  headers TEXT NOT NULL DEFAULT '',"      /* 'K: V', one per line */
  "  custom_data BLOB,"
  "  key_set_id BLOB,"
  "  state INTEGER NOT NULL,"
  "  start_time_ms INTEGER NOT NULL,"
  "  update_time_ms INTEGER NOT NULL,"
  "  content_length INTEGER NOT NULL DEFAULT -1,"
  "  stop_reason INTEGER NOT NULL DEFAULT 0,"
  "  failure_code INTEGER,"
  "  failure_message TEXT,"
  "  percent REAL NOT NULL DEFAULT -1,"
  "  bytes_downloaded INTEGER NOT NULL DEFAULT 0"
  ");"
  /* Whole resources: visible to readers. */
  "CREATE TABLE resources ("
  "  key TEXT PRIMARY KEY NOT NULL,"
  "  file TEXT NOT NULL,"
  "  length INTEGER NOT NULL,"
  "  etag TEXT,"
  "  last_modified TEXT,"
  "  created_ms INTEGER NOT NULL"
  ");"
  /* Resources being written: `durable_length` bytes of the file are synced. */
  "CREATE TABLE partials ("
  "  key TEXT PRIMARY KEY NOT NULL,"
  "  file TEXT NOT NULL,"
  "  durable_length INTEGER NOT NULL DEFAULT 0,"
  "  total_length INTEGER NOT NULL DEFAULT -1,"
  "  etag TEXT,"
  "  last_modified TEXT"
  ");"
  /* Which download uses which resource, so removing one download keeps what
   * another still needs. */
  "CREATE TABLE download_resources ("
  "  download_id TEXT NOT NULL,"
  "  key TEXT NOT NULL,"
  "  PRIMARY KEY (download_id, key)"
  ") WITHOUT ROWID;"
  "CREATE INDEX download_resources_by_key ON download_resources (key);",

  /* 1 -> 2: the playback plan of adaptive downloads. What cachesrc needs to
   * play a download offline, written by its downloader before it fetches:
   * one row per chosen track, one per segment, seekable by time. */
  "CREATE TABLE tracks ("
  "  download_id TEXT NOT NULL,"
  "  track INTEGER NOT NULL,"           /* 0, 1, ... within the download */
  "  stream_key TEXT NOT NULL,"
  "  type INTEGER NOT NULL,"            /* TrackType */
  "  container TEXT NOT NULL,"          /* fmp4, mpegts, webvtt, ttml */
  "  codecs TEXT NOT NULL DEFAULT '',"
  "  language TEXT NOT NULL DEFAULT '',"
  "  label TEXT NOT NULL DEFAULT '',"
  "  bandwidth INTEGER NOT NULL DEFAULT 0,"
  "  width INTEGER,"
  "  height INTEGER,"
  "  PRIMARY KEY (download_id, track)"
  ") WITHOUT ROWID;"
  /* DRM signalling of a track, sent downstream as protection events. */
  "CREATE TABLE track_protection ("
  "  download_id TEXT NOT NULL,"
  "  track INTEGER NOT NULL,"
  "  system_id TEXT NOT NULL,"
  "  origin TEXT NOT NULL,"             /* e.g. dash/mpd */
  "  data BLOB NOT NULL"
  ");"
  "CREATE INDEX track_protection_by_track ON track_protection (download_id, track);"
  "CREATE TABLE segments ("
  "  download_id TEXT NOT NULL,"
  "  track INTEGER NOT NULL,"
  "  number INTEGER NOT NULL,"          /* 0, 1, ... in play order */
  "  period INTEGER NOT NULL DEFAULT 0,"
  "  start_ns INTEGER NOT NULL,"        /* presentation time of its first sample */
  "  duration_ns INTEGER NOT NULL,"
  "  resource TEXT NOT NULL,"           /* cache key of its bytes */
  "  init_resource TEXT,"               /* cache key of its initialization segment */
  "  discontinuity INTEGER NOT NULL DEFAULT 0,"
  "  key_resource TEXT,"                /* HLS AES-128: DRM store key of its content key */
  "  iv BLOB,"
  "  PRIMARY KEY (download_id, track, number)"
  ") WITHOUT ROWID;"
  "CREATE INDEX segments_by_time ON segments (download_id, track, start_ns);",

  /* 2 -> 3: the license server a protected download's request names
   * (--license-url), kept so that a resume or a renewal uses it too. */
  "ALTER TABLE downloads ADD COLUMN license_url TEXT;",

  /* 3 -> 4: what a demuxer needs of a track whose segments do not describe
   * it (Smooth Streaming fragments have no init segment): the timescale of
   * its media times, its codec private data (bytes) and its audio format. */
  "ALTER TABLE tracks ADD COLUMN timescale INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE tracks ADD COLUMN codec_private_data BLOB;"
  "ALTER TABLE tracks ADD COLUMN sampling_rate INTEGER;"
  "ALTER TABLE tracks ADD COLUMN channels INTEGER;"
  "ALTER TABLE tracks ADD COLUMN bits_per_sample INTEGER;"
  "ALTER TABLE tracks ADD COLUMN packet_size INTEGER;"
  "ALTER TABLE tracks ADD COLUMN audio_tag INTEGER;",

  /* 4 -> 5: managers that keep the downloads in memory and read only what
   * changed. Every insert, state or stop-reason change and deletion of a
   * download appends its id to download_changes; a manager reads the
   * entries after the last it saw (the newest 4096 are kept: one that fell
   * further behind reads the whole table again). Listing in start order
   * uses an index. A running download's total while sizes are still
   * unknown is an estimate, kept apart from content_length (-1 then). */
  "ALTER TABLE downloads ADD COLUMN estimated_length INTEGER NOT NULL DEFAULT -1;"
  "CREATE INDEX downloads_by_start ON downloads (start_time_ms, id);"
  "CREATE TABLE download_changes ("
  "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  download_id TEXT NOT NULL"
  ");"
  "CREATE TRIGGER download_inserted AFTER INSERT ON downloads BEGIN"
  "  INSERT INTO download_changes (download_id) VALUES (NEW.id);"
  "  DELETE FROM download_changes WHERE seq <= (SELECT MAX (seq) FROM download_changes) - 4096;"
  " END;"
  "CREATE TRIGGER download_changed AFTER UPDATE OF state, stop_reason ON downloads"
  "  WHEN OLD.state IS NOT NEW.state OR OLD.stop_reason IS NOT NEW.stop_reason BEGIN"
  "  INSERT INTO download_changes (download_id) VALUES (NEW.id);"
  "  DELETE FROM download_changes WHERE seq <= (SELECT MAX (seq) FROM download_changes) - 4096;"
  " END;"
  "CREATE TRIGGER download_deleted AFTER DELETE ON downloads BEGIN"
  "  INSERT INTO download_changes (download_id) VALUES (OLD.id);"
  "  DELETE FROM download_changes WHERE seq <= (SELECT MAX (seq) FROM download_changes) - 4096;"
  " END;",

  /* 5 -> 6: what a license of the download covers, per track: the KIDs of
   * its content (32 hex digits each, space-separated) and the license
   * server, so that licensing a download again needs no manifest. */
  /* (Parenthesised: clang's -Wstring-concatenation takes two joined
   * literals in an array for a missing comma.) */
  ("ALTER TABLE tracks ADD COLUMN kids TEXT NOT NULL DEFAULT '';"
   "ALTER TABLE tracks ADD COLUMN license_url TEXT;"),

  /* 6 -> 7: how the downloader fetches each segment, so that it reads its
   * requests from the plan a window at a time instead of holding all of
   * them (memory flat in the number of segments). fetch_url is NULL on a
   * segment whose resource another segment of the plan fetches (and on
   * plans written before: their downloads draw the plan again when they
   * run). */
  "ALTER TABLE segments ADD COLUMN fetch_url TEXT;"
  "ALTER TABLE segments ADD COLUMN range_offset INTEGER;"
  "ALTER TABLE segments ADD COLUMN range_length INTEGER;"
  "ALTER TABLE segments ADD COLUMN expected_length INTEGER NOT NULL DEFAULT -1;"
  "CREATE INDEX segments_to_fetch ON segments (download_id, start_ns, track, number) WHERE fetch_url IS NOT NULL;",

  /* 7 -> 8: the plan keeps a track whole, in the one track model a
   * manifest's tracks have too (what the default selection reads: roles,
   * groups; what inspect shows). channels holds the manifest's text ("2" as
   * a number, "6/JOC" as text); lists are one entry per line. */
  "ALTER TABLE tracks ADD COLUMN group_name TEXT NOT NULL DEFAULT '';"
  "ALTER TABLE tracks ADD COLUMN mime_type TEXT NOT NULL DEFAULT '';"
  "ALTER TABLE tracks ADD COLUMN frame_rate REAL;"
  "ALTER TABLE tracks ADD COLUMN roles TEXT NOT NULL DEFAULT '';"
  "ALTER TABLE tracks ADD COLUMN accessibility TEXT NOT NULL DEFAULT '';"
  "ALTER TABLE tracks ADD COLUMN protection_systems TEXT NOT NULL DEFAULT '';"
  "ALTER TABLE tracks ADD COLUMN audio_group TEXT;"
  "ALTER TABLE tracks ADD COLUMN text_group TEXT;"
  "ALTER TABLE tracks ADD COLUMN whole_presentation INTEGER NOT NULL DEFAULT 0;",
  /* 8 -> 9: what playback needs to play each DASH Period for exactly its
   * duration: the Period's start and end (NULL: open) and, for a segment
   * that begins before its Period (start_ns is then the Period's start),
   * how long before start_ns it really begins. */
  ("CREATE TABLE periods ("
   "  download_id TEXT NOT NULL,"
   "  period INTEGER NOT NULL,"
   "  start_ns INTEGER NOT NULL,"
   "  end_ns INTEGER,"
   "  PRIMARY KEY (download_id, period)"
   ") WITHOUT ROWID;"
   "ALTER TABLE segments ADD COLUMN early_ns INTEGER NOT NULL DEFAULT 0;"),
  /* 9 -> 10: a download of a time range keeps it (NULL: from the start, to
   * the end), and a player asks for the part it needs next by writing
   * wanted_position_ns (NULL: none); the trigger tells the manager running
   * the download of that change as of a state change. */
  ("ALTER TABLE downloads ADD COLUMN range_start_ns INTEGER;"
   "ALTER TABLE downloads ADD COLUMN range_end_ns INTEGER;"
   "ALTER TABLE downloads ADD COLUMN wanted_position_ns INTEGER;"
   "DROP TRIGGER download_changed;"
   "CREATE TRIGGER download_changed AFTER UPDATE OF state, stop_reason, wanted_position_ns ON downloads"
   "  WHEN OLD.state IS NOT NEW.state OR OLD.stop_reason IS NOT NEW.stop_reason"
   "    OR OLD.wanted_position_ns IS NOT NEW.wanted_position_ns BEGIN"
   "  INSERT INTO download_changes (download_id) VALUES (NEW.id);"
   "  DELETE FROM download_changes WHERE seq <= (SELECT MAX (seq) FROM download_changes) - 4096;"
   " END;"),
  /* 10 -> 11: live recordings. The request's length of media to record
   * (NULL: until the stream ends or the user stops it) and whether to start
   * at the oldest segment of the window; the recording's state (whether the
   * download is one, how much media it holds and how much is missing, how
   * far behind the live edge it is, -1 unknown), written with the progress;
   * and per track the media sequence number of the next segment to record,
   * written with the segments appended to the plan, so that a recording
   * started again goes on after the last segment it holds. */
  ("ALTER TABLE downloads ADD COLUMN live_duration_ns INTEGER;"
   "ALTER TABLE downloads ADD COLUMN live_from_start INTEGER NOT NULL DEFAULT 0;"
   "ALTER TABLE downloads ADD COLUMN recording INTEGER NOT NULL DEFAULT 0;"
   "ALTER TABLE downloads ADD COLUMN recorded_ns INTEGER NOT NULL DEFAULT 0;"
   "ALTER TABLE downloads ADD COLUMN missing_ns INTEGER NOT NULL DEFAULT 0;"
   "ALTER TABLE downloads ADD COLUMN live_lag_ns INTEGER NOT NULL DEFAULT -1;"
   "CREATE TABLE recording_tracks ("
   "  download_id TEXT NOT NULL,"
   "  track INTEGER NOT NULL,"
   "  next_sequence INTEGER NOT NULL,"
   "  PRIMARY KEY (download_id, track)"
   ") WITHOUT ROWID;"),
};

constexpr int kMigrationCount = G_N_ELEMENTS (kMigrations);
static_assert (kMigrationCount == kSchemaVersion, "one migration per schema version");

std::optional<int> read_version (Database &db, GError **error)
{
  auto stmt = db.prepare ("PRAGMA user_version", error);
  if (!stmt || stmt->step (error) != Statement::Step::Row)
    return std::nullopt;
  return static_cast<int> (stmt->int64 (0));
}

}  // namespace

const Schema &offline_schema ()
{
  static const Schema schema { kMigrations, kSchemaVersion };
  return schema;
}

bool migrate_schema (Database &db, const Schema &schema, GError **error)
{
  auto version = read_version (db, error);
  if (!version)
    return false;
  if (*version == schema.version)
    return true;
  if (*version > schema.version) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_DATABASE,
        "database %s has schema version %d, newer than this gst-offline understands (%d)",
        db.path ().c_str (), *version, schema.version);
    return false;
  }
  auto transaction = db.begin (error);
  if (!transaction)
    return false;
  /* Another process may have migrated while we waited for the write lock. */
  version = read_version (db, error);
  if (!version)
    return false;
  for (int v = *version; v < schema.version; v++) {
    if (!db.exec (schema.migrations[v], error))
      return false;
  }
  g_autofree gchar *set_version = g_strdup_printf ("PRAGMA user_version=%d", schema.version);
  if (!db.exec (set_version, error))
    return false;
  return transaction->commit (error);
}

}  // namespace gst_offline
