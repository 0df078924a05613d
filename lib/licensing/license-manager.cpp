/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/offline/offline-license-manager.h>

#include "cache/cache-private.h"
#include "db/database.h"
#include "drm/license-manager.h"
#include "licensing/license-source.h"
#include "tracks/dash-tracks.h"
#include "tracks/track-selection.h"
#include "http/http-request.h"
#include "index/download-private.h"
#include "index/playback-plan.h"
#include "manifest/dash/mpd-parser.h"
#include "util/fs.h"
#include "util/handles.h"
#include "util/header-line.h"

#include <gst/gst.h>

#include <algorithm>

/**
 * SECTION:offline-license-manager
 * @title: GstOfflineLicenseManager
 * @short_description: the persistent licenses of downloaded content
 *
 * A download of ClearKey-protected DASH content acquires a persistent
 * license before its segments: the W3C EME ClearKey request
 * `{"kids": [...], "type": "persistent-license"}` is POSTed to the license
 * server (the request's #GstOfflineDownloadRequest:license-url, else the
 * MPD's ClearKey `Laurl`) and the keys of the JWK Set it answers with are
 * kept in the #GstOfflineDrmStore as the license of that download, with
 * its policy: the answer may say `license_duration_seconds` (counted from
 * acquisition) and `playback_duration_seconds` (counted from the first
 * playback); absent means unlimited. Playback (`offlinedrm`, `cachesrc`)
 * enforces that policy.
 *
 * A license belongs to one download. Two downloads of content with the
 * same keys each have their own: the expiry, renewal and release of one
 * never change what the other may play.
 *
 * #GstOfflineLicenseManager is the rest of the license's life, as Kaltura's
 * LocalAssetsManager and ExoPlayer's OfflineLicenseHelper:
 * gst_offline_license_manager_get_status() (checkAssetStatus),
 * gst_offline_license_manager_renew(), gst_offline_license_manager_release(),
 * gst_offline_license_manager_register_asset() for content downloaded
 * without one, and gst_offline_license_manager_acquire() for a license
 * without the media. Removing a download releases its license.
 *
 * A license server that does not speak plain ClearKey JSON is reached
 * through the #GstOfflineLicenseManager::wrap-request and
 * #GstOfflineLicenseManager::unwrap-response signals, which every license
 * exchange of the manager goes through, including those of the downloads of
 * a #GstOfflineDownloadManager it is given to
 * (#GstOfflineDownloadManager:license-manager).
 *
 * Acquiring, renewing and registering ask the license server (they block;
 * call them from a thread that may wait); the other calls only read and
 * write the data directory and the store. Keys are never logged.
 */

struct _GstOfflineLicenseManager {
  GObject parent;
  std::string *data_dir;
  GstOfflineCache *cache;     /* its database is the index */
  GstOfflineDrmStore *store;  /* the application's, or drm.db once opened (store_lock) */
  GMutex store_lock;
  GMutex lock;                /* one license operation at a time */
};

G_DEFINE_FINAL_TYPE (GstOfflineLicenseManager, gst_offline_license_manager, G_TYPE_OBJECT)

enum {
  SIGNAL_WRAP_REQUEST,
  SIGNAL_UNWRAP_RESPONSE,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

using namespace gst_offline;

static void gst_offline_license_manager_init (GstOfflineLicenseManager *self)
{
  self->data_dir = new std::string ();
  g_mutex_init (&self->lock);
  g_mutex_init (&self->store_lock);
}

static void gst_offline_license_manager_finalize (GObject *object)
{
  auto self = GST_OFFLINE_LICENSE_MANAGER (object);
  g_clear_object (&self->store);
  g_clear_object (&self->cache);
  delete self->data_dir;
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->store_lock);
  G_OBJECT_CLASS (gst_offline_license_manager_parent_class)->finalize (object);
}

/* The first handler that returns bytes decides. */
static gboolean first_bytes_wins (GSignalInvocationHint *, GValue *accumulated, const GValue *handler_return,
    gpointer)
{
  if (!g_value_get_boxed (handler_return))
    return TRUE;
  g_value_copy (handler_return, accumulated);
  return FALSE;
}

