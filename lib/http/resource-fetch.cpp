/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "http/resource-fetch.h"

#include "cache/resource-writer.h"
#include "http/http-client.h"
#include "util/request-error.h"
#include "util/main-context.h"

#include <gst/gst.h>

GST_DEBUG_CATEGORY_STATIC (fetch_debug);
#define GST_CAT_DEFAULT fetch_debug

namespace gst_offline {

namespace {

constexpr gsize kReadSize = 64 * 1024;
/* Enough for every typefinder that matters to see a container header. */
constexpr gsize kValidateBytes = 16 * 1024;

/* Carries a strong reference to the fetch through an async call. */
struct Pending {
  std::shared_ptr<ResourceFetch> fetch;
};

std::string header_or_empty (SoupMessageHeaders *headers, const char *name)
{
  const char *value = soup_message_headers_get_one (headers, name);
  return value ? value : "";
}

bool is_weak_etag (const std::string &etag)
{
  return etag.rfind ("W/", 0) == 0;
}

}  // namespace

std::shared_ptr<ResourceFetch> ResourceFetch::create (SoupSession *session, GstOfflineCache *cache, FetchSpec spec,
    RetryPolicy retry, SpaceFn check_space, GCancellable *cancellable)
{
  std::vector<FetchSpec> parts;
  parts.push_back (std::move (spec));
  return create (session, cache, std::move (parts), retry, std::move (check_space), cancellable);
}

std::shared_ptr<ResourceFetch> ResourceFetch::create (SoupSession *session, GstOfflineCache *cache,
    std::vector<FetchSpec> parts, RetryPolicy retry, SpaceFn check_space, GCancellable *cancellable)
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (fetch_debug, "offlinefetch", 0, "gst-offline HTTP fetches");
    g_once_init_leave (&once, 1);
  }
  g_return_val_if_fail (!parts.empty (), nullptr);
  g_return_val_if_fail (parts.size () == 1 || parts.front ().range, nullptr);
  std::shared_ptr<ResourceFetch> self (new ResourceFetch ());
  self->session_ = SOUP_SESSION (g_object_ref (session));
  self->cache_ = GST_OFFLINE_CACHE (g_object_ref (cache));
  self->cancellable_ = G_CANCELLABLE (g_object_ref (cancellable));
  for (FetchSpec &spec : parts)
    self->parts_.push_back ({ std::move (spec), nullptr, false });
  self->retry_ = retry;
  self->check_space_ = std::move (check_space);
  return self;
}

ResourceFetch::~ResourceFetch ()
{
  parts_.clear ();
  g_clear_error (&result_);
  g_clear_object (&body_);
  g_clear_object (&message_);
  g_clear_object (&cancellable_);
  g_clear_object (&cache_);
  g_clear_object (&session_);
}

void ResourceFetch::start (ProgressFn progress, ValidateFn validate, DoneFn done)
{
  progress_ = std::move (progress);
  validate_ = std::move (validate);
  done_ = std::move (done);
  next_request ();
}

/* Opens part `index` for writing, unless it is open; a part found whole in
 * the cache is done. */
bool ResourceFetch::open_part (size_t index, GError **error)
{
  Part &part = parts_[index];
  if (part.writer)
    return true;
  part.writer = ResourceWriter::open (cache_, part.spec.cache_key, part.spec.download_id, error);
  if (!part.writer)
    return false;
  if (part.writer->complete ()) {
    GST_DEBUG ("%s is in the cache already", part.spec.cache_key.c_str ());
    part.writer.reset ();
    part.done = true;
    if (index == 0)
      validated_ = true;
    return true;
  }
  progress_ (index, part.writer->length (),
      part.spec.range ? static_cast<gint64> (part.spec.range->length) : part.writer->total_length ());
  return true;
}

/* Asks for the first part not done yet and every part after it that holds
 * nothing yet, in one request; finishes once every part is done. */
void ResourceFetch::next_request ()
{
  g_clear_object (&body_);
  GError *error = nullptr;
  for (current_ = 0; current_ < parts_.size (); current_++) {
    Part &part = parts_[current_];
    if (part.done)
      continue;
    if (!open_part (current_, &error)) {
      fail (error, g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_BUSY));
      return;
    }
    if (part.done)
      continue;
    if (writer ().length () >= kValidateBytes && !validate_if_ready (false, &error)) {
      fail (error, false);
      return;
    }
    if (part.spec.range && writer ().length () == part.spec.range->length) {
      /* Every byte arrived before the process stopped; only the commit is left. */
      if (!commit_part (current_, &error)) {
        fail (error, false);
        return;
      }
      continue;
    }
    break;
  }
  if (current_ == parts_.size ()) {
    finish (nullptr);
    return;
  }
  last_ = current_;
  while (last_ + 1 < parts_.size () && !parts_[last_ + 1].done && !parts_[last_ + 1].writer
      && gst_offline_cache_get_cached_length (cache_, parts_[last_ + 1].spec.cache_key.c_str ()) == 0)
    last_++;
  send ();
}

