/* The Common Encryption parameters of one sample, read from the
 * GstProtectionMeta qtdemux attaches (an `application/x-cenc` structure).
 * Pure: a structure and a sample size in, a checked model out.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "offlinedrm/key-types.h"

#include <gst/gst.h>

#include <array>
#include <string>
#include <vector>

namespace gst_offline {

enum class CipherMode { Cenc, Cbcs };

/* A run of `clear` clear bytes followed by `encrypted` encrypted bytes. */
struct Subsample {
  guint32 clear;
  guint32 encrypted;
};

struct SampleEncryption {
  bool encrypted = false;
  CipherMode mode = CipherMode::Cenc;
  KeyId kid {};
  /* The IV as a 16-byte block: 8-byte IVs are followed by 8 zero bytes. */
  std::array<guint8, 16> iv {};
  guint iv_size = 0;
  /* Empty: the whole sample is one encrypted range. Their sizes never add
   * up to more than the sample. */
  std::vector<Subsample> subsamples;
  /* cbcs pattern in 16-byte blocks; 0:0 means every whole block. */
  guint crypt_blocks = 0;
  guint skip_blocks = 0;
};

/* Reads `info` for a sample of `sample_size` bytes into `out` (which is
 * reused, so its vector keeps its memory). On failure returns false and
 * says what is wrong in `why`; nothing of the metadata is trusted before it
 * is checked against the sample. */
bool parse_sample_encryption (const GstStructure *info, gsize sample_size, SampleEncryption *out, std::string *why);

const char *cipher_mode_name (CipherMode mode);

}  // namespace gst_offline
