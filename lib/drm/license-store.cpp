/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "util/json-limits.h"
#include "drm/license-store.h"

#include "util/hash.h"

#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <openssl/crypto.h>

#include <algorithm>

GST_DEBUG_CATEGORY_STATIC (license_store_debug);
#define GST_CAT_DEFAULT license_store_debug

namespace gst_offline {

namespace {

constexpr guint8 kLicenseRecordVersion = 1;
/* Far more than any license holds; bounds what a damaged entry may claim. */
constexpr guint32 kMaxListLength = 1u << 16;

void ensure_debug ()
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (license_store_debug, "offlinelicensestore", 0, "gst-offline licenses in the DRM store");
    g_once_init_leave (&once, 1);
  }
}

void append_be (std::string &bytes, guint64 value, int size)
{
  for (int shift = (size - 1) * 8; shift >= 0; shift -= 8)
    bytes += static_cast<char> ((value >> shift) & 0xff);
}

void append_text (std::string &bytes, const std::string &text)
{
  append_be (bytes, text.size (), 4);
  bytes += text;
}

/* Reads what encode_license_record() wrote, never past `end`. */
class RecordReader {
 public:
  RecordReader (const guint8 *data, gsize size) : p_ (data), end_ (data + size) {}

  bool be (int size, guint64 *value)
  {
    if (static_cast<gsize> (end_ - p_) < static_cast<gsize> (size))
      return false;
    *value = 0;
    for (int i = 0; i < size; i++)
      *value = (*value << 8) | *p_++;
    return true;
  }
  bool int64 (gint64 *value)
  {
    guint64 v;
    if (!be (8, &v))
      return false;
    *value = static_cast<gint64> (v);
    return true;
  }
  bool text (std::string *text)
  {
    guint64 size;
    if (!be (4, &size) || size > static_cast<guint64> (end_ - p_))
      return false;
    text->assign (reinterpret_cast<const char *> (p_), size);
    p_ += size;
    return true;
  }
  bool bytes (guint8 *out, gsize size)
  {
    if (static_cast<gsize> (end_ - p_) < size)
      return false;
    std::copy (p_, p_ + size, out);
    p_ += size;
    return true;
  }

 private:
  const guint8 *p_;
  const guint8 *end_;
};

}  // namespace

std::string key_id_to_hex (const KeyId &kid)
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

std::string kid_key_name (const KeyId &kid)
{
  return "kid:" + key_id_to_hex (kid);
}

std::string hls_key_name (const std::string &download_id, const std::string &key_uri)
{
  return "hls-key:" + sha256_hex (download_id + "\n" + key_uri);
}

LicenseKey::~LicenseKey ()
{
  OPENSSL_cleanse (key.data (), key.size ());
}

const LicenseKey *LicenseRecord::find (std::string_view name) const
{
  auto found = std::find_if (keys.begin (), keys.end (), [&] (const LicenseKey &k) { return k.name == name; });
  return found == keys.end () ? nullptr : &*found;
}

void LicenseRecord::put (const std::string &name, const ContentKey &key)
{
  for (LicenseKey &k : keys) {
    if (k.name == name) {
      k.key = key;
      return;
    }
  }
  keys.emplace_back (name, key);
}

std::vector<KeyId> LicenseRecord::kids () const
{
  std::vector<KeyId> result;
  for (const LicenseKey &k : keys) {
    if (k.name.size () != 4 + 32 || k.name.compare (0, 4, "kid:") != 0)
      continue;
    KeyId kid {};
    for (gsize i = 0; i < kid.size (); i++)
      kid[i] = static_cast<guint8> (g_ascii_xdigit_value (k.name[4 + 2 * i]) * 16
          + g_ascii_xdigit_value (k.name[5 + 2 * i]));
    result.push_back (kid);
  }
  return result;
}

std::string license_store_name (const std::string &download_id)
{
  return "license:" + sha256_hex (download_id);
}

