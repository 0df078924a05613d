/* The offlinedrm decryptor and the DRM store: samples encrypted here (an
 * AES block function and hand-written CTR and CBC chaining, independent of
 * the element's use of OpenSSL's modes), given the GstProtectionMeta qtdemux
 * would give them, must come out as the plaintext; missing keys and hostile
 * metadata are element errors; keys are kept 0600 and never logged; and
 * decodebin plugs the element by itself.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/offline/offline.h>

#include "license-server.h"
#include "test-support.h"

#include <glib/gstdio.h>
#include <openssl/evp.h>

#include <sys/stat.h>

#include <sqlite3.h>

#include <array>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace {

using ot::Block;
using ot::b64url;
using ot::hex;

const gchar *const kClearKeySystem = "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b";
const gchar *const kDashIfClearKeySystem = "e2719d58-a985-b3c9-781a-b030af78d30e";

const Block kKid1 = { 0x10, 0x77, 0xef, 0xec, 0xc0, 0xb2, 0x4d, 0x02, 0xac, 0xe3, 0x3c, 0x1e, 0x52, 0xe2, 0xfb, 0x01 };
const Block kKey1 = { 0x3a, 0x2a, 0x1b, 0x68, 0xdd, 0x2b, 0xd9, 0xb2, 0xee, 0xb2, 0x5e, 0x84, 0xc4, 0x77, 0x6f, 0xef };
const Block kKid2 = { 0xab, 0xba, 0x27, 0x1e, 0x8b, 0xcf, 0x55, 0x2b, 0xbd, 0x2e, 0x86, 0xa4, 0x34, 0xa9, 0xa5, 0xd9 };
const Block kKey2 = { 0x69, 0xea, 0xa8, 0x02, 0xa6, 0x76, 0x3a, 0xf9, 0x79, 0xe8, 0xd1, 0x94, 0x0f, 0xb8, 0x83, 0x92 };

/* ---- Encryption, written independently of the element -------------------- */

Block aes_encrypt_block (const Block &key, const Block &in)
{
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  Block out {};
  int len = 0;
  fail_unless (EVP_EncryptInit_ex (ctx, EVP_aes_128_ecb (), nullptr, key.data (), nullptr) == 1);
  EVP_CIPHER_CTX_set_padding (ctx, 0);
  fail_unless (EVP_EncryptUpdate (ctx, out.data (), &len, in.data (), 16) == 1 && len == 16);
  EVP_CIPHER_CTX_free (ctx);
  return out;
}

/* A run of clear bytes then encrypted bytes, as in senc. */
struct Range {
  guint16 clear;
  guint32 encrypted;
};

/* cenc: AES-CTR whose keystream runs on across the encrypted ranges; the
 * block counter is the low 64 bits of the counter block. */
void encrypt_cenc (const Block &key, const Block &iv, std::vector<guint8> &data, const std::vector<Range> &ranges)
{
  Block counter = iv;
  Block keystream {};
  gsize used = 16;
  auto crypt = [&] (guint8 *p, gsize n) {
    for (gsize i = 0; i < n; i++) {
      if (used == 16) {
        keystream = aes_encrypt_block (key, counter);
        for (int b = 15; b >= 8 && ++counter[b] == 0; b--) {
        }
        used = 0;
      }
      p[i] ^= keystream[used++];
    }
  };
  if (ranges.empty ()) {
    crypt (data.data (), data.size ());
    return;
  }
  gsize offset = 0;
  for (const Range &r : ranges) {
    offset += r.clear;
    crypt (data.data () + offset, r.encrypted);
    offset += r.encrypted;
  }
}

/* cbcs: CBC from the IV in every range, over the pattern's encrypted blocks
 * only; partial blocks stay clear. */
void encrypt_cbcs_range (const Block &key, const Block &iv, guint8 *p, gsize n, guint crypt, guint skip)
{
  Block chain = iv;
  for (gsize block = 0; (block + 1) * 16 <= n; block++) {
    bool encrypted = skip == 0 || block % (crypt + skip) < crypt;
    if (!encrypted)
      continue;
    Block in;
    for (int i = 0; i < 16; i++)
      in[i] = p[block * 16 + i] ^ chain[i];
    chain = aes_encrypt_block (key, in);
    memcpy (p + block * 16, chain.data (), 16);
  }
}

void encrypt_cbcs (const Block &key, const Block &iv, std::vector<guint8> &data, const std::vector<Range> &ranges,
    guint crypt, guint skip)
{
  if (ranges.empty ()) {
    encrypt_cbcs_range (key, iv, data.data (), data.size (), crypt, skip);
    return;
  }
  gsize offset = 0;
  for (const Range &r : ranges) {
    offset += r.clear;
    encrypt_cbcs_range (key, iv, data.data () + offset, r.encrypted, crypt, skip);
    offset += r.encrypted;
  }
}

/* ---- Samples as qtdemux gives them --------------------------------------- */

struct SampleSpec {
  const gchar *mode = "cenc";
  guint iv_size = 16;           /* 0: cbcs with a constant IV */
  guint constant_iv_size = 16;  /* with iv_size 0 */
  /* The constant IV the way qtdemux's senc path gives it: iv_size set to
   * the constant IV's size, no constant_iv_size field. */
  bool constant_iv_in_iv_size = false;
  std::vector<Range> subsamples; /* empty: the whole sample */
  gsize size = 3000;             /* without subsamples */
  guint crypt = 0, skip = 0;
  Block kid = kKid1;
  Block key = kKey1;
  guint seed = 1;
};

GstBuffer *wrap (const guint8 *data, gsize size)
{
  return gst_buffer_new_memdup (data, size);
}

/* Makes an encrypted sample with its protection meta; `plain` receives the
 * plaintext. */
