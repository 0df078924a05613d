/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/offline/offline-error.h>

#include "util/request-error.h"

/* What an error of the domain carries besides its code and message
 * (GLib's extended error domains: copied and freed with the error). */
struct ErrorData {
  gchar *url;
  guint http_status;
  GstOfflineNoSpaceReason no_space;
};

/* Where GLib keeps the data of an extended error domain: just before the
 * GError, aligned (as G_DEFINE_EXTENDED_ERROR computes it; the macro names
 * the domain after its type, and this one keeps its name). */
static ErrorData *error_data_of (const GError *error)
{
  const gsize alignment = 2 * sizeof (gsize);
  const gsize offset = (sizeof (ErrorData) + (alignment - 1)) & -alignment;
  return reinterpret_cast<ErrorData *> (const_cast<guint8 *> (reinterpret_cast<const guint8 *> (error)) - offset);
}

static void error_data_init (GError *error)
{
  auto data = error_data_of (error);
  data->url = nullptr;
  data->http_status = 0;
  data->no_space = GST_OFFLINE_NO_SPACE_REASON_NONE;
}

static void error_data_copy (const GError *source, GError *copy)
{
  auto from = error_data_of (source);
  auto to = error_data_of (copy);
  to->url = g_strdup (from->url);
  to->http_status = from->http_status;
  to->no_space = from->no_space;
}

static void error_data_clear (GError *error)
{
  auto data = error_data_of (error);
  g_clear_pointer (&data->url, g_free);
}

/**
 * gst_offline_error_quark:
 *
 * Returns: the #GQuark of the %GST_OFFLINE_ERROR domain.
 */
GQuark gst_offline_error_quark (void)
{
  static GQuark quark = 0;
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    quark = g_error_domain_register_static ("gst-offline-error-quark", sizeof (ErrorData), error_data_init,
        error_data_copy, error_data_clear);
    g_once_init_leave (&once, 1);
  }
  return quark;
}

static const ErrorData *error_data (const GError *error)
{
  if (!error || error->domain != GST_OFFLINE_ERROR)
    return nullptr;
  return error_data_of (error);
}

/**
 * gst_offline_error_get_url:
 * @error: a #GError
 *
 * The URL a request failed for, as data: a %GST_OFFLINE_ERROR made by the
 * library about a request carries it (a #GError made anew from a domain,
 * a code and a message, as language bindings may, does not).
 *
 * Returns: (nullable): the URL, or %NULL if the error names none.
 */
const gchar *gst_offline_error_get_url (const GError *error)
{
  const ErrorData *data = error_data (error);
  return data ? data->url : nullptr;
}

/**
 * gst_offline_error_get_http_status:
 * @error: a #GError
 *
 * The HTTP status the server answered with, as data.
 *
 * Returns: the status (404, 503, ...), or 0 if no answer came (a
 *   connection that failed) or the error is about no request.
 */
guint gst_offline_error_get_http_status (const GError *error)
{
  const ErrorData *data = error_data (error);
  return data ? data->http_status : 0;
}

/**
 * gst_offline_error_get_no_space_reason:
 * @error: a #GError
 *
 * Which shortage a %GST_OFFLINE_ERROR_NO_SPACE error reports: a download
 * refused before writing because it cannot fit, or a write that failed
 * because the disk filled up.
 *
 * Returns: the reason, or %GST_OFFLINE_NO_SPACE_REASON_NONE if @error is
 *   not such an error of the library.
 */
GstOfflineNoSpaceReason gst_offline_error_get_no_space_reason (const GError *error)
{
  if (!g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NO_SPACE))
    return GST_OFFLINE_NO_SPACE_REASON_NONE;
  return error_data_of (error)->no_space;
}

namespace gst_offline {

GError *request_error_new (GstOfflineError code, const std::string &url, guint http_status, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  GError *error = g_error_new_valist (GST_OFFLINE_ERROR, code, format, args);
  va_end (args);
  auto data = error_data_of (error);
  data->url = g_strdup (url.c_str ());
  data->http_status = http_status;
  return error;
}

void set_no_space_reason (GError *error, GstOfflineNoSpaceReason reason)
{
  if (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NO_SPACE))
    error_data_of (error)->no_space = reason;
}

}  // namespace gst_offline
