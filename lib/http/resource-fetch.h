/* Fetches one resource over HTTP into the cache, or several adjacent byte
 * ranges of one file, each its own resource, with as few requests as their
 * held bytes allow; asynchronously on the thread-default main context:
 * resumes a partial resource with a Range request validated by If-Range
 * (ETag, else Last-Modified), copes with servers that ignore Range or answer
 * 416, cuts a last range that runs past the end of the file at it (as
 * players do), retries transient failures with exponential backoff (the count
 * restarts whenever bytes arrive), and commits each resource as soon as, and
 * only when, every byte of it is held.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "http/http-client.h"

#include <gst/offline/offline-cache.h>
#include <libsoup/soup.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gst_offline {

class ResourceWriter;

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
  /* Held and total bytes of part `part` (total -1 while unknown), after
   * every write. */
  using ProgressFn = std::function<void (size_t part, guint64 held, gint64 total)>;
  /* Sees the first bytes of the (first) resource once they are held (all of
   * it if it is shorter), to refuse content that is not what the download
   * expects. */
  using ValidateFn = std::function<bool (const std::string &prefix, GError **error)>;
  /* Called once, on the context, when every commit has landed: no error
   * when every part is whole. */
  using DoneFn = std::function<void (const GError *error)>;
  /* Fails (NO_SPACE) unless `bytes` more can be stored. */
  using SpaceFn = std::function<bool (guint64 bytes, GError **error)>;

  static std::shared_ptr<ResourceFetch> create (SoupSession *session, GstOfflineCache *cache, FetchSpec spec,
      RetryPolicy retry, SpaceFn check_space, GCancellable *cancellable);
  /* Parts are byte ranges of one URL (same headers, same download), each
   * starting where the previous one ends. */
  static std::shared_ptr<ResourceFetch> create (SoupSession *session, GstOfflineCache *cache,
      std::vector<FetchSpec> parts, RetryPolicy retry, SpaceFn check_space, GCancellable *cancellable);
  ~ResourceFetch ();

  void start (ProgressFn progress, ValidateFn validate, DoneFn done);
  /* Called once, on the context, when every byte is written and only the
   * commits that make the parts visible are left (a sync and a transaction
   * away): the request no longer needs its connection. Not called when
   * the fetch fails or has no commit left; done comes after it. Set before
   * start (). */
  void set_on_written (std::function<void ()> written) { written_ = std::move (written); }

 private:
  struct Part {
    FetchSpec spec;
    std::unique_ptr<ResourceWriter> writer;  /* while it is written */
    bool done = false;                       /* whole, or being committed */
  };

  ResourceFetch () = default;
  bool ranged () const { return parts_.front ().spec.range.has_value (); }
  const FetchSpec &spec () const { return parts_.front ().spec; }
  ResourceWriter &writer () { return *parts_[current_].writer; }
  bool open_part (size_t index, GError **error);
  bool begin_next_part (GError **error);
  void next_request ();
  void send ();
  void on_sent (GAsyncResult *result);
  bool accept_response (GError **error, bool *transient, bool *restart);
  guint64 requested_end () const;
  void clamp_to_file_end (guint64 size);
  void read_next ();
  void on_read (GObject *source, GAsyncResult *result);
  bool write_ranged (const guint8 *data, gsize size, GError **error);
  bool commit_part (size_t index, GError **error);
  void on_committed (const GError *error);
  bool validate_if_ready (bool at_end, GError **error);
  void fail (GError *error, bool transient);
  void retry_later ();
  void finish (GError *error);

  SoupSession *session_ = nullptr;
  GstOfflineCache *cache_ = nullptr;
  GCancellable *cancellable_ = nullptr;
  std::vector<Part> parts_;
  RetryPolicy retry_;
  SpaceFn check_space_;
  ProgressFn progress_;
  ValidateFn validate_;
  DoneFn done_;
  std::function<void ()> written_;
  SoupMessage *message_ = nullptr;
  GInputStream *body_ = nullptr;
  size_t current_ = 0;         /* the part the body is written to */
  size_t last_ = 0;            /* the last part the request asks for */
  guint64 skip_ = 0;           /* bytes of a 200 answer before the first we need */
  guint64 discard_ = 0;        /* bytes of a part that another writer holds */
  bool whole_file_answer_ = false;  /* a 200 to a ranged request */
  std::string response_etag_;
  std::string response_last_modified_;
  gint64 total_ = -1;          /* of a whole-file resource */
  guint attempts_ = 0;         /* failures since bytes last arrived */
  guint pending_commits_ = 0;
  GError *result_ = nullptr;   /* kept until the pending commits land */
  bool validated_ = false;
  bool finished_ = false;
};

}  // namespace gst_offline
