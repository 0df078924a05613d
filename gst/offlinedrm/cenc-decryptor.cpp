/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "offlinedrm/cenc-decryptor.h"

#include <openssl/crypto.h>
#include <openssl/err.h>

#include <algorithm>
#include <climits>

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

bool update (EVP_CIPHER_CTX *ctx, guint8 *data, gsize size, std::string *why)
{
  while (size > 0) {
    int chunk = static_cast<int> (std::min (size, kMaxChunk));
    int written = 0;
    if (EVP_DecryptUpdate (ctx, data, &written, data, chunk) != 1 || written != chunk) {
      *why = openssl_error ("AES decryption");
      return false;
    }
    data += chunk;
    size -= chunk;
  }
  return true;
}

bool restart (EVP_CIPHER_CTX *ctx, const std::array<guint8, 16> &iv, std::string *why)
{
  /* Same cipher and key: only the IV (and CTR's keystream position) reset. */
  if (EVP_DecryptInit_ex (ctx, nullptr, nullptr, nullptr, iv.data ()) != 1) {
    *why = openssl_error ("IV setup");
    return false;
  }
  return true;
}

}  // namespace

CencDecryptor::CencDecryptor () = default;

CencDecryptor::~CencDecryptor ()
{
  /* EVP_CIPHER_CTX_free clears the key schedule. */
  EVP_CIPHER_CTX_free (ctr_.ctx);
  EVP_CIPHER_CTX_free (cbc_.ctx);
  if (ctr_.key)
    OPENSSL_cleanse (ctr_.key->data (), ctr_.key->size ());
  if (cbc_.key)
    OPENSSL_cleanse (cbc_.key->data (), cbc_.key->size ());
}

EVP_CIPHER_CTX *CencDecryptor::context_for (CipherMode mode, const ContentKey &key, std::string *why)
{
  Context &context = mode == CipherMode::Cenc ? ctr_ : cbc_;
  if (context.ctx && context.key && *context.key == key)
    return context.ctx;

  if (!context.ctx) {
    context.ctx = EVP_CIPHER_CTX_new ();
    if (!context.ctx) {
      *why = openssl_error ("context allocation");
      return nullptr;
    }
  }
  const EVP_CIPHER *cipher = mode == CipherMode::Cenc ? EVP_aes_128_ctr () : EVP_aes_128_cbc ();
  context.key.reset ();
  if (EVP_DecryptInit_ex (context.ctx, cipher, nullptr, key.data (), nullptr) != 1) {
    *why = openssl_error ("key setup");
    return nullptr;
  }
  /* cbcs leaves partial blocks clear: never any padding. */
  EVP_CIPHER_CTX_set_padding (context.ctx, 0);
  context.key = key;
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
  return decrypt_cbcs (ctx, info, data, size, why);
}

/* One CTR keystream runs across all the encrypted ranges of the sample. */
bool CencDecryptor::decrypt_cenc (EVP_CIPHER_CTX *ctx, const SampleEncryption &info, guint8 *data, gsize size,
    std::string *why)
{
  if (!restart (ctx, info.iv, why))
    return false;
  if (info.subsamples.empty ())
    return update (ctx, data, size, why);

  gsize offset = 0;
  for (const Subsample &sub : info.subsamples) {
    offset += sub.clear;
    if (!update (ctx, data + offset, sub.encrypted, why))
      return false;
    offset += sub.encrypted;
  }
  return true;
}

/* The IV restarts at every subsample; within one, the CBC chain runs over the
 * encrypted blocks of the pattern only, and a trailing partial block is
 * clear. */
bool CencDecryptor::decrypt_cbcs (EVP_CIPHER_CTX *ctx, const SampleEncryption &info, guint8 *data, gsize size,
    std::string *why)
{
  auto decrypt_range = [&] (guint8 *range, gsize length) {
    if (!restart (ctx, info.iv, why))
      return false;
    gsize whole = length - length % kBlockSize;
    if (info.skip_blocks == 0)  /* 0:0 or N:0: every whole block */
      return update (ctx, range, whole, why);
    const gsize crypt = info.crypt_blocks * kBlockSize;
    const gsize stride = crypt + info.skip_blocks * kBlockSize;
    for (gsize pos = 0; pos < whole; pos += stride) {
      if (!update (ctx, range + pos, std::min (crypt, whole - pos), why))
        return false;
    }
    return true;
  };

  if (info.subsamples.empty ())
    return decrypt_range (data, size);

  gsize offset = 0;
  for (const Subsample &sub : info.subsamples) {
    offset += sub.clear;
    if (sub.encrypted > 0 && !decrypt_range (data + offset, sub.encrypted))
      return false;
    offset += sub.encrypted;
  }
  return true;
}

}  // namespace gst_offline
