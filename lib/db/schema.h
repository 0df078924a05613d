/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

namespace gst_offline {

class Database;

/* The schema version this build writes (PRAGMA user_version). */
constexpr int kSchemaVersion = 11;

/* The migrations of one database file: migration N takes the schema from
 * version N to N+1, and `version` is the number of migrations. */
struct Schema {
  const char *const *migrations;
  int version;
};

/* The schema of offline.db (index and cache). */
const Schema &offline_schema ();

/* Applies the migrations the database lacks, in one transaction. A database
 * from a newer gst-offline is refused rather than misread. */
bool migrate_schema (Database &db, const Schema &schema, GError **error);
inline bool migrate_schema (Database &db, GError **error) { return migrate_schema (db, offline_schema (), error); }

}  // namespace gst_offline
