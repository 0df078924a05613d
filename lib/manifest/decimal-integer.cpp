/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "manifest/decimal-integer.h"

namespace gst_offline {

std::optional<guint64>
parse_decimal_integer (std::string_view text)
{
  if (text.empty () || text.size () > 20)
    return std::nullopt;
  guint64 value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return std::nullopt;
    guint64 digit = static_cast<guint64> (c - '0');
    if (value > (G_MAXUINT64 - digit) / 10)
      return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

}  // namespace gst_offline
