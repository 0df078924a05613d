/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:element-cachesrc
 * @title: cachesrc
 *
 * cachesrc plays one download back from the gst-offline cache, with no
 * network access. It handles `offline://<download-id>` URIs, so playbin,
 * uridecodebin and gst_element_make_from_uri() pick it for them.
 *
 * A progressive download (one media file) comes out of one src pad, `src_0`,
 * as BYTES, like filesrc: downstream may pull from it (random access, so an
 * MP4 whose index is at the end plays) or let it push, with BYTES seeking.
 * No caps are set on it; typefinding downstream finds the container.
 *
 * An adaptive download (DASH, HLS or Smooth Streaming, from its playback
 * plan) comes out of one src pad per selected track, `src_0`, `src_1`, ...:
 * by default the best video track (the highest, then the highest bitrate),
 * the default audio track (role "main", else the first) and the first text
 * track (#GstCacheSrc:default-text); #GstCacheSrc:tracks chooses others.
 * Before its pads, cachesrc posts a #GstStreamCollection with a #GstStream
 * per track it can play (a track it cannot play, such as Smooth Streaming
 * text, is left out with a warning) and a streams-selected message; it
 * answers the SELECTABLE query and takes GST_EVENT_SELECT_STREAMS during
 * playback, as adaptivedemux2 does (an application sends the event to
 * playbin3 with the collection's stream ids, once the pipeline has
 * prerolled: GStreamer 1.22's decodebin3 loses one sent before it has an
 * output; #GstCacheSrc:tracks chooses the tracks to start with): a newly selected track takes
 * the pad of a deselected track of its type (a language switch: the pad
 * flushes and goes on with the new track where playback is, keeping its
 * stream id), else it gets a new pad that starts where playback is; a
 * deselected track whose pad nothing takes ends it with EOS. Under playbin, which switches languages among the pads it
 * has (#GstCacheSrc:tracks naming several audio tracks, then playbin's
 * current-audio), a pad nobody takes (a push answered NOT_LINKED) waits
 * without holding the others back, plays again from where playback is
 * once it is taken (a RECONFIGURE event, as input-selector sends), and
 * ends with the others.
 * Each pad carries its track's container stream as an adaptive demuxer's
 * output pad does: stream-start (one group id for all pads, the track's
 * GstStream), caps
 * (`video/quicktime` or `audio/x-m4a` for fragmented MP4,
 * `video/mpegts, systemstream=true`, `application/x-subtitle-vtt`,
 * `application/ttml+xml`; for Smooth Streaming, mssdemux's `video/quicktime,
 * variant=mss-fragmented` with timescale and media caps, since its fragments
 * have no init segment), a TIME segment, the stream collection, the track's language as tags and
 * its protection events, then the init segment and the media segments. The
 * first buffer of each media segment has the segment's start as PTS; the
 * init segment is sent again after every seek and when it changes at a
 * period boundary, where a new segment event also maps the restarting media
 * timeline (fMP4 `tfdt`) to the presentation. The pads answer DURATION and
 * SEEKING queries in TIME and take flushing TIME seeks (key-unit with a
 * snap flag lands on a segment boundary; accurate and plain key-unit seeks
 * are refined downstream). Non-flushing seeks and reverse playback are
 * refused. Adaptive pads work in push mode only. HLS AES-128 segments are
 * decrypted with the key the download stored in the DRM store.
 *
 * The DRM store is the pipeline's: a `gst-offline.drm-store` #GstContext
 * the application sets (gst_offline_drm_store_context_new()), else the
 * `drm.db` of the data directory the element plays from. The pads answer
 * offlinedrm's context query with it, so a decryptor downstream reads the
 * keys of the cache being played with no other setup.
 *
 * Protected content may name several DRM systems (Widevine and ClearKey,
 * say); the pads answer qtdemux's `drm-preferred-decryption-system-id`
 * context query with ClearKey's system id, the system of the keys
 * gst-offline keeps, so offlinedrm is chosen over any other decryptor.
 *
 * An adaptive download plays while it is being fetched (queued,
 * downloading, or stopped half-way), from its playback plan, which holds
 * every segment: duration and seeking cover the whole item. A segment is
 * played only once the cache holds it whole. When the next one is not there
 * yet and the download runs (a process, this one or another, fetches it or
 * holds it queued), the pad waits for it and for the next 4 s of the track,
 * told of the download's progress by the index (no network), and the
 * element posts BUFFERING messages: 0 percent when a pad starts waiting,
 * then how much of those 4 s is there, and 100 when none waits any more, so
 * that an application (or gst-launch-1.0) pauses meanwhile; a flush, a
 * deselection or stopping ends the wait. When the download does not run
 * (stopped, failed, or its process died), the first missing segment is a
 * RESOURCE/NOT_FOUND error that says how much is downloaded and how to
 * resume it. A progressive download plays while it is fetched too, from
 * its partial file up to the bytes made durable so far, waiting the same
 * way for more; stopped or failed, only once complete.
 *
 * A live recording plays while it records: its plan grows, and a pad at
 * the end of what it holds waits the same way (BUFFERING) while a process
 * records it, for the next segment the recorder appends; it ends (EOS) only
 * once the recording has completed, or failed or lost its process (then at
 * what it holds, with a warning). Meanwhile the duration is unknown and
 * seeking covers what is recorded so far; once it is over the duration is
 * known (DURATION_CHANGED).
 *
 * The pads are sometimes pads added when the element goes from READY to
 * PAUSED, followed by no-more-pads. Before that the element checks that the
 * download exists, that an adaptive one has its playback plan (it is written
 * once the manifest is read) and that a progressive one is complete and its
 * cached data whole, or is being fetched and has bytes of a known length
 * in the cache; if not, it posts an error that names the problem and
 * the state change fails. Inside uridecodebin3 (and so playbin3), whose
 * urisourcebin reaches PAUSED before the decodebin3 beside it, cachesrc
 * first sets that decodebin3 to PAUSED, so that no stream reaches it while
 * it is still in READY. The segments of an adaptive download are looked up
 * as they are played: a missing or damaged one is an error that names the
 * download, the track and the segment.
 *
 * The data directory is `$GST_OFFLINE_DIR` if set, else
 * `$XDG_DATA_HOME/gst-offline`, unless #GstCacheSrc:cache-dir says
 * otherwise. It must exist; cachesrc never creates it.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 playbin uri=offline://movie
 * ]| Plays the download `movie` (made with `gst-offline download URL --id movie`).
 * |[
 * gst-launch-1.0 cachesrc uri=offline://movie ! filesink location=movie.mp4
 * ]| Copies the cached file of the progressive download `movie` out of the cache.
 * |[
 * gst-launch-1.0 cachesrc download-id=movie cache-dir=/srv/offline ! decodebin ! autovideosink
 * ]| Plays the video of `movie` from the data directory /srv/offline.
 * |[
 * gst-launch-1.0 cachesrc uri=offline://show tracks=1 ! decodebin ! audioconvert ! autoaudiosink
 * ]| Plays only track 1, an audio track, of the adaptive download `show`.
 */

#include "gstcachesrc.h"

#include "cachesrc/adaptive-stream.h"
#include "cachesrc/progressive-stream.h"

#include <gst/offline/offline.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY (gst_cache_src_debug);
#define GST_CAT_DEFAULT gst_cache_src_debug

using gst_offline::AdaptivePlayback;
using gst_offline::AdaptiveStream;
using gst_offline::GObjectPtr;
using gst_offline::GstMiniObjectPtr;
using gst_offline::GstObjectPtr;
using gst_offline::OutputStream;
using gst_offline::ProgressiveStream;
using gst_offline::UniqueFd;

namespace {

constexpr const gchar *URI_SCHEME = "offline";
constexpr guint DEFAULT_BLOCKSIZE = 65536;

enum {
  PROP_0,
  PROP_URI,
  PROP_DOWNLOAD_ID,
  PROP_CACHE_DIR,
  PROP_BLOCKSIZE,
  PROP_TRACKS,
  PROP_DEFAULT_TEXT,
};

GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src_%u",
    GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS_ANY);

/* What the properties say; guarded by the object lock. */
struct Settings {
  std::string download_id;        /* empty: none */
  std::string uri_error;          /* why the last `uri` given was refused */
  std::optional<std::string> cache_dir;
  guint blocksize = DEFAULT_BLOCKSIZE;
  std::string tracks;             /* empty: the default selection */
  bool default_text = true;       /* the default selection has a text track */
};

/* The download being played, as found in READY->PAUSED: a progressive
 * source, or the plan and the chosen tracks of an adaptive download. */
struct OpenedDownload {
  GstOfflineDownloadType type;
  ProgressiveStream::Source progressive;
  std::shared_ptr<AdaptivePlayback> adaptive;
  std::vector<GObjectPtr<GstOfflineTrack>> tracks; /* the selected ones */
};

} // namespace

struct CacheSrcPrivate {
  Settings settings; /* object lock */
  /* A seek sent to the element before it had pads (object lock). */
  GstMiniObjectPtr<GstEvent> pending_seek;
  /* One per src pad; changed only in state changes, read under the object
   * lock elsewhere. */
  std::vector<std::unique_ptr<OutputStream>> streams;
  /* What the streams of an adaptive download share (object lock). */
  std::shared_ptr<AdaptivePlayback> adaptive;
  /* drm.db of the data directory, opened when first asked for (object lock). */
  GObjectPtr<GstOfflineDrmStore> data_dir_drm_store;
  guint next_pad = 0; /* the number of the next pad's name (object lock) */
};

struct _GstCacheSrc {
  GstElement parent;
  CacheSrcPrivate *priv;
};

static void gst_cache_src_uri_handler_init (gpointer g_iface, gpointer iface_data);

#define gst_cache_src_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstCacheSrc, gst_cache_src, GST_TYPE_ELEMENT,
    G_IMPLEMENT_INTERFACE (GST_TYPE_URI_HANDLER, gst_cache_src_uri_handler_init);
    GST_DEBUG_CATEGORY_INIT (gst_cache_src_debug, "cachesrc", 0, "Offline cache source"));
GST_ELEMENT_REGISTER_DEFINE (cachesrc, "cachesrc", GST_RANK_PRIMARY, GST_TYPE_CACHE_SRC);

/* ---- URI ---------------------------------------------------------------- */

/* offline://<download-id>, the id percent-decoded. */
static bool
parse_offline_uri (const gchar *uri, std::string *download_id, GError **error)
{
  if (!uri || !*uri) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
        "No URI given: cachesrc plays offline://<download-id>");
    return false;
  }

  gchar *scheme = gst_uri_get_protocol (uri);
  bool is_offline = scheme && g_ascii_strcasecmp (scheme, URI_SCHEME) == 0;
  g_free (scheme);
  if (!is_offline) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_UNSUPPORTED_PROTOCOL,
        "cachesrc plays offline://<download-id> URIs only, not '%s'", uri);
    return false;
  }

  const gchar *rest = uri + strlen (URI_SCHEME) + 1;
  if (!g_str_has_prefix (rest, "//")) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
        "'%s' is not of the form offline://<download-id>", uri);
    return false;
  }
  rest += 2;

  gchar *id = g_uri_unescape_string (rest, nullptr);
  if (!id || !*id) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
        id ? "'%s' names no download: expected offline://<download-id>"
           : "'%s' has an invalid percent-encoding", uri);
    g_free (id);
    return false;
  }
  *download_id = id;
  g_free (id);
  return true;
}

static gchar *
make_offline_uri (const std::string &download_id)
{
  if (download_id.empty ())
    return nullptr;
  gchar *escaped = g_uri_escape_string (download_id.c_str (), G_URI_RESERVED_CHARS_ALLOWED_IN_PATH_ELEMENT, FALSE);
  gchar *uri = g_strdup_printf ("%s://%s", URI_SCHEME, escaped);
  g_free (escaped);
  return uri;
}

/* Called with the object lock held. */
static bool
settings_are_mutable_locked (GstCacheSrc *self)
{
  return GST_STATE (self) <= GST_STATE_READY && GST_STATE_PENDING (self) <= GST_STATE_READY;
}

static gboolean
gst_cache_src_set_uri (GstURIHandler *handler, const gchar *uri, GError **error)
{
  GstCacheSrc *self = GST_CACHE_SRC (handler);

  std::string download_id;
  GST_OBJECT_LOCK (self);
  if (!settings_are_mutable_locked (self)) {
    GST_OBJECT_UNLOCK (self);
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_STATE,
        "The URI of cachesrc cannot change once it has started");
    return FALSE;
  }
  if (!parse_offline_uri (uri, &download_id, error)) {
    GST_OBJECT_UNLOCK (self);
    return FALSE;
  }
  self->priv->settings.download_id = download_id;
  self->priv->settings.uri_error.clear ();
  GST_OBJECT_UNLOCK (self);

  GST_DEBUG_OBJECT (self, "playing download '%s'", download_id.c_str ());
  return TRUE;
}

static gchar *
gst_cache_src_get_uri (GstURIHandler *handler)
{
  GstCacheSrc *self = GST_CACHE_SRC (handler);
  GST_OBJECT_LOCK (self);
  gchar *uri = make_offline_uri (self->priv->settings.download_id);
  GST_OBJECT_UNLOCK (self);
  return uri;
}

static GstURIType
gst_cache_src_uri_get_type (GType)
{
  return GST_URI_SRC;
}

static const gchar *const *
gst_cache_src_uri_get_protocols (GType)
{
  static const gchar *protocols[] = { URI_SCHEME, nullptr };
  return protocols;
}

static void
gst_cache_src_uri_handler_init (gpointer g_iface, gpointer)
{
  auto *iface = static_cast<GstURIHandlerInterface *> (g_iface);
  iface->get_type = gst_cache_src_uri_get_type;
  iface->get_protocols = gst_cache_src_uri_get_protocols;
  iface->get_uri = gst_cache_src_get_uri;
  iface->set_uri = gst_cache_src_set_uri;
}

/* ---- Opening a download --------------------------------------------------- */

static std::string
describe_progress (GstOfflineDownload *download)
{
  gdouble percent = gst_offline_download_get_percent_downloaded (download);
  if (percent < 0)
    return "progress unknown";
  gchar *text = g_strdup_printf ("%d%%", static_cast<int> (percent));
  std::string result = text;
  g_free (text);
  return result;
}

/* Whether `item` of the tracks property names `track`: its index or its
 * stream key. */
static bool
track_matches (GstOfflineTrack *track, const gchar *item)
{
  if (g_strcmp0 (gst_offline_track_get_stream_key (track), item) == 0)
    return true;
  guint64 number;
  return g_ascii_string_to_unsigned (item, 10, 0, G_MAXUINT, &number, nullptr)
      && number == gst_offline_track_get_index (track);
}

/* The default selection is the library's one rule
 * (gst_offline_track_choose_for_playback()): the best video track, the
 * default audio track and, with default-text, the first text track: one of
 * each type, as adaptivedemux2 chooses (playbin3 1.22 outputs text whenever
 * the collection has a text stream, and waits for it). (The CLI's track
 * specs choose what is downloaded; this chooses what plays of it.) */
static std::vector<GObjectPtr<GstOfflineTrack>>
select_default_tracks (const std::vector<GObjectPtr<GstOfflineTrack>> &all, bool with_text)
{
  g_autoptr (GPtrArray) tracks = g_ptr_array_new ();
  for (auto &owned : all)
    g_ptr_array_add (tracks, owned.get ());
  g_autoptr (GPtrArray) chosen_tracks = gst_offline_track_choose_for_playback (tracks, with_text);
  std::vector<GObjectPtr<GstOfflineTrack>> chosen;
  for (guint i = 0; i < chosen_tracks->len; i++)
    chosen.emplace_back (GST_OFFLINE_TRACK (g_object_ref (g_ptr_array_index (chosen_tracks, i))));
  return chosen;
}

/* Reads the tracks of an adaptive download from its playback plan and
 * chooses those to expose. Takes `index` and `cache`. */
static std::optional<OpenedDownload>
gst_cache_src_open_adaptive (GstCacheSrc *self, const gchar *dir, const std::string &id, const std::string &wanted,
    bool default_text, GstOfflineDownload *download, GstOfflineDownloadIndex *index_in, GstOfflineCache *cache_in)
{
  GstOfflineDownloadType type = gst_offline_download_get_download_type (download);
  GObjectPtr<GstOfflineDownloadIndex> index (index_in);
  GObjectPtr<GstOfflineCache> cache (cache_in);

  g_autoptr (GError) error = nullptr;
  g_autoptr (GPtrArray) all = gst_offline_download_index_get_tracks (index.get (), id.c_str (), &error);
  if (!all) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("Could not read the tracks of download '%s'", id.c_str ()), ("%s", error->message));
    return std::nullopt;
  }
  GstOfflineDownloadState state = gst_offline_download_get_state (download);
  if (all->len == 0 && state != GST_OFFLINE_DOWNLOAD_STATE_COMPLETED) {
    /* The plan is written in one transaction once the manifest is read. */
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Download '%s' cannot be played yet (state %s): its manifest has not been read%s", id.c_str (),
            gst_offline_download_state_to_string (state),
            gst_offline::is_being_fetched (state) ? "; try again once it is downloading segments" : ""),
        ("no tracks in the plan yet"));
    return std::nullopt;
  }
  if (all->len == 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Download '%s' (%s) has no playback plan: download it again with this version of gst-offline",
            id.c_str (), gst_offline_download_type_to_string (type)),
        ("no tracks in the plan"));
    return std::nullopt;
  }

  std::string available;
  for (guint i = 0; i < all->len; i++) {
    auto *track = static_cast<GstOfflineTrack *> (g_ptr_array_index (all, i));
    g_autofree gchar *item = g_strdup_printf ("%s%u (%s)", available.empty () ? "" : ", ",
        gst_offline_track_get_index (track), gst_offline_track_get_stream_key (track));
    available += item;
  }

  OpenedDownload opened { type, {}, nullptr, {} };
  std::vector<GObjectPtr<GstOfflineTrack>> wanted_tracks;
  if (!wanted.empty ()) {
    g_auto (GStrv) items = g_strsplit (wanted.c_str (), ",", -1);
    for (gchar **item = items; *item; item++) {
      g_strstrip (*item);
      if (!**item)
        continue;
      GstOfflineTrack *found = nullptr;
      for (guint i = 0; i < all->len && !found; i++) {
        auto *track = static_cast<GstOfflineTrack *> (g_ptr_array_index (all, i));
        if (track_matches (track, *item))
          found = track;
      }
      if (!found) {
        GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
            ("Download '%s' has no track '%s' (it has: %s)", id.c_str (), *item, available.c_str ()),
            ("tracks property: '%s'", wanted.c_str ()));
        return std::nullopt;
      }
      for (auto &chosen : wanted_tracks) {
        if (chosen.get () == found) {
          GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
              ("Track '%s' of download '%s' is named twice in the tracks property", *item, id.c_str ()),
              ("tracks property: '%s'", wanted.c_str ()));
          return std::nullopt;
        }
      }
      wanted_tracks.emplace_back (GST_OFFLINE_TRACK (g_object_ref (found)));
    }
    if (wanted_tracks.empty ()) {
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("No track of download '%s' chosen (it has: %s)", id.c_str (), available.c_str ()),
          ("tracks property: '%s'", wanted.c_str ()));
      return std::nullopt;
    }
    /* A track asked for by name that cannot be played is an error. */
    for (auto &track : wanted_tracks) {
      g_autoptr (GstCaps) caps = gst_offline::AdaptiveStream::caps_for (gst_offline_track_get_container (track.get ()),
          gst_offline_track_get_track_type (track.get ()));
      if (!caps) {
        GST_ELEMENT_ERROR (self, STREAM, NOT_IMPLEMENTED,
            ("Track %u (%s) of download '%s' is '%s' content, which cachesrc cannot play offline yet",
                gst_offline_track_get_index (track.get ()), gst_offline_track_get_stream_key (track.get ()),
                id.c_str (), gst_offline_track_get_container (track.get ())),
            ("chosen by the tracks property"));
        return std::nullopt;
      }
    }
  }
  for (guint i = 0; i < all->len; i++)
    opened.tracks.emplace_back (GST_OFFLINE_TRACK (g_object_ref (g_ptr_array_index (all, i))));

  /* A track cachesrc cannot play: an error when it was asked for by name;
   * left out with a warning from the default choice (Smooth Streaming text,
   * which mssdemux does not play either), unless nothing else is left. */
  std::vector<GObjectPtr<GstOfflineTrack>> playable;
  for (auto &track : opened.tracks) {
    g_autoptr (GstCaps) caps = gst_offline::AdaptiveStream::caps_for (gst_offline_track_get_container (track.get ()),
        gst_offline_track_get_track_type (track.get ()));
    if (caps) {
      playable.push_back (std::move (track));
      continue;
    }
    g_autofree gchar *message = g_strdup_printf ("Track %u (%s) of download '%s' is '%s' content, which cachesrc "
        "cannot play offline yet", gst_offline_track_get_index (track.get ()),
        gst_offline_track_get_stream_key (track.get ()), id.c_str (), gst_offline_track_get_container (track.get ()));
    GST_ELEMENT_WARNING (self, STREAM, NOT_IMPLEMENTED, ("%s: left out", message), ("not in the stream collection"));
  }
  if (playable.empty ()) {
    GST_ELEMENT_ERROR (self, STREAM, NOT_IMPLEMENTED,
        ("No track of download '%s' can be played offline (it has: %s)", id.c_str (), available.c_str ()),
        ("no container of its tracks has caps"));
    return std::nullopt;
  }

  for (auto &track : playable) {
    GST_INFO_OBJECT (self, "download '%s': track %u (%s), %s %s, codecs '%s', language '%s'", id.c_str (),
        gst_offline_track_get_index (track.get ()), gst_offline_track_get_stream_key (track.get ()),
        gst_offline_track_get_container (track.get ()),
        gst_offline_track_get_track_type (track.get ()) == GST_OFFLINE_TRACK_TYPE_VIDEO   ? "video"
            : gst_offline_track_get_track_type (track.get ()) == GST_OFFLINE_TRACK_TYPE_AUDIO ? "audio"
                                                                                              : "text",
        gst_offline_track_get_codecs (track.get ()), gst_offline_track_get_language (track.get ()));
  }

  opened.adaptive = std::make_shared<AdaptivePlayback> (GST_ELEMENT (self), dir, id, index.release (), cache.release (),
      playable);
  opened.tracks = wanted.empty () ? select_default_tracks (playable, default_text) : std::move (wanted_tracks);
  if (opened.tracks.empty ()) {
    GST_ELEMENT_ERROR (self, STREAM, NOT_IMPLEMENTED,
        ("Download '%s' has no video or audio track to play by default (it has: %s)", id.c_str (), available.c_str ()),
        ("choose tracks with the tracks property"));
    return std::nullopt;
  }
  return opened;
}

/* Opens the file that holds a progressive download's bytes (whole or
 * partial); posts the error that it is missing if it cannot. */
static UniqueFd
gst_cache_src_open_cached_file (GstCacheSrc *self, const std::string &id, const gchar *path)
{
  UniqueFd fd (open (path, O_RDONLY | O_CLOEXEC));
  if (!fd) {
    int saved_errno = errno;
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("The cached data of download '%s' is missing: run 'gst-offline verify'", id.c_str ()),
        ("open %s: %s", path, g_strerror (saved_errno)));
  }
  return fd;
}

/* A progressive download still being fetched: its partial file, read up to
 * the bytes made durable so far, waiting for more (ProgressiveStream).
 * Takes `index` and `cache`. */
static std::optional<OpenedDownload>
gst_cache_src_open_partial (GstCacheSrc *self, const std::string &id, const gchar *key, GstOfflineDownload *download,
    GstOfflineDownloadIndex *index_in, GstOfflineCache *cache_in)
{
  GObjectPtr<GstOfflineDownloadIndex> index (index_in);
  GObjectPtr<GstOfflineCache> cache (cache_in);
  g_autoptr (GError) error = nullptr;
  guint64 durable = 0;
  gint64 total = -1;
  g_autofree gchar *path = gst_offline_cache_lookup_partial (cache.get (), key, &durable, &total, &error);
  if (total < 0)
    total = gst_offline_download_get_content_length (download);
  if (!path || total <= 0) {
    /* The partial file gets its row at its first checkpoint, with the
     * length the server said. */
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Download '%s' cannot be played yet (state %s): %s; try again once some of it is downloaded", id.c_str (),
            gst_offline_download_state_to_string (gst_offline_download_get_state (download)),
            path ? "the server did not say its length" : "none of it is downloaded yet"),
        ("partial resource %s: %s", key, error ? error->message : "no length"));
    return std::nullopt;
  }
  UniqueFd fd = gst_cache_src_open_cached_file (self, id, path);
  if (!fd)
    return std::nullopt;
  GST_INFO_OBJECT (self, "download '%s' is being fetched: %" G_GUINT64_FORMAT " of %" G_GINT64_FORMAT " bytes in %s",
      id.c_str (), durable, total, path);
  ProgressiveStream::Source source { id, std::move (fd), static_cast<guint64> (total) };
  source.available = durable;
  source.key = key;
  source.index = std::move (index);
  source.cache = std::move (cache);
  return OpenedDownload { GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE, std::move (source), nullptr, {} };
}

/* Finds the download and its cached data; posts an element error that names
 * the problem if it cannot be played. */
static std::optional<OpenedDownload>
gst_cache_src_open_download (GstCacheSrc *self)
{
  GST_OBJECT_LOCK (self);
  Settings settings = self->priv->settings;
  GST_OBJECT_UNLOCK (self);

  const std::string &id = settings.download_id;
  if (id.empty ()) {
    if (!settings.uri_error.empty ()) {
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("%s", settings.uri_error.c_str ()),
          ("the uri property was set to an invalid value"));
    } else {
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("No download to play: set the uri (offline://<download-id>) or download-id property"),
          (nullptr));
    }
    return std::nullopt;
  }

  g_autofree gchar *dir = settings.cache_dir ? g_strdup (settings.cache_dir->c_str ())
                                             : gst_offline_get_default_data_dir ();
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR)) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No download with id '%s' in %s: the directory does not exist", id.c_str (), dir),
        ("cache-dir %s", settings.cache_dir ? "set" : "unset (default data directory)"));
    return std::nullopt;
  }
  GST_DEBUG_OBJECT (self, "opening download '%s' in %s", id.c_str (), dir);

  g_autoptr (GError) error = nullptr;
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (dir, &error);
  if (!index) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("Could not open the download index in %s", dir), ("%s", error->message));
    return std::nullopt;
  }

  g_autoptr (GstOfflineDownload) download = gst_offline_download_index_get_download (index, id.c_str (), &error);
  if (!download) {
    if (!error || g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND)) {
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("No download with id '%s' in %s", id.c_str (), dir),
          ("%s", error ? error->message : "not in the index"));
    } else {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Could not read download '%s' from the index in %s", id.c_str (), dir), ("%s", error->message));
    }
    return std::nullopt;
  }

  GstOfflineDownloadType type = gst_offline_download_get_download_type (download);

  /* An adaptive download plays while it is fetched, or stopped half-way:
   * its streams wait for (or fail at) the segments not in the cache yet. A
   * progressive one plays while it is fetched (from its partial file, up to
   * its durable bytes); stopped or failed, only once complete. */
  GstOfflineDownloadState state = gst_offline_download_get_state (download);
  bool fetched = gst_offline::is_being_fetched (state)
      && gst_offline_download_index_is_fetched (index, id.c_str ());
  bool playable = state != GST_OFFLINE_DOWNLOAD_STATE_REMOVING
      && (state == GST_OFFLINE_DOWNLOAD_STATE_COMPLETED || type != GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE || fetched);
  if (!playable) {
    const gchar *failure = gst_offline_download_get_failure_message (download);
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Download '%s' is not complete (state %s, %s)%s", id.c_str (),
            gst_offline_download_state_to_string (state), describe_progress (download).c_str (),
            state == GST_OFFLINE_DOWNLOAD_STATE_REMOVING ? "" : ": a single media file plays once it is complete"),
        ("%" G_GUINT64_FORMAT " bytes downloaded; failure: %s",
            gst_offline_download_get_bytes_downloaded (download), failure ? failure : "none"));
    return std::nullopt;
  }

  g_autoptr (GstOfflineCache) cache = gst_offline_cache_new (dir, &error);
  if (!cache) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("Could not open the cache in %s", dir), ("%s", error->message));
    return std::nullopt;
  }

  if (type != GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE)
    return gst_cache_src_open_adaptive (self, dir, id, settings.tracks, settings.default_text, download, g_steal_pointer (&index),
        g_steal_pointer (&cache));

  if (!settings.tracks.empty ()) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Download '%s' is a single media file: it has no tracks to choose (unset the tracks property)", id.c_str ()),
        ("tracks property: '%s'", settings.tracks.c_str ()));
    return std::nullopt;
  }
  /* A progressive download is one resource, keyed by the download's URI. */
  const gchar *key = gst_offline_download_get_uri (download);
  guint64 length = 0;
  g_autofree gchar *path = gst_offline_cache_lookup (cache, key, &length, &error);
  if (!path && fetched && g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND))
    return gst_cache_src_open_partial (self, id, key, download, g_steal_pointer (&index), g_steal_pointer (&cache));
  if (!path) {
    /* No whole resource (NOT_FOUND), or its file is gone or of another
     * length than recorded (CORRUPT). */
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("The cached data of download '%s' is missing or damaged: run 'gst-offline verify'", id.c_str ()),
        ("cache lookup of %s: %s", key, error ? error->message : "not found"));
    return std::nullopt;
  }

  UniqueFd fd = gst_cache_src_open_cached_file (self, id, path);
  if (!fd)
    return std::nullopt;

  struct stat st;
  if (fstat (fd.get (), &st) != 0) {
    int saved_errno = errno;
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("The cached data of download '%s' is unreadable: run 'gst-offline verify'", id.c_str ()),
        ("fstat %s: %s", path, g_strerror (saved_errno)));
    return std::nullopt;
  }
  if (!S_ISREG (st.st_mode)) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("The cached data of download '%s' is damaged: run 'gst-offline verify'", id.c_str ()),
        ("%s is not a regular file", path));
    return std::nullopt;
  }

  gint64 content_length = gst_offline_download_get_content_length (download);
  if (static_cast<guint64> (st.st_size) != length
      || (content_length >= 0 && static_cast<guint64> (content_length) != length)) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("The cached data of download '%s' is damaged (wrong length): run 'gst-offline verify'", id.c_str ()),
        ("%s has %" G_GINT64_FORMAT " bytes; the cache recorded %" G_GUINT64_FORMAT
         ", the download %" G_GINT64_FORMAT, path, static_cast<gint64> (st.st_size), length, content_length));
    return std::nullopt;
  }

  GST_INFO_OBJECT (self, "download '%s': %" G_GUINT64_FORMAT " bytes in %s", id.c_str (), length, path);
  return OpenedDownload { type, ProgressiveStream::Source { id, std::move (fd), length }, nullptr, {} };
}

/* ---- Pads ----------------------------------------------------------------- */

static gchar *
gst_cache_src_next_pad_name (GstCacheSrc *self)
{
  GST_OBJECT_LOCK (self);
  gchar *name = g_strdup_printf ("src_%u", self->priv->next_pad++);
  GST_OBJECT_UNLOCK (self);
  return name;
}

/* The stream of a track selected during playback (AdaptivePlayback's
 * StreamFactory): a new pad, starting at `position`. */
static AdaptiveStream *
gst_cache_src_add_track_stream (GstCacheSrc *self, const std::shared_ptr<AdaptivePlayback> &playback,
    GstOfflineTrack *track, const GstSegment &segment, guint32 seqnum, GstClockTime position)
{
  GstPadTemplate *templ = gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (self), "src_%u");
  GST_OBJECT_LOCK (self);
  guint blocksize = self->priv->settings.blocksize;
  GST_OBJECT_UNLOCK (self);
  g_autofree gchar *name = gst_cache_src_next_pad_name (self);
  auto stream = std::make_unique<AdaptiveStream> (GST_ELEMENT (self), templ, name, playback, track, blocksize);
  if (!stream->activate ()) {
    GST_ELEMENT_ERROR (self, CORE, PAD, (nullptr), ("could not activate %s", name));
    return nullptr;
  }
  stream->set_start (segment, seqnum, position);
  AdaptiveStream *raw = stream.get ();
  GST_OBJECT_LOCK (self);
  self->priv->streams.push_back (std::move (stream));
  GST_OBJECT_UNLOCK (self);
  GST_DEBUG_OBJECT (self, "adding pad %s for track %u at %" GST_TIME_FORMAT, name, gst_offline_track_get_index (track),
      GST_TIME_ARGS (position));
  gst_element_add_pad (GST_ELEMENT (self), raw->pad ());
  raw->expose ();
  return raw;
}

/* Adds the pads, then no-more-pads, then lets data flow: whoever links a pad
 * in pad-added may switch it to pull mode first. */
static bool
gst_cache_src_expose_streams (GstCacheSrc *self, OpenedDownload opened)
{
  GstElementClass *klass = GST_ELEMENT_GET_CLASS (self);
  GstPadTemplate *templ = gst_element_class_get_pad_template (klass, "src_%u");
  guint blocksize;
  GstEvent *pending_seek;

  GST_OBJECT_LOCK (self);
  blocksize = self->priv->settings.blocksize;
  pending_seek = self->priv->pending_seek.release ();
  GST_OBJECT_UNLOCK (self);

  std::vector<std::unique_ptr<OutputStream>> streams;
  if (opened.adaptive) {
    std::weak_ptr<AdaptivePlayback> weak = opened.adaptive;
    opened.adaptive->set_stream_factory (
        [self, weak] (GstOfflineTrack *track, const GstSegment &segment, guint32 seqnum, GstClockTime position) {
          auto playback = weak.lock ();
          return playback ? gst_cache_src_add_track_stream (self, playback, track, segment, seqnum, position) : nullptr;
        });
    for (auto &track : opened.tracks) {
      g_autofree gchar *name = gst_cache_src_next_pad_name (self);
      auto stream = std::make_unique<AdaptiveStream> (GST_ELEMENT (self), templ, name, opened.adaptive,
          track.get (), blocksize);
      opened.adaptive->add_stream (stream.get ());
      streams.push_back (std::move (stream));
    }
  } else {
    guint group_id = gst_util_group_id_next ();
    streams.push_back (std::make_unique<ProgressiveStream> (GST_ELEMENT (self), templ, "src_0",
        std::move (opened.progressive), blocksize, group_id, pending_seek));
    pending_seek = nullptr;
  }

  for (auto &stream : streams) {
    if (!stream->activate ()) {
      GST_ELEMENT_ERROR (self, CORE, PAD, (nullptr), ("could not activate %s", GST_PAD_NAME (stream->pad ())));
      if (opened.adaptive)
        opened.adaptive->detach ();
      if (pending_seek)
        gst_event_unref (pending_seek);
      return false;
    }
  }

  if (pending_seek) {
    /* Adaptive: where every pad starts, before any data flows. */
    if (!opened.adaptive->apply_initial_seek (pending_seek))
      GST_WARNING_OBJECT (self, "ignoring the seek sent before the pads existed: %" GST_PTR_FORMAT, pending_seek);
    gst_event_unref (pending_seek);
  }

  GST_OBJECT_LOCK (self);
  self->priv->adaptive = opened.adaptive;
  for (auto &stream : streams)
    self->priv->streams.push_back (std::move (stream));
  GST_OBJECT_UNLOCK (self);

  if (opened.adaptive) {
    /* The streams first, then the pads that carry them (as adaptivedemux2):
     * playbin3 knows every track before any pad. */
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_stream_collection (GST_OBJECT (self), opened.adaptive->collection ()));
    gst_element_post_message (GST_ELEMENT (self), opened.adaptive->streams_selected_message (GST_SEQNUM_INVALID));
  }

  /* A selection may add streams meanwhile (they expose themselves). */
  std::vector<OutputStream *> initial;
  GST_OBJECT_LOCK (self);
  for (auto &stream : self->priv->streams)
    initial.push_back (stream.get ());
  GST_OBJECT_UNLOCK (self);
  for (OutputStream *stream : initial) {
    GST_DEBUG_OBJECT (self, "adding pad %s", GST_PAD_NAME (stream->pad ()));
    gst_element_add_pad (GST_ELEMENT (self), stream->pad ());
  }
  GST_DEBUG_OBJECT (self, "no more pads");
  gst_element_no_more_pads (GST_ELEMENT (self));

  for (OutputStream *stream : initial)
    stream->expose ();
  return true;
}

static void
gst_cache_src_remove_streams (GstCacheSrc *self)
{
  std::vector<std::unique_ptr<OutputStream>> streams;
  std::shared_ptr<AdaptivePlayback> adaptive;
  GST_OBJECT_LOCK (self);
  adaptive = self->priv->adaptive;
  GST_OBJECT_UNLOCK (self);
  /* No seek or selection may reach the streams once they start going
   * (this waits for one in progress, which may add a stream). */
  if (adaptive)
    adaptive->detach ();

  GST_OBJECT_LOCK (self);
  streams.swap (self->priv->streams);
  self->priv->adaptive.reset ();
  GST_OBJECT_UNLOCK (self);

  for (auto &stream : streams) {
    GST_DEBUG_OBJECT (self, "removing pad %s", GST_PAD_NAME (stream->pad ()));
    gst_pad_set_active (stream->pad (), FALSE);
    gst_element_remove_pad (GST_ELEMENT (self), stream->pad ());
  }
  /* The streams stop their tasks and close their files here. */
  streams.clear ();
}

/* ---- GstElement ----------------------------------------------------------- */

static bool
gst_cache_src_is_made_by (GstObject *object, const gchar *factory_name)
{
  GstElementFactory *factory = GST_IS_ELEMENT (object) ? gst_element_get_factory (GST_ELEMENT (object)) : nullptr;
  return factory && g_str_equal (GST_OBJECT_NAME (factory), factory_name);
}

/* uridecodebin3 (GStreamer 1.22) sets its urisourcebin, and with it this
 * element, to PAUSED before its decodebin3: in its own READY->PAUSED it
 * activates the source first and only then chains up to GstBin, which sets
 * decodebin3 to PAUSED. urisourcebin holds the streams back until it is
 * PAUSED itself, then lets them all go at once: each reaches a decodebin3
 * still in READY for a moment, which plugs the identity (or parsebin) of the
 * new input in its own state, READY, so that element's pads are flushing,
 * refuse the stream's events and buffers, and urisourcebin's multiqueue
 * stops that stream for good with FLUSHING. playbin3 then waits for it for
 * ever (about one start in 70 under load). Before its pads are added, this
 * element brings that decodebin3 to the state its bin is going to, as GstBin
 * does a moment later anyway (it skips an element already there). Called in
 * READY->PAUSED, with the state locks of the bins around it held by this
 * thread. */
static void
gst_cache_src_ready_decodebin3 (GstCacheSrc *self)
{
  GstObject *source_bin = gst_object_get_parent (GST_OBJECT (self));
  GstObject *decode_bin = source_bin ? gst_object_get_parent (source_bin) : nullptr;
  if (source_bin && decode_bin && gst_cache_src_is_made_by (source_bin, "urisourcebin")
      && gst_cache_src_is_made_by (decode_bin, "uridecodebin3")) {
    GST_OBJECT_LOCK (decode_bin);
    GstState next = GST_STATE_NEXT (GST_ELEMENT (decode_bin));
    GST_OBJECT_UNLOCK (decode_bin);
    GstIterator *children = gst_bin_iterate_elements (GST_BIN (decode_bin));
    GValue item = G_VALUE_INIT;
    bool done = false;
    while (!done && next == GST_STATE_PAUSED) {
      switch (gst_iterator_next (children, &item)) {
        case GST_ITERATOR_OK: {
          auto *child = GST_ELEMENT (g_value_get_object (&item));
          GstState state;
          gst_element_get_state (child, &state, nullptr, 0);
          if (gst_cache_src_is_made_by (GST_OBJECT (child), "decodebin3") && state < next) {
            GST_DEBUG_OBJECT (self, "setting %s to PAUSED before the pads are added", GST_OBJECT_NAME (child));
            if (gst_element_set_state (child, next) == GST_STATE_CHANGE_FAILURE)
              GST_WARNING_OBJECT (self, "%s did not go to PAUSED", GST_OBJECT_NAME (child));
          }
          g_value_reset (&item);
          break;
        }
        case GST_ITERATOR_RESYNC:
          gst_iterator_resync (children);
          break;
        default:
          done = true;
          break;
      }
    }
    g_value_unset (&item);
    gst_iterator_free (children);
  }
  if (decode_bin)
    gst_object_unref (decode_bin);
  if (source_bin)
    gst_object_unref (source_bin);
}

static GstStateChangeReturn
gst_cache_src_change_state (GstElement *element, GstStateChange transition)
{
  GstCacheSrc *self = GST_CACHE_SRC (element);
  std::optional<OpenedDownload> opened;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    opened = gst_cache_src_open_download (self);
    if (!opened)
      return GST_STATE_CHANGE_FAILURE;
  }

  GstStateChangeReturn ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      gst_cache_src_ready_decodebin3 (self);
      if (!gst_cache_src_expose_streams (self, std::move (*opened))) {
        gst_cache_src_remove_streams (self);
        return GST_STATE_CHANGE_FAILURE;
      }
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      gst_cache_src_remove_streams (self);
      GST_OBJECT_LOCK (self);
      self->priv->pending_seek.reset ();
      self->priv->next_pad = 0;
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      break;
  }
  return ret;
}

GstOfflineDrmStore *
gst_cache_src_get_drm_store (GstCacheSrc *self, GError **error)
{
  g_autoptr (GstContext) set = gst_element_get_context (GST_ELEMENT (self), GST_OFFLINE_DRM_STORE_CONTEXT_TYPE);
  if (GstOfflineDrmStore *store = set ? gst_offline_drm_store_context_get_store (set) : nullptr)
    return store;
  GST_OBJECT_LOCK (self);
  CacheSrcPrivate *priv = self->priv;
  if (!priv->data_dir_drm_store) {
    g_autofree gchar *dir = priv->settings.cache_dir ? g_strdup (priv->settings.cache_dir->c_str ())
                                                     : gst_offline_get_default_data_dir ();
    priv->data_dir_drm_store.reset (GST_OFFLINE_DRM_STORE (gst_offline_sqlite_drm_store_new (dir, error)));
  }
  GstOfflineDrmStore *store = priv->data_dir_drm_store
      ? GST_OFFLINE_DRM_STORE (g_object_ref (priv->data_dir_drm_store.get ())) : nullptr;
  GST_OBJECT_UNLOCK (self);
  return store;
}

/* The gst-offline.drm-store context query of offlinedrm: the store the
 * application set on the pipeline, else the data directory's. */
static gboolean
gst_cache_src_query (GstElement *element, GstQuery *query)
{
  const gchar *type = nullptr;
  if (GST_QUERY_TYPE (query) == GST_QUERY_CONTEXT && gst_query_parse_context_type (query, &type)
      && g_strcmp0 (type, GST_OFFLINE_DRM_STORE_CONTEXT_TYPE) == 0) {
    g_autoptr (GError) error = nullptr;
    GObjectPtr<GstOfflineDrmStore> store (gst_cache_src_get_drm_store (GST_CACHE_SRC (element), &error));
    if (!store) {
      GST_WARNING_OBJECT (element, "no DRM store to answer with: %s", error->message);
      return FALSE;
    }
    GstContext *context = gst_offline_drm_store_context_new (store.get ());
    gst_query_set_context (query, context);
    gst_context_unref (context);
    GST_DEBUG_OBJECT (element, "answered the DRM store context query with %s", G_OBJECT_TYPE_NAME (store.get ()));
    return TRUE;
  }
  return GST_ELEMENT_CLASS (parent_class)->query (element, query);
}

static gboolean
gst_cache_src_send_event (GstElement *element, GstEvent *event)
{
  GstCacheSrc *self = GST_CACHE_SRC (element);

  if (GST_EVENT_TYPE (event) == GST_EVENT_SEEK) {
    GST_OBJECT_LOCK (self);
    if (self->priv->streams.empty ()) {
      /* No pad yet: keep the seek for the first push, like basesrc does. */
      GST_DEBUG_OBJECT (self, "keeping a seek for when the pads exist");
      self->priv->pending_seek.reset (event);
      GST_OBJECT_UNLOCK (self);
      return TRUE;
    }
    std::shared_ptr<AdaptivePlayback> adaptive = self->priv->adaptive;
    GstObjectPtr<GstPad> pad (GST_PAD (gst_object_ref (self->priv->streams.front ()->pad ())));
    GST_OBJECT_UNLOCK (self);
    /* Straight to the streams, not through a linked src pad as GstElement
     * does by default: the pads may not be linked yet (a seek from a
     * pad-added or no-more-pads handler, before anything flowed), and the
     * seek is the same for every pad. */
    GST_DEBUG_OBJECT (self, "seek sent to the element: %" GST_PTR_FORMAT, event);
    if (adaptive)
      return adaptive->seek (event);
    return gst_pad_send_event (pad.get (), event);
  }
  if (GST_EVENT_TYPE (event) == GST_EVENT_SELECT_STREAMS) {
    /* playbin3 sends it to the element that posted the collection. */
    GST_OBJECT_LOCK (self);
    std::shared_ptr<AdaptivePlayback> adaptive = self->priv->adaptive;
    GST_OBJECT_UNLOCK (self);
    if (!adaptive) {
      gst_event_unref (event);
      return FALSE;
    }
    return adaptive->select_streams (event);
  }
  return GST_ELEMENT_CLASS (parent_class)->send_event (element, event);
}

/* ---- GObject -------------------------------------------------------------- */

static void
gst_cache_src_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GstCacheSrc *self = GST_CACHE_SRC (object);

  if (prop_id == PROP_URI && g_value_get_string (value)) {
    g_autoptr (GError) error = nullptr;
    const gchar *uri = g_value_get_string (value);
    if (!gst_cache_src_set_uri (GST_URI_HANDLER (self), uri, &error)) {
      GST_WARNING_OBJECT (self, "%s", error->message);
      if (!g_error_matches (error, GST_URI_ERROR, GST_URI_ERROR_BAD_STATE)) {
        GST_OBJECT_LOCK (self);
        self->priv->settings.download_id.clear ();
        self->priv->settings.uri_error = error->message;
        GST_OBJECT_UNLOCK (self);
      }
    }
    return;
  }

  GST_OBJECT_LOCK (self);
  if (!settings_are_mutable_locked (self)) {
    GST_OBJECT_UNLOCK (self);
    GST_WARNING_OBJECT (self, "property '%s' cannot change once the element has started", pspec->name);
    return;
  }
  Settings &settings = self->priv->settings;
  switch (prop_id) {
    case PROP_URI: /* NULL: no download */
    case PROP_DOWNLOAD_ID: {
      const gchar *id = g_value_get_string (value);
      settings.download_id = id ? id : "";
      settings.uri_error.clear ();
      break;
    }
    case PROP_CACHE_DIR: {
      const gchar *dir = g_value_get_string (value);
      if (dir)
        settings.cache_dir = dir;
      else
        settings.cache_dir.reset ();
      break;
    }
    case PROP_BLOCKSIZE:
      settings.blocksize = g_value_get_uint (value);
      break;
    case PROP_TRACKS: {
      const gchar *tracks = g_value_get_string (value);
      settings.tracks = tracks ? tracks : "";
      break;
    }
    case PROP_DEFAULT_TEXT:
      settings.default_text = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_cache_src_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GstCacheSrc *self = GST_CACHE_SRC (object);

  GST_OBJECT_LOCK (self);
  const Settings &settings = self->priv->settings;
  switch (prop_id) {
    case PROP_URI:
      g_value_take_string (value, make_offline_uri (settings.download_id));
      break;
    case PROP_DOWNLOAD_ID:
      g_value_set_string (value, settings.download_id.empty () ? nullptr : settings.download_id.c_str ());
      break;
    case PROP_CACHE_DIR:
      g_value_set_string (value, settings.cache_dir ? settings.cache_dir->c_str () : nullptr);
      break;
    case PROP_BLOCKSIZE:
      g_value_set_uint (value, settings.blocksize);
      break;
    case PROP_TRACKS:
      g_value_set_string (value, settings.tracks.empty () ? nullptr : settings.tracks.c_str ());
      break;
    case PROP_DEFAULT_TEXT:
      g_value_set_boolean (value, settings.default_text);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_cache_src_finalize (GObject *object)
{
  GstCacheSrc *self = GST_CACHE_SRC (object);
  delete self->priv;
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_cache_src_init (GstCacheSrc *self)
{
  self->priv = new CacheSrcPrivate ();
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
}

static void
gst_cache_src_class_init (GstCacheSrcClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const auto flags = static_cast<GParamFlags> (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  gobject_class->set_property = gst_cache_src_set_property;
  gobject_class->get_property = gst_cache_src_get_property;
  gobject_class->finalize = gst_cache_src_finalize;

  /**
   * GstCacheSrc:uri:
   *
   * The download to play, as `offline://<download-id>`.
   */
  g_object_class_install_property (gobject_class, PROP_URI,
      g_param_spec_string ("uri", "URI",
          "The download to play, as offline://<download-id> (the same as download-id)",
          nullptr, flags));

  /**
   * GstCacheSrc:download-id:
   *
   * The id of the download to play.
   */
  g_object_class_install_property (gobject_class, PROP_DOWNLOAD_ID,
      g_param_spec_string ("download-id", "Download id",
          "The id of the download to play (the same as uri=offline://<download-id>)",
          nullptr, flags));

  /**
   * GstCacheSrc:cache-dir:
   *
   * The gst-offline data directory to play from. %NULL means the default:
   * `$GST_OFFLINE_DIR` if set, else `$XDG_DATA_HOME/gst-offline`.
   */
  g_object_class_install_property (gobject_class, PROP_CACHE_DIR,
      g_param_spec_string ("cache-dir", "Cache directory",
          "The gst-offline data directory holding the download; NULL: $GST_OFFLINE_DIR if set, "
          "else $XDG_DATA_HOME/gst-offline",
          nullptr, flags));

  /**
   * GstCacheSrc:blocksize:
   *
   * How many bytes each buffer holds when a download is pushed (in pull
   * mode, downstream asks for the sizes it wants). Segments of adaptive
   * downloads are pushed in blocks of this size.
   */
  g_object_class_install_property (gobject_class, PROP_BLOCKSIZE,
      g_param_spec_uint ("blocksize", "Block size",
          "Bytes per buffer when data is pushed (pull mode reads what downstream asks for)",
          1, G_MAXUINT, DEFAULT_BLOCKSIZE, flags));

  /**
   * GstCacheSrc:tracks:
   *
   * Which tracks of an adaptive download to play from the start, one src
   * pad each: a comma-separated list of track indices or stream keys (as
   * `gst-offline status ID --json` lists them). %NULL or empty means the
   * default: the best video track (the highest, then the highest bitrate)
   * the default audio track (the first whose role is "main", else the
   * first) and the first text track (unless #GstCacheSrc:default-text is
   * off).
   * Every track cachesrc can play is in the stream collection it posts, and
   * GST_EVENT_SELECT_STREAMS (as playbin3 and decodebin3 send it) changes
   * the selection during playback. A track named twice is an error, and so
   * is the property on a progressive download (it has no tracks).
   */
  g_object_class_install_property (gobject_class, PROP_TRACKS,
      g_param_spec_string ("tracks", "Tracks",
          "Adaptive downloads: comma-separated track indices or stream keys to play from the start, one pad each; "
          "NULL or empty: the best video, the default audio and the first text track (select-streams chooses others)",
          nullptr, flags));

  /**
   * GstCacheSrc:default-text:
   *
   * Whether the default selection of an adaptive download (when
   * #GstCacheSrc:tracks is not set) includes its first text track, as
   * adaptivedemux2's does. A download holds text only when it was asked
   * for (the CLI downloads none by default). Leave it on under playbin3,
   * which outputs text whenever the stream collection has a text stream
   * and waits for it; turn it off to play a download's audio and video
   * alone under playbin or decodebin.
   */
  g_object_class_install_property (gobject_class, PROP_DEFAULT_TEXT,
      g_param_spec_boolean ("default-text", "Default text",
          "Adaptive downloads: whether the default selection includes the first text track", TRUE, flags));

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Offline cache source", "Source/File",
      "Plays a download back from the gst-offline cache (offline://<download-id>), without network",
      "The gst-offline authors <https://github.com/gst-offline/gst-offline>");

  element_class->change_state = GST_DEBUG_FUNCPTR (gst_cache_src_change_state);
  element_class->send_event = GST_DEBUG_FUNCPTR (gst_cache_src_send_event);
  element_class->query = GST_DEBUG_FUNCPTR (gst_cache_src_query);
}
