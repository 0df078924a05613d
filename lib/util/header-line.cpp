/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "util/header-line.h"

#include <glib.h>

#include <cstring>

namespace gst_offline {

std::optional<std::pair<std::string, std::string>> parse_header (std::string_view line)
{
  size_t colon = line.find (':');
  if (colon == std::string_view::npos || colon == 0)
    return std::nullopt;
  std::string name (line.substr (0, colon));
  for (char c : name) {
    /* RFC 9110 token characters. */
    if (!(g_ascii_isalnum (c) || std::strchr ("!#$%&'*+-.^_`|~", c)))
      return std::nullopt;
  }
  std::string_view value = line.substr (colon + 1);
  while (!value.empty () && (value.front () == ' ' || value.front () == '\t'))
    value.remove_prefix (1);
  while (!value.empty () && (value.back () == ' ' || value.back () == '\t'))
    value.remove_suffix (1);
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0')
      return std::nullopt;
  }
  return std::make_pair (name, std::string (value));
}

}  // namespace gst_offline
