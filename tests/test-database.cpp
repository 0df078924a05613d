/* The SQLite layer: schema versions, WAL, damaged files, concurrent writers.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "db/database.h"
#include "db/schema.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/offline/offline-error.h>

#include "test-support.h"

using gst_offline::Database;
using gst_offline::Statement;

static gint64 query_int (Database &db, const char *sql)
{
  GError *error = nullptr;
  auto stmt = db.prepare (sql, &error);
  fail_unless (stmt.has_value (), "%s", error ? error->message : "");
  fail_unless (stmt->step (&error) == Statement::Step::Row);
  return stmt->int64 (0);
}

static std::string db_path (const char *name)
{
  g_autofree gchar *dir = ot_make_temp_dir (name);
  return gst_offline::database_path (dir);
}

GST_START_TEST (test_new_database_has_current_schema_in_wal_mode)
{
  std::string path = db_path ("schema");
  g_autoptr (GError) error = nullptr;
  auto db = Database::open (path, true, &error);
  fail_unless (db != nullptr, "%s", error ? error->message : "");
  fail_unless_equals_int (query_int (*db, "PRAGMA user_version"), gst_offline::kSchemaVersion);
  auto mode = db->prepare ("PRAGMA journal_mode", &error);
  fail_unless (mode->step (&error) == Statement::Step::Row);
  std::string journal_mode = mode->text (0);
  fail_unless_equals_string (journal_mode.c_str (), "wal");
  fail_unless_equals_int (query_int (*db, "SELECT COUNT(*) FROM sqlite_master WHERE name IN "
      "('downloads', 'resources', 'partials', 'download_resources')"), 4);
  db.reset ();
  /* Opening again migrates nothing and keeps the data. */
  db = Database::open (path, true, &error);
  fail_unless (db != nullptr);
  fail_unless (db->exec ("INSERT INTO resources (key, file, length, created_ms) VALUES ('k', 'f', 1, 0)", &error));
  db.reset ();
  db = Database::open (path, true, &error);
  fail_unless_equals_int (query_int (*db, "SELECT COUNT(*) FROM resources"), 1);
}
GST_END_TEST;

GST_START_TEST (test_older_schema_is_migrated_keeping_data)
{
  std::string path = db_path ("migrate");
  g_autoptr (GError) error = nullptr;
  {
    /* Make a version-1 database: what migrations 1 -> 2 and 2 -> 3 added is not there. */
    auto db = Database::open (path, true, &error);
    fail_unless (db->exec ("DROP TRIGGER download_inserted; DROP TRIGGER download_changed; DROP TRIGGER download_deleted;"
        "DROP TABLE download_changes; DROP INDEX downloads_by_start; ALTER TABLE downloads DROP COLUMN estimated_length;"
        "DROP TABLE segments; DROP TABLE track_protection; DROP TABLE tracks; DROP TABLE periods; "
        "ALTER TABLE downloads DROP COLUMN license_url; ALTER TABLE downloads DROP COLUMN range_start_ns;"
        "ALTER TABLE downloads DROP COLUMN range_end_ns; ALTER TABLE downloads DROP COLUMN wanted_position_ns;"
        "ALTER TABLE downloads DROP COLUMN live_duration_ns; ALTER TABLE downloads DROP COLUMN live_from_start;"
        "ALTER TABLE downloads DROP COLUMN recording; ALTER TABLE downloads DROP COLUMN recorded_ns;"
        "ALTER TABLE downloads DROP COLUMN missing_ns; ALTER TABLE downloads DROP COLUMN live_lag_ns;"
        "DROP TABLE recording_tracks;"
        "PRAGMA user_version=1;"
        "INSERT INTO downloads (id, uri, type, state, start_time_ms, update_time_ms) VALUES ('old', 'http://h/x', 0, 3, 1, 1)",
        &error), "%s", error ? error->message : "");
  }
  auto db = Database::open (path, true, &error);
  fail_unless (db != nullptr, "%s", error ? error->message : "");
  fail_unless_equals_int (query_int (*db, "PRAGMA user_version"), gst_offline::kSchemaVersion);
  fail_unless_equals_int (query_int (*db, "SELECT COUNT(*) FROM downloads WHERE id = 'old'"), 1);
  fail_unless_equals_int (query_int (*db, "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('tracks', 'segments')"), 2);
  fail_unless_equals_int (query_int (*db, "SELECT COUNT(*) FROM pragma_table_info('downloads') WHERE name = 'license_url'"), 1);
  fail_unless_equals_int (query_int (*db, "SELECT COUNT(*) FROM pragma_table_info('downloads') WHERE name IN "
      "('range_start_ns', 'range_end_ns', 'wanted_position_ns')"), 3);
  /* 10 -> 11: live recordings. */
  fail_unless_equals_int (query_int (*db, "SELECT COUNT(*) FROM pragma_table_info('downloads') WHERE name IN "
      "('live_duration_ns', 'live_from_start', 'recording', 'recorded_ns', 'missing_ns', 'live_lag_ns')"), 6);
  fail_unless_equals_int (query_int (*db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'recording_tracks'"), 1);
}
GST_END_TEST;

GST_START_TEST (test_newer_schema_is_refused)
{
  std::string path = db_path ("newer");
  g_autoptr (GError) error = nullptr;
  {
    auto db = Database::open (path, true, &error);
    fail_unless (db->exec ("PRAGMA user_version=99", &error));
  }
  auto db = Database::open (path, true, &error);
  fail_unless (db == nullptr);
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_DATABASE));
  fail_unless (strstr (error->message, "newer") != nullptr, "%s", error->message);
  fail_unless (strstr (error->message, path.c_str ()) != nullptr, "%s", error->message);
}
GST_END_TEST;

