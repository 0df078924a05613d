/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "drm/hls-key-list.h"

#include <gst/offline/offline-error.h>

#include <sstream>
#include <vector>

namespace gst_offline {

namespace {

constexpr std::string_view kKeyPrefix = "hls-key:";

/* The names listed for `download_id`; an empty list when there is none. */
bool load_names (GstOfflineDrmStore *store, const std::string &download_id, std::vector<std::string> *names,
    GError **error)
{
  std::string list_name = hls_key_list_store_name (download_id);
  g_autoptr (GError) load_error = nullptr;
  g_autoptr (GBytes) value = gst_offline_drm_store_load (store, list_name.c_str (), &load_error);
  if (!value) {
    if (g_error_matches (load_error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND))
      return true;
    g_propagate_error (error, g_steal_pointer (&load_error));
    return false;
  }
  gsize size = 0;
  auto data = static_cast<const char *> (g_bytes_get_data (value, &size));
  std::istringstream lines (std::string (data, size));
  std::string line;
  /* Only names of HLS keys: a damaged list must not remove anything else. */
  while (std::getline (lines, line)) {
    if (line.compare (0, kKeyPrefix.size (), kKeyPrefix) == 0)
      names->push_back (line);
  }
  return true;
}

}  // namespace

bool hls_key_list_add (GstOfflineDrmStore *store, const std::string &download_id, const std::string &name,
    GError **error)
{
  std::vector<std::string> names;
  if (!load_names (store, download_id, &names, error))
    return false;
  for (const auto &listed : names) {
    if (listed == name)
      return true;
  }
  std::string value;
  for (const auto &listed : names)
    value += listed + "\n";
  value += name + "\n";
  g_autoptr (GBytes) bytes = g_bytes_new (value.data (), value.size ());
  return gst_offline_drm_store_save (store, hls_key_list_store_name (download_id).c_str (), bytes, error);
}

bool hls_key_list_remove_keys (GstOfflineDrmStore *store, const std::string &download_id, GError **error)
{
  std::vector<std::string> names;
  if (!load_names (store, download_id, &names, error))
    return false;
  for (const auto &name : names) {
    if (!gst_offline_drm_store_remove (store, name.c_str (), error))
      return false;
  }
  return gst_offline_drm_store_remove (store, hls_key_list_store_name (download_id).c_str (), error);
}

}  // namespace gst_offline
