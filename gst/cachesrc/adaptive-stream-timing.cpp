/* AdaptiveStream: where media time meets presentation time (MPEG-TS
 * segment times, WebVTT cue times). Kept apart from the pushing itself.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "adaptive-stream.h"

#include "fmp4-timing.h"

#include <vector>

#define GST_CAT_DEFAULT gst_cache_src_debug

namespace gst_offline {

void
AdaptiveStream::push_webvtt_segment ()
{
  const gchar *stream_key = gst_offline_track_get_stream_key (track_.get ());
  const std::string &id = playback_->download_id ();
  if (reader_.size > kMaxWebvttSegmentSize) {
    GST_ELEMENT_ERROR (element (), STREAM, DECODE,
        ("WebVTT segment %" G_GUINT64_FORMAT " of track %s of download '%s' is too large", current_->number,
            stream_key, id.c_str ()),
        ("%s: %" G_GUINT64_FORMAT " bytes", reader_.key.c_str (), reader_.size));
    finish (GST_FLOW_ERROR, true);
    return;
  }
  GstClockTime pts = reader_.pts;
  bool discont = reader_.discont;
  std::string text;
  while (reader_.offset < reader_.size) {
    GstBuffer *block = nullptr;
    GstFlowReturn ret = read_block (reader_, &block);
    if (ret != GST_FLOW_OK) {
      finish (ret, true);
      return;
    }
    GstMapInfo map;
    if (gst_buffer_map (block, &map, GST_MAP_READ)) {
      text.append (reinterpret_cast<const char *> (map.data), map.size);
      gst_buffer_unmap (block, &map);
    }
    gst_buffer_unref (block);
  }
  reader_ = Reader ();

  std::string why;
  std::optional<WebvttTimestampMap> timestamp_map;
  std::optional<std::string> rewritten;
  if (webvtt_read_timestamp_map (text, &timestamp_map, &why)) {
    std::optional<MediaTimeMap> media;
    GstOfflineTrack *media_track = timestamp_map ? playback_->media_track () : nullptr;
    if (media_track) {
      bool error;
      media = period_map (media_track, current_, &error);
      if (error) {
        finish (GST_FLOW_ERROR, true);
        return;
      }
    }
    rewritten = webvtt_rewrite (text, timestamp_map, media, &why);
  }
  if (!rewritten) {
    GST_ELEMENT_ERROR (element (), STREAM, DECODE,
        ("WebVTT segment %" G_GUINT64_FORMAT " of track %s of download '%s' is malformed: %s", current_->number,
            stream_key, id.c_str (), why.c_str ()),
        ("%s", current_->resource));
    finish (GST_FLOW_ERROR, true);
    return;
  }
  GstBuffer *buffer = gst_buffer_new_memdup (rewritten->data (), rewritten->size ());
  GST_BUFFER_PTS (buffer) = pts;
  if (discont)
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DISCONT);
  GstFlowReturn ret = gst_pad_push (pad (), buffer);
  if (ret != GST_FLOW_OK)
    finish (ret, false);
  else
    not_linked_ = false;
}

std::optional<MediaTimeMap>
AdaptiveStream::period_map (GstOfflineTrack *track, const GstOfflineSegment *near, bool *error)
{
  *error = false;
  guint index = gst_offline_track_get_index (track);
  auto known = period_maps_.find ({ index, near->period });
  if (known != period_maps_.end ())
    return known->second;

  /* The period's first segment in that track (a plan that cannot be read
   * leaves the period without a map, as one without segments). */
  guint64 upper = near->number;
  if (index != track_index_) {
    /* `near` is of another track: search up to that track's segment there. */
    g_autoptr (GError) find_error = nullptr;
    g_autoptr (GstOfflineSegment) at = playback_->find_segment (index, near->start, &find_error);
    upper = at ? at->number : 0;
    if (at && at->period < near->period)
      upper++;
  }
  g_autoptr (GError) plan_error = nullptr;
  g_autoptr (GPtrArray) found = playback_->period_segments (index, near->period, upper, 1, &plan_error);
  auto *first = found && found->len > 0 ? static_cast<GstOfflineSegment *> (g_ptr_array_index (found, 0)) : nullptr;
  std::optional<GstClockTime> media_time;
  if (!first || first->period != near->period)
    GST_WARNING_OBJECT (pad (), "track %u has no segment in period %u", index, near->period);
  else if (!(media_time = media_time_of (track, first, error)) && *error)
    return std::nullopt;
  /* Remembered either way: a period without a map is not looked at again. */
  std::optional<MediaTimeMap> map;
  if (media_time) {
    map = MediaTimeMap { first->start, *media_time };
    GST_DEBUG_OBJECT (pad (), "track %u, period %u: presentation %" GST_TIME_FORMAT " is media time %" GST_TIME_FORMAT,
        index, near->period, GST_TIME_ARGS (map->presentation), GST_TIME_ARGS (map->media));
  }
  period_maps_[{ index, near->period }] = map;
  return map;
}

std::optional<GstClockTime>
AdaptiveStream::media_time_of (GstOfflineTrack *track, const GstOfflineSegment *segment, bool *error)
{
  *error = false;
  std::optional<GstClockTime> media_time;
  if (g_str_equal (gst_offline_track_get_container (track), "fmp4")) {
    Reader init, fragment;
    if (segment->init_resource
        && (!open_resource (segment->init_resource, true, &init) || !open_resource (segment->resource, false, &fragment))) {
      *error = true;
      return std::nullopt;
    }
    auto timescale = init.fd ? fmp4_track_timescale (init.fd.get (), init.size) : std::nullopt;
    auto decode_time = init.fd ? fmp4_first_decode_time (fragment.fd.get (), fragment.size) : std::nullopt;
    if (timescale && *timescale && decode_time)
      media_time = gst_util_uint64_scale (*decode_time, GST_SECOND, *timescale);
  } else if (g_str_equal (gst_offline_track_get_container (track), "mpegts")) {
    /* tsdemux times its output from the first PCR (else the first PES
     * timestamp), which is in the first packets. */
    Reader ts;
    if (!open_resource (segment->resource, false, &ts) || (segment->key_resource && !start_decryption (segment, &ts))) {
      *error = true;
      return std::nullopt;
    }
    std::vector<guint8> head;
    while (ts.offset < ts.size && head.size () < 1024 * 1024 && !media_time) {
      GstBuffer *block = nullptr;
      if (read_block (ts, &block) != GST_FLOW_OK) {
        *error = true;
        return std::nullopt;
      }
      GstMapInfo map;
      if (gst_buffer_map (block, &map, GST_MAP_READ)) {
        head.insert (head.end (), map.data, map.data + map.size);
        gst_buffer_unmap (block, &map);
      }
      gst_buffer_unref (block);
      media_time = mpegts_first_pcr (head.data (), head.size ());
    }
    if (!media_time)
      media_time = mpegts_first_timestamp (head.data (), head.size ());
  }
  if (!media_time)
    GST_WARNING_OBJECT (pad (), "no media time in segment %s", segment->resource);
  return media_time;
}

} // namespace gst_offline
