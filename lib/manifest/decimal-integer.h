/* The one unsigned decimal number syntax the manifests share (an HLS
 * decimal-integer, an MPD or Smooth Streaming attribute): digits only.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include <optional>
#include <string_view>

namespace gst_offline {

/* 1 to 20 ASCII digits, up to 2^64-1; nothing else (no sign, no blanks, no overflow). */
std::optional<guint64> parse_decimal_integer (std::string_view text);

}  // namespace gst_offline
