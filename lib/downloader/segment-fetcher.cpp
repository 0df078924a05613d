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
  self->started_.resize (self->segments_.size ());
  self->running_.resize (self->segments_.size ());
  for (size_t i = 0; i < self->segments_.size (); i++) {
    const FetchSpec &fetch = self->segments_[i].fetch;
    /* Only a byte range's length is exact before its answer arrives. */
    self->state_[i].length = fetch.range ? static_cast<gint64> (fetch.range->length) : -1;
    if (fetch.range) {
      self->by_offset_.emplace (std::make_pair (std::string_view (fetch.url), fetch.range->offset), i);
      self->unstarted_range_bytes_ += fetch.range->length;
    }
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

/* Starts fetches until `parallelism_` are in flight, each for the next
 * segment not started and the byte ranges that follow it in its file. */
void SegmentFetcher::fill ()
{
  while (!failure_ && in_flight_ < parallelism_) {
    while (next_ < segments_.size () && started_[next_])
      next_++;
    if (next_ == segments_.size ())
      break;
    std::vector<size_t> group = merge_from (next_);
    std::vector<FetchSpec> parts;
    for (size_t index : group) {
      started_[index] = true;
      if (segments_[index].fetch.range)
        unstarted_range_bytes_ -= segments_[index].fetch.range->length;
      parts.push_back (segments_[index].fetch);
    }
    in_flight_++;
    auto self = shared_from_this ();
    auto fetch = ResourceFetch::create (context_.session, context_.cache, std::move (parts), context_.retry,
        context_.check_space, cancellable_);
    running_[group.front ()] = fetch;
    fetch->start (
        [self, group] (size_t part, guint64 held, gint64 total) {
          State &state = self->state_[group[part]];
          state.held = held;
          if (total >= 0)
            state.length = total;
          self->report ();
        },
        nullptr,
        [self, group] (const GError *error) { self->on_fetch_done (group, error); });
  }
}

/* `first` and the unstarted byte ranges that continue it in its file, as
 * many as the request's budget allows. */
std::vector<size_t> SegmentFetcher::merge_from (size_t first) const
{
  std::vector<size_t> group { first };
  if (!segments_[first].fetch.range)
    return group;
  guint64 budget = CLAMP (unstarted_range_bytes_ / parallelism_, kMinMergedBytes, kMaxMergedBytes);
  guint64 bytes = segments_[first].fetch.range->length;
  for (;;) {
    const FetchSpec &tail = segments_[group.back ()].fetch;
    auto next = by_offset_.find (std::make_pair (std::string_view (tail.url), tail.range->offset + tail.range->length));
    if (next == by_offset_.end () || started_[next->second])
      break;
    guint64 length = segments_[next->second].fetch.range->length;
    if (bytes + length > budget)
      break;
    group.push_back (next->second);
    bytes += length;
  }
  return group;
}

void SegmentFetcher::on_fetch_done (const std::vector<size_t> &group, const GError *error)
{
  in_flight_--;
  running_[group.front ()].reset ();
  if (error) {
    if (!failure_) {
      failure_ = g_error_copy (error);
      /* The others stop too, keeping what they hold. */
      g_cancellable_cancel (cancellable_);
    }
  } else {
    for (size_t index : group) {
      State &state = state_[index];
      state.complete = true;
      state.length = static_cast<gint64> (gst_offline_cache_get_cached_length (context_.cache,
          segments_[index].fetch.cache_key.c_str ()));
      state.held = static_cast<guint64> (state.length);
    }
    completed_ += group.size ();
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