static void gst_offline_license_manager_class_init (GstOfflineLicenseManagerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gst_offline_license_manager_finalize;

  /**
   * GstOfflineLicenseManager::wrap-request:
   * @licenses: the license manager
   * @download_id: the download the license is for
   * @request: the W3C ClearKey license request (JSON)
   *
   * Emitted before a license request is sent, in the thread that sends it
   * (for a download, the download manager's worker thread): a handler may
   * return the body to POST instead, e.g. @request wrapped in the envelope
   * its license server expects. It is then sent as
   * `application/octet-stream`, with the download's headers.
   *
   * Returns: (transfer full) (nullable): the body to send, or %NULL to send
   *   @request as it is.
   */
  signals[SIGNAL_WRAP_REQUEST] = g_signal_new ("wrap-request", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
      first_bytes_wins, nullptr, nullptr, G_TYPE_BYTES, 2, G_TYPE_STRING, G_TYPE_BYTES);

  /**
   * GstOfflineLicenseManager::unwrap-response:
   * @licenses: the license manager
   * @download_id: the download the license is for
   * @response: the body the license server answered with (status 2xx)
   *
   * Emitted when a license server has answered, in the same thread as
   * #GstOfflineLicenseManager::wrap-request: a handler may return the
   * ClearKey JWK Set (`{"keys": [...]}`, with the optional policy fields)
   * that @response holds in another form. What it returns is then read as
   * the license; an answer it cannot unwrap is best returned as empty
   * bytes, which fails the acquisition with a clear error.
   *
   * Returns: (transfer full) (nullable): the ClearKey answer, or %NULL if
   *   @response is one already.
   */
  signals[SIGNAL_UNWRAP_RESPONSE] = g_signal_new ("unwrap-response", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
      0, first_bytes_wins, nullptr, nullptr, G_TYPE_BYTES, 2, G_TYPE_STRING, G_TYPE_BYTES);
}

namespace gst_offline {

GstOfflineDrmStore *license_manager_store (GstOfflineLicenseManager *licenses, bool create, GError **error)
{
  g_mutex_lock (&licenses->store_lock);
  if (!licenses->store) {
    licenses->store = create
        ? GST_OFFLINE_DRM_STORE (gst_offline_sqlite_drm_store_new (licenses->data_dir->c_str (), error))
        : open_existing_drm_store (*licenses->data_dir, error);
  }
  GstOfflineDrmStore *store = licenses->store;
  g_mutex_unlock (&licenses->store_lock);
  return store;
}

LicenseHooks license_manager_hooks (GstOfflineLicenseManager *licenses)
{
  /* The hooks outlive no download: the downloader holds the manager. */
  auto emit = [licenses] (guint signal) {
    return [licenses, signal] (const std::string &download_id, GBytes *bytes) -> GBytes * {
      GBytes *result = nullptr;
      g_signal_emit (licenses, signals[signal], 0, download_id.c_str (), bytes, &result);
      return result;
    };
  };
  return LicenseHooks { emit (SIGNAL_WRAP_REQUEST), emit (SIGNAL_UNWRAP_RESPONSE) };
}

}  // namespace gst_offline

namespace {

struct Locked {
  GMutex *mutex;
  explicit Locked (GMutex *m) : mutex (m) { g_mutex_lock (mutex); }
  ~Locked () { g_mutex_unlock (mutex); }
};

/* The store for an operation that needs a license to be there: a missing
 * drm.db means "no license". */
GstOfflineDrmStore *existing_store (GstOfflineLicenseManager *self, const gchar *id, GError **error)
{
  g_autoptr (GError) open_error = nullptr;
  GstOfflineDrmStore *store = license_manager_store (self, false, &open_error);
  if (!store) {
    if (open_error)
      g_propagate_error (error, g_steal_pointer (&open_error));
    else
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND, "download %s has no license", id);
  }
  return store;
}

/* Asks the license server and keeps the answer as the download's license. */
bool acquire (GstOfflineLicenseManager *self, const LicenseRequest &request, GCancellable *cancellable, GError **error)
{
  GstOfflineDrmStore *store = license_manager_store (self, true, error);
  if (!store)
    return false;
  auto answer = fetch_license (request, license_manager_hooks (self), cancellable, error);
  if (!answer)
    return false;
  return store_license (store, request, *answer, error)
      && note_license_in_index (cache_database (self->cache), request.download_id, true, error);
}

