/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/offline/offline-license-manager.h>

#include "cache/cache-private.h"
#include "db/database.h"
#include "drm/license-manager.h"
#include "helper/dash-tracks.h"
#include "helper/track-selection.h"
#include "http/http-client.h"
#include "manifest/dash/mpd-parser.h"
#include "util/fs.h"
#include "util/handles.h"

#include <gst/gst.h>

/**
 * SECTION:offline-license-manager
 * @title: GstOfflineLicenseManager
 * @short_description: the persistent licenses of downloaded content
 *
 * A download of ClearKey-protected DASH content acquires a persistent
 * license before its segments: the manager POSTs the W3C EME ClearKey
 * request `{"kids": [...], "type": "persistent-license"}` to the license
 * server (the request's #GstOfflineDownloadRequest:license-url, else the
 * MPD's ClearKey `Laurl`) and keeps the keys of the JWK Set it answers with
 * in the #GstOfflineDrmStore, by KID, with the license's policy: the answer
 * may say `license_duration_seconds` (counted from acquisition) and
 * `playback_duration_seconds` (counted from the first playback); absent
 * means unlimited. The `offlinedrm` element enforces that policy.
 *
 * #GstOfflineLicenseManager is the rest of the license's life, as Kaltura's
 * LocalAssetsManager: gst_offline_license_manager_get_status()
 * (checkAssetStatus), gst_offline_license_manager_renew(),
 * gst_offline_license_manager_release(), and
 * gst_offline_license_manager_register_asset() /
 * gst_offline_license_manager_unregister_asset() for content downloaded
 * without one. Removing a download releases its license.
 *
 * Renewing and registering ask the license server (they block; call them
 * from a thread that may wait); the other calls only read and write the
 * data directory. Keys are never logged.
 */

struct _GstOfflineLicenseManager {
  GObject parent;
  std::string *data_dir;
  GstOfflineCache *cache;     /* its database is the index */
  GstOfflineDrmStore *store;
  GMutex lock;                /* one license operation at a time */
};

G_DEFINE_FINAL_TYPE (GstOfflineLicenseManager, gst_offline_license_manager, G_TYPE_OBJECT)

using namespace gst_offline;

static void gst_offline_license_manager_init (GstOfflineLicenseManager *self)
{
  self->data_dir = new std::string ();
  g_mutex_init (&self->lock);
}

static void gst_offline_license_manager_finalize (GObject *object)
{
  auto self = GST_OFFLINE_LICENSE_MANAGER (object);
  g_clear_object (&self->store);
  g_clear_object (&self->cache);
  delete self->data_dir;
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (gst_offline_license_manager_parent_class)->finalize (object);
}

static void gst_offline_license_manager_class_init (GstOfflineLicenseManagerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gst_offline_license_manager_finalize;
}

namespace {

struct Locked {
  GMutex *mutex;
  explicit Locked (GMutex *m) : mutex (m) { g_mutex_lock (mutex); }
  ~Locked () { g_mutex_unlock (mutex); }
};

std::optional<DownloadRecord> get_record (GstOfflineLicenseManager *self, const gchar *id, GError **error)
{
  return download_table::get (cache_database (self->cache), id, error);
}

/* What a download's license covers, from its stored manifest and tracks. */
std::optional<LicenseRequest> request_from_manifest (GstOfflineLicenseManager *self, const DownloadRecord &record,
    GError **error)
{
  if (record.type != GST_OFFLINE_DOWNLOAD_TYPE_DASH) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
        "download %s is not a DASH download: gst-offline has no licenses for %s content", record.id.c_str (),
        gst_offline_download_type_to_string (record.type));
    return std::nullopt;
  }
  guint64 length = 0;
  g_autofree gchar *path = gst_offline_cache_lookup (self->cache, record.uri.c_str (), &length, error);
  if (!path) {
    g_prefix_error (error, "the manifest of download %s is not in the cache: ", record.id.c_str ());
    return std::nullopt;
  }
  g_autofree gchar *contents = nullptr;
  gsize size = 0;
  if (!g_file_get_contents (path, &contents, &size, error))
    return std::nullopt;
  auto mpd = dash::parse_mpd (std::string_view (contents, size), record.uri, error);
  if (!mpd)
    return std::nullopt;
  std::vector<std::string> keys = record.stream_keys;
  if (keys.empty ()) {
    auto selected = select_tracks (dash_tracks (*mpd), TrackSelection {}, error);
    if (!selected)
      return std::nullopt;
    keys = *selected;
  }
  std::vector<const dash::Representation *> reps;
  for (const std::string &key : keys) {
    auto ref = parse_dash_stream_key (key, *mpd, error);
    if (!ref)
      return std::nullopt;
    reps.push_back (&mpd->periods[ref->period].adaptation_sets[ref->set].representations[ref->representation]);
  }
  return dash_license_request (reps, record, error);
}

