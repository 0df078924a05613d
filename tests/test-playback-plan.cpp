/* The playback plan: what an adaptive download's downloader records for
 * cachesrc, read back in batches and looked up by time.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "db/database.h"
#include "db/schema.h"
#include "index/download-record.h"
#include "db/schema.h"
#include "index/playback-plan.h"

#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>
#include <gst/offline/offline-playback-private.h>

#include "test-support.h"

using namespace gst_offline;

namespace {

constexpr guint64 kSecond = 1000000000ULL;

gchar *last_dir = nullptr;

std::unique_ptr<Database> open_db (const char *name)
{
  g_free (last_dir);
  last_dir = ot_make_temp_dir (name);
  const gchar *dir = last_dir;
  GError *error = nullptr;
  auto db = Database::open (database_path (dir), true, &error);
  fail_unless (db != nullptr, "%s", error ? error->message : "");
  return db;
}

/* Two tracks: video in 2 s segments, audio in 3 s ones, `count` each. */
void store_sample (Database &db, const char *id, guint count)
{
  Track video;
  video.index = 0;
  video.stream_key = "0.0.1";
  video.type = TrackType::Video;
  video.container = "fmp4";
  video.codecs = "avc1.64001f";
  video.width = 1280;
  video.height = 720;
  video.bandwidth = 3000000;
  video.protection.push_back ({ "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b", "dash/mpd", std::string ("<cp\0/>", 6) });
  video.protection_systems = { "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b" };
  video.group = "0.0";
  video.mime_type = "video/mp4";
  video.frame_rate = 29.97;
  video.roles = { "main", "commentary" };
  video.accessibility = { "urn:tva:metadata:cs:AudioPurposeCS:2007 1" };
  video.audio_group = "aac";
  video.text_group = "";
  Track audio;
  audio.index = 1;
  audio.stream_key = "0.1.0";
  audio.type = TrackType::Audio;
  audio.container = "mss-fmp4";
  audio.language = "en";
  audio.timescale = 10000000;
  audio.codec_private_data = std::string ("\x12\x10\x00", 3);
  audio.sampling_rate = 44100;
  audio.channels = "2";
  audio.whole_presentation = true;
  audio.bits_per_sample = 16;
  audio.packet_size = 4;
  audio.audio_tag = 255;
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
  const Track &video = (*tracks)[0];
  fail_unless (video.type == TrackType::Video && video.height == 720u && video.codecs == "avc1.64001f");
  fail_unless_equals_int (video.protection.size (), 1);
  fail_unless_equals_int (video.protection[0].data.size (), 6);
  fail_unless ((*tracks)[1].language == "en" && (*tracks)[1].protection.empty ());
  fail_unless (video.timescale == 0 && video.codec_private_data.empty () && !video.sampling_rate && !video.audio_tag);
  const Track &audio = (*tracks)[1];
  fail_unless_equals_uint64 (audio.timescale, 10000000);
  fail_unless (audio.codec_private_data == std::string ("\x12\x10\x00", 3));
  fail_unless (audio.sampling_rate == 44100u && audio.channels == std::string ("2") && audio.bits_per_sample == 16u
      && audio.packet_size == 4u && audio.audio_tag == 255u && audio.whole_presentation);
  /* The plan keeps the whole track model, as a manifest's track has it. */
  fail_unless (video.group == "0.0" && video.mime_type == "video/mp4" && video.frame_rate && *video.frame_rate == 29.97);
  fail_unless (video.roles == std::vector<std::string> ({ "main", "commentary" }));
  fail_unless (video.accessibility == std::vector<std::string> ({ "urn:tva:metadata:cs:AudioPurposeCS:2007 1" }));
  fail_unless (video.protection_systems == std::vector<std::string> ({ "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b" }));
  fail_unless (video.audio_group == std::string ("aac") && video.text_group == std::string ());
  fail_unless (!audio.audio_group && !audio.text_group && !video.whole_presentation && !video.channels);

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
  /* The segments go after the row, in batches (here of 3 rows). */
  fail_unless_equals_int (playback_plan::segments (*db, "movie", 0, 0, 100, &error)->size (), 4);
  fail_unless (playback_plan::remove_segments (*db, "movie", 3, &error));
  fail_unless_equals_int (playback_plan::segments (*db, "movie", 0, 0, 100, &error)->size (), 0);
  fail_unless_equals_int (playback_plan::segments (*db, "movie", 1, 0, 100, &error)->size (), 0);
  fail_unless_equals_int (playback_plan::segments (*db, "other", 1, 0, 100, &error)->size (), 3);
}
GST_END_TEST;

