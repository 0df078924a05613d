/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "offlinedrm/sample-encryption.h"

#include "util/big-endian.h"

#include <cstring>

namespace gst_offline {

namespace {

constexpr gsize kSubsampleEntrySize = 6;  /* u16 BE clear, u32 BE encrypted */
/* tenc stores each pattern count in 4 bits. */
constexpr guint kMaxPatternBlocks = 15;

/* The field names, as quarks: looking a string up takes GLib's global quark
 * lock, and this runs for every sample. */
struct FieldQuarks {
  GQuark encrypted, cipher_mode, kid, iv_size, constant_iv_size, iv, subsample_count, subsamples, crypt, skip;
};

const FieldQuarks &quarks ()
{
  static const FieldQuarks q = {
    g_quark_from_static_string ("encrypted"), g_quark_from_static_string ("cipher-mode"),
    g_quark_from_static_string ("kid"), g_quark_from_static_string ("iv_size"),
    g_quark_from_static_string ("constant_iv_size"), g_quark_from_static_string ("iv"),
    g_quark_from_static_string ("subsample_count"), g_quark_from_static_string ("subsamples"),
    g_quark_from_static_string ("crypt_byte_block"), g_quark_from_static_string ("skip_byte_block"),
  };
  return q;
}

/* A GstBuffer field; NULL if absent or of another type. */
GstBuffer *get_buffer_field (const GstStructure *s, GQuark name)
{
  const GValue *value = gst_structure_id_get_value (s, name);
  if (!value || !GST_VALUE_HOLDS_BUFFER (value))
    return nullptr;
  return gst_value_get_buffer (value);
}

/* An optional uint field: absent gives `fallback`; another type is an error. */
bool get_optional_uint (const GstStructure *s, GQuark name, guint fallback, guint *out, std::string *why)
{
  const GValue *value = gst_structure_id_get_value (s, name);
  if (!value) {
    *out = fallback;
    return true;
  }
  if (G_VALUE_HOLDS_UINT (value)) {
    *out = g_value_get_uint (value);
    return true;
  }
  if (G_VALUE_HOLDS_INT (value) && g_value_get_int (value) >= 0) {
    *out = static_cast<guint> (g_value_get_int (value));
    return true;
  }
  *why = std::string ("the field '") + g_quark_to_string (name) + "' is not an unsigned integer";
  return false;
}

bool read_iv (const GstStructure *info, guint iv_size, SampleEncryption *out, std::string *why)
{
  if (iv_size != 8 && iv_size != 16) {
    *why = "IV size " + std::to_string (iv_size) + " (only 8 and 16 bytes are valid)";
    return false;
  }
  GstBuffer *iv = get_buffer_field (info, quarks ().iv);
  if (!iv) {
    *why = "no IV";
    return false;
  }
  gsize size = gst_buffer_get_size (iv);
  if (size != iv_size) {
    *why = "the IV has " + std::to_string (size) + " bytes, not the " + std::to_string (iv_size) + " announced";
    return false;
  }
  out->iv.fill (0);
  gst_buffer_extract (iv, 0, out->iv.data (), iv_size);
  out->iv_size = iv_size;
  return true;
}

}  // namespace

const char *cipher_mode_name (CipherMode mode)
{
  return mode == CipherMode::Cbcs ? "cbcs" : "cenc";
}

bool parse_sample_encryption (const GstStructure *info, gsize sample_size, SampleEncryption *out, std::string *why)
{
  if (!gst_structure_has_name (info, "application/x-cenc")) {
    *why = std::string ("protection metadata of an unsupported kind (") + gst_structure_get_name (info) + ")";
    return false;
  }

  const FieldQuarks &q = quarks ();
  const GValue *encrypted = gst_structure_id_get_value (info, q.encrypted);
  if (!encrypted || !G_VALUE_HOLDS_BOOLEAN (encrypted)) {
    *why = "the 'encrypted' flag is missing";
    return false;
  }
  out->encrypted = g_value_get_boolean (encrypted);
  out->subsamples.clear ();
  if (!out->encrypted)
    return true;

  /* qtdemux before 1.16 did not say: then it was cenc. */
  const GValue *mode_value = gst_structure_id_get_value (info, q.cipher_mode);
  const gchar *mode = mode_value && G_VALUE_HOLDS_STRING (mode_value) ? g_value_get_string (mode_value) : nullptr;
  if (!mode || strcmp (mode, "cenc") == 0) {
    out->mode = CipherMode::Cenc;
  } else if (strcmp (mode, "cbcs") == 0) {
    out->mode = CipherMode::Cbcs;
  } else {
    *why = std::string ("unknown cipher mode '") + mode + "' (cenc and cbcs are supported)";
    return false;
  }

  GstBuffer *kid = get_buffer_field (info, q.kid);
  if (!kid) {
    *why = "no key id (KID)";
    return false;
  }
  if (gst_buffer_get_size (kid) != out->kid.size ()) {
    *why = "the key id has " + std::to_string (gst_buffer_get_size (kid)) + " bytes, not 16";
    return false;
  }
  gst_buffer_extract (kid, 0, out->kid.data (), out->kid.size ());

  const GValue *iv_size_value = gst_structure_id_get_value (info, q.iv_size);
  if (!iv_size_value || !G_VALUE_HOLDS_UINT (iv_size_value)) {
    *why = "the IV size is missing";
    return false;
  }
  guint iv_size = g_value_get_uint (iv_size_value);
  if (iv_size == 0 && out->mode == CipherMode::Cbcs) {
    /* A constant IV (tenc) rather than one per sample (senc). */
    const GValue *constant = gst_structure_id_get_value (info, q.constant_iv_size);
    if (!constant || !G_VALUE_HOLDS_UINT (constant)) {
      *why = "neither a per-sample IV nor a constant IV";
      return false;
    }
    iv_size = g_value_get_uint (constant);
  }
  if (!read_iv (info, iv_size, out, why))
    return false;

  guint count = 0;
  if (!get_optional_uint (info, q.subsample_count, 0, &count, why))
    return false;
  if (count > 0) {
    GstBuffer *table = get_buffer_field (info, q.subsamples);
    if (!table) {
      *why = std::to_string (count) + " subsamples announced but no subsample table";
      return false;
    }
    /* count < 2^32, so this product cannot overflow a 64-bit size. */
    guint64 expected = static_cast<guint64> (count) * kSubsampleEntrySize;
    if (gst_buffer_get_size (table) != expected) {
      *why = "the subsample table has " + std::to_string (gst_buffer_get_size (table)) + " bytes for "
          + std::to_string (count) + " subsamples";
      return false;
    }
    GstMapInfo map;
    if (!gst_buffer_map (table, &map, GST_MAP_READ)) {
      *why = "the subsample table cannot be read";
      return false;
    }
    out->subsamples.reserve (count);
    guint64 total = 0;
    for (guint i = 0; i < count; i++) {
      const guint8 *entry = map.data + i * kSubsampleEntrySize;
      /* Entries are 6 bytes: every other one sits at an odd address. */
      Subsample sub { read_u16_be (entry), read_u32_be (entry + 2) };
      total += static_cast<guint64> (sub.clear) + sub.encrypted;
      out->subsamples.push_back (sub);
    }
    gst_buffer_unmap (table, &map);
    if (total > sample_size) {
      *why = "the subsamples cover " + std::to_string (total) + " bytes of a " + std::to_string (sample_size)
          + "-byte sample";
      out->subsamples.clear ();
      return false;
    }
  }

  out->crypt_blocks = out->skip_blocks = 0;
  if (out->mode == CipherMode::Cbcs) {
    if (!get_optional_uint (info, q.crypt, 0, &out->crypt_blocks, why)
        || !get_optional_uint (info, q.skip, 0, &out->skip_blocks, why))
      return false;
    if (out->crypt_blocks > kMaxPatternBlocks || out->skip_blocks > kMaxPatternBlocks
        || (out->crypt_blocks == 0 && out->skip_blocks != 0)) {
      *why = "invalid encryption pattern " + std::to_string (out->crypt_blocks) + ":"
          + std::to_string (out->skip_blocks);
      return false;
    }
  }
  return true;
}

}  // namespace gst_offline
