/* The output stream of one track of an adaptive download.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "adaptive-playback.h"
#include "output-stream.h"
#include "segment-source.h"
#include "webvtt-timing.h"

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gst_offline {

/* Emits one track's container stream the way the legacy adaptive demuxers'
 * output pads do (see docs/architecture.md): stream-start with the group id
 * every pad shares, caps for the container, a TIME segment, language tags,
 * the track's protection events, then the init segment and the media
 * segments in blocks. The first buffer of each media segment carries its
 * start as PTS (qtdemux takes it over the fragment's tfdt, tsdemux relies on
 * it: for MPEG-TS it is the time the segment's first PCR has on its
 * period's clock); WebVTT segments go whole, rewritten for subparse. The
 * first buffer after the start, after a seek and at a discontinuity is
 * DISCONT; the init segment goes again after every flush and whenever it
 * changes (a new period). Push mode only. What comes next and its bytes
 * are its SegmentSource's. */
class AdaptiveStream final : public OutputStream {
public:
  /* How far before the switch point a track switched to starts: see
   * switch_track(). */
  static constexpr GstClockTime kSwitchLead = 200 * GST_MSECOND;

  /* `track`: transfer none. */
  AdaptiveStream (GstElement *element, GstPadTemplate *templ, const gchar *pad_name,
      std::shared_ptr<AdaptivePlayback> playback, GstOfflineTrack *track, guint blocksize);
  ~AdaptiveStream () override;

  /* The caps of a track's container stream, or NULL for a container
   * cachesrc cannot play (yet). For Smooth Streaming ("mss-fmp4") only what
   * the container is: its pads' caps need the track (mss-caps.h). */
  static GstCaps *caps_for (const gchar *container, GstOfflineTrackType type);

  /* The track the pad carries (transfer none): it changes only in
   * switch_track(). */
  GstOfflineTrack *track () const { return track_; }
  guint track_index () const { return track_index_; }
  /* The presentation time of the segment being pushed (or where the
   * stream starts). */
  GstClockTime position ();
  /* The presentation time that `running_time` plays in this pad's segment;
   * GST_CLOCK_TIME_NONE if none does. */
  GstClockTime position_at_running_time (GstClockTime running_time);

  /* Where playback starts; called before the push task runs. `position`
   * (within `segment`, or GST_CLOCK_TIME_NONE for its start): where a track
   * selected during playback begins. */
  void set_start (const GstSegment &segment, guint32 seqnum, GstClockTime position = GST_CLOCK_TIME_NONE);
  /* The track is no longer selected: the push task ends the pad with EOS
   * at its next iteration (it never waits for that). */
  void deselect ();
  /* A SELECT_STREAMS replaced this pad's track by `track` (of the same
   * type; transfer none, one of the playback's tracks): the pad stays,
   * what went down it is flushed, and it carries on with `track` from
   * `position` (presentation time, where playback is) in the running time
   * it had. Run by AdaptivePlayback under its seek lock. See
   * docs/architecture.md (Streams and their selection). */
  void switch_track (GstOfflineTrack *track, GstClockTime position, guint32 seqnum);
  /* Started by a SELECT_STREAMS during playback (a switch to this track):
   * under decodebin3 it waits for its output however far the others got. */
  void mark_switched_in () { switched_in_ = true; }
  /* Deselected, or its pad flushing: a wait at its end must give up. */
  bool interrupted () const;
  /* A RECONFIGURE reached the pad since the push task's current iteration
   * began: someone downstream may take the track again (see park()). */
  bool reconfigured () const { return reconfigures_ != reconfigures_at_iteration_; }

