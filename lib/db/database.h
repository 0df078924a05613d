/* A thin RAII layer over one SQLite connection. Every data directory has one
 * database file shared by all processes using it: WAL journal, a busy
 * timeout, write transactions taken with BEGIN IMMEDIATE so two writers never
 * deadlock on a lock upgrade.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <sqlite3.h>
#include <sys/types.h>
#include <gst/offline/offline-error.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace gst_offline {

struct Schema;
class StatementCache;

class Statement {
 public:
  enum class Step { Row, Done, Error };
  class Rows;

  /* `cache`: the connection's, which takes the statement back, reset, when
   * this is destroyed (else it is finalized). */
  Statement (sqlite3 *db, sqlite3_stmt *stmt, std::shared_ptr<StatementCache> cache = nullptr)
      : db_ (db), stmt_ (stmt), cache_ (std::move (cache))
  {
  }
  Statement (Statement &&other) noexcept : db_ (other.db_), stmt_ (other.stmt_), cache_ (std::move (other.cache_))
  {
    other.stmt_ = nullptr;
  }
  Statement (const Statement &) = delete;
  Statement &operator= (const Statement &) = delete;
  ~Statement ();

  /* Binding: parameters are numbered from 1. */
  Statement &bind (int index, std::string_view text);
  Statement &bind (int index, gint64 value);
  Statement &bind (int index, double value);
  Statement &bind_blob (int index, std::string_view bytes);
  Statement &bind_null (int index);

  Step step (GError **error);
  /* Steps a statement that returns no row. */
  bool run (GError **error) { return step (error) == Step::Done; }
  void reset () { sqlite3_reset (stmt_); sqlite3_clear_bindings (stmt_); }
  /* The rows the statement yields, for a range-for that reads each (the
   * statement itself is the row); after the loop, Rows::failed () tells a
   * step that failed (`error` set) from the end of the rows. */
  Rows rows (GError **error);

  bool is_null (int column) const { return sqlite3_column_type (stmt_, column) == SQLITE_NULL; }
  int column_type (int column) const { return sqlite3_column_type (stmt_, column); }
  std::string text (int column) const;
  std::string blob (int column) const;
  gint64 int64 (int column) const { return sqlite3_column_int64 (stmt_, column); }
  double real (int column) const { return sqlite3_column_double (stmt_, column); }

 private:
  sqlite3 *db_;
  sqlite3_stmt *stmt_;
  std::shared_ptr<StatementCache> cache_;
};

/* One pass over the rows of a statement:
 *
 *   auto rows = stmt->rows (error);
 *   for (Statement &row : rows)
 *     keys.push_back (row.text (0));
 *   if (rows.failed ())
 *     return false;
 *
 * The loop may break, continue or return like any other. */
class Statement::Rows {
 public:
  class iterator {
   public:
    explicit iterator (Rows *rows) : rows_ (rows) {}
    Statement &operator* () const { return *rows_->stmt_; }
    iterator &operator++ ()
    {
      rows_->advance ();
      return *this;
    }
    /* Only against end (): equal once there is no row. */
    bool operator!= (const iterator &) const { return rows_->has_row_; }

   private:
    Rows *rows_;
  };

  Rows (Statement &stmt, GError **error) : stmt_ (&stmt), error_ (error) {}
  iterator begin ()
  {
    advance ();
    return iterator (this);
  }
  iterator end () { return iterator (this); }
  bool failed () const { return failed_; }

 private:
  void advance ()
  {
    Step step = stmt_->step (error_);
    has_row_ = step == Step::Row;
    failed_ = step == Step::Error;
  }

  Statement *stmt_;
  GError **error_;
  bool has_row_ = false;
  bool failed_ = false;
};

inline Statement::Rows Statement::rows (GError **error)
{
  return Rows (*this, error);
}

class Database {
 public:
  /* Opens (creating it when `create`) the database at `path` and brings its
   * schema up to date. Without `create`, a missing file yields an empty
   * in-memory database with the same schema, so readers of a data directory
   * that was never used see "no downloads" rather than an error. */
  static std::unique_ptr<Database> open (const std::string &path, bool create, GError **error);
  /* The same for a database file of another schema (drm.db). */
  static std::unique_ptr<Database> open (const std::string &path, bool create, const Schema &schema,
      GError **error);
  ~Database ();

  const std::string &path () const { return path_; }
  sqlite3 *handle () const { return db_; }

  bool exec (const char *sql, GError **error);
  /* A statement for `sql`: one this connection prepared before and got back
   * (reset, its bindings cleared) when it is idle, else a new one, which it
   * keeps when it is given back — SQLite's parser is most of the cost of a
   * short query, and a playback start runs the same dozen. */
  std::optional<Statement> prepare (const char *sql, GError **error);
  gint64 changes () const { return sqlite3_changes64 (db_); }

