/* The mechanisms that keep gst-offline's costs flat as it grows (issue 18),
 * checked for what they must keep true; their speed is measured by
 * benchmarks/scale:
 *  - a manager keeps the index in memory and reads only the downloads other
 *    connections changed (download_changes), or the whole table when it fell
 *    behind the changes kept;
 *  - segments are made durable by one file system sync per batch before the
 *    rows that make them visible: a SIGKILL at any point of a segmented
 *    download leaves no visible resource that is not whole and exact;
 *  - a removal hides the download in one small transaction and deletes the
 *    rest of its rows (a large plan's segments) afterwards: a SIGKILL at any
 *    point leaves it whole or gone, never half there, and the next manager
 *    finishes what was left.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>
#include <sqlite3.h>

#include "test-support.h"
#include "segmented-asset.h"

#include <string>

using namespace ot;

namespace {

struct Outcome {
  std::string id;
  GstOfflineDownloadState state = GST_OFFLINE_DOWNLOAD_STATE_QUEUED;
};

void on_changed (GstOfflineDownloadManager *, GstOfflineDownload *download, Outcome *outcome)
{
  if (outcome->id == gst_offline_download_get_id (download))
    outcome->state = gst_offline_download_get_state (download);
}

/* Waits for `manager` to say that `id` completed (or failed). */
GstOfflineDownloadState wait_for_end (GstOfflineDownloadManager *manager, const char *id)
{
  Outcome outcome { id };
  gulong handler = g_signal_connect (manager, "download-changed", G_CALLBACK (on_changed), &outcome);
  while (outcome.state != GST_OFFLINE_DOWNLOAD_STATE_COMPLETED && outcome.state != GST_OFFLINE_DOWNLOAD_STATE_FAILED)
    g_main_context_iteration (nullptr, TRUE);
  g_signal_handler_disconnect (manager, handler);
  return outcome.state;
}

GstOfflineDownload *add (GstOfflineDownloadManager *manager, const char *id, const std::string &uri)
{
  g_autoptr (GError) error = nullptr;
  g_autoptr (GstOfflineDownloadRequest) request = gst_offline_download_request_new (id, uri.c_str ());
  GstOfflineDownload *added = gst_offline_download_manager_add_download (manager, request, &error);
  fail_unless (added != nullptr, "%s", error ? error->message : "");
  return added;
}

/* One number the index gives for `sql`. */
gint64 count_rows (const char *data_dir, const char *sql)
{
  g_autofree gchar *db_path = g_build_filename (data_dir, "offline.db", nullptr);
  sqlite3 *db = nullptr;
  fail_unless (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_busy_timeout (db, 15000);
  sqlite3_stmt *stmt = nullptr;
  fail_unless (sqlite3_prepare_v2 (db, sql, -1, &stmt, nullptr) == SQLITE_OK, "%s", sqlite3_errmsg (db));
  fail_unless (sqlite3_step (stmt) == SQLITE_ROW, "%s", sqlite3_errmsg (db));
  gint64 n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return n;
}

void run_sql (const char *data_dir, const std::string &sql)
{
  g_autofree gchar *db_path = g_build_filename (data_dir, "offline.db", nullptr);
  sqlite3 *db = nullptr;
  fail_unless (sqlite3_open (db_path, &db) == SQLITE_OK);
  sqlite3_busy_timeout (db, 15000);
  fail_unless (sqlite3_exec (db, sql.c_str (), nullptr, nullptr, nullptr) == SQLITE_OK, "%s", sqlite3_errmsg (db));
  sqlite3_close (db);
}

/* Files under the cache's folders. */
guint count_cache_files (const char *data_dir)
{
  g_autofree gchar *cache_dir = g_build_filename (data_dir, "cache", nullptr);
  guint files = 0;
  g_autoptr (GDir) top = g_dir_open (cache_dir, 0, nullptr);
  while (const gchar *bucket = top ? g_dir_read_name (top) : nullptr) {
    g_autofree gchar *bucket_path = g_build_filename (cache_dir, bucket, nullptr);
    g_autoptr (GDir) dir = g_dir_open (bucket_path, 0, nullptr);
    while (dir && g_dir_read_name (dir))
      files++;
  }
  return files;
}

/* The mark a removal leaves while it deletes the rest of the rows of `id`
 * (lib/cache/pending-removals.h), as a crash would leave it. */
std::string removal_mark (const char *data_dir, const char *id)
{
  g_autofree gchar *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, id, -1);
  g_autofree gchar *path = g_build_filename (data_dir, "removing", hash, nullptr);
  return path;
}