  /* The steps of a flushing seek, run by AdaptivePlayback on every stream:
   * flush-start; stop the task and take the stream lock; flush-stop and
   * restart from the segment holding segment->start; release and go. */
  void flush_start (guint32 seqnum);
  void stop_and_lock ();
  void flush_stop_and_restart (const GstSegment &segment, guint32 seqnum);
  void unlock_and_start ();

protected:
  void push_iteration () override;
  void push_activated () override;
  void push_deactivating () override;
  gboolean handle_query (GstQuery *query) override;
  gboolean handle_event (GstEvent *event) override;

private:
  /* Resets what the next push begins with (stream lock or no task). */
  void restart_locked (const GstSegment &segment, guint32 seqnum);
  /* WebVTT: reads the segment open in reader_ whole and pushes it as one
   * buffer, rewritten for subparse (webvtt-timing.h); finishes on failure. */
  void push_webvtt_segment ();
  /* Ends the push task after a flow that is not OK, or at the end; a
   * NOT_LINKED while other tracks are linked parks the track instead. */
  void finish (GstFlowReturn ret, bool error_posted);
  /* Parks the track (see wait_while_parked()) after a push refused with
   * NOT_LINKED, flushing what the elements below it hold of it. */
  void park ();
  /* The push task's iteration while the track is parked: nobody took its
   * last push (playbin's input-selector refuses the languages not playing
   * with NOT_LINKED). It waits, on the playback's condition, until a
   * RECONFIGURE says it may be taken again (the input-selector switched to
   * it: it sends one upstream on the pads it activates), then starts over
   * where playback is; or until every video and audio track that flows has
   * ended, then it ends too (EOS on every pad ends playback); or it stops
   * (a flush, a deselection, the element stopping). */
  void wait_while_parked ();
  /* Starts the track over at `position` (presentation time) within the
   * running time it had: a segment starting there, carrying that running
   * time in its base, so that the decoders clip what comes before it and
   * the new data plays at the switch point in step with the other pads. */
  void restart_at (GstClockTime position);
  /* False after posting an error (no caps for the track). */
  bool push_stream_start_and_caps ();
  /* The TIME segment after a start or a seek (from segment_, shifted to
   * media time), then the tags and protection events still due. */
  void push_segment (gint64 media_offset);
  /* A new segment where the media timeline restarts (a new period):
   * `start` is the presentation time of the segment coming next. */
  void push_period_segment (GstClockTime start, gint64 media_offset);
  /* Takes the Period of current_: where it ends (fMP4) and by how much
   * its media stop is shifted; false after posting an error. */
  bool enter_period ();
  /* Where current_'s Period stops in presentation time, shifted by its
   * lead; GST_CLOCK_TIME_NONE when it ends with its media. */
  GstClockTime period_stop () const;
  /* The stop of a segment sent in media time (`media_offset` added), the
   * seek's stop in `segment` or the end of current_'s Period, whichever
   * comes first, and not before `start`; GST_CLOCK_TIME_NONE for none. */
  GstClockTime media_stop (const GstSegment &segment, gint64 media_offset, guint64 start) const;
  /* Whether the segment sent stops at the end of current_'s Period (a
   * Period another one follows) rather than at the seek's stop. */
  bool stops_at_period_end ();
  /* A media segment (open in reader_) of a Period that stops at its end:
   * cut there (fmp4_cut_at()), so that the decoders are not given the
   * pictures shown after the stop but those that earlier ones refer to
   * (see the .cpp for why). The Period's segments after it are skipped;
   * *skip when none of this one is shown. False after posting an error. */
  bool cut_at_period_end (bool *skip);
  /* At the end of a Period that stopped at its end: the segment sent is
   * done (see the .cpp for why). */
  void push_segment_done ();
  /* A new collection object of the playback's streams, pushed. */
  void push_collection ();
  /* The first block of an MPEG-TS track after its collection became due:
   * the head tsdemux makes its program and pads from (mpegts_program_head())
   * alone, then the collection, then the rest. tsdemux (in the parsebin
   * that uridecodebin3 1.22 has urisourcebin put below every pad) drops a
   * collection that comes before its program and pushes one of its own
   * with only its pad's stream; decodebin3 posted that one when the input
   * came first, and playbin3 then selected that stream type alone and
   * released the other sink pads. Pushed there, cachesrc's collection
   * follows tsdemux's on its pads before any data: decodebin3 takes it
   * before anything of the input plays (docs/architecture.md). */
  GstFlowReturn push_first_mpegts_block (GstBuffer *buffer);
  /* NULL without an error for a container with no caps. */
  GstCaps *make_caps (GError **error) const;
  bool is_mss () const;
  bool is_mpegts () const;
  /* Whether the track is DASH or HLS fMP4 (qtdemux, an init segment). */
  bool is_fmp4 () const;
  /* At a new period of an fMP4 track: a stream-start that makes qtdemux
   * take the period's init segment, which is sent again. */
  void restart_demuxer ();
  /* Whether current_'s init segment is protected and the last one pushed
   * clear, or the other way round (never for a track sent with a clear
   * lead). */
  bool protection_changes ();
  /* Whether the track is fMP4 and protected in any Period, signalled so or
   * not (read_init_protection()): its clear init segments then go as a clear
   * lead (fmp4-clear-lead.h), so that one pad and one stream id carry it
   * through clear and protected Periods alike, under every player. */
  bool sends_clear_lead () const;
  /* Reads, once a track (before its first init segment is pushed), whether
   * the init segment of one of its Periods (the first segment of each, found
   * by galloping over the plan's numbers) is protected when the manifest
   * does not say so. One the cache does not hold yet is waited for while
   * the download runs, as a segment is (SegmentSource). False after posting
   * an error, or interrupted (SegmentSource::take_interrupted()). */
  bool read_init_protection ();
  /* The init segment open in reader_, if clear, is read whole and replaced
   * by its clear-lead form (left as it is if unreadable as such). */
  void present_as_clear_lead ();
  /* Init segments larger than this are sent as they are. */
  static constexpr guint64 kMaxClearLeadInit = 4 * 1024 * 1024;

