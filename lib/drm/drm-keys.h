/* How the library keeps a download's license in a GstOfflineDrmStore: one
 * entry per download ("license:<sha256 of the id>") holding its policy, its
 * license server and its keys (Common Encryption keys by KID, HLS AES-128
 * keys by key name). Private to the library: the plugin and applications go
 * through gst_offline_drm_store_lookup_key() and friends.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "drm/license-policy.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gst_offline {

/* The file of the default store in a data directory. */
inline constexpr const char *kDrmDatabaseName = "drm.db";

/* The ClearKey system ids, whose keys gst-offline holds: the W3C common
 * system (the one to prefer) and DASH-IF ClearKey. */
inline constexpr const char *kClearKeySystemIds[] = {
  "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b",
  "e2719d58-a985-b3c9-781a-b030af78d30e",
};

/* A Common Encryption key id (the 16 bytes of a tenc/senc default_KID). */
using KeyId = std::array<guint8, 16>;
/* An AES-128 content key. */
using ContentKey = std::array<guint8, 16>;

/* 32 lower-case hex digits, as the KID is named in messages. */
std::string key_id_to_hex (const KeyId &kid);

/* The name of a Common Encryption key within a license: "kid:<32 hex>". */
std::string kid_key_name (const KeyId &kid);

/* The name of an HLS AES-128 key (EXT-X-KEY METHOD=AES-128) within the
 * license of a download: "hls-key:<64 hex>", the SHA-256 of the download id,
 * a newline and the key URI. The playback plan names it in each segment's
 * key_resource. */
std::string hls_key_name (const std::string &download_id, const std::string &key_uri);

/* One key of a license. Wiped when destroyed. */
struct LicenseKey {
  std::string name;  /* kid_key_name() or hls_key_name() */
  ContentKey key {};

  LicenseKey () = default;
  LicenseKey (std::string n, const ContentKey &k) : name (std::move (n)), key (k) {}
  LicenseKey (const LicenseKey &) = default;
  LicenseKey &operator= (const LicenseKey &) = default;
  ~LicenseKey ();
};

/* The license of one download: what it may play and until when. Two
 * downloads that share a KID each hold their own copy of the key, so that
 * the policy, renewal and release of one never touch the other. */
struct LicenseRecord {
  std::string download_id;
  std::string license_url;           /* empty: keys with no license server (HLS) */
  std::vector<std::string> headers;  /* 'K: V' sent to the license server */
  LicensePolicy policy;
  std::vector<LicenseKey> keys;

  const LicenseKey *find (std::string_view name) const;
  /* Adds or replaces the key named `name`. */
  void put (const std::string &name, const ContentKey &key);
  std::vector<KeyId> kids () const;
};

/* The DRM store name of a download's license: "license:<sha256 of the id>".
 * The download's key_set_id in the index holds it. */
std::string license_store_name (const std::string &download_id);

/* The value stored under license_store_name(): a format version byte (1),
 * then, big-endian, acquired_at_ms, license_duration_s, playback_duration_s,
 * first_played_at_ms (4 x int64), the download id, the license URL (each a
 * u32 length + UTF-8), the header count (u32) and headers, the key count
 * (u32) and each key (name, then 16 bytes). Later versions may append
 * fields: a reader refuses versions newer than it knows. */
std::string encode_license_record (const LicenseRecord &record);

enum class RecordError { None, Truncated, NewerVersion, BadVersion };
std::optional<LicenseRecord> decode_license_record (const guint8 *data, gsize size, RecordError *why);

}  // namespace gst_offline
