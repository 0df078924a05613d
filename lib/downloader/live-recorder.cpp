/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "downloader/live-recorder.h"

#include "cache/cache-private.h"
#include "util/handles.h"

#include <gst/gst.h>

#include <algorithm>

GST_DEBUG_CATEGORY_STATIC (live_record_debug);
#define GST_CAT_DEFAULT live_record_debug

namespace gst_offline {

namespace {

/* How far back from the end of the window a recording from the live edge
 * starts, in target durations (RFC 8216 6.3.3: no closer to the end than
 * three). */
constexpr guint kEdgeTargetDurations = 3;
/* The longest wait after failed reloads, in target durations. */
constexpr guint kMaxBackoffTargetDurations = 8;

bool is_expired (const GError *error)
{
  if (!error || error->domain != GST_OFFLINE_ERROR)
    return false;
  guint status = gst_offline_error_get_http_status (error);
  return status == 404 || status == 410;
}

}  // namespace

LiveRecorder::LiveRecorder (const DownloadRecord &record, const DownloaderContext &context, GCancellable *cancellable,
    std::vector<Track> tracks, ReloadFn reload, Downloader::ProgressFn progress, Downloader::DoneFn done)
    : record_ (record), context_ (context), cancellable_ (cancellable), tracks_ (std::move (tracks)),
      reload_ (std::move (reload)), progress_ (std::move (progress)), done_ (std::move (done))
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (live_record_debug, "offlinelive", 0, "gst-offline live recordings");
    g_once_init_leave (&once, 1);
  }
  states_.resize (tracks_.size ());
}

LiveRecorder::~LiveRecorder ()
{
  for (auto &[id, fetch] : fetches_)
    g_cancellable_disconnect (cancellable_, fetch.forward);
  for (GSource **source : { &timer_, &cancel_watch_ }) {
    if (*source) {
      g_source_destroy (*source);
      g_source_unref (*source);
      *source = nullptr;
    }
  }
}

void LiveRecorder::start ()
{
  g_autoptr (GError) error = nullptr;
  if (!resume (&error)) {
    end (error);
    return;
  }
  /* A stop while nothing runs (waiting for the next reload) ends it too. */
  cancel_watch_ = g_cancellable_source_new (cancellable_);
  g_source_set_callback (cancel_watch_, reinterpret_cast<GSourceFunc> (+[] (GCancellable *, gpointer data) -> gboolean {
    auto self = static_cast<LiveRecorder *> (data);
    /* Only while waiting: a fetch or reload in flight ends with its own
     * cancellation, and that ends the recording. */
    if (self->timer_)
      self->stop ();
    return G_SOURCE_REMOVE;
  }), this, nullptr);
  g_source_attach (cancel_watch_, g_main_context_get_thread_default ());
  bytes_base_ = cache_download_bytes (context_.cache, record_.id);
  reload ();
}

/* A recording this download already holds goes on after its last segment:
 * the plan's tracks and the sequence numbers saved with its segments. */
bool LiveRecorder::resume (GError **error)
{
  Database &db = cache_database (context_.cache);
  auto sequences = playback_plan::next_sequences (db, record_.id, error);
  if (!sequences)
    return false;
  /* Only a recording has sequences saved (the row's `recording` may not
   * have been written yet when its process was killed). */
  if (sequences->size () != states_.size ())
    return true;
  auto planned = playback_plan::tracks (db, record_.id, error);
  if (!planned)
    return false;
  if (planned->size () != tracks_.size ()) {
    GST_INFO ("%s: the recording's plan has other tracks: recording again", record_.id.c_str ());
    return true;
  }
  for (guint i = 0; i < states_.size (); i++) {
    TrackState &state = states_[i];
    state.next_sequence = (*sequences)[i];
    g_autoptr (GError) last_error = nullptr;
    if (auto last = playback_plan::last_segment (db, record_.id, i, &last_error)) {
      state.next_number = last->number + 1;
      state.next_start_ns = last->start_ns + last->duration_ns;
      state.period = last->period;
      /* The track's timeline starts at 0: what it does not hold is missing. */
      state.recorded_ns = playback_plan::track_media_ns (db, record_.id, i);
      state.missing_ns = state.next_start_ns - MIN (state.recorded_ns, state.next_start_ns);
    } else if (last_error) {
      g_propagate_error (error, g_steal_pointer (&last_error));
      return false;
    }
  }
  plan_written_ = true;
  GST_INFO ("%s: going on with the recording after sequence %" G_GUINT64_FORMAT, record_.id.c_str (),
      *states_[0].next_sequence);
  return true;
}

