/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "adaptive-playback.h"

#include "adaptive-stream.h"

#include "gstcachesrc.h"

#include <openssl/crypto.h>

#include <algorithm>

#define GST_CAT_DEFAULT gst_cache_src_debug

namespace gst_offline {

AdaptivePlayback::AdaptivePlayback (GstElement *element, std::string download_id,
    GstOfflineDownloadIndex *index, GstOfflineCache *cache)
    : element_ (element),
      download_id_ (std::move (download_id)),
      index_ (index),
      cache_ (cache),
      duration_ (gst_offline_download_index_get_duration (index, download_id_.c_str ())),
      group_id_ (gst_util_group_id_next ())
{
  if (duration_ == 0)
    duration_ = GST_CLOCK_TIME_NONE;
  gst_segment_init (&segment_, GST_FORMAT_TIME);
  segment_.duration = duration_;
}

AdaptivePlayback::~AdaptivePlayback ()
{
  for (auto &entry : hls_keys_)
    OPENSSL_cleanse (entry.second.data (), entry.second.size ());
}

/* Through the library's public lookup, from the store the pipeline plays
 * with (the application's context, else the data directory's). */
bool
AdaptivePlayback::hls_key (const gchar *name, std::array<guint8, 16> *key, GError **error)
{
  std::lock_guard<std::mutex> lock (plan_mutex_);
  auto found = hls_keys_.find (name);
  if (found != hls_keys_.end ()) {
    *key = found->second;
    return true;
  }
  GObjectPtr<GstOfflineDrmStore> store (gst_cache_src_get_drm_store (GST_CACHE_SRC (element_), error));
  if (!store)
    return false;
  g_autoptr (GBytes) value = gst_offline_drm_store_lookup_key (store.get (), download_id_.c_str (), name, error);
  if (!value)
    return false;
  gsize size = 0;
  auto *data = static_cast<const guint8 *> (g_bytes_get_data (value, &size));
  if (size != key->size ()) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_CORRUPT, "the stored key has %" G_GSIZE_FORMAT " bytes",
        size);
    return false;
  }
  std::copy (data, data + size, key->begin ());
  OPENSSL_cleanse (const_cast<guint8 *> (data), size);
  hls_keys_[name] = *key;
  return true;
}

bool
AdaptivePlayback::removed ()
{
  std::lock_guard<std::mutex> lock (plan_mutex_);
  g_autoptr (GError) error = nullptr;
  g_autoptr (GstOfflineDownload) download =
      gst_offline_download_index_get_download (index_.get (), download_id_.c_str (), &error);
  return !download && g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND);
}

GPtrArray *
AdaptivePlayback::segments (guint track, guint64 first, guint limit, GError **error)
{
  std::lock_guard<std::mutex> lock (plan_mutex_);
  return gst_offline_download_index_get_segments (index_.get (), download_id_.c_str (), track, first, limit, error);
}

GstOfflineSegment *
AdaptivePlayback::find_segment (guint track, GstClockTime time, GError **error)
{
  std::lock_guard<std::mutex> lock (plan_mutex_);
  return gst_offline_download_index_find_segment (index_.get (), download_id_.c_str (), track, time, error);
}

GPtrArray *
AdaptivePlayback::period_segments (guint track, guint period, guint64 upper, guint limit, GError **error)
{
  /* The first number in [low, high] whose segment is in the period. */
  guint64 low = 0, high = upper;
  while (low < high) {
    guint64 middle = low + (high - low) / 2;
    g_autoptr (GPtrArray) one = segments (track, middle, 1, error);
    if (!one)
      return nullptr;
    if (one->len > 0 && static_cast<GstOfflineSegment *> (g_ptr_array_index (one, 0))->period < period)
      low = middle + 1;
    else
      high = middle;
  }
  return segments (track, low, limit, error);
}

gchar *
AdaptivePlayback::lookup (const gchar *key, guint64 *length, GError **error)
{
  std::lock_guard<std::mutex> lock (plan_mutex_);
  return gst_offline_cache_lookup (cache_.get (), key, length, error);
}

