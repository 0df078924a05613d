/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "http/http-request.h"

#include "util/handles.h"
#include "util/main-context.h"
#include "util/request-error.h"

#include <gst/gst.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <memory>

GST_DEBUG_CATEGORY_STATIC (request_debug);
#define GST_CAT_DEFAULT request_debug

namespace gst_offline {

namespace {

constexpr gsize kReadSize = 64 * 1024;

void wipe (std::string &bytes)
{
  if (!bytes.empty ())
    OPENSSL_cleanse (bytes.data (), bytes.size ());
  bytes.clear ();
}

/* What the server says the whole resource's length is: a 206's
 * Content-Range total, else a 200's Content-Length (encoded bodies aside,
 * whose length is not the resource's); -1 when it does not say. */
gint64 whole_length (SoupMessageHeaders *headers, guint status)
{
  if (status == SOUP_STATUS_PARTIAL_CONTENT) {
    goffset start = 0, end = 0, total = -1;
    if (soup_message_headers_get_content_range (headers, &start, &end, &total) && total >= 0)
      return total;
    return -1;
  }
  if (status != SOUP_STATUS_OK || soup_message_headers_get_encoding (headers) != SOUP_ENCODING_CONTENT_LENGTH)
    return -1;
  const char *coding = soup_message_headers_get_one (headers, "Content-Encoding");
  if (coding && g_ascii_strcasecmp (coding, "identity") != 0)
    return -1;
  return soup_message_headers_get_content_length (headers);
}

/* The time of the Date header (RFC 9110 5.6.7), in µs since the epoch. */
std::optional<gint64> date_of (SoupMessageHeaders *headers)
{
  const char *date = soup_message_headers_get_one (headers, "Date");
  if (!date)
    return std::nullopt;
  g_autoptr (GDateTime) parsed = soup_date_time_new_from_http_string (date);
  if (!parsed)
    return std::nullopt;
  return g_date_time_to_unix (parsed) * G_USEC_PER_SEC;  /* whole seconds */
}

/* One request with its retries; keeps itself alive through its callbacks. */
class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  using DoneFn = std::function<void (HttpResponse *response, const GError *error)>;

  Exchange (HttpRequest request, GCancellable *cancellable, DoneFn done)
      : request_ (std::move (request)), done_ (std::move (done))
  {
    if (request_.body)
      g_bytes_ref (request_.body);
    cancellable_ = cancellable ? G_CANCELLABLE (g_object_ref (cancellable)) : g_cancellable_new ();
    response_.secret = request_.secret;
  }

  ~Exchange ()
  {
    g_clear_object (&body_);
    g_clear_object (&message_);
    g_clear_object (&cancellable_);
    g_clear_pointer (&request_.body, g_bytes_unref);
  }

  void send ()
  {
    g_clear_object (&message_);
    g_clear_object (&body_);
    if (request_.secret)
      wipe (response_.body);
    response_.body.clear ();
    GError *error = nullptr;
    message_ = http_message_new (request_.method.c_str (), request_.url, request_.headers, &error);
    if (!message_) {
      if (!request_.what.empty ())
        g_prefix_error (&error, "%s: ", request_.what.c_str ());
      finish (error, false);
      return;
    }
    if (request_.body)
      soup_message_set_request_body_from_bytes (message_, request_.body_type.c_str (), request_.body);
    GST_DEBUG ("%s %s (attempt %u)", request_.method.c_str (), request_.url.c_str (), attempts_ + 1);
    soup_session_send_async (http_shared_session (), message_, G_PRIORITY_DEFAULT, cancellable_,
        [] (GObject *, GAsyncResult *result, gpointer data) {
          std::unique_ptr<std::shared_ptr<Exchange>> self (static_cast<std::shared_ptr<Exchange> *> (data));
          (*self)->on_sent (result);
        },
        new std::shared_ptr<Exchange> (shared_from_this ()));
  }

