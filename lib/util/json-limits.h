/* Loading JSON from a peer that may be hostile (a license server's answer):
 * json-glib's parser recurses once per nesting level without limit, so
 * 100 000 bytes of '[' overflow the stack. The nesting is measured first,
 * in one pass without recursion.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include <string_view>

namespace gst_offline {

/* Deeper JSON is refused: ClearKey answers and key-set records nest three
 * levels, and 64 keeps json-glib's recursion a few kilobytes of stack. */
constexpr guint kMaxJsonDepth = 64;

/* The deepest nesting of arrays and objects in `text`, counted outside
 * strings; `text` need not be valid JSON. */
guint json_nesting_depth (std::string_view text);

/* json_parser_load_from_data() for `text` nested at most kMaxJsonDepth
 * levels; deeper text is a G_IO_ERROR_INVALID_DATA error naming the limit. */
bool json_parser_load_bounded (JsonParser *parser, std::string_view text, GError **error);

}  // namespace gst_offline
