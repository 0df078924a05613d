/* An HTTP header as users write it ("Name: value"): on the command line, in
 * a download request, in the requests the library sends.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace gst_offline {

/* Splits "Name: value" into a valid token name and a value without line breaks. */
std::optional<std::pair<std::string, std::string>> parse_header (std::string_view line);

}  // namespace gst_offline
