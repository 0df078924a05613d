/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "db/database.h"

#include "db/schema.h"
#include "util/fs.h"
#include "util/request-error.h"

#include <gst/offline/offline-error.h>
#include <gst/offline/offline-types.h>

#include <atomic>
#include <cstdlib>
#include <cerrno>
#include <deque>
#include <list>
#include <mutex>
#include <unordered_map>
#include <vector>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gst_offline {

namespace {
/* Long enough for another process's batch of progress updates to finish. */
constexpr gint64 kBusyTimeoutUs = 15 * G_USEC_PER_SEC;
constexpr gulong kFirstPauseUs = 1000;
constexpr gulong kLongestPauseUs = 50 * 1000;
/* SQLite checkpoints the WAL after a commit that leaves it this many pages
 * long; a WAL hook replaces that, so on_commit () does it. */
constexpr int kAutoCheckpointPages = 1000;
/* The idle connections a process keeps for ReaderDatabase: an index and a
 * cache for each of two playbacks of one data directory, say. */
constexpr size_t kIdleConnections = 4;

std::atomic<void (*) (gpointer)> wait_observer {nullptr};
std::atomic<gpointer> wait_observer_data {nullptr};

/* Waits a little before asking for a lock again: short pauses first, as
 * most holders let go within milliseconds. */
void pause_before_retry (int attempt)
{
  if (auto observer = wait_observer.load ())
    observer (wait_observer_data.load ());
  gulong pause = kFirstPauseUs << MIN (attempt, 6);
  g_usleep (MIN (pause, kLongestPauseUs));
}

bool is_busy (sqlite3 *db)
{
  int code = sqlite3_errcode (db) & 0xff;
  return code == SQLITE_BUSY || code == SQLITE_LOCKED;
}
}  // namespace

void Database::set_wait_observer (void (*observer) (gpointer data), gpointer data)
{
  wait_observer_data = data;
  wait_observer = observer;
}

/* SQLite's busy handler: waits for another connection's lock up to
 * kBusyTimeoutUs from the first refusal, then gives up (SQLITE_BUSY). */
int Database::on_busy (void *data, int count)
{
  auto *self = static_cast<Database *> (data);
  gint64 now = g_get_monotonic_time ();
  if (count == 0)
    self->busy_since_us_ = now;
  else if (now - self->busy_since_us_ > kBusyTimeoutUs)
    return 0;
  pause_before_retry (count);
  return 1;
}

/* Puts the database in WAL mode. SQLite answers BUSY at once, without
 * calling the busy handler, when two connections both find a new database
 * still in rollback mode and race to switch it (the loser holds a read lock
 * it would have to upgrade); so this asks again, as the busy handler would,
 * and the next attempt finds the mode set by the winner. The mode persists
 * in the file, so a database that has it is not written. */
bool Database::set_wal_mode (GError **error)
{
  gint64 started = g_get_monotonic_time ();
  for (int attempt = 0;; attempt++) {
    g_autoptr (GError) local = nullptr;
    std::string mode;
    {
      auto query = prepare ("PRAGMA journal_mode", &local);
      if (query && query->step (&local) == Statement::Step::Row)
        mode = query->text (0);
    }
    if (!local) {
      if (g_ascii_strcasecmp (mode.c_str (), "wal") == 0 || exec ("PRAGMA journal_mode=WAL", &local))
        return true;
    }
    if (!is_busy (db_) || g_get_monotonic_time () - started > kBusyTimeoutUs) {
      g_propagate_error (error, g_steal_pointer (&local));
      return false;
    }
    pause_before_retry (attempt);
  }
}

/* The idle prepared statements of one connection, by their SQL text, the
 * least recently given back first out when there are too many (queries
 * made up at run time, such as one with a placeholder per key, would
 * otherwise pile up). It also counts the statements lent out: a
 * connection goes back to the pool only when none is. Statements are used
 * by one thread at a time, but the cache may be asked by several. */
class StatementCache {
 public:
  /* An idle statement for `sql`, else null; either way one more is lent. */
  sqlite3_stmt *take (const char *sql)
  {
    std::lock_guard<std::mutex> lock (mutex_);
    lent_++;
    auto found = by_sql_.find (sql);
    if (found == by_sql_.end ())
      return nullptr;
    sqlite3_stmt *stmt = found->second->second;
    idle_.erase (found->second);
    by_sql_.erase (found);
    return stmt;
  }

