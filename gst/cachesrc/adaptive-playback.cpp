/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "adaptive-playback.h"

#include <gst/offline/offline-playback-private.h>

#include "adaptive-stream.h"

#include "gstcachesrc.h"

#include <openssl/crypto.h>

#include <gst/pbutils/pbutils.h>

#include <algorithm>
#include <chrono>
#include <set>

#define GST_CAT_DEFAULT gst_cache_src_debug

namespace gst_offline {

namespace {

GstStreamType
stream_type_of (GstOfflineTrack *track)
{
  switch (gst_offline_track_get_track_type (track)) {
    case GST_OFFLINE_TRACK_TYPE_VIDEO:
      return GST_STREAM_TYPE_VIDEO;
    case GST_OFFLINE_TRACK_TYPE_AUDIO:
      return GST_STREAM_TYPE_AUDIO;
    case GST_OFFLINE_TRACK_TYPE_TEXT:
      return GST_STREAM_TYPE_TEXT;
    default:
      return GST_STREAM_TYPE_UNKNOWN;
  }
}

/* What the track's elementary stream is, from its RFC 6381 codecs (what a
 * GstStream's caps say; the pad carries the container), else its
 * container's caps. */
GstCaps *
stream_caps_of (GstOfflineTrack *track)
{
  /* Smooth Streaming's "codecs" are FourCCs, not RFC 6381. */
  const gchar *codecs = g_str_equal (gst_offline_track_get_container (track), "mss-fmp4") ? nullptr
                                                                                     : gst_offline_track_get_codecs (track);
  GstCaps *caps = codecs && *codecs ? gst_codec_utils_caps_from_mime_codec (codecs) : nullptr;
  if (caps)
    return caps;
  return AdaptiveStream::caps_for (gst_offline_track_get_container (track), gst_offline_track_get_track_type (track));
}

} // namespace

AdaptivePlayback::AdaptivePlayback (GstElement *element, const std::string &data_dir, std::string download_id,
    GstOfflineDownloadIndex *index, GstOfflineCache *cache, const std::vector<GObjectPtr<GstOfflineTrack>> &tracks)
    : element_ (element),
      download_id_ (std::move (download_id)),
      index_ (index),
      position_request_ (element, data_dir, download_id_),
      cache_ (cache),
      duration_ (gst_offline_download_index_get_duration (index, download_id_.c_str ())),
      group_id_ (gst_util_group_id_next ())
{
  if (duration_ == 0)
    duration_ = GST_CLOCK_TIME_NONE;
  gst_segment_init (&segment_, GST_FORMAT_TIME);
  apply_time_range ();
  {
    g_autoptr (GstOfflineDownload) download =
        gst_offline_download_index_get_download (index_.get (), download_id_.c_str (), nullptr);
    recording_ = download && gst_offline_download_is_recording (download)
        && is_being_fetched (gst_offline_download_get_state (download));
    if (recording_)
      GST_INFO_OBJECT (element_, "'%s' is a recording that runs: it plays as it grows", download_id_.c_str ());
  }
  segment_.duration = duration ();

  /* Stream ids as gst_pad_create_stream_id() makes them for a URI source:
   * a hash of the URI, then the track. */
  g_autofree gchar *uri = g_strdup_printf ("offline://%s", download_id_.c_str ());
  g_autofree gchar *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, uri, -1);
  stream_id_prefix_ = hash;
  collection_.reset (GST_STREAM_COLLECTION (gst_object_ref_sink (gst_stream_collection_new (stream_id_prefix_.c_str ()))));
  for (auto &owned : tracks) {
    GstOfflineTrack *track = owned.get ();
    tracks_.emplace_back (GST_OFFLINE_TRACK (g_object_ref (track)));
    guint index = gst_offline_track_get_index (track);
    g_autoptr (GstCaps) caps = stream_caps_of (track);
    GstStreamFlags flags = gst_offline_track_get_track_type (track) == GST_OFFLINE_TRACK_TYPE_TEXT
        ? GST_STREAM_FLAG_SPARSE : GST_STREAM_FLAG_NONE;
    GstStream *stream = gst_stream_new (stream_id (index).c_str (), caps, stream_type_of (track), flags);
    GstTagList *tags = gst_tag_list_new_empty ();
    const gchar *language = gst_offline_track_get_language (track);
    if (language && *language)
      gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE, GST_TAG_LANGUAGE_CODE, language, nullptr);
    const gchar *label = gst_offline_track_get_label (track);
    if (label && *label)
      gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE, GST_TAG_TITLE, label, nullptr);
    if (gst_offline_track_get_bandwidth (track) > 0 && gst_offline_track_get_bandwidth (track) <= G_MAXUINT)
      gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE, GST_TAG_BITRATE,
          static_cast<guint> (gst_offline_track_get_bandwidth (track)), nullptr);
    gst_tag_list_set_scope (tags, GST_TAG_SCOPE_STREAM);
    gst_stream_set_tags (stream, tags);
    gst_tag_list_unref (tags);
    gst_stream_collection_add_stream (collection_.get (), GST_STREAM (gst_object_ref (stream)));
    stream_objects_[index].reset (GST_STREAM (gst_object_ref_sink (stream)));
  }
}