GstBuffer *make_sample (const SampleSpec &spec, std::vector<guint8> *plain)
{
  gsize size = spec.size;
  if (!spec.subsamples.empty ()) {
    size = 0;
    for (const Range &r : spec.subsamples)
      size += r.clear + r.encrypted;
  }
  GRand *rand = g_rand_new_with_seed (spec.seed);
  plain->resize (size);
  for (auto &byte : *plain)
    byte = static_cast<guint8> (g_rand_int (rand));
  Block iv {};
  guint iv_bytes = spec.iv_size ? spec.iv_size : spec.constant_iv_size;
  for (guint i = 0; i < iv_bytes; i++)
    iv[i] = static_cast<guint8> (g_rand_int (rand));
  g_rand_free (rand);

  std::vector<guint8> data = *plain;
  bool cbcs = strcmp (spec.mode, "cbcs") == 0;
  if (cbcs)
    encrypt_cbcs (spec.key, iv, data, spec.subsamples, spec.crypt, spec.skip);
  else
    encrypt_cenc (spec.key, iv, data, spec.subsamples);

  /* The default properties (tenc), then the per-sample ones (senc). */
  GstBuffer *kid = wrap (spec.kid.data (), 16);
  GstStructure *info = gst_structure_new ("application/x-cenc",
      "iv_size", G_TYPE_UINT, spec.iv_size,
      "encrypted", G_TYPE_BOOLEAN, TRUE,
      "kid", GST_TYPE_BUFFER, kid, nullptr);
  gst_buffer_unref (kid);
  if (cbcs && (spec.crypt || spec.skip))
    gst_structure_set (info, "crypt_byte_block", G_TYPE_UINT, spec.crypt, "skip_byte_block", G_TYPE_UINT, spec.skip,
        nullptr);
  if (cbcs && spec.iv_size == 0) {
    GstBuffer *constant_iv = wrap (iv.data (), spec.constant_iv_size);
    gst_structure_set (info, "constant_iv_size", G_TYPE_UINT, spec.constant_iv_size,
        "iv", GST_TYPE_BUFFER, constant_iv, nullptr);
    gst_buffer_unref (constant_iv);
    if (spec.constant_iv_in_iv_size) {
      gst_structure_set (info, "iv_size", G_TYPE_UINT, spec.constant_iv_size, nullptr);
      gst_structure_remove_field (info, "constant_iv_size");
    }
  }
  gst_structure_set (info, "cipher-mode", G_TYPE_STRING, spec.mode, nullptr);
  if (spec.iv_size > 0) {
    GstBuffer *sample_iv = wrap (iv.data (), spec.iv_size);
    gst_structure_set (info, "iv", GST_TYPE_BUFFER, sample_iv, nullptr);
    gst_buffer_unref (sample_iv);
  }
  if (!spec.subsamples.empty ()) {
    std::vector<guint8> table (spec.subsamples.size () * 6);
    for (gsize i = 0; i < spec.subsamples.size (); i++) {
      GST_WRITE_UINT16_BE (&table[i * 6], spec.subsamples[i].clear);
      GST_WRITE_UINT32_BE (&table[i * 6 + 2], spec.subsamples[i].encrypted);
    }
    GstBuffer *subsamples = wrap (table.data (), table.size ());
    gst_structure_set (info, "subsample_count", G_TYPE_UINT, static_cast<guint> (spec.subsamples.size ()),
        "subsamples", GST_TYPE_BUFFER, subsamples, nullptr);
    gst_buffer_unref (subsamples);
  } else if (!spec.constant_iv_in_iv_size && !(cbcs && spec.iv_size == 0)) {
    gst_structure_set (info, "subsample_count", G_TYPE_UINT, 0u, nullptr);
  }

  GstBuffer *buffer = wrap (data.data (), data.size ());
  fail_if (data == *plain, "the sample was not encrypted");
  gst_buffer_add_protection_meta (buffer, info);
  return buffer;
}

/* ---- Stores ---------------------------------------------------------------- */

/* The download whose license the tests' keys are in. */
const gchar *const kDownload = "movie";

void save_key (GstOfflineDrmStore *store, const Block &kid, const Block &key)
{
  g_autoptr (GBytes) value = g_bytes_new (key.data (), key.size ());
  g_autoptr (GError) error = nullptr;
  fail_unless (gst_offline_drm_store_add_key (store, kDownload, hex (kid).c_str (), value, &error), "%s",
      error ? error->message : "");
}

/* A data directory whose drm.db holds kKey1 and kKey2. */
gchar *make_data_dir_with_keys (const gchar *name)
{
  gchar *dir = ot_make_temp_dir (name);
  g_autoptr (GError) error = nullptr;
  g_autoptr (GstOfflineSqliteDrmStore) store = gst_offline_sqlite_drm_store_new (dir, &error);
  fail_unless (store != nullptr, "%s", error ? error->message : "");
  save_key (GST_OFFLINE_DRM_STORE (store), kKid1, kKey1);
  save_key (GST_OFFLINE_DRM_STORE (store), kKid2, kKey2);
  return dir;
}

/* An application's own store: a hash table in memory. */
struct TestMemoryStore {
  GObject parent;
  GHashTable *entries;
  guint loads;
};
struct TestMemoryStoreClass {
  GObjectClass parent_class;
};

GType test_memory_store_get_type ();
void test_memory_store_iface_init (GstOfflineDrmStoreInterface *iface);
G_DEFINE_TYPE_WITH_CODE (TestMemoryStore, test_memory_store, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (GST_OFFLINE_TYPE_DRM_STORE, test_memory_store_iface_init))

gboolean test_memory_store_save (GstOfflineDrmStore *store, const gchar *key, GBytes *value, GError **)
{
  auto self = reinterpret_cast<TestMemoryStore *> (store);
  g_hash_table_replace (self->entries, g_strdup (key), g_bytes_ref (value));
  return TRUE;
}

GBytes *test_memory_store_load (GstOfflineDrmStore *store, const gchar *key, GError **error)
{
  auto self = reinterpret_cast<TestMemoryStore *> (store);
  g_atomic_int_inc (&self->loads);
  auto value = static_cast<GBytes *> (g_hash_table_lookup (self->entries, key));
  if (!value) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND, "not in the test store");
    return nullptr;
  }
  return g_bytes_ref (value);
}

gboolean test_memory_store_remove (GstOfflineDrmStore *store, const gchar *key, GError **)
{
  g_hash_table_remove (reinterpret_cast<TestMemoryStore *> (store)->entries, key);
  return TRUE;
}

void test_memory_store_iface_init (GstOfflineDrmStoreInterface *iface)
{
  iface->save = test_memory_store_save;
  iface->load = test_memory_store_load;
  iface->remove = test_memory_store_remove;
}

void test_memory_store_finalize (GObject *object)
{
  g_hash_table_unref (reinterpret_cast<TestMemoryStore *> (object)->entries);
  G_OBJECT_CLASS (test_memory_store_parent_class)->finalize (object);
}

void test_memory_store_class_init (TestMemoryStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_memory_store_finalize;
}

void test_memory_store_init (TestMemoryStore *self)
{
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, reinterpret_cast<GDestroyNotify> (g_bytes_unref));
}

/* ---- The element in a harness ---------------------------------------------- */

struct Drm {
  GstHarness *h;
  GstElement *element;
  GstBus *bus;
};

const gchar *const kEncryptedCaps =
    "application/x-cenc, original-media-type=(string)video/x-h264, stream-format=(string)avc, "
    "protection-system=(string)1077efec-c0b2-4d02-ace3-3c1e52e2fb4b, cipher-mode=(string)cenc";