void ResourceFetch::send ()
{
  g_clear_object (&message_);
  g_clear_object (&body_);
  skip_ = 0;
  discard_ = 0;
  whole_file_answer_ = false;
  GError *error = nullptr;
  message_ = http_message_new (SOUP_METHOD_GET, spec ().url, spec ().headers, &error);
  if (!message_) {
    fail (error, false);
    return;
  }
  SoupMessageHeaders *headers = soup_message_get_request_headers (message_);
  guint64 held = writer ().length ();
  if (ranged ()) {
    const ByteRange &first = *parts_[current_].spec.range, &end = *parts_[last_].spec.range;
    soup_message_headers_set_range (headers, static_cast<goffset> (first.offset + held),
        static_cast<goffset> (end.offset + end.length - 1));
  } else if (held > 0) {
    soup_message_headers_set_range (headers, static_cast<goffset> (held), -1);
  }
  if (held > 0) {
    /* If-Range: the server sends the rest only if the resource is unchanged,
     * else all of it (a 200 we then take from the start). */
    if (!writer ().etag ().empty () && !is_weak_etag (writer ().etag ()))
      soup_message_headers_replace (headers, "If-Range", writer ().etag ().c_str ());
    else if (!writer ().last_modified ().empty ())
      soup_message_headers_replace (headers, "If-Range", writer ().last_modified ().c_str ());
  }
  GST_DEBUG ("GET %s from byte %" G_GUINT64_FORMAT " of %s, %" G_GSIZE_FORMAT " resource(s) (attempt %u)",
      spec ().url.c_str (), held, parts_[current_].spec.cache_key.c_str (), last_ - current_ + 1, attempts_ + 1);
  soup_session_send_async (session_, message_, G_PRIORITY_DEFAULT, cancellable_,
      [] (GObject *, GAsyncResult *result, gpointer data) {
        std::unique_ptr<Pending> pending (static_cast<Pending *> (data));
        pending->fetch->on_sent (result);
      },
      new Pending { shared_from_this () });
}

void ResourceFetch::on_sent (GAsyncResult *result)
{
  GError *error = nullptr;
  body_ = soup_session_send_finish (session_, result, &error);
  if (finished_) {
    /* A commit failed meanwhile and ended the fetch. */
    g_clear_error (&error);
    g_clear_object (&body_);
    return;
  }
  if (!body_) {
    bool transient = true;
    error = http_transport_error (spec ().url, std::string (), error, &transient);
    fail (error, transient);
    return;
  }
  bool transient = false, restart = false;
  if (!accept_response (&error, &transient, &restart)) {
    fail (error, transient);
    return;
  }
  if (restart) {
    send ();
    return;
  }
  if (parts_[current_].done) {
    next_request ();
    return;
  }
  read_next ();
}

