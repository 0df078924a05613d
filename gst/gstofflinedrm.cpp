/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:element-offlinedrm
 * @title: offlinedrm
 *
 * offlinedrm decrypts ISO Common Encryption (ISO/IEC 23001-7) samples as
 * qtdemux outputs them — `application/x-cenc` caps and a #GstProtectionMeta
 * on every encrypted sample — with content keys kept offline in a gst-offline
 * DRM store. Both schemes are supported, with and without subsamples:
 * `cenc` (AES-128-CTR) and `cbcs` (AES-128-CBC with a crypt:skip pattern,
 * per-sample or constant IVs). Samples are decrypted in place, and the
 * protection meta is removed.
 *
 * Its klass is `Decryptor` and its sink caps name the W3C common (ClearKey)
 * and DASH-IF ClearKey system ids, as well as content that names none, so
 * decodebin, decodebin3, playbin and playbin3 plug it by themselves after
 * qtdemux.
 *
 * Keys come from the license of the download being played (upstream
 * cachesrc's `offline://ID`, or #GstOfflineDrm:download-id), by key id
 * (KID), through gst_offline_drm_store_lookup_key(), which enforces the
 * license's policy. The store is the pipeline's: a `gst-offline.drm-store`
 * #GstContext (%GST_OFFLINE_DRM_STORE_CONTEXT_TYPE) that the application
 * sets on its pipeline, or that cachesrc answers with the store of the data
 * directory it plays from; #GstOfflineDrm:drm-store and
 * #GstOfflineDrm:cache-dir override it, and with none of them the default
 * data directory's `drm.db` is used. A sample whose key is missing is never
 * output: the element posts a `STREAM/DECRYPT_NOKEY` error naming the
 * download, the KID and the store; an expired license (or a used-up
 * playback window) is a `STREAM/DECRYPT` error saying when it ended.
 * Invalid encryption metadata (subsamples larger than the sample, an IV of
 * a wrong size, no KID, an unknown scheme) is a `STREAM/DECRYPT` error.
 * Keys are never logged.
 *
 * A wrong key is not detected: Common Encryption has no integrity check, so
 * a key stored under the right KID but with other bytes decrypts to noise
 * that nothing in the sample tells apart from media with certainty (the
 * decoder then fails or shows corrupt pictures). gst-offline refuses such
 * keys where it can be sure, at license acquisition: a license without a key
 * for every KID of the content is refused, naming the KIDs.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 playbin uri=offline://movie
 * ]| Plays the protected download `movie`; playbin plugs offlinedrm itself.
 * |[
 * gst-launch-1.0 filesrc location=movie-cenc.mp4 ! qtdemux ! offlinedrm download-id=movie cache-dir=/srv/offline ! h264parse ! avdec_h264 ! videoconvert ! autovideosink
 * ]| Decrypts a fragmented CENC MP4 with the keys of the license of download
 * `movie` stored in /srv/offline.
 */

#include "gstofflinedrm.h"

#include "offlinedrm/cenc-decryptor.h"
#include "offlinedrm/key-source.h"
#include "offlinedrm/sample-encryption.h"

#include <gst/offline/offline.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string>

GST_DEBUG_CATEGORY (gst_offline_drm_debug);
#define GST_CAT_DEFAULT gst_offline_drm_debug

using gst_offline::CencDecryptor;
using gst_offline::ContentKey;
using gst_offline::GObjectPtr;
using gst_offline::KeyRefusal;
using gst_offline::KeySource;
using gst_offline::SampleEncryption;

namespace {

enum {
  PROP_0,
  PROP_CACHE_DIR,
  PROP_DRM_STORE,
  PROP_DOWNLOAD_ID,
};

/* One structure per ClearKey system id with the id fixed, which
 * gst_protection_select_system() requires, and one for content that names no
 * system at all. */
GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-cenc, protection-system = (string) 1077efec-c0b2-4d02-ace3-3c1e52e2fb4b; "
                     "application/x-cenc, protection-system = (string) e2719d58-a985-b3c9-781a-b030af78d30e; "
                     "application/x-cenc"));

GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

/* Fields of the encrypted caps that say nothing about the decrypted media. */
const gchar *const kEncryptionFields[] = {
  "protection-system", "original-media-type", "cipher-mode", "encryption-algorithm", "encoding-scope",
};

struct Settings {
  std::optional<std::string> download_id;
  std::optional<std::string> cache_dir;
  GObjectPtr<GstOfflineDrmStore> drm_store;
};

}  // namespace

