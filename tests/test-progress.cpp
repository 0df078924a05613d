/* Progress that is true (issue 11, item 5): bytes and percent never go
 * back; the total is an estimate, flagged as such (content_length -1,
 * estimated_length set), until every size is known; the manager's
 * snapshots, `status --json` and `list --json` agree; a pause is a pause in
 * the snapshots and in the daemon's log; after a SIGKILL, `status` does not
 * say `downloading` while no process holds the download.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>
#include <json-glib/json-glib.h>

#include "test-support.h"
#include "segmented-asset.h"

#include <csignal>
#include <string>
#include <vector>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace ot;

struct Snapshot {
  GstOfflineDownloadState state;
  guint stop_reason;
  guint64 bytes;
  gint64 content_length;
  gint64 estimated_length;
  double percent;
};

Snapshot snapshot_of (GstOfflineDownload *d)
{
  return { gst_offline_download_get_state (d), gst_offline_download_get_stop_reason (d),
    gst_offline_download_get_bytes_downloaded (d), gst_offline_download_get_content_length (d),
    gst_offline_download_get_estimated_length (d), gst_offline_download_get_percent_downloaded (d) };
}

struct Watch {
  std::vector<Snapshot> seen;
  GstOfflineDownloadState state = GST_OFFLINE_DOWNLOAD_STATE_QUEUED;
  GstOfflineDownload *last = nullptr;
  ~Watch () { g_clear_object (&last); }
};

void on_snapshot (GstOfflineDownloadManager *, GstOfflineDownload *download, Watch *watch)
{
  watch->seen.push_back (snapshot_of (download));
  watch->state = gst_offline_download_get_state (download);
  g_set_object (&watch->last, download);
}

}  // namespace

/* The snapshots of a DASH download paused midway and resumed: bytes and
 * percent never go back, the total is an estimate (content_length -1,
 * estimated_length at least the bytes) until every size is known, the pause is a stop
 * with reason 1, and what the CLI reads of the paused download is what the
 * last snapshot said. */
GST_START_TEST (test_progress_is_monotonic_estimated_and_agrees)
{
  SegmentedAsset asset ("progress", 32 * 1024);
  g_autoptr (GError) error = nullptr;
  g_autoptr (GstOfflineDownloadManager) manager = gst_offline_download_manager_new (asset.data_dir, &error);
  fail_unless (manager != nullptr, "%s", error ? error->message : "");
  Watch watch;
  g_signal_connect (manager, "download-progress", G_CALLBACK (on_snapshot), &watch);
  g_signal_connect (manager, "download-changed", G_CALLBACK (on_snapshot), &watch);

  g_autoptr (GstOfflineDownloadRequest) request = gst_offline_download_request_new ("p", asset.mpd.c_str ());
  g_autoptr (GstOfflineDownload) added = gst_offline_download_manager_add_download (manager, request, &error);
  fail_unless (added != nullptr, "%s", error ? error->message : "");

  /* Pause once a quarter is in, by the estimate. */
  while (watch.seen.empty () || watch.seen.back ().percent < 25)
    g_main_context_iteration (nullptr, TRUE);
  fail_unless (gst_offline_download_manager_set_stop_reason (manager, "p", 1, &error));
  while (watch.state != GST_OFFLINE_DOWNLOAD_STATE_STOPPED)
    g_main_context_iteration (nullptr, TRUE);
  Snapshot paused = snapshot_of (watch.last);
  fail_unless_equals_int (paused.stop_reason, 1);
  fail_unless (paused.bytes > 0 && paused.bytes < asset.bytes);

  /* The CLI reads what the snapshot said. */
  JsonParser *parser = json_parser_new ();
  for (const auto &args : std::vector<std::vector<const gchar *>> { { "status", "p", "--json" }, { "list", "--json" } }) {
    JsonObject *o = parse_object (cli (asset.data_dir, args), parser);
    fail_unless_equals_string (json_object_get_string_member (o, "state"), "stopped");
    fail_unless_equals_int64 (json_object_get_int_member (o, "bytes_downloaded"), (gint64) paused.bytes);
    fail_unless_equals_int64 (json_object_get_int_member (o, "content_length"), paused.content_length);
    fail_unless_equals_int64 (json_object_get_int_member (o, "estimated_length"), paused.estimated_length);
    fail_unless_equals_float (json_object_get_double_member (o, "percent"), paused.percent);
  }
  std::string status = cli (asset.data_dir, { "status", "p" });
  fail_unless (status.find ("of about") != std::string::npos, "status does not flag the estimate:\n%s", status.c_str ());
  g_object_unref (parser);

  fail_unless (gst_offline_download_manager_set_stop_reason (manager, "p", 0, &error));
  while (watch.state != GST_OFFLINE_DOWNLOAD_STATE_COMPLETED && watch.state != GST_OFFLINE_DOWNLOAD_STATE_FAILED)
    g_main_context_iteration (nullptr, TRUE);
  fail_unless_equals_int (watch.state, GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);

  guint progress_steps = 0;
  for (size_t i = 0; i < watch.seen.size (); i++) {
    const Snapshot &s = watch.seen[i];
    if (i > 0) {
      fail_unless (s.bytes >= watch.seen[i - 1].bytes, "bytes went back from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT,
          watch.seen[i - 1].bytes, s.bytes);
      fail_unless (s.percent >= watch.seen[i - 1].percent, "percent went back from %.1f to %.1f",
          watch.seen[i - 1].percent, s.percent);
    }
    if (s.state == GST_OFFLINE_DOWNLOAD_STATE_COMPLETED)
      continue;
    fail_unless (s.percent < 100, "%.1f%% before the end", s.percent);
    if (s.bytes > 0 && s.bytes < asset.bytes) {
      /* The exact total is known once every segment's answer has come. */
      if (progress_steps++ == 0)
        fail_unless_equals_int64 (s.content_length, -1);
      if (s.content_length < 0)
        fail_unless (s.estimated_length >= (gint64) s.bytes, "estimate %" G_GINT64_FORMAT " below the bytes held",
            s.estimated_length);
      else
        fail_unless_equals_int64 (s.estimated_length, s.content_length);
    }
  }
  fail_unless (progress_steps >= 3, "only %u steps of progress", progress_steps);
  Snapshot done = watch.seen.back ();
  fail_unless_equals_float (done.percent, 100);
  fail_unless (done.bytes >= asset.bytes);
  fail_unless_equals_int64 (done.content_length, (gint64) done.bytes);
  fail_unless_equals_int64 (done.estimated_length, done.content_length);
}
GST_END_TEST;

