/* Segments fetched in parallel into the cache: byte ranges of one file and
 * whole files, bounded parallelism seen at the server, nothing fetched
 * twice, a server that ignores Range, a failing segment; adjacent ranges
 * merged into capped requests, split byte for byte, resumed after a cut.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cache/cache-private.h"
#include "cache/resource-writer.h"
#include "downloader/segment-fetcher.h"
#include "http/http-client.h"

#include <gst/check/gstcheck.h>

#include <algorithm>
#include <atomic>

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
    session = SOUP_SESSION (g_object_ref (http_shared_session ()));
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
    DownloaderContext context { session, cache, RetryPolicy { 0, 10, 10 }, nullptr, GST_OFFLINE_DEFAULT_SEGMENT_PARALLELISM };
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
    /* A fetch that never ends is caught by the test case's timeout. */
    while (!done)
      g_main_context_iteration (nullptr, TRUE);
    return result;
  }

  /* Every segment is whole: a range holds its bytes of `file` (the big
   * file unless told), a whole file the next of `files`. */
  void assert_all_cached (GBytes *file = nullptr)
  {
    size_t next_file = 0;
    for (size_t i = 0; i < segments.size (); i++) {
      GError *error = nullptr;
      guint64 length = 0;
      g_autofree gchar *path = gst_offline_cache_lookup (cache, segments[i].fetch.cache_key.c_str (), &length, &error);
      fail_unless (path != nullptr, "segment %zu: %s", i, error ? error->message : "");
      g_autoptr (GBytes) cached = ot_read_file (path);
      if (segments[i].fetch.range) {
        const ByteRange &range = *segments[i].fetch.range;
        g_autoptr (GBytes) expected = g_bytes_new_from_bytes (file ? file : big, range.offset, range.length);
        fail_unless (g_bytes_equal (cached, expected), "range segment %zu differs", i);
      } else {
        fail_unless (g_bytes_equal (cached, files[next_file++]), "file segment %zu differs", i);
      }
    }
  }

  guint64 held (size_t segment)
  {
    return gst_offline_cache_get_cached_length (cache, segments[segment].fetch.cache_key.c_str ());
  }

  /* The Range headers of the requests of `path`, in order. */
  std::vector<std::string> ranges_asked (const char *path)
  {
    g_autoptr (GPtrArray) ranges = ot_server_get_ranges (server, path);
    std::vector<std::string> out;
    for (guint i = 0; i < ranges->len; i++)
      out.emplace_back (static_cast<const char *> (g_ptr_array_index (ranges, i)));
    return out;
  }
};

/* Segments for byte ranges of `url`: (offset, length) pairs. */
std::vector<SegmentSpec> ranges_of (const std::string &url, const std::vector<std::pair<guint64, guint64>> &ranges)
{
  std::vector<SegmentSpec> segments;
  for (auto [offset, length] : ranges) {
    ByteRange range { offset, length };
    segments.push_back ({ { url, segment_cache_key (url, range), "d", {}, range }, -1 });
  }
  return segments;
}

std::string bytes_header (guint64 first, guint64 last)
{
  return "bytes=" + std::to_string (first) + "-" + std::to_string (last);
}

std::string joined (const std::vector<std::string> &lines)
{
  std::string text;
  for (const auto &line : lines)
    text += "'" + line + "' ";
  return text;
}

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
  /* The whole file came once and was split into the ten ranges. */
  fail_unless_equals_int (ot_server_get_request_count (w.server, "/single.mp4"), 1);
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

GST_START_TEST (test_adjacent_ranges_in_one_request)
{
  World w ("merged");
  GError *error = w.fetch (3);
  fail_unless (error == nullptr, "%s", error ? error->message : "");
  w.assert_all_cached ();
  /* Ten ranges tiling 600 KiB: one request, the file being smaller than the
   * least a merged request may ask for. */
  std::vector<std::string> asked = w.ranges_asked ("/single.mp4");
  fail_unless (asked == std::vector<std::string> { bytes_header (0, kFileSize - 1) }, "asked %s", joined (asked).c_str ());
  for (guint i = 0; i < kFiles; i++) {
    g_autofree gchar *path = g_strdup_printf ("/seg%u.m4s", i);
    fail_unless_equals_int (ot_server_get_request_count (w.server, path), 1);
  }
}
GST_END_TEST;