std::string encode_license_record (const LicenseRecord &record)
{
  std::string bytes;
  bytes += static_cast<char> (kLicenseRecordVersion);
  append_be (bytes, static_cast<guint64> (record.policy.acquired_at_ms), 8);
  append_be (bytes, static_cast<guint64> (record.policy.license_duration_s), 8);
  append_be (bytes, static_cast<guint64> (record.policy.playback_duration_s), 8);
  append_be (bytes, static_cast<guint64> (record.policy.first_played_at_ms), 8);
  append_text (bytes, record.download_id);
  append_text (bytes, record.license_url);
  append_be (bytes, record.headers.size (), 4);
  for (const std::string &header : record.headers)
    append_text (bytes, header);
  append_be (bytes, record.keys.size (), 4);
  for (const LicenseKey &key : record.keys) {
    append_text (bytes, key.name);
    bytes.append (reinterpret_cast<const char *> (key.key.data ()), key.key.size ());
  }
  return bytes;
}

std::optional<LicenseRecord> decode_license_record (const guint8 *data, gsize size, RecordError *why)
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
  if (data[0] > kLicenseRecordVersion) {
    *why = RecordError::NewerVersion;
    return std::nullopt;
  }
  RecordReader in (data + 1, size - 1);
  LicenseRecord record;
  guint64 count = 0;
  bool ok = in.int64 (&record.policy.acquired_at_ms) && in.int64 (&record.policy.license_duration_s)
      && in.int64 (&record.policy.playback_duration_s) && in.int64 (&record.policy.first_played_at_ms)
      && in.text (&record.download_id) && in.text (&record.license_url) && in.be (4, &count)
      && count <= kMaxListLength;
  for (guint64 i = 0; ok && i < count; i++) {
    record.headers.emplace_back ();
    ok = in.text (&record.headers.back ());
  }
  ok = ok && in.be (4, &count) && count <= kMaxListLength;
  for (guint64 i = 0; ok && i < count; i++) {
    record.keys.emplace_back ();
    ok = in.text (&record.keys.back ().name)
        && in.bytes (record.keys.back ().key.data (), record.keys.back ().key.size ());
  }
  if (!ok) {
    *why = RecordError::Truncated;
    return std::nullopt;
  }
  return record;
}

namespace {

/* The bytes stored under `name`, or nullopt (nothing there, or unreadable). */
std::optional<std::string> load_entry (GstOfflineDrmStore *store, const std::string &name)
{
  g_autoptr (GBytes) value = gst_offline_drm_store_load (store, name.c_str (), nullptr);
  if (!value)
    return std::nullopt;
  gsize size = 0;
  auto data = static_cast<const char *> (g_bytes_get_data (value, &size));
  return std::string (data ? data : "", size);
}

/* A key of gst-offline 0.1's "kid:"/"hls-key:" entries: a version byte (1
 * or 2), the 16 key bytes, and from version 2 the policy (4 x be64). */
bool read_legacy_key (const std::string &bytes, ContentKey *key, std::optional<LicensePolicy> *policy)
{
  auto data = reinterpret_cast<const guint8 *> (bytes.data ());
  if (bytes.size () < 17 || data[0] < 1 || data[0] > 2)
    return false;
  std::copy (data + 1, data + 17, key->begin ());
  RecordReader in (data + 17, bytes.size () - 17);
  LicensePolicy read;
  if (data[0] == 2 && in.int64 (&read.acquired_at_ms) && in.int64 (&read.license_duration_s)
      && in.int64 (&read.playback_duration_s) && in.int64 (&read.first_played_at_ms) && !policy->has_value ())
    *policy = read;
  return true;
}

/* The license of `download_id` as gst-offline 0.1 kept it (per KID
 * entries listed by a "key-set:" JSON record; HLS keys listed by an
 * "hls-key-list:" record), or nullopt if there is none. The old entries
 * stay: another download's old key set may list the same KIDs. */
std::optional<LicenseRecord> legacy_license (GstOfflineDrmStore *store, const std::string &download_id)
{
  LicenseRecord record;
  record.download_id = download_id;
  std::optional<LicensePolicy> policy;
  if (auto set = load_entry (store, "key-set:" + sha256_hex (download_id))) {
    g_autoptr (JsonParser) parser = json_parser_new_immutable ();
    JsonNode *root = json_parser_load_bounded (parser, std::string_view (set->data (), set->size ()), nullptr)
        ? json_parser_get_root (parser) : nullptr;
    JsonObject *object = root && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : nullptr;
    JsonArray *kids = object && json_object_has_member (object, "kids")
            && JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "kids"))
        ? json_object_get_array_member (object, "kids") : nullptr;
    if (object)
      record.license_url = json_object_get_string_member_with_default (object, "license_url", "");
    for (guint i = 0; kids && i < json_array_get_length (kids); i++) {
      JsonNode *node = json_array_get_element (kids, i);
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        continue;
      std::string name = std::string ("kid:") + json_node_get_string (node);
      ContentKey key {};
      auto bytes = load_entry (store, name);
      if (bytes && read_legacy_key (*bytes, &key, &policy))
        record.put (name, key);
      if (bytes)
        OPENSSL_cleanse (bytes->data (), bytes->size ());
    }
  }
  if (auto list = load_entry (store, "hls-key-list:" + sha256_hex (download_id))) {
    gchar **names = g_strsplit (list->c_str (), "\n", -1);
    for (gchar **name = names; *name; name++) {
      ContentKey key {};
      auto bytes = g_str_has_prefix (*name, "hls-key:") ? load_entry (store, *name) : std::nullopt;
      std::optional<LicensePolicy> unlimited;
      if (bytes && read_legacy_key (*bytes, &key, &unlimited))
        record.put (*name, key);
      if (bytes)
        OPENSSL_cleanse (bytes->data (), bytes->size ());
    }
    g_strfreev (names);
  }
  if (record.keys.empty ())
    return std::nullopt;
  record.policy = policy.value_or (LicensePolicy {});
  return record;
}

}  // namespace

