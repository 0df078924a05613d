/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "index/download-private.h"

#include "util/hash.h"
#include "util/header-line.h"

#include <algorithm>
#include <cstring>

/**
 * SECTION:offline-download-request
 * @title: GstOfflineDownloadRequest
 * @short_description: what to download
 *
 * A #GstOfflineDownloadRequest names a URI to download and how: the id it is
 * stored under (played back as `offline://ID`), its type, the chosen tracks
 * (stream keys), HTTP headers sent with every request (and again when a
 * download resumes), opaque custom data for the application, and a reference
 * to its license (key-set id).
 */

struct _GstOfflineDownloadRequest {
  GObject parent;
  gst_offline::DownloadRecord record;
  /* NULL-terminated views of the record's vectors, for the C getters. */
  GStrv stream_keys_strv;
  GStrv headers_strv;
};

G_DEFINE_FINAL_TYPE (GstOfflineDownloadRequest, gst_offline_download_request, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_URI,
  PROP_DOWNLOAD_TYPE,
  PROP_STREAM_KEYS,
  PROP_HEADERS,
  PROP_CUSTOM_DATA,
  PROP_KEY_SET_ID,
  PROP_LICENSE_URL,
  PROP_RANGE_START,
  PROP_RANGE_END,
  PROP_LIVE_DURATION,
  PROP_LIVE_FROM_START,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

namespace {

GStrv to_strv (const std::vector<std::string> &lines)
{
  GStrv strv = g_new0 (gchar *, lines.size () + 1);
  for (size_t i = 0; i < lines.size (); i++)
    strv[i] = g_strdup (lines[i].c_str ());
  return strv;
}

std::vector<std::string> from_strv (const gchar *const *strv)
{
  std::vector<std::string> lines;
  for (; strv && *strv; strv++)
    lines.emplace_back (*strv);
  return lines;
}

GBytes *to_bytes (const std::optional<std::string> &data)
{
  return data ? g_bytes_new (data->data (), data->size ()) : nullptr;
}

std::optional<std::string> from_bytes (GBytes *bytes)
{
  if (!bytes)
    return std::nullopt;
  gsize size;
  auto data = static_cast<const char *> (g_bytes_get_data (bytes, &size));
  return std::string (data ? data : "", size);
}

void sync_views (GstOfflineDownloadRequest *self)
{
  g_strfreev (self->stream_keys_strv);
  g_strfreev (self->headers_strv);
  self->stream_keys_strv = to_strv (self->record.stream_keys);
  self->headers_strv = to_strv (self->record.headers);
}

}  // namespace

static void gst_offline_download_request_init (GstOfflineDownloadRequest *self)
{
  new (&self->record) gst_offline::DownloadRecord ();
  self->record.type = GST_OFFLINE_DOWNLOAD_TYPE_AUTO;
  sync_views (self);
}

static void gst_offline_download_request_finalize (GObject *object)
{
  auto self = GST_OFFLINE_DOWNLOAD_REQUEST (object);
  self->record.~DownloadRecord ();
  g_strfreev (self->stream_keys_strv);
  g_strfreev (self->headers_strv);
  G_OBJECT_CLASS (gst_offline_download_request_parent_class)->finalize (object);
}

static void gst_offline_download_request_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  auto self = GST_OFFLINE_DOWNLOAD_REQUEST (object);
  switch (prop_id) {
    case PROP_ID:
      self->record.id = g_value_get_string (value) ? g_value_get_string (value) : "";
      break;
    case PROP_URI:
      self->record.uri = g_value_get_string (value) ? g_value_get_string (value) : "";
      break;
    case PROP_DOWNLOAD_TYPE:
      self->record.type = static_cast<GstOfflineDownloadType> (g_value_get_enum (value));
      break;
    case PROP_STREAM_KEYS:
      self->record.stream_keys = from_strv (static_cast<const gchar *const *> (g_value_get_boxed (value)));
      sync_views (self);
      break;
    case PROP_HEADERS:
      self->record.headers.clear ();
      for (const auto &header : from_strv (static_cast<const gchar *const *> (g_value_get_boxed (value)))) {
        g_autoptr (GError) error = nullptr;
        if (!gst_offline_download_request_add_header (self, header.c_str (), &error))
          g_warning ("%s", error->message);
      }
      break;
    case PROP_CUSTOM_DATA:
      self->record.custom_data = from_bytes (static_cast<GBytes *> (g_value_get_boxed (value)));
      break;
    case PROP_KEY_SET_ID:
      self->record.key_set_id = from_bytes (static_cast<GBytes *> (g_value_get_boxed (value)));
      break;
    case PROP_LICENSE_URL: {
      const gchar *url = g_value_get_string (value);
      if (url && *url)
        self->record.license_url = url;
      else
        self->record.license_url.reset ();
      break;
    }
    case PROP_RANGE_START:
    case PROP_RANGE_END: {
      std::optional<guint64> &bound = prop_id == PROP_RANGE_START ? self->record.range_start_ns : self->record.range_end_ns;
      guint64 time = g_value_get_uint64 (value);
      if (GST_CLOCK_TIME_IS_VALID (time) && (prop_id == PROP_RANGE_END || time > 0))
        bound = time;
      else
        bound.reset ();
      break;
    }
    case PROP_LIVE_DURATION: {
      guint64 time = g_value_get_uint64 (value);
      if (GST_CLOCK_TIME_IS_VALID (time) && time > 0)
        self->record.live_duration_ns = time;
      else
        self->record.live_duration_ns.reset ();
      break;
    }
    case PROP_LIVE_FROM_START:
      self->record.live_from_start = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void gst_offline_download_request_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  auto self = GST_OFFLINE_DOWNLOAD_REQUEST (object);
  switch (prop_id) {
    case PROP_ID:
      g_value_set_string (value, gst_offline_download_request_get_id (self));
      break;
    case PROP_URI:
      g_value_set_string (value, gst_offline_download_request_get_uri (self));
      break;
    case PROP_DOWNLOAD_TYPE:
      g_value_set_enum (value, self->record.type);
      break;
    case PROP_STREAM_KEYS:
      g_value_set_boxed (value, self->stream_keys_strv);
      break;
    case PROP_HEADERS:
      g_value_set_boxed (value, self->headers_strv);
      break;
    case PROP_CUSTOM_DATA:
      g_value_take_boxed (value, to_bytes (self->record.custom_data));
      break;
    case PROP_KEY_SET_ID:
      g_value_take_boxed (value, to_bytes (self->record.key_set_id));
      break;
    case PROP_LICENSE_URL:
      g_value_set_string (value, self->record.license_url ? self->record.license_url->c_str () : nullptr);
      break;
    case PROP_RANGE_START:
      g_value_set_uint64 (value, gst_offline_download_request_get_range_start (self));
      break;
    case PROP_RANGE_END:
      g_value_set_uint64 (value, gst_offline_download_request_get_range_end (self));
      break;
    case PROP_LIVE_DURATION:
      g_value_set_uint64 (value, self->record.live_duration_ns.value_or (GST_CLOCK_TIME_NONE));
      break;
    case PROP_LIVE_FROM_START:
      g_value_set_boolean (value, self->record.live_from_start);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void gst_offline_download_request_class_init (GstOfflineDownloadRequestClass *klass)
{
  auto object_class = G_OBJECT_CLASS (klass);
  object_class->finalize = gst_offline_download_request_finalize;
  object_class->set_property = gst_offline_download_request_set_property;
  object_class->get_property = gst_offline_download_request_get_property;

  auto flags = static_cast<GParamFlags> (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ID] = g_param_spec_string ("id", "Id",
      "The download id (played as offline://ID); NULL derives it from the URI", nullptr, flags);
  properties[PROP_URI] = g_param_spec_string ("uri", "URI",
      "The http(s) URI of the media file or manifest", nullptr,
      static_cast<GParamFlags> (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  properties[PROP_DOWNLOAD_TYPE] = g_param_spec_enum ("download-type", "Download type",
      "The kind of content; AUTO guesses it from the URI", GST_OFFLINE_TYPE_DOWNLOAD_TYPE,
      GST_OFFLINE_DOWNLOAD_TYPE_AUTO, flags);
  properties[PROP_STREAM_KEYS] = g_param_spec_boxed ("stream-keys", "Stream keys",
      "The tracks to download (empty: all of a progressive file)", G_TYPE_STRV, flags);
  properties[PROP_HEADERS] = g_param_spec_boxed ("headers", "Headers",
      "HTTP headers sent with every request, as 'Name: value'", G_TYPE_STRV, flags);
  properties[PROP_CUSTOM_DATA] = g_param_spec_boxed ("custom-data", "Custom data",
      "Opaque application data kept with the download", G_TYPE_BYTES, flags);
  properties[PROP_KEY_SET_ID] = g_param_spec_boxed ("key-set-id", "Key set id",
      "The reference of the download's offline license", G_TYPE_BYTES, flags);
  /**
   * GstOfflineDownloadRequest:license-url:
   *
   * The ClearKey license server of protected content, used instead of the
   * manifest's `Laurl` (and where a manifest names none). %NULL: the
   * manifest's.
   */
  properties[PROP_LICENSE_URL] = g_param_spec_string ("license-url", "License URL",
      "The ClearKey license server to use instead of the manifest's Laurl (NULL: the manifest's)", nullptr, flags);
  /**
   * GstOfflineDownloadRequest:range-start:
   *
   * Where the time range to download starts, in nanoseconds of presentation
   * time; %GST_CLOCK_TIME_NONE (or 0): at the start. Adaptive downloads only
   * (see gst_offline_download_request_set_time_range()).
   */
  properties[PROP_RANGE_START] = g_param_spec_uint64 ("range-start", "Range start",
      "Where the time range to download starts, in ns (GST_CLOCK_TIME_NONE: at the start)", 0, G_MAXUINT64,
      GST_CLOCK_TIME_NONE, flags);
  /**
   * GstOfflineDownloadRequest:range-end:
   *
   * Where the time range to download ends, in nanoseconds of presentation
   * time; %GST_CLOCK_TIME_NONE: at the end.
   */
  properties[PROP_RANGE_END] = g_param_spec_uint64 ("range-end", "Range end",
      "Where the time range to download ends, in ns (GST_CLOCK_TIME_NONE: at the end)", 0, G_MAXUINT64,
      GST_CLOCK_TIME_NONE, flags);
  /**
   * GstOfflineDownloadRequest:live-duration:
   *
   * A live stream (an HLS playlist without `EXT-X-ENDLIST`) is recorded:
   * this is how many nanoseconds of media to record before the recording
   * ends as a completed download. %GST_CLOCK_TIME_NONE (or 0): until the
   * stream ends or the download is stopped (a stop reason, pause, or the
   * manager going away), which also completes a recording. Ignored for
   * content that is not live.
   */
  properties[PROP_LIVE_DURATION] = g_param_spec_uint64 ("live-duration", "Live duration",
      "Live streams: ns of media to record (GST_CLOCK_TIME_NONE: until the stream ends or the download is stopped)",
      0, G_MAXUINT64, GST_CLOCK_TIME_NONE, flags);
  /**
   * GstOfflineDownloadRequest:live-from-start:
   *
   * A live stream is recorded from the oldest segment its playlist still
   * lists rather than from the live edge (three target durations back, as
   * players start). Ignored for content that is not live.
   */
  properties[PROP_LIVE_FROM_START] = g_param_spec_boolean ("live-from-start", "Live from start",
      "Live streams: record from the oldest segment of the window rather than from the live edge", FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

/**
 * gst_offline_download_request_new:
 * @id: (nullable): the download id, or %NULL to derive it from @uri
 * @uri: the http(s) URI to download
 *
 * Returns: (transfer full): a new request of type %GST_OFFLINE_DOWNLOAD_TYPE_AUTO.
 */
GstOfflineDownloadRequest *gst_offline_download_request_new (const gchar *id, const gchar *uri)
{
  g_return_val_if_fail (uri != nullptr, nullptr);
  return GST_OFFLINE_DOWNLOAD_REQUEST (g_object_new (GST_OFFLINE_TYPE_DOWNLOAD_REQUEST, "id", id, "uri", uri, nullptr));
}

/**
 * gst_offline_download_request_get_id:
 * @self: a #GstOfflineDownloadRequest
 *
 * Returns: (nullable): the id, or %NULL if it is to be derived from the URI.
 */
const gchar *gst_offline_download_request_get_id (GstOfflineDownloadRequest *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_REQUEST (self), nullptr);
  return self->record.id.empty () ? nullptr : self->record.id.c_str ();
}

/**
 * gst_offline_download_request_set_id:
 * @self: a #GstOfflineDownloadRequest
 * @id: (nullable): the id, or %NULL to derive it from the URI
 */
void gst_offline_download_request_set_id (GstOfflineDownloadRequest *self, const gchar *id)
{
  g_return_if_fail (GST_OFFLINE_IS_DOWNLOAD_REQUEST (self));
  g_object_set (self, "id", id, nullptr);
}

/**
 * gst_offline_download_request_get_uri:
 * @self: a #GstOfflineDownloadRequest
 *
 * Returns: the URI.
 */
const gchar *gst_offline_download_request_get_uri (GstOfflineDownloadRequest *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_REQUEST (self), nullptr);
  return self->record.uri.c_str ();
}

/**
 * gst_offline_download_request_get_download_type:
 * @self: a #GstOfflineDownloadRequest
 *
 * Returns: the type, %GST_OFFLINE_DOWNLOAD_TYPE_AUTO unless set.
 */
GstOfflineDownloadType gst_offline_download_request_get_download_type (GstOfflineDownloadRequest *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_REQUEST (self), GST_OFFLINE_DOWNLOAD_TYPE_AUTO);
  return self->record.type;
}

/**
 * gst_offline_download_request_set_download_type:
 * @self: a #GstOfflineDownloadRequest
 * @type: the type of the content
 */
void gst_offline_download_request_set_download_type (GstOfflineDownloadRequest *self, GstOfflineDownloadType type)
{
  g_return_if_fail (GST_OFFLINE_IS_DOWNLOAD_REQUEST (self));
  g_object_set (self, "download-type", type, nullptr);
}

/**
 * gst_offline_download_request_get_stream_keys:
 * @self: a #GstOfflineDownloadRequest
 *
 * Returns: (transfer none) (array zero-terminated=1): the chosen tracks.
 */
const gchar *const *gst_offline_download_request_get_stream_keys (GstOfflineDownloadRequest *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_REQUEST (self), nullptr);
  return self->stream_keys_strv;
}

/**
 * gst_offline_download_request_set_stream_keys:
 * @self: a #GstOfflineDownloadRequest
 * @keys: (nullable) (array zero-terminated=1): the tracks to download
 */
void gst_offline_download_request_set_stream_keys (GstOfflineDownloadRequest *self, const gchar *const *keys)
{
  g_return_if_fail (GST_OFFLINE_IS_DOWNLOAD_REQUEST (self));
  g_object_set (self, "stream-keys", keys, nullptr);
}

/**
 * gst_offline_download_request_get_headers:
 * @self: a #GstOfflineDownloadRequest
 *
 * Returns: (transfer none) (array zero-terminated=1): the headers, as "Name: value".
 */
const gchar *const *gst_offline_download_request_get_headers (GstOfflineDownloadRequest *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_REQUEST (self), nullptr);
  return self->headers_strv;
}

/**
 * gst_offline_download_request_add_header:
 * @self: a #GstOfflineDownloadRequest
 * @header: a header line, "Name: value"
 * @error: return location for a #GError
 *
 * Adds a header sent with every request of the download.
 *
 * Returns: %FALSE with %GST_OFFLINE_ERROR_INVALID_ARGUMENT if @header is not
 *   "Name: value" with a valid name and no line break.
 */
gboolean gst_offline_download_request_add_header (GstOfflineDownloadRequest *self, const gchar *header, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_REQUEST (self), FALSE);
  g_return_val_if_fail (header != nullptr, FALSE);
  auto parsed = gst_offline::parse_header (header);
  if (!parsed) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
        "'%s' is not a valid HTTP header; expected 'Name: value'", header);
    return FALSE;
  }
  self->record.headers.push_back (parsed->first + ": " + parsed->second);
  sync_views (self);
  return TRUE;
}

