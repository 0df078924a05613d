/* Fetches the segments of a download into the cache, several at a time
 * over the session's persistent connections, in the order given (callers
 * order them by start time, so a partial download plays from the start).
 * Byte ranges of one file that follow each other are asked for in one
 * request (each still its own resource, committed as soon as it is whole).
 * Segments already whole are not fetched again. The first failure that
 * retries cannot mend ends the whole fetch, keeping every byte held.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "downloader/downloader.h"

#include <map>
#include <memory>
#include <string_view>
#include <vector>

namespace gst_offline {

struct SegmentSpec {
  FetchSpec fetch;
  /* What the manifest says of its size (a byte range's length counts by
   * itself), or an estimate from its bitrate and duration, or -1. Used to
   * refuse a download that cannot fit before fetching it; the progress
   * total stays unknown until every length is known from the server. */
  gint64 expected_length = -1;
};

/* The bytes a segment of `duration_ns` takes at `bandwidth` bit/s, or -1. */
gint64 estimate_segment_length (guint64 bandwidth, guint64 duration_ns);

/* The cache key of a segment: its URL, and its byte range if it is part of a file. */
std::string segment_cache_key (const std::string &url, const std::optional<ByteRange> &range);

/* How many bytes of adjacent byte ranges one request may ask for: the
 * ranges still to start shared among the parallel requests, so that every
 * slot has work to the end, but never less than kMinMergedBytes (below
 * which the round trip of a request costs more than another connection
 * gains) nor more than kMaxMergedBytes (at 20 ms of latency and 100 Mbit/s
 * per connection, 4 MiB takes about 340 ms: the round trip costs under 6 %,
 * larger requests would gain little and run further ahead of the start-time
 * order). */
constexpr guint64 kMinMergedBytes = 1024 * 1024;
constexpr guint64 kMaxMergedBytes = 4 * 1024 * 1024;

class SegmentFetcher : public std::enable_shared_from_this<SegmentFetcher> {
 public:
  /* The exact total is known once every segment's length is; until then
   * the estimate adds, for each segment of unknown length, what the
   * manifest suggests (scaled by how far the segments measured so far
   * differ from it), else the mean of the lengths known. Percent never goes
   * back during a fetch and stays below 100 until every segment is whole. */
  using Progress = DownloadProgress;
  using ProgressFn = std::function<void (const Progress &progress)>;

  static std::shared_ptr<SegmentFetcher> create (const DownloaderContext &context, std::vector<SegmentSpec> segments,
      guint parallelism, GCancellable *cancellable);

  void start (ProgressFn progress, Downloader::DoneFn done);

 private:
  SegmentFetcher () = default;
  bool check_space (GError **error);
  void fill ();
  std::vector<size_t> merge_from (size_t first) const;
  void on_fetch_done (const std::vector<size_t> &group, const GError *error);
  void report ();
  /* Keep the running totals report () reads as a segment's state changes:
   * progress costs O(1) per callback, whatever the number of segments. */
  void set_held (size_t index, guint64 held);
  void set_length (size_t index, gint64 length);

  DownloaderContext context_;
  std::vector<SegmentSpec> segments_;
  guint parallelism_ = 1;
  GCancellable *cancellable_ = nullptr;  /* owned by the downloader */
  ProgressFn progress_;
  Downloader::DoneFn done_;

  struct State {
    guint64 held = 0;
    gint64 length = -1;
    bool complete = false;
  };
  std::vector<State> state_;
  std::vector<bool> started_;
  /* The running fetches, by their first segment. */
  std::vector<std::shared_ptr<ResourceFetch>> running_;
  /* Byte-range segments by URL and first byte (views of segments_). */
  std::map<std::pair<std::string_view, guint64>, size_t> by_offset_;
  guint64 unstarted_range_bytes_ = 0;
  size_t next_ = 0;
  size_t completed_ = 0;
  /* Running totals over state_. */
  guint64 held_total_ = 0;
  guint64 known_length_total_ = 0;
  size_t known_count_ = 0;
  /* Segments of unknown length: the sum of their manifest estimates, and
   * how many have none. */
  guint64 unknown_expected_total_ = 0;
  size_t unknown_without_expected_ = 0;
  /* Segments measured that had an estimate: both sums, for the scale. */
  guint64 measured_expected_total_ = 0;
  guint64 measured_actual_total_ = 0;
  double last_percent_ = -1;
  size_t in_flight_ = 0;
  GError *failure_ = nullptr;
  bool finished_ = false;
};

}  // namespace gst_offline