GST_START_TEST (test_ranges_that_do_not_follow_each_other_are_not_merged)
{
  World w ("gaps");
  w.segments = ranges_of (w.segments[0].fetch.url,
      { { 0, 100000 }, { 150000, 50000 }, { 200000, 60000 }, { 300000, 1000 }, { 299000, 1000 } });
  GError *error = w.fetch (1);
  fail_unless (error == nullptr, "%s", error ? error->message : "");
  w.assert_all_cached ();
  /* Only the second and the third follow each other in the file; the last
   * ends where the fourth begins, the other way round. */
  std::vector<std::string> asked = w.ranges_asked ("/single.mp4");
  std::vector<std::string> expected = { bytes_header (0, 99999), bytes_header (150000, 259999),
    bytes_header (300000, 300999), bytes_header (299000, 299999) };
  fail_unless (asked == expected, "asked %s", joined (asked).c_str ());
}
GST_END_TEST;

/* A file of 40 ranges of 256 KiB served at /big.mp4 in `w`; returns its bytes. */
static GBytes *serve_big_file (World &w)
{
  g_autofree gchar *path = ot_make_random_file (w.dir, "big.mp4", 40 * 256 * 1024);
  g_autofree gchar *url = ot_server_add_file (w.server, "/big.mp4", path);
  std::vector<std::pair<guint64, guint64>> ranges;
  for (guint64 i = 0; i < 40; i++)
    ranges.emplace_back (i * 256 * 1024, 256 * 1024);
  w.segments = ranges_of (url, ranges);
  return ot_read_file (path);
}

GST_START_TEST (test_merged_requests_are_capped)
{
  World w ("cap");
  g_autoptr (GBytes) big = serve_big_file (w);
  GError *error = w.fetch (1);
  fail_unless (error == nullptr, "%s", error ? error->message : "");
  w.assert_all_cached (big);
  /* One slot: 4 MiB, 4 MiB, then the last 2 MiB. */
  static_assert (kMaxMergedBytes == 16 * 256 * 1024, "the cap is 16 of these ranges");
  std::vector<std::string> asked = w.ranges_asked ("/big.mp4");
  std::vector<std::string> expected = { bytes_header (0, kMaxMergedBytes - 1),
    bytes_header (kMaxMergedBytes, 2 * kMaxMergedBytes - 1), bytes_header (2 * kMaxMergedBytes, 40 * 256 * 1024 - 1) };
  fail_unless (asked == expected, "asked %s", joined (asked).c_str ());
}
GST_END_TEST;

/* A fetch slot takes its next segment once the bytes of the last one are
 * written, without waiting for the sync and the rows that make it visible:
 * every sync is held until the second segment's bytes come (with one slot,
 * they never would if the slot waited: the test case's timeout ends it),
 * and every segment is whole in the end. The bytes may come before the
 * first sync even starts (a fast machine): that passes too, since nothing
 * is visible before its sync. */
struct SyncGate {
  GMutex lock;
  GCond changed;
  bool released = false;

  static void wait (gpointer data)
  {
    auto gate = static_cast<SyncGate *> (data);
    g_mutex_lock (&gate->lock);
    while (!gate->released)
      g_cond_wait (&gate->changed, &gate->lock);
    g_mutex_unlock (&gate->lock);
  }
  void release ()
  {
    g_mutex_lock (&lock);
    released = true;
    g_cond_broadcast (&changed);
    g_mutex_unlock (&lock);
  }
};

GST_START_TEST (test_slot_takes_the_next_segment_before_the_commit_lands)
{
  World w ("written");
  /* The five files, one request each. */
  w.segments.erase (w.segments.begin (), w.segments.begin () + kRanges);
  SyncGate gate;
  g_mutex_init (&gate.lock);
  g_cond_init (&gate.changed);
  ResourceWriter::set_sync_observer (SyncGate::wait, &gate);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  DownloaderContext context { w.session, w.cache, RetryPolicy { 0, 10, 10 }, nullptr, 1 };
  auto fetcher = SegmentFetcher::create (context, w.segments, 1, cancellable);
  bool done = false, overtook = false;
  GError *result = nullptr;
  fetcher->start (
      [&] (const SegmentFetcher::Progress &p) {
        /* Bytes past the first file before any sync has been let through. */
        if (p.bytes > 50 * 1024 && !overtook) {
          overtook = true;
          gate.release ();
        }
      },
      [&] (const GError *error) {
        done = true;
        result = error ? g_error_copy (error) : nullptr;
      });
  while (!done)
    g_main_context_iteration (nullptr, TRUE);
  ResourceWriter::set_sync_observer (nullptr, nullptr);
  g_mutex_clear (&gate.lock);
  g_cond_clear (&gate.changed);
  fail_unless (result == nullptr, "%s", result ? result->message : "");
  fail_unless (overtook);
  w.assert_all_cached ();
}
GST_END_TEST;