GST_START_TEST (test_file_that_is_not_a_database_is_a_clear_error)
{
  std::string path = db_path ("garbage");
  fail_unless (g_file_set_contents (path.c_str (), "this is no database, just some text that is long enough........"
      "................................................................................", -1, nullptr));
  g_autoptr (GError) error = nullptr;
  auto db = Database::open (path, true, &error);
  fail_unless (db == nullptr);
  fail_unless (error != nullptr);
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_CORRUPT), "%s", error->message);
  fail_unless (strstr (error->message, path.c_str ()) != nullptr, "%s", error->message);
}
GST_END_TEST;

GST_START_TEST (test_reader_of_a_missing_database_creates_nothing)
{
  g_autofree gchar *parent = ot_make_temp_dir ("missing");
  g_autofree gchar *dir = g_build_filename (parent, "never-used", nullptr);
  g_autoptr (GError) error = nullptr;
  auto db = Database::open (gst_offline::database_path (dir), false, &error);
  fail_unless (db != nullptr, "%s", error ? error->message : "");
  fail_unless_equals_int (query_int (*db, "SELECT COUNT(*) FROM downloads"), 0);
  fail_if (g_file_test (dir, G_FILE_TEST_EXISTS));
}
GST_END_TEST;

struct WriterThread {
  std::string path;
  gboolean ok;
  gchar *message;
};

static gpointer write_in_thread (gpointer data)
{
  auto w = static_cast<WriterThread *> (data);
  GError *error = nullptr;
  auto db = Database::open (w->path, true, &error);
  w->ok = db && db->exec ("INSERT INTO resources (key, file, length, created_ms) VALUES ('second', 'f', 1, 0)", &error);
  w->message = error ? g_strdup (error->message) : nullptr;
  g_clear_error (&error);
  return nullptr;
}

/* Counts the times a connection waited for another's lock, so a test can
 * let go of its lock once the other side is waiting, not after a guess. */
struct WaitCount {
  GMutex lock;
  GCond changed;
  guint waits = 0;
  bool finished = false;  // the waiting side gave up or got through
};

static void count_wait (gpointer data)
{
  auto count = static_cast<WaitCount *> (data);
  g_mutex_lock (&count->lock);
  count->waits++;
  g_cond_broadcast (&count->changed);
  g_mutex_unlock (&count->lock);
}

static void wait_for_a_waiter (WaitCount &count)
{
  g_mutex_lock (&count.lock);
  while (count.waits == 0 && !count.finished)
    g_cond_wait (&count.changed, &count.lock);
  g_mutex_unlock (&count.lock);
}

