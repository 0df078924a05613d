/* The cache's write path: nothing visible until whole, durable resume after
 * a crash, one writer per resource, removal that keeps shared resources, and
 * verify finding what is wrong.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cache/cache-private.h"
#include "cache/resource-writer.h"
#include "db/database.h"

#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>

#include "test-support.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <initializer_list>

using namespace gst_offline;

static GstOfflineCache *open_cache (const char *name, gchar **dir_out = nullptr)
{
  gchar *dir = ot_make_temp_dir (name);
  GError *error = nullptr;
  GstOfflineCache *cache = cache_open_for_writing (dir, &error);
  fail_unless (cache != nullptr, "%s", error ? error->message : "");
  if (dir_out)
    *dir_out = dir;
  else
    g_free (dir);
  return cache;
}

static std::string pattern (gsize size, guint seed)
{
  std::string data (size, '\0');
  for (gsize i = 0; i < size; i++)
    data[i] = static_cast<char> ((i * 31 + seed) & 0xff);
  return data;
}

/* Commits `writer` and waits for its rows, as a fetch on a main context does. */
static bool commit_and_wait (std::unique_ptr<ResourceWriter> writer, GError **error)
{
  bool done = false;
  ResourceWriter::commit (std::move (writer), [&] (const GError *commit_error) {
    done = true;
    if (commit_error)
      g_propagate_error (error, g_error_copy (commit_error));
  });
  while (!done)
    g_main_context_iteration (nullptr, TRUE);
  return error == nullptr || *error == nullptr;
}

static std::string read_path (const char *path)
{
  g_autofree gchar *contents = nullptr;
  gsize length = 0;
  fail_unless (g_file_get_contents (path, &contents, &length, nullptr));
  return std::string (contents, length);
}

/* The keys of a removal (one a segment) are kept in a file, not in memory,
 * and read back whole and in order: records across the file's pieces, keys
 * of any bytes; where the file cannot be written (a full disk, here a file
 * size limit: the time a removal must work), or made (no such directory),
 * the rest stay in memory. */
static bool key_spool_gives_back (const std::string &dir, guint count)
{
  auto key = [] (guint i) {
    std::string k = "http://127.0.0.1/" + std::string (i % 97, 'k') + std::to_string (i);
    if (i % 1000 == 7)
      k += std::string ("\0\n", 2);
    return i % 5000 == 3 ? std::string () : k;
  };
  KeySpool spool (dir);
  for (guint i = 0; i < count; i++)
    spool.add (key (i));
  guint64 i = 0;
  bool same = true;
  spool.for_each ([&] (const std::string &got) { same = same && got == key (static_cast<guint> (i++)); });
  return same && i == count && spool.size () == count;
}

GST_START_TEST (test_key_spool_gives_back_every_key)
{
  g_autofree gchar *dir = ot_make_temp_dir ("spool");
  fail_unless (key_spool_gives_back (dir, 40000));
  fail_unless (key_spool_gives_back (std::string (dir) + "/no-such-directory", 40000));
  /* No file left behind. */
  g_autoptr (GDir) listing = g_dir_open (dir, 0, nullptr);
  fail_unless (g_dir_read_name (listing) == nullptr);
  pid_t pid = fork ();
  if (pid == 0) {
    signal (SIGXFSZ, SIG_IGN);
    struct rlimit limit = { 300000, 300000 };
    setrlimit (RLIMIT_FSIZE, &limit);
    _exit (key_spool_gives_back (dir, 40000) ? 0 : 1);
  }
  int status = 0;
  waitpid (pid, &status, 0);
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0, "the keys past the file size limit were lost");
}
GST_END_TEST;

