/* The download index: round trips, corrupt rows, stop reasons, readers of an
 * unused directory.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "db/database.h"
#include "index/download-private.h"

#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>

#include "test-support.h"

#include <string>
#include <vector>

using namespace gst_offline;

static DownloadRecord sample_record (const char *id)
{
  DownloadRecord r;
  r.id = id;
  r.uri = std::string ("http://example.com/") + id + ".mp4";
  r.type = GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE;
  r.stream_keys = { "0.1.2", "0.2.0" };
  r.headers = { "Authorization: Bearer x", "X-Other: y" };
  r.custom_data = std::string ("\0binary\xff", 8);
  r.key_set_id = std::string ("key-set");
  r.state = GST_OFFLINE_DOWNLOAD_STATE_QUEUED;
  r.start_time_ms = 1000;
  r.update_time_ms = 2000;
  r.content_length = 12345;
  r.failure_code = GST_OFFLINE_ERROR_HTTP;
  r.failure_message = "HTTP 500";
  r.percent = 42.5;
  r.bytes_downloaded = 5246;
  return r;
}

struct IndexFixture {
  gchar *dir;
  std::unique_ptr<Database> db;
};

static IndexFixture open_index (const char *name)
{
  IndexFixture f;
  f.dir = ot_make_temp_dir (name);
  GError *error = nullptr;
  f.db = Database::open (database_path (f.dir), true, &error);
  fail_unless (f.db != nullptr, "%s", error ? error->message : "");
  return f;
}

GST_START_TEST (test_record_round_trip)
{
  auto f = open_index ("roundtrip");
  g_autoptr (GError) error = nullptr;
  DownloadRecord written = sample_record ("movie");
  fail_unless (download_table::put (*f.db, written, &error));
  auto read = download_table::get (*f.db, "movie", &error);
  fail_unless (read.has_value (), "%s", error ? error->message : "");
  fail_unless (read->uri == written.uri);
  fail_unless (read->stream_keys == written.stream_keys);
  fail_unless (read->headers == written.headers);
  fail_unless (read->custom_data == written.custom_data);
  fail_unless (read->key_set_id == written.key_set_id);
  fail_unless_equals_int (read->state, written.state);
  fail_unless_equals_int64 (read->content_length, 12345);
  fail_unless (read->failure_code == GST_OFFLINE_ERROR_HTTP);
  fail_unless_equals_string (read->failure_message.c_str (), "HTTP 500");
  fail_unless_equals_float (read->percent, 42.5);
  fail_unless_equals_uint64 (read->bytes_downloaded, 5246);

  /* The public index sees the same, through snapshots. */
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (f.dir, &error);
  g_autoptr (GstOfflineDownload) download = gst_offline_download_index_get_download (index, "movie", &error);
  fail_unless (download != nullptr);
  fail_unless_equals_string (gst_offline_download_get_uri (download), written.uri.c_str ());
  GstOfflineDownloadRequest *request = gst_offline_download_get_request (download);
  fail_unless_equals_int (g_strv_length ((gchar **) gst_offline_download_request_get_stream_keys (request)), 2);
  g_autoptr (GBytes) custom = gst_offline_download_request_dup_custom_data (request);
  fail_unless_equals_int (g_bytes_get_size (custom), 8);
  fail_unless_equals_string (gst_offline_download_get_failure_message (download), "HTTP 500");
  g_free (f.dir);
}
GST_END_TEST;

GST_START_TEST (test_unknown_id_is_not_found)
{
  auto f = open_index ("unknown");
  g_autoptr (GError) error = nullptr;
  fail_if (download_table::get (*f.db, "nope", &error).has_value ());
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND));
  fail_unless (strstr (error->message, "nope") != nullptr);
  g_free (f.dir);
}
GST_END_TEST;