GstOfflineTrack *
AdaptivePlayback::media_track ()
{
  std::lock_guard<std::mutex> lock (plan_mutex_);
  if (media_track_read_)
    return media_track_.get ();
  media_track_read_ = true;
  g_autoptr (GError) error = nullptr;
  g_autoptr (GPtrArray) tracks = gst_offline_download_index_get_tracks (index_.get (), download_id_.c_str (), &error);
  if (!tracks) {
    GST_WARNING_OBJECT (element_, "cannot read the tracks: %s", error->message);
    return nullptr;
  }
  for (GstOfflineTrackType type : { GST_OFFLINE_TRACK_TYPE_VIDEO, GST_OFFLINE_TRACK_TYPE_AUDIO }) {
    for (guint i = 0; i < tracks->len && !media_track_; i++) {
      auto *track = GST_OFFLINE_TRACK (g_ptr_array_index (tracks, i));
      if (gst_offline_track_get_track_type (track) == type)
        media_track_.reset (GST_OFFLINE_TRACK (g_object_ref (track)));
    }
  }
  return media_track_.get ();
}

void
AdaptivePlayback::add_stream (AdaptiveStream *stream)
{
  std::lock_guard<std::mutex> seek_lock (seek_mutex_);
  std::lock_guard<std::mutex> lock (streams_mutex_);
  streams_.push_back (stream);
  std::lock_guard<std::mutex> start_lock (start_mutex_);
  Starts &starts = starts_[gst_offline_track_get_track_type (stream->track ())];
  starts.not_begun++;
  starts.not_done++;
}

void
AdaptivePlayback::stream_starting (GstOfflineTrackType type)
{
  std::lock_guard<std::mutex> lock (start_mutex_);
  Starts &starts = starts_[type];
  if (starts.not_begun > 0)
    starts.not_begun--;
  starts.last_begun_us = g_get_monotonic_time ();
}

void
AdaptivePlayback::stream_started (GstOfflineTrackType type)
{
  std::lock_guard<std::mutex> lock (start_mutex_);
  Starts &starts = starts_[type];
  if (starts.not_done > 0 && --starts.not_done == 0)
    started_.notify_all ();
}

bool
AdaptivePlayback::wait_for_earlier_streams (GstOfflineTrackType type, std::chrono::milliseconds slice)
{
  std::unique_lock<std::mutex> lock (start_mutex_);
  /* A first push still going on after this long is taken for done: it may
   * wait for this very track (decodebin2 exposes its pads all at once). */
  constexpr gint64 kBlockedPushUs = 200 * 1000;
  return started_.wait_for (lock, slice, [this, type] {
    for (GstOfflineTrackType earlier : { GST_OFFLINE_TRACK_TYPE_VIDEO, GST_OFFLINE_TRACK_TYPE_AUDIO }) {
      if (earlier == type)
        return true;
      const Starts &starts = starts_[earlier];
      bool blocked = starts.not_begun == 0 && g_get_monotonic_time () - starts.last_begun_us >= kBlockedPushUs;
      if (starts.not_done > 0 && !blocked)
        return false;
    }
    return true;
  });
}

void
AdaptivePlayback::detach ()
{
  /* Waits for a seek in progress, which uses the streams. */
  std::lock_guard<std::mutex> seek_lock (seek_mutex_);
  std::lock_guard<std::mutex> lock (streams_mutex_);
  streams_.clear ();
}

bool
AdaptivePlayback::all_not_linked ()
{
  /* Called from streaming threads, which a seek may be waiting for: not
   * under seek_mutex_. */
  std::lock_guard<std::mutex> lock (streams_mutex_);
  return std::all_of (streams_.begin (), streams_.end (), [] (AdaptiveStream *s) { return s->not_linked (); });
}

GstClockTime
AdaptivePlayback::snap (GstClockTime time, GstSeekFlags flags)
{
  AdaptiveStream *reference = nullptr;
  for (AdaptiveStream *stream : streams_) {
    if (gst_offline_track_get_track_type (stream->track ()) == GST_OFFLINE_TRACK_TYPE_VIDEO) {
      reference = stream;
      break;
    }
  }
  if (!reference && !streams_.empty ())
    reference = streams_.front ();
  if (!reference)
    return time;

  g_autoptr (GError) error = nullptr;
  g_autoptr (GstOfflineSegment) before = find_segment (reference->track_index (), time, &error);
  if (!before)
    return time;
  if (before->start >= time)
    return before->start;

  bool after = (flags & GST_SEEK_FLAG_SNAP_AFTER) != 0;
  bool before_wanted = (flags & GST_SEEK_FLAG_SNAP_BEFORE) != 0;
  if (!after)
    return before->start; /* snap-before: the start of the fragment holding it */
  /* The next segment's start, if there is one. */
  g_autoptr (GPtrArray) next = segments (reference->track_index (), before->number + 1, 1, &error);
  if (!next || next->len == 0)
    return before->start;
  GstClockTime next_start = static_cast<GstOfflineSegment *> (g_ptr_array_index (next, 0))->start;
  if (!before_wanted)
    return next_start; /* snap-after */
  /* nearest */
  return (time - before->start <= next_start - time) ? before->start : next_start;
}