/**
 * gst_offline_download_request_dup_custom_data:
 * @self: a #GstOfflineDownloadRequest
 *
 * Returns: (transfer full) (nullable): the application's data.
 */
GBytes *gst_offline_download_request_dup_custom_data (GstOfflineDownloadRequest *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_REQUEST (self), nullptr);
  return to_bytes (self->record.custom_data);
}

/**
 * gst_offline_download_request_set_custom_data:
 * @self: a #GstOfflineDownloadRequest
 * @data: (nullable): opaque data kept with the download
 */
void gst_offline_download_request_set_custom_data (GstOfflineDownloadRequest *self, GBytes *data)
{
  g_return_if_fail (GST_OFFLINE_IS_DOWNLOAD_REQUEST (self));
  g_object_set (self, "custom-data", data, nullptr);
}

/**
 * gst_offline_download_request_dup_key_set_id:
 * @self: a #GstOfflineDownloadRequest
 *
 * Returns: (transfer full) (nullable): the license reference.
 */
GBytes *gst_offline_download_request_dup_key_set_id (GstOfflineDownloadRequest *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_REQUEST (self), nullptr);
  return to_bytes (self->record.key_set_id);
}

/**
 * gst_offline_download_request_set_key_set_id:
 * @self: a #GstOfflineDownloadRequest
 * @key_set_id: (nullable): the license reference
 */