GST_START_TEST (test_corrupt_rows_are_named_and_skipped)
{
  auto f = open_index ("corrupt");
  g_autoptr (GError) error = nullptr;
  fail_unless (download_table::put (*f.db, sample_record ("good"), &error));
  fail_unless (download_table::put (*f.db, sample_record ("bad-state"), &error));
  fail_unless (download_table::put (*f.db, sample_record ("bad-type"), &error));
  fail_unless (download_table::put (*f.db, sample_record ("bad-percent"), &error));
  fail_unless (download_table::put (*f.db, sample_record ("bad-bytes"), &error));
  fail_unless (f.db->exec ("UPDATE downloads SET state = 99 WHERE id = 'bad-state';"
      "UPDATE downloads SET type = 'video' WHERE id = 'bad-type';"
      "UPDATE downloads SET percent = 250 WHERE id = 'bad-percent';"
      "UPDATE downloads SET bytes_downloaded = -5 WHERE id = 'bad-bytes';", &error));

  fail_if (download_table::get (*f.db, "bad-state", &error).has_value ());
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_CORRUPT));
  fail_unless (strstr (error->message, "bad-state") && strstr (error->message, "99"), "%s", error->message);
  g_clear_error (&error);

  std::vector<std::string> corrupt;
  auto records = download_table::list (*f.db, &corrupt, &error);
  fail_unless (records.has_value ());
  fail_unless_equals_int (records->size (), 1);
  fail_unless_equals_string ((*records)[0].id.c_str (), "good");
  fail_unless_equals_int (corrupt.size (), 4);

  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (f.dir, &error);
  g_autoptr (GPtrArray) downloads = gst_offline_download_index_get_downloads (index, &error);
  fail_unless_equals_int (downloads->len, 1);
  g_autoptr (GPtrArray) problems = gst_offline_download_index_verify (index, nullptr, &error);
  fail_unless_equals_int (problems->len, 4);
  gboolean named = FALSE;
  for (guint i = 0; i < problems->len; i++)
    named |= strstr (static_cast<const char *> (problems->pdata[i]), "bad-type") != nullptr;
  fail_unless (named);
  g_autoptr (GPtrArray) one = gst_offline_download_index_verify (index, "bad-type", &error);
  fail_unless_equals_int (one->len, 1);
  g_autoptr (GPtrArray) fine = gst_offline_download_index_verify (index, "good", &error);
  fail_unless_equals_int (fine->len, 0);
  fail_unless (gst_offline_download_index_verify (index, "absent", &error) == nullptr);
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND));
  g_free (f.dir);
}
GST_END_TEST;

/* `list` streams the index: every download in id order, one at a time,
 * stopping when asked; the corrupt row left out as get_downloads () does. */
GST_START_TEST (test_foreach_visits_in_id_order_and_stops)
{
  auto f = open_index ("foreach");
  g_autoptr (GError) error = nullptr;
  const char *ids[] = { "b", "c", "a", "B" };
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++) {
    DownloadRecord record = sample_record (ids[i]);
    record.start_time_ms = 1000 + i;  /* start order differs from id order */
    fail_unless (download_table::put (*f.db, record, &error));
  }
  fail_unless (f.db->exec ("UPDATE downloads SET type = 99 WHERE id = 'c'", &error));
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (f.dir, &error);
  struct Seen {
    std::vector<std::string> ids;
    size_t stop_after;
  } all { {}, 100 }, two { {}, 2 };
  auto collect = [] (GstOfflineDownload *download, gpointer data) -> gboolean {
    auto seen = static_cast<Seen *> (data);
    seen->ids.push_back (gst_offline_download_get_id (download));
    return seen->ids.size () < seen->stop_after;
  };
  fail_unless (gst_offline_download_index_foreach_download (index, collect, &all, &error));
  fail_unless (all.ids == std::vector<std::string> ({ "B", "a", "b" }), "order: %s %s %s", all.ids[0].c_str (),
      all.ids.size () > 1 ? all.ids[1].c_str () : "", all.ids.size () > 2 ? all.ids[2].c_str () : "");
  fail_unless (gst_offline_download_index_foreach_download (index, collect, &two, &error));
  fail_unless_equals_int (two.ids.size (), 2);
  g_free (f.dir);
}
GST_END_TEST;

GST_START_TEST (test_stop_reason_moves_queued_and_stopped_only)
{
  auto f = open_index ("stop");
  g_autoptr (GError) error = nullptr;
  DownloadRecord queued = sample_record ("queued");
  DownloadRecord done = sample_record ("done");
  done.state = GST_OFFLINE_DOWNLOAD_STATE_COMPLETED;
  fail_unless (download_table::put (*f.db, queued, &error));
  fail_unless (download_table::put (*f.db, done, &error));

  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (f.dir, &error);
  fail_unless (gst_offline_download_index_set_stop_reason (index, "queued", 7, &error));
  auto stopped = download_table::get (*f.db, "queued", &error);
  fail_unless_equals_int (stopped->state, GST_OFFLINE_DOWNLOAD_STATE_STOPPED);
  fail_unless_equals_int (stopped->stop_reason, 7);

  fail_unless (gst_offline_download_index_set_stop_reason (index, nullptr, 3, &error));
  auto completed = download_table::get (*f.db, "done", &error);
  fail_unless_equals_int (completed->state, GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
  fail_unless_equals_int (completed->stop_reason, 3);

  fail_unless (gst_offline_download_index_set_stop_reason (index, "queued", GST_OFFLINE_STOP_REASON_NONE, &error));
  fail_unless_equals_int (download_table::get (*f.db, "queued", &error)->state, GST_OFFLINE_DOWNLOAD_STATE_QUEUED);

  fail_if (gst_offline_download_index_set_stop_reason (index, "absent", 1, &error));
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND));
  g_free (f.dir);
}
GST_END_TEST;