  /* Gives back the disk space the WAL holds (checkpoint and truncate it):
   * on a full disk, or past a file size limit, the next write may then fit. */
  bool shrink_journal (GError **error) { return exec ("PRAGMA wal_checkpoint(TRUNCATE)", error); }
  /* Whether a failed write may succeed once the journal shrinks: a full
   * disk, or an I/O error (how SQLite reports a file size limit). */
  static bool is_write_failure (const GError *error)
  {
    return g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NO_SPACE)
        || g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_IO);
  }

  /* A write transaction, rolled back unless committed. */
  class Transaction {
   public:
    explicit Transaction (Database &db) : db_ (&db) {}
    Transaction (Transaction &&other) noexcept : db_ (other.db_) { other.db_ = nullptr; }
    Transaction (const Transaction &) = delete;
    ~Transaction ();
    bool commit (GError **error);

   private:
    Database *db_;
  };
  std::optional<Transaction> begin (GError **error);

  /* After each commit of this connection (once SQLite has let go of the
   * write lock), opens and closes commit_signal_path (path ()): a close
   * after writing that other processes watching the file are told of at
   * once (inotify, through GFileMonitor), instead of asking the database
   * again and again. No-op for a database not in WAL mode. */
  void announce_commits ();

  /* Sets a GST_OFFLINE_ERROR_DATABASE error with SQLite's message. */
  static void set_error (sqlite3 *db, GError **error, const char *what);

  /* Tests: `observer` is called each time a connection finds the lock it
   * needs held by another one and is about to wait for it (NULL: none). */
  static void set_wait_observer (void (*observer) (gpointer data), gpointer data);

  /* A connection to the database file at `path` (with the offline schema),
   * from the pool of idle ones if it holds one, else opened
   * (open (path, create, error)). */
  static std::unique_ptr<Database> take (const std::string &path, bool create, GError **error);
  /* Gives a connection taken with take () back to the pool (or closes it:
   * one to an in-memory or immutable database, one in a transaction, or
   * one too many). */
  static void give_back (std::unique_ptr<Database> db);

 private:
  friend class ConnectionPool;
  Database (sqlite3 *db, std::string path);
  static int on_busy (void *self, int count);
  static int on_commit (void *self, sqlite3 *db, const char *name, int pages);
  bool set_wal_mode (GError **error);
  sqlite3 *db_;
  std::string path_;
  /* Its idle prepared statements; closed (finalized) with the connection. */
  std::shared_ptr<StatementCache> statements_;
  std::string commit_signal_;
  bool wal_ = false;
  gint64 busy_since_us_ = 0;
  /* The file this connection opened (a pooled connection is taken again
   * only while its path names it) and the process that opened it. */
  struct FileId {
    guint64 device = 0, inode = 0;
    gint64 born_s = 0; /* when it was made, where the file system says (else 0) */
    guint32 born_ns = 0;
    bool operator== (const FileId &o) const
    {
      return device == o.device && inode == o.inode && born_s == o.born_s && born_ns == o.born_ns;
    }
  };
  /* An inode number may be given again to a file made after the first
   * was deleted: its birth time tells them apart. */
  static bool file_id (const std::string &path, FileId *id);
  FileId file_;
  pid_t owner_ = 0;
};

/* The database of a data directory as a reader holds it. Opened before the
 * file exists (a directory no download has used yet, or one whose first
 * download is starting in another process), it reads an empty stand-in
 * until the file appears, then the file: never a stale view.
 *
 * The connection comes from a small process-wide pool of idle connections
 * to that file and goes back to it when this is destroyed, so that objects
 * made for a moment (cachesrc's index and cache, once per playback) neither
 * open a connection nor read the schema again. A connection is used by one
 * ReaderDatabase at a time (no transaction or statement of another object
 * interleaves with its own), goes back only with no transaction open, and
 * is taken again only by the process that opened it and while the path
 * still names the file it opened. An idle connection holds no lock that
 * keeps a writer or a checkpoint waiting, and every read starts a new
 * transaction that sees the last commit of any connection: nothing is
 * cached above SQLite. */
class ReaderDatabase {
 public:
  ReaderDatabase () = default;
  ReaderDatabase (const ReaderDatabase &) = delete;
  ReaderDatabase &operator= (const ReaderDatabase &) = delete;
  ~ReaderDatabase ();

  bool open (const std::string &path, bool create, GError **error);
  Database &get ();
  const std::string &path () const { return path_; }

 private:
  std::string path_;
  std::unique_ptr<Database> db_;
  bool stand_in_ = false;
};

/* The database file of a data directory. */
std::string database_path (const std::string &data_dir);

/* The file whose close-after-write tells watchers that a connection
 * announcing its commits (Database::announce_commits) committed to the
 * database at `database_path`. */
std::string commit_signal_path (const std::string &database_path);

/* Resolves a NULL or empty data directory to the default one. */
std::string resolve_data_dir (const char *data_dir);

}  // namespace gst_offline
