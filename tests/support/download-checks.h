/* Reading and checking downloads through the public index, for the tests
 * that link the public library.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>

#include "test-support.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace ot {

/* The download `id` of `data_dir` as the index holds it now (transfer full);
 * fails the test if there is none. */
inline GstOfflineDownload *index_download (const gchar *data_dir, const gchar *id)
{
  GError *error = nullptr;
  GstOfflineDownloadIndex *index = gst_offline_download_index_new (data_dir, &error);
  fail_unless (index != nullptr, "cannot open the index of %s: %s", data_dir, error ? error->message : "?");
  GstOfflineDownload *download = gst_offline_download_index_get_download (index, id, &error);
  fail_unless (download != nullptr, "no download '%s' in the index: %s", id, error ? error->message : "?");
  g_object_unref (index);
  return download;
}

inline const gchar *state_name (GstOfflineDownload *d)
{
  return gst_offline_download_state_to_string (gst_offline_download_get_state (d));
}

inline void assert_state (GstOfflineDownload *d, GstOfflineDownloadState state)
{
  fail_unless (gst_offline_download_get_state (d) == state, "download '%s' is %s (failure: %s), expected %s",
      gst_offline_download_get_id (d), state_name (d), GST_STR_NULL (gst_offline_download_get_failure_message (d)),
      gst_offline_download_state_to_string (state));
}

/* The whole resource `key` of the cache of `data_dir` (transfer full);
 * fails the test if it is not whole there. */
inline GBytes *cached (const gchar *data_dir, const std::string &key)
{
  g_autoptr (GstOfflineCache) cache = gst_offline_cache_new (data_dir, nullptr);
  GError *error = nullptr;
  g_autofree gchar *path = gst_offline_cache_lookup (cache, key.c_str (), nullptr, &error);
  fail_unless (path != nullptr, "%s is not whole in the cache: %s", key.c_str (), error ? error->message : "");
  return ot_read_file (path);
}

/* A media segment of the plan: its track, times and the path it is served at. */
struct PlannedSegment {
  guint track;
  guint64 number;
  GstClockTime start, end;
  std::string path;
};

/* The media segments of the plan of download `id`, every track's, with
 * the paths `server` serves them at. */
inline std::vector<PlannedSegment> planned_segments (const gchar *data, const gchar *id, OtServer *server)
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
      result.push_back ({ track, s->number, s->start, s->start + s->duration, url.substr (base.size ()) });
    }
  }
  return result;
}

/* `server` was asked for every one of `segments` once, and in this order:
 * some that end by `position`, then (the download turned, asked for
 * `position` while segments before it were missing) every one that ends
 * after it, in start-time order, then the rest of those before it.
 * Returns how many end after `position`. */
inline size_t assert_turned_to (OtServer *server, const std::vector<PlannedSegment> &segments, GstClockTime position)
{
  std::vector<std::pair<gint64, const PlannedSegment *>> order;
  for (const auto &s : segments) {
    g_autoptr (GArray) times = ot_server_get_request_times (server, s.path.c_str ());
    fail_unless (times->len == 1, "%s was requested %u times", s.path.c_str (), times->len);
    order.emplace_back (g_array_index (times, gint64, 0), &s);
  }
  std::sort (order.begin (), order.end (), [] (const auto &a, const auto &b) { return a.first < b.first; });
  size_t ahead = std::count_if (segments.begin (), segments.end (),
      [&] (const PlannedSegment &s) { return s.end > position; });
  fail_unless (ahead >= 2 && ahead < segments.size ());
  size_t turn = 0;
  while (turn < order.size () && order[turn].second->end <= position)
    turn++;
  fail_unless (turn > 0 && turn + ahead < order.size (),
      "the download did not turn to %" GST_TIME_FORMAT " while segments before it were missing (turned after %zu "
      "of %zu)", GST_TIME_ARGS (position), turn, order.size ());
  GstClockTime last_start = 0;
  for (size_t i = turn; i < turn + ahead; i++) {
    fail_unless (order[i].second->end > position, "%s (%" GST_TIME_FORMAT ") came before the segments from %"
        GST_TIME_FORMAT " on", order[i].second->path.c_str (), GST_TIME_ARGS (order[i].second->start),
        GST_TIME_ARGS (position));
    fail_unless (order[i].second->start >= last_start);
    last_start = order[i].second->start;
  }
  for (size_t i = turn + ahead; i < order.size (); i++)
    fail_unless (order[i].second->end <= position);
  return ahead;
}

}  // namespace ot
