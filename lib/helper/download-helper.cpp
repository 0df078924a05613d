/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/offline/offline-download-helper.h>
#include <gst/offline/offline-enum-types.h>

#include "downloader/downloader.h"
#include "downloader/progressive-downloader.h"
#include "helper/dash-tracks.h"
#include "helper/hls-tracks.h"
#include "helper/mss-tracks.h"
#include "helper/track-selection.h"
#include "http/http-client.h"
#include "index/download-private.h"
#include "index/track-private.h"
#include "manifest/dash/mpd-parser.h"
#include "manifest/hls/playlist-parser.h"
#include "manifest/mss/manifest-parser.h"

#include <libsoup/soup.h>

/**
 * SECTION:offline-download-helper
 * @title: GstOfflineDownloadHelper
 * @short_description: what a URL offers, and a request for some of it
 *
 * As ExoPlayer's DownloadHelper: gst_offline_download_helper_prepare_async()
 * (or its blocking form gst_offline_download_helper_prepare()) fetches a
 * URL's manifest (only its first bytes when it is a media file),
 * gst_offline_download_helper_get_tracks() lists what it offers,
 * gst_offline_download_helper_select_tracks() chooses by the SPECs of the
 * command line (`best`, `worst`, `all`, `none`, `720p`, `max-bitrate=N`,
 * a language such as `en`), and
 * gst_offline_download_helper_get_download_request() makes the request to
 * give to gst_offline_download_manager_add_download_async().
 */

namespace {

/* Enough to recognise any media file or manifest. */
constexpr gsize kSniffBytes = 64 * 1024;
constexpr gsize kMaxManifestBytes = 64 * 1024 * 1024;

}  // namespace

struct _GstOfflineDownloadHelper {
  GObject parent;
  std::string uri;
  std::vector<std::string> headers;
  GstOfflineDownloadType type;
  GstOfflineDownloadType requested_type; /* AUTO: detect it */
  std::vector<gst_offline::Track> tracks;
  bool prepared;
};

G_DEFINE_FINAL_TYPE (GstOfflineDownloadHelper, gst_offline_download_helper, G_TYPE_OBJECT)

static void gst_offline_download_helper_init (GstOfflineDownloadHelper *self)
{
  new (&self->uri) std::string ();
  new (&self->headers) std::vector<std::string> ();
  new (&self->tracks) std::vector<gst_offline::Track> ();
  self->type = GST_OFFLINE_DOWNLOAD_TYPE_AUTO;
  self->requested_type = GST_OFFLINE_DOWNLOAD_TYPE_AUTO;
}

static void gst_offline_download_helper_finalize (GObject *object)
{
  auto self = GST_OFFLINE_DOWNLOAD_HELPER (object);
  self->uri.~basic_string ();
  self->headers.~vector ();
  self->tracks.~vector ();
  G_OBJECT_CLASS (gst_offline_download_helper_parent_class)->finalize (object);
}

static void gst_offline_download_helper_class_init (GstOfflineDownloadHelperClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gst_offline_download_helper_finalize;
}