struct OpenThread {
  std::string path;
  std::unique_ptr<Database> db;
  gchar *message;
  WaitCount *count;
};

static gpointer open_in_thread (gpointer data)
{
  auto o = static_cast<OpenThread *> (data);
  GError *error = nullptr;
  o->db = Database::open (o->path, true, &error);
  o->message = error ? g_strdup (error->message) : nullptr;
  g_clear_error (&error);
  g_mutex_lock (&o->count->lock);
  o->count->finished = true;
  g_cond_broadcast (&o->count->changed);
  g_mutex_unlock (&o->count->lock);
  return nullptr;
}

GST_START_TEST (test_second_writer_waits_for_the_first)
{
  WaitCount count;
  Database::set_wait_observer (count_wait, &count);
  std::string path = db_path ("concurrent");
  g_autoptr (GError) error = nullptr;
  auto db = Database::open (path, true, &error);
  {
    auto transaction = db->begin (&error);
    fail_unless (transaction.has_value ());
    fail_unless (db->exec ("INSERT INTO resources (key, file, length, created_ms) VALUES ('first', 'f', 1, 0)", &error));
    WriterThread w { path, FALSE, nullptr };
    GThread *thread = g_thread_new ("writer", write_in_thread, &w);
    /* The other writer is blocked on our write lock, not failing. */
    wait_for_a_waiter (count);
    fail_unless (transaction->commit (&error));
    g_thread_join (thread);
    fail_unless (w.ok, "%s", w.message ? w.message : "");
    g_free (w.message);
  }
  Database::set_wait_observer (nullptr, nullptr);
  fail_unless_equals_int (query_int (*db, "SELECT COUNT(*) FROM resources"), 2);
}
GST_END_TEST;

/* Two processes starting on a new data directory: both find the database
 * in rollback mode and switch it to WAL; SQLite refuses the second switch
 * at once (without its busy handler) while the first holds the write lock.
 * The second opener must wait and succeed, not fail with "database is
 * locked" (CI saw `status` fail so beside a starting `download`). */