/* Decides what the response means for the bytes we hold. */
bool ResourceFetch::accept_response (GError **error, bool *transient, bool *restart)
{
  guint status = soup_message_get_status (message_);
  if (!http_check_final_uri (message_, spec ().url, error))
    return false;
  SoupMessageHeaders *headers = soup_message_get_response_headers (message_);
  std::string etag = header_or_empty (headers, "ETag");
  std::string last_modified = header_or_empty (headers, "Last-Modified");
  const std::optional<ByteRange> &range = parts_[current_].spec.range;
  guint64 held = writer ().length ();
  guint64 first = (range ? range->offset : 0) + held;

  if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE && range) {
    goffset start, end_byte, total = -1;
    soup_message_headers_get_content_range (headers, &start, &end_byte, &total);
    if (held > 0 && total >= 0 && static_cast<guint64> (total) == first) {
      /* A resume of a range past the end of the file: the held bytes are
       * all the file has of it. */
      clamp_to_file_end (first);
      return commit_part (current_, error);
    }
    const ByteRange &end = *parts_[last_].spec.range;
    g_propagate_error (error, request_error_new (GST_OFFLINE_ERROR_HTTP, spec ().url, status,
        "%s: bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT " are beyond the end of the file on the server",
        spec ().url.c_str (), first, end.offset + end.length - 1));
    return false;
  }
  if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE && held > 0) {
    goffset start, end, total = -1;
    soup_message_headers_get_content_range (headers, &start, &end, &total);
    if (total >= 0 && static_cast<guint64> (total) == held) {
      GST_DEBUG ("%s: the held %" G_GUINT64_FORMAT " bytes are all of it", spec ().url.c_str (), held);
      return commit_part (current_, error);
    }
    GST_INFO ("%s: 416 for byte %" G_GUINT64_FORMAT " of %" G_GINT64_FORMAT ": starting over", spec ().url.c_str (), held,
        static_cast<gint64> (total));
    *restart = writer ().restart (error);
    return *restart;
  }
  if (status != SOUP_STATUS_OK && status != SOUP_STATUS_PARTIAL_CONTENT) {
    g_propagate_error (error, http_status_error (message_, spec ().url, std::string (), transient));
    return false;
  }

  gint64 body_length = soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
      ? soup_message_headers_get_content_length (headers) : -1;
  if (status == SOUP_STATUS_PARTIAL_CONTENT) {
    goffset start = 0, end = 0, total = -1;
    if ((held == 0 && !range) || !soup_message_headers_get_content_range (headers, &start, &end, &total)
        || static_cast<guint64> (start) != first) {
      if (held == 0) {
        g_propagate_error (error, request_error_new (GST_OFFLINE_ERROR_HTTP, spec ().url, status,
            "%s: the server answered another range than the one asked for", spec ().url.c_str ()));
        return false;
      }
      GST_INFO ("%s: the server sent another range than asked: starting over", spec ().url.c_str ());
      *restart = writer ().restart (error);
      return *restart;
    }
    if (!range) {
      total_ = total >= 0 ? total : -1;
      if (total_ < 0 && body_length >= 0)
        total_ = static_cast<gint64> (held) + body_length;
    } else if (total >= 0) {
      clamp_to_file_end (static_cast<guint64> (total));
    } else if (static_cast<guint64> (end) + 1 < requested_end ()) {
      /* A server shortens a range only at the end of the file. */
      clamp_to_file_end (static_cast<guint64> (end) + 1);
    }
  } else {
    /* 200: the whole file, from its first byte. */
    whole_file_answer_ = range.has_value ();
    if (!range)
      total_ = body_length;
    skip_ = range ? range->offset : 0;
    if (range && body_length >= 0)
      clamp_to_file_end (static_cast<guint64> (body_length));
    if (held > 0) {
      bool same = (!etag.empty () && !is_weak_etag (etag) && etag == writer ().etag ())
          || (etag.empty () && writer ().etag ().empty () && !last_modified.empty ()
              && last_modified == writer ().last_modified ());
      if (same) {
        GST_INFO ("%s: the server ignored the Range; skipping the %" G_GUINT64_FORMAT " bytes we hold",
            spec ().url.c_str (), held);
        skip_ = first;
      } else {
        GST_INFO ("%s: the resource changed on the server; starting over", spec ().url.c_str ());
        if (!writer ().restart (error))
          return false;
      }
    }
  }
  if (!range && total_ >= 0 && static_cast<guint64> (total_) < writer ().length ()) {
    GST_INFO ("%s: it is shorter than what we hold: starting over", spec ().url.c_str ());
    *restart = writer ().restart (error);
    return *restart;
  }
  /* Refuse before writing what cannot fit, rather than fill the disk. */
  guint64 needed = 0;
  if (range)
    needed = parts_[last_].spec.range->offset + parts_[last_].spec.range->length - range->offset - writer ().length ();
  else if (total_ >= 0)
    needed = static_cast<guint64> (total_) - writer ().length ();
  if (needed > 0 && check_space_ && !check_space_ (needed, error))
    return false;
  response_etag_ = etag;
  response_last_modified_ = last_modified;
  writer ().set_validators (etag, last_modified, range ? static_cast<gint64> (range->length) : total_);
  return true;
}

/* The byte after the last one the request asks for. */
guint64 ResourceFetch::requested_end () const
{
  const ByteRange &end = *parts_[last_].spec.range;
  return end.offset + end.length;
}

/* Fits the parts of the request to a file of `size` bytes, as players do
 * with a last range that runs past the end of the file (a mediaRange whose
 * end is the file's length, not its last byte): a part that runs past the
 * end is cut at it, and the parts after it are left out of this request
 * (asked for alone, they get a clear error). */
