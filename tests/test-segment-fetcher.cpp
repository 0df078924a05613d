/* Segments fetched in parallel into the cache: byte ranges of one file and
 * whole files, bounded parallelism seen at the server, nothing fetched
 * twice, a server that ignores Range, a failing segment.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cache/cache-private.h"
#include "downloader/segment-fetcher.h"
#include "http/http-client.h"

#include <gst/check/gstcheck.h>

#include "test-support.h"

using namespace gst_offline;

namespace {

constexpr gsize kFileSize = 600 * 1024;
constexpr guint kRanges = 10;
constexpr guint kFiles = 5;

struct World {
  gchar *dir;
  OtServer *server;
  GstOfflineCache *cache;
  SoupSession *session;
  GBytes *big;
  std::vector<GBytes *> files;
  std::vector<SegmentSpec> segments;

  World (const char *name)
  {
    dir = ot_make_temp_dir (name);
    server = ot_server_new ();
    GError *error = nullptr;
    g_autofree gchar *data_dir = g_build_filename (dir, "data", nullptr);
    cache = cache_open_for_writing (data_dir, &error);
    fail_unless (cache != nullptr);
    session = http_session_new ();
    g_autofree gchar *big_path = ot_make_random_file (dir, "single.mp4", kFileSize);
    big = ot_read_file (big_path);
    g_autofree gchar *big_url = ot_server_add_file (server, "/single.mp4", big_path);
    /* Ranges of one file, of uneven sizes, tiling it. */
    guint64 offset = 0;
    for (guint i = 0; i < kRanges; i++) {
      guint64 length = i + 1 < kRanges ? kFileSize / kRanges + i * 97 : kFileSize - offset;
      ByteRange range { offset, length };
      segments.push_back ({ { big_url, segment_cache_key (big_url, range), "d", {}, range }, -1 });
      offset += length;
    }
    for (guint i = 0; i < kFiles; i++) {
      g_autofree gchar *name_i = g_strdup_printf ("seg%u.m4s", i);
      g_autofree gchar *path = ot_make_random_file (dir, name_i, 50 * 1024 + i);
      files.push_back (ot_read_file (path));
      g_autofree gchar *server_path = g_strdup_printf ("/%s", name_i);
      g_autofree gchar *url = ot_server_add_file (server, server_path, path);
      segments.push_back ({ { url, url, "d", {}, std::nullopt }, -1 });
    }
  }
  ~World ()
  {
    for (GBytes *b : files)
      g_bytes_unref (b);
    g_bytes_unref (big);
    g_object_unref (session);
    g_object_unref (cache);
    ot_server_free (server);
    g_free (dir);
  }

  /* Runs a fetch to its end; returns its error (or NULL). */
  GError *fetch (guint parallelism, std::vector<SegmentFetcher::Progress> *progress = nullptr,
      GCancellable *cancel_after_first = nullptr)
  {
    g_autoptr (GCancellable) cancellable = cancel_after_first ? G_CANCELLABLE (g_object_ref (cancel_after_first))
                                                              : g_cancellable_new ();
    DownloaderContext context { session, cache, RetryPolicy { 0, 10, 10 }, nullptr };
    auto fetcher = SegmentFetcher::create (context, segments, parallelism, cancellable);
    bool done = false;
    GError *result = nullptr;
    fetcher->start (
        [&] (const SegmentFetcher::Progress &p) {
          if (progress)
            progress->push_back (p);
          if (cancel_after_first && p.bytes > 0)
            g_cancellable_cancel (cancel_after_first);
        },
        [&] (const GError *error) {
          fail_if (done, "done called twice");
          done = true;
          result = error ? g_error_copy (error) : nullptr;
        });
    gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
    while (!done && g_get_monotonic_time () < deadline)
      g_main_context_iteration (nullptr, TRUE);
    fail_unless (done, "the fetch did not end");
    return result;
  }

  void assert_all_cached ()
  {
    gsize big_size;
    auto big_data = static_cast<const char *> (g_bytes_get_data (big, &big_size));
    for (size_t i = 0; i < segments.size (); i++) {
      GError *error = nullptr;
      guint64 length = 0;
      g_autofree gchar *path = gst_offline_cache_lookup (cache, segments[i].fetch.cache_key.c_str (), &length, &error);
      fail_unless (path != nullptr, "segment %zu: %s", i, error ? error->message : "");
      g_autoptr (GBytes) cached = ot_read_file (path);
      if (i < kRanges) {
        const ByteRange &range = *segments[i].fetch.range;
        g_autoptr (GBytes) expected = g_bytes_new (big_data + range.offset, range.length);
        fail_unless (g_bytes_equal (cached, expected), "range segment %zu differs", i);
      } else {
        fail_unless (g_bytes_equal (cached, files[i - kRanges]), "file segment %zu differs", i);
      }
    }
  }
};

}  // namespace

