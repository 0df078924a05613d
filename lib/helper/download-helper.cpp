/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/offline/offline-download-helper.h>
#include <gst/offline/offline-enum-types.h>

#include <gst/offline/offline-helper-private.h>
#include "manifest/download-type.h"
#include "tracks/dash-tracks.h"
#include "tracks/hls-tracks.h"
#include "tracks/mss-tracks.h"
#include "tracks/track-selection.h"
#include "tracks/track-size.h"
#include "http/http-request.h"
#include "index/download-private.h"
#include "index/track-private.h"
#include "manifest/dash/mpd-parser.h"
#include "manifest/hls/playlist-parser.h"
#include "manifest/mss/manifest-parser.h"
#include "manifest/dash/sidx.h"
#include "util/handles.h"
#include "util/header-line.h"

#include <algorithm>
#include <map>
#include <set>


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
 *
 * gst_offline_download_helper_measure_async() (or its blocking form
 * gst_offline_download_helper_measure()) tells what the tracks will take on
 * disk (#GstOfflineTrack:size) and gst_offline_download_helper_get_size()
 * what a selection takes, before anything is downloaded; after
 * gst_offline_download_helper_set_time_range(), what a download of that
 * time range takes.
 */

GST_DEBUG_CATEGORY_STATIC (download_helper_debug);
#define GST_CAT_DEFAULT download_helper_debug

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
  /* What measure () counts: the segments a download of it fetches. */
  gst_offline::TimeRange range;
  /* What prepare () parsed, for measure (). */
  struct Parsed {
    std::optional<gst_offline::dash::Mpd> mpd;
    std::optional<gst_offline::hls::Playlist> playlist;
    std::optional<gst_offline::mss::Manifest> mss;
    /* A media file's length, as its server said it; -1 if it did not. */
    gint64 content_length = -1;
    /* The manifest's: a download keeps it too. */
    guint64 manifest_length = 0;
    /* The presentation's length, when its manifest tells it. */
    std::optional<guint64> duration;
    /* The manifests and playlists fetched, by URL, for the download that
     * follows (gst_offline_download_helper_take_documents ()). */
    gst_offline::FetchedDocuments documents;
    /* A live stream (recorded, not downloaded): no length, no size. */
    bool live = false;
  } parsed;
};

G_DEFINE_FINAL_TYPE (GstOfflineDownloadHelper, gst_offline_download_helper, G_TYPE_OBJECT)

static void gst_offline_download_helper_init (GstOfflineDownloadHelper *self)
{
  new (&self->uri) std::string ();
  new (&self->headers) std::vector<std::string> ();
  new (&self->tracks) std::vector<gst_offline::Track> ();
  new (&self->parsed) _GstOfflineDownloadHelper::Parsed ();
  new (&self->range) gst_offline::TimeRange ();
  self->type = GST_OFFLINE_DOWNLOAD_TYPE_AUTO;
  self->requested_type = GST_OFFLINE_DOWNLOAD_TYPE_AUTO;
}

static void gst_offline_download_helper_finalize (GObject *object)
{
  auto self = GST_OFFLINE_DOWNLOAD_HELPER (object);
  self->uri.~basic_string ();
  self->headers.~vector ();
  self->tracks.~vector ();
  self->parsed.~Parsed ();
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
  gint64 content_length = -1;
};

/* Fetches the URI and tells its type (the requested one, or
 * detect_download_type () from its first bytes): a manifest is read whole, a
 * media file only as far as it takes to recognise it. */
