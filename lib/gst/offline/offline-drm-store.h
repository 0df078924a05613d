/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>
#include <gst/gst.h>
#include <gst/offline/offline-error.h>

G_BEGIN_DECLS

#define GST_OFFLINE_TYPE_DRM_STORE (gst_offline_drm_store_get_type ())
GST_OFFLINE_API
G_DECLARE_INTERFACE (GstOfflineDrmStore, gst_offline_drm_store, GST_OFFLINE, DRM_STORE, GObject)

/**
 * GstOfflineDrmStore:
 *
 * Where persistent DRM data (licenses and their keys) is kept: a map from
 * string names to byte strings, as Kaltura's LocalDrmStorage. Every part of
 * gst-offline uses one store: downloads write the keys they acquire into it
 * (DASH ClearKey licenses and HLS AES-128 keys alike), the license manager
 * keeps their licenses there, and playback (`cachesrc`, `offlinedrm`) reads
 * them from it through gst_offline_drm_store_lookup_key().
 *
 * #GstOfflineSqliteDrmStore is the default implementation. An application
 * that keeps keys elsewhere (a keyring, a secure element) implements this
 * interface on a GObject of its own, gives it to a #GstOfflineLicenseManager
 * which it gives to its #GstOfflineDownloadManager
 * (#GstOfflineDownloadManager:license-manager), and sets it on its
 * pipelines with gst_offline_drm_store_context_new().
 *
 * The methods may be called from any thread (`offlinedrm` calls load() from
 * its streaming thread): implementations must be thread-safe. Values are
 * secrets: implementations must not log them, nor the names in full.
 */

/**
 * GstOfflineDrmStoreInterface:
 * @g_iface: the parent interface.
 * @save: stores @value under @key, replacing what was there.
 * @load: returns the value stored under @key, or %NULL with
 *   %GST_OFFLINE_ERROR_NOT_FOUND if there is none (or another error).
 * @remove: forgets @key; removing a name that is not stored is not an error.
 *
 * The virtual methods of #GstOfflineDrmStore.
 */
struct _GstOfflineDrmStoreInterface {
  GTypeInterface g_iface;

  gboolean (*save) (GstOfflineDrmStore *self, const gchar *key, GBytes *value, GError **error);
  GBytes *(*load) (GstOfflineDrmStore *self, const gchar *key, GError **error);
  gboolean (*remove) (GstOfflineDrmStore *self, const gchar *key, GError **error);

  /*< private >*/
  gpointer padding[8];
};

GST_OFFLINE_API
gboolean gst_offline_drm_store_save (GstOfflineDrmStore *self, const gchar *key, GBytes *value, GError **error);

GST_OFFLINE_API
GBytes *gst_offline_drm_store_load (GstOfflineDrmStore *self, const gchar *key, GError **error);

GST_OFFLINE_API
gboolean gst_offline_drm_store_remove (GstOfflineDrmStore *self, const gchar *key, GError **error);

GST_OFFLINE_API
GBytes *gst_offline_drm_store_lookup_key (GstOfflineDrmStore *self, const gchar *download_id, const gchar *key_id,
    GError **error);

GST_OFFLINE_API
gboolean gst_offline_drm_store_add_key (GstOfflineDrmStore *self, const gchar *download_id, const gchar *key_id,
    GBytes *key, GError **error);

/**
 * GST_OFFLINE_DRM_STORE_CONTEXT_TYPE:
 *
 * The type of the #GstContext through which a pipeline's elements share a
 * #GstOfflineDrmStore: `gst-offline.drm-store`. Its structure holds the
 * store in the field `drm-store`. An application sets one on its pipeline
 * (gst_offline_drm_store_context_new(), gst_element_set_context()) to play
 * with its own store; `cachesrc` answers the context query with it, or
 * with the store of the data directory it plays from when none is set, and
 * `offlinedrm` asks for it.
 */
#define GST_OFFLINE_DRM_STORE_CONTEXT_TYPE "gst-offline.drm-store"

GST_OFFLINE_API
GstContext *gst_offline_drm_store_context_new (GstOfflineDrmStore *store);

GST_OFFLINE_API
GstOfflineDrmStore *gst_offline_drm_store_context_get_store (GstContext *context);

/**
 * GST_OFFLINE_CLEARKEY_SYSTEM_ID:
 *
 * The W3C common (ClearKey) protection system id, whose keys gst-offline
 * keeps: the one decryptors should prefer.
 */
#define GST_OFFLINE_CLEARKEY_SYSTEM_ID "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"

/**
 * GST_OFFLINE_DASHIF_CLEARKEY_SYSTEM_ID:
 *
 * The DASH-IF ClearKey protection system id, which gst-offline keeps the
 * keys of too.
 */
#define GST_OFFLINE_DASHIF_CLEARKEY_SYSTEM_ID "e2719d58-a985-b3c9-781a-b030af78d30e"

#define GST_OFFLINE_TYPE_SQLITE_DRM_STORE (gst_offline_sqlite_drm_store_get_type ())
GST_OFFLINE_API
G_DECLARE_FINAL_TYPE (GstOfflineSqliteDrmStore, gst_offline_sqlite_drm_store, GST_OFFLINE, SQLITE_DRM_STORE, GObject)

/**
 * GstOfflineSqliteDrmStore:
 *
 * The default #GstOfflineDrmStore: a SQLite database `drm.db` in the data
 * directory, separate from the download index, readable and writable by its
 * owner only (mode 0600, whatever the umask).
 */

GST_OFFLINE_API
GstOfflineSqliteDrmStore *gst_offline_sqlite_drm_store_new (const gchar *data_dir, GError **error);

GST_OFFLINE_API
const gchar *gst_offline_sqlite_drm_store_get_data_dir (GstOfflineSqliteDrmStore *self);

GST_OFFLINE_API
const gchar *gst_offline_sqlite_drm_store_get_path (GstOfflineSqliteDrmStore *self);

G_END_DECLS