/* What a license of a download covers, from its playback plan: the KIDs of
 * its tracks and their license server (`license_url` first if given). */
std::optional<LicenseRequest> request_from_plan (GstOfflineLicenseManager *self, const DownloadRecord &record,
    const gchar *license_url, GError **error)
{
  auto tracks = playback_plan::tracks (cache_database (self->cache), record.id, error);
  if (!tracks)
    return std::nullopt;
  LicenseRequest request { record.id, {}, {}, record.headers };
  std::string plan_url;
  for (const Track &t : *tracks) {
    for (const std::string &hex : t.kids) {
      auto kid = key_id_from_uuid (hex);
      if (kid && std::find (request.kids.begin (), request.kids.end (), *kid) == request.kids.end ())
        request.kids.push_back (*kid);
    }
    if (plan_url.empty ())
      plan_url = t.license_url;
  }
  if (request.kids.empty ()) {
    bool signalled = std::any_of (tracks->begin (), tracks->end (), [] (const Track &t) { return !t.protection.empty (); });
    if (tracks->empty ())
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
          "download %s has no playback plan yet: download it first", record.id.c_str ());
    else if (signalled)
      /* A plan from before the plan kept KIDs (schema 5). */
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
          "the plan of download %s, made by an earlier gst-offline, does not list its KIDs: license it with "
          "`gst-offline license acquire %s --id %s`", record.id.c_str (), record.uri.c_str (), record.id.c_str ());
    else
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
          "download %s is not protected: it needs no license", record.id.c_str ());
    return std::nullopt;
  }
  request.license_url = license_url && *license_url ? license_url : record.license_url.value_or (plan_url);
  if (request.license_url.empty ()) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
        "download %s names no ClearKey license server: give one (--license-url)", record.id.c_str ());
    return std::nullopt;
  }
  return request;
}

/* The manifest at `record.uri`, with the request's headers. */
std::optional<std::string> fetch_manifest_text (const DownloadRecord &record, GCancellable *cancellable,
    GError **error)
{
  HttpRequest request;
  request.url = record.uri;
  request.headers = record.headers;
  request.max_size = 64 * 1024 * 1024;
  request.what = "the manifest";
  auto response = http_request (std::move (request), cancellable, error);
  if (!response)
    return std::nullopt;
  return std::move (response->body);
}

/* What a download of `record` would need a license for: the KIDs of the
 * tracks it would download (its stream keys, else the default selection). */
std::optional<LicenseRequest> request_from_manifest (const DownloadRecord &record, const std::string &text,
    GError **error)
{
  auto mpd = dash::parse_mpd (text, record.uri, error);
  if (!mpd)
    return std::nullopt;
  auto keys = download_stream_keys (record.stream_keys, dash_tracks (*mpd), record.uri, error);
  if (!keys)
    return std::nullopt;
  std::vector<const dash::Representation *> reps;
  for (const std::string &key : *keys) {
    auto ref = parse_dash_stream_key (key, *mpd, error);
    if (!ref)
      return std::nullopt;
    reps.push_back (&mpd->periods[ref->period].adaptation_sets[ref->set].representations[ref->representation]);
  }
  auto request = dash_license_request (reps, license_source (record), error);
  if (request && request->kids.empty ()) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED, "%s is not protected: it needs no license",
        record.uri.c_str ());
    return std::nullopt;
  }
  return request;
}

}  // namespace

namespace {

using BlockingCall = std::function<gboolean (GCancellable *cancellable, GError **error)>;

/* The asynchronous form of a blocking call of the manager, as GIO makes its
 * own: the call runs on a thread of GIO's pool (the license server's answer
 * is waited for there), and `callback` gets its result in the caller's
 * thread-default main context. */
void run_in_thread (GstOfflineLicenseManager *self, GCancellable *cancellable, GAsyncReadyCallback callback,
    gpointer user_data, gpointer source_tag, BlockingCall call)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, new BlockingCall (std::move (call)),
      [] (gpointer data) { delete static_cast<BlockingCall *> (data); });
  g_task_run_in_thread (task, [] (GTask *task, gpointer, gpointer data, GCancellable *cancellable) {
    GError *error = nullptr;
    if ((*static_cast<BlockingCall *> (data)) (cancellable, &error))
      g_task_return_boolean (task, TRUE);
    else
      g_task_return_error (task, error);
  });
}