namespace {

/* What prepare () fetched: the Content-Type and the body (a manifest's
 * whole, a media file's first bytes). */
struct Fetched {
  std::string content_type;
  std::string bytes;
};

/* Reads into `bytes` until `limit` bytes or the end; false on error. */
bool read_body (GInputStream *body, std::string *bytes, gsize limit, bool *ended, GCancellable *cancellable,
    GError **error)
{
  while (bytes->size () < limit) {
    char buffer[16384];
    gssize got = g_input_stream_read (body, buffer, MIN (sizeof buffer, limit - bytes->size ()), cancellable, error);
    if (got < 0)
      return false;
    if (got == 0) {
      *ended = true;
      return true;
    }
    bytes->append (buffer, static_cast<size_t> (got));
  }
  return true;
}

/* Fetches the URI and tells its type (the requested one, or
 * detect_download_type ()): a manifest is read whole, a media file only as
 * far as it takes to recognise it. */
std::optional<Fetched> fetch (GstOfflineDownloadHelper *self, GCancellable *cancellable, GError **error)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  struct Pop {
    GMainContext *c;
    ~Pop () { g_main_context_pop_thread_default (c); }
  } pop { context };
  g_autoptr (SoupSession) session = gst_offline::http_session_new ();
  g_autoptr (SoupMessage) message = soup_message_new (SOUP_METHOD_GET, self->uri.c_str ());
  if (!message) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT, "'%s' is not an http(s) URI",
        self->uri.c_str ());
    return std::nullopt;
  }
  for (const auto &line : self->headers) {
    if (auto header = gst_offline::parse_header (line))
      soup_message_headers_replace (soup_message_get_request_headers (message), header->first.c_str (),
          header->second.c_str ());
  }
  GError *send_error = nullptr;
  g_autoptr (GInputStream) body = soup_session_send (session, message, cancellable, &send_error);
  if (!body) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NETWORK, "%s: %s", self->uri.c_str (), send_error->message);
    g_error_free (send_error);
    return std::nullopt;
  }
  if (soup_message_get_status (message) != SOUP_STATUS_OK) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_HTTP, "%s for %s",
        gst_offline::http_status_text (message).c_str (), self->uri.c_str ());
    return std::nullopt;
  }
  Fetched fetched;
  const char *content_type = soup_message_headers_get_content_type (soup_message_get_response_headers (message), nullptr);
  fetched.content_type = content_type ? content_type : "";
  bool ended = false;
  if (!read_body (body, &fetched.bytes, kSniffBytes, &ended, cancellable, error))
    return std::nullopt;
  if (self->requested_type == GST_OFFLINE_DOWNLOAD_TYPE_AUTO)
    self->type = gst_offline::detect_download_type (self->uri, fetched.content_type, fetched.bytes);
  else
    self->type = self->requested_type;
  if (ended || self->type == GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE)
    return fetched;
  if (!read_body (body, &fetched.bytes, kMaxManifestBytes, &ended, cancellable, error))
    return std::nullopt;
  if (!ended) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED, "%s is larger than any manifest gst-offline "
        "accepts", self->uri.c_str ());
    return std::nullopt;
  }
  return fetched;
}

}  // namespace

/**
 * gst_offline_download_helper_new:
 * @uri: the http(s) URI of a media file or manifest
 *
 * Returns: (transfer full): a helper; call gst_offline_download_helper_prepare() next.
 */
GstOfflineDownloadHelper *gst_offline_download_helper_new (const gchar *uri)
{
  g_return_val_if_fail (uri != nullptr, nullptr);
  auto self = GST_OFFLINE_DOWNLOAD_HELPER (g_object_new (GST_OFFLINE_TYPE_DOWNLOAD_HELPER, nullptr));
  self->uri = uri;
  return self;
}

/**
 * gst_offline_download_helper_add_header:
 * @self: a #GstOfflineDownloadHelper
 * @header: "Name: value"
 * @error: return location for a #GError
 *
 * Adds a header sent when preparing, and kept in the request it makes.
 *
 * Returns: %FALSE with %GST_OFFLINE_ERROR_INVALID_ARGUMENT for a malformed header.
 */
gboolean gst_offline_download_helper_add_header (GstOfflineDownloadHelper *self, const gchar *header, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_HELPER (self), FALSE);
  auto parsed = gst_offline::parse_header (header);
  if (!parsed) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
        "'%s' is not a valid HTTP header; expected 'Name: value'", header);
    return FALSE;
  }
  self->headers.push_back (parsed->first + ": " + parsed->second);
  return TRUE;
}

/**
 * gst_offline_download_helper_prepare:
 * @self: a #GstOfflineDownloadHelper
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Fetches the URI, blocking the calling thread (for command-line tools;
 * gst_offline_download_helper_prepare_async() does not block): a manifest
 * whole, a media file only as far as needed to recognise it; then lists its
 * tracks. Its type is the one
 * gst_offline_download_helper_set_download_type() gave, else what the URI's
 * suffix says (`.mpd`, `.m3u8`, `.ism/Manifest`, `.mp4`, ...), else the
 * server's Content-Type, else the first bytes.
 *
 * Returns: %FALSE on error: the server's, a malformed manifest, or
 *   %GST_OFFLINE_ERROR_UNSUPPORTED for content that is neither a manifest
 *   nor a media file (an HTML page) or a kind this version cannot download.
 */
