/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "util/json-limits.h"

#include <gio/gio.h>

namespace gst_offline {

guint json_nesting_depth (std::string_view text)
{
  guint depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > deepest)
          deepest = depth;
        break;
      case ']':
      case '}':
        if (depth > 0)
          depth--;
        break;
      default:
        break;
    }
  }
  return deepest;
}

bool json_parser_load_bounded (JsonParser *parser, std::string_view text, GError **error)
{
  if (json_nesting_depth (text) > kMaxJsonDepth) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "JSON nested deeper than %u levels is refused",
        kMaxJsonDepth);
    return false;
  }
  return json_parser_load_from_data (parser, text.data (), static_cast<gssize> (text.size ()), error);
}

}  // namespace gst_offline