gboolean finish_in_thread (GstOfflineLicenseManager *self, GAsyncResult *result, gpointer source_tag, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_LICENSE_MANAGER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

}  // namespace

/**
 * gst_offline_license_manager_new:
 * @data_dir: (nullable) (type filename): the data directory, %NULL for the default
 * @store: (nullable): the store that keeps the licenses and keys, %NULL for
 *   the data directory's `drm.db` (#GstOfflineSqliteDrmStore, created when
 *   the first license is stored)
 * @error: return location for a #GError
 *
 * Opens the licenses of a data directory (creating the directory if needed).
 *
 * Returns: (transfer full) (nullable): the license manager, or %NULL on error.
 */
GstOfflineLicenseManager *gst_offline_license_manager_new (const gchar *data_dir, GstOfflineDrmStore *store,
    GError **error)
{
  g_return_val_if_fail (store == nullptr || GST_OFFLINE_IS_DRM_STORE (store), nullptr);
  g_return_val_if_fail (error == nullptr || *error == nullptr, nullptr);
  std::string dir = resolve_data_dir (data_dir);
  GObjectPtr<GstOfflineCache> cache (cache_open_for_writing (dir.c_str (), error));
  if (!cache)
    return nullptr;
  auto self = GST_OFFLINE_LICENSE_MANAGER (g_object_new (GST_OFFLINE_TYPE_LICENSE_MANAGER, nullptr));
  *self->data_dir = dir;
  self->cache = cache.release ();
  self->store = store ? GST_OFFLINE_DRM_STORE (g_object_ref (store)) : nullptr;
  return self;
}

/**
 * gst_offline_license_manager_get_data_dir:
 * @self: a #GstOfflineLicenseManager
 *
 * Returns: (type filename): the data directory.
 */
const gchar *gst_offline_license_manager_get_data_dir (GstOfflineLicenseManager *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_LICENSE_MANAGER (self), nullptr);
  return self->data_dir->c_str ();
}

/**
 * gst_offline_license_manager_get_drm_store:
 * @self: a #GstOfflineLicenseManager
 *
 * The store that keeps the licenses: the one given to
 * gst_offline_license_manager_new(), else the data directory's `drm.db`
 * (opened, and created, by this call if needed).
 *
 * Returns: (transfer none) (nullable): the store, or %NULL if `drm.db`
 *   cannot be opened.
 */
GstOfflineDrmStore *gst_offline_license_manager_get_drm_store (GstOfflineLicenseManager *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_LICENSE_MANAGER (self), nullptr);
  g_autoptr (GError) error = nullptr;
  GstOfflineDrmStore *store = license_manager_store (self, true, &error);
  if (!store)
    g_warning ("cannot open the DRM store of %s: %s", self->data_dir->c_str (), error->message);
  return store;
}

/**
 * gst_offline_license_manager_has_license:
 * @self: a #GstOfflineLicenseManager
 * @id: a download id
 * @error: return location for a #GError
 *
 * Whether a license is stored for the download @id (expired or not; the
 * download itself need not exist: see gst_offline_license_manager_acquire()).
 *
 * Returns: %TRUE if a license is stored for @id; %FALSE with no error when
 *   there is none, with an error when the store cannot be read.
 */
gboolean gst_offline_license_manager_has_license (GstOfflineLicenseManager *self, const gchar *id, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_LICENSE_MANAGER (self), FALSE);
  g_return_val_if_fail (id != nullptr, FALSE);
  Locked locked (&self->lock);
  g_autoptr (GError) load_error = nullptr;
  GstOfflineDrmStore *store = existing_store (self, id, &load_error);
  if (store && load_license (store, id, &load_error))
    return TRUE;
  if (!g_error_matches (load_error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND))
    g_propagate_error (error, g_steal_pointer (&load_error));
  return FALSE;
}