std::optional<Fetched> fetch (GstOfflineDownloadHelper *self, GCancellable *cancellable, GError **error)
{
  gst_offline::HttpRequest request;
  request.url = self->uri;
  request.headers = self->headers;
  request.max_size = kMaxManifestBytes;
  bool typed = false;
  auto tell_type = [self, &typed] (const std::string &held, const std::string &content_type) {
    if (typed)
      return;
    typed = true;
    self->type = self->requested_type != GST_OFFLINE_DOWNLOAD_TYPE_AUTO ? self->requested_type
        : gst_offline::detect_download_type (self->uri, content_type, held.substr (0, kSniffBytes));
  };
  request.enough = [&] (const std::string &held, const std::string &content_type) {
    if (held.size () < kSniffBytes)
      return false;
    tell_type (held, content_type);
    return self->type == GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE;
  };
  g_autoptr (GError) request_error = nullptr;
  auto response = gst_offline::http_request (std::move (request), cancellable, &request_error);
  if (!response) {
    if (g_error_matches (request_error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED))
      g_prefix_error (&request_error, "not a manifest gst-offline accepts: ");
    g_propagate_error (error, g_steal_pointer (&request_error));
    return std::nullopt;
  }
  tell_type (response->body, response->content_type);
  if (self->type != GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE)
    self->parsed.documents[self->uri] = response->body;
  return Fetched { response->content_type, std::move (response->body), response->content_length };
}

/* The length of an HLS presentation: its media playlist's, or for a
 * master playlist (which has no durations) that of its first variant's
 * media playlist, fetched for it. Unknown for a live playlist, or when the
 * variant's playlist cannot be had (measuring then says why). */
std::optional<guint64> hls_duration (GstOfflineDownloadHelper *self, const gst_offline::hls::Playlist &playlist,
    GCancellable *cancellable)
{
  namespace hls = gst_offline::hls;
  if (playlist.is_media ()) {
    if (playlist.media ().is_live ()) {
      self->parsed.live = true;
      return std::nullopt;
    }
    return playlist.media ().duration ();
  }
  if (playlist.master ().variants.empty ())
    return std::nullopt;
  gst_offline::HttpRequest request;
  request.url = playlist.master ().variants.front ().uri;
  request.headers = self->headers;
  request.max_size = kMaxManifestBytes;
  g_autoptr (GError) error = nullptr;
  auto response = gst_offline::http_request (std::move (request), cancellable, &error);
  std::optional<hls::Playlist> media;
  if (response) {
    media = hls::parse_playlist (response->body, playlist.master ().variants.front ().uri, &error);
    self->parsed.documents[playlist.master ().variants.front ().uri] = response->body;
  }
  if (media && media->is_media () && media->media ().is_live ())
    self->parsed.live = true;
  if (!media || !media->is_media () || media->media ().is_live ()) {
    GST_INFO ("%s: the length of the presentation is unknown: %s", self->uri.c_str (),
        error ? error->message : "its first variant is no VOD media playlist");
    return std::nullopt;
  }
  return media->media ().duration ();
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
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (download_helper_debug, "offlinehelper", 0, "gst-offline download helper");
    g_once_init_leave (&once, 1);
  }
  self->tracks.clear ();
  self->parsed = {};
  self->prepared = false;
  auto fetched = fetch (self, cancellable, error);
  if (!fetched)
    return FALSE;
  const std::string *bytes = &fetched->bytes;
  self->parsed.manifest_length = bytes->size ();
  switch (self->type) {
    case GST_OFFLINE_DOWNLOAD_TYPE_DASH: {
      /* A live MPD too: its tracks are chosen as a VOD one's. */
      auto mpd = gst_offline::dash::parse_mpd (*bytes, self->uri, error, gst_offline::dash::Dynamic::Accept);
      if (!mpd)
        return FALSE;
      self->tracks = gst_offline::dash_tracks (*mpd);
      self->parsed.live = mpd->is_dynamic ();
      if (!self->parsed.live)
        self->parsed.duration = mpd->duration ();
      self->parsed.mpd = std::move (mpd);
      break;
    }
    case GST_OFFLINE_DOWNLOAD_TYPE_HLS: {
      auto playlist = gst_offline::hls::parse_playlist (*bytes, self->uri, error);
      if (!playlist)
        return FALSE;
      self->tracks = gst_offline::hls_tracks (*playlist);
      self->parsed.duration = hls_duration (self, *playlist, cancellable);
      self->parsed.playlist = std::move (playlist);
      break;
    }
    case GST_OFFLINE_DOWNLOAD_TYPE_MSS: {
      auto manifest = gst_offline::mss::parse_manifest (*bytes, self->uri, error);
      if (!manifest)
        return FALSE;
      self->tracks = gst_offline::mss_tracks (*manifest);
      if (manifest->duration && manifest->timescale > 0)
        self->parsed.duration = gst_util_uint64_scale (*manifest->duration, GST_SECOND, manifest->timescale);
      self->parsed.mss = std::move (manifest);
      break;
    }
    case GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE:
      /* What is not a manifest must be media: an HTML page is refused here
       * as the download would refuse it. */
      if (!gst_offline::check_is_media (*bytes, self->uri, error))
        return FALSE;
      self->parsed.content_length = fetched->content_length;
      break;
    default:
      if (!gst_offline::download_type_supported (self->type, error))
        return FALSE;
      break;
  }
  /* The variant playlist that told the length may have been cut short. */
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  for (guint i = 0; i < self->tracks.size (); i++)
    self->tracks[i].index = i;
  self->prepared = true;
  return TRUE;
}