GST_START_TEST (test_index_of_unused_directory_is_empty_and_creates_nothing)
{
  g_autofree gchar *parent = ot_make_temp_dir ("unused");
  g_autofree gchar *dir = g_build_filename (parent, "nothing-here", nullptr);
  g_autoptr (GError) error = nullptr;
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (dir, &error);
  fail_unless (index != nullptr);
  g_autoptr (GPtrArray) downloads = gst_offline_download_index_get_downloads (index, &error);
  fail_unless_equals_int (downloads->len, 0);
  g_autoptr (GstOfflineDownload) none = gst_offline_download_index_get_download (index, "x", &error);
  fail_unless (none == nullptr);
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND));
  fail_if (g_file_test (dir, G_FILE_TEST_EXISTS));
}
GST_END_TEST;

GST_START_TEST (test_index_opened_before_the_database_sees_it_appear)
{
  g_autofree gchar *parent = ot_make_temp_dir ("appears");
  g_autofree gchar *dir = g_build_filename (parent, "data", nullptr);
  g_autoptr (GError) error = nullptr;
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (dir, &error);
  g_autoptr (GstOfflineCache) cache = gst_offline_cache_new (dir, &error);
  g_autoptr (GPtrArray) none = gst_offline_download_index_get_downloads (index, &error);
  fail_unless_equals_int (none->len, 0);

  /* Another process starts the first download of this directory. */
  auto db = Database::open (database_path (dir), true, &error);
  fail_unless (download_table::put (*db, sample_record ("late"), &error));
  g_autoptr (GstOfflineDownload) found = gst_offline_download_index_get_download (index, "late", &error);
  fail_unless (found != nullptr, "the index kept reading its empty stand-in: %s", error ? error->message : "");
  fail_unless (db->exec ("INSERT INTO resources (key, file, length, created_ms) VALUES ('k', 'f', 3, 0)", &error));
  fail_unless_equals_uint64 (gst_offline_cache_get_cached_length (cache, "k"), 3);
}
GST_END_TEST;

GST_START_TEST (test_request_validation_and_id_derivation)
{
  g_autoptr (GstOfflineDownloadRequest) request = gst_offline_download_request_new (nullptr, "http://h/a/movie.mp4");
  g_autoptr (GError) error = nullptr;
  fail_unless (gst_offline_download_request_add_header (request, "Authorization:  Bearer t ", &error));
  fail_unless_equals_string (gst_offline_download_request_get_headers (request)[0], "Authorization: Bearer t");
  fail_if (gst_offline_download_request_add_header (request, "no colon", &error));
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT));
  g_clear_error (&error);
  fail_if (gst_offline_download_request_add_header (request, "X: a\r\nInjected: b", &error));
  g_clear_error (&error);
  fail_if (gst_offline_download_request_add_header (request, "Bad Name: v", &error));

  const struct {
    const char *uri, *id;
  } cases[] = {
    { "http://h/a/movie.mp4", "movie" },
    { "https://h/a/My%20Film.v2.mkv?token=1", "My-Film.v2" },
    { "http://h/", "download" },
    { "http://h/dir/../..", "download" },
    { "http://h/x/", "x" },
    /* Names every manifest has say nothing: the element before does. */
    { "http://h/shows/movie/manifest.mpd", "movie" },
    { "http://h/mss/movie.ism/Manifest", "movie" },
    { "http://h/hls/big-buck/master.m3u8", "big-buck" },
    { "http://h/manifest.mpd", "manifest" },
    /* Never an id that reads as an option or a directory. */
    { "http://h/-rf.mp4", "download" },
  };
  for (const auto &c : cases) {
    g_autofree gchar *id = gst_offline_download_request_derive_id (c.uri);
    fail_unless_equals_string (id, c.id);
  }
}
GST_END_TEST;

static Suite *index_suite (void)
{
  Suite *s = suite_create ("download-index");
  TCase *tc = tcase_create ("index");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_record_round_trip);
  tcase_add_test (tc, test_unknown_id_is_not_found);
  tcase_add_test (tc, test_corrupt_rows_are_named_and_skipped);
  tcase_add_test (tc, test_foreach_visits_in_id_order_and_stops);
  tcase_add_test (tc, test_stop_reason_moves_queued_and_stopped_only);
  tcase_add_test (tc, test_index_of_unused_directory_is_empty_and_creates_nothing);
  tcase_add_test (tc, test_index_opened_before_the_database_sees_it_appear);
  tcase_add_test (tc, test_request_validation_and_id_derivation);
  return s;
}

GST_CHECK_MAIN (index);