/**
 * gst_offline_license_manager_get_status:
 * @self: a #GstOfflineLicenseManager
 * @id: a download id
 * @expires_in: (out) (optional): seconds until the license expires, -1 if
 *   never, 0 if it has
 * @playable_for: (out) (optional): seconds of playback the license still
 *   allows (the least of the time to expiry and what is left of the
 *   playback window; before the first playback, the whole window), -1 for
 *   unlimited, 0 if none
 * @error: return location for a #GError
 *
 * The status of the license of the download @id, as Kaltura's
 * checkAssetStatus: that download's alone, whatever other downloads with
 * the same keys hold.
 *
 * Returns: %TRUE on success; %FALSE with %GST_OFFLINE_ERROR_NOT_FOUND if
 *   it has no license.
 */
gboolean gst_offline_license_manager_get_status (GstOfflineLicenseManager *self, const gchar *id,
    gint64 *expires_in, gint64 *playable_for, GError **error)
{
  return gst_offline_license_manager_get_info (self, id, expires_in, playable_for, nullptr, nullptr, error);
}

/**
 * gst_offline_license_manager_get_info:
 * @self: a #GstOfflineLicenseManager
 * @id: a download id
 * @expires_in: (out) (optional): as gst_offline_license_manager_get_status()
 * @playable_for: (out) (optional): as gst_offline_license_manager_get_status()
 * @expires_at: (out) (optional) (nullable) (transfer full): when the
 *   license expires (UTC), %NULL if never
 * @license_url: (out) (optional) (nullable) (transfer full): the license
 *   server it came from, %NULL for keys that came without one (HLS AES-128)
 * @error: return location for a #GError
 *
 * The status of the license of the download @id and where it came from.
 *
 * Returns: %TRUE on success; %FALSE with %GST_OFFLINE_ERROR_NOT_FOUND if
 *   it has no license.
 */
gboolean gst_offline_license_manager_get_info (GstOfflineLicenseManager *self, const gchar *id, gint64 *expires_in,
    gint64 *playable_for, GDateTime **expires_at, gchar **license_url, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_LICENSE_MANAGER (self), FALSE);
  g_return_val_if_fail (id != nullptr, FALSE);
  Locked locked (&self->lock);
  GstOfflineDrmStore *store = existing_store (self, id, error);
  auto license = store ? load_license (store, id, error) : std::nullopt;
  if (!license)
    return FALSE;
  LicenseStatus status = license_status (license->policy, license_now_ms ());
  if (expires_in)
    *expires_in = status.expires_in;
  if (playable_for)
    *playable_for = status.playable_for;
  if (expires_at)
    *expires_at = status.expires_at_ms < 0 ? nullptr : g_date_time_new_from_unix_utc (status.expires_at_ms / 1000);
  if (license_url)
    *license_url = license->license_url.empty () ? nullptr : g_strdup (license->license_url.c_str ());
  return TRUE;
}

/**
 * gst_offline_license_manager_register_asset:
 * @self: a #GstOfflineLicenseManager
 * @id: the id of a downloaded DASH download
 * @license_url: (nullable): the ClearKey license server, %NULL for the
 *   download's #GstOfflineDownloadRequest:license-url or else the one its
 *   manifest names
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Acquires a persistent license for a download made earlier (Kaltura's
 * registerAsset): the KIDs of its tracks come from its playback plan.
 * Replaces any license it had. Blocks while the license server answers (for
 * command-line tools; gst_offline_license_manager_register_asset_async()
 * does not).
 *
 * Returns: %TRUE if the license is stored; %FALSE with
 *   %GST_OFFLINE_ERROR_NOT_FOUND (no such download), %GST_OFFLINE_ERROR_UNSUPPORTED
 *   (clear content, no playback plan, or no license server known),
 *   %GST_OFFLINE_ERROR_HTTP, %GST_OFFLINE_ERROR_NETWORK or
 *   %GST_OFFLINE_ERROR_CORRUPT (what the license server answered), each
 *   naming the license URL.
 */
gboolean gst_offline_license_manager_register_asset (GstOfflineLicenseManager *self, const gchar *id,
    const gchar *license_url, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_LICENSE_MANAGER (self), FALSE);
  g_return_val_if_fail (id != nullptr, FALSE);
  Locked locked (&self->lock);
  auto record = download_table::get (cache_database (self->cache), id, error);
  if (!record)
    return FALSE;
  auto request = request_from_plan (self, *record, license_url, error);
  return request && acquire (self, *request, cancellable, error);
}

