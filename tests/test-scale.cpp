/* The mechanisms that keep gst-offline's costs flat as it grows (issue 18),
 * checked for what they must keep true; their speed is measured by
 * benchmarks/scale:
 *  - a manager keeps the index in memory and reads only the downloads other
 *    connections changed (download_changes), or the whole table when it fell
 *    behind the changes kept;
 *  - segments are made durable by one file system sync per batch before the
 *    rows that make them visible: a SIGKILL at any point of a segmented
 *    download leaves no visible resource that is not whole and exact.
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

}  // namespace

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
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (scale);
