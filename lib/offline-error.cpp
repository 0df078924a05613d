/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/offline/offline-error.h>

/**
 * gst_offline_error_quark:
 *
 * Returns: the #GQuark of the %GST_OFFLINE_ERROR domain.
 */
G_DEFINE_QUARK (gst-offline-error-quark, gst_offline_error)