/* offlinedrm reading the keys of `data_dir`, or of `store` if given. */
Drm start_drm (const gchar *data_dir, GstOfflineDrmStore *store = nullptr)
{
  Drm drm;
  drm.element = gst_element_factory_make ("offlinedrm", nullptr);
  fail_unless (drm.element != nullptr, "no offlinedrm element");
  /* Upstream is not cachesrc: the element is told which download plays. */
  g_object_set (drm.element, "download-id", kDownload, nullptr);
  if (data_dir)
    g_object_set (drm.element, "cache-dir", data_dir, nullptr);
  if (store)
    g_object_set (drm.element, "drm-store", store, nullptr);
  drm.bus = gst_bus_new ();
  gst_element_set_bus (drm.element, drm.bus);
  drm.h = gst_harness_new_with_element (drm.element, "sink", "src");
  gst_harness_set_src_caps_str (drm.h, kEncryptedCaps);
  return drm;
}

void stop_drm (Drm &drm)
{
  gst_harness_teardown (drm.h);
  gst_object_unref (drm.element);
  gst_object_unref (drm.bus);
}

/* Pushes `sample` and checks the output is `plain` with no protection meta. */
void push_and_expect (Drm &drm, GstBuffer *sample, const std::vector<guint8> &plain)
{
  fail_unless_equals_int (gst_harness_push (drm.h, sample), GST_FLOW_OK);
  GstBuffer *out = gst_harness_pull (drm.h);
  fail_unless (out != nullptr);
  fail_unless (gst_buffer_get_protection_meta (out) == nullptr, "the protection meta is still there");
  GstMapInfo map;
  fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
  fail_unless_equals_uint64 (map.size, plain.size ());
  gsize first_difference = map.size;
  for (gsize i = 0; i < map.size; i++) {
    if (map.data[i] != plain[i]) {
      first_difference = i;
      break;
    }
  }
  gst_buffer_unmap (out, &map);
  gst_buffer_unref (out);
  fail_unless (first_difference == plain.size (), "output differs from the plaintext at byte %" G_GSIZE_FORMAT,
      first_difference);
}

void decrypt_and_check (const SampleSpec &spec)
{
  g_autofree gchar *dir = make_data_dir_with_keys ("decrypt");
  Drm drm = start_drm (dir);
  std::vector<guint8> plain;
  push_and_expect (drm, make_sample (spec, &plain), plain);
  fail_unless (gst_bus_pop_filtered (drm.bus, GST_MESSAGE_ERROR) == nullptr);
  stop_drm (drm);
}

/* Pushes `sample` and expects an error of `code` whose text contains each
 * of `needles`; returns nothing downstream. */
void push_and_expect_error (Drm &drm, GstBuffer *sample, GstStreamError code, std::vector<std::string> needles)
{
  fail_unless_equals_int (gst_harness_push (drm.h, sample), GST_FLOW_ERROR);
  fail_unless_equals_int (gst_harness_buffers_in_queue (drm.h), 0);
  GstMessage *message = gst_bus_pop_filtered (drm.bus, GST_MESSAGE_ERROR);
  fail_unless (message != nullptr, "no error message");
  GError *error = nullptr;
  gchar *debug = nullptr;
  gst_message_parse_error (message, &error, &debug);
  GST_INFO ("error: %s (%s)", error->message, debug);
  fail_unless (error->domain == GST_STREAM_ERROR, "error of another domain: %s", error->message);
  fail_unless_equals_int (error->code, code);
  for (const std::string &needle : needles)
    fail_unless (strstr (error->message, needle.c_str ()) != nullptr, "'%s' is not in '%s'", needle.c_str (),
        error->message);
  g_error_free (error);
  g_free (debug);
  gst_message_unref (message);
}

void expect_hostile (const std::function<void (GstStructure *)> &spoil, const gchar *what,
    SampleSpec spec = SampleSpec ())
{
  g_autofree gchar *dir = make_data_dir_with_keys ("hostile");
  Drm drm = start_drm (dir);
  std::vector<guint8> plain;
  GstBuffer *sample = make_sample (spec, &plain);
  GstProtectionMeta *meta = gst_buffer_get_protection_meta (sample);
  spoil (meta->info);
  push_and_expect_error (drm, sample, GST_STREAM_ERROR_DECRYPT, { what });
  stop_drm (drm);
}

std::vector<Range> video_subsamples ()
{
  /* NAL headers clear, slice data encrypted, one range with a partial
   * trailing block, one all clear. */
  return { { 5, 1024 }, { 37, 333 }, { 100, 0 }, { 6, 4000 } };
}

}  // namespace

/* ---- cenc -------------------------------------------------------------------- */

GST_START_TEST (test_cenc_full_sample_16_byte_iv)
{
  SampleSpec spec;
  spec.size = 4099;
  decrypt_and_check (spec);
}
GST_END_TEST;

GST_START_TEST (test_cenc_full_sample_8_byte_iv)
{
  SampleSpec spec;
  spec.iv_size = 8;
  spec.size = 777;
  decrypt_and_check (spec);
}
GST_END_TEST;

GST_START_TEST (test_cenc_subsamples)
{
  SampleSpec spec;
  spec.subsamples = video_subsamples ();
  decrypt_and_check (spec);
  spec.iv_size = 8;
  spec.seed = 2;
  decrypt_and_check (spec);
}
GST_END_TEST;

/* ---- cbcs -------------------------------------------------------------------- */

GST_START_TEST (test_cbcs_pattern_1_9_subsamples)
{
  SampleSpec spec;
  spec.mode = "cbcs";
  spec.crypt = 1;
  spec.skip = 9;
  spec.subsamples = video_subsamples ();
  decrypt_and_check (spec);
}
GST_END_TEST;

GST_START_TEST (test_cbcs_pattern_1_9_full_sample)
{
  SampleSpec spec;
  spec.mode = "cbcs";
  spec.crypt = 1;
  spec.skip = 9;
  spec.size = 5000 + 9;
  decrypt_and_check (spec);
}
GST_END_TEST;

GST_START_TEST (test_cbcs_pattern_0_0_full_sample)
{
  /* Audio: every whole block, the trailing partial block clear. */
  SampleSpec spec;
  spec.mode = "cbcs";
  spec.size = 1000;
  decrypt_and_check (spec);
  spec.iv_size = 8;
  decrypt_and_check (spec);
}
GST_END_TEST;

GST_START_TEST (test_cbcs_pattern_0_0_subsamples)
{
  SampleSpec spec;
  spec.mode = "cbcs";
  spec.subsamples = video_subsamples ();
  decrypt_and_check (spec);
}
GST_END_TEST;

