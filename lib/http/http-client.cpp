/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "http/http-client.h"

#include "config.h"

namespace gst_offline {

namespace {
constexpr guint kIoTimeoutSeconds = 30;
constexpr guint kIdleTimeoutSeconds = 60;
constexpr int kMaxConnections = 32;
constexpr int kMaxConnectionsPerHost = 16;
}  // namespace

SoupSession *http_session_new ()
{
  /* libsoup follows redirects itself, and only to http(s) URIs; the fetch
   * checks the final URI again. "timeout" bounds connecting as well as every
   * read and write. */
  return soup_session_new_with_options (
      "timeout", kIoTimeoutSeconds,
      "idle-timeout", kIdleTimeoutSeconds,
      "max-conns", kMaxConnections,
      "max-conns-per-host", kMaxConnectionsPerHost,
      "user-agent", "gst-offline/" PACKAGE_VERSION " ",
      nullptr);
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

}  // namespace gst_offline