  /* One lent out is done with: kept (reset) unless the cache is closed,
   * holds one for the same SQL already, or must let go of the oldest. */
  void give_back (sqlite3_stmt *stmt)
  {
    sqlite3_stmt *finalize = stmt;
    if (stmt) {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
    }
    {
      std::lock_guard<std::mutex> lock (mutex_);
      lent_--;
      const char *sql = stmt ? sqlite3_sql (stmt) : nullptr;
      if (!closed_ && sql && by_sql_.find (sql) == by_sql_.end ()) {
        idle_.emplace_front (sql, stmt);
        by_sql_.emplace (sql, idle_.begin ());
        finalize = nullptr;
        if (idle_.size () > kIdleStatements) {
          finalize = idle_.back ().second;
          by_sql_.erase (idle_.back ().first);
          idle_.pop_back ();
        }
      }
    }
    sqlite3_finalize (finalize);
  }

  /* Statements lent out now. */
  guint lent ()
  {
    std::lock_guard<std::mutex> lock (mutex_);
    return lent_;
  }

  /* The connection closes: its idle statements are finalized, and those
   * still lent out when they come back. */
  void close ()
  {
    std::lock_guard<std::mutex> lock (mutex_);
    closed_ = true;
    for (auto &entry : idle_)
      sqlite3_finalize (entry.second);
    idle_.clear ();
    by_sql_.clear ();
  }

 private:
  static constexpr size_t kIdleStatements = 64;
  std::mutex mutex_;
  /* Most recently given back first. */
  std::list<std::pair<std::string, sqlite3_stmt *>> idle_;
  std::unordered_map<std::string, std::list<std::pair<std::string, sqlite3_stmt *>>::iterator> by_sql_;
  guint lent_ = 0;
  bool closed_ = false;
};

/* The idle connections of this process, oldest first. */
class ConnectionPool {
 public:
  static std::unique_ptr<Database> take (const std::string &path)
  {
    std::unique_ptr<Database> found;
    std::vector<std::unique_ptr<Database>> stale;
    Database::FileId file;
    bool exists = Database::file_id (path, &file);
    {
      std::lock_guard<std::mutex> lock (mutex ());
      auto &idle = connections ();
      for (auto it = idle.begin (); it != idle.end ();) {
        Database *db = it->get ();
        if (db->owner_ != getpid ()) {
          /* Inherited across a fork: SQLite's locks belong to the parent,
           * so the child must neither use nor close it. */
          (void) it->release ();
          it = idle.erase (it);
        } else if (db->path_ != path) {
          ++it;
        } else if (!exists || !(file == db->file_)) {
          /* The path names another file now (removed, replaced). */
          stale.push_back (std::move (*it));
          it = idle.erase (it);
        } else {
          found = std::move (*it);
          idle.erase (it);
          break;
        }
      }
    }
    return found; /* `stale` closes outside the lock */
  }

  static void give_back (std::unique_ptr<Database> db)
  {
    /* Only a connection to a file, with nothing of its user left open. */
    if (!db || !db->wal_ || db->owner_ != getpid () || !sqlite3_get_autocommit (db->handle ())
        || db->statements_->lent () > 0)
      return;
    static std::once_flag at_exit;
    std::call_once (at_exit, [] { atexit (&ConnectionPool::close_idle); });
    std::unique_ptr<Database> oldest;
    std::lock_guard<std::mutex> lock (mutex ());
    auto &idle = connections ();
    idle.push_back (std::move (db));
    if (idle.size () > kIdleConnections) {
      oldest = std::move (idle.front ());
      idle.pop_front ();
    }
    /* `oldest` closes after the lock is released (declared before it). */
  }

 private:
  /* At exit: the idle connections close as they did when their objects
   * went, the last one to the file checkpointing and emptying the WAL (a
   * reader that later opens the directory on read-only media, immutable,
   * reads the database file alone). */
  static void close_idle ()
  {
    std::deque<std::unique_ptr<Database>> idle;
    {
      std::lock_guard<std::mutex> lock (mutex ());
      idle.swap (connections ());
    }
    for (auto &db : idle) {
      if (db->owner_ != getpid ())
        (void) db.release (); /* the parent's (a fork) */
    }
  }
  /* Never destroyed (close_idle () empties it at exit): threads still
   * running then may give a connection back. */
  static std::mutex &mutex ()
  {
    static std::mutex *m = new std::mutex ();
    return *m;
  }
  static std::deque<std::unique_ptr<Database>> &connections ()
  {
    static auto *idle = new std::deque<std::unique_ptr<Database>> ();
    return *idle;
  }
};

bool Database::file_id (const std::string &path, FileId *id)
{
  struct statx st;
  if (statx (AT_FDCWD, path.c_str (), 0, STATX_INO | STATX_BTIME, &st) != 0)
    return false;
  id->device = (static_cast<guint64> (st.stx_dev_major) << 32) | st.stx_dev_minor;
  id->inode = st.stx_ino;
  if (st.stx_mask & STATX_BTIME) {
    id->born_s = st.stx_btime.tv_sec;
    id->born_ns = st.stx_btime.tv_nsec;
  }
  return true;
}