std::optional<LicenseRecord> load_license (GstOfflineDrmStore *store, const std::string &download_id,
    GError **error)
{
  ensure_debug ();
  g_autoptr (GError) load_error = nullptr;
  g_autoptr (GBytes) value = gst_offline_drm_store_load (store, license_store_name (download_id).c_str (), &load_error);
  if (!value) {
    if (g_error_matches (load_error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND)) {
      /* A license kept by gst-offline 0.1 becomes one of this format. */
      if (auto legacy = legacy_license (store, download_id)) {
        GST_INFO ("converting the license of download %s from the per-KID format", download_id.c_str ());
        if (save_license (store, *legacy, nullptr)) {
          /* Its own old records go; "kid:" entries another old key set may list stay. */
          for (const LicenseKey &key : legacy->keys) {
            if (g_str_has_prefix (key.name.c_str (), "hls-key:"))
              gst_offline_drm_store_remove (store, key.name.c_str (), nullptr);
          }
          gst_offline_drm_store_remove (store, ("key-set:" + sha256_hex (download_id)).c_str (), nullptr);
          gst_offline_drm_store_remove (store, ("hls-key-list:" + sha256_hex (download_id)).c_str (), nullptr);
          return legacy;
        }
      }
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND, "download %s has no license",
          download_id.c_str ());
    }
    else
      g_propagate_prefixed_error (error, g_steal_pointer (&load_error), "cannot read the license of download %s: ",
          download_id.c_str ());
    return std::nullopt;
  }
  gsize size = 0;
  auto data = static_cast<const guint8 *> (g_bytes_get_data (value, &size));
  RecordError why;
  /* Not wiped: an application's store may hand out the bytes it keeps. */
  auto record = decode_license_record (data, size, &why);
  if (!record) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_CORRUPT, "the license of download %s %s",
        download_id.c_str (), why == RecordError::NewerVersion ? "was written by a newer gst-offline" : "is damaged");
    return std::nullopt;
  }
  if (record->download_id != download_id) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_CORRUPT,
        "the license stored for download %s names another download", download_id.c_str ());
    return std::nullopt;
  }
  return record;
}