bool
AdaptivePlayback::seek_segment (GstEvent *event, GstSegment *segment)
{
  gdouble rate;
  GstFormat format;
  GstSeekFlags flags;
  GstSeekType start_type, stop_type;
  gint64 start, stop;
  gst_event_parse_seek (event, &rate, &format, &flags, &start_type, &start, &stop_type, &stop);

  if (format != GST_FORMAT_TIME) {
    GST_DEBUG_OBJECT (element_, "refusing a seek in %s: adaptive downloads seek in TIME",
        gst_format_get_name (format));
    return false;
  }
  if (rate <= 0.0) {
    GST_DEBUG_OBJECT (element_, "refusing a seek with rate %f: only forward playback", rate);
    return false;
  }
  if (!(flags & GST_SEEK_FLAG_FLUSH)) {
    GST_DEBUG_OBJECT (element_, "refusing a non-flushing seek");
    return false;
  }

  *segment = segment_;
  segment->duration = duration_;
  if (!gst_segment_do_seek (segment, rate, format, flags, start_type, start, stop_type, stop, nullptr)) {
    GST_DEBUG_OBJECT (element_, "invalid seek");
    return false;
  }
  /* Like the adaptive demuxers: a key-unit seek with a snap direction lands
   * on a fragment boundary; other key-unit or accurate seeks are for the
   * elements downstream to refine. */
  if ((flags & GST_SEEK_FLAG_KEY_UNIT) && (flags & (GST_SEEK_FLAG_SNAP_BEFORE | GST_SEEK_FLAG_SNAP_AFTER))
      && start_type != GST_SEEK_TYPE_NONE) {
    GstClockTime snapped = snap (segment->start, flags);
    GST_DEBUG_OBJECT (element_, "key-unit seek: %" GST_TIME_FORMAT " snaps to %" GST_TIME_FORMAT,
        GST_TIME_ARGS (segment->start), GST_TIME_ARGS (snapped));
    segment->start = snapped;
  }
  if (GST_CLOCK_TIME_IS_VALID (duration_) && segment->start > duration_)
    segment->start = duration_;
  segment->time = segment->start;
  segment->position = segment->start;
  /* A flushing seek resets running time. */
  segment->base = 0;
  return true;
}

bool
AdaptivePlayback::apply_initial_seek (GstEvent *event)
{
  std::lock_guard<std::mutex> lock (seek_mutex_);
  GstSegment segment;
  if (!seek_segment (event, &segment))
    return false;
  segment_ = segment;
  guint32 seqnum = gst_event_get_seqnum (event);
  last_seek_seqnum_ = seqnum;
  last_seek_result_ = TRUE;
  for (AdaptiveStream *stream : streams_)
    stream->set_start (segment, seqnum);
  return true;
}

gboolean
AdaptivePlayback::seek (GstEvent *event_in)
{
  GstMiniObjectPtr<GstEvent> event (event_in);
  guint32 seqnum = gst_event_get_seqnum (event.get ());

  std::lock_guard<std::mutex> lock (seek_mutex_);
  if (seqnum == last_seek_seqnum_) {
    GST_DEBUG_OBJECT (element_, "seek %u was done already (%s)", seqnum, last_seek_result_ ? "accepted" : "refused");
    return last_seek_result_;
  }
  last_seek_seqnum_ = seqnum;
  last_seek_result_ = FALSE;

  GstSegment segment;
  if (!seek_segment (event.get (), &segment))
    return FALSE;

  GST_INFO_OBJECT (element_, "seek %u: %" GST_SEGMENT_FORMAT, seqnum, &segment);
  for (AdaptiveStream *stream : streams_)
    stream->flush_start (seqnum);
  for (AdaptiveStream *stream : streams_)
    stream->stop_and_lock ();
  segment_ = segment;
  for (AdaptiveStream *stream : streams_)
    stream->flush_stop_and_restart (segment, seqnum);
  for (AdaptiveStream *stream : streams_)
    stream->unlock_and_start ();

  last_seek_result_ = TRUE;
  return TRUE;
}

} // namespace gst_offline
