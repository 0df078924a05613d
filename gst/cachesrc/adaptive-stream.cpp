/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "adaptive-stream.h"

#include "fmp4-clear-lead.h"
#include "fmp4-timing.h"
#include "mss-caps.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <set>

#define GST_CAT_DEFAULT gst_cache_src_debug

namespace gst_offline {

AdaptiveStream::AdaptiveStream (GstElement *element, GstPadTemplate *templ, const gchar *pad_name,
    std::shared_ptr<AdaptivePlayback> playback, GstOfflineTrack *track, guint blocksize)
    : OutputStream (element, templ, pad_name),
      playback_ (std::move (playback)),
      track_ (track),
      track_index_ (gst_offline_track_get_index (track)),
      first_track_index_ (gst_offline_track_get_index (track)),
      source_ (this, element, pad (), playback_, track, blocksize)
{
  gst_segment_init (&segment_, GST_FORMAT_TIME);
  segment_.duration = playback_->duration ();
  seqnum_ = gst_util_seqnum_next ();
}

AdaptiveStream::~AdaptiveStream ()
{
  gst_offline_segment_free (current_);
}

/* ---- Where to start ------------------------------------------------------- */

void
AdaptiveStream::restart_locked (const GstSegment &segment, guint32 seqnum)
{
  playback_->set_ended (this, false);
  {
    std::lock_guard<std::mutex> lock (segment_mutex_);
    segment_ = segment;
  }
  seqnum_ = seqnum;
  source_.restart (segment.start);
  need_segment_ = true;
  parked_ = false;
  need_init_ = true;
  discont_ = true;
  media_pending_ = false;
  last_period_ = G_MAXUINT;
  period_end_ = GST_CLOCK_TIME_NONE;
  period_lead_ = 0;
  ended_period_ = G_MAXUINT;
  reader_ = SegmentSource::Reader ();
  gst_offline_segment_free (current_);
  current_ = nullptr;
}

void
AdaptiveStream::set_start (const GstSegment &segment, guint32 seqnum, GstClockTime position)
{
  restart_locked (segment, seqnum != GST_SEQNUM_INVALID ? seqnum : seqnum_);
  if (GST_CLOCK_TIME_IS_VALID (position) && position > segment.start) {
    source_.restart (position);
    std::lock_guard<std::mutex> lock (segment_mutex_);
    segment_.position = position;
  }
}

GstClockTime
AdaptiveStream::position ()
{
  std::lock_guard<std::mutex> lock (segment_mutex_);
  return segment_.position;
}

GstClockTime
AdaptiveStream::position_at_running_time (GstClockTime running_time)
{
  if (!GST_CLOCK_TIME_IS_VALID (running_time))
    return GST_CLOCK_TIME_NONE;
  std::lock_guard<std::mutex> lock (segment_mutex_);
  return gst_segment_position_from_running_time (&segment_, GST_FORMAT_TIME, running_time);
}

void
AdaptiveStream::deselect ()
{
  GST_INFO_OBJECT (pad (), "track %s is no longer selected", gst_offline_track_get_stream_key (track ()));
  deselected_ = true;
  playback_->wake ();
}

void
AdaptiveStream::push_activated ()
{
  /* A new activation starts a new stream from where the segment says (the
   * start, or where a seek sent before the pads existed put it). */
  GstSegment segment;
  {
    std::lock_guard<std::mutex> lock (segment_mutex_);
    segment = segment_;
  }
  need_stream_start_ = need_caps_ = need_tags_ = need_protection_ = need_collection_ = true;
  restart_locked (segment, seqnum_);
}

void
AdaptiveStream::push_deactivating ()
{
  /* A parked track, or one waiting for a segment, waits on the playback's
   * condition: the element's pads are deactivated before the streams are
   * removed (PAUSED to READY), so nothing else would wake it. */
  playback_->wake ();
}

/* ---- Seeks ---------------------------------------------------------------- */

void
AdaptiveStream::flush_start (guint32 seqnum)
{
  seek_flushing_ = true;
  GstEvent *event = gst_event_new_flush_start ();
  gst_event_set_seqnum (event, seqnum);
  gst_pad_push_event (pad (), event);
  playback_->wake (); /* a text stream waiting at its end: the pad flushes now */
}

bool
AdaptiveStream::interrupted () const
{
  /* seek_flushing_ too: a parked stream's own flush (park()) may have
   * ended the pad's flushing state while a seek's goes on. */
  return deselected_ || seek_flushing_ || GST_PAD_IS_FLUSHING (pad ());
}

void
AdaptiveStream::stop_and_lock ()
{
  pause_task ();
  GST_PAD_STREAM_LOCK (pad ());
}

void
AdaptiveStream::flush_stop_and_restart (const GstSegment &segment, guint32 seqnum)
{
  GstEvent *event = gst_event_new_flush_stop (TRUE);
  gst_event_set_seqnum (event, seqnum);
  gst_pad_push_event (pad (), event);
  seek_flushing_ = false;
  restart_locked (segment, seqnum);
}

void
AdaptiveStream::unlock_and_start ()
{
  start_task ();
  GST_PAD_STREAM_UNLOCK (pad ());
}

/* ---- Pushing -------------------------------------------------------------- */

GstCaps *
AdaptiveStream::make_caps (GError **error) const
{
  if (is_mss ())
    return mss_track_caps (track (), error);
  return caps_for (gst_offline_track_get_container (track ()), gst_offline_track_get_track_type (track ()));
}

bool
AdaptiveStream::is_fmp4 () const
{
  return g_str_equal (gst_offline_track_get_container (track ()), "fmp4");
}

void
AdaptiveStream::restart_demuxer ()
{
  /* qtdemux reads a new moov only after a new stream-start: the segment
   * event of the new period sets its offset back to 0, where it skips a
   * moov at the offset of the one it has (and then reads the new period's
   * fragments with the old sample descriptions). The same stream (id,
   * group, GstStream) again: it resets itself, reads the period's init
   * segment (sent again even when the same) and configures its streams
   * from it, keeping their pads when they are the same tracks. */
  if (protection_changes ()) {
    /* From clear to protected content or back, in a Period that was not
     * in the plan when the track started (a recording that runs; see
     * read_init_protection()): a new stream id, so that qtdemux gives the
     * track a new pad (which decodebin links to a chain with a decryptor,
     * or without one), where it would give the same pad application/x-cenc
     * caps that the parser linked to it refuses; the old pad ends (EOS),
     * which drains its decoder. */
    stream_variant_++;
    GST_DEBUG_OBJECT (pad (), "new period: the encryption changes, a new stream");
  } else {
    GST_DEBUG_OBJECT (pad (), "new period: restarting the demuxer with the same stream");
  }
  need_stream_start_ = need_caps_ = true;
  need_init_ = true;
  discont_ = true;
  push_stream_start_and_caps ();
}

bool
AdaptiveStream::sends_clear_lead () const
{
  if (!is_fmp4 ())
    return false;
  const gchar *const *systems = gst_offline_track_get_protection_systems (track ());
  return (systems && systems[0]) || protected_init_.value_or (false);
}

bool
AdaptiveStream::read_init_protection ()
{
  if (protected_init_ || !is_fmp4 ())
    return true;
  const gchar *const *systems = gst_offline_track_get_protection_systems (track ());
  if (systems && systems[0])
    return true; /* signalled: nothing to read */
  guint index = gst_offline_track_get_index (track ());
  /* The segment numbered `number`, or nullptr past the end (or on an
   * error: the plan's errors are reported where it is played). */
  auto segment_at = [&] (guint64 number) -> GstOfflineSegment * {
    g_autoptr (GError) error = nullptr;
    g_autoptr (GPtrArray) one = playback_->segments (index, number, 1, &error);
    if (!one || one->len == 0)
      return nullptr;
    return gst_offline_segment_copy (static_cast<GstOfflineSegment *> (g_ptr_array_index (one, 0)));
  };
  std::set<std::string> seen;
  bool found = false;
  for (GstOfflineSegment *first = segment_at (0); first;) {
    const gchar *init = first->init_resource;
    if (init && seen.insert (init).second) {
      /* Waited for while the download runs, as a segment is: the
       * downloader fetches every init segment before any media segment,
       * so this costs little, and deciding without it would give the
       * track a new stream id at the change (docs/architecture.md). */
      UniqueFd fd;
      guint64 length = 0;
      if (!source_.open_resource (init, true, &fd, &length)) {
        gst_offline_segment_free (first);
        return false;
      }
      auto is_protected = fmp4_track_protected (fd.get (), length);
      if (is_protected && *is_protected) {
        GST_DEBUG_OBJECT (pad (), "init segment %s is protected: the track is protected content throughout", init);
        found = true;
        gst_offline_segment_free (first);
        break;
      }
    }
    /* The first segment of the next Period: gallop, then halve. */
    guint period = first->period;
    guint64 low = first->number + 1, high = low, step = 1;
    gst_offline_segment_free (first);
    for (;;) {
      GstOfflineSegment *probe = segment_at (high);
      bool after = !probe || probe->period != period;
      if (probe)
        gst_offline_segment_free (probe);
      if (after)
        break;
      low = high + 1;
      high += step;
      step *= 2;
    }
    while (low < high) {
      guint64 middle = low + (high - low) / 2;
      GstOfflineSegment *probe = segment_at (middle);
      bool after = !probe || probe->period != period;
      if (probe)
        gst_offline_segment_free (probe);
      if (after)
        high = middle;
      else
        low = middle + 1;
    }
    first = segment_at (low);
  }
  protected_init_ = found;
  return true;
}

void
AdaptiveStream::present_as_clear_lead ()
{
  auto is_protected = fmp4_track_protected (reader_.fd.get (), reader_.size);
  if (!is_protected || *is_protected || reader_.size > kMaxClearLeadInit)
    return;
  std::vector<guint8> bytes (reader_.size);
  gsize done = 0;
  while (done < bytes.size ()) {
    ssize_t n = pread (reader_.fd.get (), bytes.data () + done, bytes.size () - done, done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return; /* read_block() says what is wrong with the file */
    done += n;
  }
  auto rewritten = fmp4_init_as_clear_lead (bytes);
  if (!rewritten) {
    GST_WARNING_OBJECT (pad (), "init segment %s of a protected track is clear but not readable as such: sent as it is",
        reader_.key.c_str ());
    return;
  }
  GST_DEBUG_OBJECT (pad (), "init segment %s is clear in a protected track: sent as a clear lead", reader_.key.c_str ());
  reader_.bytes = std::move (*rewritten);
  reader_.size = reader_.bytes.size ();
}

bool
AdaptiveStream::protection_changes ()
{
  const gchar *next = current_ ? current_->init_resource : nullptr;
  if (!next || last_init_.empty () || last_init_ == next)
    return false;
  /* A protected track's clear Periods go as a clear lead: what qtdemux
   * sees stays protected. */
  if (sends_clear_lead ())
    return false;
  std::optional<bool> was, is;
  for (auto [key, result] : { std::make_pair (last_init_.c_str (), &was), std::make_pair (next, &is) }) {
    UniqueFd fd;
    guint64 size = 0;
    if (source_.open_resource (key, true, &fd, &size))
      *result = fmp4_track_protected (fd.get (), size);
  }
  /* An init segment that cannot be read fails when it is pushed. */
  return was && is && *was != *is;
}

bool
AdaptiveStream::is_mpegts () const
{
  return g_str_equal (gst_offline_track_get_container (track ()), "mpegts");
}

bool
AdaptiveStream::is_mss () const
{
  return g_str_equal (gst_offline_track_get_container (track ()), "mss-fmp4");
}

GstCaps *
AdaptiveStream::caps_for (const gchar *container, GstOfflineTrackType type)
{
  if (g_str_equal (container, "fmp4"))
    return gst_caps_new_empty_simple (type == GST_OFFLINE_TRACK_TYPE_AUDIO ? "audio/x-m4a" : "video/quicktime");
  /* Smooth Streaming: the full caps come from the track (make_caps). */
  if (g_str_equal (container, "mss-fmp4") && type != GST_OFFLINE_TRACK_TYPE_TEXT)
    return gst_caps_new_simple ("video/quicktime", "variant", G_TYPE_STRING, "mss-fragmented", nullptr);
  if (g_str_equal (container, "mpegts"))
    return gst_caps_new_simple ("video/mpegts", "systemstream", G_TYPE_BOOLEAN, TRUE, nullptr);
  if (g_str_equal (container, "webvtt"))
    return gst_caps_new_empty_simple ("application/x-subtitle-vtt");
  if (g_str_equal (container, "ttml"))
    return gst_caps_new_empty_simple ("application/ttml+xml");
  return nullptr;
}

bool
AdaptiveStream::push_stream_start_and_caps ()
{
  if (need_stream_start_) {
    need_stream_start_ = false;
    /* The track the pad was made for, whatever it carries now: see
     * first_track_index_. */
    guint id_track = first_track_index_;
    std::string id = playback_->stream_id (id_track);
    if (stream_variant_ > 0)
      id += "/" + std::to_string (stream_variant_);
    const gchar *stream_id = id.c_str ();
    GstEvent *event = gst_event_new_stream_start (stream_id);
    gst_event_set_group_id (event, playback_->group_id ());
    GstStream *stream = stream_variant_ == 0 ? playback_->stream_object (id_track) : nullptr;
    if (stream)
      gst_event_set_stream (event, stream);
    GstStreamFlags flags = GST_STREAM_FLAG_NONE;
    if (gst_offline_track_get_track_type (track ()) == GST_OFFLINE_TRACK_TYPE_TEXT)
      flags = GST_STREAM_FLAG_SPARSE;
    gst_event_set_stream_flags (event, flags);
    GST_DEBUG_OBJECT (pad (), "stream-start %s, group id %u", stream_id, playback_->group_id ());
    gst_pad_push_event (pad (), event);
  }

  if (need_caps_) {
    need_caps_ = false;
    g_autoptr (GError) error = nullptr;
    GstCaps *caps = make_caps (&error);
    if (error) {
      /* Not CODEC_NOT_FOUND: uridecodebin takes that for a missing plugin and
       * holds it back (for good if another track plays). */
      GST_ELEMENT_ERROR (element (), STREAM, NOT_IMPLEMENTED,
          ("Track %s of download '%s' cannot be played: %s", gst_offline_track_get_stream_key (track ()),
              playback_->download_id ().c_str (), error->message),
          ("no caps for the track"));
      return false;
    }
    if (caps) {
      GST_DEBUG_OBJECT (pad (), "caps %" GST_PTR_FORMAT, caps);
      gst_pad_push_event (pad (), gst_event_new_caps (caps));
      gst_caps_unref (caps);
    }
  }
  return true;
}

void
AdaptiveStream::push_segment (gint64 media_offset)
{
  GstSegment segment;
  {
    std::lock_guard<std::mutex> lock (segment_mutex_);
    segment = segment_;
  }
  /* Presentation time T is media time T + media_offset. */
  GstSegment out = segment;
  gint64 start = static_cast<gint64> (segment.start) + media_offset;
  out.start = start < 0 ? 0 : start;
  out.time = start < 0 ? static_cast<guint64> (-media_offset) : segment.start;
  out.position = out.start;
  out.stop = media_stop (segment, media_offset, out.start);
  out.duration = GST_CLOCK_TIME_NONE;
  out_segment_ = out;
  media_offset_ = media_offset;

  GstEvent *event = gst_event_new_segment (&out);
  gst_event_set_seqnum (event, seqnum_);
  GST_DEBUG_OBJECT (pad (), "segment %" GST_SEGMENT_FORMAT " (media time = presentation time %+" G_GINT64_FORMAT " ns)",
      &out, media_offset);
  gst_pad_push_event (pad (), event);
  need_segment_ = false;

  if (need_collection_) {
    /* After the segment: sticky events go in this order. qtdemux forwards
     * it with its streams. Each pad sends a collection object of its own
     * holding the same GstStreams: decodebin3 (1.22) unblocks the inputs
     * that share a collection together when one of them gets its first
     * buffer, and then drops those that ended meanwhile (a short audio
     * track fully queued before the video reaches it), output and all;
     * with collections of their own it merges them (the same streams, by
     * pointer) and unblocks each input by itself. */
    need_collection_ = false;
    if (is_mpegts ())
      collection_after_tables_ = true; /* see push_first_mpegts_block() */
    else
      push_collection ();
  }

  if (need_tags_) {
    need_tags_ = false;
    /* The manifest's language and label (DASH Label, HLS NAME, Smooth
     * Streaming Name): players show them, an export writes them. */
    const gchar *language = gst_offline_track_get_language (track ());
    const gchar *label = gst_offline_track_get_label (track ());
    GstTagList *tags = gst_tag_list_new_empty ();
    if (language && *language)
      gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE, GST_TAG_LANGUAGE_CODE, language, nullptr);
    if (label && *label)
      gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE, GST_TAG_TITLE, label, nullptr);
    if (gst_tag_list_is_empty (tags)) {
      gst_tag_list_unref (tags);
    } else {
      gst_tag_list_set_scope (tags, GST_TAG_SCOPE_STREAM);
      GST_DEBUG_OBJECT (pad (), "tags %" GST_PTR_FORMAT, tags);
      gst_pad_push_event (pad (), gst_event_new_tag (tags));
    }
  }