GST_START_TEST (test_merged_requests_share_the_parallel_slots)
{
  World w ("share");
  g_autoptr (GBytes) big = serve_big_file (w);
  /* The first four requests wait at the server until all four came, in
   * whatever order a loaded machine delivers them. */
  ot_server_hold_until (w.server, "/big.mp4", 4);
  GError *error = w.fetch (4);
  fail_unless (error == nullptr, "%s", error ? error->message : "");
  w.assert_all_cached (big);
  /* 10 MiB among 4 slots: no request takes more than its share, so all
   * four run at once. */
  fail_unless_equals_int (ot_server_get_max_concurrent (w.server), 4);
  std::vector<std::string> asked = w.ranges_asked ("/big.mp4");
  fail_unless (asked.size () > 4, "asked %s", joined (asked).c_str ());
  /* The four started together tile the start of the file, the first
   * taking its share (a quarter of the 40 ranges), the others less. */
  std::vector<std::pair<guint64, guint64>> together;
  for (size_t i = 0; i < 4; i++) {
    guint64 from = 0, to = 0;
    fail_unless (sscanf (asked[i].c_str (), "bytes=%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT, &from, &to) == 2,
        "asked %s", joined (asked).c_str ());
    together.emplace_back (from, to);
  }
  std::sort (together.begin (), together.end ());
  std::string first_range = bytes_header (together[0].first, together[0].second);
  std::string first_share = bytes_header (0, 10 * 256 * 1024 - 1);
  fail_unless_equals_string (first_range.c_str (), first_share.c_str ());
  for (size_t i = 1; i < 4; i++) {
    fail_unless (together[i].first == together[i - 1].second + 1, "asked %s", joined (asked).c_str ());
    fail_unless (together[i].second - together[i].first < 10 * 256 * 1024, "asked %s", joined (asked).c_str ());
  }
}
GST_END_TEST;

/* Cuts the merged request in the middle of the fifth range, then resumes
 * (from a server that honours Range, or one that answers 200 with the
 * whole file). */
static void cut_then_resume (const char *name, bool resume_ignores_range)
{
  World w (name);
  guint64 cut_at = w.segments[4].fetch.range->offset + 1000;
  ot_server_set_fault (w.server, "/single.mp4", OT_FAULT_CLOSE_AFTER, static_cast<gint64> (cut_at), 1);
  GError *error = w.fetch (1);
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NETWORK), "%s",
      error ? error->message : "no error");
  g_error_free (error);
  /* What came before the cut is whole, the cut range keeps its bytes. */
  for (size_t i = 0; i < 4; i++) {
    g_autofree gchar *path = gst_offline_cache_lookup (w.cache, w.segments[i].fetch.cache_key.c_str (), nullptr, nullptr);
    fail_unless (path != nullptr, "range %zu is not whole", i);
  }
  fail_unless_equals_uint64 (w.held (4), 1000);
  for (size_t i = 5; i < kRanges; i++)
    fail_unless_equals_uint64 (w.held (i), 0);

  if (resume_ignores_range)
    ot_server_set_fault (w.server, "/single.mp4", OT_FAULT_IGNORE_RANGE, 0, -1);
  error = w.fetch (1);
  fail_unless (error == nullptr, "%s", error ? error->message : "");
  w.assert_all_cached ();
  /* No whole range asked for again: the resume starts at the cut. */
  std::vector<std::string> asked = w.ranges_asked ("/single.mp4");
  std::vector<std::string> expected = { bytes_header (0, kFileSize - 1), bytes_header (cut_at, kFileSize - 1) };
  fail_unless (asked == expected, "asked %s", joined (asked).c_str ());
}

GST_START_TEST (test_cut_merged_request_resumes_at_the_cut)
{
  cut_then_resume ("cut", false);
}
GST_END_TEST;

GST_START_TEST (test_cut_merged_request_resumes_from_a_server_that_ignores_range)
{
  cut_then_resume ("cut-ignore", true);
}
GST_END_TEST;

/* Leading segments (the plan's initialization segments) and media
 * segments; a seek puts the media segments in another order (the last
 * first), and leaves the leading ones where they are. */
