/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "http/resource-fetch.h"

#include "cache/resource-writer.h"
#include "http/http-client.h"
#include "index/download-private.h"
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

bool is_http_uri (GUri *uri)
{
  const char *scheme = g_uri_get_scheme (uri);
  return scheme && (g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0);
}

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
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (fetch_debug, "offlinefetch", 0, "gst-offline HTTP fetches");
    g_once_init_leave (&once, 1);
  }
  std::shared_ptr<ResourceFetch> self (new ResourceFetch ());
  self->session_ = SOUP_SESSION (g_object_ref (session));
  self->cache_ = GST_OFFLINE_CACHE (g_object_ref (cache));
  self->cancellable_ = G_CANCELLABLE (g_object_ref (cancellable));
  self->spec_ = std::move (spec);
  self->retry_ = retry;
  self->check_space_ = std::move (check_space);
  return self;
}

ResourceFetch::~ResourceFetch ()
{
  writer_.reset ();
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
  GError *error = nullptr;
  writer_ = ResourceWriter::open (cache_, spec_.cache_key, spec_.download_id, &error);
  if (!writer_) {
    fail (error, error->code == GST_OFFLINE_ERROR_BUSY);
    return;
  }
  if (writer_->complete ()) {
    GST_DEBUG ("%s is in the cache already", spec_.url.c_str ());
    validated_ = true;
    finish (nullptr);
    return;
  }
  if (writer_->length () >= kValidateBytes && !validate_if_ready (false, &error)) {
    fail (error, false);
    return;
  }
  total_ = writer_->total_length ();
  progress_ (writer_->length (), total_);
  if (spec_.range && writer_->length () == spec_.range->length) {
    /* Every byte arrived before the process stopped; only the commit is left. */
    if (!writer_->commit (&error)) {
      fail (error, false);
      return;
    }
    finish (nullptr);
    return;
  }
  send ();
}

void ResourceFetch::send ()
{
  g_clear_object (&message_);
  g_clear_object (&body_);
  skip_ = 0;
  g_autoptr (GUri) uri = g_uri_parse (spec_.url.c_str (), static_cast<GUriFlags> (SOUP_HTTP_URI_FLAGS), nullptr);
  if (!uri || !is_http_uri (uri)) {
    fail (g_error_new (GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT, "'%s' is not an http(s) URI",
        spec_.url.c_str ()), false);
    return;
  }
  message_ = soup_message_new_from_uri (SOUP_METHOD_GET, uri);
  SoupMessageHeaders *headers = soup_message_get_request_headers (message_);
  for (const auto &line : spec_.headers) {
    if (auto header = parse_header (line))
      soup_message_headers_replace (headers, header->first.c_str (), header->second.c_str ());
  }
  guint64 held = writer_->length ();
  if (spec_.range) {
    guint64 first = spec_.range->offset + held;
    soup_message_headers_set_range (headers, static_cast<goffset> (first),
        static_cast<goffset> (spec_.range->offset + spec_.range->length - 1));
  } else if (held > 0) {
    soup_message_headers_set_range (headers, static_cast<goffset> (held), -1);
  }
  if (held > 0) {
    /* If-Range: the server sends the rest only if the resource is unchanged,
     * else all of it (a 200 we then take from the start). */
    if (!writer_->etag ().empty () && !is_weak_etag (writer_->etag ()))
      soup_message_headers_replace (headers, "If-Range", writer_->etag ().c_str ());
    else if (!writer_->last_modified ().empty ())
      soup_message_headers_replace (headers, "If-Range", writer_->last_modified ().c_str ());
  }
  GST_DEBUG ("GET %s from byte %" G_GUINT64_FORMAT " (attempt %u)", spec_.url.c_str (), held, attempts_ + 1);
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
  if (!body_) {
    bool transient = true;
    if (error->domain == SOUP_SESSION_ERROR) {
      /* A redirect to a non-http(s) URI, a redirect loop, an answer that is
       * not HTTP: asking again gives the same. */
      transient = false;
      bool redirect = error->code == SOUP_SESSION_ERROR_REDIRECT_BAD_URI
          || error->code == SOUP_SESSION_ERROR_TOO_MANY_REDIRECTS;
      GError *wrapped = g_error_new (GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_HTTP, "%s: %s%s", spec_.url.c_str (),
          redirect ? "redirect refused: " : "", error->message);
      g_error_free (error);
      error = wrapped;
    } else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      GError *wrapped = g_error_new (GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NETWORK, "%s: %s", spec_.url.c_str (), error->message);
      g_error_free (error);
      error = wrapped;
    }
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
  if (writer_->complete ()) {
    finish (nullptr);
    return;
  }
  read_next ();
}