  if (need_protection_) {
    need_protection_ = false;
    g_autoptr (GPtrArray) events = gst_offline_track_get_protection_events (track ());
    for (guint i = 0; events && i < events->len; i++) {
      auto *event = static_cast<GstEvent *> (g_ptr_array_index (events, i));
      GST_DEBUG_OBJECT (pad (), "protection event %" GST_PTR_FORMAT, event);
      gst_pad_push_event (pad (), gst_event_ref (event));
    }
  }
}

bool
AdaptiveStream::enter_period ()
{
  period_end_ = is_fmp4 () ? gst_offline_segment_get_period_end (current_) : GST_CLOCK_TIME_NONE;
  period_lead_ = 0;
  if (!GST_CLOCK_TIME_IS_VALID (period_end_))
    return true;
  bool error;
  period_lead_ = playback_->time_mapper ().composition_lead (track (), current_, source_, &error);
  return !error;
}

GstClockTime
AdaptiveStream::period_stop () const
{
  return GST_CLOCK_TIME_IS_VALID (period_end_) ? period_end_ + period_lead_ : GST_CLOCK_TIME_NONE;
}

GstClockTime
AdaptiveStream::media_stop (const GstSegment &segment, gint64 media_offset, guint64 start) const
{
  GstClockTime stop = segment.stop;
  GstClockTime period = period_stop ();
  if (GST_CLOCK_TIME_IS_VALID (period) && (!GST_CLOCK_TIME_IS_VALID (stop) || period < stop))
    stop = period;
  if (!GST_CLOCK_TIME_IS_VALID (stop))
    return GST_CLOCK_TIME_NONE;
  gint64 media = static_cast<gint64> (MIN (stop, static_cast<guint64> (G_MAXINT64))) + media_offset;
  return MAX (static_cast<guint64> (MAX (media, 0)), start);
}