/* Not introspected: see offline-helper-private.h. */
GHashTable *gst_offline_download_helper_take_documents (GstOfflineDownloadHelper *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_HELPER (self), nullptr);
  GHashTable *documents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  for (auto &entry : self->parsed.documents)
    g_hash_table_insert (documents, g_strdup (entry.first.c_str ()),
        g_bytes_new (entry.second.data (), entry.second.size ()));
  self->parsed.documents.clear ();
  return documents;
}

namespace {

using BlockingCall = gboolean (*) (GstOfflineDownloadHelper *self, GCancellable *cancellable, GError **error);

/* The _async form (tagged `tag`) of the blocking call `blocking`: it runs on
 * a thread of GIO's pool and answers `callback` in the caller's
 * thread-default main context; a cancellation that comes first wins over a
 * call that succeeds. */
void run_in_thread (GstOfflineDownloadHelper *self, BlockingCall blocking, gpointer tag, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tag);
  g_task_set_check_cancellable (task, TRUE);
  g_task_set_task_data (task, new BlockingCall (blocking), [] (gpointer call) { delete static_cast<BlockingCall *> (call); });
  g_task_run_in_thread (task, [] (GTask *task, gpointer source, gpointer call, GCancellable *cancellable) {
    GError *error = nullptr;
    if ((*static_cast<BlockingCall *> (call)) (GST_OFFLINE_DOWNLOAD_HELPER (source), cancellable, &error))
      g_task_return_boolean (task, TRUE);
    else
      g_task_return_error (task, error);
  });
}

/* The answer of run_in_thread () with `tag`. */
gboolean finish_in_thread (GstOfflineDownloadHelper *self, GAsyncResult *result, gpointer tag, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tag, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

}  // namespace

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
  run_in_thread (self, gst_offline_download_helper_prepare,
      reinterpret_cast<gpointer> (gst_offline_download_helper_prepare_async), cancellable, callback, user_data);
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
  return finish_in_thread (self, result, reinterpret_cast<gpointer> (gst_offline_download_helper_prepare_async), error);
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
 * gst_offline_download_helper_get_duration:
 * @self: a prepared #GstOfflineDownloadHelper
 *
 * The length of the presentation, as its manifest tells it: a DASH MPD's
 * mediaPresentationDuration (else the end of its last Period), a Smooth
 * Streaming manifest's Duration, the sum of an HLS media playlist's segment
 * durations (for a master playlist, which holds none, preparing fetches the
 * media playlist of its first variant). A time range that starts there or
 * later holds nothing (gst_offline_download_manager_add_download_async()
 * refuses it).
 *
 * Returns: the length in nanoseconds, or %GST_CLOCK_TIME_NONE when it is
 *   not known: a media file, a manifest that does not say, a live stream
 *   (gst_offline_download_helper_is_live()), a variant playlist that could
 *   not be fetched, or before preparing.
 */
