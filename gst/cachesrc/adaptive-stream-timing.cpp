/* AdaptiveStream: WebVTT segments, pushed whole with their cue times
 * mapped onto the media track's timeline. Kept apart from the pushing
 * itself.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "adaptive-stream.h"

#include <vector>

#define GST_CAT_DEFAULT gst_cache_src_debug

namespace gst_offline {

void
AdaptiveStream::push_webvtt_segment ()
{
  const gchar *stream_key = gst_offline_track_get_stream_key (track ());
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
    GstFlowReturn ret = source_.read_block (reader_, &block);
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
  reader_ = SegmentSource::Reader ();

  std::string why;
  std::optional<WebvttTimestampMap> timestamp_map;
  std::optional<std::string> rewritten;
  if (webvtt_read_timestamp_map (text, &timestamp_map, &why)) {
    std::optional<MediaTimeMap> media;
    GstOfflineTrack *media_track = timestamp_map ? playback_->media_track () : nullptr;
    if (media_track) {
      bool error;
      media = playback_->time_mapper ().period_map (media_track, current_, track_index_, source_, &error);
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
}

} // namespace gst_offline