bool
AdaptiveStream::cut_at_period_end (bool *skip)
{
  /* The video decoder answers EOS for the first picture it outputs past
   * the segment's stop. Under uridecodebin3 that EOS lands in decodebin3's
   * multiqueue, which in GStreamer 1.22 can write it back after the next
   * Period's segment cleared it and then refuses (and urisourcebin's
   * multiqueue drops) that Period's first pictures. Cut so, the pictures
   * past the stop that the decoder gets come before the last one it is
   * given in decode order and are shown after it: it outputs them only
   * when the segment-done at the next Period drains it, where it clips
   * them, and an event's result stops at the multiqueue. */
  *skip = false;
  if (reader_.cipher || !reader_.bytes.empty ())
    return true;
  bool error;
  auto timescale = playback_->time_mapper ().timescale (track (), current_, source_, &error);
  if (error)
    return false;
  if (!timescale)
    return true;
  auto cut = fmp4_cut_at (reader_.fd.get (), reader_.size, *timescale, out_segment_.stop);
  if (!cut) {
    GST_WARNING_OBJECT (pad (), "segment %" G_GUINT64_FORMAT " cannot be cut at the end of its Period: sent whole",
        current_->number);
    return true;
  }
  if (!cut->cuts)
    return true;
  ended_period_ = current_->period;
  GST_DEBUG_OBJECT (pad (), "segment %" G_GUINT64_FORMAT " cut at the end of period %u: %s", current_->number,
      current_->period, cut->keeps ? "its first bytes" : "none of it");
  if (!cut->keeps) {
    *skip = true;
    return true;
  }
  reader_.size = cut->end;
  reader_.patches = std::move (cut->patches);
  return true;
}

