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
#include "tracks/track-size.h"

#include <map>
#include <memory>
#include <set>
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
  /* Its length when it is whole in the cache and the download uses it
   * already (nothing to fetch: counted as done), else -1. */
  gint64 whole_length = -1;
  /* Fetched before the segments that follow it in fetch order whatever a
   * seek says (initialization segments: a player waits for them first). */
  bool leading = false;
};

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

/* Where a fetcher takes its segments from, a window at a time, so that it
 * never holds more than a window of requests whatever their number. */
class SegmentSource {
 public:
  virtual ~SegmentSource () = default;
  /* Starts again from the first segment. */
  virtual void rewind () = 0;
  /* Up to `limit` segments after those given since the last rewind, in
   * fetch order; empty past the end. */
  virtual std::optional<std::vector<SegmentSpec>> next (size_t limit, GError **error) = 0;
  /* Gives next the segments from `position_ns` on, then goes back for those
   * before it; false if the source has no times. */
  virtual bool seek (guint64 position_ns) { (void) position_ns; return false; }
};

/* A source over segments held in memory (a few: the sidx indexes). */
std::unique_ptr<SegmentSource> segment_source (std::vector<SegmentSpec> segments);

class SegmentFetcher : public std::enable_shared_from_this<SegmentFetcher> {
 public:
  /* The exact total is known once every segment's length is; until then
   * the estimate adds, for each segment of unknown length, what the
   * manifest suggests (scaled by how far the segments measured so far
   * differ from it), else the mean of the lengths known. Percent never goes
   * back during a fetch and stays below 100 until every segment is whole. */
  using Progress = DownloadProgress;
  using ProgressFn = std::function<void (const Progress &progress)>;

  static std::shared_ptr<SegmentFetcher> create (const DownloaderContext &context,
      std::unique_ptr<SegmentSource> source, guint parallelism, GCancellable *cancellable);
  static std::shared_ptr<SegmentFetcher> create (const DownloaderContext &context, std::vector<SegmentSpec> segments,
      guint parallelism, GCancellable *cancellable)
  {
    return create (context, segment_source (std::move (segments)), parallelism, cancellable);
  }

  void start (ProgressFn progress, Downloader::DoneFn done);
  /* Fetches the segments from `position_ns` on next (a player waits for
   * them), then those before it that are still missing; leading segments
   * not started yet still go first. The fetches in flight go on. */
  void seek (guint64 position_ns);

 private:
  /* A segment read from the source and not yet whole. */
  struct Entry {
    SegmentSpec spec;
    guint64 held = 0;
    gint64 length = -1;
    bool started = false;
    /* Its group's bytes are all written, its commits still to land: the
     * fetch slot is free for the next segment. */
    bool written = false;
    /* The fetch of the group it begins, while it runs. */
    std::shared_ptr<ResourceFetch> fetch;
  };

  SegmentFetcher () = default;
  bool survey (GError **error);
  bool load_window (GError **error);
  void fill ();
  std::vector<size_t> merge_from (size_t first);
  void on_fetch_written (size_t first);
  void on_fetch_done (const std::vector<size_t> &group, const GError *error);
  void fail (GError *error);
  void finish ();
  void report ();
  /* Keep the running totals report () reads as a segment's state changes:
   * progress costs O(1) per callback, whatever the number of segments. */
  void set_held (Entry &entry, guint64 held);
  void set_length (Entry &entry, gint64 length);

  DownloaderContext context_;
  std::unique_ptr<SegmentSource> source_;
  guint parallelism_ = 1;
  GCancellable *cancellable_ = nullptr;  /* owned by the downloader */
  ProgressFn progress_;
  Downloader::DoneFn done_;

  /* The segments read and not yet whole, by their place in fetch order:
   * at most a window not started, plus those in flight or committing. */
  std::map<size_t, Entry> entries_;
  size_t loaded_ = 0;     /* segments read from the source */
  bool source_done_ = false;
  size_t total_ = 0;      /* segments in all, from survey () */
  /* The cache keys being fetched: a source read again after a seek names
   * them again, and they must not be fetched twice at once. */
  std::set<std::string> in_flight_keys_;
  /* Byte-range segments read and not started, by URL and first byte
   * (views of entries_). */
  std::map<std::pair<std::string_view, guint64>, size_t> by_offset_;
  guint64 unstarted_range_bytes_ = 0;
  size_t next_ = 0;
  size_t completed_ = 0;
  /* Running totals over every segment. */
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
  size_t in_flight_ = 0;   /* fetches writing: at most parallelism_ */
  size_t committing_ = 0;  /* fetches written whose commits have not landed */
  GError *failure_ = nullptr;
  bool finished_ = false;
};

}  // namespace gst_offline
