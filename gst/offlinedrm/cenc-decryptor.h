/* Decrypts Common Encryption samples in place with OpenSSL's EVP (AES-NI
 * where the CPU has it): cenc (AES-128-CTR) and cbcs (AES-128-CBC with a
 * crypt:skip pattern).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "offlinedrm/sample-encryption.h"

#include <openssl/evp.h>

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace gst_offline {

class CencDecryptor {
 public:
  CencDecryptor ();
  ~CencDecryptor ();
  CencDecryptor (const CencDecryptor &) = delete;
  CencDecryptor &operator= (const CencDecryptor &) = delete;

  /* Decrypts `data` (the whole sample, `size` bytes) as `info` says, with
   * `key`; `info` must come from parse_sample_encryption() for this size.
   * On failure (an OpenSSL error) says why in `why`. */
  bool decrypt (const SampleEncryption &info, const ContentKey &key, guint8 *data, gsize size, std::string *why);

 private:
  using Block = std::array<guint8, 16>;
  struct Context {
    EVP_CIPHER *cipher = nullptr;
    EVP_CIPHER_CTX *ctx = nullptr;
    std::optional<ContentKey> key;
  };

  /* Prepares the context of `mode` for `key`, keeping the key schedule
   * while the key stays the same. */
  EVP_CIPHER_CTX *context_for (CipherMode mode, const ContentKey &key, std::string *why);
  bool decrypt_cenc (EVP_CIPHER_CTX *ctx, const SampleEncryption &info, guint8 *data, gsize size, std::string *why);
  bool decrypt_cbcs (EVP_CIPHER_CTX *ctx, const SampleEncryption &info, guint8 *data, gsize size, std::string *why);
  bool decrypt_cbcs_pattern (EVP_CIPHER_CTX *ctx, const SampleEncryption &info, guint8 *data, gsize size,
      std::string *why);

  Context ctr_;
  Context cbc_;
  /* The CBC context's chain value: the last ciphertext block it decrypted
   * (zero after a key change). cbcs restarts the IV at every subsample; rather
   * than resetting the context (costly in OpenSSL 3), each range's first
   * plaintext block is corrected by chain ^ IV. */
  Block cbc_chain_ {};
  /* cbcs patterns: the encrypted blocks of a sample, gathered so that one
   * EVP call decrypts them, and their plaintext. Reused between samples. */
  std::vector<guint8> gathered_;
  std::vector<guint8> plain_;
  std::vector<gsize> range_starts_;
};

}  // namespace gst_offline