/* A plan written as it is drawn: until finish () the old plan is the one
 * every connection reads, a writer dropped unfinished leaves it, and a
 * failed add (a number given twice) is the caller's to end. */
GST_START_TEST (test_writer_replaces_the_plan_only_when_finished)
{
  auto db = open_db ("writer");
  store_sample (*db, "movie", 10);
  GError *error = nullptr;
  auto reader = Database::open (db->path (), false, &error);
  fail_unless (reader != nullptr, "%s", error ? error->message : "");
  Track only;
  only.index = 0;
  only.stream_key = "0.0.0";
  only.type = TrackType::Video;
  only.container = "fmp4";
  {
    auto writer = playback_plan::Writer::begin (*db, "movie", &error);
    fail_unless (writer != nullptr, "%s", error ? error->message : "");
    for (guint i = 0; i < 3; i++)
      fail_unless (writer->add ({ 0, i, 0, i * kSecond, kSecond, "n" + std::to_string (i), "", false, "", "" }, &error));
    fail_unless_equals_int (writer->count (), 3);
    fail_unless_equals_int (playback_plan::segments (*reader, "movie", 0, 0, 100, &error)->size (), 10);
    /* Dropped: the old plan stays. */
  }
  fail_unless_equals_int (playback_plan::segments (*db, "movie", 0, 0, 100, &error)->size (), 10);
  fail_unless_equals_int (playback_plan::tracks (*db, "movie", &error)->size (), 2);
  {
    auto writer = playback_plan::Writer::begin (*db, "movie", &error);
    fail_unless (writer->add ({ 0, 0, 0, 0, kSecond, "n0", "", false, "", "" }, &error));
    fail_if (writer->add ({ 0, 0, 0, kSecond, kSecond, "n1", "", false, "", "" }, &error));
    fail_unless (error != nullptr);
    g_clear_error (&error);
  }
  fail_unless_equals_int (playback_plan::segments (*db, "movie", 0, 0, 100, &error)->size (), 10);
  auto writer = playback_plan::Writer::begin (*db, "movie", &error);
  for (guint i = 0; i < 3; i++)
    fail_unless (writer->add ({ 0, i, 0, i * kSecond, kSecond, "n" + std::to_string (i), "", false, "", "" }, &error));
  fail_unless (writer->finish ({ only }, {}, &error), "%s", error ? error->message : "");
  auto now = playback_plan::segments (*reader, "movie", 0, 0, 100, &error);
  fail_unless (now && now->size () == 3 && (*now)[2].resource == "n2");
  fail_unless_equals_int (playback_plan::tracks (*reader, "movie", &error)->size (), 1);
}
GST_END_TEST;

GST_START_TEST (test_public_api_reads_the_plan)
{
  auto db = open_db ("public");
  store_sample (*db, "movie", 10);
  GError *error = nullptr;
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (last_dir, &error);
  fail_unless (index != nullptr);
  g_autoptr (GPtrArray) tracks = gst_offline_download_index_get_tracks (index, "movie", &error);
  fail_unless (tracks && tracks->len == 2);
  auto video = GST_OFFLINE_TRACK (g_ptr_array_index (tracks, 0));
  fail_unless_equals_int (gst_offline_track_get_track_type (video), GST_OFFLINE_TRACK_TYPE_VIDEO);
  fail_unless_equals_int (gst_offline_track_get_height (video), 720);
  fail_unless_equals_string (gst_offline_track_get_container (video), "fmp4");
  g_autoptr (GPtrArray) events = gst_offline_track_get_protection_events (video);
  fail_unless_equals_int (events->len, 1);
  const gchar *system_id = nullptr, *origin = nullptr;
  GstBuffer *data = nullptr;
  gst_event_parse_protection (GST_EVENT (g_ptr_array_index (events, 0)), &system_id, &data, &origin);
  fail_unless_equals_string (system_id, "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b");
  fail_unless_equals_string (origin, "dash/mpd");
  fail_unless_equals_int (gst_buffer_get_size (data), 6);
  fail_unless (gst_offline_track_get_codec_private_data (video) == nullptr);
  auto audio = GST_OFFLINE_TRACK (g_ptr_array_index (tracks, 1));
  fail_unless_equals_uint64 (gst_offline_track_get_timescale (audio), 10000000);
  GBytes *config = gst_offline_track_get_codec_private_data (audio);
  fail_unless (config && g_bytes_get_size (config) == 3);
  fail_unless_equals_int (gst_offline_track_get_sampling_rate (audio), 44100);
  fail_unless_equals_string (gst_offline_track_get_channels (audio), "2");
  fail_unless_equals_int (gst_offline_track_get_bits_per_sample (audio), 16);
  fail_unless_equals_int (gst_offline_track_get_packet_size (audio), 4);
  fail_unless_equals_int (gst_offline_track_get_audio_tag (audio), 255);

  g_autoptr (GPtrArray) segments = gst_offline_download_index_get_segments (index, "movie", 1, 5, 2, &error);
  fail_unless (segments && segments->len == 2);
  auto fifth = static_cast<GstOfflineSegment *> (g_ptr_array_index (segments, 0));
  fail_unless (fifth->discontinuity && gst_offline_segment_get_iv (fifth) && g_bytes_get_size (gst_offline_segment_get_iv (fifth)) == 16);
  fail_unless_equals_uint64 (fifth->start, 15 * kSecond);
  g_autoptr (GstOfflineSegment) found = gst_offline_download_index_find_segment (index, "movie", 0, 5 * kSecond, &error);
  fail_unless (found && found->number == 2 && g_str_equal (found->resource, "v2") && g_str_equal (found->init_resource, "v-init"));
  g_autoptr (GstOfflineSegment) copy = gst_offline_segment_copy (found);
  fail_unless (copy->resource != found->resource && g_str_equal (copy->resource, "v2"));
  fail_unless_equals_uint64 (gst_offline_download_index_get_duration (index, "movie"), 30 * kSecond);
  g_autoptr (GPtrArray) none = gst_offline_download_index_get_tracks (index, "absent", &error);
  fail_unless (none && none->len == 0);
}
GST_END_TEST;

