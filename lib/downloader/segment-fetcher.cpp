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

namespace {

/* How many segments a fetcher reads from its source at once. */
constexpr size_t kWindow = 512;
/* Fetches written and waiting for their commits, at most, per fetch slot. */
constexpr size_t kMaxUncommittedFactor = 4;

class VectorSource : public SegmentSource {
 public:
  explicit VectorSource (std::vector<SegmentSpec> segments) : segments_ (std::move (segments)) {}
  void rewind () override { next_ = 0; }
  std::optional<std::vector<SegmentSpec>> next (size_t limit, GError **) override
  {
    size_t end = MIN (next_ + limit, segments_.size ());
    std::vector<SegmentSpec> window (segments_.begin () + next_, segments_.begin () + end);
    next_ = end;
    return window;
  }

 private:
  std::vector<SegmentSpec> segments_;
  size_t next_ = 0;
};

}  // namespace

std::unique_ptr<SegmentSource> segment_source (std::vector<SegmentSpec> segments)
{
  return std::make_unique<VectorSource> (std::move (segments));
}

std::shared_ptr<SegmentFetcher> SegmentFetcher::create (const DownloaderContext &context,
    std::unique_ptr<SegmentSource> source, guint parallelism, GCancellable *cancellable)
{
  std::shared_ptr<SegmentFetcher> self (new SegmentFetcher ());
  self->context_ = context;
  self->source_ = std::move (source);
  self->parallelism_ = MAX (parallelism, 1u);
  self->cancellable_ = cancellable;
  return self;
}

/* One pass over the source, a window at a time: how many segments there
 * are, what is known of their lengths (the running totals start from it),
 * and whether the bytes still missing, as far as the manifest tells, can
 * fit (refused before any is fetched). */
bool SegmentFetcher::survey (GError **error)
{
  guint64 needed = 0;
  source_->rewind ();
  for (;;) {
    auto window = source_->next (kWindow, error);
    if (!window)
      return false;
    if (window->empty ())
      break;
    for (const SegmentSpec &segment : *window) {
      total_++;
      const FetchSpec &fetch = segment.fetch;
      if (segment.whole_length >= 0) {
        /* Done before this run: counted now, never read again. */
        guint64 length = static_cast<guint64> (segment.whole_length);
        completed_++;
        held_total_ += length;
        known_length_total_ += length;
        known_count_++;
        continue;
      }
      /* Only a byte range's length is exact before its answer arrives. */
      if (fetch.range) {
        known_length_total_ += fetch.range->length;
        known_count_++;
        unstarted_range_bytes_ += fetch.range->length;
      } else if (segment.expected_length > 0) {
        unknown_expected_total_ += static_cast<guint64> (segment.expected_length);
      } else {
        unknown_without_expected_++;
      }
      gint64 expected = fetch.range ? static_cast<gint64> (fetch.range->length) : segment.expected_length;
      if (!context_.check_space || expected <= 0)
        continue;
      guint64 held = gst_offline_cache_get_cached_length (context_.cache, fetch.cache_key.c_str ());
      if (held < static_cast<guint64> (expected))
        needed += static_cast<guint64> (expected) - held;
    }
  }
  source_->rewind ();
  return needed == 0 || !context_.check_space || context_.check_space (needed, error);
}

void SegmentFetcher::start (ProgressFn progress, Downloader::DoneFn done)
{
  progress_ = std::move (progress);
  done_ = std::move (done);
  GError *error = nullptr;
  if (!survey (&error))
    failure_ = error;
  else
    fill ();
  if (in_flight_ == 0) {
    /* Nothing to fetch, or a failure before the first request: still
     * reported from the main loop, never from inside start (). */
    auto self = shared_from_this ();
    run_later ([self] () { self->finish (); });
  }
}

