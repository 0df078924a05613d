/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "manifest/hls/attribute-list.h"

#include <cmath>

namespace gst_offline {
namespace hls {

namespace {

bool is_digit (char c)
{
  return c >= '0' && c <= '9';
}

int hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

bool is_blank (char c)
{
  return c == ' ' || c == '\t';
}

bool is_name_char (char c)
{
  /* The spec allows [A-Z0-9-]; lower case and '_' are accepted so that a
   * sloppy server still gets a useful "unknown attribute" (ignored) rather
   * than a refused playlist. */
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit (c) || c == '-' || c == '_';
}

/* Digits with at most one '.', at least one digit. */
bool is_decimal_number (std::string_view text)
{
  bool dot = false, digit = false;
  for (char c : text) {
    if (c == '.') {
      if (dot)
        return false;
      dot = true;
    } else if (is_digit (c)) {
      digit = true;
    } else {
      return false;
    }
  }
  return digit;
}

}  // namespace

std::optional<double> parse_decimal_float (std::string_view text, bool allow_sign)
{
  std::string_view digits = text;
  if (allow_sign && !digits.empty () && digits.front () == '-')
    digits.remove_prefix (1);
  if (!is_decimal_number (digits))
    return std::nullopt;
  /* The characters are checked above, so the C-locale strtod reads exactly
   * this number; a huge one becomes inf and is refused. */
  std::string copy (text);
  double value = g_ascii_strtod (copy.c_str (), nullptr);
  if (!std::isfinite (value))
    return std::nullopt;
  return value;
}

std::optional<GstClockTime> parse_seconds (std::string_view text)
{
  if (!is_decimal_number (text))
    return std::nullopt;
  size_t dot = text.find ('.');
  std::string_view whole = text.substr (0, dot);
  std::string_view fraction = dot == std::string_view::npos ? std::string_view () : text.substr (dot + 1);
  guint64 seconds = 0;
  if (!whole.empty ()) {
    auto value = parse_decimal_integer (whole);
    if (!value)
      return std::nullopt;
    seconds = *value;
  }
  if (seconds > (G_MAXUINT64 - GST_SECOND) / GST_SECOND)
    return std::nullopt;
  guint64 nanoseconds = 0, scale = GST_SECOND;
  for (char c : fraction) {
    scale /= 10;
    if (scale == 0)
      break;
    nanoseconds += static_cast<guint64> (c - '0') * scale;
  }
  GstClockTime result = seconds * GST_SECOND + nanoseconds;
  /* GST_CLOCK_TIME_NONE means "unknown" everywhere downstream. */
  if (!GST_CLOCK_TIME_IS_VALID (result))
    return std::nullopt;
  return result;
}

std::optional<Resolution> parse_resolution (std::string_view text)
{
  size_t x = text.find_first_of ("xX");
  if (x == std::string_view::npos)
    return std::nullopt;
  /* One at a time: with both optionals tested in one condition, GCC reads
   * the value of a disengaged one, which is harmless but hides real
   * findings of valgrind among false ones. */
  auto width = parse_decimal_integer (text.substr (0, x));
  if (!width || *width > G_MAXUINT)
    return std::nullopt;
  auto height = parse_decimal_integer (text.substr (x + 1));
  if (!height || *height > G_MAXUINT)
    return std::nullopt;
  return Resolution { static_cast<guint> (*width), static_cast<guint> (*height) };
}

std::optional<std::vector<guint8>> parse_hex_sequence (std::string_view text)
{
  if (text.size () < 3 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X'))
    return std::nullopt;
  std::string_view digits = text.substr (2);
  std::vector<guint8> bytes ((digits.size () + 1) / 2);
  /* From the end, so that an odd count leaves the high nibble of the first
   * byte zero. */
  size_t byte = bytes.size ();
  for (size_t i = digits.size (); i > 0; i -= 2) {
    int low = hex_value (digits[i - 1]);
    int high = i >= 2 ? hex_value (digits[i - 2]) : 0;
    if (low < 0 || high < 0)
      return std::nullopt;
    bytes[--byte] = static_cast<guint8> (high << 4 | low);
    if (i < 2)
      break;
  }
  return bytes;
}

std::optional<Iv> parse_iv (std::string_view text)
{
  if (text.size () != 2 + 32)
    return std::nullopt;
  auto bytes = parse_hex_sequence (text);
  if (!bytes)
    return std::nullopt;
  Iv iv {};
  std::copy (bytes->begin (), bytes->end (), iv.begin ());
  return iv;
}

std::optional<ByteRangeSpec> parse_byte_range (std::string_view text)
{
  ByteRangeSpec spec;
  size_t at = text.find ('@');
  auto length = parse_decimal_integer (text.substr (0, at));
  if (!length)
    return std::nullopt;
  spec.length = *length;
  if (at != std::string_view::npos) {
    auto offset = parse_decimal_integer (text.substr (at + 1));
    if (!offset)
      return std::nullopt;
    spec.offset = *offset;
  }
  return spec;
}

std::optional<AttributeList> AttributeList::parse (std::string_view text, std::string *problem)
{
  AttributeList list;
  size_t pos = 0;
  const size_t end = text.size ();
  auto describe = [&] (std::string message) {
    if (problem)
      *problem = std::move (message);
    return std::nullopt;
  };
  for (;;) {
    while (pos < end && is_blank (text[pos]))
      pos++;
    if (pos == end)
      break;
    size_t name_start = pos;
    while (pos < end && is_name_char (text[pos]))
      pos++;
    if (pos == name_start)
      return describe ("expected an attribute name at column " + std::to_string (pos + 1));
    Attribute attribute;
    attribute.name = text.substr (name_start, pos - name_start);
    if (pos == end || text[pos] != '=')
      return describe ("attribute " + std::string (attribute.name) + " has no '=' and value");
    pos++;
    if (pos < end && text[pos] == '"') {
      size_t close = text.find ('"', pos + 1);
      if (close == std::string_view::npos)
        return describe ("the quoted value of " + std::string (attribute.name) + " has no closing quote");
      attribute.value = text.substr (pos + 1, close - pos - 1);
      attribute.quoted = true;
      pos = close + 1;
    } else {
      size_t value_start = pos;
      while (pos < end && text[pos] != ',')
        pos++;
      size_t value_end = pos;
      while (value_end > value_start && is_blank (text[value_end - 1]))
        value_end--;
      if (value_end == value_start)
        return describe ("attribute " + std::string (attribute.name) + " has an empty value");
      attribute.value = text.substr (value_start, value_end - value_start);
    }
    list.attributes_.push_back (attribute);
    while (pos < end && is_blank (text[pos]))
      pos++;
    if (pos == end)
      break;
    if (text[pos] != ',')
      return describe ("unexpected text at column " + std::to_string (pos + 1) + ", after the value of "
          + std::string (attribute.name));
    pos++;
  }
  return list;
}

const Attribute *AttributeList::find (std::string_view name) const
{
  for (const auto &attribute : attributes_) {
    if (attribute.name == name)
      return &attribute;
  }
  return nullptr;
}

}  // namespace hls
}  // namespace gst_offline