void
AdaptiveStream::push_segment_done ()
{
  /* The decoders drain at a segment-done (as at the end of a segment
   * seek): the frames they hold of this Period come out now, timed by its
   * segment and clipped at its end. Without it they stay until the next
   * Period's frames push them out, after its segment: the video decoder
   * then takes the new frames, earlier than the last ones it saw, for
   * reordered ones and retimes them. qtdemux passes it on to its pads,
   * and keeps the pads (a new stream-start from it would drain the
   * decoders too, but it sends one only on a pad that had ended). */
  GstEvent *event = gst_event_new_segment_done (GST_FORMAT_TIME, out_segment_.stop);
  gst_event_set_seqnum (event, seqnum_);
  GST_DEBUG_OBJECT (pad (), "the end of a period at %" GST_TIME_FORMAT " (media time): segment-done",
      GST_TIME_ARGS (out_segment_.stop));
  gst_pad_push_event (pad (), event);
}

bool
AdaptiveStream::stops_at_period_end ()
{
  GstClockTime period = period_stop ();
  if (!GST_CLOCK_TIME_IS_VALID (period))
    return false;
  std::lock_guard<std::mutex> lock (segment_mutex_);
  return !GST_CLOCK_TIME_IS_VALID (segment_.stop) || period < segment_.stop;
}

void
AdaptiveStream::push_period_segment (GstClockTime start, gint64 media_offset)
{
  /* Running time goes on from where the previous mapping put `start`. */
  GstClockTime old_media = static_cast<GstClockTime> (MAX (static_cast<gint64> (start) + media_offset_, 0));
  GstClockTime running = gst_segment_to_running_time (&out_segment_, GST_FORMAT_TIME, old_media);
  GstSegment out = out_segment_;
  gint64 new_start = static_cast<gint64> (start) + media_offset;
  out.start = new_start < 0 ? 0 : new_start;
  out.time = start;
  out.position = out.start;
  {
    std::lock_guard<std::mutex> lock (segment_mutex_);
    out.stop = media_stop (segment_, media_offset, out.start);
  }
  if (GST_CLOCK_TIME_IS_VALID (running))
    out.base = running;
  out_segment_ = out;
  media_offset_ = media_offset;

  GstEvent *event = gst_event_new_segment (&out);
  gst_event_set_seqnum (event, seqnum_);
  GST_DEBUG_OBJECT (pad (), "new period: segment %" GST_SEGMENT_FORMAT, &out);
  gst_pad_push_event (pad (), event);
}

