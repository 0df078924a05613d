/* One HTTP request into memory — a license POST, an HLS key, a manifest a
 * helper reads, a manifest a license is acquired from — on the one shared
 * session: the request's headers, retries with backoff for what may pass
 * (5xx, 408, 429, a dropped connection), redirects to http(s) only, a cap on
 * the size of the answer. Fetches into the cache use ResourceFetch, which
 * builds its requests and reads its failures the same way (http-client.h).
 * Every failure is a GST_OFFLINE_ERROR carrying the URL and the HTTP status
 * as data (gst_offline_error_get_url(), gst_offline_error_get_http_status()).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "http/http-client.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gst_offline {

/* Manifests and playlists fetched already, by URL: what a helper read,
 * which the download that follows starts from. */
using FetchedDocuments = std::map<std::string, std::string>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  /* "Name: value" */
  GBytes *body = nullptr;            /* borrowed: POST bodies */
  std::string body_type;
  RetryPolicy retry { 0 };           /* no retry unless asked */
  /* An answer longer than this is an error (UNSUPPORTED); */
  gsize max_size = 16 * 1024 * 1024;
  /* Says, as bytes arrive, that what is held is enough: the rest is not
   * read (HttpResponse::complete is then false). */
  std::function<bool (const std::string &held, const std::string &content_type)> enough;
  /* The answer is a secret (a key, a license): every copy is wiped. */
  bool secret = false;
  /* What the request is for, to begin its errors with: "the AES-128 key". */
  std::string what = "";
};

struct HttpResponse {
  guint status = 0;
  std::string content_type;
  std::string body;
  bool complete = true;
  /* The length of the whole resource, as the server says it: a 200's
   * Content-Length, a 206's Content-Range total; -1 when it does not. */
  gint64 content_length = -1;
  /* The server's Date header, in microseconds since the epoch (a DASH
   * UTCTiming http-head clock), if it sent a valid one. */
  std::optional<gint64> date_us;

  HttpResponse () = default;
  HttpResponse (HttpResponse &&) = default;
  HttpResponse &operator= (HttpResponse &&) = default;
  ~HttpResponse ();
  bool secret = false;
};

/* Sends the request from the thread-default main context and calls `done`
 * there once, with the answer (a 2xx) or the error. */
void http_request_async (HttpRequest request, GCancellable *cancellable,
    std::function<void (HttpResponse *response, const GError *error)> done);

/* The same, blocking: runs the request on a main context of its own. */
std::optional<HttpResponse> http_request (HttpRequest request, GCancellable *cancellable, GError **error);

/* A length per URL of `urls`, in order, as their servers tell HEAD
 * requests (with `headers`): all sent at once, each URL once — a few
 * segments sampled for a rate before anything is fetched (the helper's
 * estimate and the HLS download's use the same sample). A server that does
 * not answer HEAD or says no length leaves -1, no more. `done` is called
 * once, from the thread-default main context; `cancelled` is set (and the
 * lengths partial) only when `cancellable` was cancelled. */
using LengthsFn = std::function<void (std::vector<gint64> lengths, const GError *cancelled)>;
void head_lengths_async (const std::vector<std::string> &urls, const std::vector<std::string> &headers,
    GCancellable *cancellable, LengthsFn done);

/* The same, blocking: false only when cancelled. */
bool head_lengths (const std::vector<std::string> &urls, const std::vector<std::string> &headers,
    GCancellable *cancellable, std::vector<gint64> *lengths, GError **error);

}  // namespace gst_offline
