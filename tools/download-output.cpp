/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "download-output.h"

#include "commands-module.h"
#include "format.h"
#include "json-writer.h"

#include <gio/gio.h>

#include <algorithm>
#include <cstdio>
#include <array>
#include <vector>

namespace cli {

namespace {

const gchar *const *
stream_keys (GstOfflineDownload *download)
{
  GstOfflineDownloadRequest *request = gst_offline_download_get_request (download);
  return request ? gst_offline_download_request_get_stream_keys (request) : nullptr;
}

/* The time range the download was asked for, in ns (GST_CLOCK_TIME_NONE
 * for an open end); false when it is the whole item. */
bool
time_range (GstOfflineDownload *download, GstClockTime *start, GstClockTime *end)
{
  GstOfflineDownloadRequest *request = gst_offline_download_get_request (download);
  *start = request ? gst_offline_download_request_get_range_start (request) : GST_CLOCK_TIME_NONE;
  *end = request ? gst_offline_download_request_get_range_end (request) : GST_CLOCK_TIME_NONE;
  return GST_CLOCK_TIME_IS_VALID (*start) || GST_CLOCK_TIME_IS_VALID (*end);
}


}  // namespace

std::string
range_text (GstOfflineDownload *download)
{
  GstClockTime start, end;
  if (!time_range (download, &start, &end))
    return "";
  return format_duration (GST_CLOCK_TIME_IS_VALID (start) ? start : 0) + " to "
      + (GST_CLOCK_TIME_IS_VALID (end) ? format_duration (end) : std::string ("the end"));
}

bool
range_covers (GstOfflineDownload *download, GstClockTime start, GstClockTime end)
{
  GstClockTime has_start, has_end;
  time_range (download, &has_start, &has_end);
  bool from_start = !GST_CLOCK_TIME_IS_VALID (has_start)
      || (GST_CLOCK_TIME_IS_VALID (start) && start >= has_start);
  bool to_end = !GST_CLOCK_TIME_IS_VALID (has_end) || (GST_CLOCK_TIME_IS_VALID (end) && end <= has_end);
  return from_start && to_end;
}

std::string
progress_text (GstOfflineDownload *download)
{
  gint64 length = gst_offline_download_get_content_length (download);
  gint64 estimate = gst_offline_download_get_estimated_length (download);
  std::string text = format_size (gst_offline_download_get_bytes_downloaded (download));
  if (length >= 0)
    text += " of " + format_size ((guint64) length);
  else if (estimate >= 0)
    text += " of about " + format_size ((guint64) estimate);
  return text;
}

std::optional<LicenseSummary>
license_of (GstOfflineDownload *download, const char *data_dir, ListingMemo *memo)
{
  /* Reading creates nothing: no drm.db, no license. */
  bool has_drm_db;
  if (memo && memo->has_drm_db) {
    has_drm_db = *memo->has_drm_db;
  } else {
    g_autofree gchar *path = g_build_filename (data_dir, "drm.db", nullptr);
    has_drm_db = g_file_test (path, G_FILE_TEST_EXISTS);
    if (memo)
      memo->has_drm_db = has_drm_db;
  }
  if (!has_drm_db)
    return std::nullopt;
  /* GstOfflineLicenseManager is in the commands module (commands-module.h). */
  return commands_module ().read_license (data_dir, gst_offline_download_get_id (download));
}

std::string
license_text (const LicenseSummary &license)
{
  auto seconds = [] (gint64 value, const char *unlimited, const char *none, const char *some) {
    return value < 0 ? std::string (unlimited) : value == 0 ? std::string (none)
                                                            : std::string (some) + std::to_string (value) + " s";
  };
  std::string text = seconds (license.expires_in, "never expires", "expired", "expires in ");
  if (!license.expires_at.empty ())
    text += " (at " + license.expires_at + ")";
  text += ", " + seconds (license.playable_for, "playable without limit", "no playback left", "playable for ");
  if (!license.license_url.empty ())
    text += ", from " + license.license_url;
  return text;
}

void
add_license_json (JsonWriter &w, const LicenseSummary &license)
{
  w.member ("expires_in").integer (license.expires_in);
  w.member ("playable_for").integer (license.playable_for);
  w.member ("expires_at").string (license.expires_at.empty () ? nullptr : license.expires_at.c_str ());
  w.member ("license_url").string (license.license_url.empty () ? nullptr : license.license_url.c_str ());
}

GstOfflineRequirements
requirements_holding_back (GstOfflineDownload *download, const char *data_dir, GstOfflineRequirements requirements,
    guint64 min_free_space)
{
  if (gst_offline_download_get_state (download) != GST_OFFLINE_DOWNLOAD_STATE_QUEUED)
    return GST_OFFLINE_REQUIREMENTS_NONE;
  return gst_offline_requirements_get_not_met (requirements, data_dir, min_free_space,
      gst_offline_download_get_uri (download));
}

std::vector<std::string>
requirement_names (GstOfflineRequirements requirements)
{
  std::vector<std::string> names;
  if (requirements == GST_OFFLINE_REQUIREMENTS_NONE)
    return names;
  /* The library's names, so that the CLI and the library agree. */
  g_autofree gchar *text = gst_offline_requirements_to_string (requirements);
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  for (gchar **part = parts; *part; part++)
    names.emplace_back (g_strstrip (*part));
  return names;
}

namespace {

/* requirements_holding_back (), asked once per host with a memo (the
 * library's answer depends on the host only: loopback ones need no network). */
GstOfflineRequirements
holding_back (GstOfflineDownload *download, const char *data_dir, ListingMemo *memo)
{
  if (!memo || gst_offline_download_get_state (download) != GST_OFFLINE_DOWNLOAD_STATE_QUEUED)
    return requirements_holding_back (download, data_dir);
  g_autoptr (GUri) uri = g_uri_parse (gst_offline_download_get_uri (download), G_URI_FLAGS_NONE, nullptr);
  const char *host = uri ? g_uri_get_host (uri) : nullptr;
  if (!host)
    return requirements_holding_back (download, data_dir);
  auto known = memo->by_host.find (host);
  if (known == memo->by_host.end ())
    known = memo->by_host.emplace (host, requirements_holding_back (download, data_dir)).first;
  return known->second;
}

}  // namespace

std::string
recording_text (GstOfflineDownload *d)
{
  auto seconds = [] (guint64 ns) {
    g_autofree gchar *text = g_strdup_printf ("%.1f s", (gdouble) ns / GST_SECOND);
    return std::string (text);
  };
  std::string text = seconds (gst_offline_download_get_recorded_duration (d)) + " recorded";
  if (GstClockTime missing = gst_offline_download_get_missing_duration (d))
    text += ", " + seconds (missing) + " missing (played as gaps)";
  gint64 lag = gst_offline_download_get_live_lag (d);
  if (lag >= 0 && gst_offline_download_get_state (d) == GST_OFFLINE_DOWNLOAD_STATE_DOWNLOADING)
    text += ", " + seconds ((guint64) lag) + " behind the live edge";
  return text;
}

void
write_download_json (JsonWriter &w, GstOfflineDownload *download, const char *data_dir, ListingMemo *memo)
{
  w.begin_object ();
  w.member ("id").string (gst_offline_download_get_id (download));
  w.member ("uri").string (gst_offline_download_get_uri (download));
  w.member ("type").string (gst_offline_download_type_to_string (gst_offline_download_get_download_type (download)));
  w.member ("state").string (gst_offline_download_state_to_string (gst_offline_download_get_state (download)));
  w.member ("stop_reason").integer (gst_offline_download_get_stop_reason (download));
  w.member ("bytes_downloaded").integer ((gint64) gst_offline_download_get_bytes_downloaded (download));
  w.member ("content_length").integer (gst_offline_download_get_content_length (download));
  /* An extension: the total while content_length is -1 (an estimate), -1 without one. */
  w.member ("estimated_length").integer (gst_offline_download_get_estimated_length (download));
  /* -1 exactly when unknown, whatever negative value the library uses. */
  gdouble percent = gst_offline_download_get_percent_downloaded (download);
  w.member ("percent").number (percent < 0 ? -1.0 : percent);
  w.member ("failure").string (gst_offline_download_get_failure_message (download));

  w.member ("tracks").begin_array ();
  if (const gchar *const *keys = stream_keys (download)) {
    for (; *keys; keys++)
      w.string (*keys);
  }
  w.end_array ();

  w.member ("license");
  if (auto license = license_of (download, data_dir, memo)) {
    w.begin_object ();
    add_license_json (w, *license);
    w.end_object ();
  } else {
    w.null ();
  }

  w.member ("requirements_not_met").begin_array ();
  for (const std::string &name : requirement_names (holding_back (download, data_dir, memo)))
    w.string (name.c_str ());
  w.end_array ();

  /* The time range asked for (--start/--end), in seconds; null: open. */
  GstClockTime range_start, range_end;
  time_range (download, &range_start, &range_end);
  w.member ("range_start");
  if (GST_CLOCK_TIME_IS_VALID (range_start))
    w.number ((gdouble) range_start / GST_SECOND);
  else
    w.null ();
  w.member ("range_end");
  if (GST_CLOCK_TIME_IS_VALID (range_end))
    w.number ((gdouble) range_end / GST_SECOND);
  else
    w.null ();
  /* A live recording: the media it holds and lost, in seconds, and how far
   * behind the live edge it is while it runs (null: unknown). */
  w.member ("recording").boolean (gst_offline_download_is_recording (download));
  if (gst_offline_download_is_recording (download)) {
    w.member ("recorded_seconds").number ((gdouble) gst_offline_download_get_recorded_duration (download) / GST_SECOND);
    w.member ("missing_seconds").number ((gdouble) gst_offline_download_get_missing_duration (download) / GST_SECOND);
    gint64 lag = gst_offline_download_get_live_lag (download);
    w.member ("live_lag_seconds");
    if (lag >= 0 && gst_offline_download_get_state (download) == GST_OFFLINE_DOWNLOAD_STATE_DOWNLOADING)
      w.number ((gdouble) lag / GST_SECOND);
    else
      w.null ();
  }
  w.member ("start_time").integer (gst_offline_download_get_start_time (download));
  w.member ("update_time").integer (gst_offline_download_get_update_time (download));
  w.end_object ();
}

std::string
json_to_string (JsonNode *node)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, node);
  g_autofree gchar *text = json_generator_to_data (generator, nullptr);
  return std::string (text) + "\n";
}