 private:
  void on_sent (GAsyncResult *result)
  {
    GError *error = nullptr;
    body_ = soup_session_send_finish (http_shared_session (), result, &error);
    bool transient = false;
    if (!body_) {
      GError *wrapped = http_transport_error (request_.url, request_.what, error, &transient);
      finish (wrapped, transient);
      return;
    }
    guint status = soup_message_get_status (message_);
    if (!http_check_final_uri (message_, request_.url, &error)) {
      finish (error, false);
      return;
    }
    if (status < 200 || status >= 300) {
      finish (http_status_error (message_, request_.url, request_.what, &transient), transient);
      return;
    }
    response_.status = status;
    const char *type = soup_message_headers_get_content_type (soup_message_get_response_headers (message_), nullptr);
    response_.content_type = type ? type : "";
    response_.content_length = whole_length (soup_message_get_response_headers (message_), status);
    response_.date_us = date_of (soup_message_get_response_headers (message_));
    read_next ();
  }

  void read_next ()
  {
    g_input_stream_read_bytes_async (body_, kReadSize, G_PRIORITY_DEFAULT, cancellable_,
        [] (GObject *, GAsyncResult *result, gpointer data) {
          std::unique_ptr<std::shared_ptr<Exchange>> self (static_cast<std::shared_ptr<Exchange> *> (data));
          (*self)->on_read (result);
        },
        new std::shared_ptr<Exchange> (shared_from_this ()));
  }

  void on_read (GAsyncResult *result)
  {
    GError *error = nullptr;
    g_autoptr (GBytes) bytes = g_input_stream_read_bytes_finish (body_, result, &error);
    if (!bytes) {
      bool transient = false;
      finish (http_transport_error (request_.url, request_.what, error, &transient), transient);
      return;
    }
    gsize size = 0;
    auto data = static_cast<const char *> (g_bytes_get_data (bytes, &size));
    if (size == 0) {
      succeed ();
      return;
    }
    if (response_.body.size () + size > request_.max_size) {
      finish (request_error_new (GST_OFFLINE_ERROR_UNSUPPORTED, request_.url, response_.status,
          "%s%s is larger than %" G_GSIZE_FORMAT " bytes", request_.what.empty () ? "" : (request_.what + ": ").c_str (),
          request_.url.c_str (), request_.max_size), false);
      if (request_.secret)
        OPENSSL_cleanse (const_cast<char *> (data), size);
      return;
    }
    response_.body.append (data, size);
    if (request_.secret)
      OPENSSL_cleanse (const_cast<char *> (data), size);
    if (request_.enough && request_.enough (response_.body, response_.content_type)) {
      response_.complete = false;
      succeed ();
      return;
    }
    read_next ();
  }

  void succeed ()
  {
    g_clear_object (&body_);
    auto self = shared_from_this ();
    done_ (&response_, nullptr);
  }

  void finish (GError *error, bool transient)
  {
    bool cancelled = g_cancellable_is_cancelled (cancellable_);
    if (!cancelled && transient && attempts_ < request_.retry.max_retries) {
      attempts_++;
      GST_INFO ("%s (retry %u of %u)", error->message, attempts_, request_.retry.max_retries);
      g_error_free (error);
      auto self = shared_from_this ();
      run_after (request_.retry.delay_ms (attempts_), cancellable_, [self] (bool cancelled_meanwhile) {
        if (cancelled_meanwhile)
          self->finish (g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled"), false);
        else
          self->send ();
      });
      return;
    }
    if (cancelled && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      g_error_free (error);
      error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
    }
    if (request_.secret)
      wipe (response_.body);
    auto self = shared_from_this ();
    done_ (nullptr, error);
    g_error_free (error);
  }

  HttpRequest request_;
  DoneFn done_;
  GCancellable *cancellable_ = nullptr;
  SoupMessage *message_ = nullptr;
  GInputStream *body_ = nullptr;
  HttpResponse response_;
  guint attempts_ = 0;
};

void ensure_debug ()
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (request_debug, "offlinerequest", 0, "gst-offline HTTP requests into memory");
    g_once_init_leave (&once, 1);
  }
}

}  // namespace

