/* The licenses of downloads in a GstOfflineDrmStore: one entry per download
 * (drm-keys.h), read, written and judged here for every part of the
 * library: the downloaders that acquire keys, the license manager, and
 * playback through gst_offline_drm_store_lookup_key().
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "drm/drm-keys.h"

#include <gst/offline/offline-drm-store.h>

#include <optional>
#include <string>

namespace gst_offline {

/* The license of `download_id`; NOT_FOUND ("download X has no license") if
 * the store holds none, CORRUPT if its entry cannot be read. */
std::optional<LicenseRecord> load_license (GstOfflineDrmStore *store, const std::string &download_id,
    GError **error);

/* Stores `record` as the license of its download, replacing the one it had. */
bool save_license (GstOfflineDrmStore *store, const LicenseRecord &record, GError **error);

/* Forgets the license of `download_id`; one that is not there is not an error. */
bool remove_license (GstOfflineDrmStore *store, const std::string &download_id, GError **error);

/* Adds the key `name` to the license of `download_id` (an unlimited one,
 * acquired now, if it has none). */
bool add_license_key (GstOfflineDrmStore *store, const std::string &download_id, const std::string &name,
    const ContentKey &key, GError **error);

/* The key `name` of the license of `download_id`, to play with now: NOT_FOUND
 * when the license or the key is not there, LICENSE_EXPIRED when the policy
 * forbids playback (the message names the download, the key and when it
 * ended). The first call starts the license's playback window. */
std::optional<ContentKey> playback_key (GstOfflineDrmStore *store, const std::string &download_id,
    const std::string &name, GError **error);

/* A person's name for a key: "KID <hex>" or "AES-128 key". */
std::string key_description (const std::string &name);

/* The default store of a data directory if drm.db exists there (a reader
 * creates nothing); null without error if it does not. */
GstOfflineDrmStore *open_existing_drm_store (const std::string &data_dir, GError **error);

}  // namespace gst_offline
