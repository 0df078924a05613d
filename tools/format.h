/* gst-offline CLI: how numbers are shown to people. Every size, percentage,
 * duration and time printed by the tool goes through here.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include <string>

namespace cli {

/* "512 B", "1.2 KiB", "3.4 MiB", "5.6 GiB" (binary units, one decimal). */
std::string format_size (guint64 bytes);
/* "42.0%", or "?" when unknown (negative). */
std::string format_percent (gdouble percent);
/* A GStreamer time as "H:MM:SS.mmm"; "-:--:--.---" when GST_CLOCK_TIME_NONE. */
std::string format_duration (guint64 nanoseconds);
/* A download speed: "512 B/s", "1.2 MiB/s" (the units of format_size). */
std::string format_speed (gdouble bytes_per_second);
/* A short count of seconds for an ETA: "0:05", "12:34", "1:02:03"; "--:--" if negative. */
std::string format_eta (gint64 seconds);
/* Milliseconds since the epoch as local ISO 8601 ("2024-05-01T12:34:56+02:00"),
 * or "-" for 0 / negative. */
std::string format_time_ms (gint64 ms_since_epoch);

}  // namespace cli