std::unique_ptr<Database> Database::take (const std::string &path, bool create, GError **error)
{
  if (auto db = ConnectionPool::take (path))
    return db;
  return open (path, create, error);
}

void Database::give_back (std::unique_ptr<Database> db)
{
  ConnectionPool::give_back (std::move (db));
}

Statement::~Statement ()
{
  if (cache_)
    cache_->give_back (stmt_);
  else
    sqlite3_finalize (stmt_);
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
  if (!error)
    return;
  g_set_error (error, GST_OFFLINE_ERROR, err, "database %s: %s (%s)",
      file && *file ? file : ":memory:", sqlite3_errmsg (db), what);
  set_no_space_reason (*error, GST_OFFLINE_NO_SPACE_REASON_DISK_FULL);
}

std::unique_ptr<Database> Database::open (const std::string &path, bool create, GError **error)
{
  auto db = open (path, create, offline_schema (), error);
  /* Managers in other processes watch the index for changes. */
  if (db)
    db->announce_commits ();
  return db;
}

void Database::announce_commits ()
{
  if (!wal_)
    return;
  commit_signal_ = commit_signal_path (path_);
  sqlite3_wal_hook (db_, &Database::on_commit, this);
}

int Database::on_commit (void *data, sqlite3 *db, const char *name, int pages)
{
  auto *self = static_cast<Database *> (data);
  if (pages >= kAutoCheckpointPages)
    sqlite3_wal_checkpoint_v2 (db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  /* One byte rewritten in place, then the close: GFileMonitor reports the
   * write (a close alone it does not), the file never grows, and a data
   * directory that refuses it (read-only, full) only leaves watchers to
   * their periodic look. */
  int fd = ::open (self->commit_signal_.c_str (), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd >= 0) {
    ssize_t written = pwrite (fd, "c", 1, 0);
    (void) written;
    close (fd);
  }
  return SQLITE_OK;
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
  sqlite3_busy_handler (db, &Database::on_busy, self.get ());
  sqlite3_extended_result_codes (db, 1);
  /* WAL lets readers (a playing pipeline, `list`) run beside a downloading
   * writer; synchronous=FULL makes every commit durable, which the
   * "whole before visible" rule of the cache relies on. */
  if (!in_memory && !read_only && !self->set_wal_mode (error))
    return nullptr;
  self->wal_ = !in_memory && !read_only;
  if (self->wal_) {
    /* The WAL and its shared-memory index stay when the last connection
     * closes (the WAL emptied), instead of being deleted and made again
     * by the next one: a player opening and closing the database at each
     * playback would otherwise do both each time. */
    int persist = 1;
    sqlite3_file_control (db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
    file_id (path, &self->file_);
    self->owner_ = getpid ();
  }
  if (read_only)
    return migrate_schema (*self, schema, error) ? std::move (self) : nullptr;
  /* journal_size_limit: the last connection to close truncates the kept
   * WAL to nothing (SQLite does so only with a limit set); while it is in
   * use, a WAL grown past the limit is cut back to it when it restarts. */
  if (!self->exec ("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA journal_size_limit=8388608", error))
    return nullptr;
  if (!migrate_schema (*self, schema, error))
    return nullptr;
  return self;
}

Database::Database (sqlite3 *db, std::string path)
    : db_ (db), path_ (std::move (path)), statements_ (std::make_shared<StatementCache> ())
{
}

Database::~Database ()
{
  statements_->close ();
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
  if (sqlite3_stmt *idle = statements_->take (sql))
    return Statement (db_, idle, statements_);
  sqlite3_stmt *stmt = nullptr;
  /* PERSISTENT: SQLite's hint for a statement that is kept and run again. */
  if (sqlite3_prepare_v3 (db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
    statements_->give_back (nullptr);
    set_error (db_, error, sql);
    return std::nullopt;
  }
  return Statement (db_, stmt, statements_);
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
  db_ = stand_in_ ? Database::open (path, create, error) : Database::take (path, create, error);
  return db_ != nullptr;
}

ReaderDatabase::~ReaderDatabase ()
{
  Database::give_back (std::move (db_));
}

Database &ReaderDatabase::get ()
{
  if (stand_in_ && file_size (path_) >= 0) {
    g_autoptr (GError) error = nullptr;
    if (auto real = Database::take (path_, false, &error)) {
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

std::string commit_signal_path (const std::string &database_path)
{
  return database_path + "-committed";
}

std::string resolve_data_dir (const char *data_dir)
{
  if (data_dir && *data_dir)
    return data_dir;
  g_autofree gchar *dir = gst_offline_get_default_data_dir ();
  return dir;
}

}  // namespace gst_offline
