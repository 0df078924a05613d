/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "index/track-private.h"

#include <gst/offline/offline-playback-private.h>

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
  gst_offline::Track track;
  GStrv roles;
  GStrv accessibility;
  GStrv protection_systems;
  GBytes *codec_private_data; /* NULL when the track has none */
};

G_DEFINE_FINAL_TYPE (GstOfflineTrack, gst_offline_track, G_TYPE_OBJECT)

/* The private slots of a GstOfflineSegment: its HLS AES-128 key name, and
 * the rest of what playback alone reads (NULL when all of it is empty). */
enum { kKeyResource = 0, kExtra = 1 };

namespace {

struct SegmentExtra {
  GBytes *iv;               /* NULL if none */
  GstClockTime early;       /* gst_offline_segment_get_early () */
  GstClockTime period_end;  /* gst_offline_segment_get_period_end () */
};

const SegmentExtra *extra_of (const GstOfflineSegment *segment)
{
  return static_cast<const SegmentExtra *> (segment->_gst_offline_reserved[kExtra]);
}

gpointer extra_new (GBytes *iv, GstClockTime early, GstClockTime period_end)
{
  if (!iv && early == 0 && !GST_CLOCK_TIME_IS_VALID (period_end))
    return nullptr;
  auto extra = g_new0 (SegmentExtra, 1);
  extra->iv = iv;
  extra->early = early;
  extra->period_end = period_end;
  return extra;
}

}  // namespace

static void gst_offline_track_init (GstOfflineTrack *self)
{
  new (&self->track) gst_offline::Track ();
}

static void gst_offline_track_finalize (GObject *object)
{
  auto self = GST_OFFLINE_TRACK (object);
  self->track.~Track ();
  g_strfreev (self->roles);
  g_strfreev (self->accessibility);
  g_strfreev (self->protection_systems);
  g_clear_pointer (&self->codec_private_data, g_bytes_unref);
  G_OBJECT_CLASS (gst_offline_track_parent_class)->finalize (object);
}

enum { PROP_0, PROP_SIZE, PROP_SIZE_EXACT };

