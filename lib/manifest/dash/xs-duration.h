/* The xs:duration values of MPD attributes (mediaPresentationDuration,
 * Period@start, ...): ISO 8601 "PnYnMnDTnHnMnS" with fractional seconds.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include <optional>
#include <string_view>

namespace gst_offline {

/* Parses `text` (surrounding XML whitespace allowed) into nanoseconds.
 * A year counts 365 days and a month 30 days, as in GStreamer's dashdemux:
 * MPDs only use them by accident, and a fixed length keeps the result pure.
 * Fractions are allowed on seconds only; digits beyond nanoseconds are
 * dropped. Negative durations, empty ones ("P", "PT"), misplaced designators
 * and values that do not fit in 64 bits of nanoseconds (about 584 years) are
 * INVALID_ARGUMENT errors. */
std::optional<guint64> parse_xs_duration (std::string_view text, GError **error);

/* Parses an xs:dateTime (ISO 8601, surrounding XML whitespace allowed; UTC
 * when it names no zone) into microseconds since the Unix epoch; nothing
 * when it is none. */
std::optional<gint64> parse_xs_date_time (std::string_view text);

}  // namespace gst_offline
