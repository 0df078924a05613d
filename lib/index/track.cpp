/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "index/track-private.h"

/**
 * SECTION:offline-track
 * @title: GstOfflineTrack
 * @short_description: a downloaded track of an adaptive download
 *
 * The tracks and segments of an adaptive download, as its downloader
 * recorded them: what cachesrc plays without reading the manifest again
 * (gst_offline_download_index_get_tracks(),
 * gst_offline_download_index_get_segments(),
 * gst_offline_download_index_find_segment()).
 */

struct _GstOfflineTrack {
  GObject parent;
  gst_offline::PlanTrack track;
};

G_DEFINE_FINAL_TYPE (GstOfflineTrack, gst_offline_track, G_TYPE_OBJECT)

static void gst_offline_track_init (GstOfflineTrack *self)
{
  new (&self->track) gst_offline::PlanTrack ();
}

static void gst_offline_track_finalize (GObject *object)
{
  GST_OFFLINE_TRACK (object)->track.~PlanTrack ();
  G_OBJECT_CLASS (gst_offline_track_parent_class)->finalize (object);
}

static void gst_offline_track_class_init (GstOfflineTrackClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gst_offline_track_finalize;
}

namespace gst_offline {

GstOfflineTrack *track_new (const PlanTrack &track)
{
  auto self = GST_OFFLINE_TRACK (g_object_new (GST_OFFLINE_TYPE_TRACK, nullptr));
  self->track = track;
  return self;
}

GstOfflineSegment *segment_new (const PlanSegment &s)
{
  auto segment = g_new0 (GstOfflineSegment, 1);
  segment->number = s.number;
  segment->period = s.period;
  segment->start = s.start_ns;
  segment->duration = s.duration_ns;
  segment->resource = g_strdup (s.resource.c_str ());
  segment->init_resource = s.init_resource.empty () ? nullptr : g_strdup (s.init_resource.c_str ());
  segment->discontinuity = s.discontinuity;
  segment->key_resource = s.key_resource.empty () ? nullptr : g_strdup (s.key_resource.c_str ());
  segment->iv = s.iv.empty () ? nullptr : g_bytes_new (s.iv.data (), s.iv.size ());
  return segment;
}

}  // namespace gst_offline

#define TRACK_GETTER(type, name, fallback, expr)                 \
  type gst_offline_track_get_##name (GstOfflineTrack *self)     \
  {                                                             \
    g_return_val_if_fail (GST_OFFLINE_IS_TRACK (self), fallback); \
    return expr;                                                \
  }

/**
 * gst_offline_track_get_index:
 * @self: a #GstOfflineTrack
 *
 * Returns: its number within the download, from 0.
 */
TRACK_GETTER (guint, index, 0, self->track.index)

/**
 * gst_offline_track_get_stream_key:
 * @self: a #GstOfflineTrack
 *
 * Returns: the stream key it was chosen by.
 */
TRACK_GETTER (const gchar *, stream_key, nullptr, self->track.stream_key.c_str ())

/**
 * gst_offline_track_get_track_type:
 * @self: a #GstOfflineTrack
 *
 * Returns: what it carries.
 */
TRACK_GETTER (GstOfflineTrackType, track_type, GST_OFFLINE_TRACK_TYPE_VIDEO,
    static_cast<GstOfflineTrackType> (self->track.type))

/**
 * gst_offline_track_get_container:
 * @self: a #GstOfflineTrack
 *
 * Returns: how its segments are packed: "fmp4", "mpegts", "webvtt" or "ttml".
 */
TRACK_GETTER (const gchar *, container, nullptr, self->track.container.c_str ())

/**
 * gst_offline_track_get_codecs:
 * @self: a #GstOfflineTrack
 *
 * Returns: its RFC 6381 codecs string, or "".
 */
TRACK_GETTER (const gchar *, codecs, nullptr, self->track.codecs.c_str ())

/**
 * gst_offline_track_get_language:
 * @self: a #GstOfflineTrack
 *
 * Returns: its language tag, or "".
 */
TRACK_GETTER (const gchar *, language, nullptr, self->track.language.c_str ())

/**
 * gst_offline_track_get_label:
 * @self: a #GstOfflineTrack
 *
 * Returns: its label, or "".
 */
TRACK_GETTER (const gchar *, label, nullptr, self->track.label.c_str ())

/**
 * gst_offline_track_get_bandwidth:
 * @self: a #GstOfflineTrack
 *
 * Returns: its declared bitrate in bits per second, or 0.
 */
TRACK_GETTER (guint64, bandwidth, 0, self->track.bandwidth)

/**
 * gst_offline_track_get_width:
 * @self: a #GstOfflineTrack
 *
 * Returns: its width in pixels, or 0.
 */
TRACK_GETTER (guint, width, 0, self->track.width.value_or (0))

/**
 * gst_offline_track_get_height:
 * @self: a #GstOfflineTrack
 *
 * Returns: its height in pixels, or 0.
 */
TRACK_GETTER (guint, height, 0, self->track.height.value_or (0))

/**
 * gst_offline_track_get_protection_events:
 * @self: a #GstOfflineTrack
 *
 * The manifest's DRM signalling for the track, as the adaptive demuxers
 * send it downstream before the first buffer.
 *
 * Returns: (transfer full) (element-type GstEvent): new protection events,
 *   one per DRM system; empty for clear content.
 */
GPtrArray *gst_offline_track_get_protection_events (GstOfflineTrack *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_TRACK (self), nullptr);
  GPtrArray *events = g_ptr_array_new_with_free_func (reinterpret_cast<GDestroyNotify> (gst_mini_object_unref));
  for (const auto &protection : self->track.protection) {
    GstBuffer *data = gst_buffer_new_memdup (protection.data.data (), protection.data.size ());
    g_ptr_array_add (events, gst_event_new_protection (protection.system_id.c_str (), data, protection.origin.c_str ()));
    gst_buffer_unref (data);
  }
  return events;
}

G_DEFINE_BOXED_TYPE (GstOfflineSegment, gst_offline_segment, gst_offline_segment_copy, gst_offline_segment_free)

/**
 * gst_offline_segment_copy:
 * @segment: a #GstOfflineSegment
 *
 * Returns: (transfer full): a copy.
 */
GstOfflineSegment *gst_offline_segment_copy (const GstOfflineSegment *segment)
{
  g_return_val_if_fail (segment != nullptr, nullptr);
  auto copy = static_cast<GstOfflineSegment *> (g_memdup2 (segment, sizeof *segment));
  copy->resource = g_strdup (segment->resource);
  copy->init_resource = g_strdup (segment->init_resource);
  copy->key_resource = g_strdup (segment->key_resource);
  copy->iv = segment->iv ? g_bytes_ref (segment->iv) : nullptr;
  return copy;
}

/**
 * gst_offline_segment_free:
 * @segment: a #GstOfflineSegment
 */
void gst_offline_segment_free (GstOfflineSegment *segment)
{
  if (!segment)
    return;
  g_free (segment->resource);
  g_free (segment->init_resource);
  g_free (segment->key_resource);
  if (segment->iv)
    g_bytes_unref (segment->iv);
  g_free (segment);
}
