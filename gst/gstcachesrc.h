/* cachesrc: plays one download back from the gst-offline cache.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>
#include <gst/offline/offline.h>

G_BEGIN_DECLS

#define GST_TYPE_CACHE_SRC (gst_cache_src_get_type ())
G_DECLARE_FINAL_TYPE (GstCacheSrc, gst_cache_src, GST, CACHE_SRC, GstElement)

GST_ELEMENT_REGISTER_DECLARE (cachesrc);

/* The DRM store the element plays with (transfer full): the one of a
 * gst-offline.drm-store context set on it, else drm.db of its data
 * directory; NULL with `error` if that cannot be opened. */
GstOfflineDrmStore *gst_cache_src_get_drm_store (GstCacheSrc *self, GError **error);

G_END_DECLS
