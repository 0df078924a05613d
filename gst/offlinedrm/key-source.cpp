/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "offlinedrm/key-source.h"

#include <gst/gst.h>
#include <openssl/crypto.h>

GST_DEBUG_CATEGORY_EXTERN (gst_offline_drm_debug);
#define GST_CAT_DEFAULT gst_offline_drm_debug

namespace gst_offline {

KeySource::KeySource (GstOfflineDrmStore *store, std::string where)
    : store_ (store ? GST_OFFLINE_DRM_STORE (g_object_ref (store)) : nullptr), where_ (std::move (where))
{
}

/* Writes the instant of the first playback into the key's record, so that
 * the playback window counts from it (for every later playback too). A store
 * that cannot be written leaves the window unstarted: logged, not fatal. */
void KeySource::record_first_playback (const std::string &name, const ContentKeyRecord &record, gint64 now)
{
  ContentKeyRecord played = record;
  played.policy.first_played_at_ms = now;
  std::string value = encode_content_key_record (played);
  OPENSSL_cleanse (played.key.data (), played.key.size ());
  g_autoptr (GBytes) bytes = g_bytes_new (value.data (), value.size ());
  OPENSSL_cleanse (value.data (), value.size ());
  g_autoptr (GError) error = nullptr;
  if (!gst_offline_drm_store_save (store_.get (), name.c_str (), bytes, &error))
    GST_WARNING ("could not record the first playback of a key in %s: %s", where_.c_str (), error->message);
  gsize size = 0;
  gpointer data = const_cast<gpointer> (g_bytes_get_data (bytes, &size));
  if (data)
    OPENSSL_cleanse (data, size);
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

  /* The license policy: an expired license or a used-up playback window
   * refuses the key (it is not kept); the first playback starts the window. */
  gint64 now = license_now_ms ();
  LicenseStatus status = license_status (record->policy, now);
  if (!status.playable ()) {
    OPENSSL_cleanse (record->key.data (), record->key.size ());
    std::string asset = record->asset_id.empty () ? std::string ("for KID ") + hex
                                                  : "of download '" + record->asset_id + "' (KID " + hex + ")";
    std::string when = license_time_text (status.ended_at_ms);
    std::string message = status.window_used_up
        ? "The playback window of the license " + asset + " ended at " + when
        : "The license " + asset + " expired at " + when;
    return KeyRefusal { KeyRefusal::Reason::LicenseRefused, message + ": renew it (gst-offline license renew)",
        "policy: acquired at " + std::to_string (record->policy.acquired_at_ms) + " ms, license duration "
            + std::to_string (record->policy.license_duration_s) + " s, playback duration "
            + std::to_string (record->policy.playback_duration_s) + " s, first played at "
            + std::to_string (record->policy.first_played_at_ms) + " ms, now " + std::to_string (now) + " ms" };
  }
  if (value && data[0] >= 2 && record->policy.first_played_at_ms < 0)
    record_first_playback (name, *record, now);

  ContentKey key = record->key;
  OPENSSL_cleanse (record->key.data (), record->key.size ());
  keys_.emplace (kid, key);
  return key;
}

}  // namespace gst_offline
