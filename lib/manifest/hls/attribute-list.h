/* The lexical layer of HLS playlists (RFC 8216 section 4.2): attribute lists
 * and the value types their attributes take. Pure functions over
 * string_views; they report "not valid" and leave the message, which needs
 * the tag and the line, to the playlist parser.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "manifest/decimal-integer.h"
#include "manifest/hls/playlist-model.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gst_offline {
namespace hls {

/* decimal-integer: parse_decimal_integer() of manifest/decimal-integer.h. */
/* decimal-floating-point (or signed-decimal-floating-point with
 * `allow_sign`): digits with at most one '.', nothing else — no exponent,
 * no "inf"/"nan", no hex as strtod would accept. */
std::optional<double> parse_decimal_float (std::string_view text, bool allow_sign);
/* A decimal-floating-point number of seconds in nanoseconds, computed from
 * the digits so that "0.1" is exactly 100000000 and summing many segment
 * durations does not drift. Digits beyond the nanosecond are dropped;
 * nothing on overflow. */
std::optional<GstClockTime> parse_seconds (std::string_view text);
/* decimal-resolution: WIDTHxHEIGHT. */
std::optional<Resolution> parse_resolution (std::string_view text);
/* hexadecimal-sequence: 0x or 0X then hex digits; an odd count is read as a
 * number (a leading zero nibble). */
std::optional<std::vector<guint8>> parse_hex_sequence (std::string_view text);
/* An EXT-X-KEY IV: exactly 0x and 32 hex digits. */
std::optional<Iv> parse_iv (std::string_view text);
/* An EXT-X-BYTERANGE value or EXT-X-MAP BYTERANGE attribute: n[@o]. */
struct ByteRangeSpec {
  guint64 length = 0;
  std::optional<guint64> offset;
};
std::optional<ByteRangeSpec> parse_byte_range (std::string_view text);

struct Attribute {
  std::string_view name;
  /* Without the quotes of a quoted-string. */
  std::string_view value;
  bool quoted = false;
};

/* NAME=VALUE pairs separated by commas. Values are quoted strings (which may
 * hold commas), or unquoted tokens (enumerated strings, numbers, hex,
 * resolutions). Views into the parsed text, which must outlive the list. */
class AttributeList {
 public:
  /* Tolerates blanks around the separators and a trailing comma. Returns
   * nothing and describes the problem in `problem` when malformed. */
  static std::optional<AttributeList> parse (std::string_view text, std::string *problem);

  /* The first attribute with that name (a repeated one is ignored). */
  const Attribute *find (std::string_view name) const;
  const std::vector<Attribute> &attributes () const { return attributes_; }

 private:
  std::vector<Attribute> attributes_;
};

}  // namespace hls
}  // namespace gst_offline