void
AdaptiveStream::push_iteration ()
{
  if (deselected_) {
    finish (GST_FLOW_EOS, false);
    return;
  }
  if (parked_) {
    wait_while_parked ();
    return;
  }
  reconfigures_at_iteration_ = reconfigures_;
  if (!push_stream_start_and_caps ()) {
    finish (GST_FLOW_NOT_NEGOTIATED, true);
    return;
  }

  GstFlowReturn ret = GST_FLOW_OK;
  if (!reader_.fd) {
    if (!media_pending_) {
      /* On to the next media segment. */
      gst_offline_segment_free (current_);
      current_ = nullptr;
      GstOfflineSegment *next = source_.next_segment (&ret);
      while (next && next->period == ended_period_)
        next = source_.next_segment (&ret); /* past the end of its Period: not shown */
      if (!next) {
        if (ret == GST_FLOW_OK && need_segment_)
          push_segment (0);
        finish (ret == GST_FLOW_OK ? GST_FLOW_EOS : ret, ret != GST_FLOW_OK);
        return;
      }
      current_ = gst_offline_segment_copy (next);

      /* Where media time (fMP4 tfdt, which qtdemux prefers to the buffer
       * PTS) meets presentation time: at the start, after a seek, and
       * when a new period or a discontinuity may restart the media
       * timeline. Segments in between follow their predecessors. */
      bool new_period = last_period_ != G_MAXUINT && current_->period != last_period_;
      last_period_ = current_->period;
      bool restarted = new_period && is_fmp4 ();
      gint64 offset = media_offset_;
      /* period_end_ is still the Period before's here. */
      if (need_segment_ || new_period || current_->discontinuity) {
        bool error;
        offset = playback_->time_mapper ().media_offset (track (), current_, source_, &error);
        if (error) {
          finish (GST_FLOW_ERROR, true);
          return;
        }
      }
      bool after_cut = restarted && GST_CLOCK_TIME_IS_VALID (period_end_);
      if ((need_segment_ || new_period) && !enter_period ()) {
        finish (GST_FLOW_ERROR, true);
        return;
      }
      GstClockTime period_start = current_->start;
      if (after_cut && gst_offline_segment_get_early (current_) > 0) {
        /* The same media runs on from the Period before, which stopped at
         * its end shifted by the composition offset: this one starts
         * there. */
        bool error;
        period_start += playback_->time_mapper ().composition_lead (track (), current_, source_, &error);
        if (error) {
          finish (GST_FLOW_ERROR, true);
          return;
        }
      }
      if (after_cut) {
        /* The Period before stopped at its end: the segment-done drains
         * the decoders; the new Period's segment follows at once, before
         * the stream-start, so that qtdemux passes it on while it still
         * has its pads: a multiqueue below takes nothing after a
         * segment-done but a segment (it counts itself full until one),
         * and after the stream-start qtdemux sends the caps first. */
        push_segment_done ();
        push_period_segment (period_start, offset);
      }
      if (restarted)
        restart_demuxer ();
      /* After a new period's stream-start qtdemux needs a segment. */
      if (need_segment_)
        push_segment (offset);
      else if ((new_period || current_->discontinuity) && (offset != media_offset_ || restarted))
        push_period_segment (period_start, offset);

      GstSegment segment;
      {
        std::lock_guard<std::mutex> lock (segment_mutex_);
        segment = segment_;
      }
      if (GST_CLOCK_TIME_IS_VALID (segment.stop) && current_->start >= segment.stop) {
        GST_DEBUG_OBJECT (pad (), "segment %" G_GUINT64_FORMAT " starts at the seek's stop", current_->number);
        finish (GST_FLOW_EOS, false);
        return;
      }
      if (current_->discontinuity)
        discont_ = true;
      media_pending_ = true;

      const gchar *init = current_->init_resource;
      if (init && (need_init_ || last_init_ != init)) {
        bool changed = !need_init_;
        if (!read_init_protection ()) {
          finish (GST_FLOW_ERROR, true);
          return;
        }
        GST_DEBUG_OBJECT (pad (), "init segment %s%s", init, changed ? " (it changed: a new period)" : "");
        if (!source_.open_reader (init, true, &reader_, current_->start)) {
          finish (GST_FLOW_ERROR, true);
          return;
        }
        if (sends_clear_lead ())
          present_as_clear_lead ();
        reader_.discont = discont_ || changed;
        discont_ = false;
        need_init_ = false;
        last_init_ = init;
      }
    }

    if (!reader_.fd) {
      /* The media bytes of current_. */
      if (!source_.open_media (current_, &reader_)) {
        finish (GST_FLOW_ERROR, true);
        return;
      }
      if (is_fmp4 () && stops_at_period_end ()) {
        bool skip;
        if (!cut_at_period_end (&skip)) {
          finish (GST_FLOW_ERROR, true);
          return;
        }
        if (skip) {
          reader_ = SegmentSource::Reader ();
          media_pending_ = false;
          return;
        }
      }
      reader_.pts = current_->start;
      if (is_mpegts ()) {
        /* tsdemux times its output from the PCRs and the PTS of the buffers
         * they come in: give it the time the period's MPEG-TS clock puts
         * the segment at, not its nominal start, or frames shift after a
         * seek and where EXTINF durations are not the real ones. */
        bool error;
        TimeMapper &mapper = playback_->time_mapper ();
        auto map = mapper.period_map (track (), current_, track_index_, source_, &error);
        auto media_time = map && !error ? mapper.media_time_of (track (), current_, source_, &error) : std::nullopt;
        if (error) {
          finish (GST_FLOW_ERROR, true);
          return;
        }
        if (media_time)
          reader_.pts = media_to_presentation (static_cast<gint64> (*media_time), *map);
      }
      reader_.discont = discont_;
      discont_ = false;
      media_pending_ = false;
      GST_LOG_OBJECT (pad (), "segment %" G_GUINT64_FORMAT " at %" GST_TIME_FORMAT, current_->number,
          GST_TIME_ARGS (current_->start));
      std::lock_guard<std::mutex> lock (segment_mutex_);
      segment_.position = current_->start;
    }
  }

  GstBuffer *buffer = nullptr;
  if (reader_.size == 0) {
    reader_ = SegmentSource::Reader ();
    return;
  }
  if (g_str_equal (gst_offline_track_get_container (track ()), "webvtt")) {
    push_webvtt_segment ();
    return;
  }
  ret = source_.read_block (reader_, &buffer);
  if (ret != GST_FLOW_OK) {
    finish (ret, true);
    return;
  }
  if (reader_.offset >= reader_.size)
    reader_ = SegmentSource::Reader ();
  if (gst_buffer_get_size (buffer) == 0) {
    gst_buffer_unref (buffer); /* the cipher holds the block back */
    return;
  }

  ret = collection_after_tables_ ? push_first_mpegts_block (buffer) : gst_pad_push (pad (), buffer);
  if (ret == GST_FLOW_EOS && current_ && stops_at_period_end ()) {
    /* The segment stop at the Period's end was reached (qtdemux, or the
     * decoder below it, answers EOS past it): what is left of the Period
     * is not shown, and the next Period restarts the demuxer. */
    GST_DEBUG_OBJECT (pad (), "the end of period %u at %" GST_TIME_FORMAT ": on to the next one", current_->period,
        GST_TIME_ARGS (period_end_));
    ended_period_ = current_->period;
    reader_ = SegmentSource::Reader ();
    media_pending_ = false;
    return;
  }
  if (ret != GST_FLOW_OK)
    finish (ret, false);
}