bool acquire (GstOfflineLicenseManager *self, LicenseRequest &request, GCancellable *cancellable, GError **error)
{
  GObjectPtr<SoupSession> session (http_session_new ());
  auto answer = fetch_license (session.get (), request, cancellable, error);
  if (!answer)
    return false;
  return store_license (self->store, &cache_database (self->cache), request, *answer, error);
}

}  // namespace

/**
 * gst_offline_license_manager_new:
 * @data_dir: (nullable) (type filename): the data directory, %NULL for the default
 * @store: (nullable): the store that keeps the keys, %NULL for the data
 *   directory's `drm.db` (#GstOfflineSqliteDrmStore)
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
  GstOfflineDrmStore *drm_store = store ? GST_OFFLINE_DRM_STORE (g_object_ref (store))
                                        : GST_OFFLINE_DRM_STORE (gst_offline_sqlite_drm_store_new (dir.c_str (), error));
  if (!drm_store)
    return nullptr;
  auto self = GST_OFFLINE_LICENSE_MANAGER (g_object_new (GST_OFFLINE_TYPE_LICENSE_MANAGER, nullptr));
  *self->data_dir = dir;
  self->cache = cache.release ();
  self->store = drm_store;
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
 * Returns: (transfer none): the store that keeps the keys.
 */
GstOfflineDrmStore *gst_offline_license_manager_get_drm_store (GstOfflineLicenseManager *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_LICENSE_MANAGER (self), nullptr);
  return self->store;
}

/**
 * gst_offline_license_manager_has_license:
 * @self: a #GstOfflineLicenseManager
 * @id: a download id
 * @error: return location for a #GError
 *
 * Whether the download has a license stored (expired or not). %FALSE with
 * no error when it has none; %FALSE with %GST_OFFLINE_ERROR_NOT_FOUND for an
 * unknown download.
 *
 * Returns: %TRUE if a license is stored for @id.
 */
gboolean gst_offline_license_manager_has_license (GstOfflineLicenseManager *self, const gchar *id, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_LICENSE_MANAGER (self), FALSE);
  g_return_val_if_fail (id != nullptr, FALSE);
  Locked locked (&self->lock);
  auto record = get_record (self, id, error);
  if (!record || !record->key_set_id)
    return FALSE;
  g_autoptr (GError) load_error = nullptr;
  if (load_key_set (self->store, *record->key_set_id, &load_error))
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
 * The status of a download's license, as Kaltura's checkAssetStatus. With
 * several keys, the most restrictive.
 *
 * Returns: %TRUE on success; %FALSE with %GST_OFFLINE_ERROR_NOT_FOUND if
 *   there is no such download or it has no license.
 */
gboolean gst_offline_license_manager_get_status (GstOfflineLicenseManager *self, const gchar *id,
    gint64 *expires_in, gint64 *playable_for, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_LICENSE_MANAGER (self), FALSE);
  g_return_val_if_fail (id != nullptr, FALSE);
  Locked locked (&self->lock);
  auto record = get_record (self, id, error);
  if (!record)
    return FALSE;
  if (!record->key_set_id) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND, "download %s has no license", id);
    return FALSE;
  }
  g_autoptr (GError) status_error = nullptr;
  auto status = license_status_of (self->store, *record->key_set_id, &status_error);
  if (!status) {
    if (g_error_matches (status_error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND)
        && !strstr (status_error->message, "KID"))
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND, "download %s has no license", id);
    else
      g_propagate_error (error, g_steal_pointer (&status_error));
    return FALSE;
  }
  if (expires_in)
    *expires_in = status->expires_in;
  if (playable_for)
    *playable_for = status->playable_for;
  return TRUE;
}

