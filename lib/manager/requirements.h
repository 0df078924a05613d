/* Requirements downloads wait for (network, unmetered network, free
 * storage) and the free-space check made before bytes are fetched.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/offline/offline-types.h>

#include <string>

namespace gst_offline {

/* What `requirements` lacks right now for a download of `uri` (empty: for
 * any download). Loopback hosts need no network. */
GstOfflineRequirements requirements_not_met (GstOfflineRequirements requirements, const std::string &data_dir,
    guint64 min_free_space, const std::string &uri);

/* Whether `uri` names a loopback host (which needs no network). */
bool uri_is_loopback (const std::string &uri);

/* NO_SPACE (reason REFUSED), naming the sizes, unless `bytes` more fit in the data
 * directory's file system while keeping `min_free_space` free. */
bool check_free_space (const std::string &data_dir, guint64 bytes, guint64 min_free_space, GError **error);

}  // namespace gst_offline