void
AdaptiveStream::push_collection ()
{
  GstStreamCollection *collection = playback_->copy_collection ();
  gst_pad_push_event (pad (), gst_event_new_stream_collection (collection));
  gst_object_unref (collection);
}

GstFlowReturn
AdaptiveStream::push_first_mpegts_block (GstBuffer *buffer)
{
  std::optional<gsize> head;
  {
    GstMapInfo map;
    if (gst_buffer_map (buffer, &map, GST_MAP_READ)) {
      head = mpegts_program_head (map.data, map.size);
      gst_buffer_unmap (buffer, &map);
    }
  }
  if (!head) {
    /* tsdemux drops a collection that comes before its program: its own
     * then stands. */
    GST_INFO_OBJECT (pad (), "MPEG-TS data does not begin with its tables: the collection goes first");
    collection_after_tables_ = false;
    push_collection ();
    return gst_pad_push (pad (), buffer);
  }
  gsize size = gst_buffer_get_size (buffer);
  GstBuffer *rest = nullptr;
  if (*head < size) {
    rest = gst_buffer_copy_region (buffer, GST_BUFFER_COPY_ALL, *head, size - *head);
    /* The time the block came at, as before the split: tsdemux times the
     * PCRs it meets by the PTS of the buffer holding them. */
    GST_BUFFER_PTS (rest) = GST_BUFFER_PTS (buffer);
    GST_BUFFER_DTS (rest) = GST_BUFFER_DTS (buffer);
    GST_BUFFER_OFFSET (rest) = GST_BUFFER_OFFSET_NONE;
    GST_BUFFER_FLAG_UNSET (rest, GST_BUFFER_FLAG_DISCONT);
    gst_buffer_resize (buffer, 0, *head);
  }
  GST_DEBUG_OBJECT (pad (), "MPEG-TS head (%" G_GSIZE_FORMAT " bytes), then the stream collection", *head);
  GstFlowReturn ret = gst_pad_push (pad (), buffer);
  if (ret == GST_FLOW_OK) {
    collection_after_tables_ = false;
    push_collection ();
  }
  if (rest) {
    if (ret == GST_FLOW_OK)
      ret = gst_pad_push (pad (), rest);
    else
      gst_buffer_unref (rest);
  }
  return ret;
}

void
AdaptiveStream::finish (GstFlowReturn ret, bool error_posted)
{
  if (source_.take_interrupted ()) {
    /* A wait for the download cut short: a flush (the seek restarts the
     * task), the element stopping, or a deselection (the next iteration
     * ends the pad). */
    GST_DEBUG_OBJECT (pad (), "the wait for the download was interrupted");
    if (!deselected_)
      pause_task ();
    return;
  }
  if (ret != GST_FLOW_OK && ret != GST_FLOW_EOS && !error_posted && GST_PAD_IS_FLUSHING (pad ())) {
    /* A seek flushes this pad (the seek waits for this iteration to end
     * before its flush-stop): what a push answered meanwhile tells nothing
     * about the stream. subparse, refused its caps by a flushing
     * neighbour, says NOT_NEGOTIATED. */
    GST_DEBUG_OBJECT (pad (), "%s while flushing: pausing the push task", gst_flow_get_name (ret));
    ret = GST_FLOW_FLUSHING;
  }
  if (ret == GST_FLOW_NOT_LINKED && deselected_) {
    ret = GST_FLOW_EOS; /* it ends anyway */
  } else if (ret == GST_FLOW_NOT_LINKED && playback_->combine_flow (this, ret) != GST_FLOW_NOT_LINKED) {
    /* Nobody takes this track for now (playbin's input-selector refuses the
     * languages not playing; uridecodebin with caps=video/x-raw leaves the
     * audio unlinked): it pushes nothing more, not holding the others back,
     * until it is taken again or they end. Pushing on would not do: qtdemux,
     * told NOT_LINKED, demuxes one sample per buffer and keeps the rest. */
    park ();
    return;
  }
  if (ret == GST_FLOW_EOS && !deselected_
      && gst_offline_track_get_track_type (track ()) == GST_OFFLINE_TRACK_TYPE_TEXT
      && !playback_->wait_for_dense_streams_to_end (this) && !deselected_) {
    GST_DEBUG_OBJECT (pad (), "woken at the end: flushing or stopping");
    pause_task ();
    return;
  }
  if (ret == GST_FLOW_EOS) {
    GST_DEBUG_OBJECT (pad (), "at the end: pushing EOS");
    GstEvent *event = gst_event_new_eos ();
    gst_event_set_seqnum (event, seqnum_);
    gst_pad_push_event (pad (), event);
    playback_->set_ended (this, true);
  } else if (ret == GST_FLOW_FLUSHING) {
    GST_DEBUG_OBJECT (pad (), "flushing: pausing the push task");
  } else {
    GST_INFO_OBJECT (pad (), "pausing the push task: %s", gst_flow_get_name (ret));
    if (ret == GST_FLOW_NOT_LINKED || ret < GST_FLOW_EOS) {
      if (!error_posted)
        GST_ELEMENT_FLOW_ERROR (element (), ret);
      GstEvent *event = gst_event_new_eos ();
      gst_event_set_seqnum (event, seqnum_);
      gst_pad_push_event (pad (), event);
    }
  }
  pause_task ();
}

