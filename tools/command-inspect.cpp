/* gst-offline inspect: the tracks of a URL, as DownloadHelper sees them.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "commands.h"
#include "download-output.h"
#include "format.h"

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

/* What a download of a URL would take: its tracks' stream keys (none for a
 * media file) and their total size, as the helper measured it. */
struct Selection {
  GStrv keys = nullptr;
  bool chosen = false;  /* by SPECs, not the default */
  /* --start/--end, GST_CLOCK_TIME_NONE when not given. */
  GstClockTime start = GST_CLOCK_TIME_NONE, end = GST_CLOCK_TIME_NONE;
  gint64 size = -1;
  gboolean exact = FALSE;

  Selection () = default;
  Selection (const Selection &) = delete;
  Selection &operator= (const Selection &) = delete;
  ~Selection () { g_strfreev (keys); }
};

/* "1.2 MiB" when exact, "~1.2 MiB" for an estimate, "?" when unknown. */
std::string size_text (gint64 size, gboolean exact)
{
  if (size < 0)
    return "?";
  return (exact ? "" : "~") + format_size ((guint64) size);
}

/* A bound of the time range in seconds, null when open. */
void add_seconds (JsonBuilder *b, const char *name, GstClockTime time)
{
  json_builder_set_member_name (b, name);
  if (GST_CLOCK_TIME_IS_VALID (time))
    json_builder_add_double_value (b, (double) time / GST_SECOND);
  else
    json_builder_add_null_value (b);
}

void add_size (JsonBuilder *b, const char *name, gint64 size)
{
  json_builder_set_member_name (b, name);
  if (size < 0)
    json_builder_add_null_value (b);
  else
    json_builder_add_int_value (b, size);
}

JsonNode *tracks_to_json (GstOfflineDownloadHelper *helper, const char *url, GPtrArray *tracks,
    const Selection &selection)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "uri");
  json_builder_add_string_value (b, url);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, gst_offline_download_type_to_string (gst_offline_download_helper_get_download_type (helper)));
  json_builder_set_member_name (b, "live");
  json_builder_add_boolean_value (b, gst_offline_download_helper_is_live (helper));
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
    add_size (b, "size", gst_offline_track_get_size (t));
    json_builder_set_member_name (b, "size_exact");
    json_builder_add_boolean_value (b, gst_offline_track_get_size_exact (t));
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "selection");
  json_builder_begin_object (b);
  add_strv (b, "stream_keys", selection.keys);
  json_builder_set_member_name (b, "default");
  json_builder_add_boolean_value (b, !selection.chosen);
  add_seconds (b, "range_start", selection.start);
  add_seconds (b, "range_end", selection.end);
  add_size (b, "size", selection.size);
  json_builder_set_member_name (b, "exact");
  json_builder_add_boolean_value (b, selection.size >= 0 && selection.exact);
  json_builder_end_object (b);
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

/* The tracks SPECs choose, as `download` resolves them (the default
 * selection without SPECs), with their size. */
int select (GstOfflineDownloadHelper *helper, const char *url, const char *video, const char *audio, const char *text,
    Selection &selection)
{
  selection.chosen = video || audio || text;
  if (gst_offline_download_helper_get_download_type (helper) != GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE
      || selection.chosen) {
    g_autoptr (GError) error = nullptr;
    selection.keys = gst_offline_download_helper_select_tracks (helper, video, audio, text, &error);
    if (!selection.keys)
      return g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT) && selection.chosen
          ? usage_error ("inspect", "inspect: %s", error->message)
          : fail ("cannot inspect %s: %s", url, error->message);
  }
  selection.size = gst_offline_download_helper_get_size (helper, selection.keys, &selection.exact);
  return kExitSuccess;
}

/* The last line of the text: "selection: KEYS, SIZE" (what `download`
 * with the same SPECs fetches), or a media file's size. */
void print_selection (GstOfflineDownloadHelper *helper, const Selection &selection)
{
  std::string size = size_text (selection.size, selection.exact);
  if (gst_offline_download_helper_get_download_type (helper) == GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE) {
    printf ("size: %s\n", selection.size < 0 ? "unknown" : size.c_str ());
    return;
  }
  g_autofree gchar *keys = g_strjoinv (" ", selection.keys);
  std::string range;
  if (GST_CLOCK_TIME_IS_VALID (selection.start) || GST_CLOCK_TIME_IS_VALID (selection.end))
    range = " from " + (GST_CLOCK_TIME_IS_VALID (selection.start) ? format_duration (selection.start) : "the start")
        + " to " + (GST_CLOCK_TIME_IS_VALID (selection.end) ? format_duration (selection.end) : "the end");
  printf ("%s: %s%s, %s\n", selection.chosen ? "selection" : "default selection", keys, range.c_str (), size.c_str ());
}

}  // namespace