GstClockTime gst_offline_download_helper_get_duration (GstOfflineDownloadHelper *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_HELPER (self), GST_CLOCK_TIME_NONE);
  if (!self->prepared || !self->parsed.duration)
    return GST_CLOCK_TIME_NONE;
  return *self->parsed.duration;
}

/**
 * gst_offline_download_helper_is_live:
 * @self: a prepared #GstOfflineDownloadHelper
 *
 * Whether the URL is a live stream, which a download records rather than
 * fetches whole (see #GstOfflineDownloadRequest:live-duration): an HLS
 * media playlist without EXT-X-ENDLIST (for a master playlist, that of its
 * first variant) or a dynamic DASH MPD. A live stream has no duration
 * (gst_offline_download_helper_get_duration()) and its tracks no size:
 * what its manifest lists now is a window that slides.
 *
 * Returns: %TRUE for a live stream; %FALSE otherwise or before preparing.
 */
gboolean gst_offline_download_helper_is_live (GstOfflineDownloadHelper *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_HELPER (self), FALSE);
  return self->prepared && self->parsed.live;
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
    g_ptr_array_add (tracks, gst_offline::track_new (self->tracks[i]));
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

namespace {

using gst_offline::SizeEstimate;

/* What measure () learns once, whichever track asks first. */
struct Measurement {
  /* The lengths HEAD requests told (-1: the server did not say). */
  std::map<std::string, gint64> lengths;
  /* An HLS media playlist, its length, and the rate its sampled segments
   * give (0: unknown). */
  struct HlsMedia {
    gst_offline::hls::MediaPlaylist media;
    guint64 playlist_length = 0;
    guint64 sampled_bandwidth = 0;
  };
  std::map<std::string, HlsMedia> hls_media;
};

/* A request of the helper's, with its headers. */
gst_offline::HttpRequest helper_request (GstOfflineDownloadHelper *self, const std::string &url)
{
  gst_offline::HttpRequest request;
  request.url = url;
  request.headers = self->headers;
  return request;
}

/* The length of `url` as its server tells it to a HEAD request (once per
 * URL), -1 when it does not say. */
std::optional<gint64> head_length (GstOfflineDownloadHelper *self, const std::string &url, Measurement &m,
    GCancellable *cancellable, GError **error)
{
  auto known = m.lengths.find (url);
  if (known != m.lengths.end ())
    return known->second;
  auto request = helper_request (self, url);
  request.method = "HEAD";
  auto response = gst_offline::http_request (std::move (request), cancellable, error);
  if (!response)
    return std::nullopt;
  m.lengths.emplace (url, response->content_length);
  return response->content_length;
}

/* The lengths of the resources `size` could not tell (init segments), one
 * HEAD request each (once per URL): a few per track. */
bool measure_parts (GstOfflineDownloadHelper *self, SizeEstimate &size, Measurement &m, GCancellable *cancellable,
    GError **error)
{
  for (const std::string &url : size.to_measure) {
    auto length = head_length (self, url, m, cancellable, error);
    if (!length)
      return false;
    size.resolve (*length);
  }
  size.to_measure.clear ();
  return true;
}

std::optional<SizeEstimate> dash_track_size (GstOfflineDownloadHelper *self, const gst_offline::Track &track,
    GCancellable *cancellable, GError **error)
{
  namespace dash = gst_offline::dash;
  const dash::Mpd &mpd = *self->parsed.mpd;
  auto ref = gst_offline::parse_dash_stream_key (track.stream_key, mpd, error);
  if (!ref)
    return std::nullopt;
  const dash::Period &period = mpd.periods[ref->period];
  const dash::Representation &rep = period.adaptation_sets[ref->set].representations[ref->representation];
  guint64 cut = gst_offline::dash_period_cut (mpd, ref->period);
  auto index = dash::expand_segments (period, rep, [] (dash::MediaSegment &&, GError **) { return true; }, error);
  if (!index)
    return std::nullopt;
  if (!index->sidx)
    return gst_offline::dash_representation_size (period, ref->period, rep, cut, nullptr, self->range, error);
  /* SegmentBase: its sidx lists the byte ranges, exactly (one small
   * request, as the download makes first). */
  auto request = helper_request (self, index->sidx->url);
  request.headers.push_back ("Range: bytes=" + std::to_string (index->sidx->range.first) + "-"
      + std::to_string (index->sidx->range.last));
  request.max_size = dash::kMaxIndexBytes;
  auto response = gst_offline::http_request (std::move (request), cancellable, error);
  if (!response)
    return std::nullopt;
  if (!dash::add_sidx_segments (*index, reinterpret_cast<const guint8 *> (response->body.data ()),
          response->body.size (), error))
    return std::nullopt;
  return gst_offline::dash_representation_size (period, ref->period, rep, cut, &*index, self->range, error);
}

/* The lengths of `urls` that `m` does not know yet, into it, as their
 * servers tell HEAD requests (gst_offline::head_lengths (), the download's
 * sample too), on the helper's thread. False only when cancelled. */
bool sample_lengths (GstOfflineDownloadHelper *self, const std::vector<std::string> &urls, Measurement &m,
    GCancellable *cancellable, GError **error)
{
  std::vector<std::string> asked;
  for (const std::string &url : urls) {
    if (!m.lengths.count (url))
      asked.push_back (url);
  }
  if (asked.empty ())
    return true;
  std::vector<gint64> lengths;
  if (!gst_offline::head_lengths (asked, self->headers, cancellable, &lengths, error))
    return false;
  for (size_t i = 0; i < asked.size (); i++)
    m.lengths[asked[i]] = lengths[i];
  return true;
}

/* The rate of an HLS media playlist from the lengths of a few of its
 * segments, into `bandwidth` (0: the server told none). */
bool sample_bandwidth (GstOfflineDownloadHelper *self, const gst_offline::hls::MediaPlaylist &media, Measurement &m,
    guint64 *bandwidth, GCancellable *cancellable, GError **error)
{
  std::vector<size_t> sampled = gst_offline::hls_sampled_segments (media);
  std::vector<std::string> urls;
  for (size_t i : sampled)
    urls.push_back (media.segments[i].uri);
  if (!sample_lengths (self, urls, m, cancellable, error))
    return false;
  std::vector<gint64> lengths;
  for (const std::string &url : urls)
    lengths.push_back (m.lengths[url]);
  *bandwidth = gst_offline::hls_sampled_bandwidth (media, sampled, lengths);
  return true;
}

/* The media playlist at `uri` (fetched once), with the rate of its sampled
 * segments. */
const Measurement::HlsMedia *hls_media (GstOfflineDownloadHelper *self, const std::string &uri, Measurement &m,
    GCancellable *cancellable, GError **error)
{
  namespace hls = gst_offline::hls;
  auto known = m.hls_media.find (uri);
  if (known == m.hls_media.end ()) {
    /* The durations (and byte ranges) are in its media playlist. */
    auto request = helper_request (self, uri);
    request.max_size = kMaxManifestBytes;
    auto response = gst_offline::http_request (std::move (request), cancellable, error);
    if (!response)
      return nullptr;
    auto media = hls::parse_playlist (response->body, uri, error);
    if (!media)
      return nullptr;
    if (!media->is_media ()) {
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
          "%s, a media playlist of %s, is a master playlist", uri.c_str (), self->uri.c_str ());
      return nullptr;
    }
    Measurement::HlsMedia entry;
    entry.media = media->media ();
    entry.playlist_length = response->body.size ();
    if (!sample_bandwidth (self, entry.media, m, &entry.sampled_bandwidth, cancellable, error))
      return nullptr;
    known = m.hls_media.emplace (uri, std::move (entry)).first;
  }
  return &known->second;
}

