/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "downloader/segment-fetcher.h"

#include "util/main-context.h"

#include <gst/gst.h>

namespace gst_offline {

std::string segment_cache_key (const std::string &url, const std::optional<ByteRange> &range)
{
  if (!range)
    return url;
  return url + " bytes=" + std::to_string (range->offset) + "-" + std::to_string (range->offset + range->length - 1);
}

gint64 estimate_segment_length (guint64 bandwidth, guint64 duration_ns)
{
  if (bandwidth == 0 || duration_ns == 0)
    return -1;
  return static_cast<gint64> (static_cast<double> (bandwidth) / 8 * static_cast<double> (duration_ns) / GST_SECOND);
}

std::shared_ptr<SegmentFetcher> SegmentFetcher::create (const DownloaderContext &context,
    std::vector<SegmentSpec> segments, guint parallelism, GCancellable *cancellable)
{
  std::shared_ptr<SegmentFetcher> self (new SegmentFetcher ());
  self->context_ = context;
  self->segments_ = std::move (segments);
  self->parallelism_ = MAX (parallelism, 1u);
  self->cancellable_ = cancellable;
  self->state_.resize (self->segments_.size ());
  self->running_.resize (self->segments_.size ());
  for (size_t i = 0; i < self->segments_.size (); i++) {
    const SegmentSpec &segment = self->segments_[i];
    /* Only a byte range's length is exact before its answer arrives. */
    self->state_[i].length = segment.fetch.range ? static_cast<gint64> (segment.fetch.range->length) : -1;
  }
  return self;
}

/* Refuses a download whose remaining bytes, as far as the manifest tells,
 * cannot fit, before fetching any. */
bool SegmentFetcher::check_space (GError **error)
{
  if (!context_.check_space)
    return true;
  guint64 needed = 0;
  for (const SegmentSpec &segment : segments_) {
    gint64 expected = segment.fetch.range ? static_cast<gint64> (segment.fetch.range->length) : segment.expected_length;
    if (expected <= 0)
      continue;
    guint64 held = gst_offline_cache_get_cached_length (context_.cache, segment.fetch.cache_key.c_str ());
    if (held < static_cast<guint64> (expected))
      needed += static_cast<guint64> (expected) - held;
  }
  return needed == 0 || context_.check_space (needed, error);
}

void SegmentFetcher::start (ProgressFn progress, Downloader::DoneFn done)
{
  progress_ = std::move (progress);
  done_ = std::move (done);
  GError *error = nullptr;
  if (segments_.empty () || !check_space (&error)) {
    finished_ = true;
    auto self = shared_from_this ();
    run_later ([self, error] () {
      self->done_ (error);
      if (error)
        g_error_free (error);
    });
    return;
  }
  fill ();
}

/* Starts segments until `parallelism_` are in flight. */
void SegmentFetcher::fill ()
{
  while (!failure_ && in_flight_ < parallelism_ && next_ < segments_.size ()) {
    size_t index = next_++;
    in_flight_++;
    auto self = shared_from_this ();
    running_[index] = ResourceFetch::create (context_.session, context_.cache, segments_[index].fetch, context_.retry,
        context_.check_space, cancellable_);
    running_[index]->start (
        [self, index] (guint64 held, gint64 total) {
          self->state_[index].held = held;
          if (total >= 0)
            self->state_[index].length = total;
          self->report ();
        },
        nullptr,
        [self, index] (const GError *error) { self->on_segment_done (index, error); });
  }
}

void SegmentFetcher::on_segment_done (size_t index, const GError *error)
{
  in_flight_--;
  running_[index].reset ();
  if (error) {
    if (!failure_) {
      failure_ = g_error_copy (error);
      /* The others stop too, keeping what they hold. */
      g_cancellable_cancel (cancellable_);
    }
  } else {
    State &state = state_[index];
    state.complete = true;
    state.length = static_cast<gint64> (gst_offline_cache_get_cached_length (context_.cache,
        segments_[index].fetch.cache_key.c_str ()));
    state.held = static_cast<guint64> (state.length);
    completed_++;
    report ();
  }
  if (!finished_ && (failure_ ? in_flight_ == 0 : completed_ == segments_.size ())) {
    finished_ = true;
    done_ (failure_);
    g_clear_error (&failure_);
    return;
  }
  fill ();
}

void SegmentFetcher::report ()
{
  guint64 bytes = 0;
  gint64 total = 0;
  double fraction = 0;
  for (const State &state : state_) {
    bytes += state.held;
    if (total >= 0)
      total = state.length >= 0 ? total + state.length : -1;
    if (state.complete)
      fraction += 1;
    else if (state.length > 0)
      fraction += MIN (1.0, static_cast<double> (state.held) / static_cast<double> (state.length));
  }
  double percent = total > 0 ? 100.0 * static_cast<double> (bytes) / static_cast<double> (total)
                             : 100.0 * fraction / static_cast<double> (state_.size ());
  progress_ ({ bytes, total, MIN (percent, 100.0) });
}

}  // namespace gst_offline