/* Each segment read from a plan says where its Period ends, for playback
 * to stop the Period there; one of a Period that ends with its media (the
 * last) says none. Through the plan, and through the segments playback
 * reads (copies included). */
GST_START_TEST (test_segments_know_their_period_end)
{
  auto db = open_db ("period-end");
  Track video;
  video.index = 0;
  video.stream_key = "0.0.0";
  video.type = TrackType::Video;
  video.container = "fmp4";
  std::vector<PlanSegment> segments;
  for (guint i = 0; i < 4; i++)
    segments.push_back ({ 0, i, i / 2, i * 2 * kSecond, 2 * kSecond, "v" + std::to_string (i), "init", false, "", "" });
  GError *error = nullptr;
  fail_unless (playback_plan::store (*db, "movie", { video }, segments, &error,
                   { { 0, 0, 3 * kSecond }, { 1, 3 * kSecond, std::nullopt } }),
      "%s", error ? error->message : "");
  auto read = playback_plan::segments (*db, "movie", 0, 0, 10, &error);
  fail_unless (read && read->size () == 4);
  for (const PlanSegment &s : *read) {
    if (s.period == 0)
      fail_unless (s.period_end_ns && *s.period_end_ns == 3 * kSecond, "segment %" G_GUINT64_FORMAT, s.number);
    else
      fail_if (s.period_end_ns.has_value (), "segment %" G_GUINT64_FORMAT, s.number);
  }
  auto at = playback_plan::segment_at (*db, "movie", 0, 2 * kSecond, &error);
  fail_unless (at && at->period_end_ns && *at->period_end_ns == 3 * kSecond);

  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (last_dir, &error);
  fail_unless (index != nullptr);
  g_autoptr (GstOfflineSegment) opening = gst_offline_download_index_find_segment (index, "movie", 0, 0, &error);
  g_autoptr (GstOfflineSegment) closing = gst_offline_download_index_find_segment (index, "movie", 0, 7 * kSecond, &error);
  fail_unless (opening && closing && closing->number == 3);
  fail_unless_equals_uint64 (gst_offline_segment_get_period_end (opening), 3 * kSecond);
  fail_if (GST_CLOCK_TIME_IS_VALID (gst_offline_segment_get_period_end (closing)));
  g_autoptr (GstOfflineSegment) copy = gst_offline_segment_copy (opening);
  fail_unless_equals_uint64 (gst_offline_segment_get_period_end (copy), 3 * kSecond);
}
GST_END_TEST;

/* A plan written before schema version 4 (no codec setup columns) reads
 * back after the migration with those fields empty, its rows kept. */