GST_START_TEST (test_cbcs_constant_iv)
{
  /* tenc's constant IV, no senc: iv_size 0, constant_iv_size, iv, and no
   * subsample_count at all. */
  SampleSpec spec;
  spec.mode = "cbcs";
  spec.iv_size = 0;
  spec.crypt = 1;
  spec.skip = 9;
  spec.size = 4096;
  decrypt_and_check (spec);
  spec.constant_iv_size = 8;
  decrypt_and_check (spec);
  /* With senc subsamples: qtdemux puts the constant IV's size in iv_size. */
  spec.constant_iv_size = 16;
  spec.constant_iv_in_iv_size = true;
  spec.subsamples = video_subsamples ();
  decrypt_and_check (spec);
}
GST_END_TEST;

/* ---- Streams ----------------------------------------------------------------- */

GST_START_TEST (test_stream_of_samples_with_two_keys_and_clear_ones)
{
  g_autofree gchar *dir = make_data_dir_with_keys ("stream");
  Drm drm = start_drm (dir);
  for (guint i = 0; i < 20; i++) {
    SampleSpec spec;
    spec.seed = 100 + i;
    spec.mode = i % 3 == 0 ? "cbcs" : "cenc";
    if (i % 3 == 0) {
      spec.crypt = 1;
      spec.skip = 9;
    }
    if (i % 2)
      spec.subsamples = video_subsamples ();
    if (i % 4 == 1) {
      spec.kid = kKid2;
      spec.key = kKey2;
    }
    std::vector<guint8> plain;
    push_and_expect (drm, make_sample (spec, &plain), plain);
  }

  /* A clear sample without meta is untouched. */
  const guint8 clear[] = { 0, 0, 0, 1, 0x65, 0x88 };
  push_and_expect (drm, wrap (clear, sizeof clear), std::vector<guint8> (clear, clear + sizeof clear));

  /* encrypted=FALSE (a clear sample of an encrypted track): untouched, meta gone. */
  GstBuffer *unencrypted = wrap (clear, sizeof clear);
  gst_buffer_add_protection_meta (unencrypted, gst_structure_new ("application/x-cenc",
      "iv_size", G_TYPE_UINT, 0u, "encrypted", G_TYPE_BOOLEAN, FALSE, nullptr));
  push_and_expect (drm, unencrypted, std::vector<guint8> (clear, clear + sizeof clear));

  fail_unless (gst_bus_pop_filtered (drm.bus, GST_MESSAGE_ERROR) == nullptr);
  stop_drm (drm);
}
GST_END_TEST;

/* offlinedrm keeps one CBC context per key across samples and restarts the
 * IV at each range by correcting the first block: every pattern, ranges
 * shorter than a block, key changes and a cenc sample in between. */
GST_START_TEST (test_stream_of_cbcs_samples_keeps_each_range_independent)
{
  g_autofree gchar *dir = make_data_dir_with_keys ("cbcs-stream");
  Drm drm = start_drm (dir);
  const std::pair<guint, guint> patterns[] = { { 1, 9 }, { 0, 0 }, { 2, 3 }, { 1, 0 }, { 5, 5 } };
  const std::vector<Range> short_ranges = { { 3, 15 }, { 2, 16 }, { 0, 7 }, { 4, 17 }, { 1, 160 } };
  for (guint i = 0; i < 30; i++) {
    SampleSpec spec;
    spec.seed = 300 + i;
    spec.mode = i % 7 == 6 ? "cenc" : "cbcs";
    spec.crypt = patterns[i % 5].first;
    spec.skip = patterns[i % 5].second;
    if (i % 3 == 1)
      spec.subsamples = video_subsamples ();
    else if (i % 3 == 2)
      spec.subsamples = short_ranges;
    if (i % 4 == 3) {
      spec.kid = kKid2;
      spec.key = kKey2;
    }
    std::vector<guint8> plain;
    push_and_expect (drm, make_sample (spec, &plain), plain);
  }
  fail_unless (gst_bus_pop_filtered (drm.bus, GST_MESSAGE_ERROR) == nullptr);
  stop_drm (drm);
}
GST_END_TEST;

/* ---- Missing keys ------------------------------------------------------------- */

GST_START_TEST (test_missing_key_names_kid_and_data_dir)
{
  g_autofree gchar *dir = make_data_dir_with_keys ("missing-key");
  Drm drm = start_drm (dir);
  SampleSpec spec;
  spec.kid = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
  std::vector<guint8> plain;
  push_and_expect_error (drm, make_sample (spec, &plain), GST_STREAM_ERROR_DECRYPT_NOKEY,
      { hex (spec.kid), dir });
  stop_drm (drm);
}
GST_END_TEST;

GST_START_TEST (test_no_store_names_kid_and_data_dir)
{
  /* A data directory without drm.db: nothing is created, the key is missing. */
  g_autofree gchar *dir = ot_make_temp_dir ("no-store");
  Drm drm = start_drm (dir);
  SampleSpec spec;
  std::vector<guint8> plain;
  push_and_expect_error (drm, make_sample (spec, &plain), GST_STREAM_ERROR_DECRYPT_NOKEY, { hex (kKid1), dir });
  stop_drm (drm);
  g_autofree gchar *db = g_build_filename (dir, "drm.db", nullptr);
  fail_if (g_file_test (db, G_FILE_TEST_EXISTS), "the element created drm.db");
}
GST_END_TEST;

GST_START_TEST (test_damaged_key_record)
{
  /* A license whose entry was cut short (the store's only entry). */
  auto store = static_cast<TestMemoryStore *> (g_object_new (test_memory_store_get_type (), nullptr));
  save_key (GST_OFFLINE_DRM_STORE (store), kKid1, kKey1);
  fail_unless_equals_int (g_hash_table_size (store->entries), 1);
  GHashTableIter iter;
  gpointer name, value;
  g_hash_table_iter_init (&iter, store->entries);
  fail_unless (g_hash_table_iter_next (&iter, &name, &value));
  g_hash_table_iter_replace (&iter, g_bytes_new_from_bytes (static_cast<GBytes *> (value), 0, 20));
  Drm drm = start_drm (nullptr, GST_OFFLINE_DRM_STORE (store));
  SampleSpec spec;
  std::vector<guint8> plain;
  push_and_expect_error (drm, make_sample (spec, &plain), GST_STREAM_ERROR_DECRYPT,
      { hex (kKid1), kDownload, "TestMemoryStore" });
  stop_drm (drm);
  g_object_unref (store);
}
GST_END_TEST;

/* ---- Hostile metadata ----------------------------------------------------------- */

