/* How content keys are laid out in a GstOfflineDrmStore: the names and the
 * value format the license manager writes and offlinedrm reads. Header only,
 * shared by the library and the plugin (which links the public API only).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace gst_offline {

/* The file of the default store in a data directory. */
inline constexpr const char *kDrmDatabaseName = "drm.db";

/* A Common Encryption key id (the 16 bytes of a tenc/senc default_KID). */
using KeyId = std::array<guint8, 16>;
/* An AES-128 content key. */
using ContentKey = std::array<guint8, 16>;

/* 32 lower-case hex digits, as the KID is named in messages. */
inline std::string key_id_to_hex (const KeyId &kid)
{
  static const char digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve (32);
  for (guint8 byte : kid) {
    hex += digits[byte >> 4];
    hex += digits[byte & 0xf];
  }
  return hex;
}

/* The store name of the content key of `kid`: "kid:<32 hex>". */
inline std::string drm_key_store_key_name (const KeyId &kid)
{
  return "kid:" + key_id_to_hex (kid);
}

/* The value stored under drm_key_store_key_name(): a format version byte,
 * then the key. Later versions may append fields (a license policy), so a
 * reader accepts any version it knows and refuses newer ones rather than
 * misreading them. */
struct ContentKeyRecord {
  static constexpr guint8 kVersion = 1;
  static constexpr gsize kSizeV1 = 1 + 16;

  ContentKey key {};
};

inline std::string encode_content_key_record (const ContentKeyRecord &record)
{
  std::string bytes;
  bytes.reserve (ContentKeyRecord::kSizeV1);
  bytes += static_cast<char> (ContentKeyRecord::kVersion);
  bytes.append (reinterpret_cast<const char *> (record.key.data ()), record.key.size ());
  return bytes;
}

enum class RecordError { None, Truncated, NewerVersion, BadVersion };

/* Reads a record; on failure says why in `why`. */
inline std::optional<ContentKeyRecord> decode_content_key_record (const guint8 *data, gsize size, RecordError *why)
{
  *why = RecordError::None;
  if (size < 1) {
    *why = RecordError::Truncated;
    return std::nullopt;
  }
  if (data[0] == 0) {
    *why = RecordError::BadVersion;
    return std::nullopt;
  }
  if (data[0] > ContentKeyRecord::kVersion) {
    *why = RecordError::NewerVersion;
    return std::nullopt;
  }
  if (size != ContentKeyRecord::kSizeV1) {
    *why = RecordError::Truncated;
    return std::nullopt;
  }
  ContentKeyRecord record;
  for (gsize i = 0; i < record.key.size (); i++)
    record.key[i] = data[1 + i];
  return record;
}

}  // namespace gst_offline
