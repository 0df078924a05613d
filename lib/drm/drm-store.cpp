/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/offline/offline-drm-store.h>

#include "drm/license-store.h"

#include <openssl/crypto.h>

/**
 * SECTION:offline-drm-store
 * @title: GstOfflineDrmStore
 * @short_description: where DRM keys and licenses are kept
 *
 * A #GstOfflineDrmStore maps names to byte strings. The library keeps one
 * entry per download that has keys: its license (policy, license server and
 * keys), under a name derived from the download id. Two downloads that use
 * the same key each hold their own license, so that the expiry, renewal or
 * release of one never changes what the other may play. The entries'
 * format is the library's: an application's own store needs only to keep
 * the bytes it is given, and reads keys with
 * gst_offline_drm_store_lookup_key().
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

namespace {

/* The name within a license of a key given as gst_offline_drm_store_lookup_key()
 * takes it, or nullopt. */
std::optional<std::string> license_key_name (const gchar *key_id, GError **error)
{
  if (g_str_has_prefix (key_id, "hls-key:"))
    return std::string (key_id);
  gst_offline::KeyId kid {};
  gsize digits = 0;
  for (const gchar *p = key_id; *p; p++) {
    if (*p == '-')
      continue;
    int value = g_ascii_xdigit_value (*p);
    if (value < 0 || digits >= 32) {
      digits = 0;
      break;
    }
    kid[digits / 2] = static_cast<guint8> ((kid[digits / 2] << 4) | value);
    digits++;
  }
  if (digits != 32) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
        "'%s' is neither a KID (32 hex digits) nor the key-resource of an HLS segment", key_id);
    return std::nullopt;
  }
  return gst_offline::kid_key_name (kid);
}

}  // namespace

/**
 * gst_offline_drm_store_lookup_key:
 * @self: a #GstOfflineDrmStore
 * @download_id: the download being played
 * @key_id: the key: a Common Encryption KID as 32 hex digits (a UUID's
 *   dashes allowed), or the #GstOfflineSegment:key-resource of an HLS
 *   AES-128 segment
 * @error: return location for a #GError
 *
 * The key the license of @download_id holds for @key_id, if that license
 * allows playback now. This is how playback reads keys, so that every
 * player judges a license the same way; the first call for a license with
 * a playback window starts that window (it is written to @self).
 *
 * Returns: (transfer full) (nullable): the 16 bytes of the key, or %NULL
 *   with %GST_OFFLINE_ERROR_NOT_FOUND (the download has no license, or no
 *   key for @key_id), %GST_OFFLINE_ERROR_LICENSE_EXPIRED (the license
 *   expired, or its playback window is used up: the message says when),
 *   %GST_OFFLINE_ERROR_CORRUPT (a damaged license) or the store's error.
 *   Each message names the download.
 */
GBytes *gst_offline_drm_store_lookup_key (GstOfflineDrmStore *self, const gchar *download_id, const gchar *key_id,
    GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DRM_STORE (self), nullptr);
  g_return_val_if_fail (download_id != nullptr, nullptr);
  g_return_val_if_fail (key_id != nullptr, nullptr);
  g_return_val_if_fail (error == nullptr || *error == nullptr, nullptr);
  auto name = license_key_name (key_id, error);
  if (!name)
    return nullptr;
  auto key = gst_offline::playback_key (self, download_id, *name, error);
  if (!key)
    return nullptr;
  GBytes *bytes = g_bytes_new (key->data (), key->size ());
  OPENSSL_cleanse (key->data (), key->size ());
  return bytes;
}

/**
 * gst_offline_drm_store_add_key:
 * @self: a #GstOfflineDrmStore
 * @download_id: a download id
 * @key_id: the key's name, as gst_offline_drm_store_lookup_key() takes it
 * @key: the 16 bytes of the AES-128 key
 * @error: return location for a #GError
 *
 * Adds a key to the license of @download_id, replacing one of that name; a
 * download without a license gets one that never expires. For keys an
 * application obtains by other means than a ClearKey license server.
 *
 * Returns: %TRUE if the key is stored; %FALSE with
 *   %GST_OFFLINE_ERROR_INVALID_ARGUMENT for a @key_id or @key of the wrong
 *   form, or the store's error.
 */
gboolean gst_offline_drm_store_add_key (GstOfflineDrmStore *self, const gchar *download_id, const gchar *key_id,
    GBytes *key, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DRM_STORE (self), FALSE);
  g_return_val_if_fail (download_id != nullptr && *download_id != '\0', FALSE);
  g_return_val_if_fail (key_id != nullptr, FALSE);
  g_return_val_if_fail (key != nullptr, FALSE);
  g_return_val_if_fail (error == nullptr || *error == nullptr, FALSE);
  auto name = license_key_name (key_id, error);
  if (!name)
    return FALSE;
  gsize size = 0;
  auto data = static_cast<const guint8 *> (g_bytes_get_data (key, &size));
  gst_offline::ContentKey content_key {};
  if (size != content_key.size ()) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
        "a key is 16 bytes, not %" G_GSIZE_FORMAT, size);
    return FALSE;
  }
  std::copy (data, data + size, content_key.begin ());
  gboolean added = gst_offline::add_license_key (self, download_id, *name, content_key, error);
  OPENSSL_cleanse (content_key.data (), content_key.size ());
  return added;
}

/**
 * gst_offline_drm_store_context_new:
 * @store: the store the pipeline's elements are to use
 *
 * A #GstContext of type %GST_OFFLINE_DRM_STORE_CONTEXT_TYPE holding @store,
 * for gst_element_set_context() on a pipeline that plays downloads whose
 * keys are in @store. It is persistent: it stays set across state changes.
 *
 * Returns: (transfer full): the context.
 */
GstContext *gst_offline_drm_store_context_new (GstOfflineDrmStore *store)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DRM_STORE (store), nullptr);
  GstContext *context = gst_context_new (GST_OFFLINE_DRM_STORE_CONTEXT_TYPE, TRUE);
  gst_structure_set (gst_context_writable_structure (context), "drm-store", GST_OFFLINE_TYPE_DRM_STORE, store,
      nullptr);
  return context;
}

/**
 * gst_offline_drm_store_context_get_store:
 * @context: a #GstContext
 *
 * Returns: (transfer full) (nullable): the store @context holds, or %NULL
 *   if it is not a %GST_OFFLINE_DRM_STORE_CONTEXT_TYPE context with one.
 */
GstOfflineDrmStore *gst_offline_drm_store_context_get_store (GstContext *context)
{
  g_return_val_if_fail (GST_IS_CONTEXT (context), nullptr);
  if (!gst_context_has_context_type (context, GST_OFFLINE_DRM_STORE_CONTEXT_TYPE))
    return nullptr;
  GstOfflineDrmStore *store = nullptr;
  const GstStructure *structure = gst_context_get_structure (context);
  if (!gst_structure_get (structure, "drm-store", GST_OFFLINE_TYPE_DRM_STORE, &store, nullptr))
    return nullptr;
  return store;
}
