/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "offlinedrm/key-source.h"

#include <openssl/crypto.h>

namespace gst_offline {

KeySource::KeySource (GstOfflineDrmStore *store, std::string where)
    : store_ (store ? GST_OFFLINE_DRM_STORE (g_object_ref (store)) : nullptr), where_ (std::move (where))
{
}

KeySource::~KeySource ()
{
  for (auto &entry : keys_)
    OPENSSL_cleanse (entry.second.data (), entry.second.size ());
}

std::variant<ContentKey, KeyRefusal> KeySource::lookup (const KeyId &kid)
{
  auto known = keys_.find (kid);
  if (known != keys_.end ())
    return known->second;

  const std::string hex = key_id_to_hex (kid);
  if (!store_) {
    return KeyRefusal { KeyRefusal::Reason::NoKey, "No key for KID " + hex + ": there is no " + where_,
        "no drm.db: no license was ever stored there" };
  }

  g_autoptr (GError) error = nullptr;
  std::string name = drm_key_store_key_name (kid);
  g_autoptr (GBytes) value = gst_offline_drm_store_load (store_.get (), name.c_str (), &error);
  if (!value) {
    if (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND))
      return KeyRefusal { KeyRefusal::Reason::NoKey, "No key for KID " + hex + " in " + where_,
          error->message };
    return KeyRefusal { KeyRefusal::Reason::StoreError, "Could not read the key for KID " + hex + " from " + where_,
        error ? error->message : "the store failed without saying why" };
  }

  gsize size = 0;
  auto *data = static_cast<const guint8 *> (g_bytes_get_data (value, &size));
  RecordError record_error;
  auto record = decode_content_key_record (data, size, &record_error);
  if (!record) {
    const char *problem = record_error == RecordError::NewerVersion
        ? "was written by a newer gst-offline" : "is damaged";
    return KeyRefusal { KeyRefusal::Reason::StoreError,
        "The key for KID " + hex + " in " + where_ + " " + problem,
        "record of " + std::to_string (size) + " bytes, format version "
            + (size > 0 ? std::to_string (data[0]) : std::string ("none")) };
  }

  /* The license policy of the key (expiry, playback window) is checked here,
   * once the license manager stores one beside it: a refusal returns
   * KeyRefusal::Reason::LicenseRefused with the time it expired, and the key
   * is not kept. */

  ContentKey key = record->key;
  OPENSSL_cleanse (record->key.data (), record->key.size ());
  keys_.emplace (kid, key);
  return key;
}

}  // namespace gst_offline