std::optional<SizeEstimate> hls_track_size (GstOfflineDownloadHelper *self, const gst_offline::Track &track,
    Measurement &m, GCancellable *cancellable, GError **error)
{
  namespace hls = gst_offline::hls;
  const hls::Playlist &playlist = *self->parsed.playlist;
  if (playlist.is_media ()) {
    guint64 bandwidth = 0;
    if (!sample_bandwidth (self, playlist.media (), m, &bandwidth, cancellable, error))
      return std::nullopt;
    return gst_offline::hls_media_size (playlist.media (), bandwidth, self->range);
  }
  auto ref = gst_offline::parse_hls_stream_key (track.stream_key, playlist, error);
  if (!ref)
    return std::nullopt;
  const hls::MasterPlaylist &master = playlist.master ();
  const Measurement::HlsMedia *media;
  guint64 bandwidth = 0;
  if (ref->kind == gst_offline::HlsTrackRef::Kind::Variant) {
    const hls::Variant &variant = master.variants[ref->variant];
    media = hls_media (self, variant.uri, m, cancellable, error);
    if (!media)
      return std::nullopt;
    /* Without the lengths of its segments, its BANDWIDTH, which counts the
     * audio of its AUDIO group too: less the largest of those that are
     * renditions of their own. */
    std::vector<guint64> audio;
    if (media->sampled_bandwidth == 0) {
      for (const hls::Rendition *r : master.renditions_in_group (hls::RenditionType::Audio, variant.audio_group)) {
        if (!r->uri || *r->uri == variant.uri)
          continue;
        auto rendition = hls_media (self, *r->uri, m, cancellable, error);
        if (!rendition)
          return std::nullopt;
        audio.push_back (gst_offline::hls_rendition_bandwidth (rendition->media, rendition->sampled_bandwidth));
      }
    }
    bandwidth = gst_offline::hls_playlist_bandwidth (media->sampled_bandwidth, &variant, audio);
  } else {
    media = hls_media (self, *ref->rendition->uri, m, cancellable, error);
    if (!media)
      return std::nullopt;
    bandwidth = gst_offline::hls_playlist_bandwidth (media->sampled_bandwidth, nullptr, {});
  }
  SizeEstimate size = gst_offline::hls_media_size (media->media, bandwidth, self->range);
  /* The download keeps the playlist too. */
  size.add_exact (media->playlist_length);
  return size;
}