GST_START_TEST (test_resource_is_visible_only_when_whole)
{
  g_autoptr (GstOfflineCache) cache = open_cache ("whole");
  g_autoptr (GError) error = nullptr;
  const std::string key = "http://example.com/../../etc/passwd";
  std::string data = pattern (100000, 1);
  auto writer = ResourceWriter::open (cache, key, "d1", &error);
  fail_unless (writer != nullptr, "%s", error ? error->message : "");
  writer->set_validators ("\"etag\"", "", static_cast<gint64> (data.size ()));
  fail_unless (writer->append (data.data (), 60000, &error));
  fail_unless (writer->checkpoint (&error));

  fail_unless (gst_offline_cache_lookup (cache, key.c_str (), nullptr, &error) == nullptr);
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND));
  g_clear_error (&error);
  fail_unless_equals_uint64 (gst_offline_cache_get_cached_length (cache, key.c_str ()), 60000);

  fail_unless (writer->append (data.data () + 60000, data.size () - 60000, &error));
  fail_unless (commit_and_wait (std::move (writer), &error), "%s", error ? error->message : "");
  guint64 length = 0;
  g_autofree gchar *path = gst_offline_cache_lookup (cache, key.c_str (), &length, &error);
  fail_unless (path != nullptr, "%s", error ? error->message : "");
  fail_unless_equals_uint64 (length, data.size ());
  fail_unless (read_path (path) == data);
  /* Named by the key's hash, inside the cache folder, whatever the key says. */
  g_autofree gchar *expected_dir = g_build_filename (gst_offline_cache_get_data_dir (cache), "cache", nullptr);
  fail_unless (g_str_has_prefix (path, expected_dir), "%s", path);
  fail_if (strstr (path, "passwd"));
  fail_unless_equals_uint64 (gst_offline_cache_get_total_size (cache), data.size ());

  /* Opening it again finds it whole: nothing to write. */
  auto again = ResourceWriter::open (cache, key, "d1", &error);
  fail_unless (again && again->complete ());
}
GST_END_TEST;

GST_START_TEST (test_crash_keeps_only_the_durable_bytes)
{
  g_autoptr (GstOfflineCache) cache = open_cache ("crash");
  const std::string key = "http://example.com/crash.mp4";
  std::string data = pattern (5000, 2);
  pid_t pid = fork ();
  if (pid == 0) {
    /* A process that dies without any cleanup after writing past its last
     * checkpoint. */
    GError *error = nullptr;
    auto writer = ResourceWriter::open (cache, key, "d1", &error);
    if (!writer || !writer->append (data.data (), 3000, &error) || !writer->checkpoint (&error)
        || !writer->append (data.data () + 3000, 1000, &error))
      _exit (1);
    _exit (0);
  }
  int status = 0;
  waitpid (pid, &status, 0);
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0);

  g_autoptr (GError) error = nullptr;
  auto writer = ResourceWriter::open (cache, key, "d1", &error);
  fail_unless (writer != nullptr, "%s", error ? error->message : "");
  fail_unless_equals_uint64 (writer->length (), 3000);
  fail_unless (writer->read_prefix (3000) == data.substr (0, 3000));
  fail_unless (writer->append (data.data () + 3000, 2000, &error));
  fail_unless (commit_and_wait (std::move (writer), &error));
  g_autofree gchar *path = gst_offline_cache_lookup (cache, key.c_str (), nullptr, &error);
  fail_unless (read_path (path) == data);
}
GST_END_TEST;

GST_START_TEST (test_one_writer_per_resource)
{
  g_autoptr (GstOfflineCache) cache = open_cache ("busy");
  g_autoptr (GError) error = nullptr;
  auto first = ResourceWriter::open (cache, "k", "d1", &error);
  fail_unless (first != nullptr);
  auto second = ResourceWriter::open (cache, "k", "d2", &error);
  fail_unless (second == nullptr);
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_BUSY), "%s", error->message);
  g_clear_error (&error);
  first.reset ();
  second = ResourceWriter::open (cache, "k", "d2", &error);
  fail_unless (second != nullptr);
}
GST_END_TEST;