void gst_offline_download_request_set_key_set_id (GstOfflineDownloadRequest *self, GBytes *key_set_id)
{
  g_return_if_fail (GST_OFFLINE_IS_DOWNLOAD_REQUEST (self));
  g_object_set (self, "key-set-id", key_set_id, nullptr);
}

/**
 * gst_offline_download_request_get_license_url:
 * @self: a #GstOfflineDownloadRequest
 *
 * Returns: (nullable): the license server to use instead of the manifest's,
 *   or %NULL.
 */
const gchar *gst_offline_download_request_get_license_url (GstOfflineDownloadRequest *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_REQUEST (self), nullptr);
  return self->record.license_url ? self->record.license_url->c_str () : nullptr;
}

/**
 * gst_offline_download_request_set_license_url:
 * @self: a #GstOfflineDownloadRequest
 * @license_url: (nullable): an http(s) URL of a ClearKey license server, or
 *   %NULL for the manifest's
 *
 * Sets the license server that licenses of protected content are acquired
 * from, instead of the manifest's ClearKey `Laurl`.
 */
void gst_offline_download_request_set_license_url (GstOfflineDownloadRequest *self, const gchar *license_url)
{
  g_return_if_fail (GST_OFFLINE_IS_DOWNLOAD_REQUEST (self));
  g_object_set (self, "license-url", license_url, nullptr);
}

