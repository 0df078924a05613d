/* The one unsigned decimal number syntax the manifests share (an HLS
 * decimal-integer, an MPD or Smooth Streaming attribute): digits only.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include <optional>
#include <string_view>
#include <vector>

namespace gst_offline {

/* 1 to 20 ASCII digits, up to 2^64-1; nothing else (no sign, no blanks, no overflow). */
std::optional<guint64> parse_decimal_integer (std::string_view text);

/* Exactly `count` decimal integers joined by '.', as the DASH and Smooth
 * Streaming stream keys spell indices ("0.1.2"), each in its one canonical
 * spelling: "0" or digits without a leading zero, no overflow. One spelling
 * per key, so that keys compare as strings; the keys this library writes
 * are all canonical. */
std::optional<std::vector<guint64>> parse_dotted_indices (std::string_view text, size_t count);

}  // namespace gst_offline