GST_START_TEST (test_hostile_subsamples_beyond_the_sample)
{
  SampleSpec spec;
  spec.subsamples = video_subsamples ();
  expect_hostile ([] (GstStructure *info) {
    guint8 table[12];
    GST_WRITE_UINT16_BE (table, 10);
    GST_WRITE_UINT32_BE (table + 2, 1000);
    GST_WRITE_UINT16_BE (table + 6, 0);
    GST_WRITE_UINT32_BE (table + 8, G_MAXUINT32);  /* would overflow a 32-bit sum */
    GstBuffer *buffer = wrap (table, sizeof table);
    gst_structure_set (info, "subsample_count", G_TYPE_UINT, 2u, "subsamples", GST_TYPE_BUFFER, buffer, nullptr);
    gst_buffer_unref (buffer);
  }, "subsamples cover", spec);
  spec.mode = "cbcs";
  expect_hostile ([] (GstStructure *info) {
    guint8 table[6];
    GST_WRITE_UINT16_BE (table, 65535);
    GST_WRITE_UINT32_BE (table + 2, 16);
    GstBuffer *buffer = wrap (table, sizeof table);
    gst_structure_set (info, "subsample_count", G_TYPE_UINT, 1u, "subsamples", GST_TYPE_BUFFER, buffer, nullptr);
    gst_buffer_unref (buffer);
  }, "subsamples cover", spec);
}
GST_END_TEST;

GST_START_TEST (test_hostile_subsample_table)
{
  SampleSpec spec;
  spec.subsamples = video_subsamples ();
  /* More subsamples announced than the table holds. */
  expect_hostile ([] (GstStructure *info) {
    gst_structure_set (info, "subsample_count", G_TYPE_UINT, 1000u, nullptr);
  }, "subsample table", spec);
  expect_hostile ([] (GstStructure *info) {
    gst_structure_set (info, "subsample_count", G_TYPE_UINT, 3u, nullptr);
    gst_structure_remove_field (info, "subsamples");
  }, "no subsample table");
}
GST_END_TEST;

GST_START_TEST (test_hostile_iv_sizes)
{
  expect_hostile ([] (GstStructure *info) {
    gst_structure_set (info, "iv_size", G_TYPE_UINT, 12u, nullptr);
  }, "IV size 12");
  expect_hostile ([] (GstStructure *info) {
    gst_structure_set (info, "iv_size", G_TYPE_UINT, 0u, nullptr);
  }, "IV size 0");
  expect_hostile ([] (GstStructure *info) {
    gst_structure_set (info, "iv_size", G_TYPE_UINT, 8u, nullptr);  /* the iv holds 16 */
  }, "not the 8 announced");
  expect_hostile ([] (GstStructure *info) {
    gst_structure_remove_field (info, "iv");
  }, "no IV");
  SampleSpec constant;
  constant.mode = "cbcs";
  constant.iv_size = 0;
  expect_hostile ([] (GstStructure *info) {
    gst_structure_set (info, "constant_iv_size", G_TYPE_UINT, 32u, nullptr);
  }, "IV size 32", constant);
  expect_hostile ([] (GstStructure *info) {
    gst_structure_remove_field (info, "constant_iv_size");
  }, "constant IV", constant);
}
GST_END_TEST;

GST_START_TEST (test_hostile_kid)
{
  expect_hostile ([] (GstStructure *info) {
    gst_structure_remove_field (info, "kid");
  }, "no key id");
  expect_hostile ([] (GstStructure *info) {
    GstBuffer *kid = gst_buffer_new_allocate (nullptr, 8, nullptr);
    gst_buffer_memset (kid, 0, 0xab, 8);
    gst_structure_set (info, "kid", GST_TYPE_BUFFER, kid, nullptr);
    gst_buffer_unref (kid);
  }, "key id has 8 bytes");
  expect_hostile ([] (GstStructure *info) {
    gst_structure_set (info, "kid", G_TYPE_STRING, "1077efecc0b24d02ace33c1e52e2fb01", nullptr);
  }, "no key id");
}
GST_END_TEST;

GST_START_TEST (test_hostile_cipher_mode_and_pattern)
{
  expect_hostile ([] (GstStructure *info) {
    gst_structure_set (info, "cipher-mode", G_TYPE_STRING, "cbc1", nullptr);
  }, "unknown cipher mode 'cbc1'");
  SampleSpec cbcs;
  cbcs.mode = "cbcs";
  expect_hostile ([] (GstStructure *info) {
    gst_structure_set (info, "crypt_byte_block", G_TYPE_UINT, 0u, "skip_byte_block", G_TYPE_UINT, 9u, nullptr);
  }, "invalid encryption pattern 0:9", cbcs);
  expect_hostile ([] (GstStructure *info) {
    gst_structure_set (info, "crypt_byte_block", G_TYPE_UINT, 1u, "skip_byte_block", G_TYPE_UINT, 1000u, nullptr);
  }, "invalid encryption pattern", cbcs);
  expect_hostile ([] (GstStructure *info) {
    gst_structure_remove_field (info, "encrypted");
  }, "'encrypted' flag");
  expect_hostile ([] (GstStructure *info) {
    gst_structure_set_name (info, "application/x-aes128-cbc");
  }, "unsupported kind");
}
GST_END_TEST;

/* ---- Stores -------------------------------------------------------------------- */

GST_START_TEST (test_custom_store_by_property)
{
  auto store = static_cast<TestMemoryStore *> (g_object_new (test_memory_store_get_type (), nullptr));
  save_key (GST_OFFLINE_DRM_STORE (store), kKid2, kKey2);
  store->loads = 0;

  /* cache-dir points at a directory without keys: the store wins. */
  g_autofree gchar *empty_dir = ot_make_temp_dir ("custom-store");
  Drm drm = start_drm (empty_dir, GST_OFFLINE_DRM_STORE (store));
  for (guint i = 0; i < 5; i++) {
    SampleSpec spec;
    spec.kid = kKid2;
    spec.key = kKey2;
    spec.seed = 10 + i;
    spec.subsamples = video_subsamples ();
    std::vector<guint8> plain;
    push_and_expect (drm, make_sample (spec, &plain), plain);
  }
  /* Keys are looked up once per KID. */
  fail_unless_equals_int (store->loads, 1);

  SampleSpec other;
  std::vector<guint8> plain;
  push_and_expect_error (drm, make_sample (other, &plain), GST_STREAM_ERROR_DECRYPT_NOKEY,
      { hex (kKid1), "TestMemoryStore" });
  stop_drm (drm);
  g_object_unref (store);
}
GST_END_TEST;

