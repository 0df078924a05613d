/* The download manager in-process: requirements that hold downloads back and
 * release them, the space check before fetching, stop reasons, and the speed
 * and ETA of running downloads.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gio/gio.h>
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>

#include "test-support.h"

#include <sys/statvfs.h>

#include <string>
#include <vector>

namespace {

const gchar *kPath = "/movie.mp4";
gchar *shared_mp4 = nullptr;

/* A manager on a fresh data directory, serving one media file. */
struct Fixture {
  gchar *data_dir;
  OtServer *server;
  gchar *url;
  gsize size;
  GstOfflineDownloadManager *manager;
  GMainLoop *loop;
  std::vector<GstOfflineDownload *> changes;
  std::vector<GstOfflineDownload *> progress;
  std::vector<guint> requirement_changes;

  explicit Fixture (const char *name, GstOfflineRequirements requirements, guint64 min_free_space)
  {
    if (!shared_mp4) {
      g_autofree gchar *media_dir = ot_make_temp_dir ("media");
      shared_mp4 = ot_make_mp4 (media_dir, "movie.mp4", 6, FALSE);
    }
    g_autofree gchar *dir = ot_make_temp_dir (name);
    data_dir = g_build_filename (dir, "data", nullptr);
    server = ot_server_new ();
    url = ot_server_add_file (server, kPath, shared_mp4);
    g_autoptr (GBytes) bytes = ot_read_file (shared_mp4);
    size = g_bytes_get_size (bytes);
    GError *error = nullptr;
    manager = GST_OFFLINE_DOWNLOAD_MANAGER (g_initable_new (GST_OFFLINE_TYPE_DOWNLOAD_MANAGER, nullptr, &error,
        "data-dir", data_dir, "requirements", requirements, "min-free-space", min_free_space, nullptr));
    fail_unless (manager != nullptr, "%s", error ? error->message : "");
    loop = g_main_loop_new (nullptr, FALSE);
    g_signal_connect (manager, "download-changed", G_CALLBACK (+[] (GstOfflineDownloadManager *, GstOfflineDownload *d,
        Fixture *f) { f->changes.push_back (GST_OFFLINE_DOWNLOAD (g_object_ref (d))); }), this);
    g_signal_connect (manager, "download-progress", G_CALLBACK (+[] (GstOfflineDownloadManager *,
        GstOfflineDownload *d, Fixture *f) { f->progress.push_back (GST_OFFLINE_DOWNLOAD (g_object_ref (d))); }), this);
    g_signal_connect (manager, "requirements-changed", G_CALLBACK (+[] (GstOfflineDownloadManager *, guint not_met,
        Fixture *f) { f->requirement_changes.push_back (not_met); }), this);
  }
  ~Fixture ()
  {
    g_object_unref (manager);
    for (auto d : changes)
      g_object_unref (d);
    for (auto d : progress)
      g_object_unref (d);
    g_main_loop_unref (loop);
    ot_server_free (server);
    g_free (url);
    g_free (data_dir);
  }

  GstOfflineDownload *add (const char *id)
  {
    g_autoptr (GstOfflineDownloadRequest) request = gst_offline_download_request_new (id, url);
    GError *error = nullptr;
    GstOfflineDownload *d = gst_offline_download_manager_add_download (manager, request, &error);
    fail_unless (d != nullptr, "%s", error ? error->message : "");
    return d;
  }

  /* Runs the main loop until `done` says so, at most `seconds`. */
  template <typename Pred> bool run_until (Pred done, guint seconds = 60)
  {
    gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
    while (!done () && g_get_monotonic_time () < deadline)
      g_main_context_iteration (nullptr, FALSE) || (g_usleep (10000), true);
    return done ();
  }

  GstOfflineDownloadState last_state (const char *id)
  {
    for (auto it = changes.rbegin (); it != changes.rend (); ++it) {
      if (g_str_equal (gst_offline_download_get_id (*it), id))
        return gst_offline_download_get_state (*it);
    }
    return GST_OFFLINE_DOWNLOAD_STATE_QUEUED;
  }

  GstOfflineDownload *snapshot (const char *id)
  {
    GError *error = nullptr;
    GstOfflineDownload *d = gst_offline_download_manager_get_download (manager, id, &error);
    fail_unless (d != nullptr, "%s", error ? error->message : "");
    return d;
  }
};

guint64 free_bytes (const char *path)
{
  struct statvfs st;
  fail_unless (statvfs (path, &st) == 0);
  return static_cast<guint64> (st.f_bavail) * st.f_frsize;
}

}  // namespace

