/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "manifest/dash/xs-duration.h"

#include <gst/offline/offline-error.h>

#include <algorithm>
#include <string>

namespace gst_offline {

namespace {

constexpr guint64 kSecond = G_GUINT64_CONSTANT (1000000000);

bool is_xml_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool is_digit (char c)
{
  return c >= '0' && c <= '9';
}

/* a * b + c, or nothing when it does not fit. */
std::optional<guint64> mul_add (guint64 a, guint64 b, guint64 c)
{
  if (b != 0 && a > (G_MAXUINT64 - c) / b)
    return std::nullopt;
  return a * b + c;
}

}  // namespace

std::optional<gint64> parse_xs_date_time (std::string_view text)
{
  while (!text.empty () && is_xml_space (text.front ()))
    text.remove_prefix (1);
  while (!text.empty () && is_xml_space (text.back ()))
    text.remove_suffix (1);
  std::string copy (text.substr (0, 64));
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GDateTime) when = g_date_time_new_from_iso8601 (copy.c_str (), utc);
  if (!when || text.size () > 64)
    return std::nullopt;
  return g_date_time_to_unix (when) * G_USEC_PER_SEC + g_date_time_get_microsecond (when);
}

std::optional<guint64> parse_xs_duration (std::string_view text, GError **error)
{
  auto fail = [&] (const char *why) -> std::optional<guint64> {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
        "'%.*s' is not a valid duration: %s", static_cast<int> (std::min<size_t> (text.size (), 64)),
        text.data (), why);
    return std::nullopt;
  };

  std::string_view s = text;
  while (!s.empty () && is_xml_space (s.front ()))
    s.remove_prefix (1);
  while (!s.empty () && is_xml_space (s.back ()))
    s.remove_suffix (1);
  if (!s.empty () && s.front () == '-')
    return fail ("negative durations are not allowed");
  if (s.empty () || s.front () != 'P')
    return fail ("it does not start with 'P'");
  s.remove_prefix (1);

  /* Designators in the order they must appear; the same letter 'M' means
   * months before 'T' and minutes after it. */
  struct Unit {
    char designator;
    bool time_part;
    guint64 ns;
  };
  static constexpr Unit kUnits[] = {
    { 'Y', false, 365 * 24 * 3600 * kSecond },
    { 'M', false, 30 * 24 * 3600 * kSecond },
    { 'D', false, 24 * 3600 * kSecond },
    { 'H', true, 3600 * kSecond },
    { 'M', true, 60 * kSecond },
    { 'S', true, kSecond },
  };

  guint64 total = 0;
  size_t next_unit = 0;
  bool in_time = false;
  bool any_component = false;
  bool time_component = false;
  while (!s.empty ()) {
    if (s.front () == 'T') {
      if (in_time)
        return fail ("'T' appears twice");
      in_time = true;
      s.remove_prefix (1);
      while (next_unit < G_N_ELEMENTS (kUnits) && !kUnits[next_unit].time_part)
        next_unit++;
      continue;
    }
    if (!is_digit (s.front ()))
      return fail ("a number was expected");
    guint64 whole = 0;
    while (!s.empty () && is_digit (s.front ())) {
      auto value = mul_add (whole, 10, static_cast<guint64> (s.front () - '0'));
      if (!value)
        return fail ("it is too large");
      whole = *value;
      s.remove_prefix (1);
    }
    guint64 fraction_ns = 0;
    bool has_fraction = false;
    if (!s.empty () && (s.front () == '.' || s.front () == ',')) {
      s.remove_prefix (1);
      has_fraction = true;
      guint64 scale = kSecond / 10;
      size_t digits = 0;
      while (!s.empty () && is_digit (s.front ())) {
        fraction_ns += static_cast<guint64> (s.front () - '0') * scale;
        scale /= 10;
        digits++;
        s.remove_prefix (1);
      }
      if (digits == 0)
        return fail ("a digit was expected after the decimal point");
    }
    if (s.empty ())
      return fail ("a number has no designator");
    char designator = s.front ();
    s.remove_prefix (1);
    size_t unit = next_unit;
    while (unit < G_N_ELEMENTS (kUnits) && kUnits[unit].time_part == in_time
        && kUnits[unit].designator != designator)
      unit++;
    if (unit == G_N_ELEMENTS (kUnits) || kUnits[unit].time_part != in_time)
      return fail ("a designator is unknown, repeated or out of order");
    if (has_fraction && kUnits[unit].designator != 'S')
      return fail ("only seconds may have a fraction");
    auto value = mul_add (whole, kUnits[unit].ns, fraction_ns);
    if (!value || *value > G_MAXUINT64 - total)
      return fail ("it is too large");
    total += *value;
    next_unit = unit + 1;
    any_component = true;
    time_component = time_component || in_time;
  }
  if (!any_component)
    return fail ("it has no component");
  if (in_time && !time_component)
    return fail ("'T' is not followed by a time component");
  return total;
}

}  // namespace gst_offline