GST_START_TEST (test_commit_interrupted_after_rename_is_adopted)
{
  gchar *dir = nullptr;
  g_autoptr (GstOfflineCache) cache = open_cache ("adopt", &dir);
  g_autoptr (GError) error = nullptr;
  const std::string key = "http://example.com/adopt.mp4";
  std::string data = pattern (4096, 3);
  {
    auto writer = ResourceWriter::open (cache, key, "d1", &error);
    writer->set_validators ("", "", static_cast<gint64> (data.size ()));
    fail_unless (writer->append (data.data (), data.size (), &error));
    fail_unless (writer->checkpoint (&error));
  }
  /* What commit does up to the crash: the rename, not the rows. */
  ResourceFiles files = cache_resource_files (key);
  fail_unless (rename (cache_absolute_path (cache, files.partial).c_str (), cache_absolute_path (cache, files.data).c_str ()) == 0);
  fail_unless (gst_offline_cache_lookup (cache, key.c_str (), nullptr, &error) == nullptr);
  g_clear_error (&error);

  auto writer = ResourceWriter::open (cache, key, "d1", &error);
  fail_unless (writer && writer->complete (), "%s", error ? error->message : "not adopted");
  g_autofree gchar *path = gst_offline_cache_lookup (cache, key.c_str (), nullptr, &error);
  fail_unless (path && read_path (path) == data);
  g_free (dir);
}
GST_END_TEST;

static void write_whole (GstOfflineCache *cache, const std::string &key, const std::string &download, const std::string &data)
{
  GError *error = nullptr;
  auto writer = ResourceWriter::open (cache, key, download, &error);
  fail_unless (writer != nullptr, "%s", error ? error->message : "");
  if (writer->complete ())
    return;
  fail_unless (writer->append (data.data (), data.size (), &error));
  fail_unless (commit_and_wait (std::move (writer), &error), "%s", error ? error->message : "");
}

static void add_download_row (GstOfflineCache *cache, const char *id)
{
  g_autofree gchar *sql = g_strdup_printf ("INSERT INTO downloads (id, uri, type, state, start_time_ms, update_time_ms) "
      "VALUES ('%s', 'http://h/%s', 0, 3, 0, 0)", id, id);
  fail_unless (cache_database (cache).exec (sql, nullptr));
}

/* open_cache() with a downloads row for each of `ids`. */
static GstOfflineCache *open_cache_with_downloads (const char *name, std::initializer_list<const char *> ids,
    gchar **dir_out = nullptr)
{
  GstOfflineCache *cache = open_cache (name, dir_out);
  for (const char *id : ids)
    add_download_row (cache, id);
  return cache;
}

/* Verifying the whole cache finds no problem. */
static void assert_verifies_clean (GstOfflineCache *cache)
{
  g_autoptr (GError) error = nullptr;
  g_autoptr (GPtrArray) problems = gst_offline_cache_verify (cache, nullptr, &error);
  fail_unless (problems != nullptr, "%s", error ? error->message : "");
  fail_unless_equals_int (problems->len, 0);
}

GST_START_TEST (test_removal_keeps_shared_resources)
{
  g_autoptr (GstOfflineCache) cache = open_cache_with_downloads ("remove", { "a", "b" });
  g_autoptr (GError) error = nullptr;
  write_whole (cache, "shared", "a", pattern (1000, 4));
  write_whole (cache, "shared", "b", pattern (1000, 4));
  write_whole (cache, "only-a", "a", pattern (2000, 5));
  {
    auto partial = ResourceWriter::open (cache, "partial-a", "a", &error);
    fail_unless (partial->append ("xyz", 3, &error));
  }
  g_autofree gchar *only_a = gst_offline_cache_lookup (cache, "only-a", nullptr, &error);
  fail_unless (only_a != nullptr);

  fail_unless (cache_remove_download_resources (cache, "a", &error));
  fail_unless (cache_database (cache).exec ("DELETE FROM downloads WHERE id = 'a'", &error));
  g_autofree gchar *shared = gst_offline_cache_lookup (cache, "shared", nullptr, &error);
  fail_unless (shared != nullptr, "a shared resource was removed");
  fail_unless (gst_offline_cache_lookup (cache, "only-a", nullptr, &error) == nullptr);
  g_clear_error (&error);
  fail_if (g_file_test (only_a, G_FILE_TEST_EXISTS));
  fail_unless_equals_uint64 (gst_offline_cache_get_cached_length (cache, "partial-a"), 0);
  fail_if (g_file_test (cache_absolute_path (cache, cache_resource_files ("partial-a").partial).c_str (), G_FILE_TEST_EXISTS));

  assert_verifies_clean (cache);
}
GST_END_TEST;

