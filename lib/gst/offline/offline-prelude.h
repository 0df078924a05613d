/* gst-offline: download adaptive streams and play them back offline.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#if defined(BUILDING_GST_OFFLINE)
#define GST_OFFLINE_API __attribute__((visibility ("default"))) extern
#else
#define GST_OFFLINE_API extern
#endif
