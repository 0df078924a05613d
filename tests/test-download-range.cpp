/* Which segments a download fetches, and when: a player asking a running
 * download for a position (through the index, from another process), and
 * downloads of a time range (--start/--end), checked at the test server.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>
#include <gst/offline/offline-playback-private.h>
#include <glib/gstdio.h>

#include "adaptive-content.h"
#include "download-checks.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace {

using ot::Cli;
using ot::run;
#define assert_exit ot_assert_exit

/* DASH of 6 s in 1 s segments: one video (640x360), one audio. */
gchar *make_dash_1s (const char *name)
{
  gchar *dir = ot_make_temp_dir (name);
  g_autofree gchar *mpd = g_build_filename (dir, "manifest.mpd", nullptr);
  ot::make_ladder (dir, { "-adaptation_sets", "id=0,streams=v id=1,streams=a", "-seg_duration", "1", "-f", "dash", mpd },
      true);
  return dir;
}

/* A media segment of the plan: its track, times and the path it is served at. */
struct PlannedSegment {
  guint track;
  GstClockTime start, end;
  std::string path;
};

std::vector<PlannedSegment> planned_segments (const gchar *data, const gchar *id, OtServer *server)
{
  std::vector<PlannedSegment> result;
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (data, nullptr);
  g_autoptr (GPtrArray) tracks = gst_offline_download_index_get_tracks (index, id, nullptr);
  fail_unless (tracks && tracks->len > 0);
  std::string base = ot_server_get_base_url (server);
  for (guint t = 0; t < tracks->len; t++) {
    guint track = gst_offline_track_get_index (GST_OFFLINE_TRACK (g_ptr_array_index (tracks, t)));
    g_autoptr (GPtrArray) segments = gst_offline_download_index_get_segments (index, id, track, 0, 1000, nullptr);
    for (guint i = 0; i < segments->len; i++) {
      auto *s = static_cast<GstOfflineSegment *> (g_ptr_array_index (segments, i));
      std::string url = s->resource;
      fail_unless (g_str_has_prefix (url.c_str (), base.c_str ()), "%s", url.c_str ());
      result.push_back ({ track, s->start, s->start + s->duration, url.substr (base.size ()) });
    }
  }
  return result;
}

struct FirstSegmentWhole {
  const gchar *data;
};

gboolean first_segment_is_whole (gpointer user_data)
{
  auto *w = static_cast<FirstSegmentWhole *> (user_data);
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (w->data, nullptr);
  if (!index)
    return FALSE;
  g_autoptr (GPtrArray) segments = gst_offline_download_index_get_segments (index, "movie", 0, 0, 1, nullptr);
  if (!segments || segments->len == 0)
    return FALSE;
  g_autoptr (GstOfflineCache) cache = gst_offline_cache_new (w->data, nullptr);
  auto *first = static_cast<GstOfflineSegment *> (g_ptr_array_index (segments, 0));
  g_autofree gchar *path = gst_offline_cache_lookup (cache, first->resource, nullptr, nullptr);
  return path != nullptr;
}

}  // namespace

/* A download running in another process (the CLI), one segment at a time
 * and slowed down at the server, is asked through the index for the part
 * from 4 s on: once it turns, it fetches every track's segments that end
 * after 4 s, in order, then goes back for the ones before that it had not
 * fetched, and completes with every segment fetched once. */
GST_START_TEST (test_requested_position_is_fetched_next)
{
  g_autofree gchar *dir = make_dash_1s ("position");
  g_autofree gchar *data = g_build_filename (dir, "data", nullptr);
  g_mkdir_with_parents (data, 0700);
  OtServer *server = ot_server_new ();
  auto names = ot::serve_dir (server, dir);
  for (const auto &name : names) {
    if (g_str_has_prefix (name.c_str (), "chunk-"))
      ot_server_set_rate (server, ("/" + name).c_str (), 200 * 1024);
  }
  std::string mpd = std::string (ot_server_get_base_url (server)) + "/manifest.mpd";
  const gchar *argv[] = { "download", mpd.c_str (), "--id", "movie", "--segment-parallelism", "1", nullptr };
  GPid pid = ot_spawn_cli (data, argv);

  FirstSegmentWhole wait { data };
  ot_wait_for_changes (data, first_segment_is_whole, &wait);
  const GstClockTime position = 4 * GST_SECOND;
  {
    g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (data, nullptr);
    GError *error = nullptr;
    fail_unless (gst_offline_download_index_request_position (index, "movie", position, &error), "%s",
        error ? error->message : "");
    fail_if (gst_offline_download_index_request_position (index, "nothing", position, &error));
    fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND));
    g_clear_error (&error);
  }
  fail_unless_equals_int (ot_wait_pid (pid), 0);

  /* Every segment once, in the order of their requests. */
  auto segments = planned_segments (data, "movie", server);
  std::vector<std::pair<gint64, const PlannedSegment *>> order;
  for (const auto &s : segments) {
    g_autoptr (GArray) times = ot_server_get_request_times (server, s.path.c_str ());
    fail_unless (times->len == 1, "%s was requested %u times", s.path.c_str (), times->len);
    order.emplace_back (g_array_index (times, gint64, 0), &s);
  }
  std::sort (order.begin (), order.end (), [] (const auto &a, const auto &b) { return a.first < b.first; });
  size_t ahead = std::count_if (segments.begin (), segments.end (),
      [&] (const PlannedSegment &s) { return s.end > position; });
  fail_unless (ahead >= 4 && ahead < segments.size ());
  size_t turn = 0;
  while (turn < order.size () && order[turn].second->end <= position)
    turn++;
  fail_unless (turn > 0 && turn + ahead < order.size (),
      "the download did not turn to 4 s while segments before it were missing (turned after %zu of %zu)", turn,
      order.size ());
  GstClockTime last_start = 0;
  for (size_t i = turn; i < turn + ahead; i++) {
    fail_unless (order[i].second->end > position, "%s (%" GST_TIME_FORMAT ") came before the segments from 4 s on",
        order[i].second->path.c_str (), GST_TIME_ARGS (order[i].second->start));
    fail_unless (order[i].second->start >= last_start);
    last_start = order[i].second->start;
  }
  for (size_t i = turn + ahead; i < order.size (); i++)
    fail_unless (order[i].second->end <= position);
  g_autoptr (GstOfflineDownload) d = ot::index_download (data, "movie");
  ot::assert_state (d, GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
  fail_unless_equals_float (gst_offline_download_get_percent_downloaded (d), 100.0);
  ot::assert_verify_clean (data);
  ot_server_free (server);
}
GST_END_TEST;

static Suite *download_range_suite (void)
{
  Suite *s = suite_create ("download-range");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 240);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_requested_position_is_fetched_next);
  return s;
}

GST_CHECK_MAIN (download_range);