void write_removal_mark (const char *data_dir, const char *id)
{
  std::string path = removal_mark (data_dir, id);
  g_autofree gchar *dir = g_path_get_dirname (path.c_str ());
  fail_unless (g_mkdir_with_parents (dir, 0700) == 0);
  fail_unless (g_file_set_contents (path.c_str (), id, -1, nullptr));
}

/* Nothing of download `id` is left in `data_dir`, which held only it. */
void check_nothing_left (const char *data_dir, const char *id)
{
  g_autofree gchar *of_id = g_strdup_printf ("download_id = '%s'", id);
  for (const char *table : { "segments", "tracks", "periods", "download_resources" }) {
    g_autofree gchar *sql = g_strdup_printf ("SELECT COUNT (*) FROM %s WHERE %s", table, of_id);
    fail_unless_equals_int (count_rows (data_dir, sql), 0);
  }
  fail_unless_equals_int (count_rows (data_dir, "SELECT COUNT (*) FROM downloads"), 0);
  fail_unless_equals_int (count_rows (data_dir, "SELECT COUNT (*) FROM resources"), 0);
  fail_unless_equals_int (count_rows (data_dir, "SELECT COUNT (*) FROM partials"), 0);
  fail_unless_equals_int (count_cache_files (data_dir), 0);
  fail_if (g_file_test (removal_mark (data_dir, id).c_str (), G_FILE_TEST_EXISTS), "the removal's mark is left");
}

/* The CLI's `list --json` holds no download. */
void check_listed_none (const char *data_dir)
{
  std::string listed = cli (data_dir, { "list", "--json" });
  fail_unless (listed.find ("\"id\"") == std::string::npos, "a download is still listed: %s", listed.c_str ());
}

/* A manager starts and ends on `data_dir` (its end waits for the work it
 * handed to its deleter's thread). */
void run_a_manager (const char *data_dir)
{
  g_autoptr (GError) error = nullptr;
  GstOfflineDownloadManager *manager = GST_OFFLINE_DOWNLOAD_MANAGER (g_initable_new (
      GST_OFFLINE_TYPE_DOWNLOAD_MANAGER, nullptr, &error, "data-dir", data_dir, "downloads-paused", TRUE, nullptr));
  fail_unless (manager != nullptr, "%s", error ? error->message : "");
  /* Its start is posted to its worker before any call: a call that waits
   * for the worker comes after it. */
  g_autoptr (GPtrArray) all = gst_offline_download_manager_get_downloads (manager, &error);
  fail_unless (all != nullptr);
  g_object_unref (manager);
}

/* `--remove-and-die DATA_DIR ID` (main () below): removes download ID and
 * is killed by SIGKILL the moment the manager says it is removed, while the
 * rest of its rows and its files are being deleted. */
int remove_and_die (const char *data_dir, const char *id)
{
  gst_init (nullptr, nullptr);
  g_autoptr (GError) error = nullptr;
  GstOfflineDownloadManager *manager = gst_offline_download_manager_new (data_dir, &error);
  if (!manager)
    return 2;
  g_signal_connect (manager, "download-removed", G_CALLBACK (+[] (GstOfflineDownloadManager *, const gchar *,
      gpointer) { kill (getpid (), SIGKILL); }), nullptr);
  if (!gst_offline_download_manager_remove_download (manager, id, &error))
    return 3;
  for (;;)
    g_main_context_iteration (nullptr, TRUE);
}

}  // namespace

/* A removal killed at three points: the next manager finishes it, and until
 * then the download is either whole (still `removing`) or not there at all:
 *  - by SIGKILL as it is reported removed (its rows and files going on the
 *    manager's deleter thread);
 *  - before its row went (the mark written, the row still `removing`);
 *  - just after its row went, before any other row did: then an add of the
 *    same id fetches it anew, and nothing of the old one mixes in. */