/**
 * gst_offline_download_request_set_time_range:
 * @self: a #GstOfflineDownloadRequest
 * @start: where the range starts, in nanoseconds of presentation time, or
 *   %GST_CLOCK_TIME_NONE for the start
 * @end: where it ends, or %GST_CLOCK_TIME_NONE for the end
 * @error: return location for a #GError
 *
 * Downloads only the part of an adaptive presentation (DASH, HLS, Smooth
 * Streaming) between @start and @end, as media3's time range does: the
 * segments of every selected track that cover it. Playback of the download
 * (`offline://ID`) then plays exactly that range: its TIME segment starts at
 * @start and stops at @end (positions are those of the whole presentation),
 * and the duration query answers @end. A later request of the same id with
 * another range extends the download to cover both, fetching only what is
 * missing. A range is refused for progressive downloads; adding one that
 * starts at or after the end of the presentation is refused, and an end
 * after it is brought back to it
 * (gst_offline_download_manager_add_download_async()).
 *
 * Returns: %FALSE with %GST_OFFLINE_ERROR_INVALID_ARGUMENT when @end is not
 *   after @start (the request is left as it was).
 */
gboolean gst_offline_download_request_set_time_range (GstOfflineDownloadRequest *self, GstClockTime start,
    GstClockTime end, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_REQUEST (self), FALSE);
  if (GST_CLOCK_TIME_IS_VALID (end) && end <= (GST_CLOCK_TIME_IS_VALID (start) ? start : 0)) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
        "the time range ends (%" GST_TIME_FORMAT ") before it starts (%" GST_TIME_FORMAT ")", GST_TIME_ARGS (end),
        GST_TIME_ARGS (GST_CLOCK_TIME_IS_VALID (start) ? start : 0));
    return FALSE;
  }
  g_object_set (self, "range-start", start, "range-end", end, nullptr);
  return TRUE;
}

