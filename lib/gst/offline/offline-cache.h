/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>
#include <gst/offline/offline-error.h>

G_BEGIN_DECLS

#define GST_OFFLINE_TYPE_CACHE (gst_offline_cache_get_type ())
GST_OFFLINE_API
G_DECLARE_FINAL_TYPE (GstOfflineCache, gst_offline_cache, GST_OFFLINE, CACHE, GObject)

/**
 * GstOfflineCache:
 *
 * The store of downloaded resources in a data directory: one file per
 * resource, named by a hash of its cache key, and a SQLite table of the
 * resources that are whole. A resource is visible only once every byte of it
 * is on disk; partial resources are kept, invisible, to be resumed.
 */

GST_OFFLINE_API
GstOfflineCache *gst_offline_cache_new (const gchar *data_dir, GError **error);

GST_OFFLINE_API
const gchar *gst_offline_cache_get_data_dir (GstOfflineCache *self);

GST_OFFLINE_API
gchar *gst_offline_cache_lookup (GstOfflineCache *self, const gchar *key, guint64 *length, GError **error);

GST_OFFLINE_API
guint64 gst_offline_cache_get_cached_length (GstOfflineCache *self, const gchar *key);

GST_OFFLINE_API
guint64 gst_offline_cache_get_total_size (GstOfflineCache *self);

GST_OFFLINE_API
GPtrArray *gst_offline_cache_verify (GstOfflineCache *self, const gchar *download_id, GError **error);

G_END_DECLS
