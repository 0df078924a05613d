/* The policy of a persistent ClearKey license, as the license server gave it
 * (license_duration_seconds, playback_duration_seconds), and what it allows
 * now. Private to the library, which judges licenses in one place for the
 * license manager and for playback (gst_offline_drm_store_lookup_key()).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include <algorithm>
#include <string>

namespace gst_offline {

/* Durations are seconds, -1 for unlimited; instants are milliseconds since
 * the epoch (g_get_real_time () / 1000). */
struct LicensePolicy {
  gint64 acquired_at_ms = 0;
  gint64 license_duration_s = -1;   /* counted from acquisition */
  gint64 playback_duration_s = -1;  /* counted from the first playback */
  gint64 first_played_at_ms = -1;   /* -1: never played */

  bool unlimited () const { return license_duration_s < 0 && playback_duration_s < 0; }
};

/* What a license allows at one instant, as Kaltura's checkAssetStatus tells it. */
struct LicenseStatus {
  gint64 expires_in = -1;    /* seconds until the license expires; -1 never, 0 expired */
  gint64 expires_at_ms = -1; /* when it expires (ms since the epoch); -1 never */
  gint64 playable_for = -1;  /* seconds of playback left; -1 unlimited, 0 none */
  /* When playback stopped being allowed (ms since the epoch), if it has. */
  gint64 ended_at_ms = -1;
  bool window_used_up = false;  /* ended by the playback window rather than the license duration */

  bool playable () const { return playable_for != 0; }
};

/* The clock licenses are judged by: the real time, or, when
 * $GST_OFFLINE_CLOCK_MS is set, that instant (milliseconds since the
 * epoch). It is a test seam: tests set and move a frozen clock instead of
 * sleeping. It grants nothing that the owner of the keys' file could not do
 * anyway. */
inline gint64 license_now_ms ()
{
  if (const char *frozen = g_getenv ("GST_OFFLINE_CLOCK_MS"))
    return g_ascii_strtoll (frozen, nullptr, 10);
  return g_get_real_time () / 1000;
}

/* Seconds from `now_ms` to `end_ms`, rounded up, never below 0. */
inline gint64 license_seconds_until (gint64 end_ms, gint64 now_ms)
{
  return end_ms <= now_ms ? 0 : (end_ms - now_ms + 999) / 1000;
}

inline LicenseStatus license_status (const LicensePolicy &policy, gint64 now_ms)
{
  LicenseStatus status;
  gint64 license_end = -1;
  if (policy.license_duration_s >= 0) {
    license_end = policy.acquired_at_ms + policy.license_duration_s * 1000;
    status.expires_at_ms = license_end;
    status.expires_in = license_seconds_until (license_end, now_ms);
  }
  /* Before the first playback the whole window is ahead. */
  gint64 window_end = -1;
  gint64 window_left = -1;
  if (policy.playback_duration_s >= 0) {
    if (policy.first_played_at_ms >= 0) {
      window_end = policy.first_played_at_ms + policy.playback_duration_s * 1000;
      window_left = license_seconds_until (window_end, now_ms);
    } else {
      window_left = policy.playback_duration_s;
    }
  }
  if (status.expires_in >= 0 && window_left >= 0)
    status.playable_for = std::min (status.expires_in, window_left);
  else
    status.playable_for = status.expires_in >= 0 ? status.expires_in : window_left;
  if (status.expires_in == 0) {
    status.ended_at_ms = license_end;
  } else if (window_left == 0) {
    status.ended_at_ms = window_end;
    status.window_used_up = true;
  }
  return status;
}

/* An instant as ISO 8601 UTC text ("2024-05-01T12:00:00Z"). */
inline std::string license_time_text (gint64 ms)
{
  g_autoptr (GDateTime) time = g_date_time_new_from_unix_utc (ms / 1000);
  if (!time)
    return std::to_string (ms / 1000) + " s after the epoch";
  g_autofree gchar *text = g_date_time_format_iso8601 (time);
  return text ? text : std::to_string (ms / 1000);
}

}  // namespace gst_offline