/**
 * gst_offline_license_manager_register_asset:
 * @self: a #GstOfflineLicenseManager
 * @id: the id of a DASH download whose manifest is in the cache
 * @license_url: (nullable): the ClearKey license server, %NULL for the
 *   download's #GstOfflineDownloadRequest:license-url or else the manifest's
 *   `Laurl`
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Acquires a persistent license for a download made earlier (Kaltura's
 * registerAsset): the KIDs of its tracks come from its stored manifest.
 * Replaces any license it had. Blocks while the license server answers.
 *
 * Returns: %TRUE if the license is stored; %FALSE with
 *   %GST_OFFLINE_ERROR_NOT_FOUND (no such download), %GST_OFFLINE_ERROR_UNSUPPORTED
 *   (clear content, or no license server known), %GST_OFFLINE_ERROR_HTTP,
 *   %GST_OFFLINE_ERROR_NETWORK or %GST_OFFLINE_ERROR_CORRUPT (what the
 *   license server answered), each naming the license URL.
 */
gboolean gst_offline_license_manager_register_asset (GstOfflineLicenseManager *self, const gchar *id,
    const gchar *license_url, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_LICENSE_MANAGER (self), FALSE);
  g_return_val_if_fail (id != nullptr, FALSE);
  Locked locked (&self->lock);
  auto record = get_record (self, id, error);
  if (!record)
    return FALSE;
  if (license_url && *license_url)
    record->license_url = license_url;
  auto request = request_from_manifest (self, *record, error);
  if (!request)
    return FALSE;
  if (request->kids.empty ()) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
        "download %s is not protected: it needs no license", id);
    return FALSE;
  }
  return acquire (self, *request, cancellable, error);
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
 * from now, the playback window has not started). Blocks while the license
 * server answers; the old license stays if renewal fails.
 *
 * Returns: %TRUE if the new license is stored; %FALSE with
 *   %GST_OFFLINE_ERROR_NOT_FOUND if the download has no license (register it
 *   instead), or the errors of gst_offline_license_manager_register_asset().
 */
gboolean gst_offline_license_manager_renew (GstOfflineLicenseManager *self, const gchar *id,
    GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_LICENSE_MANAGER (self), FALSE);
  g_return_val_if_fail (id != nullptr, FALSE);
  Locked locked (&self->lock);
  auto record = get_record (self, id, error);
  if (!record)
    return FALSE;
  g_autoptr (GError) load_error = nullptr;
  auto set = record->key_set_id ? load_key_set (self->store, *record->key_set_id, &load_error) : std::nullopt;
  if (!set) {
    if (load_error && !g_error_matches (load_error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND))
      g_propagate_error (error, g_steal_pointer (&load_error));
    else
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND, "download %s has no license to renew", id);
    return FALSE;
  }
  LicenseRequest request { record->id, set->license_url, set->kids, record->headers };
  return acquire (self, request, cancellable, error);
}

/**
 * gst_offline_license_manager_release:
 * @self: a #GstOfflineLicenseManager
 * @id: a download id
 * @error: return location for a #GError
 *
 * Removes the download's keys (except those another download's license also
 * holds) and its license record; its data stays in the cache, so
 * gst_offline_license_manager_register_asset() can license it again.
 * Releasing a download that has no license succeeds.
 *
 * Returns: %FALSE on error (%GST_OFFLINE_ERROR_NOT_FOUND for an unknown id).
 */
gboolean gst_offline_license_manager_release (GstOfflineLicenseManager *self, const gchar *id, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_LICENSE_MANAGER (self), FALSE);
  g_return_val_if_fail (id != nullptr, FALSE);
  Locked locked (&self->lock);
  auto record = get_record (self, id, error);
  if (!record)
    return FALSE;
  std::string name = record->key_set_id.value_or (key_set_store_name (record->id));
  return release_license (self->store, &cache_database (self->cache), record->id, name, error);
}
