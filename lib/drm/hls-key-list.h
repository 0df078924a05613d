/* Which HLS AES-128 keys a download stored, so that removing the download
 * can forget them: a GstOfflineDrmStore cannot list its names, and a key's
 * name is a hash of the download id and the key URI (drm-keys.h).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/offline/offline-drm-store.h>

#include <string>

namespace gst_offline {

/* The store name of a download's list: "hls-key-list:<sha256 of the id>".
 * Its value is the names of the keys, one a line. No keys. */
inline std::string hls_key_list_store_name (const std::string &download_id)
{
  gchar *hex = g_compute_checksum_for_string (G_CHECKSUM_SHA256, download_id.c_str (),
      static_cast<gssize> (download_id.size ()));
  std::string name = std::string ("hls-key-list:") + hex;
  g_free (hex);
  return name;
}

/* Adds key name `name` to the list of `download_id`. Call it before saving
 * the key: a crash in between leaves a listed name with no key, which
 * removal passes over. */
bool hls_key_list_add (GstOfflineDrmStore *store, const std::string &download_id, const std::string &name,
    GError **error);

/* Removes every key the list of `download_id` names, then the list. A
 * download without one is not an error. */
bool hls_key_list_remove_keys (GstOfflineDrmStore *store, const std::string &download_id, GError **error);

}  // namespace gst_offline