void ResourceFetch::clamp_to_file_end (guint64 size)
{
  for (size_t i = current_; i <= last_; i++) {
    ByteRange &range = *parts_[i].spec.range;
    if (range.offset >= size && i > current_) {
      GST_WARNING ("%s: %s starts at byte %" G_GUINT64_FORMAT ", past the end of the %" G_GUINT64_FORMAT
          "-byte file", spec ().url.c_str (), parts_[i].spec.cache_key.c_str (), range.offset, size);
      last_ = i - 1;
      return;
    }
    if (range.offset < size && range.offset + range.length > size) {
      GST_INFO ("%s: %s runs %" G_GUINT64_FORMAT " byte(s) past the end of the file; taking the %" G_GUINT64_FORMAT
          " it has", spec ().url.c_str (), parts_[i].spec.cache_key.c_str (), range.offset + range.length - size,
          size - range.offset);
      range.length = size - range.offset;
      if (parts_[i].writer)
        progress_ (i, parts_[i].writer->length (), static_cast<gint64> (range.length));
    }
  }
}

void ResourceFetch::read_next ()
{
  g_input_stream_read_bytes_async (body_, kReadSize, G_PRIORITY_DEFAULT, cancellable_,
      [] (GObject *source, GAsyncResult *result, gpointer data) {
        std::unique_ptr<Pending> pending (static_cast<Pending *> (data));
        pending->fetch->on_read (source, result);
      },
      new Pending { shared_from_this () });
}

void ResourceFetch::on_read (GObject *source, GAsyncResult *result)
{
  GError *error = nullptr;
  g_autoptr (GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (finished_) {
    g_clear_error (&error);
    return;
  }
  bool run_written = ranged () && current_ > last_;
  if (!bytes) {
    if (run_written && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      /* Only the end of the answer was missing: nothing of ours is lost. */
      g_error_free (error);
      next_request ();
      return;
    }
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      GError *wrapped = request_error_new (GST_OFFLINE_ERROR_NETWORK, spec ().url, soup_message_get_status (message_),
          "%s: connection lost in %s: %s", spec ().url.c_str (), parts_[current_].spec.cache_key.c_str (), error->message);
      g_error_free (error);
      error = wrapped;
    }
    fail (error, true);
    return;
  }
  gsize size;
  auto data = static_cast<const guint8 *> (g_bytes_get_data (bytes, &size));
  if (size == 0) {
    if (run_written) {
      next_request ();
      return;
    }
    if (ranged () || (total_ >= 0 && writer ().length () != static_cast<guint64> (total_))) {
      fail (request_error_new (GST_OFFLINE_ERROR_NETWORK, spec ().url, soup_message_get_status (message_),
          "%s: the connection closed before the end of %s", spec ().url.c_str (),
          parts_[current_].spec.cache_key.c_str ()), true);
      return;
    }
    if (!commit_part (current_, &error)) {
      fail (error, false);
      return;
    }
    next_request ();
    return;
  }
  if (skip_ > 0) {
    gsize skipped = static_cast<gsize> (MIN (skip_, static_cast<guint64> (size)));
    skip_ -= skipped;
    data += skipped;
    size -= skipped;
  }
  if (ranged ()) {
    if (!write_ranged (data, size, &error)) {
      fail (error, false);
      return;
    }
    if (current_ > last_ && whole_file_answer_) {
      /* The rest of the file is not what was asked for. */
      next_request ();
      return;
    }
    /* A 206 is read to its end, so that its connection serves again. */
    read_next ();
    return;
  }
  if (size > 0) {
    if (!writer ().append (data, size, &error)) {
      fail (error, false);
      return;
    }
    attempts_ = 0;
    if (total_ >= 0 && writer ().length () > static_cast<guint64> (total_)) {
      fail (request_error_new (GST_OFFLINE_ERROR_HTTP, spec ().url, soup_message_get_status (message_),
          "%s: the server sent more than the %" G_GINT64_FORMAT " bytes it announced", spec ().url.c_str (), total_),
          true);
      return;
    }
    if (!validate_if_ready (false, &error)) {
      fail (error, false);
      return;
    }
    progress_ (current_, writer ().length (), total_);
  }
  read_next ();
}

/* Writes body bytes to the parts of the request in turn, committing each as
 * soon as it is whole; bytes past the last part are not ours. */
