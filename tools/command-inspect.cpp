/* gst-offline inspect: the tracks of a URL, as DownloadHelper sees them.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "commands.h"
#include "download-output.h"

#include <gst/offline/offline.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace cli {

namespace {

const char *track_type_name (GstOfflineTrackType type)
{
  switch (type) {
    case GST_OFFLINE_TRACK_TYPE_VIDEO: return "video";
    case GST_OFFLINE_TRACK_TYPE_AUDIO: return "audio";
    case GST_OFFLINE_TRACK_TYPE_TEXT: return "text";
  }
  return "unknown";
}

std::string join (const gchar *const *values)
{
  std::string text;
  for (; values && *values; values++)
    text += (text.empty () ? "" : ",") + std::string (*values);
  return text;
}

void add_strv (JsonBuilder *b, const char *name, const gchar *const *values)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (; values && *values; values++)
    json_builder_add_string_value (b, *values);
  json_builder_end_array (b);
}

/* The number of channels a manifest's channel value gives: a count ("2",
 * HLS "6/JOC") or the 4-hex-digit mask of Dolby's scheme ("F801": one bit
 * per channel); 0 when it gives none. */
gint64 channel_count (const gchar *value)
{
  if (!value || !*value)
    return 0;
  if (g_ascii_isdigit (value[0]) && (strlen (value) != 4 || strspn (value, "0123456789") == strlen (value)))
    return g_ascii_strtoll (value, nullptr, 10);
  if (strlen (value) == 4 && strspn (value, "0123456789abcdefABCDEF") == 4)
    return __builtin_popcount ((unsigned) g_ascii_strtoull (value, nullptr, 16));
  return 0;
}

JsonNode *tracks_to_json (GstOfflineDownloadHelper *helper, const char *url, GPtrArray *tracks)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "uri");
  json_builder_add_string_value (b, url);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, gst_offline_download_type_to_string (gst_offline_download_helper_get_download_type (helper)));
  json_builder_set_member_name (b, "tracks");
  json_builder_begin_array (b);
  for (guint i = 0; i < tracks->len; i++) {
    auto t = GST_OFFLINE_TRACK (g_ptr_array_index (tracks, i));
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "stream_key");
    json_builder_add_string_value (b, gst_offline_track_get_stream_key (t));
    json_builder_set_member_name (b, "type");
    json_builder_add_string_value (b, track_type_name (gst_offline_track_get_track_type (t)));
    json_builder_set_member_name (b, "period");
    json_builder_add_int_value (b, gst_offline_track_get_period (t));
    json_builder_set_member_name (b, "group");
    json_builder_add_string_value (b, gst_offline_track_get_group (t));
    json_builder_set_member_name (b, "mime_type");
    json_builder_add_string_value (b, gst_offline_track_get_mime_type (t));
    json_builder_set_member_name (b, "codecs");
    json_builder_add_string_value (b, gst_offline_track_get_codecs (t));
    json_builder_set_member_name (b, "bandwidth");
    json_builder_add_int_value (b, (gint64) gst_offline_track_get_bandwidth (t));
    json_builder_set_member_name (b, "width");
    json_builder_add_int_value (b, gst_offline_track_get_width (t));
    json_builder_set_member_name (b, "height");
    json_builder_add_int_value (b, gst_offline_track_get_height (t));
    json_builder_set_member_name (b, "frame_rate");
    json_builder_add_double_value (b, gst_offline_track_get_frame_rate (t));
    json_builder_set_member_name (b, "sampling_rate");
    json_builder_add_int_value (b, gst_offline_track_get_sampling_rate (t));
    json_builder_set_member_name (b, "channels");
    json_builder_add_int_value (b, channel_count (gst_offline_track_get_channels (t)));
    json_builder_set_member_name (b, "language");
    json_builder_add_string_value (b, gst_offline_track_get_language (t));
    json_builder_set_member_name (b, "label");
    json_builder_add_string_value (b, gst_offline_track_get_label (t));
    add_strv (b, "roles", gst_offline_track_get_roles (t));
    add_strv (b, "accessibility", gst_offline_track_get_accessibility (t));
    add_strv (b, "protection", gst_offline_track_get_protection_systems (t));
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