DownloadArrayPrinter::DownloadArrayPrinter (const char *data_dir) : data_dir_ (data_dir) {}

void
DownloadArrayPrinter::add (GstOfflineDownload *download)
{
  text_ = count_++ == 0 ? "[\n  " : ",\n  ";
  JsonWriter w (text_, 1);
  write_download_json (w, download, data_dir_.c_str (), &memo_);
  fwrite (text_.data (), 1, text_.size (), stdout);
}

void
DownloadArrayPrinter::finish ()
{
  fputs (count_ == 0 ? "[]\n" : "\n]\n", stdout);
}

void
DownloadTable::add (GstOfflineDownload *d)
{
  /* A download of a time range says which after its URI: its percent and
   * bytes are of that range, not of the whole item. */
  std::string range = range_text (d);
  std::string live = gst_offline_download_is_recording (d) ? " (recording: " + recording_text (d) + ")" : std::string ();
  Row row = {
      gst_offline_download_get_id (d),
      gst_offline_download_state_to_string (gst_offline_download_get_state (d)),
      format_percent (gst_offline_download_get_percent_downloaded (d)),
      format_size (gst_offline_download_get_bytes_downloaded (d)),
      gst_offline_download_get_uri (d) + (range.empty () ? std::string () : " (range " + range + ")") + live,
  };
  for (size_t c = 0; c < kColumns; c++)
    widths_[c] = std::max (widths_[c], (size_t) g_utf8_strlen (row[c].c_str (), -1));
  rows_.push_back (std::move (row));
}