static gboolean has_problem (GPtrArray *problems, const char *text)
{
  for (guint i = 0; i < problems->len; i++) {
    if (strstr (static_cast<const char *> (problems->pdata[i]), text))
      return TRUE;
  }
  return FALSE;
}

GST_START_TEST (test_verify_finds_damage)
{
  gchar *dir = nullptr;
  g_autoptr (GstOfflineCache) cache = open_cache_with_downloads ("verify", { "d" }, &dir);
  g_autoptr (GError) error = nullptr;
  write_whole (cache, "truncated", "d", pattern (1000, 6));
  write_whole (cache, "deleted", "d", pattern (1000, 7));
  g_autofree gchar *truncated = gst_offline_cache_lookup (cache, "truncated", nullptr, &error);
  g_autofree gchar *deleted = gst_offline_cache_lookup (cache, "deleted", nullptr, &error);
  fail_unless (truncate (truncated, 10) == 0);
  fail_unless (unlink (deleted) == 0);
  g_autofree gchar *stray = g_build_filename (dir, "cache", "00", "stray.data", nullptr);
  g_autofree gchar *stray_dir = g_path_get_dirname (stray);
  g_mkdir_with_parents (stray_dir, 0700);
  fail_unless (g_file_set_contents (stray, "x", 1, nullptr));
  g_autofree gchar *top_stray = g_build_filename (dir, "cache", "left-here", nullptr);
  fail_unless (g_file_set_contents (top_stray, "x", 1, nullptr));

  g_autoptr (GPtrArray) problems = gst_offline_cache_verify (cache, nullptr, &error);
  fail_unless_equals_int (problems->len, 4);
  fail_unless (has_problem (problems, "left-here"));
  fail_unless (has_problem (problems, "truncated") && has_problem (problems, "10 bytes"));
  fail_unless (has_problem (problems, "deleted") && has_problem (problems, "missing"));
  fail_unless (has_problem (problems, "stray file"));

  /* One download's check sees its own resources only. */
  add_download_row (cache, "other");
  write_whole (cache, "fine", "other", pattern (100, 9));
  g_autoptr (GPtrArray) others = gst_offline_cache_verify (cache, "other", &error);
  fail_unless_equals_int (others->len, 0);
  g_autoptr (GPtrArray) mine = gst_offline_cache_verify (cache, "d", &error);
  fail_unless_equals_int (mine->len, 2);

  fail_unless (gst_offline_cache_lookup (cache, "truncated", nullptr, &error) == nullptr);
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_CORRUPT));
  g_free (dir);
}
GST_END_TEST;

GST_START_TEST (test_write_error_is_no_space_and_keeps_what_was_written)
{
  g_autoptr (GstOfflineCache) cache = open_cache ("nospace");
  g_autoptr (GError) error = nullptr;
  std::string data = pattern (2000000, 8);
  pid_t pid = fork ();
  if (pid == 0) {
    /* A file size limit makes write() fail with EFBIG, as a full disk does with ENOSPC. */
    signal (SIGXFSZ, SIG_IGN);
    struct rlimit limit = { 1000000, 1000000 };
    setrlimit (RLIMIT_FSIZE, &limit);
    GError *child_error = nullptr;
    auto writer = ResourceWriter::open (cache, "big", "d1", &child_error);
    if (!writer)
      _exit (2);
    bool ok = writer->append (data.data (), data.size (), &child_error);
    if (ok)
      _exit (3);
    /* As a failing fetch does: keep what was written. */
    GError *checkpoint_error = nullptr;
    if (!writer->checkpoint (&checkpoint_error))
      _exit (5);
    _exit (g_error_matches (child_error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NO_SPACE) ? 0 : 4);
  }
  int status = 0;
  waitpid (pid, &status, 0);
  fail_unless (WIFEXITED (status), "child died");
  fail_unless_equals_int (WEXITSTATUS (status), 0);
  guint64 kept = gst_offline_cache_get_cached_length (cache, "big");
  fail_unless (kept > 0 && kept <= 1000000, "kept %" G_GUINT64_FORMAT, kept);

  auto writer = ResourceWriter::open (cache, "big", "d1", &error);
  fail_unless_equals_uint64 (writer->length (), kept);
  fail_unless (writer->read_prefix (kept) == data.substr (0, kept));
}
GST_END_TEST;

