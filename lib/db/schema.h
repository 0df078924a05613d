/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

namespace gst_offline {

class Database;

/* The schema version this build writes (PRAGMA user_version). */
constexpr int kSchemaVersion = 2;

/* Applies the migrations the database lacks, in one transaction. A database
 * from a newer gst-offline is refused rather than misread. */
bool migrate_schema (Database &db, GError **error);

}  // namespace gst_offline