void
DownloadTable::print (FILE *file) const
{
  std::string out;
  for (const auto &row : rows_) {
    out.clear ();
    for (size_t c = 0; c < kColumns; c++) {
      out += row[c];
      if (c + 1 == kColumns)
        break;
      /* Numbers are right-aligned, text left-aligned; two spaces between. */
      size_t pad = widths_[c] - g_utf8_strlen (row[c].c_str (), -1);
      bool numeric = c == 2 || c == 3;
      if (numeric)
        out.insert (out.size () - row[c].size (), pad, ' ');
      else
        out.append (pad, ' ');
      out += "  ";
    }
    out += "\n";
    fwrite (out.data (), 1, out.size (), file);
  }
}

std::string
format_download_status (GstOfflineDownload *d, const char *data_dir)
{
  std::string out;
  auto field = [&out] (const char *name, const std::string &value) {
    out += name;
    out += ": ";
    out += value;
    out += "\n";
  };

  field ("id", gst_offline_download_get_id (d));
  field ("uri", gst_offline_download_get_uri (d));
  field ("type", gst_offline_download_type_to_string (gst_offline_download_get_download_type (d)));
  field ("state", gst_offline_download_state_to_string (gst_offline_download_get_state (d)));
  GstOfflineRequirements waiting = requirements_holding_back (d, data_dir);
  if (waiting != GST_OFFLINE_REQUIREMENTS_NONE) {
    g_autofree gchar *names = gst_offline_requirements_to_string (waiting);
    field ("waiting for", names);
  }
  field ("progress", format_percent (gst_offline_download_get_percent_downloaded (d)) + " (" +
      progress_text (d) + ")");
  field ("bytes downloaded", std::to_string (gst_offline_download_get_bytes_downloaded (d)));
  gint64 length = gst_offline_download_get_content_length (d);
  field ("content length", length >= 0 ? std::to_string (length) : std::string ("unknown"));
  guint stop_reason = gst_offline_download_get_stop_reason (d);
  field ("stop reason", stop_reason == GST_OFFLINE_STOP_REASON_NONE ? std::string ("none")
                                                                    : std::to_string (stop_reason));
  if (const gchar *failure = gst_offline_download_get_failure_message (d))
    field ("failure", failure);
  std::string tracks;
  if (const gchar *const *keys = stream_keys (d)) {
    for (; *keys; keys++)
      tracks += (tracks.empty () ? "" : ", ") + std::string (*keys);
  }
  field ("tracks", tracks.empty () ? std::string ("all") : tracks);
  std::string range = range_text (d);
  if (!range.empty ())
    field ("range", range);
  if (gst_offline_download_is_recording (d))
    field ("recording", recording_text (d));
  if (auto license = license_of (d, data_dir))
    field ("license", license_text (*license));
  field ("started", format_time_ms (gst_offline_download_get_start_time (d)));
  field ("updated", format_time_ms (gst_offline_download_get_update_time (d)));
  return out;
}

}  // namespace cli
