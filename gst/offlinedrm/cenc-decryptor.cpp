/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "offlinedrm/cenc-decryptor.h"

#include <openssl/crypto.h>
#include <openssl/err.h>

#include <algorithm>
#include <cstring>

namespace gst_offline {

namespace {

constexpr gsize kBlockSize = 16;
/* EVP takes int lengths: longer ranges go in chunks of a whole number of
 * blocks (both modes keep their state between calls). */
constexpr gsize kMaxChunk = gsize (1) << 30;

std::string openssl_error (const char *what)
{
  char text[256];
  unsigned long code = ERR_get_error ();
  ERR_clear_error ();
  if (!code)
    return std::string ("OpenSSL ") + what + " failed";
  ERR_error_string_n (code, text, sizeof (text));
  return std::string ("OpenSSL ") + what + " failed: " + text;
}

bool update (EVP_CIPHER_CTX *ctx, const guint8 *in, guint8 *out, gsize size, std::string *why)
{
  while (size > 0) {
    int chunk = static_cast<int> (std::min (size, kMaxChunk));
    int written = 0;
    if (EVP_DecryptUpdate (ctx, out, &written, in, chunk) != 1 || written != chunk) {
      *why = openssl_error ("AES decryption");
      return false;
    }
    in += chunk;
    out += chunk;
    size -= chunk;
  }
  return true;
}

/* Calls `fn (range, length)` for every encrypted range of the sample, in
 * order; stops at the first that returns false. */
template <typename Fn>
bool for_each_range (const SampleEncryption &info, guint8 *data, gsize size, Fn fn)
{
  if (info.subsamples.empty ())
    return fn (data, size);
  gsize offset = 0;
  for (const Subsample &sub : info.subsamples) {
    offset += sub.clear;
    if (sub.encrypted > 0 && !fn (data + offset, gsize (sub.encrypted)))
      return false;
    offset += sub.encrypted;
  }
  return true;
}

/* `block` ^= a ^ b, 16 bytes. */
void xor_block (guint8 *block, const guint8 *a, const guint8 *b)
{
  for (gsize i = 0; i < kBlockSize; i++)
    block[i] ^= a[i] ^ b[i];
}

EVP_CIPHER *fetch_cipher (const char *name)
{
  /* Fetched once: an implicit fetch at every key setup costs more than a
   * sample's decryption. */
  return EVP_CIPHER_fetch (nullptr, name, nullptr);
}

}  // namespace

CencDecryptor::CencDecryptor ()
{
  ctr_.cipher = fetch_cipher ("AES-128-CTR");
  cbc_.cipher = fetch_cipher ("AES-128-CBC");
}

CencDecryptor::~CencDecryptor ()
{
  /* EVP_CIPHER_CTX_free clears the key schedule. */
  for (Context *context : { &ctr_, &cbc_ }) {
    EVP_CIPHER_CTX_free (context->ctx);
    EVP_CIPHER_free (context->cipher);
    if (context->key)
      OPENSSL_cleanse (context->key->data (), context->key->size ());
  }
}

EVP_CIPHER_CTX *CencDecryptor::context_for (CipherMode mode, const ContentKey &key, std::string *why)
{
  Context &context = mode == CipherMode::Cenc ? ctr_ : cbc_;
  if (context.ctx && context.key && *context.key == key)
    return context.ctx;

  if (!context.cipher) {
    *why = openssl_error (mode == CipherMode::Cenc ? "AES-128-CTR lookup" : "AES-128-CBC lookup");
    return nullptr;
  }
  if (!context.ctx) {
    context.ctx = EVP_CIPHER_CTX_new ();
    if (!context.ctx) {
      *why = openssl_error ("context allocation");
      return nullptr;
    }
  }
  context.key.reset ();
  const Block zero_iv {};
  if (EVP_DecryptInit_ex (context.ctx, context.cipher, nullptr, key.data (), zero_iv.data ()) != 1) {
    *why = openssl_error ("key setup");
    return nullptr;
  }
  /* cbcs leaves partial blocks clear: never any padding. */
  EVP_CIPHER_CTX_set_padding (context.ctx, 0);
  context.key = key;
  if (mode == CipherMode::Cbcs)
    cbc_chain_ = zero_iv;
  return context.ctx;
}

bool CencDecryptor::decrypt (const SampleEncryption &info, const ContentKey &key, guint8 *data, gsize size,
    std::string *why)
{
  EVP_CIPHER_CTX *ctx = context_for (info.mode, key, why);
  if (!ctx)
    return false;
  if (info.mode == CipherMode::Cenc)
    return decrypt_cenc (ctx, info, data, size, why);
  if (info.skip_blocks == 0)
    return decrypt_cbcs (ctx, info, data, size, why);
  return decrypt_cbcs_pattern (ctx, info, data, size, why);
}

/* One CTR keystream runs across all the encrypted ranges of the sample. */
bool CencDecryptor::decrypt_cenc (EVP_CIPHER_CTX *ctx, const SampleEncryption &info, guint8 *data, gsize size,
    std::string *why)
{
  /* Same cipher and key: only the counter block resets. */
  if (EVP_DecryptInit_ex (ctx, nullptr, nullptr, nullptr, info.iv.data ()) != 1) {
    *why = openssl_error ("IV setup");
    return false;
  }
  return for_each_range (info, data, size,
      [&] (guint8 *range, gsize length) { return update (ctx, range, range, length, why); });
}

/* cbcs without a skip (0:0 or N:0): every whole block of a range, in place;
 * a trailing partial block is clear. The IV restarts at every range. */
bool CencDecryptor::decrypt_cbcs (EVP_CIPHER_CTX *ctx, const SampleEncryption &info, guint8 *data, gsize size,
    std::string *why)
{
  return for_each_range (info, data, size, [&] (guint8 *range, gsize length) {
    gsize whole = length - length % kBlockSize;
    if (whole == 0)
      return true;
    Block last;
    memcpy (last.data (), range + whole - kBlockSize, kBlockSize);
    if (!update (ctx, range, range, whole, why))
      return false;
    xor_block (range, cbc_chain_.data (), info.iv.data ());
    cbc_chain_ = last;
    return true;
  });
}

/* cbcs with a crypt:skip pattern: the CBC chain runs over the pattern's
 * encrypted blocks only, so they are gathered, decrypted in one EVP call
 * (instead of one per crypt run: 400 for a 64 KiB 1:9 sample), and put back. */
bool CencDecryptor::decrypt_cbcs_pattern (EVP_CIPHER_CTX *ctx, const SampleEncryption &info, guint8 *data,
    gsize size, std::string *why)
{
  const gsize crypt = info.crypt_blocks * kBlockSize;
  const gsize stride = crypt + info.skip_blocks * kBlockSize;
  if (gathered_.size () < size)
    gathered_.resize (size);
  gsize total = 0;
  range_starts_.clear ();
  for_each_range (info, data, size, [&] (guint8 *range, gsize length) {
    gsize whole = length - length % kBlockSize;
    if (whole > 0)
      range_starts_.push_back (total);
    for (gsize pos = 0; pos < whole; pos += stride) {
      gsize n = std::min (crypt, whole - pos);
      memcpy (gathered_.data () + total, range + pos, n);
      total += n;
    }
    return true;
  });
  if (total == 0)
    return true;

  if (plain_.size () < total)
    plain_.resize (total);
  if (!update (ctx, gathered_.data (), plain_.data (), total, why))
    return false;
  /* Each range started from the IV, not from the block before it. */
  for (gsize k = 0; k < range_starts_.size (); k++) {
    gsize start = range_starts_[k];
    const guint8 *chain = k == 0 ? cbc_chain_.data () : gathered_.data () + start - kBlockSize;
    xor_block (plain_.data () + start, chain, info.iv.data ());
  }
  memcpy (cbc_chain_.data (), gathered_.data () + total - kBlockSize, kBlockSize);

  const guint8 *from = plain_.data ();
  return for_each_range (info, data, size, [&] (guint8 *range, gsize length) {
    gsize whole = length - length % kBlockSize;
    for (gsize pos = 0; pos < whole; pos += stride) {
      gsize n = std::min (crypt, whole - pos);
      memcpy (range + pos, from, n);
      from += n;
    }
    return true;
  });
}

}  // namespace gst_offline
