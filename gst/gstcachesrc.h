/* cachesrc: plays one download back from the gst-offline cache.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_CACHE_SRC (gst_cache_src_get_type ())
G_DECLARE_FINAL_TYPE (GstCacheSrc, gst_cache_src, GST, CACHE_SRC, GstElement)

GST_ELEMENT_REGISTER_DECLARE (cachesrc);

G_END_DECLS