/**
 * gst_offline_license_manager_register_asset_async:
 * @self: a #GstOfflineLicenseManager
 * @id: the id of a downloaded DASH download
 * @license_url: (nullable): the ClearKey license server, %NULL for the
 *   download's own
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called in the thread-default main context of
 *   the caller when the license is stored (or not)
 * @user_data: data for @callback
 *
 * Does what gst_offline_license_manager_register_asset() does without
 * blocking the caller: the exchange with the license server runs on a
 * thread of GIO's pool (where #GstOfflineLicenseManager::wrap-request and
 * #GstOfflineLicenseManager::unwrap-response are emitted).
 */
void gst_offline_license_manager_register_asset_async (GstOfflineLicenseManager *self, const gchar *id,
    const gchar *license_url, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (GST_OFFLINE_IS_LICENSE_MANAGER (self));
  g_return_if_fail (id != nullptr);
  std::string download = id;
  std::optional<std::string> url = license_url ? std::optional<std::string> (license_url) : std::nullopt;
  run_in_thread (self, cancellable, callback, user_data,
      reinterpret_cast<gpointer> (gst_offline_license_manager_register_asset_async),
      [self, download, url] (GCancellable *cancellable, GError **error) {
        return gst_offline_license_manager_register_asset (self, download.c_str (), url ? url->c_str () : nullptr,
            cancellable, error);
      });
}

/**
 * gst_offline_license_manager_register_asset_finish:
 * @self: a #GstOfflineLicenseManager
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE if the license is stored; %FALSE with the errors of
 *   gst_offline_license_manager_register_asset().
 */
gboolean gst_offline_license_manager_register_asset_finish (GstOfflineLicenseManager *self, GAsyncResult *result,
    GError **error)
{
  return finish_in_thread (self, result, reinterpret_cast<gpointer> (gst_offline_license_manager_register_asset_async),
      error);
}

/**
 * gst_offline_license_manager_acquire:
 * @self: a #GstOfflineLicenseManager
 * @request: what a download would be: its id, the manifest URI, its
 *   headers (sent to the manifest's server and to the license server), its
 *   tracks (stream keys; none for the default selection) and its license
 *   server (#GstOfflineDownloadRequest:license-url, else the manifest's)
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Acquires the license a download of @request needs without downloading
 * its media, as ExoPlayer's OfflineLicenseHelper: fetches the DASH
 * manifest, takes the KIDs of the tracks @request would download, asks the
 * license server and keeps the license under the request's id, replacing
 * one it had. A later download of that id acquires its own license again.
 * Blocks while the servers answer (for command-line tools;
 * gst_offline_license_manager_acquire_async() does not).
 *
 * Returns: %TRUE if the license is stored; %FALSE with
 *   %GST_OFFLINE_ERROR_UNSUPPORTED (clear content, not DASH, no license
 *   server known), or the errors of the manifest's and the license server's
 *   exchanges.
 */
gboolean gst_offline_license_manager_acquire (GstOfflineLicenseManager *self, GstOfflineDownloadRequest *request,
    GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_LICENSE_MANAGER (self), FALSE);
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_REQUEST (request), FALSE);
  Locked locked (&self->lock);
  const DownloadRecord &record = download_request_record (request);
  if (record.type != GST_OFFLINE_DOWNLOAD_TYPE_AUTO && record.type != GST_OFFLINE_DOWNLOAD_TYPE_DASH) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
        "%s is %s content: gst-offline has licenses for DASH content only", record.uri.c_str (),
        gst_offline_download_type_to_string (record.type));
    return FALSE;
  }
  auto text = fetch_manifest_text (record, cancellable, error);
  if (!text)
    return FALSE;
  auto license = request_from_manifest (record, *text, error);
  return license && acquire (self, *license, cancellable, error);
}

/**
 * gst_offline_license_manager_acquire_async:
 * @self: a #GstOfflineLicenseManager
 * @request: what a download would be (see gst_offline_license_manager_acquire()),
 *   not to be changed until @callback is called
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called in the thread-default main context of
 *   the caller when the license is stored (or not)
 * @user_data: data for @callback
 *
 * Does what gst_offline_license_manager_acquire() does without blocking the
 * caller: the exchanges with the manifest's and the license server run on
 * a thread of GIO's pool (where #GstOfflineLicenseManager::wrap-request and
 * #GstOfflineLicenseManager::unwrap-response are emitted).
 */