GST_START_TEST (test_storage_requirement_holds_then_releases)
{
  /* More free space than any disk has: the requirement cannot be met. */
  Fixture f ("storage", GST_OFFLINE_REQUIREMENTS_STORAGE_NOT_LOW, G_MAXUINT64 / 4);
  fail_unless (gst_offline_download_manager_get_not_met_requirements (f.manager) & GST_OFFLINE_REQUIREMENTS_STORAGE_NOT_LOW);
  g_autoptr (GstOfflineDownload) added = f.add ("held");
  fail_unless_equals_int (gst_offline_download_get_state (added), GST_OFFLINE_DOWNLOAD_STATE_QUEUED);
  f.run_until ([] { return false; }, 1);
  fail_unless_equals_int (ot_server_get_request_count (f.server, kPath), 0);
  fail_unless_equals_int (f.last_state ("held"), GST_OFFLINE_DOWNLOAD_STATE_QUEUED);

  g_autofree gchar *names = gst_offline_requirements_to_string (GST_OFFLINE_REQUIREMENTS_STORAGE_NOT_LOW);
  fail_unless_equals_string (names, "storage-not-low");
  fail_unless (gst_offline_requirements_get_not_met (GST_OFFLINE_REQUIREMENTS_STORAGE_NOT_LOW, f.data_dir,
      G_MAXUINT64 / 4, nullptr) == GST_OFFLINE_REQUIREMENTS_STORAGE_NOT_LOW);
  /* A loopback host needs no network, whatever the network says. */
  fail_unless (gst_offline_requirements_get_not_met (GST_OFFLINE_REQUIREMENTS_NETWORK, f.data_dir, 0, f.url)
      == GST_OFFLINE_REQUIREMENTS_NONE);

  /* Met again: the download starts by itself and completes. */
  g_object_set (f.manager, "min-free-space", (guint64) 0, nullptr);
  fail_unless (f.run_until ([&] { return f.last_state ("held") == GST_OFFLINE_DOWNLOAD_STATE_COMPLETED; }),
      "the download did not complete once the requirement was met (last state %s)",
      gst_offline_download_state_to_string (f.last_state ("held")));
  fail_unless (f.run_until ([&] { return !f.requirement_changes.empty (); }, 5), "no requirements-changed signal");
  fail_unless_equals_int (f.requirement_changes.back (), GST_OFFLINE_REQUIREMENTS_NONE);
  fail_unless_equals_int (gst_offline_download_manager_get_not_met_requirements (f.manager), GST_OFFLINE_REQUIREMENTS_NONE);
}
GST_END_TEST;

GST_START_TEST (test_download_that_cannot_fit_fails_before_fetching)
{
  g_autofree gchar *dir = ot_make_temp_dir ("space-probe");
  /* Keeping a gigabyte more free than there is: nothing fits. */
  Fixture f ("space", GST_OFFLINE_REQUIREMENTS_NONE, free_bytes (dir) + (1ULL << 30));
  g_autoptr (GstOfflineDownload) added = f.add ("too-big");
  fail_unless (f.run_until ([&] { return f.last_state ("too-big") == GST_OFFLINE_DOWNLOAD_STATE_FAILED; }));
  g_autoptr (GstOfflineDownload) d = f.snapshot ("too-big");
  fail_unless_equals_int (gst_offline_download_get_failure_code (d), GST_OFFLINE_ERROR_NO_SPACE);
  const gchar *message = gst_offline_download_get_failure_message (d);
  fail_unless (strstr (message, "not enough space") != nullptr, "%s", message);
  fail_unless_equals_uint64 (gst_offline_download_get_bytes_downloaded (d), 0);
  /* One request, answered with the length, and no retry: space is not transient. */
  fail_unless_equals_int (ot_server_get_request_count (f.server, kPath), 1);
}
GST_END_TEST;

GST_START_TEST (test_stop_reason_stops_and_clearing_it_resumes)
{
  Fixture f ("stop", GST_OFFLINE_REQUIREMENTS_NONE, 0);
  ot_server_set_rate (f.server, kPath, f.size / 3);
  g_autoptr (GstOfflineDownload) added = f.add ("paused");
  fail_unless (f.run_until ([&] {
    g_autoptr (GstOfflineDownload) d = f.snapshot ("paused");
    return gst_offline_download_get_bytes_downloaded (d) > 0;
  }));
  GError *error = nullptr;
  fail_unless (gst_offline_download_manager_set_stop_reason (f.manager, "paused", 7, &error));
  fail_unless (f.run_until ([&] { return f.last_state ("paused") == GST_OFFLINE_DOWNLOAD_STATE_STOPPED; }, 5),
      "not stopped");
  g_autoptr (GstOfflineDownload) stopped = f.snapshot ("paused");
  fail_unless_equals_int (gst_offline_download_get_stop_reason (stopped), 7);
  guint64 kept = gst_offline_download_get_bytes_downloaded (stopped);
  fail_unless (kept > 0 && kept < f.size, "kept %" G_GUINT64_FORMAT, kept);
  guint requests = ot_server_get_request_count (f.server, kPath);
  f.run_until ([] { return false; }, 1);
  fail_unless_equals_int (ot_server_get_request_count (f.server, kPath), requests);

  ot_server_set_rate (f.server, kPath, 0);
  fail_unless (gst_offline_download_manager_set_stop_reason (f.manager, "paused", GST_OFFLINE_STOP_REASON_NONE, &error));
  fail_unless (f.run_until ([&] { return f.last_state ("paused") == GST_OFFLINE_DOWNLOAD_STATE_COMPLETED; }));
  g_autofree gchar *range = ot_server_get_last_range (f.server, kPath);
  fail_unless (range != nullptr, "the resumed request asked for no range");

  fail_if (gst_offline_download_manager_set_stop_reason (f.manager, "absent", 1, &error));
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND));
  g_clear_error (&error);
}
GST_END_TEST;