static void gst_offline_track_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  auto self = GST_OFFLINE_TRACK (object);
  switch (prop_id) {
    case PROP_SIZE:
      g_value_set_int64 (value, gst_offline_track_get_size (self));
      break;
    case PROP_SIZE_EXACT:
      g_value_set_boolean (value, gst_offline_track_get_size_exact (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void gst_offline_track_class_init (GstOfflineTrackClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->finalize = gst_offline_track_finalize;
  object_class->get_property = gst_offline_track_get_property;
  /**
   * GstOfflineTrack:size:
   *
   * The bytes the track will take on disk once downloaded, as
   * gst_offline_download_helper_measure() found them in the manifest: exact
   * when #GstOfflineTrack:size-exact, else its bandwidth times its duration
   * (an estimate; an HLS rendition's bandwidth is the rate of a few of its
   * segments); of the helper's time range, if it has one; -1 when unknown
   * (not measured, or a track whose manifest and server tell neither sizes
   * nor a bandwidth).
   */
  g_object_class_install_property (object_class, PROP_SIZE,
      g_param_spec_int64 ("size", "Size", "Bytes the track will take once downloaded, -1 if unknown", -1, G_MAXINT64,
          -1, static_cast<GParamFlags> (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  /**
   * GstOfflineTrack:size-exact:
   *
   * Whether #GstOfflineTrack:size is exact: the manifest gives the length
   * of every byte the track takes (DASH byte ranges or a sidx, HLS
   * EXT-X-BYTERANGE).
   */
  g_object_class_install_property (object_class, PROP_SIZE_EXACT,
      g_param_spec_boolean ("size-exact", "Size exact", "Whether the size is exact rather than an estimate", FALSE,
          static_cast<GParamFlags> (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
}

namespace gst_offline {

const char *track_type_name (TrackType type)
{
  switch (type) {
    case TrackType::Video: return "video";
    case TrackType::Audio: return "audio";
    case TrackType::Text: return "text";
  }
  return "unknown";
}

namespace {

GStrv to_strv (const std::vector<std::string> &values)
{
  GStrv strv = g_new0 (gchar *, values.size () + 1);
  for (size_t i = 0; i < values.size (); i++)
    strv[i] = g_strdup (values[i].c_str ());
  return strv;
}

}  // namespace

GstOfflineTrack *track_new (const Track &track)
{
  auto self = GST_OFFLINE_TRACK (g_object_new (GST_OFFLINE_TYPE_TRACK, nullptr));
  self->track = track;
  self->roles = to_strv (track.roles);
  self->accessibility = to_strv (track.accessibility);
  self->protection_systems = to_strv (track.protection_systems);
  if (!track.codec_private_data.empty ())
    self->codec_private_data = g_bytes_new (track.codec_private_data.data (), track.codec_private_data.size ());
  return self;
}

const Track &track_model (GstOfflineTrack *track)
{
  return track->track;
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
  segment->_gst_offline_reserved[kKeyResource] = s.key_resource.empty () ? nullptr : g_strdup (s.key_resource.c_str ());
  segment->_gst_offline_reserved[kExtra] = extra_new (s.iv.empty () ? nullptr : g_bytes_new (s.iv.data (), s.iv.size ()),
      s.early_ns, s.period_end_ns ? MIN (*s.period_end_ns, static_cast<guint64> (G_MAXINT64)) : GST_CLOCK_TIME_NONE);
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
 * Returns: how its segments are packed: "fmp4", "mss-fmp4" (Smooth
 *   Streaming fragments: no init segment, see
 *   gst_offline_track_get_codec_private_data()), "mpegts", "webvtt" or "ttml".
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
 * gst_offline_track_get_group:
 * @self: a #GstOfflineTrack
 *
 * Returns: the group it belongs to in its manifest (a DASH AdaptationSet
 *   "P.A", an HLS rendition group), or "".
 */
TRACK_GETTER (const gchar *, group, nullptr, self->track.group.c_str ())

/**
 * gst_offline_track_get_period:
 * @self: a #GstOfflineTrack
 *
 * Returns: the DASH Period it belongs to (0 otherwise).
 */
TRACK_GETTER (guint, period, 0, self->track.period)

/**
 * gst_offline_track_get_mime_type:
 * @self: a #GstOfflineTrack
 *
 * Returns: its MIME type as the manifest says, or "".
 */
TRACK_GETTER (const gchar *, mime_type, nullptr, self->track.mime_type.c_str ())

/**
 * gst_offline_track_get_frame_rate:
 * @self: a #GstOfflineTrack
 *
 * Returns: its frame rate, or 0 if not known.
 */
TRACK_GETTER (gdouble, frame_rate, 0, self->track.frame_rate.value_or (0))

/**
 * gst_offline_track_get_sampling_rate:
 * @self: a #GstOfflineTrack
 *
 * Returns: its audio sampling rate, or 0 if not known.
 */
TRACK_GETTER (guint, sampling_rate, 0, self->track.sampling_rate.value_or (0))

/**
 * gst_offline_track_get_channels:
 * @self: a #GstOfflineTrack
 *
 * Returns: its audio channel configuration as the manifest says, or "".
 */
TRACK_GETTER (const gchar *, channels, nullptr, self->track.channels ? self->track.channels->c_str () : "")

/**
 * gst_offline_track_get_roles:
 * @self: a #GstOfflineTrack
 *
 * Returns: (transfer none) (array zero-terminated=1): its roles ("main", "dub", ...).
 */
TRACK_GETTER (const gchar *const *, roles, nullptr, self->roles)

/**
 * gst_offline_track_get_accessibility:
 * @self: a #GstOfflineTrack
 *
 * Returns: (transfer none) (array zero-terminated=1): its accessibility descriptors.
 */
TRACK_GETTER (const gchar *const *, accessibility, nullptr, self->accessibility)

/**
 * gst_offline_track_get_protection_systems:
 * @self: a #GstOfflineTrack
 *
 * Returns: (transfer none) (array zero-terminated=1): the DRM system ids
 *   (lower-case UUIDs) it is protected with; empty for clear content.
 */
TRACK_GETTER (const gchar *const *, protection_systems, nullptr, self->protection_systems)

/**
 * gst_offline_track_get_protection_events:
 * @self: a #GstOfflineTrack
 *
 * The manifest's DRM signalling for the track, as the adaptive demuxers
 * send it downstream before the first buffer.
 *
 * Returns: (transfer container) (element-type GstEvent): new protection events,
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

/**
 * gst_offline_track_get_size:
 * @self: a #GstOfflineTrack
 *
 * See #GstOfflineTrack:size.
 *
 * Returns: the bytes the track will take once downloaded, or -1 if unknown.
 */
TRACK_GETTER (gint64, size, -1, self->track.size ? static_cast<gint64> (*self->track.size) : -1)

/**
 * gst_offline_track_get_size_exact:
 * @self: a #GstOfflineTrack
 *
 * Returns: whether gst_offline_track_get_size() is exact rather than an estimate.
 */
TRACK_GETTER (gboolean, size_exact, FALSE, self->track.size && self->track.size_exact)

/* Declared in offline-playback-private.h. */
TRACK_GETTER (guint64, timescale, 0, self->track.timescale)

/* Declared in offline-playback-private.h. */
TRACK_GETTER (GBytes *, codec_private_data, nullptr, self->codec_private_data)

/* Declared in offline-playback-private.h. */
TRACK_GETTER (guint, bits_per_sample, 0, self->track.bits_per_sample.value_or (0))

/* Declared in offline-playback-private.h. */
TRACK_GETTER (guint, packet_size, 0, self->track.packet_size.value_or (0))

/* Declared in offline-playback-private.h. */
TRACK_GETTER (guint, audio_tag, 0, self->track.audio_tag.value_or (0))

G_DEFINE_BOXED_TYPE (GstOfflineSegment, gst_offline_segment, gst_offline_segment_copy, gst_offline_segment_free)

/* Declared in offline-playback-private.h. */
const gchar *gst_offline_segment_get_key_resource (const GstOfflineSegment *segment)
{
  g_return_val_if_fail (segment != nullptr, nullptr);
  return static_cast<const gchar *> (segment->_gst_offline_reserved[kKeyResource]);
}

/* Declared in offline-playback-private.h. */
GBytes *gst_offline_segment_get_iv (const GstOfflineSegment *segment)
{
  g_return_val_if_fail (segment != nullptr, nullptr);
  const SegmentExtra *extra = extra_of (segment);
  return extra ? extra->iv : nullptr;
}

/* Declared in offline-playback-private.h. */
GstClockTime gst_offline_segment_get_early (const GstOfflineSegment *segment)
{
  g_return_val_if_fail (segment != nullptr, 0);
  const SegmentExtra *extra = extra_of (segment);
  return extra ? extra->early : 0;
}

/* Declared in offline-playback-private.h. */
GstClockTime gst_offline_segment_get_period_end (const GstOfflineSegment *segment)
{
  g_return_val_if_fail (segment != nullptr, GST_CLOCK_TIME_NONE);
  const SegmentExtra *extra = extra_of (segment);
  return extra ? extra->period_end : GST_CLOCK_TIME_NONE;
}

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
  copy->_gst_offline_reserved[kKeyResource] = g_strdup (gst_offline_segment_get_key_resource (segment));
  GBytes *iv = gst_offline_segment_get_iv (segment);
  copy->_gst_offline_reserved[kExtra] = extra_new (iv ? g_bytes_ref (iv) : nullptr, gst_offline_segment_get_early (segment),
      gst_offline_segment_get_period_end (segment));
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
  g_free (segment->_gst_offline_reserved[kKeyResource]);
  if (GBytes *iv = gst_offline_segment_get_iv (segment))
    g_bytes_unref (iv);
  g_free (segment->_gst_offline_reserved[kExtra]);
  g_free (segment);
}