struct OfflineDrmPrivate {
  Settings settings; /* object lock */
  /* From start to stop; used by the streaming thread only. */
  std::unique_ptr<KeySource> keys;
  std::unique_ptr<CencDecryptor> decryptor;
  SampleEncryption sample; /* reused, so its vector keeps its memory */
  guint64 decrypted = 0;
};

struct _GstOfflineDrm {
  GstBaseTransform parent;
  OfflineDrmPrivate *priv;
};

#define gst_offline_drm_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstOfflineDrm, gst_offline_drm, GST_TYPE_BASE_TRANSFORM,
    GST_DEBUG_CATEGORY_INIT (gst_offline_drm_debug, "offlinedrm", 0, "Offline Common Encryption decryptor"));
GST_ELEMENT_REGISTER_DEFINE (offlinedrm, "offlinedrm", GST_RANK_MARGINAL, GST_TYPE_OFFLINE_DRM);

/* ---- Caps ----------------------------------------------------------------- */

static GstCaps *
gst_offline_drm_transform_caps (GstBaseTransform *trans, GstPadDirection direction, GstCaps *caps, GstCaps *filter)
{
  if (gst_caps_is_any (caps))
    return filter ? gst_caps_ref (filter) : gst_caps_new_any ();

  GstCaps *result = gst_caps_new_empty ();
  for (guint i = 0; i < gst_caps_get_size (caps); i++) {
    const GstStructure *in = gst_caps_get_structure (caps, i);
    GstCapsFeatures *features = gst_caps_get_features (caps, i);
    GstStructure *out;

    if (direction == GST_PAD_SINK) {
      /* Encrypted in, the original media out. */
      const gchar *original = gst_structure_get_string (in, "original-media-type");
      if (!original) {
        /* No telling what it decrypts to (the template, bare x-cenc). */
        gst_caps_unref (result);
        result = gst_caps_new_any ();
        break;
      }
      out = gst_structure_copy (in);
      gst_structure_set_name (out, original);
      for (const gchar *field : kEncryptionFields)
        gst_structure_remove_field (out, field);
    } else {
      /* The media out, encrypted in. No protection-system: content that
       * names none must still match. */
      out = gst_structure_copy (in);
      gst_structure_set_name (out, "application/x-cenc");
      gst_structure_set (out, "original-media-type", G_TYPE_STRING, gst_structure_get_name (in), nullptr);
    }
    gst_caps_append_structure_full (result, out, features ? gst_caps_features_copy (features) : nullptr);
  }

  if (filter) {
    GstCaps *intersection = gst_caps_intersect_full (filter, result, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (result);
    result = intersection;
  }
  GST_LOG_OBJECT (trans, "%s %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT,
      direction == GST_PAD_SINK ? "sink to src" : "src to sink", caps, result);
  return result;
}

/* ---- Start, stop ------------------------------------------------------------ */

static gboolean
gst_offline_drm_start (GstBaseTransform *trans)
{
  GstOfflineDrm *self = GST_OFFLINE_DRM (trans);
  /* Which download and which store are found at the first encrypted
   * sample, once the pipeline upstream is linked and can be asked. */
  self->priv->keys.reset ();
  self->priv->decryptor = std::make_unique<CencDecryptor> ();
  self->priv->decrypted = 0;
  return TRUE;
}

static gboolean
gst_offline_drm_stop (GstBaseTransform *trans)
{
  GstOfflineDrm *self = GST_OFFLINE_DRM (trans);
  GST_DEBUG_OBJECT (self, "stopping after %" G_GUINT64_FORMAT " decrypted samples", self->priv->decrypted);
  self->priv->keys.reset ();
  self->priv->decryptor.reset ();
  return TRUE;
}

/* ---- Which download, which store -------------------------------------------- */

/* What upstream plays: its URI, or empty if nothing answers. */
static std::string
upstream_uri (GstOfflineDrm *self)
{
  GstQuery *query = gst_query_new_uri ();
  std::string uri;
  if (gst_pad_peer_query (GST_BASE_TRANSFORM_SINK_PAD (self), query)) {
    g_autofree gchar *text = nullptr;
    gst_query_parse_uri (query, &text);
    if (text)
      uri = text;
  }
  gst_query_unref (query);
  return uri;
}

static GstOfflineDrmStore *
store_of_context (GstContext *context)
{
  return context ? gst_offline_drm_store_context_get_store (context) : nullptr;
}

/* The store of the pipeline's gst-offline.drm-store context: one set on the
 * element (by the application, or by its bins), else upstream's answer
 * (cachesrc answers with the application's or its data directory's), else
 * one the application sets when asked by a NEED_CONTEXT message. */
static GstOfflineDrmStore *
pipeline_drm_store (GstOfflineDrm *self)
{
  GstElement *element = GST_ELEMENT (self);
  g_autoptr (GstContext) set = gst_element_get_context (element, GST_OFFLINE_DRM_STORE_CONTEXT_TYPE);
  if (GstOfflineDrmStore *store = store_of_context (set))
    return store;

  GstQuery *query = gst_query_new_context (GST_OFFLINE_DRM_STORE_CONTEXT_TYPE);
  GstOfflineDrmStore *store = nullptr;
  if (gst_pad_peer_query (GST_BASE_TRANSFORM_SINK_PAD (self), query)) {
    GstContext *answer = nullptr;
    gst_query_parse_context (query, &answer);
    store = store_of_context (answer);
    if (store) {
      GST_DEBUG_OBJECT (self, "upstream answered with a DRM store");
      gst_element_set_context (element, answer);
    }
  }
  gst_query_unref (query);
  if (store)
    return store;

  GST_DEBUG_OBJECT (self, "asking the application for a DRM store");
  gst_element_post_message (element, gst_message_new_need_context (GST_OBJECT (self),
      GST_OFFLINE_DRM_STORE_CONTEXT_TYPE));
  g_autoptr (GstContext) given = gst_element_get_context (element, GST_OFFLINE_DRM_STORE_CONTEXT_TYPE);
  return store_of_context (given);
}

static std::string
store_description (GstOfflineDrmStore *store, const char *whose)
{
  if (GST_OFFLINE_IS_SQLITE_DRM_STORE (store))
    return std::string ("the DRM store of ")
        + gst_offline_sqlite_drm_store_get_data_dir (GST_OFFLINE_SQLITE_DRM_STORE (store));
  return std::string (whose) + " DRM store (" + G_OBJECT_TYPE_NAME (store) + ")";
}

/* The data directory's drm.db, if it exists: a reader creates nothing. */
static bool
open_data_dir_store (GstOfflineDrm *self, const gchar *dir, GObjectPtr<GstOfflineDrmStore> *store, std::string *where)
{
  g_autofree gchar *path = g_build_filename (dir, "drm.db", nullptr);
  if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
    *where = std::string ("DRM store in ") + dir + " (drm.db does not exist)";
    return true;
  }
  g_autoptr (GError) error = nullptr;
  GstOfflineSqliteDrmStore *sqlite_store = gst_offline_sqlite_drm_store_new (dir, &error);
  if (!sqlite_store) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("Could not open the DRM store in %s", dir), ("%s", error->message));
    return false;
  }
  store->reset (GST_OFFLINE_DRM_STORE (sqlite_store));
  *where = std::string ("the DRM store of ") + dir;
  return true;
}