static gint64 count_rows (GstOfflineCache *cache, const char *sql)
{
  auto stmt = cache_database (cache).prepare (sql, nullptr);
  fail_unless (stmt && stmt->step (nullptr) == Statement::Step::Row);
  return stmt->int64 (0);
}

static std::string partial_path (GstOfflineCache *cache, const std::string &key)
{
  return cache_absolute_path (cache, cache_resource_files (key).partial);
}

/* A child process that writes `size` bytes of `key` and dies before any
 * checkpoint: its partial file has no row. */
static void crash_before_checkpoint (GstOfflineCache *cache, const std::string &key, const char *download, gsize size)
{
  pid_t pid = fork ();
  if (pid == 0) {
    GError *error = nullptr;
    auto writer = ResourceWriter::open (cache, key, download, &error);
    std::string data = pattern (size, 11);
    if (!writer || !writer->append (data.data (), data.size (), &error))
      _exit (1);
    _exit (0);
  }
  int status = 0;
  waitpid (pid, &status, 0);
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  fail_unless (g_file_test (partial_path (cache, key).c_str (), G_FILE_TEST_EXISTS));
}

GST_START_TEST (test_small_resource_writes_rows_only_at_commit)
{
  g_autoptr (GstOfflineCache) cache = open_cache ("rows");
  g_autoptr (GError) error = nullptr;
  std::string data = pattern (40000, 10);
  auto writer = ResourceWriter::open (cache, "small", "d1", &error);
  fail_unless (writer != nullptr, "%s", error ? error->message : "");
  writer->set_validators ("\"e\"", "", static_cast<gint64> (data.size ()));
  fail_unless (writer->append (data.data (), data.size (), &error));
  /* Below the first checkpoint: not a row yet, of any kind. */
  fail_unless_equals_int64 (count_rows (cache, "SELECT COUNT(*) FROM partials"), 0);
  fail_unless_equals_int64 (count_rows (cache, "SELECT COUNT(*) FROM download_resources"), 0);
  fail_unless (commit_and_wait (std::move (writer), &error), "%s", error ? error->message : "");
  fail_unless_equals_int64 (count_rows (cache, "SELECT COUNT(*) FROM partials"), 0);
  fail_unless_equals_int64 (count_rows (cache,
      "SELECT COUNT(*) FROM download_resources WHERE download_id = 'd1' AND key = 'small'"), 1);
  g_autofree gchar *path = gst_offline_cache_lookup (cache, "small", nullptr, &error);
  fail_unless (path && read_path (path) == data);
  fail_if (g_file_test (partial_path (cache, "small").c_str (), G_FILE_TEST_EXISTS));
}
GST_END_TEST;