std::string describe (GstOfflineTrack *t)
{
  std::string text;
  auto add = [&] (const std::string &part) {
    if (!part.empty ())
      text += (text.empty () ? "" : "  ") + part;
  };
  if (gst_offline_track_get_width (t))
    add (std::to_string (gst_offline_track_get_width (t)) + "x" + std::to_string (gst_offline_track_get_height (t)));
  if (gst_offline_track_get_frame_rate (t) > 0) {
    g_autofree gchar *fps = g_strdup_printf ("%.3g fps", gst_offline_track_get_frame_rate (t));
    add (fps);
  }
  if (gst_offline_track_get_sampling_rate (t))
    add (std::to_string (gst_offline_track_get_sampling_rate (t)) + " Hz");
  if (*gst_offline_track_get_language (t))
    add (std::string ("lang=") + gst_offline_track_get_language (t));
  if (*gst_offline_track_get_label (t))
    add (std::string ("label=\"") + gst_offline_track_get_label (t) + "\"");
  std::string roles = join (gst_offline_track_get_roles (t));
  if (!roles.empty ())
    add ("roles=" + roles);
  std::string protection = join (gst_offline_track_get_protection_systems (t));
  if (!protection.empty ())
    add ("protected=" + protection);
  return text;
}

}  // namespace

int
command_inspect (Context &ctx, int argc, char **argv)
{
  gboolean json = FALSE;
  gchar **headers = nullptr;
  const GOptionEntry entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print a JSON object: uri, type, tracks (fields in docs/cli.md)", nullptr},
      {"header", 0, 0, G_OPTION_ARG_STRING_ARRAY, &headers, "An HTTP header to send (repeatable)", "'K: V'"},
      {},
  };
  int status = parse_command_options (ctx, "inspect", "URL",
      "Lists the tracks a URL offers, as 'download --video/--audio/--text' chooses among them:\n"
      "one line per track: STREAM-KEY  TYPE  CODECS  BANDWIDTH  details. A media file has none.",
      entries, &argc, &argv);
  g_auto (GStrv) header_list = headers;
  if (status == kExitSuccess)
    status = expect_arguments ("inspect", argc, argv, 1, 1, "URL");
  if (status != kExitSuccess)
    return status;
  const char *url = argv[1];

  g_autoptr (GstOfflineDownloadHelper) helper = gst_offline_download_helper_new (url);
  for (gchar **h = header_list; h && *h; h++) {
    g_autoptr (GError) error = nullptr;
    if (!gst_offline_download_helper_add_header (helper, *h, &error))
      return usage_error ("inspect", "inspect: invalid header '%s': %s", *h, error->message);
  }
  g_autoptr (GError) error = nullptr;
  if (!gst_offline_download_helper_prepare (helper, nullptr, &error))
    return fail ("cannot inspect %s: %s", url, error->message);
  g_autoptr (GPtrArray) tracks = gst_offline_download_helper_get_tracks (helper);
  if (json) {
    g_autoptr (JsonNode) root = tracks_to_json (helper, url, tracks);
    fputs (json_to_string (root).c_str (), stdout);
    return kExitSuccess;
  }
  printf ("%s: %s\n", url, gst_offline_download_type_to_string (gst_offline_download_helper_get_download_type (helper)));
  if (tracks->len == 0)
    printf ("a single media file: no tracks to choose\n");
  for (guint i = 0; i < tracks->len; i++) {
    auto t = GST_OFFLINE_TRACK (g_ptr_array_index (tracks, i));
    printf ("%-10s %-6s %-20s %9" G_GUINT64_FORMAT "  %s\n", gst_offline_track_get_stream_key (t),
        track_type_name (gst_offline_track_get_track_type (t)), gst_offline_track_get_codecs (t),
        gst_offline_track_get_bandwidth (t), describe (t).c_str ());
  }
  return kExitSuccess;
}

}  // namespace cli