HttpResponse::~HttpResponse ()
{
  if (secret)
    wipe (body);
}

void http_request_async (HttpRequest request, GCancellable *cancellable,
    std::function<void (HttpResponse *response, const GError *error)> done)
{
  ensure_debug ();
  auto exchange = std::make_shared<Exchange> (std::move (request), cancellable, std::move (done));
  exchange->send ();
}

/* The blocking forms: `start` begins asynchronous work on a main context
 * of this call's own (the thread default meanwhile) and sets *done in the
 * work's last callback; the context runs until then, and then until the
 * work's last callbacks have unwound on it. */
static void run_to_completion (const std::function<void (bool *done)> &start)
{
  GMainContextPtr context (g_main_context_new ());
  g_main_context_push_thread_default (context.get ());
  bool done = false;
  start (&done);
  while (!done)
    g_main_context_iteration (context.get (), TRUE);
  while (g_main_context_iteration (context.get (), FALSE))
    ;
  g_main_context_pop_thread_default (context.get ());
}

std::optional<HttpResponse> http_request (HttpRequest request, GCancellable *cancellable, GError **error)
{
  ensure_debug ();
  std::optional<HttpResponse> result;
  run_to_completion ([&] (bool *done) {
    http_request_async (std::move (request), cancellable, [&, done] (HttpResponse *response, const GError *request_error) {
      *done = true;
      if (response)
        result = std::move (*response);
      else
        g_propagate_error (error, g_error_copy (request_error));
    });
  });
  return result;
}

void head_lengths_async (const std::vector<std::string> &urls, const std::vector<std::string> &headers,
    GCancellable *cancellable, LengthsFn done)
{
  ensure_debug ();
  struct Round {
    std::vector<std::string> urls;
    std::vector<gint64> lengths;
    size_t pending = 0;
    GError *cancelled = nullptr;
    LengthsFn done;
    ~Round () { g_clear_error (&cancelled); }
  };
  auto round = std::make_shared<Round> ();
  round->urls = urls;
  round->lengths.assign (urls.size (), -1);
  round->done = std::move (done);
  std::vector<std::string> distinct;
  for (const std::string &url : urls) {
    if (std::find (distinct.begin (), distinct.end (), url) == distinct.end ())
      distinct.push_back (url);
  }
  /* All counted first: an answer may come before the next request is sent. */
  round->pending = distinct.size ();
  if (distinct.empty ()) {
    run_later ([round] () { round->done (std::move (round->lengths), nullptr); });
    return;
  }
  for (const std::string &url : distinct) {
    HttpRequest request;
    request.method = "HEAD";
    request.url = url;
    request.headers = headers;
    http_request_async (std::move (request), cancellable, [round, url] (HttpResponse *response, const GError *error) {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        if (!round->cancelled)
          round->cancelled = g_error_copy (error);
      } else if (error) {
        GST_INFO ("no length of %s: %s", url.c_str (), error->message);
      }
      for (size_t i = 0; i < round->urls.size (); i++) {
        if (round->urls[i] == url)
          round->lengths[i] = response ? response->content_length : -1;
      }
      if (--round->pending == 0)
        round->done (std::move (round->lengths), round->cancelled);
    });
  }
}

bool head_lengths (const std::vector<std::string> &urls, const std::vector<std::string> &headers,
    GCancellable *cancellable, std::vector<gint64> *lengths, GError **error)
{
  bool ok = true;
  run_to_completion ([&] (bool *done) {
    head_lengths_async (urls, headers, cancellable, [&, done] (std::vector<gint64> answered, const GError *cancelled) {
      *done = true;
      *lengths = std::move (answered);
      if (cancelled) {
        ok = false;
        g_propagate_error (error, g_error_copy (cancelled));
      }
    });
  });
  return ok;
}

}  // namespace gst_offline