void gst_offline_license_manager_acquire_async (GstOfflineLicenseManager *self, GstOfflineDownloadRequest *request,
    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (GST_OFFLINE_IS_LICENSE_MANAGER (self));
  g_return_if_fail (GST_OFFLINE_IS_DOWNLOAD_REQUEST (request));
  std::shared_ptr<GstOfflineDownloadRequest> held (GST_OFFLINE_DOWNLOAD_REQUEST (g_object_ref (request)),
      g_object_unref);
  run_in_thread (self, cancellable, callback, user_data,
      reinterpret_cast<gpointer> (gst_offline_license_manager_acquire_async),
      [self, held] (GCancellable *cancellable, GError **error) {
        return gst_offline_license_manager_acquire (self, held.get (), cancellable, error);
      });
}

/**
 * gst_offline_license_manager_acquire_finish:
 * @self: a #GstOfflineLicenseManager
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE if the license is stored; %FALSE with the errors of
 *   gst_offline_license_manager_acquire().
 */
gboolean gst_offline_license_manager_acquire_finish (GstOfflineLicenseManager *self, GAsyncResult *result,
    GError **error)
{
  return finish_in_thread (self, result, reinterpret_cast<gpointer> (gst_offline_license_manager_acquire_async), error);
}

/**
 * gst_offline_license_manager_unregister_asset:
 * @self: a #GstOfflineLicenseManager
 * @id: a download id
 * @error: return location for a #GError
 *
 * Forgets the license of a download (Kaltura's unregisterAsset); the same
 * as gst_offline_license_manager_release().
 *
 * Returns: %FALSE on error.
 */
gboolean gst_offline_license_manager_unregister_asset (GstOfflineLicenseManager *self, const gchar *id,
    GError **error)
{
  return gst_offline_license_manager_release (self, id, error);
}

/**
 * gst_offline_license_manager_renew:
 * @self: a #GstOfflineLicenseManager
 * @id: a download id
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Acquires the download's license again from the server it came from, for
 * the same KIDs, replacing its keys and policy (the license duration counts
 * from now, the playback window has not started). Other downloads'
 * licenses, even for the same KIDs, stay as they are. Blocks while the
 * license server answers (for command-line tools;
 * gst_offline_license_manager_renew_async() does not); the old license
 * stays if renewal fails.
 *
 * Returns: %TRUE if the new license is stored; %FALSE with
 *   %GST_OFFLINE_ERROR_NOT_FOUND if the download has no license (register it
 *   instead), %GST_OFFLINE_ERROR_UNSUPPORTED if its keys came without a
 *   license server, or the errors of gst_offline_license_manager_register_asset().
 */
gboolean gst_offline_license_manager_renew (GstOfflineLicenseManager *self, const gchar *id,
    GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_LICENSE_MANAGER (self), FALSE);
  g_return_val_if_fail (id != nullptr, FALSE);
  Locked locked (&self->lock);
  g_autoptr (GError) load_error = nullptr;
  GstOfflineDrmStore *store = existing_store (self, id, &load_error);
  auto license = store ? load_license (store, id, &load_error) : std::nullopt;
  if (!license) {
    if (g_error_matches (load_error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND))
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND, "download %s has no license to renew", id);
    else
      g_propagate_error (error, g_steal_pointer (&load_error));
    return FALSE;
  }
  if (license->license_url.empty () || license->kids ().empty ()) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
        "the keys of download %s came with no license server: there is nothing to renew", id);
    return FALSE;
  }
  LicenseRequest request { license->download_id, license->license_url, license->kids (), license->headers };
  return acquire (self, request, cancellable, error);
}

/**
 * gst_offline_license_manager_renew_async:
 * @self: a #GstOfflineLicenseManager
 * @id: a download id
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called in the thread-default main context of
 *   the caller when the new license is stored (or not)
 * @user_data: data for @callback
 *
 * Does what gst_offline_license_manager_renew() does without blocking the
 * caller: the exchange with the license server runs on a thread of GIO's
 * pool (where #GstOfflineLicenseManager::wrap-request and
 * #GstOfflineLicenseManager::unwrap-response are emitted).
 */