std::optional<SizeEstimate> mss_track_size (GstOfflineDownloadHelper *self, const gst_offline::Track &track,
    GError **error)
{
  const gst_offline::mss::Manifest &manifest = *self->parsed.mss;
  auto ref = gst_offline::parse_mss_stream_key (track.stream_key, manifest, error);
  if (!ref)
    return std::nullopt;
  const auto &stream = manifest.streams[ref->stream];
  return gst_offline::mss_level_size (manifest, stream, stream.quality_levels[ref->level], self->range, error);
}

}  // namespace

/**
 * gst_offline_download_helper_set_time_range:
 * @self: a #GstOfflineDownloadHelper
 * @start: where the range starts, in nanoseconds of presentation time, or
 *   %GST_CLOCK_TIME_NONE for the start
 * @end: where it ends, or %GST_CLOCK_TIME_NONE for the end
 * @error: return location for a #GError
 *
 * Makes gst_offline_download_helper_measure() count what a download of
 * this time range takes (gst_offline_download_request_set_time_range()):
 * the segments of each track that cover it, as the download chooses them,
 * with the initialization segments; the whole presentation by default. Call
 * it before measuring.
 *
 * Returns: %FALSE with %GST_OFFLINE_ERROR_INVALID_ARGUMENT when @end is not
 *   after @start (the range is left as it was).
 */
