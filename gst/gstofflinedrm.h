/* offlinedrm: decrypts Common Encryption (cenc, cbcs) with keys from the
 * gst-offline DRM store.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_OFFLINE_DRM (gst_offline_drm_get_type ())
G_DECLARE_FINAL_TYPE (GstOfflineDrm, gst_offline_drm, GST, OFFLINE_DRM, GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE (offlinedrm);

G_END_DECLS