GST_START_TEST (test_killed_removal_is_finished_by_the_next_manager)
{
  SegmentedAsset asset ("killed-removal", 0);
  auto download = [&] () {
    std::string out = cli (asset.data_dir, { "download", asset.mpd.c_str (), "--id", "k" });
    fail_unless (out.find ("k: completed") != std::string::npos, "%s", out.c_str ());
    fail_unless_equals_int (count_rows (asset.data_dir, "SELECT COUNT (*) FROM segments WHERE download_id = 'k'"),
        kAssetSegments);
    fail_unless (count_cache_files (asset.data_dir) > kAssetSegments);
  };

  download ();
  g_autofree gchar *self = g_file_read_link ("/proc/self/exe", nullptr);
  const gchar *argv[] = { self, "--remove-and-die", asset.data_dir, "k", nullptr };
  GPid pid = 0;
  g_autoptr (GError) error = nullptr;
  fail_unless (g_spawn_async (nullptr, const_cast<gchar **> (argv), nullptr, G_SPAWN_DO_NOT_REAP_CHILD, nullptr,
      nullptr, &pid, &error), "%s", error ? error->message : "");
  gint status = ot_wait_pid (pid);
  fail_unless (status == 128 + SIGKILL, "the removing process was not killed (status %d)", status);
  check_listed_none (asset.data_dir);
  cli (asset.data_dir, { "verify" });
  run_a_manager (asset.data_dir);
  check_nothing_left (asset.data_dir, "k");

  /* Killed between its mark and its row's removal. */
  download ();
  write_removal_mark (asset.data_dir, "k");
  run_sql (asset.data_dir, "UPDATE downloads SET state = 5 WHERE id = 'k'");
  std::string listed = cli (asset.data_dir, { "list" });
  fail_unless (listed.find ("removing") != std::string::npos, "%s", listed.c_str ());
  run_a_manager (asset.data_dir);
  check_nothing_left (asset.data_dir, "k");

  /* Killed just after its row went: every other row is left. */
  download ();
  write_removal_mark (asset.data_dir, "k");
  run_sql (asset.data_dir, "BEGIN; DELETE FROM downloads WHERE id = 'k'; DELETE FROM tracks WHERE download_id = 'k'; "
      "DELETE FROM periods WHERE download_id = 'k'; COMMIT;");
  check_listed_none (asset.data_dir);
  cli (asset.data_dir, { "verify" });
  download ();
  fail_if (g_file_test (removal_mark (asset.data_dir, "k").c_str (), G_FILE_TEST_EXISTS), "the removal's mark is left");
  cli (asset.data_dir, { "verify" });
  std::string out = cli (asset.data_dir, { "remove", "k" });
  check_nothing_left (asset.data_dir, "k");
}
GST_END_TEST;

/* Downloads queued through another connection start in the running
 * manager; so they do after more changes than the log keeps came at once,
 * which the manager can only catch up with by reading the table again. */
