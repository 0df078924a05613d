/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/offline/offline-drm-store.h>

/**
 * SECTION:offline-drm-store
 * @title: GstOfflineDrmStore
 * @short_description: where DRM keys and licenses are kept
 *
 * A #GstOfflineDrmStore maps names to byte strings. Content keys are stored
 * one per key id under the name `kid:<32 lower-case hex digits>`; their
 * values are written by the library's license manager and read by the
 * `offlinedrm` element, so an application's own store needs only to keep the
 * bytes it is given.
 */

G_DEFINE_INTERFACE (GstOfflineDrmStore, gst_offline_drm_store, G_TYPE_OBJECT)

static void gst_offline_drm_store_default_init (GstOfflineDrmStoreInterface *)
{
}

/**
 * gst_offline_drm_store_save:
 * @self: a #GstOfflineDrmStore
 * @key: the name to store @value under
 * @value: the bytes to store
 * @error: return location for a #GError
 *
 * Stores @value under @key, replacing any value stored there.
 *
 * Returns: %TRUE if @value is stored durably.
 */
gboolean gst_offline_drm_store_save (GstOfflineDrmStore *self, const gchar *key, GBytes *value, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DRM_STORE (self), FALSE);
  g_return_val_if_fail (key != nullptr && *key != '\0', FALSE);
  g_return_val_if_fail (value != nullptr, FALSE);
  g_return_val_if_fail (error == nullptr || *error == nullptr, FALSE);

  GstOfflineDrmStoreInterface *iface = GST_OFFLINE_DRM_STORE_GET_IFACE (self);
  if (!iface->save) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
        "%s cannot save DRM data", G_OBJECT_TYPE_NAME (self));
    return FALSE;
  }
  return iface->save (self, key, value, error);
}

/**
 * gst_offline_drm_store_load:
 * @self: a #GstOfflineDrmStore
 * @key: the name to look up
 * @error: return location for a #GError
 *
 * Finds the value stored under @key.
 *
 * Returns: (transfer full) (nullable): the value, or %NULL with
 *   %GST_OFFLINE_ERROR_NOT_FOUND if nothing is stored under @key (or with
 *   another error if the store could not be read).
 */
GBytes *gst_offline_drm_store_load (GstOfflineDrmStore *self, const gchar *key, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DRM_STORE (self), nullptr);
  g_return_val_if_fail (key != nullptr && *key != '\0', nullptr);
  g_return_val_if_fail (error == nullptr || *error == nullptr, nullptr);

  GstOfflineDrmStoreInterface *iface = GST_OFFLINE_DRM_STORE_GET_IFACE (self);
  if (!iface->load) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
        "%s cannot load DRM data", G_OBJECT_TYPE_NAME (self));
    return nullptr;
  }
  GError *local_error = nullptr;
  GBytes *value = iface->load (self, key, &local_error);
  if (!value && !local_error) {
    /* An implementation that says nothing means it has nothing. */
    g_set_error (&local_error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND,
        "%s holds no such entry", G_OBJECT_TYPE_NAME (self));
  }
  if (local_error)
    g_propagate_error (error, local_error);
  return value;
}

/**
 * gst_offline_drm_store_remove:
 * @self: a #GstOfflineDrmStore
 * @key: the name to forget
 * @error: return location for a #GError
 *
 * Forgets the value stored under @key. Removing a name that is not stored
 * is not an error.
 *
 * Returns: %TRUE unless the store could not be changed.
 */
gboolean gst_offline_drm_store_remove (GstOfflineDrmStore *self, const gchar *key, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DRM_STORE (self), FALSE);
  g_return_val_if_fail (key != nullptr && *key != '\0', FALSE);
  g_return_val_if_fail (error == nullptr || *error == nullptr, FALSE);

  GstOfflineDrmStoreInterface *iface = GST_OFFLINE_DRM_STORE_GET_IFACE (self);
  if (!iface->remove) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
        "%s cannot remove DRM data", G_OBJECT_TYPE_NAME (self));
    return FALSE;
  }
  return iface->remove (self, key, error);
}