bool ResourceFetch::write_ranged (const guint8 *data, gsize size, GError **error)
{
  while (size > 0 && current_ <= last_) {
    if (discard_ > 0) {
      gsize passed = static_cast<gsize> (MIN (discard_, static_cast<guint64> (size)));
      discard_ -= passed;
      data += passed;
      size -= passed;
      if (discard_ == 0 && !begin_next_part (error))
        return false;
      continue;
    }
    guint64 length = parts_[current_].spec.range->length;
    gsize taken = static_cast<gsize> (MIN (length - writer ().length (), static_cast<guint64> (size)));
    if (!writer ().append (data, taken, error))
      return false;
    attempts_ = 0;
    data += taken;
    size -= taken;
    if (!validate_if_ready (false, error))
      return false;
    progress_ (current_, writer ().length (), static_cast<gint64> (length));
    if (writer ().length () == length && (!commit_part (current_, error) || !begin_next_part (error)))
      return false;
  }
  return true;
}

/* Moves on to the next part of the request. The bytes of one that has
 * become whole meanwhile, or that another writer holds, are passed over
 * (the latter is asked for again later). */
bool ResourceFetch::begin_next_part (GError **error)
{
  if (++current_ > last_)
    return true;
  Part &part = parts_[current_];
  g_autoptr (GError) open_error = nullptr;
  if (!open_part (current_, &open_error)) {
    if (!g_error_matches (open_error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_BUSY)) {
      g_propagate_error (error, g_steal_pointer (&open_error));
      return false;
    }
    GST_INFO ("%s; passing over its bytes", open_error->message);
    discard_ = part.spec.range->length;
    return true;
  }
  if (part.done) {
    discard_ = part.spec.range->length;
    return true;
  }
  /* Bytes another download held of it are dropped for the ones arriving. */
  if (writer ().length () > 0 && !writer ().restart (error))
    return false;
  writer ().set_validators (response_etag_, response_last_modified_, static_cast<gint64> (part.spec.range->length));
  return true;
}

/* Hands a whole part to the cache; the fetch ends only when it is in. */
bool ResourceFetch::commit_part (size_t index, GError **error)
{
  if (index == 0 && !validate_if_ready (true, error))
    return false;
  Part &part = parts_[index];
  part.done = true;
  pending_commits_++;
  auto self = shared_from_this ();
  ResourceWriter::commit (std::move (part.writer), [self] (const GError *commit_error) {
    self->on_committed (commit_error);
  });
  return true;
}

void ResourceFetch::on_committed (const GError *error)
{
  pending_commits_--;
  if (error && !finished_) {
    fail (g_error_copy (error), false);
    return;
  }
  if (error && !result_)
    result_ = g_error_copy (error);
  if (finished_ && pending_commits_ == 0) {
    auto self = shared_from_this ();
    run_later ([self] () { self->done_ (self->result_); });
  }
}

bool ResourceFetch::validate_if_ready (bool at_end, GError **error)
{
  const auto &writer = parts_.front ().writer;
  if (validated_ || !validate_ || !writer || (!at_end && writer->length () < kValidateBytes))
    return true;
  validated_ = true;
  return validate_ (writer->read_prefix (kValidateBytes), error);
}

void ResourceFetch::fail (GError *error, bool transient)
{
  for (Part &part : parts_) {
    g_autoptr (GError) checkpoint_error = nullptr;
    if (part.writer && !part.writer->checkpoint (&checkpoint_error))
      GST_WARNING ("%s", checkpoint_error->message);
  }
  bool cancelled = g_cancellable_is_cancelled (cancellable_);
  if (cancelled || !transient || attempts_ >= retry_.max_retries) {
    if (cancelled && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      g_error_free (error);
      error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
    }
    finish (error);
    return;
  }
  attempts_++;
  GST_INFO ("%s (retry %u of %u)", error->message, attempts_, retry_.max_retries);
  g_error_free (error);
  retry_later ();
}

void ResourceFetch::retry_later ()
{
  auto self = shared_from_this ();
  run_after (retry_.delay_ms (attempts_), cancellable_, [self] (bool cancelled) {
    if (self->finished_)
      return;
    if (cancelled)
      self->finish (g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled"));
    else
      self->next_request ();
  });
}

void ResourceFetch::finish (GError *error)
{
  if (finished_) {
    g_clear_error (&error);
    return;
  }
  finished_ = true;
  result_ = error;
  g_clear_object (&body_);
  /* Closing the writers checkpoints what they hold and unlocks them. */
  for (Part &part : parts_)
    part.writer.reset ();
  auto self = shared_from_this ();
  if (pending_commits_ > 0) {
    if (!error && written_)
      run_later ([self] () { self->written_ (); });
    return;  /* on_committed ends it */
  }
  /* Always from the main loop, never from inside start() or a callback. */
  run_later ([self] () { self->done_ (self->result_); });
}

}  // namespace gst_offline
