/* The playback plan: what an adaptive download's downloader records for
 * cachesrc, read back in batches and looked up by time.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "db/database.h"
#include "index/download-record.h"
#include "index/playback-plan.h"

#include <gst/check/gstcheck.h>

#include "test-support.h"

using namespace gst_offline;

namespace {

constexpr guint64 kSecond = 1000000000ULL;

std::unique_ptr<Database> open_db (const char *name)
{
  g_autofree gchar *dir = ot_make_temp_dir (name);
  GError *error = nullptr;
  auto db = Database::open (database_path (dir), true, &error);
  fail_unless (db != nullptr, "%s", error ? error->message : "");
  return db;
}

/* Two tracks: video in 2 s segments, audio in 3 s ones, `count` each. */
void store_sample (Database &db, const char *id, guint count)
{
  PlanTrack video;
  video.index = 0;
  video.stream_key = "0.0.1";
  video.type = TrackType::Video;
  video.container = "fmp4";
  video.codecs = "avc1.64001f";
  video.width = 1280;
  video.height = 720;
  video.bandwidth = 3000000;
  video.protection.push_back ({ "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b", "dash/mpd", std::string ("<cp\0/>", 6) });
  PlanTrack audio;
  audio.index = 1;
  audio.stream_key = "0.1.0";
  audio.type = TrackType::Audio;
  audio.container = "fmp4";
  audio.language = "en";
  std::vector<PlanSegment> segments;
  for (guint i = 0; i < count; i++) {
    segments.push_back ({ 0, i, 0, i * 2 * kSecond, 2 * kSecond, "v" + std::to_string (i), "v-init", false, "", "" });
    segments.push_back ({ 1, i, 0, i * 3 * kSecond, 3 * kSecond, "a" + std::to_string (i), "a-init", i == 5, "k",
        std::string (16, '\x01') });
  }
  GError *error = nullptr;
  fail_unless (playback_plan::store (db, id, { video, audio }, segments, &error), "%s", error ? error->message : "");
}

}  // namespace

GST_START_TEST (test_plan_round_trip)
{
  auto db = open_db ("plan");
  store_sample (*db, "movie", 10);
  GError *error = nullptr;
  auto tracks = playback_plan::tracks (*db, "movie", &error);
  fail_unless (tracks && tracks->size () == 2);
  const PlanTrack &video = (*tracks)[0];
  fail_unless (video.type == TrackType::Video && video.height == 720u && video.codecs == "avc1.64001f");
  fail_unless_equals_int (video.protection.size (), 1);
  fail_unless_equals_int (video.protection[0].data.size (), 6);
  fail_unless ((*tracks)[1].language == "en" && (*tracks)[1].protection.empty ());

  auto batch = playback_plan::segments (*db, "movie", 1, 4, 3, &error);
  fail_unless (batch && batch->size () == 3);
  fail_unless_equals_int ((*batch)[0].number, 4);
  fail_unless ((*batch)[1].discontinuity && (*batch)[1].iv.size () == 16 && (*batch)[1].key_resource == "k");
  fail_unless_equals_uint64 (playback_plan::duration_ns (*db, "movie"), 30 * kSecond);
}
GST_END_TEST;

GST_START_TEST (test_segment_at_time)
{
  auto db = open_db ("seek");
  store_sample (*db, "movie", 1000);
  GError *error = nullptr;
  const struct {
    guint track;
    guint64 time;
    guint64 number;
  } cases[] = { { 0, 0, 0 }, { 0, 2 * kSecond - 1, 0 }, { 0, 2 * kSecond, 1 }, { 0, 1001 * kSecond, 500 },
    { 1, 7 * kSecond, 2 }, { 0, 100000 * kSecond, 999 } };
  for (const auto &c : cases) {
    auto segment = playback_plan::segment_at (*db, "movie", c.track, c.time, &error);
    fail_unless (segment.has_value (), "%s", error ? error->message : "");
    fail_unless (segment->number == c.number, "track %u at %" G_GUINT64_FORMAT " ns: segment %" G_GUINT64_FORMAT
        ", expected %" G_GUINT64_FORMAT, c.track, c.time, segment->number, c.number);
  }
  fail_if (playback_plan::segment_at (*db, "movie", 7, 0, &error).has_value ());
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND));
  g_clear_error (&error);
}
GST_END_TEST;

GST_START_TEST (test_storing_again_replaces_and_removal_goes_with_the_download)
{
  auto db = open_db ("replace");
  store_sample (*db, "movie", 10);
  store_sample (*db, "movie", 4);
  store_sample (*db, "other", 3);
  GError *error = nullptr;
  auto all = playback_plan::segments (*db, "movie", 0, 0, 100, &error);
  fail_unless_equals_int (all->size (), 4);

  DownloadRecord record;
  record.id = "movie";
  record.uri = "http://h/movie.mpd";
  record.type = GST_OFFLINE_DOWNLOAD_TYPE_DASH;
  fail_unless (download_table::put (*db, record, &error));
  fail_unless (download_table::remove (*db, "movie", &error));
  fail_unless_equals_int (playback_plan::tracks (*db, "movie", &error)->size (), 0);
  fail_unless_equals_int (playback_plan::segments (*db, "movie", 1, 0, 100, &error)->size (), 0);
  fail_unless_equals_int (playback_plan::segments (*db, "other", 1, 0, 100, &error)->size (), 3);
}
GST_END_TEST;

static Suite *plan_suite (void)
{
  Suite *s = suite_create ("playback-plan");
  TCase *tc = tcase_create ("plan");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_plan_round_trip);
  tcase_add_test (tc, test_segment_at_time);
  tcase_add_test (tc, test_storing_again_replaces_and_removal_goes_with_the_download);
  return s;
}

GST_CHECK_MAIN (plan);
