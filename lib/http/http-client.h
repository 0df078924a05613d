/* HTTP for the whole library: one libsoup session per process, shared by
 * every request (libsoup >= 3.2 sends from any thread; each request runs on
 * its caller's thread-default main context), keeping connections alive
 * between requests; and what every request does alike: its headers, which
 * failures are worth another try, and errors that carry the URL and HTTP
 * status as data (util/request-error.h).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/offline/offline-error.h>
#include <libsoup/soup.h>

#include <string>
#include <vector>

namespace gst_offline {

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

/* The session (transfer none): connect/read timeouts, a bounded connection
 * pool, redirects allowed only to http(s). Made at first use, never freed. */
SoupSession *http_shared_session ();

/* A request for an http(s) `url` with `headers` ("Name: value"; malformed
 * ones are left out). INVALID_ARGUMENT, with the URL, for another URL. */
SoupMessage *http_message_new (const char *method, const std::string &url, const std::vector<std::string> &headers,
    GError **error);

/* Whether a request that failed this way is worth trying again. */
bool http_status_is_transient (guint status);

/* "HTTP 404 Not Found" */
std::string http_status_text (SoupMessage *message);

/* The error of a request that got no answer (takes `error`): NETWORK for a
 * connection that failed (worth another try), HTTP for what asking again
 * cannot mend (a redirect refused, an answer that is not HTTP);
 * cancellation stays G_IO_ERROR_CANCELLED. `what` begins the message
 * ("cannot fetch the AES-128 key"), or is empty. */
GError *http_transport_error (const std::string &url, const std::string &what, GError *error, bool *transient);

/* The error of an answer that is not a success: HTTP with its status. */
GError *http_status_error (SoupMessage *message, const std::string &url, const std::string &what, bool *transient);

/* Whether the answer came from an http(s) URL after its redirects; HTTP
 * with the URL otherwise. */
bool http_check_final_uri (SoupMessage *message, const std::string &url, GError **error);

}  // namespace gst_offline