/**
 * gst_offline_download_request_get_range_start:
 * @self: a #GstOfflineDownloadRequest
 *
 * Returns: where the time range to download starts, in nanoseconds, or
 *   %GST_CLOCK_TIME_NONE when it is the start of the presentation.
 */
GstClockTime gst_offline_download_request_get_range_start (GstOfflineDownloadRequest *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_REQUEST (self), GST_CLOCK_TIME_NONE);
  return self->record.range_start_ns.value_or (GST_CLOCK_TIME_NONE);
}

/**
 * gst_offline_download_request_get_range_end:
 * @self: a #GstOfflineDownloadRequest
 *
 * Returns: where the time range to download ends, in nanoseconds, or
 *   %GST_CLOCK_TIME_NONE when it is the end of the presentation.
 */
GstClockTime gst_offline_download_request_get_range_end (GstOfflineDownloadRequest *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_REQUEST (self), GST_CLOCK_TIME_NONE);
  return self->record.range_end_ns.value_or (GST_CLOCK_TIME_NONE);
}

/**
 * gst_offline_download_request_derive_id:
 * @uri: a URI
 *
 * The id a download of @uri gets when none is given: the last meaningful
 * element of its path without its extension — not a name every manifest
 * has, such as `manifest`, `master`, `index` or `playlist`
 * (`…/movie/manifest.mpd` gives `movie`, `…/movie.ism/Manifest` gives
 * `movie`) — reduced to the characters that need no escaping in an
 * `offline://` URI (letters, digits, `-`, `.`, `_`, `~`), or "download".
 *
 * Returns: (transfer full): the id.
 */