void LiveRecorder::reload ()
{
  if (timer_) {
    g_source_unref (timer_);
    timer_ = nullptr;
  }
  reload_started_us_ = g_get_monotonic_time ();
  reload_ ([this] (std::vector<LiveWindow> *windows, const GError *error) { on_windows (windows, error); });
}

void LiveRecorder::on_windows (std::vector<LiveWindow> *windows, const GError *error)
{
  if (g_cancellable_is_cancelled (cancellable_)) {
    stop ();
    return;
  }
  if (error) {
    reload_failures_++;
    if (reload_failures_ >= kMaxReloadFailures) {
      g_autoptr (GError) given_up = g_error_copy (error);
      g_prefix_error (&given_up, "the live stream could not be reloaded %u times in a row; the recording keeps the %.1f s it holds: ",
          reload_failures_, static_cast<double> (states_.empty () ? 0 : states_[0].recorded_ns) / GST_SECOND);
      end (given_up);
      return;
    }
    guint64 backoff = target_duration_ns_ << MIN (reload_failures_ - 1, 3u);
    backoff = MIN (backoff, kMaxBackoffTargetDurations * target_duration_ns_);
    GST_WARNING ("%s: reload %u failed (%s): trying again in %.1f s", record_.id.c_str (), reload_failures_,
        error->message, static_cast<double> (backoff) / GST_SECOND);
    wait (backoff);
    return;
  }
  reload_failures_ = 0;
  if (windows->size () != states_.size ()) {
    g_autoptr (GError) wrong = nullptr;
    g_set_error (&wrong, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_FAILED, "the live stream now has %" G_GSIZE_FORMAT
        " tracks instead of %" G_GSIZE_FORMAT, windows->size (), states_.size ());
    end (wrong);
    return;
  }
  if (windows->front ().target_duration_ns > 0)
    target_duration_ns_ = windows->front ().target_duration_ns;
  reload_ns_ = windows->front ().reload_ns;
  if (!states_[0].next_sequence)
    choose_start (*windows);
  changed_ = false;
  ended_ = true;
  std::optional<guint64> main_edge;
  if (!windows->front ().segments.empty ())
    main_edge = live_edge (windows->front ());
  for (guint i = 0; i < states_.size (); i++) {
    TrackState &state = states_[i];
    const LiveWindow &window = (*windows)[i];
    ended_ = ended_ && window.ended;
    /* Nothing listed yet (or no start chosen: the main track lists none). */
    if (window.segments.empty () || !state.next_sequence)
      continue;
    guint64 td = window.target_duration_ns > 0 ? window.target_duration_ns : target_duration_ns_;
    guint64 first = window.segments.front ().sequence;
    if (*state.next_sequence < first) {
      /* The window moved past the next segment (a restart, failed
       * reloads, a recorder fallen behind): go on at the live edge, as a
       * recording starts, not at the window's oldest segment, which is
       * about to leave it too. The main track's edge, so that the tracks
       * go on together; the listed segments skipped count as missing
       * with their own durations. */
      guint64 edge = main_edge.value_or (live_edge (window));
      edge = CLAMP (edge, first, window.segments.back ().sequence);
      for (const LiveSegment &segment : window.segments) {
        if (segment.sequence >= edge)
          break;
        state.listed[segment.sequence] = segment.duration_ns;
      }
      skip_to (state, edge, td);
    }
    guint64 queued_ns = 0;
    for (const LiveSegment &segment : window.segments) {
      if (segment.sequence < *state.next_sequence)
        continue;
      if (!state.listed.count (segment.sequence)) {
        changed_ = true;
        state.listed[segment.sequence] = segment.duration_ns;
      }
      if (!takes (state.recorded_ns + queued_ns, segment.duration_ns))
        continue;
      bool queued = std::any_of (queue_.begin (), queue_.end (),
          [&] (const Pending &p) { return p.track == i && p.segment.sequence == segment.sequence; });
      if (queued)
        continue;
      queue_.push_back (Pending { i, segment });
      queued_ns += segment.duration_ns;
    }
  }
  /* The tracks' segments side by side, by sequence number: the fetches in
   * flight at once are spread over the tracks, which stay about as far as
   * each other. */
  std::stable_sort (queue_.begin (), queue_.end (),
      [] (const Pending &a, const Pending &b) { return a.segment.sequence < b.segment.sequence; });
  GST_DEBUG ("%s: reloaded: %" G_GSIZE_FORMAT " segments to fetch%s", record_.id.c_str (), queue_.size (),
      ended_ ? ", the stream ended" : "");
  fill ();
}