/* Decides what the response means for the bytes we hold. */
bool ResourceFetch::accept_response (GError **error, bool *transient, bool *restart)
{
  guint status = soup_message_get_status (message_);
  GUri *final_uri = soup_message_get_uri (message_);
  if (!is_http_uri (final_uri)) {
    g_autofree gchar *text = g_uri_to_string (final_uri);
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_HTTP, "%s redirected to %s, which is not http(s)",
        spec_.url.c_str (), text);
    return false;
  }
  SoupMessageHeaders *headers = soup_message_get_response_headers (message_);
  std::string etag = header_or_empty (headers, "ETag");
  std::string last_modified = header_or_empty (headers, "Last-Modified");
  guint64 held = writer_->length ();

  if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE && spec_.range) {
    if (held == spec_.range->length)
      return validate_if_ready (true, error) && writer_->commit (error);
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_HTTP,
        "%s: bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT " are beyond the end of the file on the server",
        spec_.url.c_str (), spec_.range->offset, spec_.range->offset + spec_.range->length - 1);
    return false;
  }
  if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE && held > 0) {
    goffset start, end, total = -1;
    soup_message_headers_get_content_range (headers, &start, &end, &total);
    if (total >= 0 && static_cast<guint64> (total) == held) {
      GST_DEBUG ("%s: the held %" G_GUINT64_FORMAT " bytes are all of it", spec_.url.c_str (), held);
      if (!validate_if_ready (true, error) || !writer_->commit (error))
        return false;
      return true;
    }
    GST_INFO ("%s: 416 for byte %" G_GUINT64_FORMAT " of %" G_GINT64_FORMAT ": starting over", spec_.url.c_str (), held,
        static_cast<gint64> (total));
    *restart = writer_->restart (error);
    return *restart;
  }
  if (status != SOUP_STATUS_OK && status != SOUP_STATUS_PARTIAL_CONTENT) {
    *transient = http_status_is_transient (status);
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_HTTP, "%s for %s", http_status_text (message_).c_str (),
        spec_.url.c_str ());
    return false;
  }

  gint64 body_length = soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
      ? soup_message_headers_get_content_length (headers) : -1;
  guint64 offset = spec_.range ? spec_.range->offset : 0;
  if (status == SOUP_STATUS_PARTIAL_CONTENT) {
    goffset start = 0, end = 0, total = -1;
    if ((held == 0 && !spec_.range) || !soup_message_headers_get_content_range (headers, &start, &end, &total)
        || static_cast<guint64> (start) != offset + held) {
      GST_INFO ("%s: the server sent another range than asked: starting over", spec_.url.c_str ());
      *restart = writer_->restart (error);
      return *restart;
    }
    if (spec_.range) {
      total_ = static_cast<gint64> (spec_.range->length);
    } else {
      total_ = total >= 0 ? total : -1;
      if (total_ < 0 && body_length >= 0)
        total_ = static_cast<gint64> (held) + body_length;
    }
  } else {
    /* 200: the whole file, from its first byte. */
    total_ = spec_.range ? static_cast<gint64> (spec_.range->length) : body_length;
    skip_ = offset;
    if (held > 0) {
      bool same = (!etag.empty () && !is_weak_etag (etag) && etag == writer_->etag ())
          || (etag.empty () && writer_->etag ().empty () && !last_modified.empty ()
              && last_modified == writer_->last_modified ());
      if (same) {
        GST_INFO ("%s: the server ignored the Range; skipping the %" G_GUINT64_FORMAT " bytes we hold",
            spec_.url.c_str (), held);
        skip_ = offset + held;
      } else {
        GST_INFO ("%s: the resource changed on the server; starting over", spec_.url.c_str ());
        if (!writer_->restart (error))
          return false;
      }
    }
  }
  if (total_ >= 0 && static_cast<guint64> (total_) < writer_->length ()) {
    GST_INFO ("%s: it is shorter than what we hold: starting over", spec_.url.c_str ());
    *restart = writer_->restart (error);
    return *restart;
  }
  /* Refuse before writing what cannot fit, rather than fill the disk. */
  if (total_ >= 0 && check_space_ && !check_space_ (static_cast<guint64> (total_) - writer_->length (), error))
    return false;
  return writer_->set_validators (etag, last_modified, total_, error);
}

