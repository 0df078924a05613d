/* How content keys are laid out in a GstOfflineDrmStore: the names and the
 * value format the license manager writes and offlinedrm reads. Header only,
 * shared by the library and the plugin (which links the public API only).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "drm/license-policy.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>

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
 * then the key, then (from version 2) the license policy and the asset the
 * license was acquired for. Later versions may append fields, so a reader
 * accepts any version it knows and refuses newer ones rather than
 * misreading them.
 *
 * Version 2, after the version byte and the 16 key bytes, all big-endian:
 * acquired_at_ms, license_duration_s, playback_duration_s,
 * first_played_at_ms (4 x int64), then the asset id (the download id; u16
 * length + UTF-8, may be empty). A version 1 record has no policy: unlimited. */
struct ContentKeyRecord {
  static constexpr guint8 kVersion = 2;
  static constexpr gsize kSizeV1 = 1 + 16;
  static constexpr gsize kFixedSizeV2 = 1 + 16 + 4 * 8 + 2;

  ContentKey key {};
  LicensePolicy policy {};
  std::string asset_id;
};

inline void append_be64 (std::string &bytes, gint64 value)
{
  guint64 v = static_cast<guint64> (value);
  for (int shift = 56; shift >= 0; shift -= 8)
    bytes += static_cast<char> ((v >> shift) & 0xff);
}

inline gint64 read_be64 (const guint8 *p)
{
  guint64 v = 0;
  for (int i = 0; i < 8; i++)
    v = (v << 8) | p[i];
  return static_cast<gint64> (v);
}

inline std::string encode_content_key_record (const ContentKeyRecord &record)
{
  std::string bytes;
  gsize asset_size = MIN (record.asset_id.size (), static_cast<gsize> (G_MAXUINT16));
  bytes.reserve (ContentKeyRecord::kFixedSizeV2 + asset_size);
  bytes += static_cast<char> (ContentKeyRecord::kVersion);
  bytes.append (reinterpret_cast<const char *> (record.key.data ()), record.key.size ());
  append_be64 (bytes, record.policy.acquired_at_ms);
  append_be64 (bytes, record.policy.license_duration_s);
  append_be64 (bytes, record.policy.playback_duration_s);
  append_be64 (bytes, record.policy.first_played_at_ms);
  bytes += static_cast<char> (asset_size >> 8);
  bytes += static_cast<char> (asset_size & 0xff);
  bytes.append (record.asset_id, 0, asset_size);
  return bytes;
}

/* The store name of an HLS AES-128 key (EXT-X-KEY METHOD=AES-128) of one
 * download: "hls-key:<64 hex>", the SHA-256 of the download id, a newline
 * and the key URI. Per download, so that removing a download can forget its
 * keys without touching another's. The value is a ContentKeyRecord like a
 * content key's. The playback plan names it in each segment's key_resource. */
inline std::string drm_hls_key_store_name (const std::string &download_id, const std::string &key_uri)
{
  std::string input = download_id + "\n" + key_uri;
  gchar *hex = g_compute_checksum_for_string (G_CHECKSUM_SHA256, input.c_str (), static_cast<gssize> (input.size ()));
  std::string name = std::string ("hls-key:") + hex;
  g_free (hex);
  return name;
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
  ContentKeyRecord record;
  if (data[0] == 1) {
    if (size != ContentKeyRecord::kSizeV1) {
      *why = RecordError::Truncated;
      return std::nullopt;
    }
  } else {
    if (size < ContentKeyRecord::kFixedSizeV2) {
      *why = RecordError::Truncated;
      return std::nullopt;
    }
    const guint8 *p = data + 1 + 16;
    record.policy.acquired_at_ms = read_be64 (p);
    record.policy.license_duration_s = read_be64 (p + 8);
    record.policy.playback_duration_s = read_be64 (p + 16);
    record.policy.first_played_at_ms = read_be64 (p + 24);
    gsize asset_size = (static_cast<gsize> (p[32]) << 8) | p[33];
    if (size != ContentKeyRecord::kFixedSizeV2 + asset_size) {
      *why = RecordError::Truncated;
      return std::nullopt;
    }
    record.asset_id.assign (reinterpret_cast<const char *> (p + 34), asset_size);
  }
  for (gsize i = 0; i < record.key.size (); i++)
    record.key[i] = data[1 + i];
  return record;
}

}  // namespace gst_offline