GST_START_TEST (test_running_download_reports_speed_and_eta)
{
  Fixture f ("speed", GST_OFFLINE_REQUIREMENTS_NONE, 0);
  guint64 rate = MAX (f.size / 4, 64 * 1024);
  ot_server_set_rate (f.server, kPath, rate);
  g_autoptr (GstOfflineDownload) added = f.add ("timed");
  fail_unless (f.run_until ([&] { return f.last_state ("timed") == GST_OFFLINE_DOWNLOAD_STATE_COMPLETED; }));
  bool measured = false;
  for (auto d : f.progress) {
    if (gst_offline_download_get_speed (d) > 0) {
      measured = true;
      /* Loosely: the machine is shared, only the order of magnitude counts. */
      fail_unless (gst_offline_download_get_speed (d) < rate * 10.0, "speed %f", gst_offline_download_get_speed (d));
      fail_unless (gst_offline_download_get_eta (d) >= 0);
    }
  }
  fail_unless (measured, "no progress snapshot had a speed");
  g_autoptr (GstOfflineDownload) done = f.snapshot ("timed");
  fail_unless_equals_float (gst_offline_download_get_speed (done), 0);
  fail_unless_equals_int64 (gst_offline_download_get_eta (done), -1);
}
GST_END_TEST;

GST_START_TEST (test_adding_again_merges_the_request_and_restarts)
{
  Fixture f ("merge", GST_OFFLINE_REQUIREMENTS_NONE, 0);
  g_autoptr (GstOfflineDownloadRequest) first = gst_offline_download_request_new ("merged", f.url);
  const gchar *first_keys[] = { "0.0.0", "0.1.0", nullptr };
  gst_offline_download_request_set_stream_keys (first, first_keys);
  g_autoptr (GBytes) data = g_bytes_new_static ("app data", 8);
  gst_offline_download_request_set_custom_data (first, data);
  GError *error = nullptr;
  g_autoptr (GstOfflineDownload) added = gst_offline_download_manager_add_download (f.manager, first, &error);
  fail_unless (added != nullptr);
  fail_unless (f.run_until ([&] { return f.last_state ("merged") == GST_OFFLINE_DOWNLOAD_STATE_COMPLETED; }));

  /* The same id again, with another track: the union, and it runs again. */
  g_autoptr (GstOfflineDownloadRequest) second = gst_offline_download_request_new ("merged", f.url);
  const gchar *second_keys[] = { "0.1.0", "0.2.0", nullptr };
  gst_offline_download_request_set_stream_keys (second, second_keys);
  g_autoptr (GstOfflineDownload) merged = gst_offline_download_manager_add_download (f.manager, second, &error);
  fail_unless (merged != nullptr, "%s", error ? error->message : "");
  const gchar *const *keys = gst_offline_download_request_get_stream_keys (gst_offline_download_get_request (merged));
  fail_unless_equals_int (g_strv_length ((gchar **) keys), 3);
  fail_unless (g_strv_contains (keys, "0.0.0") && g_strv_contains (keys, "0.1.0") && g_strv_contains (keys, "0.2.0"));
  g_autoptr (GBytes) kept = gst_offline_download_request_dup_custom_data (gst_offline_download_get_request (merged));
  fail_unless (kept && g_bytes_equal (kept, data), "custom data was lost in the merge");
  fail_unless (gst_offline_download_get_state (merged) != GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
  fail_unless (f.run_until ([&] { return f.last_state ("merged") == GST_OFFLINE_DOWNLOAD_STATE_COMPLETED; }));

  /* The id of another URL is refused. */
  g_autoptr (GstOfflineDownloadRequest) other = gst_offline_download_request_new ("merged", "http://127.0.0.1:1/else.mp4");
  g_autoptr (GstOfflineDownload) refused = gst_offline_download_manager_add_download (f.manager, other, &error);
  fail_unless (refused == nullptr);
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT), "%s", error->message);
  g_clear_error (&error);
}
GST_END_TEST;

static Suite *manager_suite (void)
{
  Suite *s = suite_create ("manager");
  TCase *tc = tcase_create ("manager");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_storage_requirement_holds_then_releases);
  tcase_add_test (tc, test_download_that_cannot_fit_fails_before_fetching);
  tcase_add_test (tc, test_stop_reason_stops_and_clearing_it_resumes);
  tcase_add_test (tc, test_running_download_reports_speed_and_eta);
  tcase_add_test (tc, test_adding_again_merges_the_request_and_restarts);
  return s;
}

GST_CHECK_MAIN (manager);