/* The daemon logs a pause as `ID: paused`, never as stop reason 0. */
GST_START_TEST (test_daemon_logs_paused)
{
  SegmentedAsset asset ("daemon-pause", 16 * 1024);
  cli (asset.data_dir, { "download", asset.mpd.c_str (), "--id", "d", "--no-wait" });
  CliProcess daemon (asset.data_dir, { "daemon" });
  daemon.read_until ("d: downloading");
  cli (asset.data_dir, { "pause", "d" });
  daemon.read_until ("d: paused", "stop reason");
  cli (asset.data_dir, { "resume", "d" });
  daemon.read_until ("d: completed", "stop reason");
  kill (daemon.pid, SIGTERM);
  fail_unless_equals_int (daemon.wait (), 0);
}
GST_END_TEST;

/* A `download` killed with SIGKILL leaves its row saying `downloading`;
 * nothing holds it any more, so status and list say `queued`, and the next
 * run carries it on to the end. */
GST_START_TEST (test_status_after_sigkill)
{
  SegmentedAsset asset ("sigkill-status", 16 * 1024);
  {
    CliProcess download (asset.data_dir, { "download", asset.mpd.c_str (), "--id", "k" });
    /* A progress line: it runs, and holds the download. */
    download.read_until ("k: ");
    JsonParser *parser = json_parser_new ();
    JsonObject *o = parse_object (cli (asset.data_dir, { "status", "k", "--json" }), parser);
    fail_unless_equals_string (json_object_get_string_member (o, "state"), "downloading");
    kill (download.pid, SIGKILL);
    fail_unless_equals_int (download.wait (), 128 + SIGKILL);
    o = parse_object (cli (asset.data_dir, { "status", "k", "--json" }), parser);
    fail_unless_equals_string (json_object_get_string_member (o, "state"), "queued");
    o = parse_object (cli (asset.data_dir, { "list", "--json" }), parser);
    fail_unless_equals_string (json_object_get_string_member (o, "state"), "queued");
    g_object_unref (parser);
  }
  for (guint i = 1; i <= kAssetSegments; i++) {
    g_autofree gchar *path = g_strdup_printf ("/seg-%03u.m4s", i);
    ot_server_set_rate (asset.server, path, 0);
  }
  std::string out = cli (asset.data_dir, { "download", asset.mpd.c_str (), "--id", "k" });
  fail_unless (out.find ("k: completed") != std::string::npos, "%s", out.c_str ());
}
GST_END_TEST;

static Suite *progress_suite (void)
{
  Suite *s = suite_create ("progress");
  TCase *tc = tcase_create ("progress");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_progress_is_monotonic_estimated_and_agrees);
  tcase_add_test (tc, test_daemon_logs_paused);
  tcase_add_test (tc, test_status_after_sigkill);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (progress);