GST_START_TEST (test_many_commits_at_once_all_land)
{
  g_autoptr (GstOfflineCache) cache = open_cache ("batch");
  constexpr guint kCount = 24;
  guint done = 0;
  for (guint i = 0; i < kCount; i++) {
    GError *error = nullptr;
    std::string key = "k" + std::to_string (i);
    auto writer = ResourceWriter::open (cache, key, "d1", &error);
    fail_unless (writer != nullptr);
    std::string data = pattern (1000 + i, i);
    fail_unless (writer->append (data.data (), data.size (), &error));
    ResourceWriter::commit (std::move (writer), [&done] (const GError *commit_error) {
      fail_unless (commit_error == nullptr, "%s", commit_error ? commit_error->message : "");
      done++;
    });
  }
  while (done < kCount)
    g_main_context_iteration (nullptr, TRUE);
  for (guint i = 0; i < kCount; i++) {
    GError *error = nullptr;
    std::string key = "k" + std::to_string (i);
    g_autofree gchar *path = gst_offline_cache_lookup (cache, key.c_str (), nullptr, &error);
    fail_unless (path != nullptr, "%s", error ? error->message : "");
    fail_unless (read_path (path) == pattern (1000 + i, i));
  }
  fail_unless_equals_int64 (count_rows (cache, "SELECT COUNT(*) FROM download_resources"), kCount);
}
GST_END_TEST;

/* Names `keys` as the segments of `download`'s playback plan (one track). */
static void plan_segments (GstOfflineCache *cache, const char *download, std::initializer_list<const char *> keys)
{
  guint number = 0;
  for (const char *key : keys) {
    g_autofree gchar *sql = g_strdup_printf ("INSERT INTO segments (download_id, track, number, start_ns, duration_ns, "
        "resource) VALUES ('%s', 0, %u, %u, 1, '%s')", download, number, number, key);
    fail_unless (cache_database (cache).exec (sql, nullptr));
    number++;
  }
}

GST_START_TEST (test_removal_deletes_the_partials_its_plan_names_unless_held)
{
  g_autoptr (GstOfflineCache) cache = open_cache_with_downloads ("remove-plan", { "d1", "d2" });
  g_autoptr (GError) error = nullptr;
  plan_segments (cache, "d1", { "crashed", "kept", "live" });
  plan_segments (cache, "d2", { "other" });
  crash_before_checkpoint (cache, "crashed", "d1", 3000);
  crash_before_checkpoint (cache, "other", "d2", 1000);
  /* Checkpointed, then closed: its row keeps it until the removal. */
  {
    auto kept = ResourceWriter::open (cache, "kept", "d1", &error);
    fail_unless (kept->append ("abc", 3, &error));
  }
  /* Written now, before its first checkpoint: its lock keeps it. */
  std::string data = pattern (5000, 12);
  auto live = ResourceWriter::open (cache, "live", "d1", &error);
  fail_unless (live->append (data.data (), 2000, &error));

  g_autoptr (GPtrArray) problems = gst_offline_cache_verify (cache, nullptr, &error);
  fail_unless_equals_int (problems->len, 2);

  fail_unless (cache_remove_download_resources (cache, "d1", &error), "%s", error ? error->message : "");
  fail_if (g_file_test (partial_path (cache, "crashed").c_str (), G_FILE_TEST_EXISTS));
  fail_if (g_file_test (partial_path (cache, "kept").c_str (), G_FILE_TEST_EXISTS));
  /* Another download's leftover is not this removal's to delete. */
  fail_unless (g_file_test (partial_path (cache, "other").c_str (), G_FILE_TEST_EXISTS));

  /* The live writer goes on unharmed. */
  fail_unless (live->append (data.data () + 2000, 3000, &error));
  fail_unless (commit_and_wait (std::move (live), &error), "%s", error ? error->message : "");
  g_autofree gchar *path = gst_offline_cache_lookup (cache, "live", nullptr, &error);
  fail_unless (path && read_path (path) == data);

  /* A crashed resume starts over, at 0: its bytes were never durable. */
  auto again = ResourceWriter::open (cache, "other", "d2", &error);
  fail_unless (again && again->length () == 0);
}
GST_END_TEST;