/* The live edge of a window as players join it (see live-recorder.h): the
 * segment in which its last edge delay begins. */
guint64 LiveRecorder::live_edge (const LiveWindow &window) const
{
  guint64 td = window.target_duration_ns > 0 ? window.target_duration_ns : target_duration_ns_;
  guint64 delay = window.edge_delay_ns.value_or (kEdgeTargetDurations * td);
  guint64 edge = window.segments.front ().sequence;
  guint64 back = 0;
  for (auto it = window.segments.rbegin (); it != window.segments.rend (); ++it) {
    edge = it->sequence;
    back += it->duration_ns;
    if (back >= delay)
      break;
  }
  return edge;
}

/* The first segment to record: the window's oldest, or the live edge (see
 * live-recorder.h); the other tracks start at the same sequence number if
 * they list it. */
void LiveRecorder::choose_start (const std::vector<LiveWindow> &windows)
{
  const LiveWindow &main = windows.front ();
  if (main.segments.empty ())
    return;
  guint64 start = record_.live_from_start ? main.segments.front ().sequence : live_edge (main);
  for (guint i = 0; i < states_.size (); i++) {
    const LiveWindow &window = windows[i];
    guint64 own = start;
    if (!window.segments.empty ())
      own = CLAMP (start, window.segments.front ().sequence, window.segments.back ().sequence);
    states_[i].next_sequence = own;
  }
  GST_INFO ("%s: recording from sequence %" G_GUINT64_FORMAT " (%s)", record_.id.c_str (), start,
      record_.live_from_start ? "the start of the window" : "the live edge");
}

/* Segments before `sequence` are gone: their media is missing. */
void LiveRecorder::skip_to (TrackState &state, guint64 sequence, guint64 target_duration_ns)
{
  guint64 missing = 0;
  for (guint64 s = *state.next_sequence; s < sequence; s++) {
    auto listed = state.listed.find (s);
    missing += listed != state.listed.end () ? listed->second : target_duration_ns;
  }
  GST_WARNING ("%s: segments %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT " left the window before they were fetched: "
      "%.3f s missing", record_.id.c_str (), *state.next_sequence, sequence - 1, static_cast<double> (missing) / GST_SECOND);
  state.listed.erase (state.listed.begin (), state.listed.lower_bound (sequence));
  state.missing_ns += missing;
  state.next_start_ns += missing;
  state.next_sequence = sequence;
  /* A gap before the first segment is no gap: playback starts after it. */
  if (state.next_number > 0)
    state.discontinuity_next = true;
  else
    state.next_start_ns = 0;
}

/* Whether a track that holds `held_ns` takes a segment of `segment_ns` on
 * its way to the live duration: while it would fall short of it by more
 * than a quarter of that segment. The tracks' segments share sequence
 * numbers but not exact lengths (ffmpeg cuts AAC at frame boundaries: its
 * audio segments for 1 s of video last 0.998 s or 1.022 s), so holding the
 * duration exactly took one segment more of the track whose segments fell
 * short: `--duration 2` recorded 2 s of video and 3 s of audio. */