GST_START_TEST (test_segments_fetched_in_parallel_once)
{
  World w ("parallel");
  for (guint i = 0; i < kFiles; i++) {
    g_autofree gchar *path = g_strdup_printf ("/seg%u.m4s", i);
    ot_server_set_rate (w.server, path, 200 * 1024);
  }
  ot_server_set_rate (w.server, "/single.mp4", 400 * 1024);
  std::vector<SegmentFetcher::Progress> progress;
  GError *error = w.fetch (3, &progress);
  fail_unless (error == nullptr, "%s", error ? error->message : "");
  w.assert_all_cached ();
  fail_unless_equals_int (ot_server_get_max_concurrent (w.server), 3);
  fail_unless (!progress.empty ());
  fail_unless_equals_float (progress.back ().percent, 100.0);
  fail_unless_equals_int64 (progress.back ().content_length, (gint64) (kFileSize + 5 * 50 * 1024 + 10));
  for (size_t i = 1; i < progress.size (); i++)
    fail_unless (progress[i].bytes >= progress[i - 1].bytes || progress[i].percent >= progress[i - 1].percent);

  /* A second fetch finds every segment whole: no request at all. */
  guint before = ot_server_get_request_count (w.server, "/single.mp4") + ot_server_get_request_count (w.server, "/seg0.m4s");
  error = w.fetch (3);
  fail_unless (error == nullptr);
  fail_unless_equals_int (ot_server_get_request_count (w.server, "/single.mp4") + ot_server_get_request_count (w.server, "/seg0.m4s"), before);
}
GST_END_TEST;

GST_START_TEST (test_ranges_from_a_server_that_ignores_range)
{
  World w ("ignore-range");
  ot_server_set_fault (w.server, "/single.mp4", OT_FAULT_IGNORE_RANGE, 0, -1);
  GError *error = w.fetch (2);
  fail_unless (error == nullptr, "%s", error ? error->message : "");
  w.assert_all_cached ();
}
GST_END_TEST;

GST_START_TEST (test_failing_segment_ends_the_fetch_keeping_the_rest)
{
  World w ("failing");
  ot_server_set_fault (w.server, "/seg2.m4s", OT_FAULT_STATUS, 404, -1);
  GError *error = w.fetch (2);
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_HTTP), "%s", error ? error->message : "no error");
  fail_unless (strstr (error->message, "404") && strstr (error->message, "seg2"), "%s", error->message);
  g_error_free (error);
  /* The ranges came first (in order) and are whole. */
  GError *lookup_error = nullptr;
  g_autofree gchar *first = gst_offline_cache_lookup (w.cache, w.segments[0].fetch.cache_key.c_str (), nullptr, &lookup_error);
  fail_unless (first != nullptr);

  ot_server_set_fault (w.server, "/seg2.m4s", OT_FAULT_NONE, 0, -1);
  error = w.fetch (2);
  fail_unless (error == nullptr, "%s", error ? error->message : "");
  w.assert_all_cached ();
}
GST_END_TEST;

GST_START_TEST (test_cancel_ends_with_cancelled)
{
  World w ("cancel");
  ot_server_set_rate (w.server, "/single.mp4", 100 * 1024);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  GError *error = w.fetch (2, nullptr, cancellable);
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED), "%s", error ? error->message : "no error");
  g_error_free (error);
}
GST_END_TEST;

static Suite *segment_suite (void)
{
  Suite *s = suite_create ("segment-fetcher");
  TCase *tc = tcase_create ("segments");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_segments_fetched_in_parallel_once);
  tcase_add_test (tc, test_ranges_from_a_server_that_ignores_range);
  tcase_add_test (tc, test_failing_segment_ends_the_fetch_keeping_the_rest);
  tcase_add_test (tc, test_cancel_ends_with_cancelled);
  return s;
}

GST_CHECK_MAIN (segment);