std::string
AdaptivePlayback::stream_id (guint track_index) const
{
  g_autofree gchar *id = g_strdup_printf ("%s/track%u", stream_id_prefix_.c_str (), track_index);
  return id;
}

GstStreamCollection *
AdaptivePlayback::copy_collection () const
{
  GstStreamCollection *copy = gst_stream_collection_new (stream_id_prefix_.c_str ());
  gst_object_ref_sink (copy);
  for (guint i = 0; i < gst_stream_collection_get_size (collection_.get ()); i++)
    gst_stream_collection_add_stream (copy,
        GST_STREAM (gst_object_ref (gst_stream_collection_get_stream (collection_.get (), i))));
  return copy;
}

GstStream *
AdaptivePlayback::stream_object (guint track_index) const
{
  auto found = stream_objects_.find (track_index);
  return found != stream_objects_.end () ? found->second.get () : nullptr;
}

GstOfflineTrack *
AdaptivePlayback::track_of_stream_id (const gchar *id) const
{
  for (auto &track : tracks_) {
    std::string own = stream_id (gst_offline_track_get_index (track.get ()));
    /* qtdemux and parsebin name their streams "<upstream id>/<n>", tsdemux
     * "<upstream id>:<program>/<pid>". */
    if (g_str_equal (id, own.c_str ())
        || (g_str_has_prefix (id, own.c_str ()) && (id[own.size ()] == '/' || id[own.size ()] == ':')))
      return track.get ();
  }
  return nullptr;
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

GstOfflineDownload *
AdaptivePlayback::download (GError **error)
{
  std::lock_guard<std::mutex> lock (plan_mutex_);
  return gst_offline_download_index_get_download (index_.get (), download_id_.c_str (), error);
}

bool
AdaptivePlayback::is_fetched ()
{
  std::lock_guard<std::mutex> lock (plan_mutex_);
  return gst_offline_download_index_is_fetched (index_.get (), download_id_.c_str ());
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
  /* A download of a time range starts where the range does. */
  if (range_start_ > 0 || GST_CLOCK_TIME_IS_VALID (range_end_))
    stream->set_start (segment_, GST_SEQNUM_INVALID);
}

void
AdaptivePlayback::detach ()
{
  /* Waits for a seek in progress, which uses the streams. */
  std::lock_guard<std::mutex> seek_lock (seek_mutex_);
  {
    std::lock_guard<std::mutex> lock (streams_mutex_);
    streams_.clear ();
    detached_ = true;
  }
  wake ();
}

GstFlowReturn
AdaptivePlayback::combine_flow (AdaptiveStream *stream, GstFlowReturn ret)
{
  /* Called from streaming threads, which a seek may be waiting for: not
   * under seek_mutex_. */
  std::lock_guard<std::mutex> streams_lock (streams_mutex_);
  std::lock_guard<std::mutex> lock (flow_mutex_);
  flows_[stream] = ret;
  ended_changed_.notify_all (); /* a parked stream waiting for the others */
  if (ret != GST_FLOW_NOT_LINKED)
    return ret;
  for (AdaptiveStream *other : streams_) {
    auto found = flows_.find (other);
    if (found == flows_.end () || found->second != GST_FLOW_NOT_LINKED)
      return GST_FLOW_OK; /* another stream is (or may yet be) linked */
  }
  return GST_FLOW_NOT_LINKED;
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
  segment->duration = duration ();
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
  GstClockTime end = recording_ ? recorded_end () : duration_.load ();
  if (GST_CLOCK_TIME_IS_VALID (end) && segment->start > end)
    segment->start = end; /* a recording that runs: its newest segment, then what comes */
  /* A download of a time range plays that range only. */
  if (segment->start < range_start_)
    segment->start = range_start_;
  if (GST_CLOCK_TIME_IS_VALID (range_end_) && (!GST_CLOCK_TIME_IS_VALID (segment->stop) || segment->stop > range_end_))
    segment->stop = range_end_;
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

void
AdaptivePlayback::apply_time_range ()
{
  g_autoptr (GstOfflineDownload) download =
      gst_offline_download_index_get_download (index_.get (), download_id_.c_str (), nullptr);
  if (!download)
    return;
  GstOfflineDownloadRequest *request = gst_offline_download_get_request (download);
  GstClockTime start = gst_offline_download_request_get_range_start (request);
  GstClockTime end = gst_offline_download_request_get_range_end (request);
  if (GST_CLOCK_TIME_IS_VALID (start))
    range_start_ = start;
  /* The range is what plays: it ends at `end`, which the duration query
   * answers (positions stay those of the whole presentation). */
  if (GST_CLOCK_TIME_IS_VALID (end) && (!GST_CLOCK_TIME_IS_VALID (duration_) || end < duration_))
    range_end_ = duration_ = end;
  segment_.start = segment_.time = segment_.position = range_start_;
  segment_.stop = range_end_;
  if (GST_CLOCK_TIME_IS_VALID (start) || GST_CLOCK_TIME_IS_VALID (end))
    GST_INFO_OBJECT (element_, "playing the downloaded range %" GST_TIME_FORMAT " - %" GST_TIME_FORMAT,
        GST_TIME_ARGS (range_start_), GST_TIME_ARGS (range_end_));
}

void
AdaptivePlayback::request_download_position (GstClockTime position)
{
  bool missing = false;
  for (AdaptiveStream *stream : streams_) {
    g_autoptr (GstOfflineSegment) at = find_segment (stream->track_index (), position, nullptr);
    guint64 length = 0;
    g_autofree gchar *path = at ? lookup (at->resource, &length, nullptr) : nullptr;
    missing = missing || (at && !path);
  }
  if (missing)
    position_request_.send (position);
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
  request_download_position (segment.position);
  for (AdaptiveStream *stream : streams_)
    stream->flush_start (seqnum);
  for (AdaptiveStream *stream : streams_)
    stream->stop_and_lock ();
  segment_ = segment;
  {
    std::lock_guard<std::mutex> flow_lock (flow_mutex_);
    flows_.clear ();
  }
  for (AdaptiveStream *stream : streams_)
    stream->flush_stop_and_restart (segment, seqnum);
  for (AdaptiveStream *stream : streams_)
    stream->unlock_and_start ();

  last_seek_result_ = TRUE;
  return TRUE;
}

bool
AdaptivePlayback::has_dense_stream ()
{
  std::lock_guard<std::mutex> lock (streams_mutex_);
  return std::any_of (streams_.begin (), streams_.end (), [] (AdaptiveStream *stream) {
    return gst_offline_track_get_track_type (stream->track ()) != GST_OFFLINE_TRACK_TYPE_TEXT;
  });
}

void
AdaptivePlayback::set_ended (AdaptiveStream *stream, bool ended)
{
  std::lock_guard<std::mutex> lock (flow_mutex_);
  ended_[stream] = ended;
  ended_changed_.notify_all ();
}

void
AdaptivePlayback::wake ()
{
  std::lock_guard<std::mutex> lock (flow_mutex_);
  ended_changed_.notify_all ();
}

void
AdaptivePlayback::begin_waiting (AdaptiveStream *stream)
{
  std::lock_guard<std::mutex> lock (buffering_mutex_);
  if (!commit_watch_) {
    g_autofree gchar *path = nullptr;
    g_autofree gchar *lock_dir = nullptr;
    {
      std::lock_guard<std::mutex> plan_lock (plan_mutex_);
      path = gst_offline_download_index_get_commit_signal_path (index_.get ());
      lock_dir = gst_offline_download_index_get_lock_dir (index_.get ());
    }
    GST_DEBUG_OBJECT (element_, "watching %s and %s for the download's progress", path, lock_dir);
    commit_watch_ = std::make_unique<CommitWatch> (path, lock_dir, [this] {
      std::lock_guard<std::mutex> flow_lock (flow_mutex_);
      commits_++;
      ended_changed_.notify_all ();
    });
  }
  bool first = waiting_.empty ();
  waiting_[stream] = 0;
  if (first) {
    GST_INFO_OBJECT (element_, "waiting for the download of '%s': buffering", download_id_.c_str ());
    posted_percent_ = 0;
    gst_element_post_message (element_, gst_message_new_buffering (GST_OBJECT (element_), 0));
  }
}

void
AdaptivePlayback::set_waiting_percent (AdaptiveStream *stream, gint percent)
{
  std::lock_guard<std::mutex> lock (buffering_mutex_);
  auto found = waiting_.find (stream);
  if (found == waiting_.end ())
    return;
  found->second = std::max (found->second, std::min (percent, 99));
  post_least_percent ();
}

void
AdaptivePlayback::post_least_percent ()
{
  gint least = 100;
  for (const auto &waiting : waiting_)
    least = std::min (least, waiting.second);
  if (least > posted_percent_) {
    GST_DEBUG_OBJECT (element_, "buffering the download of '%s': %d%%", download_id_.c_str (), least);
    posted_percent_ = least;
    gst_element_post_message (element_, gst_message_new_buffering (GST_OBJECT (element_), least));
  }
}

void
AdaptivePlayback::end_waiting (AdaptiveStream *stream)
{
  std::lock_guard<std::mutex> lock (buffering_mutex_);
  g_assert (waiting_.count (stream));
  waiting_.erase (stream);
  if (waiting_.empty ()) {
    GST_INFO_OBJECT (element_, "no stream waits for the download of '%s' any more", download_id_.c_str ());
    posted_percent_ = 100;
    gst_element_post_message (element_, gst_message_new_buffering (GST_OBJECT (element_), 100));
  } else {
    post_least_percent (); /* the others' least may have grown */
  }
}

guint64
AdaptivePlayback::commits ()
{
  std::lock_guard<std::mutex> lock (flow_mutex_);
  return commits_;
}

bool
AdaptivePlayback::wait_for_commit (AdaptiveStream *stream, guint64 seen)
{
  std::unique_lock<std::mutex> lock (flow_mutex_);
  auto done = [&] { return detached_ || stream->interrupted () || commits_ != seen; };
  if (!ended_changed_.wait_for (lock, std::chrono::seconds (1), done)) {
    /* A look a second, as the download managers do, at what no event
     * tells reliably: a process that died (inotify may report the close of
     * its lock file an instant before the kernel drops the lock), and
     * commits where the CommitWatch cannot watch. */
    commits_++;
  }
  return !detached_ && !stream->interrupted ();
}

GstClockTime
AdaptivePlayback::duration ()
{
  if (recording_ && recording_runs ())
    return GST_CLOCK_TIME_NONE;
  return duration_;
}

GstClockTime
AdaptivePlayback::recorded_end ()
{
  std::lock_guard<std::mutex> lock (plan_mutex_);
  return gst_offline_download_index_get_duration (index_.get (), download_id_.c_str ());
}

bool
AdaptivePlayback::recording_runs ()
{
  if (!recording_)
    return false;
  g_autoptr (GError) error = nullptr;
  g_autoptr (GstOfflineDownload) download = this->download (&error);
  if (!download && !g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND)) {
    GST_WARNING_OBJECT (element_, "cannot read the download: %s; looking again at the next commit", error->message);
    return true;
  }
  GstOfflineDownloadState state = download ? gst_offline_download_get_state (download)
                                           : GST_OFFLINE_DOWNLOAD_STATE_REMOVING;
  bool fetched = download && gst_offline_download_is_recording (download) && is_being_fetched (state);
  if (fetched && is_fetched ())
    return true;
  if (!recording_.exchange (false))
    return false; /* another stream saw it end */
  GstClockTime end = recorded_end ();
  if (end && (!GST_CLOCK_TIME_IS_VALID (range_end_) || end < range_end_))
    duration_ = end;
  if (!download) {
    GST_INFO_OBJECT (element_, "the recording '%s' was removed", download_id_.c_str ());
  } else if (state == GST_OFFLINE_DOWNLOAD_STATE_COMPLETED) {
    GST_INFO_OBJECT (element_, "the recording '%s' completed: %" GST_TIME_FORMAT " long", download_id_.c_str (),
        GST_TIME_ARGS (end));
  } else {
    /* A process that died, or a recording that failed: what it holds is
     * whole, and plays to its end. */
    GST_ELEMENT_WARNING (element_, RESOURCE, READ,
        ("The recording '%s' stopped before it completed: playing the %.1f s it holds", download_id_.c_str (),
            static_cast<double> (end) / GST_SECOND),
        ("state %s, %s", gst_offline_download_state_to_string (state),
            fetched ? "no process records it any more" : "not fetched any more"));
  }
  gst_element_post_message (element_, gst_message_new_duration_changed (GST_OBJECT (element_)));
  return false;
}

bool
AdaptivePlayback::wait_for_dense_streams_to_end (AdaptiveStream *stream)
{
  std::vector<AdaptiveStream *> dense;
  {
    std::lock_guard<std::mutex> lock (streams_mutex_);
    if (detached_)
      return false;
    for (AdaptiveStream *other : streams_) {
      if (other != stream && gst_offline_track_get_track_type (other->track ()) != GST_OFFLINE_TRACK_TYPE_TEXT)
        dense.push_back (other);
    }
  }
  std::unique_lock<std::mutex> lock (flow_mutex_);
  auto all_ended = [&] {
    return std::all_of (dense.begin (), dense.end (), [this] (AdaptiveStream *other) { return ended_[other]; });
  };
  ended_changed_.wait (lock, [&] { return detached_ || stream->interrupted () || all_ended (); });
  return !detached_ && !stream->interrupted ();
}

AdaptivePlayback::ParkedWait
AdaptivePlayback::wait_while_parked (AdaptiveStream *stream, bool until_others_end)
{
  std::vector<AdaptiveStream *> others;
  {
    std::lock_guard<std::mutex> lock (streams_mutex_);
    if (detached_)
      return ParkedWait::Stop;
    for (AdaptiveStream *other : streams_) {
      if (other != stream && gst_offline_track_get_track_type (other->track ()) != GST_OFFLINE_TRACK_TYPE_TEXT)
        others.push_back (other);
    }
  }
  std::unique_lock<std::mutex> lock (flow_mutex_);
  auto others_done = [&] {
    return until_others_end && std::all_of (others.begin (), others.end (), [this] (AdaptiveStream *other) {
      auto flow = flows_.find (other);
      return ended_[other] || (flow != flows_.end () && flow->second == GST_FLOW_NOT_LINKED);
    });
  };
  ended_changed_.wait (lock,
      [&] { return detached_ || stream->interrupted () || stream->reconfigured () || others_done (); });
  if (detached_ || stream->interrupted ())
    return ParkedWait::Stop;
  return stream->reconfigured () ? ParkedWait::Linked : ParkedWait::OthersEnded;
}

GstClockTime
AdaptivePlayback::playing_position (AdaptiveStream *stream)
{
  std::vector<AdaptiveStream *> candidates { stream };
  {
    std::lock_guard<std::mutex> lock (streams_mutex_);
    for (AdaptiveStream *other : streams_) {
      if (other != stream)
        candidates.push_back (other);
    }
  }
  /* No lock held: the queries go down to the sinks. Streams live until the
   * element stops, which first stops the task calling this. The furthest
   * answer: a sink just linked below `stream` may say 0. */
  GstClockTime furthest = GST_CLOCK_TIME_NONE;
  for (AdaptiveStream *candidate : candidates) {
    gint64 position = -1;
    if (gst_pad_peer_query_position (candidate->pad (), GST_FORMAT_TIME, &position) && position >= 0
        && (!GST_CLOCK_TIME_IS_VALID (furthest) || static_cast<GstClockTime> (position) > furthest))
      furthest = static_cast<GstClockTime> (position);
  }
  return furthest;
}

GstClockTime
AdaptivePlayback::running_time_now ()
{
  GstObjectPtr<GstClock> clock (gst_element_get_clock (element_));
  GST_OBJECT_LOCK (element_);
  GstState state = GST_STATE (element_);
  GstClockTime base = GST_ELEMENT_CAST (element_)->base_time;
  GstClockTime paused_at = GST_ELEMENT_CAST (element_)->start_time;
  GST_OBJECT_UNLOCK (element_);
  if (state != GST_STATE_PLAYING)
    return GST_CLOCK_TIME_IS_VALID (paused_at) ? paused_at : 0;
  if (!clock)
    return GST_CLOCK_TIME_NONE;
  GstClockTime now = gst_clock_get_time (clock.get ());
  return now > base ? now - base : 0;
}

GstMessage *
AdaptivePlayback::streams_selected_message (guint32 seqnum)
{
  GstMessage *message = gst_message_new_streams_selected (GST_OBJECT (element_), collection_.get ());
  if (seqnum != GST_SEQNUM_INVALID)
    gst_message_set_seqnum (message, seqnum);
  std::lock_guard<std::mutex> lock (streams_mutex_);
  for (AdaptiveStream *stream : streams_) {
    GstStream *object = stream_object (stream->track_index ());
    if (object)
      gst_message_streams_selected_add (message, object);
  }
  return message;
}

gboolean
AdaptivePlayback::select_streams (GstEvent *event_in)
{
  GstMiniObjectPtr<GstEvent> event (event_in);
  guint32 seqnum = gst_event_get_seqnum (event.get ());

  std::unique_lock<std::mutex> lock (seek_mutex_);
  if (seqnum == last_select_seqnum_) {
    GST_DEBUG_OBJECT (element_, "select-streams %u was done already", seqnum);
    return last_select_result_;
  }
  last_select_seqnum_ = seqnum;
  last_select_result_ = FALSE;
  if (detached_)
    return FALSE;

  GList *ids = nullptr;
  gst_event_parse_select_streams (event.get (), &ids);
  std::set<guint> wanted;
  for (GList *item = ids; item; item = item->next) {
    auto *id = static_cast<const gchar *> (item->data);
    GstOfflineTrack *track = track_of_stream_id (id);
    if (track)
      wanted.insert (gst_offline_track_get_index (track));
    else
      GST_DEBUG_OBJECT (element_, "select-streams names stream %s, which is not ours", id);
  }
  g_list_free_full (ids, g_free);
  if (wanted.empty ()) {
    GST_WARNING_OBJECT (element_, "select-streams %u names none of the download's streams: ignored", seqnum);
    return FALSE;
  }

  /* Where playback is: new tracks start there (the furthest a stream of
   * the selection that goes on got, else the furthest of any). */
  GstClockTime position = GST_CLOCK_TIME_NONE, any_position = GST_CLOCK_TIME_NONE;
  std::vector<AdaptiveStream *> keep, drop;
  for (AdaptiveStream *stream : streams_) {
    GstClockTime at = stream->position ();
    if (GST_CLOCK_TIME_IS_VALID (at) && (!GST_CLOCK_TIME_IS_VALID (any_position) || at > any_position))
      any_position = at;
    if (wanted.count (stream->track_index ())) {
      keep.push_back (stream);
      wanted.erase (stream->track_index ());
      if (GST_CLOCK_TIME_IS_VALID (at) && (!GST_CLOCK_TIME_IS_VALID (position) || at > position))
        position = at;
    } else {
      drop.push_back (stream);
    }
  }
  if (!GST_CLOCK_TIME_IS_VALID (position))
    position = GST_CLOCK_TIME_IS_VALID (any_position) ? any_position : segment_.start;

  /* A newly selected track takes the pad of a track of its type that is
   * dropped, as adaptivedemux2 gives an output slot another track: the
   * elements below the pad (demuxer, parser, decoder, sink) stay linked,
   * where a new pad would be refused until decodebin3 had freed the old
   * track's output. */
  auto track_of = [this] (guint index) -> GstOfflineTrack * {
    for (auto &candidate : tracks_)
      if (gst_offline_track_get_index (candidate.get ()) == index)
        return candidate.get ();
    return nullptr;
  };
  std::vector<std::pair<AdaptiveStream *, GstOfflineTrack *>> switches;
  for (auto index = wanted.begin (); index != wanted.end ();) {
    GstOfflineTrack *track = track_of (*index);
    auto same_type = std::find_if (drop.begin (), drop.end (), [track] (AdaptiveStream *stream) {
      return gst_offline_track_get_track_type (stream->track ()) == gst_offline_track_get_track_type (track);
    });
    if (same_type == drop.end ()) {
      ++index;
      continue;
    }
    switches.emplace_back (*same_type, track);
    keep.push_back (*same_type);
    drop.erase (same_type);
    index = wanted.erase (index);
  }

  GST_INFO_OBJECT (element_, "select-streams %u: %zu tracks go on, %zu switch, %zu stop, %zu start at %" GST_TIME_FORMAT,
      seqnum, keep.size () - switches.size (), switches.size (), drop.size (), wanted.size (), GST_TIME_ARGS (position));
  for (AdaptiveStream *stream : drop)
    stream->deselect ();
  {
    std::lock_guard<std::mutex> streams_lock (streams_mutex_);
    streams_ = keep;
  }
  wake (); /* a text stream waiting for a dropped one */
  for (auto &[stream, track] : switches) {
    /* Where playback is (by the clock), not where the track got: what it
     * pushed beyond is flushed. */
    GstClockTime at = stream->position_at_running_time (running_time_now ());
    if (!GST_CLOCK_TIME_IS_VALID (at))
      at = stream->position ();
    stream->switch_track (track, at, seqnum);
  }
  for (guint index : wanted) {
    GstOfflineTrack *track = track_of (index);
    AdaptiveStream *stream = factory_ ? factory_ (track, segment_, last_seek_seqnum_, position) : nullptr;
    if (!stream)
      return FALSE;
    stream->mark_switched_in ();
    std::lock_guard<std::mutex> streams_lock (streams_mutex_);
    streams_.push_back (stream);
  }
  last_select_result_ = TRUE;
  lock.unlock ();

  gst_element_post_message (element_, streams_selected_message (seqnum));
  return TRUE;
}

} // namespace gst_offline
