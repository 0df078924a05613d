/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "http/http-client.h"

#include "config.h"
#include "util/header-line.h"
#include "util/request-error.h"

namespace gst_offline {

namespace {
constexpr guint kIoTimeoutSeconds = 30;
constexpr guint kIdleTimeoutSeconds = 60;
constexpr int kMaxConnections = 64;
constexpr int kMaxConnectionsPerHost = 16;

bool is_http_uri (GUri *uri)
{
  const char *scheme = uri ? g_uri_get_scheme (uri) : nullptr;
  return scheme && (g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0);
}

std::string lead (const std::string &what)
{
  return what.empty () ? std::string () : what + ": ";
}
}  // namespace

SoupSession *http_shared_session ()
{
  static SoupSession *session = nullptr;
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    /* libsoup follows redirects itself, and only to http(s) URIs; the
     * requests check the final URI again. "timeout" bounds connecting as
     * well as every read and write. */
    session = soup_session_new_with_options (
        "timeout", kIoTimeoutSeconds,
        "idle-timeout", kIdleTimeoutSeconds,
        "max-conns", kMaxConnections,
        "max-conns-per-host", kMaxConnectionsPerHost,
        "user-agent", "gst-offline/" PACKAGE_VERSION " ",
        nullptr);
    g_once_init_leave (&once, 1);
  }
  return session;
}

SoupMessage *http_message_new (const char *method, const std::string &url, const std::vector<std::string> &headers,
    GError **error)
{
  g_autoptr (GUri) uri = g_uri_parse (url.c_str (), static_cast<GUriFlags> (SOUP_HTTP_URI_FLAGS), nullptr);
  if (!is_http_uri (uri)) {
    g_propagate_error (error, request_error_new (GST_OFFLINE_ERROR_INVALID_ARGUMENT, url, 0,
        "'%s' is not an http(s) URI", url.c_str ()));
    return nullptr;
  }
  SoupMessage *message = soup_message_new_from_uri (method, uri);
  SoupMessageHeaders *request_headers = soup_message_get_request_headers (message);
  for (const auto &line : headers) {
    if (auto header = parse_header (line))
      soup_message_headers_replace (request_headers, header->first.c_str (), header->second.c_str ());
  }
  return message;
}

bool http_status_is_transient (guint status)
{
  return status >= 500 || status == SOUP_STATUS_REQUEST_TIMEOUT || status == 429 /* Too Many Requests */;
}

std::string http_status_text (SoupMessage *message)
{
  guint status = soup_message_get_status (message);
  const char *reason = soup_message_get_reason_phrase (message);
  if (!reason || !*reason)
    reason = soup_status_get_phrase (status);
  return "HTTP " + std::to_string (status) + (reason && *reason ? std::string (" ") + reason : std::string ());
}

GError *http_transport_error (const std::string &url, const std::string &what, GError *error, bool *transient)
{
  *transient = true;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return error;
  GError *wrapped;
  if (error->domain == SOUP_SESSION_ERROR) {
    /* A redirect to a non-http(s) URI, a redirect loop, an answer that is
     * not HTTP: asking again gives the same. */
    *transient = false;
    bool redirect = error->code == SOUP_SESSION_ERROR_REDIRECT_BAD_URI
        || error->code == SOUP_SESSION_ERROR_TOO_MANY_REDIRECTS;
    wrapped = request_error_new (GST_OFFLINE_ERROR_HTTP, url, 0, "%s%s: %s%s", lead (what).c_str (), url.c_str (),
        redirect ? "redirect refused: " : "", error->message);
  } else {
    wrapped = request_error_new (GST_OFFLINE_ERROR_NETWORK, url, 0, "%s%s: %s", lead (what).c_str (), url.c_str (),
        error->message);
  }
  g_error_free (error);
  return wrapped;
}

GError *http_status_error (SoupMessage *message, const std::string &url, const std::string &what, bool *transient)
{
  guint status = soup_message_get_status (message);
  *transient = http_status_is_transient (status);
  return request_error_new (GST_OFFLINE_ERROR_HTTP, url, status, "%s%s for %s", lead (what).c_str (),
      http_status_text (message).c_str (), url.c_str ());
}

bool http_check_final_uri (SoupMessage *message, const std::string &url, GError **error)
{
  GUri *final_uri = soup_message_get_uri (message);
  if (is_http_uri (final_uri))
    return true;
  g_autofree gchar *text = g_uri_to_string (final_uri);
  g_propagate_error (error, request_error_new (GST_OFFLINE_ERROR_HTTP, url, soup_message_get_status (message),
      "%s redirected to %s, which is not http(s)", url.c_str (), text));
  return false;
}

}  // namespace gst_offline