gchar *gst_offline_download_request_derive_id (const gchar *uri)
{
  g_return_val_if_fail (uri != nullptr, nullptr);
  static const char *const kGenericNames[] = { "manifest", "master", "index", "playlist", "main", "default",
    "stream", "media", "video", "output", "prog_index", "mpd", "dash", "hls", "mss" };
  g_autoptr (GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, nullptr);
  std::string path = parsed ? g_uri_get_path (parsed) : uri;
  g_auto (GStrv) elements = g_strsplit (path.c_str (), "/", -1);
  guint count = g_strv_length (elements);
  std::string fallback;
  for (guint i = count; i > 0; i--) {
    g_autofree gchar *unescaped = g_uri_unescape_string (elements[i - 1], nullptr);
    std::string name = unescaped ? unescaped : elements[i - 1];
    size_t dot = name.find_last_of ('.');
    if (dot != std::string::npos && dot > 0)
      name.resize (dot);
    std::string id;
    for (char c : name)
      id += gst_offline::is_id_char (c) ? c : '-';
    if (!gst_offline::check_download_id (id, nullptr))
      continue;
    g_autofree gchar *lower = g_ascii_strdown (id.c_str (), -1);
    bool generic = std::any_of (std::begin (kGenericNames), std::end (kGenericNames),
        [&] (const char *g) { return g_str_equal (lower, g); });
    if (!generic)
      return g_strdup (id.c_str ());
    if (fallback.empty ())
      fallback = id;
  }
  return g_strdup (fallback.empty () ? "download" : fallback.c_str ());
}

namespace gst_offline {

bool is_id_char (char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '.' || c == '_' || c == '~';
}

bool check_download_id (const std::string &id, GError **error)
{
  const char *why = nullptr;
  if (id.empty ())
    why = "it is empty";
  else if (id == "." || id == "..")
    why = "it names a directory";
  else if (id[0] == '-')
    why = "it starts with '-', which reads as an option";
  else if (!std::all_of (id.begin (), id.end (), is_id_char))
    why = "use letters, digits, '-', '.', '_' and '~'";
  if (!why)
    return true;
  g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT, "'%s' is not a valid download id: %s",
      id.c_str (), why);
  return false;
}

GstOfflineDownloadRequest *download_request_new (const DownloadRecord &record)
{
  auto self = GST_OFFLINE_DOWNLOAD_REQUEST (g_object_new (GST_OFFLINE_TYPE_DOWNLOAD_REQUEST, "uri", record.uri.c_str (), nullptr));
  self->record = record;
  sync_views (self);
  return self;
}

const DownloadRecord &download_request_record (GstOfflineDownloadRequest *request)
{
  return request->record;
}

}  // namespace gst_offline