class SeekableSource : public gst_offline::SegmentSource {
public:
  SeekableSource (std::vector<SegmentSpec> leading, std::vector<SegmentSpec> media)
      : leading_ (std::move (leading)), media_ (std::move (media))
  {
    for (SegmentSpec &spec : leading_)
      spec.leading = true;
  }
  void rewind () override
  {
    next_leading_ = next_media_ = 0;
    reversed_ = false;
  }
  bool seek (guint64) override
  {
    reversed_ = true;
    next_media_ = 0;
    return true;
  }
  std::optional<std::vector<SegmentSpec>> next (size_t limit, GError **) override
  {
    std::vector<SegmentSpec> window;
    for (; next_leading_ < leading_.size () && window.size () < limit; next_leading_++)
      window.push_back (leading_[next_leading_]);
    for (; next_media_ < media_.size () && window.size () < limit; next_media_++)
      window.push_back (media_[reversed_ ? media_.size () - 1 - next_media_ : next_media_]);
    return window;
  }

private:
  std::vector<SegmentSpec> leading_, media_;
  size_t next_leading_ = 0, next_media_ = 0;
  bool reversed_ = false;
};

/* A player's seek while the leading segments are read and not all started
 * (the first held at the server): they are still fetched, and before the
 * media segments the seek puts first. A seek used to drop them, and the
 * download ended without them. */
GST_START_TEST (test_seek_keeps_leading_segments_first)
{
  World w ("leading");
  w.segments.erase (w.segments.begin (), w.segments.begin () + kRanges); /* the five files */
  std::vector<SegmentSpec> leading (w.segments.begin (), w.segments.begin () + 3);
  std::vector<SegmentSpec> media (w.segments.begin () + 3, w.segments.end ());
  ot_server_hold (w.server, "/seg0.m4s");
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  DownloaderContext context { w.session, w.cache, RetryPolicy { 0, 10, 10 }, nullptr, 1 };
  auto fetcher = SegmentFetcher::create (context, std::make_unique<SeekableSource> (leading, media), 1, cancellable);
  bool done = false;
  GError *result = nullptr;
  fetcher->start ([] (const SegmentFetcher::Progress &) {},
      [&] (const GError *error) {
        done = true;
        result = error ? g_error_copy (error) : nullptr;
      });
  /* The request goes out as the main context runs; the server holds it. */
  std::atomic<bool> held { false };
  struct Waiter {
    OtServer *server;
    std::atomic<bool> *held;
  } waiter { w.server, &held };
  GThread *thread = g_thread_new ("held", +[] (gpointer data) -> gpointer {
    auto *waiting = static_cast<Waiter *> (data);
    ot_server_wait_held (waiting->server, 1);
    *waiting->held = true;
    g_main_context_wakeup (nullptr);
    return nullptr;
  }, &waiter);
  while (!held)
    g_main_context_iteration (nullptr, TRUE);
  g_thread_join (thread);
  fetcher->seek (0);
  ot_server_release (w.server);
  while (!done)
    g_main_context_iteration (nullptr, TRUE);
  fail_unless (result == nullptr, "%s", result ? result->message : "");
  w.assert_all_cached ();
  auto asked_at = [&] (const char *path) {
    g_autoptr (GArray) times = ot_server_get_request_times (w.server, path);
    fail_unless (times->len == 1, "%s asked for %u times", path, times->len);
    return g_array_index (times, gint64, 0);
  };
  fail_unless (asked_at ("/seg2.m4s") < asked_at ("/seg4.m4s"), "a media segment was asked for before a leading one");
  fail_unless (asked_at ("/seg4.m4s") < asked_at ("/seg3.m4s"), "the seek did not turn the media segments");
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
  tcase_add_test (tc, test_adjacent_ranges_in_one_request);
  tcase_add_test (tc, test_ranges_that_do_not_follow_each_other_are_not_merged);
  tcase_add_test (tc, test_merged_requests_are_capped);
  tcase_add_test (tc, test_merged_requests_share_the_parallel_slots);
  tcase_add_test (tc, test_slot_takes_the_next_segment_before_the_commit_lands);
  tcase_add_test (tc, test_cut_merged_request_resumes_at_the_cut);
  tcase_add_test (tc, test_cut_merged_request_resumes_from_a_server_that_ignores_range);
  tcase_add_test (tc, test_seek_keeps_leading_segments_first);
  return s;
}

GST_CHECK_MAIN (segment);