/* Finds what the keys come from: the download being played (download-id,
 * else upstream's offline:// URI) and the store (drm-store, else cache-dir,
 * else the pipeline's context, else the default data directory). */
static bool
gst_offline_drm_open_keys (GstOfflineDrm *self)
{
  GST_OBJECT_LOCK (self);
  const Settings &set = self->priv->settings;
  std::optional<std::string> download_id = set.download_id;
  std::optional<std::string> cache_dir = set.cache_dir;
  GObjectPtr<GstOfflineDrmStore> drm_store (set.drm_store
      ? GST_OFFLINE_DRM_STORE (g_object_ref (set.drm_store.get ())) : nullptr);
  GST_OBJECT_UNLOCK (self);

  std::string id = download_id.value_or ("");
  if (id.empty ()) {
    std::string uri = upstream_uri (self);
    if (g_str_has_prefix (uri.c_str (), "offline://"))
      id = uri.substr (strlen ("offline://"));
    if (id.empty ()) {
      GST_ELEMENT_ERROR (self, STREAM, DECRYPT_NOKEY,
          ("Cannot decrypt: which download is playing is not known (play an offline:// URI, or set download-id)"),
          ("upstream URI: %s", uri.empty () ? "none" : uri.c_str ()));
      return false;
    }
  }

  GObjectPtr<GstOfflineDrmStore> store;
  std::string where;
  if (drm_store) {
    store = std::move (drm_store);
    where = store_description (store.get (), "the application's");
  } else if (cache_dir) {
    if (!open_data_dir_store (self, cache_dir->c_str (), &store, &where))
      return false;
  } else if (GstOfflineDrmStore *context_store = pipeline_drm_store (self)) {
    store.reset (context_store);
    where = store_description (store.get (), "the pipeline's");
  } else {
    g_autofree gchar *dir = gst_offline_get_default_data_dir ();
    if (!open_data_dir_store (self, dir, &store, &where))
      return false;
  }
  GST_INFO_OBJECT (self, "keys of download '%s' from %s", id.c_str (), where.c_str ());
  self->priv->keys = std::make_unique<KeySource> (store.get (), id, where);
  return true;
}

