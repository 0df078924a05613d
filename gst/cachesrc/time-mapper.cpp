/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "time-mapper.h"

#include "fmp4-timing.h"

GST_DEBUG_CATEGORY_EXTERN (gst_cache_src_debug);
#define GST_CAT_DEFAULT gst_cache_src_debug

namespace gst_offline {

namespace {

/* How far into a TS segment its first PCR is looked for. */
constexpr gsize kMaxTsHead = 1024 * 1024;

bool
has_timestamp (const std::vector<guint8> &head)
{
  return mpegts_first_pcr (head.data (), head.size ()).has_value ();
}

/* Packed audio (an ID3 tag, else an ADTS, MP3 or AC-3 frame) where MPEG-TS
 * packets (0x47 every 188 bytes from the first byte) should be: HLS packed
 * audio in segments named .ts. tsdemux would look for a packet forever. */
bool
is_packed_audio (const std::vector<guint8> &head)
{
  if (head.size () < 4 || head[0] == 0x47)
    return false;
  bool id3 = head[0] == 'I' && head[1] == 'D' && head[2] == '3';
  bool mpeg_audio = head[0] == 0xff && (head[1] & 0xe0) == 0xe0;  /* ADTS or MPEG audio frame sync */
  bool ac3 = head[0] == 0x0b && head[1] == 0x77;
  return id3 || mpeg_audio || ac3;
}

bool
is_fmp4 (GstOfflineTrack *track)
{
  const gchar *container = gst_offline_track_get_container (track);
  return g_str_equal (container, "fmp4") || g_str_equal (container, "mss-fmp4");
}

} // namespace

std::optional<guint32>
TimeMapper::timescale_locked (GstOfflineTrack *track, const GstOfflineSegment *segment, SegmentBytes &bytes,
    bool *error)
{
  if (g_str_equal (gst_offline_track_get_container (track), "mss-fmp4")) {
    /* No init segment: the caps carry the timescale of the tfdt, if any. */
    guint64 timescale = gst_offline_track_get_timescale (track);
    if (timescale == 0 || timescale > G_MAXUINT32)
      return std::nullopt;
    return static_cast<guint32> (timescale);
  }
  if (!segment->init_resource)
    return std::nullopt;
  auto known = timescales_.find (segment->init_resource);
  if (known != timescales_.end ())
    return known->second;
  UniqueFd fd;
  guint64 size = 0;
  if (!bytes.open_resource (segment->init_resource, true, &fd, &size)) {
    *error = true;
    return std::nullopt;
  }
  auto timescale = fmp4_track_timescale (fd.get (), size);
  if (timescale && *timescale == 0)
    timescale.reset ();
  if (!timescale)
    GST_WARNING ("no track timescale in init segment %s", segment->init_resource);
  timescales_[segment->init_resource] = timescale;
  return timescale;
}

std::optional<GstClockTime>
TimeMapper::media_time_locked (GstOfflineTrack *track, const GstOfflineSegment *segment, SegmentBytes &bytes,
    bool *error)
{
  std::optional<GstClockTime> media_time;
  if (is_fmp4 (track)) {
    auto timescale = timescale_locked (track, segment, bytes, error);
    if (!timescale)
      return std::nullopt;
    UniqueFd fd;
    guint64 size = 0;
    if (!bytes.open_resource (segment->resource, false, &fd, &size)) {
      *error = true;
      return std::nullopt;
    }
    auto decode_time = fmp4_first_decode_time (fd.get (), size);
    if (!decode_time) {
      /* Smooth Streaming fragments usually have none: qtdemux times them by
       * their first buffer's PTS, the fragment's start. */
      if (!g_str_equal (gst_offline_track_get_container (track), "mss-fmp4"))
        GST_WARNING ("no tfdt in segment %s: assuming media time = presentation time", segment->resource);
      return std::nullopt;
    }
    media_time = gst_util_uint64_scale (*decode_time, GST_SECOND, *timescale);
  } else if (g_str_equal (gst_offline_track_get_container (track), "mpegts")) {
    /* tsdemux times its output from the first PCR (else the first PES
     * timestamp), which is in the first packets. */
    std::vector<guint8> head;
    if (!bytes.read_media_head (segment, kMaxTsHead, has_timestamp, &head)) {
      *error = true;
      return std::nullopt;
    }
    if (is_packed_audio (head)) {
      bytes.wrong_container (segment, "packed audio (ID3, ADTS, MP3 or AC-3), which is not supported");
      *error = true;
      return std::nullopt;
    }
    media_time = mpegts_first_pcr (head.data (), head.size ());
    if (!media_time)
      media_time = mpegts_first_timestamp (head.data (), head.size ());
    if (!media_time)
      GST_WARNING ("no media time in segment %s", segment->resource);
  }
  if (media_time)
    GST_DEBUG ("track %u segment %" G_GUINT64_FORMAT ": presentation %" GST_TIME_FORMAT ", media %" GST_TIME_FORMAT,
        gst_offline_track_get_index (track), segment->number, GST_TIME_ARGS (segment->start),
        GST_TIME_ARGS (*media_time));
  return media_time;
}

std::optional<guint32>
TimeMapper::timescale (GstOfflineTrack *track, const GstOfflineSegment *segment, SegmentBytes &bytes, bool *error)
{
  *error = false;
  if (!is_fmp4 (track))
    return std::nullopt;
  std::lock_guard<std::mutex> lock (mutex_);
  return timescale_locked (track, segment, bytes, error);
}

std::optional<GstClockTime>
TimeMapper::media_time_of (GstOfflineTrack *track, const GstOfflineSegment *segment, SegmentBytes &bytes,
    bool *error)
{
  *error = false;
  std::lock_guard<std::mutex> lock (mutex_);
  return media_time_locked (track, segment, bytes, error);
}

std::optional<MediaTimeMap>
TimeMapper::period_map (GstOfflineTrack *track, const GstOfflineSegment *near, guint near_track, SegmentBytes &bytes,
    bool *error)
{
  *error = false;
  guint index = gst_offline_track_get_index (track);
  std::lock_guard<std::mutex> lock (mutex_);
  auto known = maps_.find ({ index, near->period });
  if (known != maps_.end ())
    return known->second;

  /* The period's first segments in that track: search up to the segment
   * that holds `near`'s start there when `near` is of another track. */
  guint64 upper = near->number;
  if (index != near_track) {
    g_autoptr (GstOfflineSegment) at = bytes.find_segment (index, near->start);
    upper = at ? at->number : 0;
    if (at && at->period < near->period)
      upper++;
  }
  g_autoptr (GPtrArray) first = bytes.period_segments (index, near->period, upper, 2);
  if (!first) {
    *error = true;
    return std::nullopt;
  }
  const GstOfflineSegment *anchor = first->len > 0 ? static_cast<GstOfflineSegment *> (g_ptr_array_index (first, 0))
                                                   : nullptr;
  if (anchor && first->len > 1 && gst_offline_segment_get_early (anchor) == 0) {
    auto *next = static_cast<GstOfflineSegment *> (g_ptr_array_index (first, 1));
    if (next->period == anchor->period && anchor->start + anchor->duration > next->start + GST_MSECOND)
      anchor = next;
  }
  std::optional<MediaTimeMap> map;
  if (!anchor || anchor->period != near->period) {
    GST_WARNING ("track %u has no segment in period %u", index, near->period);
  } else {
    auto media_time = media_time_locked (track, anchor, bytes, error);
    if (*error)
      return std::nullopt;
    if (media_time) {
      /* A segment that begins before its period: the period's start (where
       * the plan put it) is that much into its media. */
      map = MediaTimeMap { anchor->start, *media_time + gst_offline_segment_get_early (anchor) };
      GST_DEBUG ("track %u, period %u: presentation %" GST_TIME_FORMAT " is media time %" GST_TIME_FORMAT
                 " (segment %" G_GUINT64_FORMAT ")",
          index, near->period, GST_TIME_ARGS (map->presentation), GST_TIME_ARGS (map->media), anchor->number);
    }
  }
  /* Remembered either way: a period without a map is not looked at again. */
  maps_[{ index, near->period }] = map;
  return map;
}

GstClockTime
TimeMapper::composition_lead (GstOfflineTrack *track, const GstOfflineSegment *segment, SegmentBytes &bytes,
    bool *error)
{
  *error = false;
  if (!g_str_equal (gst_offline_track_get_container (track), "fmp4"))
    return 0;
  std::lock_guard<std::mutex> lock (mutex_);
  auto timescale = timescale_locked (track, segment, bytes, error);
  if (!timescale)
    return 0;
  UniqueFd fd;
  guint64 size = 0;
  if (!bytes.open_resource (segment->resource, false, &fd, &size)) {
    *error = true;
    return 0;
  }
  auto offset = fmp4_first_composition_offset (fd.get (), size);
  if (!offset || *offset <= 0)
    return 0;
  return gst_util_uint64_scale (static_cast<guint64> (*offset), GST_SECOND, *timescale);
}

gint64
TimeMapper::media_offset (GstOfflineTrack *track, const GstOfflineSegment *segment, SegmentBytes &bytes, bool *error)
{
  *error = false;
  if (!is_fmp4 (track))
    return 0; /* tsdemux and subparse follow the buffer timestamps */
  auto map = period_map (track, segment, gst_offline_track_get_index (track), bytes, error);
  if (!map)
    return 0;
  return static_cast<gint64> (map->media) - static_cast<gint64> (map->presentation);
}

} // namespace gst_offline