void gst_offline_license_manager_renew_async (GstOfflineLicenseManager *self, const gchar *id,
    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (GST_OFFLINE_IS_LICENSE_MANAGER (self));
  g_return_if_fail (id != nullptr);
  run_in_thread (self, cancellable, callback, user_data,
      reinterpret_cast<gpointer> (gst_offline_license_manager_renew_async),
      [self, download = std::string (id)] (GCancellable *cancellable, GError **error) {
        return gst_offline_license_manager_renew (self, download.c_str (), cancellable, error);
      });
}

/**
 * gst_offline_license_manager_renew_finish:
 * @self: a #GstOfflineLicenseManager
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE if the new license is stored; %FALSE with the errors of
 *   gst_offline_license_manager_renew() (the old license stays).
 */
gboolean gst_offline_license_manager_renew_finish (GstOfflineLicenseManager *self, GAsyncResult *result,
    GError **error)
{
  return finish_in_thread (self, result, reinterpret_cast<gpointer> (gst_offline_license_manager_renew_async), error);
}

/**
 * gst_offline_license_manager_release:
 * @self: a #GstOfflineLicenseManager
 * @id: a download id
 * @error: return location for a #GError
 *
 * Removes the download's license and its keys; its data stays in the
 * cache, so gst_offline_license_manager_register_asset() can license it
 * again. Other downloads' licenses, even for the same KIDs, stay as they
 * are.
 *
 * Returns: %TRUE if the license is released; %FALSE with
 *   %GST_OFFLINE_ERROR_NOT_FOUND if the download has no license.
 */
gboolean gst_offline_license_manager_release (GstOfflineLicenseManager *self, const gchar *id, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_LICENSE_MANAGER (self), FALSE);
  g_return_val_if_fail (id != nullptr, FALSE);
  Locked locked (&self->lock);
  GstOfflineDrmStore *store = existing_store (self, id, error);
  if (!store || !load_license (store, id, error))
    return FALSE;
  return release_license (store, id, error) && note_license_in_index (cache_database (self->cache), id, false, error);
}

namespace gst_offline {

bool note_license_in_index (Database &index_db, const std::string &download_id, bool held, GError **error)
{
  g_autoptr (GError) index_error = nullptr;
  if (download_table::set_key_set_id (index_db, download_id,
          held ? std::optional<std::string> (license_store_name (download_id)) : std::nullopt, &index_error)
      || g_error_matches (index_error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND))
    return true;
  g_propagate_error (error, g_steal_pointer (&index_error));
  return false;
}

}  // namespace gst_offline

/**
 * gst_offline_license_manager_release_async:
 * @self: a #GstOfflineLicenseManager
 * @id: a download id
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called in the thread-default main context of
 *   the caller when the license is released (or not)
 * @user_data: data for @callback
 *
 * Does what gst_offline_license_manager_release() does without blocking
 * the caller: the DRM store (which may be the application's, or wait for
 * another process's write) is written on a thread of GIO's pool.
 */
void gst_offline_license_manager_release_async (GstOfflineLicenseManager *self, const gchar *id,
    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (GST_OFFLINE_IS_LICENSE_MANAGER (self));
  g_return_if_fail (id != nullptr);
  run_in_thread (self, cancellable, callback, user_data,
      reinterpret_cast<gpointer> (gst_offline_license_manager_release_async),
      [self, download = std::string (id)] (GCancellable *cancellable, GError **error) {
        return !g_cancellable_set_error_if_cancelled (cancellable, error)
            && gst_offline_license_manager_release (self, download.c_str (), error);
      });
}

/**
 * gst_offline_license_manager_release_finish:
 * @self: a #GstOfflineLicenseManager
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE if the license is released; %FALSE with the errors of
 *   gst_offline_license_manager_release().
 */
gboolean gst_offline_license_manager_release_finish (GstOfflineLicenseManager *self, GAsyncResult *result,
    GError **error)
{
  return finish_in_thread (self, result, reinterpret_cast<gpointer> (gst_offline_license_manager_release_async), error);
}