gboolean gst_offline_download_helper_set_time_range (GstOfflineDownloadHelper *self, GstClockTime start,
    GstClockTime end, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_HELPER (self), FALSE);
  guint64 from = GST_CLOCK_TIME_IS_VALID (start) ? start : 0;
  if (GST_CLOCK_TIME_IS_VALID (end) && end <= from) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
        "the time range ends (%" GST_TIME_FORMAT ") before it starts (%" GST_TIME_FORMAT ")", GST_TIME_ARGS (end),
        GST_TIME_ARGS (from));
    return FALSE;
  }
  self->range.start_ns = from;
  self->range.end_ns = GST_CLOCK_TIME_IS_VALID (end) ? end : G_MAXUINT64;
  return TRUE;
}

/**
 * gst_offline_download_helper_measure:
 * @self: a prepared #GstOfflineDownloadHelper
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Finds what each track will take on disk (#GstOfflineTrack:size of the
 * tracks gst_offline_download_helper_get_tracks() returns afterwards),
 * blocking the calling thread (gst_offline_download_helper_measure_async()
 * does not): exact where the manifest gives the bytes (DASH byte ranges, a
 * SegmentBase's sidx, HLS EXT-X-BYTERANGE), else an estimate: the track's
 * bandwidth times its segments' durations. An HLS track (a variant or a
 * rendition) takes the rate of three of its segments (the first, the
 * middle and the last), whose lengths HEAD requests tell, sent together: a
 * rendition has no bandwidth of its own, and a variant's BANDWIDTH may be
 * far from its rate (ffmpeg writes the rate its encoder announces, none for
 * a quality-based encode). A variant whose server tells none of those
 * lengths takes its AVERAGE-BANDWIDTH, else its BANDWIDTH, less the largest
 * audio rendition of its AUDIO group (which its BANDWIDTH includes). Either
 * way the size is an estimate. It asks the server only for what the
 * manifest does not hold: an HLS track's media playlist, a SegmentBase's
 * sidx, the length of an init segment without a byte range and of those
 * sampled segments (HEAD requests), never one request per media segment. A track whose server
 * tells none of these lengths stays unknown (-1). A media file's size is
 * what its server said when preparing. With a time range
 * (gst_offline_download_helper_set_time_range()), only the segments a
 * download of it fetches count.
 *
 * Returns: %FALSE with the error of a request or of a malformed media
 *   playlist or sidx.
 */
gboolean gst_offline_download_helper_measure (GstOfflineDownloadHelper *self, GCancellable *cancellable,
    GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_HELPER (self), FALSE);
  g_return_val_if_fail (self->prepared, FALSE);
  /* What a live stream's manifest lists is a window that slides, not what
   * a recording takes: its size is unknown. */
  if (self->parsed.live) {
    for (gst_offline::Track &track : self->tracks) {
      track.size.reset ();
      track.size_exact = false;
    }
    return TRUE;
  }
  Measurement m;
  for (gst_offline::Track &track : self->tracks) {
    std::optional<SizeEstimate> size;
    switch (self->type) {
      case GST_OFFLINE_DOWNLOAD_TYPE_DASH: size = dash_track_size (self, track, cancellable, error); break;
      case GST_OFFLINE_DOWNLOAD_TYPE_HLS: size = hls_track_size (self, track, m, cancellable, error); break;
      case GST_OFFLINE_DOWNLOAD_TYPE_MSS: size = mss_track_size (self, track, error); break;
      default: size = SizeEstimate {}; break;
    }
    if (!size || !measure_parts (self, *size, m, cancellable, error)) {
      g_prefix_error (error, "cannot tell the size of track %s: ", track.stream_key.c_str ());
      return FALSE;
    }
    track.size = size->total ();
    track.size_exact = size->exact;
  }
  return TRUE;
}