bool LiveRecorder::takes (guint64 held_ns, guint64 segment_ns) const
{
  return !record_.live_duration_ns || held_ns + segment_ns / 4 < *record_.live_duration_ns;
}

/* A track is full when it does not take its next segment (as listed, else
 * as long as the target duration). */
bool LiveRecorder::is_full (const TrackState &state) const
{
  if (!record_.live_duration_ns)
    return false;
  auto next = state.next_sequence ? state.listed.lower_bound (*state.next_sequence) : state.listed.end ();
  return !takes (state.recorded_ns, next != state.listed.end () ? next->second : target_duration_ns_);
}

/* Starts fetches, in the queue's order, until the context's parallelism
 * are in flight; once nothing is queued, in flight or waiting for its
 * predecessors, the batch is over. */
void LiveRecorder::fill ()
{
  guint parallelism = MAX (context_.segment_parallelism, 1u);
  while (!failure_ && !g_cancellable_is_cancelled (cancellable_) && fetches_.size () < parallelism && !queue_.empty ()) {
    Pending &front = queue_.front ();
    TrackState &state = states_[front.track];
    if (front.segment.sequence < *state.next_sequence) {
      queue_.pop_front ();  /* left behind by a gap */
      continue;
    }
    std::vector<SegmentSpec> specs;
    if (front.segment.init && !state.inits.count (front.segment.init->fetch.cache_key)) {
      /* Another fetch brings it: this one waits for it. */
      if (state.inits_fetching.count (front.segment.init->fetch.cache_key))
        break;
      specs.push_back (*front.segment.init);
    }
    Pending pending = std::move (front);
    queue_.pop_front ();
    specs.push_back (pending.segment.spec);
    start_fetch (std::move (pending), std::move (specs));
  }
  if (fetches_.empty ()) {
    if (failure_) {
      GErrorPtr failure = std::move (failure_);
      end (failure.get ());
    } else if (g_cancellable_is_cancelled (cancellable_)) {
      stop ();
    } else if (queue_.empty ()) {
      after_batch ();
    }
  }
}

/* One segment (and its init segment if its track has none yet) through a
 * fetcher of its own: a segment gone (404) fails its fetch only. */
void LiveRecorder::start_fetch (Pending pending, std::vector<SegmentSpec> specs)
{
  TrackState &state = states_[pending.track];
  std::optional<std::string> init;
  if (specs.size () > 1) {
    init = specs.front ().fetch.cache_key;
    state.inits_fetching.insert (*init);
  }
  state.outstanding.emplace (pending.segment.sequence, Outcome { pending });
  guint id = next_fetch_id_++;
  Fetch &fetch = fetches_[id];
  /* A fetcher that fails cancels its cancellable (to stop the fetches
   * beside it): its own, so that a segment gone does not stop the
   * recording; stopping the recording (or its failure) cancels it too. */
  fetch.cancellable.reset (g_cancellable_new ());
  fetch.forward = g_cancellable_connect (cancellable_, G_CALLBACK (+[] (GCancellable *, gpointer child) {
    g_cancellable_cancel (G_CANCELLABLE (child));
  }), g_object_ref (fetch.cancellable.get ()), g_object_unref);
  fetch.fetcher = SegmentFetcher::create (context_, std::move (specs), 1, fetch.cancellable.get ());
  guint track = pending.track;
  guint64 sequence = pending.segment.sequence;
  fetch.fetcher->start (
      [this, id] (const DownloadProgress &p) {
        fetches_.at (id).bytes = p.bytes;
        report ();
      },
      [this, id, track, sequence, init] (const GError *error) {
        Fetch &done = fetches_.at (id);
        g_cancellable_disconnect (cancellable_, done.forward);
        guint64 bytes = done.bytes;
        /* The fetcher calls this last: it may go now. */
        fetches_.erase (id);
        on_fetched (track, sequence, init, bytes, error);
      });
}

/* A fetch is over: its track's segments go into the plan strictly in
 * order, each once those before it are in (or gone). */