GST_START_TEST (test_sqlite_store_save_load_remove)
{
  g_autofree gchar *dir = ot_make_temp_dir ("store");
  g_autoptr (GError) error = nullptr;
  g_autoptr (GstOfflineSqliteDrmStore) sqlite_store = gst_offline_sqlite_drm_store_new (dir, &error);
  fail_unless (sqlite_store != nullptr, "%s", error ? error->message : "");
  GstOfflineDrmStore *store = GST_OFFLINE_DRM_STORE (sqlite_store);
  g_autofree gchar *path = g_build_filename (dir, "drm.db", nullptr);
  fail_unless_equals_string (gst_offline_sqlite_drm_store_get_path (sqlite_store), path);

  GBytes *missing = gst_offline_drm_store_load (store, "kid:none", &error);
  fail_unless (missing == nullptr);
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND));
  g_clear_error (&error);

  g_autoptr (GBytes) value = g_bytes_new_static ("\0secret\xff", 8);
  fail_unless (gst_offline_drm_store_save (store, "a", value, &error));
  g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);
  fail_unless (gst_offline_drm_store_save (store, "empty", empty, &error));
  {
    g_autoptr (GBytes) loaded = gst_offline_drm_store_load (store, "a", &error);
    fail_unless (loaded && g_bytes_equal (loaded, value));
    g_autoptr (GBytes) loaded_empty = gst_offline_drm_store_load (store, "empty", &error);
    fail_unless (loaded_empty && g_bytes_get_size (loaded_empty) == 0, "%s", error ? error->message : "");
  }
  /* Replacing, seen by another connection (another process would see the same). */
  g_autoptr (GBytes) replacement = g_bytes_new_static ("new", 3);
  fail_unless (gst_offline_drm_store_save (store, "a", replacement, &error));
  {
    g_autoptr (GstOfflineSqliteDrmStore) other = gst_offline_sqlite_drm_store_new (dir, &error);
    g_autoptr (GBytes) loaded = gst_offline_drm_store_load (GST_OFFLINE_DRM_STORE (other), "a", &error);
    fail_unless (loaded && g_bytes_equal (loaded, replacement));
  }
  fail_unless (gst_offline_drm_store_remove (store, "a", &error));
  fail_unless (gst_offline_drm_store_remove (store, "a", &error), "removing twice is not an error");
  fail_unless (gst_offline_drm_store_load (store, "a", &error) == nullptr);
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND));
}
GST_END_TEST;