GST_START_TEST (test_version_3_plan_is_migrated)
{
  std::string path;
  {
    auto db = open_db ("v3");
    path = database_path (last_dir);
    GError *error = nullptr;
    /* Undo migrations 4 -> 5 to 10 -> 11 too. */
    fail_unless (db->exec ("ALTER TABLE downloads DROP COLUMN live_duration_ns; ALTER TABLE downloads DROP COLUMN live_from_start;"
        "ALTER TABLE downloads DROP COLUMN recording; ALTER TABLE downloads DROP COLUMN recorded_ns;"
        "ALTER TABLE downloads DROP COLUMN missing_ns; ALTER TABLE downloads DROP COLUMN live_lag_ns;"
        "DROP TABLE recording_tracks;"
        "DROP TRIGGER download_changed; ALTER TABLE downloads DROP COLUMN range_start_ns;"
        "ALTER TABLE downloads DROP COLUMN range_end_ns; ALTER TABLE downloads DROP COLUMN wanted_position_ns;"
        "DROP TABLE periods; ALTER TABLE segments DROP COLUMN early_ns;"
        "DROP INDEX segments_to_fetch; ALTER TABLE segments DROP COLUMN fetch_url;"
        "ALTER TABLE segments DROP COLUMN range_offset; ALTER TABLE segments DROP COLUMN range_length;"
        "ALTER TABLE segments DROP COLUMN expected_length;"
        "DROP TRIGGER download_inserted; DROP TRIGGER download_deleted;"
        "DROP TABLE download_changes; DROP INDEX downloads_by_start; ALTER TABLE downloads DROP COLUMN estimated_length;"
        "ALTER TABLE tracks DROP COLUMN timescale; ALTER TABLE tracks DROP COLUMN codec_private_data;"
        "ALTER TABLE tracks DROP COLUMN sampling_rate; ALTER TABLE tracks DROP COLUMN channels;"
        "ALTER TABLE tracks DROP COLUMN bits_per_sample; ALTER TABLE tracks DROP COLUMN packet_size;"
        "ALTER TABLE tracks DROP COLUMN audio_tag; ALTER TABLE tracks DROP COLUMN kids;"
        "ALTER TABLE tracks DROP COLUMN license_url; ALTER TABLE tracks DROP COLUMN group_name;"
        "ALTER TABLE tracks DROP COLUMN mime_type; ALTER TABLE tracks DROP COLUMN frame_rate;"
        "ALTER TABLE tracks DROP COLUMN roles; ALTER TABLE tracks DROP COLUMN accessibility;"
        "ALTER TABLE tracks DROP COLUMN protection_systems; ALTER TABLE tracks DROP COLUMN audio_group;"
        "ALTER TABLE tracks DROP COLUMN text_group; ALTER TABLE tracks DROP COLUMN whole_presentation;"
        "PRAGMA user_version=3;"
        "INSERT INTO tracks (download_id, track, stream_key, type, container, codecs, width, height) "
        "VALUES ('old', 0, '0.0.1', 0, 'fmp4', 'avc1.64001f', 1280, 720)", &error), "%s", error ? error->message : "");
  }
  GError *error = nullptr;
  auto db = Database::open (path, true, &error);
  fail_unless (db != nullptr, "%s", error ? error->message : "");
  auto version = db->prepare ("PRAGMA user_version", &error);
  fail_unless (version && version->step (&error) == Statement::Step::Row);
  fail_unless_equals_int (version->int64 (0), gst_offline::kSchemaVersion);
  auto tracks = playback_plan::tracks (*db, "old", &error);
  fail_unless (tracks && tracks->size () == 1, "%s", error ? error->message : "");
  const Track &t = (*tracks)[0];
  fail_unless (t.codecs == "avc1.64001f" && t.height == 720u);
  fail_unless (t.timescale == 0 && t.codec_private_data.empty () && !t.sampling_rate && !t.channels && !t.audio_tag);
  fail_unless (t.kids.empty () && t.license_url.empty ());
  fail_unless (t.roles.empty () && t.group.empty () && !t.frame_rate && !t.audio_group && !t.whole_presentation);
  /* And a new plan stores its codec setup in the migrated table. */
  store_sample (*db, "new", 1);
  fail_unless_equals_uint64 (playback_plan::tracks (*db, "new", &error)->at (1).timescale, 10000000);
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
  tcase_add_test (tc, test_writer_replaces_the_plan_only_when_finished);
  tcase_add_test (tc, test_public_api_reads_the_plan);
  tcase_add_test (tc, test_segments_know_their_period_end);
  tcase_add_test (tc, test_version_3_plan_is_migrated);
  return s;
}

GST_CHECK_MAIN (plan);