/* Reads the next window of the source. */
bool SegmentFetcher::load_window (GError **error)
{
  auto window = source_->next (kWindow, error);
  if (!window)
    return false;
  if (window->empty ())
    source_done_ = true;
  for (SegmentSpec &spec : *window) {
    /* Whole already (counted by survey (), or fetched before a seek), or
     * being fetched (read again after a seek). */
    if (spec.whole_length >= 0 || in_flight_keys_.count (spec.fetch.cache_key))
      continue;
    size_t index = loaded_++;
    Entry &entry = entries_[index];
    entry.spec = std::move (spec);
    if (entry.spec.fetch.range) {
      entry.length = static_cast<gint64> (entry.spec.fetch.range->length);
      by_offset_.emplace (std::make_pair (std::string_view (entry.spec.fetch.url), entry.spec.fetch.range->offset),
          index);
    }
  }
  return true;
}

/* Starts fetches until `parallelism_` are in flight, each for the next
 * segment not started and the byte ranges that follow it in its file. */
void SegmentFetcher::fill ()
{
  /* A fetch whose bytes are written gives its slot to the next one while
   * its commits wait for the batch's sync (see ResourceWriter::commit); so
   * many wait at most, each holding its files' locks. */
  while (!failure_ && in_flight_ < parallelism_ && in_flight_ + committing_ < kMaxUncommittedFactor * parallelism_) {
    auto it = entries_.lower_bound (next_);
    while (it != entries_.end () && it->second.started)
      ++it;
    if (it == entries_.end ()) {
      next_ = loaded_;
      if (source_done_)
        break;
      GError *error = nullptr;
      if (!load_window (&error)) {
        fail (error);
        break;
      }
      continue;
    }
    next_ = it->first;
    std::vector<size_t> group = merge_from (next_);
    std::vector<FetchSpec> parts;
    for (size_t index : group) {
      Entry &entry = entries_.at (index);
      entry.started = true;
      if (entry.spec.fetch.range) {
        unstarted_range_bytes_ -= entry.spec.fetch.range->length;
        by_offset_.erase (std::make_pair (std::string_view (entry.spec.fetch.url), entry.spec.fetch.range->offset));
      }
      parts.push_back (entry.spec.fetch);
      in_flight_keys_.insert (entry.spec.fetch.cache_key);
    }
    in_flight_++;
    auto self = shared_from_this ();
    auto fetch = ResourceFetch::create (context_.session, context_.cache, std::move (parts), context_.retry,
        context_.check_space, cancellable_);
    entries_.at (group.front ()).fetch = fetch;
    size_t first = group.front ();
    fetch->set_on_written ([self, first] () { self->on_fetch_written (first); });
    fetch->start (
        [self, group] (size_t part, guint64 held, gint64 total) {
          auto found = self->entries_.find (group[part]);
          if (found == self->entries_.end ())
            return;
          self->set_held (found->second, held);
          if (total >= 0)
            self->set_length (found->second, total);
          self->report ();
        },
        nullptr,
        [self, group] (const GError *error) { self->on_fetch_done (group, error); });
  }
}

void SegmentFetcher::seek (guint64 position_ns)
{
  if (finished_ || failure_ || !source_->seek (position_ns))
    return;
  GST_INFO ("fetching the segments from %" GST_TIME_FORMAT " on first", GST_TIME_ARGS (position_ns));
  /* What was read and not started comes again in the new order; leading
   * segments stay where they are (the source gives them once). */
  for (auto it = entries_.begin (); it != entries_.end ();) {
    const Entry &entry = it->second;
    if (entry.started || entry.spec.leading) {
      ++it;
      continue;
    }
    if (entry.spec.fetch.range) {
      unstarted_range_bytes_ -= entry.spec.fetch.range->length;
      by_offset_.erase (std::make_pair (std::string_view (entry.spec.fetch.url), entry.spec.fetch.range->offset));
    }
    it = entries_.erase (it);
  }
  next_ = loaded_;
  for (const auto &[index, entry] : entries_) {
    if (!entry.started) {
      next_ = index; /* a leading one */
      break;
    }
  }
  source_done_ = false;
  fill ();
}

/* `first` and the unstarted byte ranges read that continue it in its file,
 * as many as the request's budget allows. */
