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

std::optional<std::vector<guint64>>
parse_dotted_indices (std::string_view text, size_t count)
{
  std::vector<guint64> values;
  while (values.size () < count) {
    size_t dot = text.find ('.');
    bool last = values.size () + 1 == count;
    if (last != (dot == std::string_view::npos))
      return std::nullopt;
    std::string_view part = text.substr (0, dot);
    if (part.size () > 1 && part[0] == '0')
      return std::nullopt;
    auto value = parse_decimal_integer (part);
    if (!value)
      return std::nullopt;
    values.push_back (*value);
    if (!last)
      text.remove_prefix (dot + 1);
  }
  return values;
}

}  // namespace gst_offline