gboolean gst_offline_download_helper_prepare (GstOfflineDownloadHelper *self, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_HELPER (self), FALSE);
  if (!gst_is_initialized () && !gst_init_check (nullptr, nullptr, error))
    return FALSE;
  self->tracks.clear ();
  self->prepared = false;
  auto fetched = fetch (self, cancellable, error);
  if (!fetched)
    return FALSE;
  const std::string *bytes = &fetched->bytes;
  switch (self->type) {
    case GST_OFFLINE_DOWNLOAD_TYPE_DASH: {
      auto mpd = gst_offline::dash::parse_mpd (*bytes, self->uri, error);
      if (!mpd)
        return FALSE;
      self->tracks = gst_offline::dash_tracks (*mpd);
      break;
    }
    case GST_OFFLINE_DOWNLOAD_TYPE_HLS: {
      auto playlist = gst_offline::hls::parse_playlist (*bytes, self->uri, error);
      if (!playlist)
        return FALSE;
      self->tracks = gst_offline::hls_tracks (*playlist);
      break;
    }
    case GST_OFFLINE_DOWNLOAD_TYPE_MSS: {
      auto manifest = gst_offline::mss::parse_manifest (*bytes, self->uri, error);
      if (!manifest)
        return FALSE;
      self->tracks = gst_offline::mss_tracks (*manifest);
      break;
    }
    case GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE:
      /* What is not a manifest must be media: an HTML page is refused here
       * as the download would refuse it. */
      if (!gst_offline::check_is_media (*bytes, self->uri, error))
        return FALSE;
      break;
    default:
      if (!gst_offline::downloader_supports (self->type, error))
        return FALSE;
      break;
  }
  self->prepared = true;
  return TRUE;
}

/**
 * gst_offline_download_helper_prepare_async:
 * @self: a #GstOfflineDownloadHelper
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called in the thread-default main context of
 *   the caller when the helper is prepared (or failed)
 * @user_data: data for @callback
 *
 * Does what gst_offline_download_helper_prepare() does without blocking
 * the caller: the fetch and the parse run on a thread of GIO's pool. Leave
 * @self alone (no other call on it) until @callback has been called.
 */
void gst_offline_download_helper_prepare_async (GstOfflineDownloadHelper *self, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (GST_OFFLINE_IS_DOWNLOAD_HELPER (self));
  g_return_if_fail (cancellable == nullptr || G_IS_CANCELLABLE (cancellable));
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, reinterpret_cast<gpointer> (gst_offline_download_helper_prepare_async));
  g_task_run_in_thread (task, [] (GTask *task, gpointer source, gpointer, GCancellable *cancellable) {
    GError *error = nullptr;
    if (gst_offline_download_helper_prepare (GST_OFFLINE_DOWNLOAD_HELPER (source), cancellable, &error))
      g_task_return_boolean (task, TRUE);
    else
      g_task_return_error (task, error);
  });
}

/**
 * gst_offline_download_helper_prepare_finish:
 * @self: a #GstOfflineDownloadHelper
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE if the helper is prepared; %FALSE with the errors of
 *   gst_offline_download_helper_prepare().
 */
gboolean gst_offline_download_helper_prepare_finish (GstOfflineDownloadHelper *self, GAsyncResult *result,
    GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_HELPER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * gst_offline_download_helper_set_download_type:
 * @self: a #GstOfflineDownloadHelper
 * @type: what the URI is, or %GST_OFFLINE_DOWNLOAD_TYPE_AUTO to detect it
 *
 * Takes the URI for @type instead of detecting it (as ExoPlayer's
 * `MediaItem.Builder.setMimeType`): for a server whose URLs and
 * Content-Type say nothing. Call it before gst_offline_download_helper_prepare().
 */
void gst_offline_download_helper_set_download_type (GstOfflineDownloadHelper *self, GstOfflineDownloadType type)
{
  g_return_if_fail (GST_OFFLINE_IS_DOWNLOAD_HELPER (self));
  self->requested_type = type;
}

/**
 * gst_offline_download_helper_get_download_type:
 * @self: a prepared #GstOfflineDownloadHelper
 *
 * Returns: what the URI is (%GST_OFFLINE_DOWNLOAD_TYPE_AUTO before preparing).
 */
GstOfflineDownloadType gst_offline_download_helper_get_download_type (GstOfflineDownloadHelper *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_HELPER (self), GST_OFFLINE_DOWNLOAD_TYPE_AUTO);
  return self->type;
}

