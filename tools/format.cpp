/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "format.h"

#include <gst/gst.h>

namespace cli {

std::string
format_size (guint64 bytes)
{
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) {
    g_autofree gchar *s = g_strdup_printf ("%" G_GUINT64_FORMAT " B", bytes);
    return s;
  }
  gdouble value = bytes;
  guint unit = 0;
  while (value >= 1024.0 && unit + 1 < G_N_ELEMENTS (units)) {
    value /= 1024.0;
    unit++;
  }
  /* 1023.96 KiB would print as "1024.0 KiB": show it in the next unit. */
  if (value >= 1023.95 && unit + 1 < G_N_ELEMENTS (units)) {
    value /= 1024.0;
    unit++;
  }
  g_autofree gchar *s = g_strdup_printf ("%.1f %s", value, units[unit]);
  return s;
}

std::string
format_percent (gdouble percent)
{
  if (percent < 0)
    return "?";
  g_autofree gchar *s = g_strdup_printf ("%.1f%%", CLAMP (percent, 0.0, 100.0));
  return s;
}

std::string
format_duration (guint64 nanoseconds)
{
  if (!GST_CLOCK_TIME_IS_VALID (nanoseconds))
    return "-:--:--.---";
  guint64 ms = nanoseconds / GST_MSECOND;
  g_autofree gchar *s = g_strdup_printf ("%" G_GUINT64_FORMAT ":%02u:%02u.%03u",
      ms / 3600000, (guint) (ms / 60000 % 60), (guint) (ms / 1000 % 60), (guint) (ms % 1000));
  return s;
}

std::string
format_speed (gdouble bytes_per_second)
{
  return format_size (bytes_per_second > 0 ? (guint64) bytes_per_second : 0) + "/s";
}

std::string
format_eta (gint64 seconds)
{
  if (seconds < 0)
    return "--:--";
  g_autofree gchar *s = nullptr;
  if (seconds >= 3600)
    s = g_strdup_printf ("%" G_GINT64_FORMAT ":%02u:%02u", seconds / 3600,
        (guint) (seconds / 60 % 60), (guint) (seconds % 60));
  else
    s = g_strdup_printf ("%u:%02u", (guint) (seconds / 60), (guint) (seconds % 60));
  return s;
}

std::string
format_time_ms (gint64 ms_since_epoch)
{
  if (ms_since_epoch <= 0)
    return "-";
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (ms_since_epoch / 1000);
  if (!utc)
    return "-";
  g_autoptr (GDateTime) local = g_date_time_to_local (utc);
  g_autofree gchar *s = g_date_time_format (local ? local : utc, "%Y-%m-%dT%H:%M:%S%:z");
  return s ? s : "-";
}

}  // namespace cli