/**
 * gst_offline_download_helper_measure_async:
 * @self: a prepared #GstOfflineDownloadHelper
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called in the thread-default main context of
 *   the caller when the tracks are measured (or measuring failed)
 * @user_data: data for @callback
 *
 * Does what gst_offline_download_helper_measure() does without blocking
 * the caller: its requests run on a thread of GIO's pool. Leave @self alone
 * (no other call on it) until @callback has been called; then call
 * gst_offline_download_helper_measure_finish().
 */
void gst_offline_download_helper_measure_async (GstOfflineDownloadHelper *self, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (GST_OFFLINE_IS_DOWNLOAD_HELPER (self));
  g_return_if_fail (self->prepared);
  g_return_if_fail (cancellable == nullptr || G_IS_CANCELLABLE (cancellable));
  run_in_thread (self, gst_offline_download_helper_measure,
      reinterpret_cast<gpointer> (gst_offline_download_helper_measure_async), cancellable, callback, user_data);
}

/**
 * gst_offline_download_helper_measure_finish:
 * @self: a #GstOfflineDownloadHelper
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE if the tracks are measured (read their
 *   #GstOfflineTrack:size, or gst_offline_download_helper_get_size());
 *   %FALSE with %G_IO_ERROR_CANCELLED when cancelled, or the errors of
 *   gst_offline_download_helper_measure().
 */
gboolean gst_offline_download_helper_measure_finish (GstOfflineDownloadHelper *self, GAsyncResult *result,
    GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_HELPER (self), FALSE);
  return finish_in_thread (self, result, reinterpret_cast<gpointer> (gst_offline_download_helper_measure_async), error);
}

/**
 * gst_offline_download_helper_get_size:
 * @self: a measured #GstOfflineDownloadHelper (gst_offline_download_helper_measure())
 * @stream_keys: (nullable) (array zero-terminated=1): the tracks (from
 *   gst_offline_download_helper_select_tracks()); %NULL for the default
 *   selection, which a download that names no track takes
 * @exact: (out) (optional): whether the size is exact rather than an estimate
 *
 * What downloading the selection takes on disk: the manifest and the sum
 * of its tracks' #GstOfflineTrack:size (a media file: its length), of the
 * time range gst_offline_download_helper_set_time_range() gave when
 * measuring (a media file has none: its whole length).
 *
 * Returns: the bytes, or -1 when unknown (a track's size is unknown, the
 *   helper was not measured, a key names no track, a media file whose
 *   server did not say its length).
 */
gint64 gst_offline_download_helper_get_size (GstOfflineDownloadHelper *self, const gchar *const *stream_keys,
    gboolean *exact)
{
  if (exact)
    *exact = FALSE;
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_HELPER (self), -1);
  if (!self->prepared)
    return -1;
  if (self->type == GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE) {
    if (exact)
      *exact = self->parsed.content_length >= 0;
    return self->parsed.content_length;
  }
  std::vector<std::string> requested;
  for (const gchar *const *key = stream_keys; key && *key; key++)
    requested.emplace_back (*key);
  /* The one selection rule of the downloaders. */
  auto keys = gst_offline::download_stream_keys (requested, self->tracks, self->uri, nullptr);
  if (!keys)
    return -1;
  /* The download keeps the manifest too. */
  guint64 total = self->parsed.manifest_length;
  bool all_exact = true;
  std::set<std::string> counted;
  for (const std::string &key : *keys) {
    if (!counted.insert (key).second)
      continue;
    auto track = std::find_if (self->tracks.begin (), self->tracks.end (),
        [&] (const gst_offline::Track &t) { return t.stream_key == key; });
    if (track == self->tracks.end () || !track->size)
      return -1;
    total += *track->size;
    all_exact = all_exact && track->size_exact;
  }
  if (exact)
    *exact = all_exact;
  return static_cast<gint64> (total);
}