/* ---- Samples ---------------------------------------------------------------- */

static void
post_refusal (GstOfflineDrm *self, const KeyRefusal &refusal)
{
  if (refusal.reason == KeyRefusal::Reason::NoKey)
    GST_ELEMENT_ERROR (self, STREAM, DECRYPT_NOKEY, ("%s", refusal.message.c_str ()), ("%s", refusal.debug.c_str ()));
  else
    GST_ELEMENT_ERROR (self, STREAM, DECRYPT, ("%s", refusal.message.c_str ()), ("%s", refusal.debug.c_str ()));
}

static GstFlowReturn
gst_offline_drm_transform_ip (GstBaseTransform *trans, GstBuffer *buffer)
{
  GstOfflineDrm *self = GST_OFFLINE_DRM (trans);
  OfflineDrmPrivate *priv = self->priv;

  GstProtectionMeta *meta = gst_buffer_get_protection_meta (buffer);
  if (!meta) {
    /* A clear sample (e.g. a clear lead-in): nothing to do. */
    GST_LOG_OBJECT (self, "clear buffer %" GST_PTR_FORMAT, buffer);
    return GST_FLOW_OK;
  }

  SampleEncryption &sample = priv->sample;
  std::string why;
  gsize size = gst_buffer_get_size (buffer);
  if (!gst_offline::parse_sample_encryption (meta->info, size, &sample, &why)) {
    GST_ELEMENT_ERROR (self, STREAM, DECRYPT, ("Cannot decrypt: invalid encryption metadata (%s)", why.c_str ()),
        ("protection meta %" GST_PTR_FORMAT " on a %" G_GSIZE_FORMAT "-byte buffer", meta->info, size));
    return GST_FLOW_ERROR;
  }

  if (sample.encrypted) {
    if (!priv->keys && !gst_offline_drm_open_keys (self))
      return GST_FLOW_ERROR;
    auto key = priv->keys->lookup (sample.kid);
    if (auto *refusal = std::get_if<KeyRefusal> (&key)) {
      post_refusal (self, *refusal);
      return GST_FLOW_ERROR;
    }

    GstMapInfo map;
    if (!gst_buffer_map (buffer, &map, GST_MAP_READWRITE)) {
      GST_ELEMENT_ERROR (self, STREAM, DECRYPT, ("Cannot decrypt: the sample cannot be written"),
          ("mapping %" GST_PTR_FORMAT " for writing failed", buffer));
      return GST_FLOW_ERROR;
    }
    bool ok = priv->decryptor->decrypt (sample, std::get<ContentKey> (key), map.data, map.size, &why);
    gst_buffer_unmap (buffer, &map);
    if (!ok) {
      GST_ELEMENT_ERROR (self, STREAM, DECRYPT, ("Cannot decrypt a sample"), ("%s", why.c_str ()));
      return GST_FLOW_ERROR;
    }
    priv->decrypted++;
    GST_LOG_OBJECT (self, "decrypted %" G_GSIZE_FORMAT " bytes (%s, KID %s, %zu subsamples)", size,
        gst_offline::cipher_mode_name (sample.mode), gst_offline::kid_hex (sample.kid).c_str (),
        sample.subsamples.size ());
  }

  gst_buffer_remove_meta (buffer, reinterpret_cast<GstMeta *> (meta));
  return GST_FLOW_OK;
}

/* ---- GObject -------------------------------------------------------------- */

