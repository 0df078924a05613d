/* The checksum lines of decoded buffers, shared by ot-decode and the
 * in-process playback of frame-checks.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-support.h"

const gchar *
ot_pad_kind (GstPad *pad)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  if (!caps)
    caps = gst_pad_query_caps (pad, nullptr);
  g_autofree gchar *pad_name = gst_pad_get_name (pad);
  const gchar *name = gst_caps_is_fixed (caps) ? gst_structure_get_name (gst_caps_get_structure (caps, 0)) : pad_name;
  const gchar *kind = g_str_has_prefix (name, "video") ? "video"
      : g_str_has_prefix (name, "audio")             ? "audio"
      : g_str_has_prefix (name, "text/")             ? "text"
                                                     : nullptr;
  gst_caps_unref (caps);
  return kind;
}

gchar *
ot_checksum_line (const gchar *kind, GstBuffer *buffer)
{
  GstMapInfo map;
  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return nullptr;
  g_autofree gchar *md5 = g_compute_checksum_for_data (G_CHECKSUM_MD5, map.data, map.size);
  gst_buffer_unmap (buffer, &map);
  GstClockTime pts = GST_BUFFER_PTS (buffer);
  return g_strdup_printf ("%s %" G_GINT64_FORMAT " %s", kind,
      GST_CLOCK_TIME_IS_VALID (pts) ? static_cast<gint64> (pts) : G_GINT64_CONSTANT (-1), md5);
}