bool save_license (GstOfflineDrmStore *store, const LicenseRecord &record, GError **error)
{
  ensure_debug ();
  std::string value = encode_license_record (record);
  g_autoptr (GBytes) bytes = g_bytes_new (value.data (), value.size ());
  OPENSSL_cleanse (value.data (), value.size ());
  /* Not wiped after: the store may keep these very bytes. */
  if (!gst_offline_drm_store_save (store, license_store_name (record.download_id).c_str (), bytes, error)) {
    g_prefix_error (error, "cannot store the license of download %s: ", record.download_id.c_str ());
    return false;
  }
  GST_DEBUG ("stored the license of download %s: %" G_GSIZE_FORMAT " keys", record.download_id.c_str (),
      record.keys.size ());
  return true;
}

bool remove_license (GstOfflineDrmStore *store, const std::string &download_id, GError **error)
{
  ensure_debug ();
  if (!gst_offline_drm_store_remove (store, license_store_name (download_id).c_str (), error)) {
    g_prefix_error (error, "cannot remove the license of download %s: ", download_id.c_str ());
    return false;
  }
  GST_DEBUG ("removed the license of download %s", download_id.c_str ());
  return true;
}

bool add_license_key (GstOfflineDrmStore *store, const std::string &download_id, const std::string &name,
    const ContentKey &key, GError **error)
{
  g_autoptr (GError) load_error = nullptr;
  auto record = load_license (store, download_id, &load_error);
  if (!record) {
    if (!g_error_matches (load_error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND)) {
      g_propagate_error (error, g_steal_pointer (&load_error));
      return false;
    }
    record.emplace ();
    record->download_id = download_id;
    record->policy.acquired_at_ms = license_now_ms ();
  }
  record->put (name, key);
  return save_license (store, *record, error);
}

std::string key_description (const std::string &name)
{
  if (g_str_has_prefix (name.c_str (), "kid:"))
    return "KID " + name.substr (4);
  if (g_str_has_prefix (name.c_str (), "hls-key:"))
    return "AES-128 key " + name.substr (8, 12);
  return "key " + name;
}

std::optional<ContentKey> playback_key (GstOfflineDrmStore *store, const std::string &download_id,
    const std::string &name, GError **error)
{
  auto record = load_license (store, download_id, error);
  if (!record)
    return std::nullopt;
  const LicenseKey *key = record->find (name);
  if (!key) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND,
        "the license of download %s has no key for %s", download_id.c_str (), key_description (name).c_str ());
    return std::nullopt;
  }
  gint64 now = license_now_ms ();
  LicenseStatus status = license_status (record->policy, now);
  if (!status.playable ()) {
    std::string when = license_time_text (status.ended_at_ms);
    std::string what = "download '" + download_id + "' (" + key_description (name) + ")";
    if (status.window_used_up)
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_LICENSE_EXPIRED,
          "the playback window of the license of %s ended at %s", what.c_str (), when.c_str ());
    else
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_LICENSE_EXPIRED,
          "the license of %s expired at %s", what.c_str (), when.c_str ());
    GST_INFO ("refused a key of download %s: acquired at %" G_GINT64_FORMAT " ms, license duration %" G_GINT64_FORMAT
        " s, playback duration %" G_GINT64_FORMAT " s, first played at %" G_GINT64_FORMAT " ms, now %" G_GINT64_FORMAT
        " ms", download_id.c_str (), record->policy.acquired_at_ms, record->policy.license_duration_s,
        record->policy.playback_duration_s, record->policy.first_played_at_ms, now);
    return std::nullopt;
  }
  ContentKey result = key->key;
  if (record->policy.playback_duration_s >= 0 && record->policy.first_played_at_ms < 0) {
    /* The first playback starts the window, for every later playback too. A
     * store that cannot be written leaves it unstarted: logged, not fatal. */
    record->policy.first_played_at_ms = now;
    g_autoptr (GError) save_error = nullptr;
    if (!save_license (store, *record, &save_error))
      GST_WARNING ("could not record the first playback of download %s: %s", download_id.c_str (),
          save_error->message);
  }
  return result;
}

GstOfflineDrmStore *open_existing_drm_store (const std::string &data_dir, GError **error)
{
  g_autofree gchar *path = g_build_filename (data_dir.c_str (), kDrmDatabaseName, nullptr);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return nullptr;
  return GST_OFFLINE_DRM_STORE (gst_offline_sqlite_drm_store_new (data_dir.c_str (), error));
}

}  // namespace gst_offline