GST_START_TEST (test_sqlite_store_newer_schema_is_refused)
{
  g_autofree gchar *dir = ot_make_temp_dir ("store-newer");
  g_autoptr (GError) error = nullptr;
  {
    g_autoptr (GstOfflineSqliteDrmStore) store = gst_offline_sqlite_drm_store_new (dir, &error);
    fail_unless (store != nullptr);
  }
  g_autofree gchar *path = g_build_filename (dir, "drm.db", nullptr);
  sqlite3 *db = nullptr;
  fail_unless (sqlite3_open (path, &db) == SQLITE_OK);
  fail_unless (sqlite3_exec (db, "PRAGMA user_version=99", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close (db);
  GstOfflineSqliteDrmStore *store = gst_offline_sqlite_drm_store_new (dir, &error);
  fail_unless (store == nullptr);
  fail_unless (strstr (error->message, "newer") != nullptr, "%s", error->message);
}
GST_END_TEST;

GST_START_TEST (test_sqlite_store_file_is_private)
{
  /* Whatever the umask, drm.db and its WAL files are 0600, and a looser
   * mode found on an existing file is tightened. */
  mode_t old_umask = umask (0);
  g_autofree gchar *dir = ot_make_temp_dir ("private");
  g_autofree gchar *path = g_build_filename (dir, "drm.db", nullptr);
  {
    g_autoptr (GError) error = nullptr;
    g_autoptr (GstOfflineSqliteDrmStore) store = gst_offline_sqlite_drm_store_new (dir, &error);
    fail_unless (store != nullptr, "%s", error ? error->message : "");
    save_key (GST_OFFLINE_DRM_STORE (store), kKid1, kKey1);
    for (const gchar *suffix : { "", "-wal", "-shm" }) {
      std::string file = std::string (path) + suffix;
      struct stat st;
      fail_unless (stat (file.c_str (), &st) == 0, "no %s", file.c_str ());
      fail_unless ((st.st_mode & 07777) == 0600, "%s has mode 0%o", file.c_str (), st.st_mode & 07777);
    }
  }
  fail_unless (g_chmod (path, 0644) == 0);
  {
    g_autoptr (GError) error = nullptr;
    g_autoptr (GstOfflineSqliteDrmStore) store = gst_offline_sqlite_drm_store_new (dir, &error);
    fail_unless (store != nullptr, "%s", error ? error->message : "");
    struct stat st;
    fail_unless (stat (path, &st) == 0);
    fail_unless ((st.st_mode & 07777) == 0600, "mode 0%o", st.st_mode & 07777);
  }
  /* A new data directory is made owner-only too. */
  g_autofree gchar *nested = g_build_filename (dir, "new", "data", nullptr);
  {
    g_autoptr (GError) error = nullptr;
    g_autoptr (GstOfflineSqliteDrmStore) store = gst_offline_sqlite_drm_store_new (nested, &error);
    fail_unless (store != nullptr);
    struct stat st;
    fail_unless (stat (nested, &st) == 0);
    fail_unless ((st.st_mode & 0077) == 0, "data dir mode 0%o", st.st_mode & 07777);
  }
  umask (old_umask);
}
GST_END_TEST;

/* ---- Keys never reach the log ---------------------------------------------------- */

static void
collect_log (GstDebugCategory *category, GstDebugLevel, const gchar *file, const gchar *function, gint,
    GObject *, GstDebugMessage *message, gpointer user_data)
{
  auto *text = static_cast<GString *> (user_data);
  g_string_append_printf (text, "%s %s %s %s\n", gst_debug_category_get_name (category), file, function,
      gst_debug_message_get (message));
}

static void
collect_glib_log (const gchar *domain, GLogLevelFlags, const gchar *message, gpointer user_data)
{
  g_string_append_printf (static_cast<GString *> (user_data), "%s %s\n", domain ? domain : "", message);
}

GST_START_TEST (test_keys_are_never_logged)
{
  GString *log = g_string_new (nullptr);
  gst_debug_remove_log_function (gst_debug_log_default);
  gst_debug_add_log_function (collect_log, log, nullptr);
  guint glib_handler = g_log_set_handler (nullptr, static_cast<GLogLevelFlags> (G_LOG_LEVEL_MASK), collect_glib_log, log);
  guint offline_handler = g_log_set_handler ("GstOffline", static_cast<GLogLevelFlags> (G_LOG_LEVEL_MASK),
      collect_glib_log, log);
  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  gst_debug_set_active (TRUE);
  gst_debug_set_threshold_from_string ("*:9", TRUE);

  /* Save the keys, play a stream with both, then fail on a missing one. */
  g_autofree gchar *dir = make_data_dir_with_keys ("no-log");
  Drm drm = start_drm (dir);
  for (guint i = 0; i < 4; i++) {
    SampleSpec spec;
    spec.seed = i;
    spec.mode = i % 2 ? "cbcs" : "cenc";
    spec.subsamples = video_subsamples ();
    if (i >= 2) {
      spec.kid = kKid2;
      spec.key = kKey2;
    }
    std::vector<guint8> plain;
    push_and_expect (drm, make_sample (spec, &plain), plain);
  }
  SampleSpec missing;
  missing.kid[0] ^= 0xff;
  std::vector<guint8> plain;
  push_and_expect_error (drm, make_sample (missing, &plain), GST_STREAM_ERROR_DECRYPT_NOKEY, {});
  stop_drm (drm);

  gst_debug_set_threshold_from_string ("*:2", TRUE);
  gst_debug_remove_log_function (collect_log);
  g_log_remove_handler (nullptr, glib_handler);
  g_log_remove_handler ("GstOffline", offline_handler);

  /* The log did capture the run (the KID is no secret). */
  fail_unless (strstr (log->str, hex (kKid1).c_str ()) != nullptr, "the log missed the run");
  fail_unless (log->len > 10000, "only %" G_GSIZE_FORMAT " bytes of log", log->len);
  g_autofree gchar *lower_log = g_ascii_strdown (log->str, -1);
  for (const Block &key : { kKey1, kKey2 }) {
    g_autofree gchar *base64 = g_base64_encode (key.data (), key.size ());
    std::string base64url = b64url (key);
    fail_unless (strstr (lower_log, hex (key).c_str ()) == nullptr, "a key's hex is in the log");
    fail_unless (strstr (log->str, base64url.substr (0, 20).c_str ()) == nullptr, "a key's base64url is in the log");
    fail_unless (strstr (log->str, std::string (base64).substr (0, 20).c_str ()) == nullptr,
        "a key's base64 is in the log");
    /* Nor as spaced hex bytes (a memory dump). */
    gchar spaced[8];
    g_snprintf (spaced, sizeof spaced, "%02x %02x %02x", key[0], key[1], key[2]);
    std::string dump = spaced;
    g_snprintf (spaced, sizeof spaced, " %02x %02x", key[3], key[4]);
    dump += spaced;
    fail_unless (strstr (lower_log, dump.c_str ()) == nullptr, "a key's bytes are dumped in the log");
  }
  g_string_free (log, TRUE);
}
GST_END_TEST;

/* ---- Auto-plugging ------------------------------------------------------------------ */

GST_START_TEST (test_registry_offers_offlinedrm_for_clearkey)
{
  for (const gchar *system : { kClearKeySystem, kDashIfClearKeySystem }) {
    const gchar *systems[] = { "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed", system, nullptr };
    const gchar *chosen = gst_protection_select_system (systems);
    fail_unless_equals_string (chosen, system);

    g_autofree gchar *caps_text = g_strdup_printf (
        "application/x-cenc, original-media-type=(string)video/x-h264, protection-system=(string)%s, "
        "cipher-mode=(string)cenc", system);
    GstCaps *caps = gst_caps_from_string (caps_text);
    GList *decryptors = gst_element_factory_list_get_elements (GST_ELEMENT_FACTORY_TYPE_DECODABLE, GST_RANK_MARGINAL);
    GList *usable = gst_element_factory_list_filter (decryptors, caps, GST_PAD_SINK, FALSE);
    bool found = false;
    for (GList *l = usable; l; l = l->next) {
      GstElementFactory *factory = GST_ELEMENT_FACTORY (l->data);
      if (g_str_equal (GST_OBJECT_NAME (factory), "offlinedrm")) {
        found = true;
        fail_unless_equals_string (gst_element_factory_get_metadata (factory, GST_ELEMENT_METADATA_KLASS),
            GST_ELEMENT_FACTORY_KLASS_DECRYPTOR);
      }
    }
    fail_unless (found, "offlinedrm is not offered for %s", caps_text);
    gst_plugin_feature_list_free (usable);
    gst_plugin_feature_list_free (decryptors);
    gst_caps_unref (caps);
  }
}
GST_END_TEST;

GST_START_TEST (test_caps_transform)
{
  GstElement *element = gst_element_factory_make ("offlinedrm", nullptr);
  GstPad *sink = gst_element_get_static_pad (element, "sink");
  GstPad *src = gst_element_get_static_pad (element, "src");
  GstHarness *h = gst_harness_new_with_element (element, "sink", "src");

  /* Downstream's caps, as upstream sees them: x-cenc with the original type
   * and the codec fields, and a structure without protection-system. */
  gst_harness_set_sink_caps_str (h, "video/x-h264, stream-format=(string)avc");
  GstCaps *upstream = gst_pad_query_caps (sink, nullptr);
  GST_INFO ("sink caps %" GST_PTR_FORMAT, upstream);
  bool without_system = false;
  for (guint i = 0; i < gst_caps_get_size (upstream); i++) {
    GstStructure *s = gst_caps_get_structure (upstream, i);
    fail_unless (gst_structure_has_name (s, "application/x-cenc"));
    fail_unless_equals_string (gst_structure_get_string (s, "original-media-type"), "video/x-h264");
    fail_unless_equals_string (gst_structure_get_string (s, "stream-format"), "avc");
    without_system |= !gst_structure_has_field (s, "protection-system");
  }
  fail_unless (without_system, "content naming no system would not match: %" GST_PTR_FORMAT, upstream);
  gst_caps_unref (upstream);

  /* Encrypted caps in: the original media out, without the cenc fields. */
  gst_harness_set_src_caps_str (h, kEncryptedCaps);
  gst_harness_play (h);
  GstCaps *current = gst_pad_get_current_caps (src);
  fail_unless (current != nullptr);
  GstCaps *expected = gst_caps_from_string ("video/x-h264, stream-format=(string)avc");
  fail_unless (gst_caps_is_equal (current, expected), "src caps %" GST_PTR_FORMAT, current);
  gst_caps_unref (current);
  gst_caps_unref (expected);

  gst_harness_teardown (h);
  gst_object_unref (sink);
  gst_object_unref (src);
  gst_object_unref (element);
}
GST_END_TEST;

struct Autoplug {
  GstOfflineDrmStore *store;
  GstElement *appsink;
  gboolean plugged;
};

static void
on_deep_element_added (GstBin *, GstBin *, GstElement *element, gpointer user_data)
{
  auto *autoplug = static_cast<Autoplug *> (user_data);
  GstElementFactory *factory = gst_element_get_factory (element);
  if (factory && g_str_equal (GST_OBJECT_NAME (factory), "offlinedrm")) {
    /* appsrc plays no offline:// URI: say which download it is. */
    g_object_set (element, "download-id", kDownload, nullptr);
    autoplug->plugged = TRUE;
  }
}

static void
on_pad_added (GstElement *, GstPad *pad, gpointer user_data)
{
  auto *autoplug = static_cast<Autoplug *> (user_data);
  GstPad *sink = gst_element_get_static_pad (autoplug->appsink, "sink");
  fail_unless_equals_int (gst_pad_link (pad, sink), GST_PAD_LINK_OK);
  gst_object_unref (sink);
}

GST_START_TEST (test_decodebin_plugs_offlinedrm)
{
  auto store = static_cast<TestMemoryStore *> (g_object_new (test_memory_store_get_type (), nullptr));
  save_key (GST_OFFLINE_DRM_STORE (store), kKid1, kKey1);

  GstElement *pipeline = gst_pipeline_new (nullptr);
  GstElement *appsrc = gst_element_factory_make ("appsrc", nullptr);
  GstElement *decodebin = gst_element_factory_make ("decodebin", nullptr);
  GstElement *appsink = gst_element_factory_make ("appsink", nullptr);
  fail_unless (appsrc && decodebin && appsink);
  /* A media type no decoder takes, so decodebin stops right after the
   * decryptor and its output can be compared. */
  g_autofree gchar *caps_text = g_strdup_printf ("application/x-cenc, original-media-type=(string)application/x-ot-test, "
      "protection-system=(string)%s, cipher-mode=(string)cenc", kClearKeySystem);
  GstCaps *caps = gst_caps_from_string (caps_text);
  g_object_set (appsrc, "caps", caps, "format", GST_FORMAT_TIME, nullptr);
  gst_caps_unref (caps);
  GstCaps *final_caps = gst_caps_from_string ("application/x-ot-test");
  g_object_set (decodebin, "caps", final_caps, nullptr);
  gst_caps_unref (final_caps);
  g_object_set (appsink, "sync", FALSE, nullptr);
  gst_bin_add_many (GST_BIN (pipeline), appsrc, decodebin, appsink, nullptr);
  fail_unless (gst_element_link (appsrc, decodebin));

  /* How an application gives its own store to the auto-plugged element:
   * the pipeline's DRM store context. */
  GstContext *context = gst_offline_drm_store_context_new (GST_OFFLINE_DRM_STORE (store));
  gst_element_set_context (pipeline, context);
  gst_context_unref (context);
  Autoplug autoplug { GST_OFFLINE_DRM_STORE (store), appsink, FALSE };
  g_signal_connect (pipeline, "deep-element-added", G_CALLBACK (on_deep_element_added), &autoplug);
  g_signal_connect (decodebin, "pad-added", G_CALLBACK (on_pad_added), &autoplug);

  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  std::vector<std::vector<guint8>> plains;
  for (guint i = 0; i < 3; i++) {
    SampleSpec spec;
    spec.seed = 50 + i;
    spec.subsamples = video_subsamples ();
    plains.emplace_back ();
    GstBuffer *sample = make_sample (spec, &plains.back ());
    GST_BUFFER_PTS (sample) = i * GST_SECOND;
    fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (appsrc), sample), GST_FLOW_OK);
  }
  gst_app_src_end_of_stream (GST_APP_SRC (appsrc));

  for (const auto &plain : plains) {
    GstSample *sample = gst_app_sink_try_pull_sample (GST_APP_SINK (appsink), 10 * GST_SECOND);
    if (!sample) {
      GstBus *bus = gst_element_get_bus (pipeline);
      GstMessage *error = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
      GError *err = nullptr;
      if (error)
        gst_message_parse_error (error, &err, nullptr);
      fail ("no decrypted sample from decodebin: %s", err ? err->message : "no error either");
    }
    GstBuffer *buffer = gst_sample_get_buffer (sample);
    fail_unless (gst_buffer_get_protection_meta (buffer) == nullptr);
    fail_unless (gst_buffer_memcmp (buffer, 0, plain.data (), plain.size ()) == 0, "not the plaintext");
    gst_sample_unref (sample);
  }
  fail_unless (autoplug.plugged, "decodebin did not plug offlinedrm");

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  g_object_unref (store);
}
GST_END_TEST;