void
AdaptiveStream::park ()
{
  if (reconfigured ()) {
    /* Linked, or switched to, during the push that was refused: this pad
     * may be the one playing now, and what it pushed may still be queued
     * below it (a multiqueue answers NOT_LINKED but keeps the data), so it
     * goes on where it is, without a flush or a new start. */
    GST_INFO_OBJECT (pad (), "not linked while other tracks are, but reconfigured meanwhile: going on");
    playback_->combine_flow (this, GST_FLOW_OK);
    return;
  }
  parked_ = true;
  if (selecting_downstream_) {
    /* decodebin3: a selected track is refused only until the output of
     * the one it replaces is free (its multiqueue slot keeps what came,
     * and is linked when the old stream has drained): it goes on from
     * where it is once linked, keeping what is queued (see
     * wait_while_parked() for a track nobody will link). */
    GST_INFO_OBJECT (pad (), "not linked while other tracks are: parked, no flush (decodebin3)");
    return;
  }
  /* Drop what the elements below hold of this track: they keep it while
   * they are refused NOT_LINKED (decodebin2's multiqueue pushes an
   * unlinked stream only as far as its linked ones got, qtdemux keeps
   * what it did not demux), and it would come out, stale, before the new
   * data once the track is taken again. input-selector does not pass on a
   * flush from a pad not playing, and the running time is not reset. */
  GST_INFO_OBJECT (pad (), "not linked while other tracks are: parked, flushing what is downstream of it");
  if (!interrupted ()) {
    GstEvent *event = gst_event_new_flush_start ();
    gst_event_set_seqnum (event, seqnum_);
    gst_pad_push_event (pad (), event);
    event = gst_event_new_flush_stop (FALSE);
    gst_event_set_seqnum (event, seqnum_);
    gst_pad_push_event (pad (), event);
  }
  /* The flush dropped the sticky segment and the init segment's state:
   * what goes next starts over (restart_at()) in any case. */
}

void
AdaptiveStream::wait_while_parked ()
{
  /* Under decodebin3 a track switched to waits to be linked, however far
   * the others got: decodebin3 links it once the output of the track it
   * replaces has drained, and the end of what cachesrc pushed is not the
   * end of what plays. Any other parked track (one the application left
   * unlinked: `uridecodebin3 ! fakesink` takes one pad of two) ends when
   * the others have: decodebin3 sends EOS downstream only once every one
   * of its inputs has ended. */
  bool wait_for_link = selecting_downstream_ && switched_in_;
  switch (playback_->wait_while_parked (this, !wait_for_link)) {
    case AdaptivePlayback::ParkedWait::Stop:
      /* Deselected: the next iteration ends the pad. Flushing (a seek
       * restarts the task) or stopping: pause. */
      if (!deselected_)
        pause_task ();
      return;
    case AdaptivePlayback::ParkedWait::OthersEnded:
      GST_INFO_OBJECT (pad (), "parked, and the tracks that flow ended: ending this one");
      parked_ = false;
      finish (GST_FLOW_EOS, false);
      return;
    case AdaptivePlayback::ParkedWait::Linked:
      break;
  }
  playback_->combine_flow (this, GST_FLOW_OK);
  parked_ = false;
  if (selecting_downstream_) {
    GST_INFO_OBJECT (pad (), "parked, then linked: going on");
    return;
  }
  /* park() flushed what this track pushed: from where playback is, even
   * if that is before where it got. */
  GstClockTime at = playback_->playing_position (this);
  if (!GST_CLOCK_TIME_IS_VALID (at))
    at = position ();
  GST_INFO_OBJECT (pad (), "parked, then reconfigured: starting again at %" GST_TIME_FORMAT, GST_TIME_ARGS (at));
  restart_at (at);
}

void
AdaptiveStream::restart_at (GstClockTime position)
{
  GstSegment segment;
  {
    std::lock_guard<std::mutex> lock (segment_mutex_);
    segment = segment_;
  }
  guint64 running = GST_CLOCK_TIME_IS_VALID (position)
      ? gst_segment_to_running_time (&segment, GST_FORMAT_TIME, position) : GST_CLOCK_TIME_NONE;
  if (GST_CLOCK_TIME_IS_VALID (running) && position > segment.start) {
    segment.base = running;
    segment.start = segment.time = segment.position = position;
  }
  restart_locked (segment, seqnum_);
}

