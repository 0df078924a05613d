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
    if (fetch.range) {
      self->state_[i].length = static_cast<gint64> (fetch.range->length);
      self->known_length_total_ += fetch.range->length;
      self->known_count_++;
    } else if (self->segments_[i].expected_length > 0) {
      self->unknown_expected_total_ += static_cast<guint64> (self->segments_[i].expected_length);
    } else {
      self->unknown_without_expected_++;
    }
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
          self->set_held (group[part], held);
          if (total >= 0)
            self->set_length (group[part], total);
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
      gint64 length = static_cast<gint64> (gst_offline_cache_get_cached_length (context_.cache,
          segments_[index].fetch.cache_key.c_str ()));
      set_length (index, length);
      set_held (index, static_cast<guint64> (length));
      state_[index].complete = true;
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

void SegmentFetcher::set_held (size_t index, guint64 held)
{
  State &state = state_[index];
  held_total_ = held_total_ - state.held + held;
  state.held = held;
}

void SegmentFetcher::set_length (size_t index, gint64 length)
{
  State &state = state_[index];
  if (length < 0 || length == state.length)
    return;
  if (state.length >= 0) {
    known_length_total_ -= static_cast<guint64> (state.length);
  } else {
    known_count_++;
    gint64 expected = segments_[index].expected_length;
    if (expected > 0) {
      unknown_expected_total_ -= static_cast<guint64> (expected);
      measured_expected_total_ += static_cast<guint64> (expected);
      measured_actual_total_ += static_cast<guint64> (length);
    } else {
      unknown_without_expected_--;
    }
  }
  known_length_total_ += static_cast<guint64> (length);
  state.length = length;
}

void SegmentFetcher::report ()
{
  Progress p;
  p.bytes = held_total_;
  bool all_known = known_count_ == state_.size ();
  if (all_known) {
    p.content_length = p.estimated_length = static_cast<gint64> (known_length_total_);
  } else if (known_count_ > 0 || unknown_expected_total_ > 0) {
    double scale = measured_expected_total_ > 0
        ? static_cast<double> (measured_actual_total_) / static_cast<double> (measured_expected_total_) : 1.0;
    double mean = known_count_ > 0 ? static_cast<double> (known_length_total_) / static_cast<double> (known_count_) : 0;
    double estimate = static_cast<double> (known_length_total_) + scale * static_cast<double> (unknown_expected_total_)
        + mean * static_cast<double> (unknown_without_expected_);
    p.estimated_length = MAX (static_cast<gint64> (estimate), static_cast<gint64> (held_total_));
  }
  double percent;
  if (p.estimated_length > 0)
    percent = 100.0 * static_cast<double> (p.bytes) / static_cast<double> (p.estimated_length);
  else if (p.estimated_length == 0)
    percent = 100.0;
  else
    percent = 100.0 * static_cast<double> (completed_) / static_cast<double> (state_.size ());
  /* 100 means whole: an estimate that falls short of the truth holds at 99.9. */
  percent = completed_ == state_.size () ? 100.0 : MIN (percent, 99.9);
  last_percent_ = MAX (last_percent_, percent);
  p.percent = last_percent_;
  progress_ (p);
}

}  // namespace gst_offline
