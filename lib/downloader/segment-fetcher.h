/* Fetches the segments of a download into the cache, several at a time
 * over the session's persistent connections, in the order given (callers
 * order them by start time, so a partial download plays from the start).
 * Segments already whole are not fetched again. The first failure that
 * retries cannot mend ends the whole fetch, keeping every byte held.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "downloader/downloader.h"

#include <memory>
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

class SegmentFetcher : public std::enable_shared_from_this<SegmentFetcher> {
 public:
  struct Progress {
    guint64 bytes;
    gint64 content_length;  /* -1 until every segment's length is known */
    double percent;         /* by bytes when lengths are known, else by segments */
  };
  using ProgressFn = std::function<void (const Progress &progress)>;

  static std::shared_ptr<SegmentFetcher> create (const DownloaderContext &context, std::vector<SegmentSpec> segments,
      guint parallelism, GCancellable *cancellable);

  void start (ProgressFn progress, Downloader::DoneFn done);

 private:
  SegmentFetcher () = default;
  bool check_space (GError **error);
  void fill ();
  void on_segment_done (size_t index, const GError *error);
  void report ();

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
  std::vector<std::shared_ptr<ResourceFetch>> running_;
  size_t next_ = 0;
  size_t completed_ = 0;
  size_t in_flight_ = 0;
  GError *failure_ = nullptr;
  bool finished_ = false;
};

}  // namespace gst_offline