void
AdaptiveStream::switch_track (GstOfflineTrack *track, GstClockTime position, guint32 seqnum)
{
  GST_INFO_OBJECT (pad (), "switching from track %s to track %s at %" GST_TIME_FORMAT,
      gst_offline_track_get_stream_key (track_), gst_offline_track_get_stream_key (track), GST_TIME_ARGS (position));
  /* What the old track left below the pad goes (tsdemux would not take a
   * new segment without a flush, so it could not be clipped), and the
   * running time goes on (reset_time FALSE): the new track's data plays
   * at the switch point in step with the other pads. */
  flush_start (seqnum);
  stop_and_lock ();
  GstEvent *event = gst_event_new_flush_stop (FALSE);
  gst_event_set_seqnum (event, seqnum);
  gst_pad_push_event (pad (), event);
  seek_flushing_ = false;

  track_ = track;
  track_index_ = gst_offline_track_get_index (track);
  source_.set_track (track);
  protected_init_.reset (); /* the new track's init segments say */
  /* As adaptivedemux2 does on an output slot that takes another track:
   * stream-start (with the pad's stream id: see first_track_index_), caps,
   * segment, collection, tags and protection events again, then the new
   * track's init segment. */
  need_stream_start_ = need_caps_ = need_tags_ = need_protection_ = need_collection_ = true;
  collection_after_tables_ = false;
  GstClockTime from;
  {
    std::lock_guard<std::mutex> lock (segment_mutex_);
    from = segment_.start;
  }
  restart_at (position);
  /* The data starts a little before the switch point (and is clipped up
   * to it downstream), so that the decoder has what comes before the
   * first frame it shows (AAC's overlap, for one). */
  GstClockTime lead_from = position > from + kSwitchLead ? position - kSwitchLead : from;
  source_.restart (lead_from);
  playback_->combine_flow (this, GST_FLOW_OK);
  unlock_and_start ();
}

/* ---- Queries and events --------------------------------------------------- */

gboolean
AdaptiveStream::handle_event (GstEvent *event)
{
  if (GST_EVENT_TYPE (event) == GST_EVENT_SEEK) {
    GstFormat format;
    gst_event_parse_seek (event, nullptr, &format, nullptr, nullptr, nullptr, nullptr, nullptr);
    if (format == GST_FORMAT_BYTES && gst_offline_track_get_track_type (track ()) == GST_OFFLINE_TRACK_TYPE_TEXT
        && playback_->has_dense_stream ()) {
      /* subparse turns every TIME seek into a BYTES seek to 0 upstream
       * (it re-reads the text and drops what comes before the target).
       * The TIME seek that reaches this element through the video or
       * audio pads moves this pad too, so there is nothing left to do
       * here; refusing would fail the application's seek. */
      GST_DEBUG_OBJECT (pad (), "BYTES seek from the subtitle parser: the TIME seek moves this pad");
      gst_event_unref (event);
      return TRUE;
    }
    return playback_->seek (event);
  }
  if (GST_EVENT_TYPE (event) == GST_EVENT_SELECT_STREAMS)
    return playback_->select_streams (event);
  if (GST_EVENT_TYPE (event) == GST_EVENT_RECONFIGURE) {
    /* Downstream changed (a link, an input-selector switching to this
     * pad): a parked track may be taken again. */
    reconfigures_++;
    playback_->wake ();
  }
  return OutputStream::handle_event (event);
}

gboolean
AdaptiveStream::handle_query (GstQuery *query)
{
  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_SCHEDULING:
      /* Push mode only, and not bandwidth-limited: urisourcebin must not
       * take the cache for a network stream. */
      gst_query_set_scheduling (query, GST_SCHEDULING_FLAG_SEEKABLE, 1, -1, 0);
      gst_query_add_scheduling_mode (query, GST_PAD_MODE_PUSH);
      return TRUE;
    case GST_QUERY_DURATION: {
      GstFormat format;
      gst_query_parse_duration (query, &format, nullptr);
      GstClockTime duration = playback_->duration ();
      if (format != GST_FORMAT_TIME || !GST_CLOCK_TIME_IS_VALID (duration))
        return FALSE;
      gst_query_set_duration (query, GST_FORMAT_TIME, duration);
      return TRUE;
    }
    case GST_QUERY_SEEKING: {
      GstFormat format;
      gst_query_parse_seeking (query, &format, nullptr, nullptr, nullptr);
      GstClockTime duration = playback_->duration ();
      /* A recording that runs seeks within what it holds now (as the
       * adaptive demuxers answer with a live stream's seek range). */
      if (format == GST_FORMAT_TIME && !GST_CLOCK_TIME_IS_VALID (duration) && playback_->recording_runs ())
        duration = playback_->recorded_end ();
      if (format == GST_FORMAT_TIME && GST_CLOCK_TIME_IS_VALID (duration) && duration > 0)
        gst_query_set_seeking (query, GST_FORMAT_TIME, TRUE, 0, duration);
      else
        gst_query_set_seeking (query, format, FALSE, -1, -1);
      return TRUE;
    }
    case GST_QUERY_POSITION: {
      GstFormat format;
      gst_query_parse_position (query, &format, nullptr);
      if (format != GST_FORMAT_TIME)
        return FALSE;
      std::lock_guard<std::mutex> lock (segment_mutex_);
      gst_query_set_position (query, GST_FORMAT_TIME, segment_.position);
      return TRUE;
    }
    case GST_QUERY_SEGMENT: {
      std::lock_guard<std::mutex> lock (segment_mutex_);
      gint64 stop = GST_CLOCK_TIME_IS_VALID (segment_.stop) ? static_cast<gint64> (segment_.stop)
                                                           : static_cast<gint64> (segment_.duration);
      gst_query_set_segment (query, segment_.rate, GST_FORMAT_TIME, segment_.start, stop);
      return TRUE;
    }
    case GST_QUERY_FORMATS:
      gst_query_set_formats (query, 1, GST_FORMAT_TIME);
      return TRUE;
    case GST_QUERY_SELECTABLE:
      /* Like adaptivedemux2: this source selects its streams, so decodebin3
       * forwards SELECT_STREAMS here and exposes what comes. */
      selecting_downstream_ = true;
      gst_query_set_selectable (query, TRUE);
      return TRUE;
    default:
      return OutputStream::handle_query (query);
  }
}

} // namespace gst_offline
