/* Fetches one resource over HTTP into the cache, asynchronously on the
 * thread-default main context: resumes a partial resource with a Range
 * request validated by If-Range (ETag, else Last-Modified), copes with
 * servers that ignore Range or answer 416, retries transient failures with
 * exponential backoff (the count restarts whenever bytes arrive), and commits
 * the resource only when every byte is held.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/offline/offline-cache.h>
#include <libsoup/soup.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gst_offline {

class ResourceWriter;

struct RetryPolicy {
  guint max_retries = 5;
  guint first_delay_ms = 500;
  guint max_delay_ms = 10000;

  /* The wait before retry number `attempt` (from 1): doubling each time. */
  guint delay_ms (guint attempt) const
  {
    guint delay = first_delay_ms;
    for (guint i = 1; i < attempt && delay < max_delay_ms; i++)
      delay *= 2;
    return MIN (delay, max_delay_ms);
  }
};

/* Part of a file on the server: a segment in a single-file representation. */
struct ByteRange {
  guint64 offset;
  guint64 length;
};

struct FetchSpec {
  std::string url;
  std::string cache_key;
  std::string download_id;
  std::vector<std::string> headers;  /* "Name: value" */
  std::optional<ByteRange> range;    /* none: the whole file */
};

class ResourceFetch : public std::enable_shared_from_this<ResourceFetch> {
 public:
  /* Held and total bytes (total -1 while unknown), after every write. */
  using ProgressFn = std::function<void (guint64 held, gint64 total)>;
  /* Sees the first bytes of the resource once they are held (all of it if it
   * is shorter), to refuse content that is not what the download expects. */
  using ValidateFn = std::function<bool (const std::string &prefix, GError **error)>;
  /* Called once, on the context: no error on success. */
  using DoneFn = std::function<void (const GError *error)>;
  /* Fails (NO_SPACE) unless `bytes` more can be stored. */
  using SpaceFn = std::function<bool (guint64 bytes, GError **error)>;

  static std::shared_ptr<ResourceFetch> create (SoupSession *session, GstOfflineCache *cache, FetchSpec spec,
      RetryPolicy retry, SpaceFn check_space, GCancellable *cancellable);
  ~ResourceFetch ();

  void start (ProgressFn progress, ValidateFn validate, DoneFn done);

 private:
  ResourceFetch () = default;
  void send ();
  void on_sent (GAsyncResult *result);
  bool accept_response (GError **error, bool *transient, bool *restart);
  void read_next ();
  void on_read (GAsyncResult *result);
  bool validate_if_ready (bool at_end, GError **error);
  void fail (GError *error, bool transient);
  void retry_later ();
  void finish (GError *error);

  SoupSession *session_ = nullptr;
  GstOfflineCache *cache_ = nullptr;
  GCancellable *cancellable_ = nullptr;
  FetchSpec spec_;
  RetryPolicy retry_;
  SpaceFn check_space_;
  ProgressFn progress_;
  ValidateFn validate_;
  DoneFn done_;
  std::unique_ptr<ResourceWriter> writer_;
  SoupMessage *message_ = nullptr;
  GInputStream *body_ = nullptr;
  guint64 skip_ = 0;           /* bytes of a 200 answer that we hold already */
  gint64 total_ = -1;
  guint attempts_ = 0;         /* failures since bytes last arrived */
  bool validated_ = false;
  bool finished_ = false;
};

}  // namespace gst_offline