static Suite *
offlinedrm_suite (void)
{
  Suite *s = suite_create ("offlinedrm");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_cenc_full_sample_16_byte_iv);
  tcase_add_test (tc, test_cenc_full_sample_8_byte_iv);
  tcase_add_test (tc, test_cenc_subsamples);
  tcase_add_test (tc, test_cbcs_pattern_1_9_subsamples);
  tcase_add_test (tc, test_cbcs_pattern_1_9_full_sample);
  tcase_add_test (tc, test_cbcs_pattern_0_0_full_sample);
  tcase_add_test (tc, test_cbcs_pattern_0_0_subsamples);
  tcase_add_test (tc, test_cbcs_constant_iv);
  tcase_add_test (tc, test_stream_of_samples_with_two_keys_and_clear_ones);
  tcase_add_test (tc, test_stream_of_cbcs_samples_keeps_each_range_independent);
  tcase_add_test (tc, test_missing_key_names_kid_and_data_dir);
  tcase_add_test (tc, test_no_store_names_kid_and_data_dir);
  tcase_add_test (tc, test_damaged_key_record);
  tcase_add_test (tc, test_hostile_subsamples_beyond_the_sample);
  tcase_add_test (tc, test_hostile_subsample_table);
  tcase_add_test (tc, test_hostile_iv_sizes);
  tcase_add_test (tc, test_hostile_kid);
  tcase_add_test (tc, test_hostile_cipher_mode_and_pattern);
  tcase_add_test (tc, test_custom_store_by_property);
  tcase_add_test (tc, test_sqlite_store_save_load_remove);
  tcase_add_test (tc, test_sqlite_store_newer_schema_is_refused);
  tcase_add_test (tc, test_sqlite_store_file_is_private);
  tcase_add_test (tc, test_keys_are_never_logged);
  tcase_add_test (tc, test_registry_offers_offlinedrm_for_clearkey);
  tcase_add_test (tc, test_caps_transform);
  tcase_add_test (tc, test_decodebin_plugs_offlinedrm);
  return s;
}

GST_CHECK_MAIN (offlinedrm);
