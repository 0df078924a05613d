/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>
#include <gst/offline/offline-error.h>

G_BEGIN_DECLS

#define GST_OFFLINE_TYPE_DRM_STORE (gst_offline_drm_store_get_type ())
GST_OFFLINE_API
G_DECLARE_INTERFACE (GstOfflineDrmStore, gst_offline_drm_store, GST_OFFLINE, DRM_STORE, GObject)

/**
 * GstOfflineDrmStore:
 *
 * Where persistent DRM data (content keys, licenses) is kept: a map from
 * string names to byte strings, as Kaltura's LocalDrmStorage. The library's
 * license manager writes to it and the `offlinedrm` element reads from it.
 *
 * #GstOfflineSqliteDrmStore is the default implementation. An application
 * that keeps keys elsewhere (a keyring, a secure element) implements this
 * interface on a GObject of its own and gives it to `offlinedrm` through its
 * `drm-store` property.
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
