/* Errors that carry data: about a request, its URL and HTTP status; about
 * space, which shortage (the GST_OFFLINE_ERROR domain is defined in
 * lib/offline-error.cpp).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/offline/offline-error.h>

#include <string>

namespace gst_offline {

/* A GST_OFFLINE_ERROR with `code` whose data are `url` and `http_status` (0:
 * no answer). */
GError *request_error_new (GstOfflineError code, const std::string &url, guint http_status, const char *format, ...)
    G_GNUC_PRINTF (4, 5);

/* Says which shortage a GST_OFFLINE_ERROR_NO_SPACE `error` is (other errors
 * are left as they are): set where the error is made. */
void set_no_space_reason (GError *error, GstOfflineNoSpaceReason reason);

}  // namespace gst_offline