GST_START_TEST (test_manager_sees_changes_of_other_connections)
{
  SegmentedAsset asset ("changes", 0);
  std::string second_mpd = asset.mpd + "?second";
  g_autoptr (GError) error = nullptr;
  g_autoptr (GstOfflineDownloadManager) running = gst_offline_download_manager_new (asset.data_dir, &error);
  fail_unless (running != nullptr, "%s", error ? error->message : "");
  /* Another manager, holding every download: it only writes the index. */
  g_autoptr (GstOfflineDownloadManager) other = GST_OFFLINE_DOWNLOAD_MANAGER (g_initable_new (
      GST_OFFLINE_TYPE_DOWNLOAD_MANAGER, nullptr, &error, "data-dir", asset.data_dir, "downloads-paused", TRUE, nullptr));
  fail_unless (other != nullptr, "%s", error ? error->message : "");

  g_autoptr (GstOfflineDownload) a = add (other, "a", asset.mpd);
  fail_unless_equals_int (wait_for_end (running, "a"), GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);

  /* 5000 changes in one transaction: more than download_changes keeps. */
  g_autofree gchar *db_path = g_build_filename (asset.data_dir, "offline.db", nullptr);
  sqlite3 *db = nullptr;
  fail_unless (sqlite3_open (db_path, &db) == SQLITE_OK);
  sqlite3_busy_timeout (db, 15000);
  std::string sql = "BEGIN IMMEDIATE;";
  for (int i = 0; i < 5000; i++)
    sql += "UPDATE downloads SET stop_reason = 1 - stop_reason WHERE id = 'a';";
  sql += "COMMIT;";
  fail_unless (sqlite3_exec (db, sql.c_str (), nullptr, nullptr, nullptr) == SQLITE_OK, "%s", sqlite3_errmsg (db));
  sqlite3_stmt *count = nullptr;
  sqlite3_prepare_v2 (db, "SELECT MIN (seq) FROM download_changes", -1, &count, nullptr);
  fail_unless (sqlite3_step (count) == SQLITE_ROW);
  fail_unless (sqlite3_column_int64 (count, 0) > 500, "the change log kept its oldest entries");
  sqlite3_finalize (count);
  sqlite3_close (db);

  g_autoptr (GstOfflineDownload) b = add (other, "b", second_mpd);
  fail_unless_equals_int (wait_for_end (running, "b"), GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
  g_autoptr (GstOfflineDownload) still = gst_offline_download_manager_get_download (running, "a", &error);
  fail_unless_equals_int (gst_offline_download_get_state (still), GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);

  /* A removal through the other connection is seen too: the row goes. */
  GAsyncResult *removed = nullptr;
  gst_offline_download_manager_remove_download_async (other, "b", nullptr, [] (GObject *, GAsyncResult *result,
      gpointer data) { *static_cast<GAsyncResult **> (data) = G_ASYNC_RESULT (g_object_ref (result)); }, &removed);
  while (!removed)
    g_main_context_iteration (nullptr, TRUE);
  fail_unless (gst_offline_download_manager_remove_download_finish (other, removed, &error), "%s",
      error ? error->message : "");
  g_object_unref (removed);
  g_autoptr (GPtrArray) left = gst_offline_download_manager_get_downloads (running, &error);
  fail_unless_equals_int (left->len, 1);
}
GST_END_TEST;

/* SIGKILL at several points of a segmented download (at its first progress
 * line or the next, a second later): every resource the cache
 * shows afterwards is whole and byte for byte what the server sent; the
 * next run completes, and verify finds nothing wrong. */
GST_START_TEST (test_sigkill_leaves_only_whole_segments)
{
  SegmentedAsset asset ("sigkill-segments", 12 * 1024);
  auto check_visible = [&] (bool all) {
    g_autoptr (GstOfflineCache) cache = gst_offline_cache_new (asset.data_dir, nullptr);
    fail_unless (cache != nullptr);
    guint whole = 0;
    for (guint i = 1; i <= kAssetSegments; i++) {
      g_autofree gchar *name = g_strdup_printf ("seg-%03u.m4s", i);
      std::string url = asset.mpd.substr (0, asset.mpd.rfind ('/') + 1) + name;
      g_autoptr (GError) error = nullptr;
      g_autofree gchar *path = gst_offline_cache_lookup (cache, url.c_str (), nullptr, &error);
      if (!path) {
        fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND),
            "segment %u: %s", i, error->message);
        fail_if (all, "segment %u is missing after the last run", i);
        continue;
      }
      whole++;
      g_autofree gchar *local = g_build_filename (asset.dir, name, nullptr);
      g_autoptr (GBytes) expected = ot_read_file (local);
      g_autoptr (GBytes) held = ot_read_file (path);
      fail_unless (g_bytes_equal (expected, held), "segment %u is visible but not what the server sent", i);
    }
    return whole;
  };

  guint previous = 0;
  for (guint run = 0; run < 4; run++) {
    CliProcess download (asset.data_dir, { "download", asset.mpd.c_str (), "--id", "k" });
    for (guint line = 0; line <= run % 2; line++)
      download.read_until ("k: ");
    kill (download.pid, SIGKILL);
    download.wait ();
    guint whole = check_visible (false);
    fail_unless (whole >= previous, "run %u: %u whole segments, %u before", run, whole, previous);
    previous = whole;
  }
  fail_unless (previous < kAssetSegments, "every segment was in before the last kill: too fast for this test");

  for (guint i = 1; i <= kAssetSegments; i++) {
    g_autofree gchar *path = g_strdup_printf ("/seg-%03u.m4s", i);
    ot_server_set_rate (asset.server, path, 0);
  }
  std::string out = cli (asset.data_dir, { "download", asset.mpd.c_str (), "--id", "k" });
  fail_unless (out.find ("k: completed") != std::string::npos, "%s", out.c_str ());
  check_visible (true);
  cli (asset.data_dir, { "verify" });
}
GST_END_TEST;

static Suite *scale_suite (void)
{
  Suite *s = suite_create ("scale");
  TCase *tc = tcase_create ("scale");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_manager_sees_changes_of_other_connections);
  tcase_add_test (tc, test_sigkill_leaves_only_whole_segments);
  tcase_add_test (tc, test_killed_removal_is_finished_by_the_next_manager);
  suite_add_tcase (s, tc);
  return s;
}

int main (int argc, char **argv)
{
  if (argc == 4 && g_str_equal (argv[1], "--remove-and-die"))
    return remove_and_die (argv[2], argv[3]);
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (scale_suite (), "scale", __FILE__);
}