int
command_inspect (Context &ctx, int argc, char **argv)
{
  gboolean json = FALSE;
  gchar **headers = nullptr;
  gchar *video = nullptr, *audio = nullptr, *text = nullptr;
  gchar *start_option = nullptr, *end_option = nullptr;
  const GOptionEntry entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print a JSON object: uri, type, tracks, selection (fields in docs/cli.md)", nullptr},
      {"header", 0, 0, G_OPTION_ARG_STRING_ARRAY, &headers, "An HTTP header to send (repeatable)", "'K: V'"},
      {"video", 0, 0, G_OPTION_ARG_STRING, &video, "The video track(s) of the selection, as for download", "SPEC"},
      {"audio", 0, 0, G_OPTION_ARG_STRING, &audio, "The audio track(s) of the selection, as for download", "SPEC"},
      {"text", 0, 0, G_OPTION_ARG_STRING, &text, "The text track(s) of the selection, as for download", "SPEC"},
      {"start", 0, 0, G_OPTION_ARG_STRING, &start_option,
          "Sizes of the part from this time on, as download --start fetches it: seconds or HH:MM:SS[.mmm]", "TIME"},
      {"end", 0, 0, G_OPTION_ARG_STRING, &end_option,
          "Sizes of the part up to this time, as download --end fetches it", "TIME"},
      {},
  };
  int status = parse_command_options (ctx, "inspect", "URL",
      "Lists the tracks a URL offers, as 'download --video/--audio/--text' chooses among them:\n"
      "one line per track: STREAM-KEY  TYPE  CODECS  BANDWIDTH  SIZE  details (a size with '~' is an\n"
      "estimate), then the selection the SPECs (or the defaults) choose and its size. A media file has no tracks.\n"
      "With --start/--end, the sizes are those of that time range.",
      entries, &argc, &argv);
  g_auto (GStrv) header_list = headers;
  g_autofree gchar *video_spec = video, *audio_spec = audio, *text_spec = text;
  g_autofree gchar *start_text = start_option, *end_text = end_option;
  if (status == kExitSuccess)
    status = expect_arguments ("inspect", argc, argv, 1, 1, "URL");
  if (status != kExitSuccess)
    return status;
  const char *url = argv[1];
  Selection selection;
  if (!parse_time_range ("inspect", start_text, end_text, &selection.start, &selection.end, &status))
    return status;

  g_autoptr (GstOfflineDownloadHelper) helper = gst_offline_download_helper_new (url);
  for (gchar **h = header_list; h && *h; h++) {
    g_autoptr (GError) error = nullptr;
    if (!gst_offline_download_helper_add_header (helper, *h, &error))
      return usage_error ("inspect", "inspect: invalid header '%s': %s", *h, error->message);
  }
  g_autoptr (GError) error = nullptr;
  /* The range is checked before the URL is fetched, as download checks it. */
  if (!gst_offline_download_helper_set_time_range (helper, selection.start, selection.end, &error))
    return usage_error ("inspect", "inspect: %s", error->message);
  if (!gst_offline_download_helper_prepare (helper, nullptr, &error))
    return fail ("cannot inspect %s: %s", url, error->message);
  if ((GST_CLOCK_TIME_IS_VALID (selection.start) || GST_CLOCK_TIME_IS_VALID (selection.end))
      && gst_offline_download_helper_get_download_type (helper) == GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE)
    return fail ("cannot inspect %s: a time range needs a DASH, HLS or Smooth Streaming download: %s is a progressive "
        "file", url, url);
  if (!gst_offline_download_helper_measure (helper, nullptr, &error))
    return fail ("cannot inspect %s: %s", url, error->message);
  status = select (helper, url, video_spec, audio_spec, text_spec, selection);
  if (status != kExitSuccess)
    return status;
  g_autoptr (GPtrArray) tracks = gst_offline_download_helper_get_tracks (helper);
  if (json) {
    g_autoptr (JsonNode) root = tracks_to_json (helper, url, tracks, selection);
    fputs (json_to_string (root).c_str (), stdout);
    return kExitSuccess;
  }
  printf ("%s: %s\n", url, gst_offline_download_type_to_string (gst_offline_download_helper_get_download_type (helper)));
  /* What a live manifest lists is a window that slides: no length, no size. */
  if (gst_offline_download_helper_is_live (helper))
    printf ("live: a download records it (--duration, --live-from-start); its length and size are unknown\n");
  if (tracks->len == 0)
    printf ("a single media file: no tracks to choose\n");
  for (guint i = 0; i < tracks->len; i++) {
    auto t = GST_OFFLINE_TRACK (g_ptr_array_index (tracks, i));
    printf ("%-10s %-6s %-20s %9" G_GUINT64_FORMAT "  %10s  %s\n", gst_offline_track_get_stream_key (t),
        track_type_name (gst_offline_track_get_track_type (t)), gst_offline_track_get_codecs (t),
        gst_offline_track_get_bandwidth (t),
        size_text (gst_offline_track_get_size (t), gst_offline_track_get_size_exact (t)).c_str (),
        describe (t).c_str ());
  }
  print_selection (helper, selection);
  return kExitSuccess;
}

}  // namespace cli
