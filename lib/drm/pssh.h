/* The 'pssh' box (Protection System Specific Header, ISO/IEC 23001-7 §8.1)
 * as a DASH cenc:pssh element carries it: the protection system, and in
 * version 1 the KIDs of the content. Pure: bytes in, a checked model out;
 * nothing in the box is trusted before it is checked against its length.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "drm/drm-keys.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gst_offline {

struct PsshBox {
  /* The system id as a lower-case UUID (8-4-4-4-12). */
  std::string system_id;
  guint8 version = 0;
  /* Version 1 only: the KIDs the content is encrypted with. */
  std::vector<KeyId> kids;
  /* The system's own data, opaque. */
  std::string data;
};

/* Reads `bytes`, which must be exactly one pssh box, header included. On
 * failure returns nullopt and says what is wrong in `why`. */
std::optional<PsshBox> parse_pssh_box (std::string_view bytes, std::string *why);

}  // namespace gst_offline