std::vector<size_t> SegmentFetcher::merge_from (size_t first)
{
  std::vector<size_t> group { first };
  const Entry &head = entries_.at (first);
  if (!head.spec.fetch.range)
    return group;
  guint64 budget = CLAMP (unstarted_range_bytes_ / parallelism_, kMinMergedBytes, kMaxMergedBytes);
  guint64 bytes = head.spec.fetch.range->length;
  for (;;) {
    const FetchSpec &tail = entries_.at (group.back ()).spec.fetch;
    auto next = by_offset_.find (std::make_pair (std::string_view (tail.url), tail.range->offset + tail.range->length));
    if (next == by_offset_.end () || next->second == first)
      break;
    guint64 length = entries_.at (next->second).spec.fetch.range->length;
    if (bytes + length > budget)
      break;
    group.push_back (next->second);
    bytes += length;
  }
  return group;
}

void SegmentFetcher::fail (GError *error)
{
  if (!failure_) {
    failure_ = error;
    /* The others stop too, keeping what they hold. */
    g_cancellable_cancel (cancellable_);
  } else {
    g_error_free (error);
  }
}

void SegmentFetcher::finish ()
{
  if (finished_)
    return;
  finished_ = true;
  done_ (failure_);
  g_clear_error (&failure_);
}

void SegmentFetcher::on_fetch_written (size_t first)
{
  auto found = entries_.find (first);
  /* Its end may have come first (the fetch is gone then). */
  if (found == entries_.end () || found->second.written || !found->second.fetch)
    return;
  found->second.written = true;
  in_flight_--;
  committing_++;
  fill ();
}

void SegmentFetcher::on_fetch_done (const std::vector<size_t> &group, const GError *error)
{
  Entry &head = entries_.at (group.front ());
  if (head.written)
    committing_--;
  else
    in_flight_--;
  head.fetch.reset ();
  for (size_t index : group)
    in_flight_keys_.erase (entries_.at (index).spec.fetch.cache_key);
  if (error) {
    fail (g_error_copy (error));
  } else {
    for (size_t index : group) {
      Entry &entry = entries_.at (index);
      gint64 length = static_cast<gint64> (gst_offline_cache_get_cached_length (context_.cache,
          entry.spec.fetch.cache_key.c_str ()));
      set_length (entry, length);
      set_held (entry, static_cast<guint64> (length));
      entries_.erase (index);
    }
    completed_ += group.size ();
    report ();
  }
  fill ();
  /* Nothing in flight or committing after fill (): all is fetched and
   * visible, or a failure waits for no one any more. */
  if (in_flight_ == 0 && committing_ == 0)
    finish ();
}

void SegmentFetcher::set_held (Entry &entry, guint64 held)
{
  held_total_ = held_total_ - entry.held + held;
  entry.held = held;
}

void SegmentFetcher::set_length (Entry &entry, gint64 length)
{
  if (length < 0 || length == entry.length)
    return;
  if (entry.length >= 0) {
    known_length_total_ -= static_cast<guint64> (entry.length);
  } else {
    known_count_++;
    gint64 expected = entry.spec.expected_length;
    if (expected > 0) {
      unknown_expected_total_ -= static_cast<guint64> (expected);
      measured_expected_total_ += static_cast<guint64> (expected);
      measured_actual_total_ += static_cast<guint64> (length);
    } else {
      unknown_without_expected_--;
    }
  }
  known_length_total_ += static_cast<guint64> (length);
  entry.length = length;
}

void SegmentFetcher::report ()
{
  Progress p;
  p.bytes = held_total_;
  bool all_known = known_count_ == total_;
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
    percent = total_ > 0 ? 100.0 * static_cast<double> (completed_) / static_cast<double> (total_) : 100.0;
  /* 100 means whole: an estimate that falls short of the truth holds at 99.9. */
  percent = completed_ == total_ ? 100.0 : MIN (percent, 99.9);
  last_percent_ = MAX (last_percent_, percent);
  p.percent = last_percent_;
  progress_ (p);
}

}  // namespace gst_offline
