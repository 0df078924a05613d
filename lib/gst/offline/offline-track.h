/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>
#include <gst/gst.h>
#include <gst/offline/offline-error.h>

G_BEGIN_DECLS

/**
 * GstOfflineTrackType:
 * @GST_OFFLINE_TRACK_TYPE_VIDEO: video.
 * @GST_OFFLINE_TRACK_TYPE_AUDIO: audio.
 * @GST_OFFLINE_TRACK_TYPE_TEXT: subtitles or captions.
 *
 * What a track of an adaptive download carries.
 */
typedef enum {
  GST_OFFLINE_TRACK_TYPE_VIDEO = 0,
  GST_OFFLINE_TRACK_TYPE_AUDIO = 1,
  GST_OFFLINE_TRACK_TYPE_TEXT = 2,
} GstOfflineTrackType;

#define GST_OFFLINE_TYPE_TRACK (gst_offline_track_get_type ())
GST_OFFLINE_API
G_DECLARE_FINAL_TYPE (GstOfflineTrack, gst_offline_track, GST_OFFLINE, TRACK, GObject)

/**
 * GstOfflineTrack:
 *
 * One track of an adaptive stream (immutable), the same model whether a
 * manifest offers it (gst_offline_download_helper_get_tracks()) or a
 * download's playback plan records it
 * (gst_offline_download_index_get_tracks()). Fields a source does not know
 * are empty or 0: the container and the protection events come with a
 * downloaded track only (a manifest's track names its DRM systems in
 * gst_offline_track_get_protection_systems()).
 */

GST_OFFLINE_API
guint gst_offline_track_get_index (GstOfflineTrack *self);
GST_OFFLINE_API
const gchar *gst_offline_track_get_stream_key (GstOfflineTrack *self);
GST_OFFLINE_API
GstOfflineTrackType gst_offline_track_get_track_type (GstOfflineTrack *self);
GST_OFFLINE_API
const gchar *gst_offline_track_get_container (GstOfflineTrack *self);
GST_OFFLINE_API
const gchar *gst_offline_track_get_codecs (GstOfflineTrack *self);
GST_OFFLINE_API
const gchar *gst_offline_track_get_language (GstOfflineTrack *self);
GST_OFFLINE_API
const gchar *gst_offline_track_get_label (GstOfflineTrack *self);
GST_OFFLINE_API
guint64 gst_offline_track_get_bandwidth (GstOfflineTrack *self);
GST_OFFLINE_API
guint gst_offline_track_get_width (GstOfflineTrack *self);
GST_OFFLINE_API
guint gst_offline_track_get_height (GstOfflineTrack *self);
GST_OFFLINE_API
const gchar *gst_offline_track_get_group (GstOfflineTrack *self);
GST_OFFLINE_API
guint gst_offline_track_get_period (GstOfflineTrack *self);
GST_OFFLINE_API
const gchar *gst_offline_track_get_mime_type (GstOfflineTrack *self);
GST_OFFLINE_API
gdouble gst_offline_track_get_frame_rate (GstOfflineTrack *self);
GST_OFFLINE_API
guint gst_offline_track_get_sampling_rate (GstOfflineTrack *self);
GST_OFFLINE_API
const gchar *gst_offline_track_get_channels (GstOfflineTrack *self);
GST_OFFLINE_API
const gchar *const *gst_offline_track_get_roles (GstOfflineTrack *self);
GST_OFFLINE_API
const gchar *const *gst_offline_track_get_accessibility (GstOfflineTrack *self);
GST_OFFLINE_API
const gchar *const *gst_offline_track_get_protection_systems (GstOfflineTrack *self);
GST_OFFLINE_API
GPtrArray *gst_offline_track_get_protection_events (GstOfflineTrack *self);
GST_OFFLINE_API
gint64 gst_offline_track_get_size (GstOfflineTrack *self);
GST_OFFLINE_API
gboolean gst_offline_track_get_size_exact (GstOfflineTrack *self);

/**
 * GstOfflineSegment:
 * @number: its place in the track, from 0, in play order
 * @period: the period (DASH) or discontinuity sequence it belongs to
 * @start: its presentation time, in nanoseconds from the start of the download
 * @duration: its duration in nanoseconds
 * @resource: the cache key of its bytes (gst_offline_cache_lookup())
 * @init_resource: (nullable): the cache key of its initialization segment
 * @discontinuity: whether playback is not continuous from the segment before
 *
 * One segment of a track of an adaptive download.
 */
typedef struct {
  guint64 number;
  guint period;
  GstClockTime start;
  GstClockTime duration;
  gchar *resource;
  gchar *init_resource;
  gboolean discontinuity;
  /*< private >*/
  gpointer _gst_offline_reserved[2];  /* what playback alone reads: its HLS AES-128 key and IV */
} GstOfflineSegment;

#define GST_OFFLINE_TYPE_SEGMENT (gst_offline_segment_get_type ())
GST_OFFLINE_API
GType gst_offline_segment_get_type (void);
GST_OFFLINE_API
GstOfflineSegment *gst_offline_segment_copy (const GstOfflineSegment *segment);
GST_OFFLINE_API
void gst_offline_segment_free (GstOfflineSegment *segment);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstOfflineSegment, gst_offline_segment_free)

G_END_DECLS