static void
gst_offline_drm_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GstOfflineDrm *self = GST_OFFLINE_DRM (object);

  GST_OBJECT_LOCK (self);
  Settings &settings = self->priv->settings;
  switch (prop_id) {
    case PROP_CACHE_DIR: {
      const gchar *dir = g_value_get_string (value);
      if (dir && *dir)
        settings.cache_dir = dir;
      else
        settings.cache_dir.reset ();
      break;
    }
    case PROP_DOWNLOAD_ID: {
      const gchar *id = g_value_get_string (value);
      if (id && *id)
        settings.download_id = id;
      else
        settings.download_id.reset ();
      break;
    }
    case PROP_DRM_STORE: {
      gpointer store = g_value_dup_object (value);
      settings.drm_store.reset (store ? GST_OFFLINE_DRM_STORE (store) : nullptr);
      break;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_offline_drm_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GstOfflineDrm *self = GST_OFFLINE_DRM (object);

  GST_OBJECT_LOCK (self);
  const Settings &settings = self->priv->settings;
  switch (prop_id) {
    case PROP_CACHE_DIR:
      g_value_set_string (value, settings.cache_dir ? settings.cache_dir->c_str () : nullptr);
      break;
    case PROP_DRM_STORE:
      g_value_set_object (value, settings.drm_store.get ());
      break;
    case PROP_DOWNLOAD_ID:
      g_value_set_string (value, settings.download_id ? settings.download_id->c_str () : nullptr);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_offline_drm_finalize (GObject *object)
{
  GstOfflineDrm *self = GST_OFFLINE_DRM (object);
  delete self->priv;
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_offline_drm_init (GstOfflineDrm *self)
{
  self->priv = new OfflineDrmPrivate ();
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), FALSE);
}

static void
gst_offline_drm_class_init (GstOfflineDrmClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *transform_class = GST_BASE_TRANSFORM_CLASS (klass);
  const auto flags = static_cast<GParamFlags> (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  gobject_class->set_property = gst_offline_drm_set_property;
  gobject_class->get_property = gst_offline_drm_get_property;
  gobject_class->finalize = gst_offline_drm_finalize;

  /**
   * GstOfflineDrm:download-id:
   *
   * The download whose license holds the keys. %NULL (the default) means
   * the one upstream plays: cachesrc's `offline://ID`. Set it when upstream
   * is something else (filesrc, appsrc).
   */
  g_object_class_install_property (gobject_class, PROP_DOWNLOAD_ID,
      g_param_spec_string ("download-id", "Download id",
          "The download whose license holds the keys; NULL: the one upstream plays (offline://ID)", nullptr,
          flags));

  /**
   * GstOfflineDrm:cache-dir:
   *
   * The gst-offline data directory whose DRM store (`drm.db`) holds the
   * keys, instead of the pipeline's (see #GstOfflineDrm:drm-store). Not
   * used when #GstOfflineDrm:drm-store is set.
   */
  g_object_class_install_property (gobject_class, PROP_CACHE_DIR,
      g_param_spec_string ("cache-dir", "Cache directory",
          "The gst-offline data directory whose DRM store holds the keys; NULL: the pipeline's store "
          "(cachesrc's data directory), else $GST_OFFLINE_DIR, else $XDG_DATA_HOME/gst-offline",
          nullptr, flags));

  /**
   * GstOfflineDrm:drm-store:
   *
   * A #GstOfflineDrmStore to read the keys from instead of the pipeline's:
   * an application's own store. An application usually sets a
   * `gst-offline.drm-store` #GstContext on its pipeline instead
   * (gst_offline_drm_store_context_new()), which reaches an auto-plugged
   * offlinedrm too. Its load() and save() are called from the streaming
   * thread.
   */
  g_object_class_install_property (gobject_class, PROP_DRM_STORE,
      g_param_spec_object ("drm-store", "DRM store",
          "The store to read keys from instead of the pipeline's (a GstOfflineDrmStore)",
          GST_OFFLINE_TYPE_DRM_STORE, flags));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Offline Common Encryption decryptor",
      GST_ELEMENT_FACTORY_KLASS_DECRYPTOR,
      "Decrypts cenc and cbcs Common Encryption with keys from the gst-offline DRM store",
      "The gst-offline authors <https://github.com/gst-offline/gst-offline>");

  transform_class->transform_caps = GST_DEBUG_FUNCPTR (gst_offline_drm_transform_caps);
  transform_class->start = GST_DEBUG_FUNCPTR (gst_offline_drm_start);
  transform_class->stop = GST_DEBUG_FUNCPTR (gst_offline_drm_stop);
  transform_class->transform_ip = GST_DEBUG_FUNCPTR (gst_offline_drm_transform_ip);
  transform_class->transform_ip_on_passthrough = FALSE;
}