void LiveRecorder::on_fetched (guint track, guint64 sequence, const std::optional<std::string> &init, guint64 bytes,
    const GError *error)
{
  TrackState &state = states_[track];
  if (init) {
    state.inits_fetching.erase (*init);
    if (!error)
      state.inits.insert (*init);
  }
  if (g_cancellable_is_cancelled (cancellable_) || failure_) {
    /* Nothing more goes in: what is in flight ends, then the recording. */
    state.outstanding.clear ();
    fill ();
    return;
  }
  Outcome &outcome = state.outstanding.at (sequence);
  outcome.done = true;
  outcome.bytes = bytes;
  if (error)
    outcome.error.reset (g_error_copy (error));
  while (!failure_ && !state.outstanding.empty () && state.outstanding.begin ()->second.done) {
    Outcome next = std::move (state.outstanding.begin ()->second);
    state.outstanding.erase (state.outstanding.begin ());
    take (next);
  }
  report ();
  fill ();
}

/* The next segment of its track, fetched or not: into the plan, or a gap. */
void LiveRecorder::take (const Outcome &outcome)
{
  g_autoptr (GError) local = nullptr;
  const Pending &pending = outcome.pending;
  TrackState &state = states_[pending.track];
  if (is_expired (outcome.error.get ())) {
    GST_WARNING ("%s: segment %" G_GUINT64_FORMAT " of track %u expired before it was fetched: %s", record_.id.c_str (),
        pending.segment.sequence, pending.track, outcome.error->message);
    state.listed[pending.segment.sequence] = pending.segment.duration_ns;
    skip_to (state, pending.segment.sequence + 1, pending.segment.duration_ns);
    if (!save_sequences (&local))
      fail_later (local);
  } else if (outcome.error) {
    fail_later (outcome.error.get ());
  } else {
    bytes_base_ += outcome.bytes;
    if (!append (pending, &local))
      fail_later (local);
  }
}

/* The recording fails, once the fetches in flight have ended. */
void LiveRecorder::fail_later (const GError *error)
{
  if (failure_)
    return;
  failure_.reset (g_error_copy (error));
  for (auto &[id, fetch] : fetches_)
    g_cancellable_cancel (fetch.cancellable.get ());
  for (TrackState &state : states_)
    state.outstanding.clear ();
}

/* The segment goes into the plan at once, with where its track goes on. */
bool LiveRecorder::append (const Pending &pending, GError **error)
{
  TrackState &state = states_[pending.track];
  const LiveSegment &segment = pending.segment;
  bool discontinuity = state.next_number > 0 && (state.discontinuity_next || segment.discontinuity);
  PlanSegment s;
  s.track = pending.track;
  s.number = state.next_number;
  s.period = state.period + (discontinuity ? 1 : 0);
  s.start_ns = state.next_start_ns;
  s.duration_ns = segment.duration_ns;
  s.discontinuity = discontinuity;
  s.resource = segment.spec.fetch.cache_key;
  if (segment.init)
    s.init_resource = segment.init->fetch.cache_key;
  s.key_resource = segment.key_resource;
  s.iv = segment.iv;
  s.fetch_url = segment.spec.fetch.url;
  if (segment.spec.fetch.range) {
    s.range_offset = segment.spec.fetch.range->offset;
    s.range_length = segment.spec.fetch.range->length;
  }
  s.expected_length = segment.spec.expected_length;
  Database &db = cache_database (context_.cache);
  auto writer = plan_written_ ? playback_plan::Writer::append (db, record_.id, error)
                              : playback_plan::Writer::begin (db, record_.id, error);
  if (!writer || !writer->add (s, error))
    return false;
  for (guint i = 0; i < states_.size (); i++) {
    guint64 next = i == pending.track ? segment.sequence + 1 : states_[i].next_sequence.value_or (0);
    if (!writer->set_next_sequence (i, next, error))
      return false;
  }
  if (!(plan_written_ ? writer->commit (error) : writer->finish (tracks_, {}, error)))
    return false;
  plan_written_ = true;
  state.next_number++;
  state.period = s.period;
  state.next_start_ns += segment.duration_ns;
  state.recorded_ns += segment.duration_ns;
  state.discontinuity_next = false;
  state.next_sequence = segment.sequence + 1;
  state.listed.erase (state.listed.begin (), state.listed.lower_bound (*state.next_sequence));
  return true;
}

