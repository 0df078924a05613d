/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "db/database.h"

#include "db/schema.h"
#include "util/fs.h"

#include <gst/offline/offline-error.h>
#include <gst/offline/offline-types.h>

#include <cerrno>
#include <unistd.h>

namespace gst_offline {

namespace {
/* Long enough for another process's batch of progress updates to finish. */
constexpr int kBusyTimeoutMs = 15000;
}

Statement &Statement::bind (int index, std::string_view text)
{
  sqlite3_bind_text (stmt_, index, text.data (), static_cast<int> (text.size ()), SQLITE_TRANSIENT);
  return *this;
}

Statement &Statement::bind (int index, gint64 value)
{
  sqlite3_bind_int64 (stmt_, index, value);
  return *this;
}

Statement &Statement::bind (int index, double value)
{
  sqlite3_bind_double (stmt_, index, value);
  return *this;
}

Statement &Statement::bind_blob (int index, std::string_view bytes)
{
  sqlite3_bind_blob (stmt_, index, bytes.data (), static_cast<int> (bytes.size ()), SQLITE_TRANSIENT);
  return *this;
}

Statement &Statement::bind_null (int index)
{
  sqlite3_bind_null (stmt_, index);
  return *this;
}

Statement::Step Statement::step (GError **error)
{
  int rc = sqlite3_step (stmt_);
  if (rc == SQLITE_ROW)
    return Step::Row;
  if (rc == SQLITE_DONE)
    return Step::Done;
  Database::set_error (db_, error, sqlite3_sql (stmt_));
  return Step::Error;
}

std::string Statement::text (int column) const
{
  const unsigned char *value = sqlite3_column_text (stmt_, column);
  if (!value)
    return {};
  return std::string (reinterpret_cast<const char *> (value), sqlite3_column_bytes (stmt_, column));
}

std::string Statement::blob (int column) const
{
  const void *value = sqlite3_column_blob (stmt_, column);
  if (!value)
    return {};
  return std::string (static_cast<const char *> (value), sqlite3_column_bytes (stmt_, column));
}

void Database::set_error (sqlite3 *db, GError **error, const char *what)
{
  int code = sqlite3_extended_errcode (db);
  GstOfflineError err = GST_OFFLINE_ERROR_DATABASE;
  /* SQLite says SQLITE_FULL for ENOSPC, but a plain I/O error for a file
   * size limit (EFBIG) or a quota, and its errno is not reliable then. */
  if ((code & 0xff) == SQLITE_FULL)
    err = GST_OFFLINE_ERROR_NO_SPACE;
  else if ((code & 0xff) == SQLITE_IOERR)
    err = GST_OFFLINE_ERROR_IO;
  else if ((code & 0xff) == SQLITE_CORRUPT || (code & 0xff) == SQLITE_NOTADB)
    err = GST_OFFLINE_ERROR_CORRUPT;
  const char *file = sqlite3_db_filename (db, "main");
  g_set_error (error, GST_OFFLINE_ERROR, err, "database %s: %s (%s)",
      file && *file ? file : ":memory:", sqlite3_errmsg (db), what);
}

std::unique_ptr<Database> Database::open (const std::string &path, bool create, GError **error)
{
  return open (path, create, offline_schema (), error);
}

std::unique_ptr<Database> Database::open (const std::string &path, bool create, const Schema &schema,
    GError **error)
{
  bool exists = file_size (path) >= 0;
  if (create && !exists) {
    g_autofree gchar *dir = g_path_get_dirname (path.c_str ());
    if (!make_directories (dir, error))
      return nullptr;
  }
  bool in_memory = !create && !exists;
  /* A reader of a data directory it cannot write (read-only media, a
   * read-only mount): SQLite could not make the WAL's shared-memory file
   * there, and no one can change the database meanwhile, so it is opened
   * as immutable. */
  g_autofree gchar *dir = g_path_get_dirname (path.c_str ());
  bool read_only = !create && exists && access (dir, W_OK) != 0 && errno == EROFS;
  g_autofree gchar *immutable_uri = nullptr;
  if (read_only) {
    g_autofree gchar *escaped = g_uri_escape_string (path.c_str (), "/", FALSE);
    immutable_uri = g_strdup_printf ("file:%s?immutable=1", escaped);
  }
  sqlite3 *db = nullptr;
  int flags = read_only ? SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_URI
      : SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (in_memory ? SQLITE_OPEN_MEMORY : SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2 (read_only ? immutable_uri : in_memory ? ":memory:" : path.c_str (), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_DATABASE, "cannot open database %s: %s",
        path.c_str (), db ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
    sqlite3_close (db);
    return nullptr;
  }
  std::unique_ptr<Database> self (new Database (db, path));
  sqlite3_busy_timeout (db, kBusyTimeoutMs);
  sqlite3_extended_result_codes (db, 1);
  /* WAL lets readers (a playing pipeline, `list`) run beside a downloading
   * writer; synchronous=FULL makes every commit durable, which the
   * "whole before visible" rule of the cache relies on. */
  /* Switching to WAL can fail with BUSY, without waiting, while another
   * process works in the WAL; the mode persists in the file, so it is set
   * only on a database that does not have it yet. */
  if (!in_memory && !read_only) {
    std::string mode;
    {
      auto query = self->prepare ("PRAGMA journal_mode", error);
      if (!query || query->step (error) != Statement::Step::Row)
        return nullptr;
      mode = query->text (0);
    }
    if (g_ascii_strcasecmp (mode.c_str (), "wal") != 0 && !self->exec ("PRAGMA journal_mode=WAL", error))
      return nullptr;
  }
  if (read_only)
    return migrate_schema (*self, schema, error) ? std::move (self) : nullptr;
  if (!self->exec ("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON", error))
    return nullptr;
  if (!migrate_schema (*self, schema, error))
    return nullptr;
  return self;
}

Database::~Database ()
{
  sqlite3_close_v2 (db_);
}

bool Database::exec (const char *sql, GError **error)
{
  char *message = nullptr;
  if (sqlite3_exec (db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    sqlite3_free (message);
    set_error (db_, error, sql);
    return false;
  }
  return true;
}

std::optional<Statement> Database::prepare (const char *sql, GError **error)
{
  sqlite3_stmt *stmt = nullptr;
  if (sqlite3_prepare_v2 (db_, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    set_error (db_, error, sql);
    return std::nullopt;
  }
  return Statement (db_, stmt);
}

std::optional<Database::Transaction> Database::begin (GError **error)
{
  if (!exec ("BEGIN IMMEDIATE", error))
    return std::nullopt;
  return Transaction (*this);
}

Database::Transaction::~Transaction ()
{
  if (db_)
    sqlite3_exec (db_->handle (), "ROLLBACK", nullptr, nullptr, nullptr);
}

bool Database::Transaction::commit (GError **error)
{
  Database *db = db_;
  if (!db->exec ("COMMIT", error))
    return false;  // the destructor rolls back
  db_ = nullptr;
  return true;
}

bool ReaderDatabase::open (const std::string &path, bool create, GError **error)
{
  path_ = path;
  stand_in_ = !create && file_size (path) < 0;
  db_ = Database::open (path, create, error);
  return db_ != nullptr;
}

Database &ReaderDatabase::get ()
{
  if (stand_in_ && file_size (path_) >= 0) {
    g_autoptr (GError) error = nullptr;
    if (auto real = Database::open (path_, false, &error)) {
      db_ = std::move (real);
      stand_in_ = false;
    }
  }
  return *db_;
}

std::string database_path (const std::string &data_dir)
{
  return data_dir + G_DIR_SEPARATOR_S + "offline.db";
}

std::string resolve_data_dir (const char *data_dir)
{
  if (data_dir && *data_dir)
    return data_dir;
  g_autofree gchar *dir = gst_offline_get_default_data_dir ();
  return dir;
}

}  // namespace gst_offline
