/* HTTP for downloads: one libsoup session per download manager, used only
 * from the manager's worker context, keeping connections alive between
 * requests.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

#include <string>

namespace gst_offline {

/* A session with connect/read timeouts, a bounded connection pool and
 * redirects allowed only to http(s). Call from the context it will be used in. */
SoupSession *http_session_new ();

/* Whether a request that failed this way is worth trying again. */
bool http_status_is_transient (guint status);

/* "HTTP 404 Not Found" */
std::string http_status_text (SoupMessage *message);

}  // namespace gst_offline