/* Where the tracks go on, once a gap moved one on without a segment. */
bool LiveRecorder::save_sequences (GError **error)
{
  if (!plan_written_)
    return true;
  auto writer = playback_plan::Writer::append (cache_database (context_.cache), record_.id, error);
  if (!writer)
    return false;
  for (guint i = 0; i < states_.size (); i++) {
    if (!writer->set_next_sequence (i, states_[i].next_sequence.value_or (0), error))
      return false;
  }
  return writer->commit (error);
}

void LiveRecorder::after_batch ()
{
  report ();
  bool full = std::all_of (states_.begin (), states_.end (), [this] (const TrackState &s) { return is_full (s); });
  if (full || ended_) {
    GST_INFO ("%s: the recording is complete (%s): %.3f s", record_.id.c_str (),
        full ? "its live duration" : "the stream ended", static_cast<double> (states_[0].recorded_ns) / GST_SECOND);
    if (!plan_written_) {
      g_autoptr (GError) error = nullptr;
      g_set_error (&error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
          "the live stream %s ended before a segment could be recorded", record_.uri.c_str ());
      end (error);
      return;
    }
    end (nullptr);
    return;
  }
  /* The format's reload period (DASH @minimumUpdatePeriod), else RFC 8216
   * 6.3.4: the target duration after a reload that brought something new,
   * half of it after one that did not; from the last reload's start. */
  guint64 wait_ns = reload_ns_ ? *reload_ns_ : changed_ ? target_duration_ns_ : target_duration_ns_ / 2;
  guint64 spent_ns = static_cast<guint64> (MAX (g_get_monotonic_time () - reload_started_us_, 0)) * GST_USECOND;
  wait (wait_ns > spent_ns ? wait_ns - spent_ns : 0);
}

void LiveRecorder::wait (guint64 delay_ns)
{
  timer_ = g_timeout_source_new (static_cast<guint> (MIN (delay_ns / GST_MSECOND, static_cast<guint64> (G_MAXUINT))));
  g_source_set_callback (timer_, [] (gpointer data) -> gboolean {
    static_cast<LiveRecorder *> (data)->reload ();
    return G_SOURCE_REMOVE;
  }, this, nullptr);
  g_source_attach (timer_, g_main_context_get_thread_default ());
}

void LiveRecorder::report ()
{
  DownloadProgress p;
  p.bytes = bytes_base_;
  for (const auto &[id, fetch] : fetches_)
    p.bytes += fetch.bytes;
  p.recording = true;
  const TrackState &main = states_[0];
  p.recorded_ns = main.recorded_ns;
  p.missing_ns = main.missing_ns;
  guint64 lag = 0;
  for (const auto &listed : main.listed)
    lag += listed.second;
  p.live_lag_ns = static_cast<gint64> (MIN (lag, static_cast<guint64> (G_MAXINT64)));
  if (record_.live_duration_ns)
    p.percent = MIN (100.0 * static_cast<double> (main.recorded_ns) / static_cast<double> (*record_.live_duration_ns), 100.0);
  progress_ (p);
}

/* A stop ends a recording that holds something as a completed download:
 * the user chose where it ends. */
void LiveRecorder::stop ()
{
  if (timer_) {
    g_source_destroy (timer_);
    g_source_unref (timer_);
    timer_ = nullptr;
  }
  if (!plan_written_) {
    g_autoptr (GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "the recording was stopped");
    end (error);
    return;
  }
  GST_INFO ("%s: the recording was stopped: %.3f s recorded", record_.id.c_str (),
      static_cast<double> (states_[0].recorded_ns) / GST_SECOND);
  end (nullptr);
}

void LiveRecorder::end (const GError *error)
{
  if (cancel_watch_) {
    g_source_destroy (cancel_watch_);
    g_source_unref (cancel_watch_);
    cancel_watch_ = nullptr;
  }
  /* May destroy this recorder: nothing after it. */
  auto done = std::move (done_);
  done (error);
}

}  // namespace gst_offline
