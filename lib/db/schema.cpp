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

bool migrate_schema (Database &db, GError **error)
{
  auto version = read_version (db, error);
  if (!version)
    return false;
  if (*version == kSchemaVersion)
    return true;
  if (*version > kSchemaVersion) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_DATABASE,
        "database %s has schema version %d, newer than this gst-offline understands (%d)",
        db.path ().c_str (), *version, kSchemaVersion);
    return false;
  }
  auto transaction = db.begin (error);
  if (!transaction)
    return false;
  /* Another process may have migrated while we waited for the write lock. */
  version = read_version (db, error);
  if (!version)
    return false;
  for (int v = *version; v < kSchemaVersion; v++) {
    if (!db.exec (kMigrations[v], error))
      return false;
  }
  g_autofree gchar *set_version = g_strdup_printf ("PRAGMA user_version=%d", kSchemaVersion);
  if (!db.exec (set_version, error))
    return false;
  return transaction->commit (error);
}

}  // namespace gst_offline