void ResourceFetch::read_next ()
{
  g_input_stream_read_bytes_async (body_, kReadSize, G_PRIORITY_DEFAULT, cancellable_,
      [] (GObject *, GAsyncResult *result, gpointer data) {
        std::unique_ptr<Pending> pending (static_cast<Pending *> (data));
        pending->fetch->on_read (result);
      },
      new Pending { shared_from_this () });
}

void ResourceFetch::on_read (GAsyncResult *result)
{
  GError *error = nullptr;
  g_autoptr (GBytes) bytes = g_input_stream_read_bytes_finish (body_, result, &error);
  if (!bytes) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      GError *wrapped = g_error_new (GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NETWORK,
          "%s: connection lost after %" G_GUINT64_FORMAT " bytes: %s", spec_.url.c_str (), writer_->length (),
          error->message);
      g_error_free (error);
      error = wrapped;
    }
    fail (error, true);
    return;
  }
  gsize size;
  auto data = static_cast<const guint8 *> (g_bytes_get_data (bytes, &size));
  if (size == 0) {
    if (total_ >= 0 && writer_->length () != static_cast<guint64> (total_)) {
      fail (g_error_new (GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NETWORK,
          "%s: the connection closed after %" G_GUINT64_FORMAT " of %" G_GINT64_FORMAT " bytes", spec_.url.c_str (),
          writer_->length (), total_), true);
      return;
    }
    if (!validate_if_ready (true, &error) || !writer_->commit (&error)) {
      fail (error, false);
      return;
    }
    finish (nullptr);
    return;
  }
  if (skip_ > 0) {
    gsize skipped = static_cast<gsize> (MIN (skip_, static_cast<guint64> (size)));
    skip_ -= skipped;
    data += skipped;
    size -= skipped;
  }
  if (spec_.range && total_ >= 0) {
    /* A 200 answer to a ranged request carries the rest of the file too. */
    size = static_cast<gsize> (MIN (static_cast<guint64> (size), static_cast<guint64> (total_) - writer_->length ()));
  }
  if (size > 0) {
    if (!writer_->append (data, size, &error)) {
      fail (error, false);
      return;
    }
    attempts_ = 0;
    if (total_ >= 0 && writer_->length () > static_cast<guint64> (total_)) {
      fail (g_error_new (GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_HTTP, "%s: the server sent more than the %" G_GINT64_FORMAT
          " bytes it announced", spec_.url.c_str (), total_), true);
      return;
    }
    if (!validate_if_ready (false, &error)) {
      fail (error, false);
      return;
    }
    progress_ (writer_->length (), total_);
  }
  if (spec_.range && writer_->length () == static_cast<guint64> (total_)) {
    if (!validate_if_ready (true, &error) || !writer_->commit (&error)) {
      fail (error, false);
      return;
    }
    finish (nullptr);
    return;
  }
  read_next ();
}

bool ResourceFetch::validate_if_ready (bool at_end, GError **error)
{
  if (validated_ || !validate_ || (!at_end && writer_->length () < kValidateBytes))
    return true;
  validated_ = true;
  return validate_ (writer_->read_prefix (kValidateBytes), error);
}

void ResourceFetch::fail (GError *error, bool transient)
{
  if (writer_) {
    g_autoptr (GError) checkpoint_error = nullptr;
    if (!writer_->checkpoint (&checkpoint_error))
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
    if (cancelled)
      self->finish (g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled"));
    else if (self->writer_)
      self->send ();
    else
      self->start (std::move (self->progress_), std::move (self->validate_), std::move (self->done_));
  });
}

void ResourceFetch::finish (GError *error)
{
  if (finished_) {
    g_clear_error (&error);
    return;
  }
  finished_ = true;
  g_clear_object (&body_);
  /* Closing the writer checkpoints what it holds and unlocks the resource. */
  writer_.reset ();
  /* Always from the main loop, never from inside start() or a callback. */
  auto self = shared_from_this ();
  run_later ([self, error] () {
    self->done_ (error);
    if (error)
      g_error_free (error);
  });
}

}  // namespace gst_offline