/**
 * gst_offline_download_helper_get_tracks:
 * @self: a prepared #GstOfflineDownloadHelper
 *
 * Returns: (transfer container) (element-type GstOfflineTrack): the tracks the
 *   manifest offers, in manifest order; none for a media file.
 */
GPtrArray *gst_offline_download_helper_get_tracks (GstOfflineDownloadHelper *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_HELPER (self), nullptr);
  GPtrArray *tracks = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < self->tracks.size (); i++)
    g_ptr_array_add (tracks, gst_offline::track_new (self->tracks[i], i));
  return tracks;
}

/**
 * gst_offline_download_helper_select_tracks:
 * @self: a prepared #GstOfflineDownloadHelper
 * @video: (nullable): a video SPEC, %NULL for `best`
 * @audio: (nullable): an audio SPEC, %NULL for `best` (of each language)
 * @text: (nullable): a text SPEC, %NULL for `all`
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (array zero-terminated=1) (nullable): the stream
 *   keys of the chosen tracks, or %NULL with
 *   %GST_OFFLINE_ERROR_INVALID_ARGUMENT for a malformed SPEC (or SPECs given
 *   for a media file, which has no tracks to choose) and
 *   %GST_OFFLINE_ERROR_NOT_FOUND when a SPEC matches no track.
 */
gchar **gst_offline_download_helper_select_tracks (GstOfflineDownloadHelper *self, const gchar *video,
    const gchar *audio, const gchar *text, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_HELPER (self), nullptr);
  using gst_offline::TrackType;
  if (self->type == GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE && (video || audio || text)) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
        "%s is a single media file: it has no tracks to choose", self->uri.c_str ());
    return nullptr;
  }
  gst_offline::TrackSelection selection;
  const struct {
    const gchar *text;
    TrackType type;
    gst_offline::TrackSpec *spec;
  } specs[] = { { video, TrackType::Video, &selection.video }, { audio, TrackType::Audio, &selection.audio },
    { text, TrackType::Text, &selection.text } };
  for (const auto &s : specs) {
    if (!s.text)
      continue;
    auto spec = gst_offline::parse_track_spec (s.text, s.type, error);
    if (!spec)
      return nullptr;
    *s.spec = *spec;
  }
  auto keys = gst_offline::select_tracks (self->tracks, selection, error);
  if (!keys)
    return nullptr;
  GStrv result = g_new0 (gchar *, keys->size () + 1);
  for (size_t i = 0; i < keys->size (); i++)
    result[i] = g_strdup ((*keys)[i].c_str ());
  return result;
}

/**
 * gst_offline_download_helper_get_download_request:
 * @self: a prepared #GstOfflineDownloadHelper
 * @id: (nullable): the download id, %NULL to derive it from the URI
 * @stream_keys: (nullable) (array zero-terminated=1): the tracks to download
 *   (from gst_offline_download_helper_select_tracks()); %NULL for the
 *   default selection
 *
 * Returns: (transfer full): a request of the helper's type, with its headers.
 */
GstOfflineDownloadRequest *gst_offline_download_helper_get_download_request (GstOfflineDownloadHelper *self,
    const gchar *id, const gchar *const *stream_keys)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_HELPER (self), nullptr);
  GstOfflineDownloadRequest *request = gst_offline_download_request_new (id, self->uri.c_str ());
  if (self->prepared)
    gst_offline_download_request_set_download_type (request, self->type);
  if (stream_keys)
    gst_offline_download_request_set_stream_keys (request, stream_keys);
  for (const auto &header : self->headers)
    gst_offline_download_request_add_header (request, header.c_str (), nullptr);
  return request;
}