  std::shared_ptr<AdaptivePlayback> playback_;
  /* One of the playback's tracks, which holds them all as long as it
   * lives; read from other threads (seeks, selections). */
  std::atomic<GstOfflineTrack *> track_;
  std::atomic<guint> track_index_;
  /* The track the pad was made for: its stream-start keeps that track's
   * stream id and GstStream across switches. qtdemux keys its pads on the
   * upstream stream id (and the track ID), and would end its pad and add
   * another for a new one, which decodebin3 1.22 does not take over;
   * tsdemux ignores it. What the pad carries is said by its tags, the
   * collection and streams-selected. */
  const guint first_track_index_;
  std::atomic<bool> deselected_ { false };
  std::atomic<guint> reconfigures_ { 0 }; /* RECONFIGURE events received */
  std::atomic<bool> seek_flushing_ { false }; /* between a seek's flush-start and its flush-stop */
  /* Asked the SELECTABLE query: decodebin3 (playbin3, uridecodebin3)
   * takes this pad, and selects streams itself (see park()). */
  std::atomic<bool> selecting_downstream_ { false };
  std::atomic<bool> switched_in_ { false }; /* see mark_switched_in() */

  /* Streaming state: changed by the push task and by seeks, both under the
   * pad's stream lock. */
  bool need_stream_start_ = true;
  bool need_caps_ = true;
  bool need_tags_ = true;
  bool need_protection_ = true;
  std::optional<bool> protected_init_; /* read_init_protection(), once read */
  bool need_collection_ = true;
  bool collection_after_tables_ = false; /* MPEG-TS: see push_first_mpegts_block() */
  bool need_segment_ = true;
  /* Nobody took the last push (NOT_LINKED while other tracks are linked):
   * the task waits in wait_while_parked(). */
  bool parked_ = false;
  guint reconfigures_at_iteration_ = 0; /* reconfigures_ when the iteration began */
  bool need_init_ = true;  /* push the init segment before the next media segment */
  bool discont_ = true;    /* mark the next buffer */
  guint32 seqnum_ = GST_SEQNUM_INVALID;
  std::string last_init_;
  GstOfflineSegment *current_ = nullptr; /* the media segment being pushed (owned) */
  SegmentSource source_;         /* what comes next, and its bytes */
  SegmentSource::Reader reader_; /* the resource being pushed */
  bool media_pending_ = false; /* current_'s media bytes are next (after its init) */
  guint last_period_ = G_MAXUINT;
  /* fMP4: where current_'s Period ends (presentation time), where the
   * segment sent stops; GST_CLOCK_TIME_NONE when it ends with its media. */
  GstClockTime period_end_ = GST_CLOCK_TIME_NONE;
  /* How much later than its tfdt the first picture of the Period's first
   * segment played is shown: its media stop at period_end_ is shifted by
   * that (the MPD's times are presentation times). */
  GstClockTime period_lead_ = 0;
  guint ended_period_ = G_MAXUINT; /* a Period played to its end: its segments left are skipped */
  guint stream_variant_ = 0;  /* times the encryption changed: a suffix of the stream id */
  gint64 media_offset_ = 0;   /* media time - presentation time, as sent */
  GstSegment out_segment_;    /* the last segment sent */
  std::mutex segment_mutex_; /* guards segment_, read by queries */
  GstSegment segment_;       /* in presentation time (the plan's times) */
};

} // namespace gst_offline