GST_START_TEST (test_second_opener_of_a_new_database_waits)
{
  std::string path = db_path ("new-race");
  g_autofree gchar *dir = g_path_get_dirname (path.c_str ());
  fail_unless (g_mkdir_with_parents (dir, 0700) == 0);
  sqlite3 *holder = nullptr;
  fail_unless_equals_int (sqlite3_open (path.c_str (), &holder), SQLITE_OK);
  /* The holder's COMMIT waits out the opener's read lock as the library's
   * connections do: the opener asks again and again, each time reading the
   * journal mode under a shared lock, and a COMMIT without a busy handler
   * that falls in such a moment fails (SQLITE_BUSY: seen on a machine with
   * cores to spare). */
  sqlite3_busy_timeout (holder, 60 * 1000);
  fail_unless_equals_int (sqlite3_exec (holder, "BEGIN IMMEDIATE; CREATE TABLE other (x)", nullptr, nullptr, nullptr),
      SQLITE_OK);

  WaitCount count;
  Database::set_wait_observer (count_wait, &count);
  OpenThread opener { path, nullptr, nullptr, &count };
  GThread *thread = g_thread_new ("opener", open_in_thread, &opener);
  wait_for_a_waiter (count);
  fail_unless_equals_int (sqlite3_exec (holder, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  g_thread_join (thread);
  Database::set_wait_observer (nullptr, nullptr);
  sqlite3_close (holder);

  fail_unless (opener.db != nullptr, "%s", opener.message);
  g_autoptr (GError) error = nullptr;
  auto mode = opener.db->prepare ("PRAGMA journal_mode", &error);
  fail_unless (mode && mode->step (&error) == Statement::Step::Row);
  std::string journal_mode = mode->text (0);
  fail_unless_equals_string (journal_mode.c_str (), "wal");
  fail_unless_equals_int (query_int (*opener.db, "SELECT COUNT(*) FROM other"), 0);
  fail_unless_equals_int (query_int (*opener.db, "SELECT COUNT(*) FROM downloads"), 0);
  g_free (opener.message);
}
GST_END_TEST;

GST_START_TEST (test_uncommitted_transaction_rolls_back)
{
  std::string path = db_path ("rollback");
  g_autoptr (GError) error = nullptr;
  auto db = Database::open (path, true, &error);
  {
    auto transaction = db->begin (&error);
    fail_unless (db->exec ("INSERT INTO resources (key, file, length, created_ms) VALUES ('k', 'f', 1, 0)", &error));
  }
  fail_unless_equals_int (query_int (*db, "SELECT COUNT(*) FROM resources"), 0);
}
GST_END_TEST;

/* Every commit is announced through the commit signal file, after the
 * commit: a watcher's file monitor fires, and another connection then sees
 * the row. The WAL hook that does it also checkpoints as SQLite's own
 * would have: many commits of a megabyte leave a WAL of a few, not all. */
GST_START_TEST (test_commits_are_announced_and_the_wal_checkpointed)
{
  std::string path = db_path ("announce");
  g_autoptr (GError) error = nullptr;
  auto writer = Database::open (path, true, &error);
  fail_unless (writer != nullptr, "%s", error ? error->message : "");
  auto reader = Database::open (path, false, &error);
  fail_unless (reader != nullptr, "%s", error ? error->message : "");
  std::string signal = gst_offline::commit_signal_path (path);
  g_autoptr (GFile) file = g_file_new_for_path (signal.c_str ());
  g_autoptr (GFileMonitor) monitor = g_file_monitor_file (file, G_FILE_MONITOR_NONE, nullptr, &error);
  fail_unless (monitor != nullptr, "%s", error ? error->message : "");
  guint events = 0;
  g_signal_connect (monitor, "changed", G_CALLBACK (+[] (GFileMonitor *, GFile *, GFile *, GFileMonitorEvent,
      guint *count) { (*count)++; }), &events);
  fail_unless (writer->exec ("INSERT INTO resources (key, file, length, created_ms) VALUES ('seen', 'f', 1, 0)", &error));
  while (events == 0)
    g_main_context_iteration (nullptr, TRUE);
  fail_unless_equals_int (query_int (*reader, "SELECT COUNT(*) FROM resources WHERE key = 'seen'"), 1);

  std::string megabyte (1024 * 1024, 'x');
  auto insert = writer->prepare ("INSERT INTO resources (key, file, length, created_ms) VALUES (?, ?, 1, 0)", &error);
  fail_unless (insert.has_value ());
  for (int i = 0; i < 12; i++) {
    fail_unless (insert->bind (1, std::string ("big-") + std::to_string (i)).bind (2, megabyte).run (&error), "%s",
        error ? error->message : "");
    insert->reset ();
  }
  GStatBuf st;
  fail_unless (g_stat ((path + "-wal").c_str (), &st) == 0);
  gint64 wal = st.st_size;
  fail_unless (wal < 8 * 1024 * 1024, "the WAL holds %" G_GINT64_FORMAT " bytes after 12 MB of commits", wal);
}
GST_END_TEST;

/* ReaderDatabase takes its connection from the process's pool of idle
 * ones: the next reader of the file gets it again, sees every commit of
 * other connections, leaves a writer free to take the write lock and to
 * checkpoint, and never reads a file the path no longer names. */
GST_START_TEST (test_reader_connections_are_pooled)
{
  std::string path = db_path ("pool");
  g_autoptr (GError) error = nullptr;
  auto writer = Database::open (path, true, &error);
  fail_unless (writer != nullptr, "%s", error ? error->message : "");
  sqlite3 *first;
  {
    gst_offline::ReaderDatabase reader;
    fail_unless (reader.open (path, false, &error), "%s", error ? error->message : "");
    first = reader.get ().handle ();
    fail_unless_equals_int (query_int (reader.get (), "SELECT COUNT(*) FROM resources"), 0);
  }
  fail_unless (writer->exec ("INSERT INTO resources (key, file, length, created_ms) VALUES ('a', 'f', 1, 0)", &error));
  {
    gst_offline::ReaderDatabase reader;
    fail_unless (reader.open (path, false, &error), "%s", error ? error->message : "");
    fail_unless (reader.get ().handle () == first, "the idle connection was not taken again");
    fail_unless_equals_int (query_int (reader.get (), "SELECT COUNT(*) FROM resources"), 1);
    /* Two at once: each has its own. */
    gst_offline::ReaderDatabase other;
    fail_unless (other.open (path, false, &error), "%s", error ? error->message : "");
    fail_unless (other.get ().handle () != first);
  }
  /* Idle in the pool, they hold nothing a writer waits for. */
  {
    auto transaction = writer->begin (&error);
    fail_unless (transaction.has_value (), "%s", error ? error->message : "");
    fail_unless (writer->exec ("INSERT INTO resources (key, file, length, created_ms) VALUES ('b', 'f', 1, 0)", &error));
    fail_unless (transaction->commit (&error), "%s", error ? error->message : "");
  }
  fail_unless_equals_int (query_int (*writer, "PRAGMA wal_checkpoint(TRUNCATE)"), 0); /* not busy */

  /* The file removed and made again: a reader reads the new one. */
  writer.reset ();
  for (const char *suffix : { "", "-wal", "-shm" })
    g_unlink ((path + suffix).c_str ());
  writer = Database::open (path, true, &error);
  fail_unless (writer != nullptr, "%s", error ? error->message : "");
  fail_unless (writer->exec ("INSERT INTO resources (key, file, length, created_ms) VALUES ('new', 'f', 1, 0)", &error));
  {
    gst_offline::ReaderDatabase reader;
    fail_unless (reader.open (path, false, &error), "%s", error ? error->message : "");
    fail_unless_equals_int (query_int (reader.get (), "SELECT COUNT(*) FROM resources WHERE key = 'new'"), 1);
    fail_unless_equals_int (query_int (reader.get (), "SELECT COUNT(*) FROM resources"), 1);
  }
}
GST_END_TEST;

/* The last connection to close keeps the WAL, emptied, and its index, so
 * that the next opener neither makes nor deletes them again. */
GST_START_TEST (test_last_close_keeps_the_wal_empty)
{
  std::string path = db_path ("persist");
  g_autoptr (GError) error = nullptr;
  auto db = Database::open (path, true, &error);
  fail_unless (db != nullptr, "%s", error ? error->message : "");
  fail_unless (db->exec ("INSERT INTO resources (key, file, length, created_ms) VALUES ('k', 'f', 1, 0)", &error));
  db.reset ();
  GStatBuf st;
  fail_unless (g_stat ((path + "-wal").c_str (), &st) == 0, "the WAL was deleted");
  fail_unless_equals_int64 (st.st_size, 0);
  fail_unless (g_stat ((path + "-shm").c_str (), &st) == 0, "the WAL index was deleted");
  db = Database::open (path, false, &error);
  fail_unless (db != nullptr, "%s", error ? error->message : "");
  fail_unless_equals_int (query_int (*db, "SELECT COUNT(*) FROM resources"), 1);
}
GST_END_TEST;

/* The statements a connection holds, prepared and not finalized. */
static guint statement_count (sqlite3 *db)
{
  guint count = 0;
  for (sqlite3_stmt *stmt = sqlite3_next_stmt (db, nullptr); stmt; stmt = sqlite3_next_stmt (db, stmt))
    count++;
  return count;
}

/* A connection keeps the statements it prepared: the same SQL run again
 * reuses one, reset and with no binding left; two at once are two; one
 * still in use keeps the connection out of the pool; the pooled connection
 * keeps them for its next user; and a statement that outlives its
 * connection is finalized, not given back. */
GST_START_TEST (test_prepared_statements_are_kept_by_their_connection)
{
  std::string path = db_path ("statements");
  g_autoptr (GError) error = nullptr;
  auto db = Database::open (path, true, &error);
  fail_unless (db != nullptr, "%s", error ? error->message : "");
  fail_unless (db->exec ("INSERT INTO resources (key, file, length, created_ms) VALUES ('a', 'f', 7, 0)", &error));
  const char *sql = "SELECT length FROM resources WHERE key = ?";
  guint before = statement_count (db->handle ());
  sqlite3_stmt *first;
  {
    auto stmt = db->prepare (sql, &error);
    fail_unless (stmt.has_value (), "%s", error ? error->message : "");
    stmt->bind (1, std::string_view ("a"));
    fail_unless (stmt->step (&error) == Statement::Step::Row);
    fail_unless_equals_int (stmt->int64 (0), 7);
    first = sqlite3_next_stmt (db->handle (), nullptr); /* the newest first */
    fail_unless_equals_int (statement_count (db->handle ()), before + 1);
    /* Left mid-rows: giving it back must end its read. */
  }
  fail_unless_equals_int (statement_count (db->handle ()), before + 1); /* kept, not finalized */
  {
    auto again = db->prepare (sql, &error);
    fail_unless (again.has_value (), "%s", error ? error->message : "");
    fail_unless (sqlite3_next_stmt (db->handle (), nullptr) == first, "the statement was prepared again");
    fail_unless_equals_int (statement_count (db->handle ()), before + 1);
    /* Its binding was cleared: NULL matches no key. */
    fail_unless (again->step (&error) == Statement::Step::Done);
    auto both = db->prepare (sql, &error);
    fail_unless (both.has_value (), "%s", error ? error->message : "");
    fail_unless_equals_int (statement_count (db->handle ()), before + 2); /* two users, two statements */
  }
  /* The read ended: a writer checkpoints everything. */
  fail_unless_equals_int (query_int (*db, "PRAGMA wal_checkpoint(TRUNCATE)"), 0);
  db.reset ();

  sqlite3 *handle;
  guint kept;
  {
    gst_offline::ReaderDatabase reader;
    fail_unless (reader.open (path, false, &error), "%s", error ? error->message : "");
    handle = reader.get ().handle ();
    fail_unless_equals_int (query_int (reader.get (), "SELECT COUNT(*) FROM resources"), 1);
    kept = statement_count (handle);
    fail_unless (kept > 0, "the statements were finalized");
  }
  {
    gst_offline::ReaderDatabase reader;
    fail_unless (reader.open (path, false, &error), "%s", error ? error->message : "");
    fail_unless (reader.get ().handle () == handle, "the connection was not pooled");
    fail_unless_equals_int (statement_count (handle), kept); /* the pooled connection kept them */
    fail_unless_equals_int (query_int (reader.get (), "SELECT COUNT(*) FROM resources"), 1);
    fail_unless_equals_int (statement_count (handle), kept); /* and used them again */
  }
  /* A statement still in use when its user lets go of the connection: the
   * connection is closed, not pooled, and the statement finalized after. */
  std::optional<Statement> outlives;
  {
    gst_offline::ReaderDatabase reader;
    fail_unless (reader.open (path, false, &error), "%s", error ? error->message : "");
    fail_unless (reader.get ().handle () == handle);
    auto stmt = reader.get ().prepare ("SELECT key FROM resources", &error);
    fail_unless (stmt.has_value (), "%s", error ? error->message : "");
    outlives.emplace (std::move (*stmt));
  }
  {
    gst_offline::ReaderDatabase next;
    fail_unless (next.open (path, false, &error), "%s", error ? error->message : "");
    fail_unless (next.get ().handle () != handle, "a connection with a statement in use was pooled");
  }
  outlives.reset ();
}
GST_END_TEST;

static Suite *database_suite (void)
{
  Suite *s = suite_create ("database");
  TCase *tc = tcase_create ("database");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_new_database_has_current_schema_in_wal_mode);
  tcase_add_test (tc, test_older_schema_is_migrated_keeping_data);
  tcase_add_test (tc, test_newer_schema_is_refused);
  tcase_add_test (tc, test_file_that_is_not_a_database_is_a_clear_error);
  tcase_add_test (tc, test_reader_of_a_missing_database_creates_nothing);
  tcase_add_test (tc, test_second_writer_waits_for_the_first);
  tcase_add_test (tc, test_second_opener_of_a_new_database_waits);
  tcase_add_test (tc, test_uncommitted_transaction_rolls_back);
  tcase_add_test (tc, test_commits_are_announced_and_the_wal_checkpointed);
  tcase_add_test (tc, test_reader_connections_are_pooled);
  tcase_add_test (tc, test_last_close_keeps_the_wal_empty);
  tcase_add_test (tc, test_prepared_statements_are_kept_by_their_connection);
  return s;
}

GST_CHECK_MAIN (database);
