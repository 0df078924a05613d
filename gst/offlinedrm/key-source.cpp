/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "offlinedrm/key-source.h"

#include <gst/gst.h>
#include <openssl/crypto.h>

GST_DEBUG_CATEGORY_EXTERN (gst_offline_drm_debug);
#define GST_CAT_DEFAULT gst_offline_drm_debug

namespace gst_offline {

std::string kid_hex (const KeyId &kid)
{
  static const char digits[] = "0123456789abcdef";
  std::string hex;
  for (guint8 byte : kid) {
    hex += digits[byte >> 4];
    hex += digits[byte & 0xf];
  }
  return hex;
}

KeySource::KeySource (GstOfflineDrmStore *store, std::string download_id, std::string where)
    : store_ (store ? GST_OFFLINE_DRM_STORE (g_object_ref (store)) : nullptr),
      download_id_ (std::move (download_id)),
      where_ (std::move (where))
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

  const std::string hex = kid_hex (kid);
  if (!store_) {
    return KeyRefusal { KeyRefusal::Reason::NoKey,
        "No key for KID " + hex + " of download '" + download_id_ + "': there is no " + where_,
        "no drm.db: no license was ever stored there" };
  }

  /* The library judges the license (expiry, playback window) and starts
   * its playback window at the first key. */
  g_autoptr (GError) error = nullptr;
  g_autoptr (GBytes) value = gst_offline_drm_store_lookup_key (store_.get (), download_id_.c_str (), hex.c_str (),
      &error);
  if (!value) {
    std::string message = error ? error->message : "the store failed without saying why";
    if (!message.empty ())
      message[0] = g_ascii_toupper (message[0]);
    if (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_LICENSE_EXPIRED))
      return KeyRefusal { KeyRefusal::Reason::LicenseRefused,
          message + ": renew it (gst-offline license renew " + download_id_ + ")", "in " + where_ };
    if (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND))
      return KeyRefusal { KeyRefusal::Reason::NoKey,
          "No key for KID " + hex + " of download '" + download_id_ + "' in " + where_, message };
    return KeyRefusal { KeyRefusal::Reason::StoreError,
        "Could not read the key for KID " + hex + " of download '" + download_id_ + "' from " + where_, message };
  }
  gsize size = 0;
  auto data = static_cast<const guint8 *> (g_bytes_get_data (value, &size));
  ContentKey key {};
  if (size != key.size ()) {
    return KeyRefusal { KeyRefusal::Reason::StoreError,
        "The key for KID " + hex + " of download '" + download_id_ + "' in " + where_ + " is damaged",
        "a key of " + std::to_string (size) + " bytes" };
  }
  std::copy (data, data + size, key.begin ());
  OPENSSL_cleanse (const_cast<guint8 *> (data), size);
  keys_.emplace (kid, key);
  return key;
}

}  // namespace gst_offline
