/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <string>
#include <string_view>

namespace gst_offline {

/* Lower-case hex SHA-256 of `text`: cache file names and lock names come from
 * it, never from URL text. */
std::string sha256_hex (std::string_view text);

}  // namespace gst_offline