GST_START_TEST (test_removal_deletes_partials_that_never_had_a_row)
{
  g_autoptr (GstOfflineCache) cache = open_cache_with_downloads ("remove-strays", { "a", "b" });
  g_autoptr (GError) error = nullptr;
  write_whole (cache, "whole-a", "a", pattern (1000, 13));
  plan_segments (cache, "a", { "whole-a", "cut-a" });
  crash_before_checkpoint (cache, "cut-a", "a", 2000);
  /* The URI of a progressive download is its key. */
  crash_before_checkpoint (cache, "http://h/a", "a", 2000);
  /* Another download's resource, being written before its first row. */
  plan_segments (cache, "b", { "live-b" });
  auto live_b = ResourceWriter::open (cache, "live-b", "b", &error);
  fail_unless (live_b->append ("xyz", 3, &error));

  fail_unless (cache_remove_download_resources (cache, "a", &error));
  fail_unless (cache_database (cache).exec ("DELETE FROM downloads WHERE id = 'a'", &error));
  fail_unless (cache_database (cache).exec ("DELETE FROM segments WHERE download_id = 'a'", &error));
  fail_if (g_file_test (partial_path (cache, "cut-a").c_str (), G_FILE_TEST_EXISTS));
  fail_if (g_file_test (partial_path (cache, "http://h/a").c_str (), G_FILE_TEST_EXISTS));
  fail_unless (g_file_test (partial_path (cache, "live-b").c_str (), G_FILE_TEST_EXISTS));
  live_b.reset ();
  assert_verifies_clean (cache);
}
GST_END_TEST;

GST_START_TEST (test_file_held_between_rename_and_rows_is_left_alone)
{
  g_autoptr (GstOfflineCache) cache = open_cache_with_downloads ("held-data", { "a" });
  g_autoptr (GError) error = nullptr;
  write_whole (cache, "k", "a", pattern (1000, 14));
  g_autofree gchar *path = gst_offline_cache_lookup (cache, "k", nullptr, &error);
  fail_unless (path != nullptr);
  /* Another process's writer of "k", renamed and about to add its rows,
   * once "a" has dropped its own: it holds the file's lock. */
  fail_unless (cache_database (cache).exec ("DELETE FROM resources", &error));
  int errsv = 0;
  UniqueFd held = cache_lock_file (path, false, &errsv);
  fail_unless (held);
  auto writer = ResourceWriter::open (cache, "k", "b", &error);
  fail_unless (writer == nullptr);
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_BUSY), "%s", error->message);
  g_clear_error (&error);
  fail_unless (cache_remove_download_resources (cache, "a", &error));
  fail_unless (g_file_test (path, G_FILE_TEST_EXISTS), "a held file was removed");

  /* Once it is let go without rows, it is a leftover that the next writer replaces. */
  held.reset ();
  std::string data = pattern (700, 15);
  write_whole (cache, "k", "b", data);
  g_autofree gchar *again = gst_offline_cache_lookup (cache, "k", nullptr, &error);
  fail_unless (again && read_path (again) == data);
}
GST_END_TEST;

static Suite *cache_suite (void)
{
  Suite *s = suite_create ("cache");
  TCase *tc = tcase_create ("cache");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_resource_is_visible_only_when_whole);
  tcase_add_test (tc, test_crash_keeps_only_the_durable_bytes);
  tcase_add_test (tc, test_one_writer_per_resource);
  tcase_add_test (tc, test_commit_interrupted_after_rename_is_adopted);
  tcase_add_test (tc, test_removal_keeps_shared_resources);
  tcase_add_test (tc, test_verify_finds_damage);
  tcase_add_test (tc, test_write_error_is_no_space_and_keeps_what_was_written);
  tcase_add_test (tc, test_small_resource_writes_rows_only_at_commit);
  tcase_add_test (tc, test_many_commits_at_once_all_land);
  tcase_add_test (tc, test_removal_deletes_the_partials_its_plan_names_unless_held);
  tcase_add_test (tc, test_removal_deletes_partials_that_never_had_a_row);
  tcase_add_test (tc, test_file_held_between_rename_and_rows_is_left_alone);
  tcase_add_test (tc, test_key_spool_gives_back_every_key);
  return s;
}

GST_CHECK_MAIN (cache);
