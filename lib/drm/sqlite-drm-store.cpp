/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/offline/offline-drm-store.h>

#include "db/database.h"
#include "db/schema.h"
#include "drm/drm-keys.h"
#include "util/fs.h"
#include "util/handles.h"
#include "util/hash.h"

#include <gst/gst.h>
#include <openssl/crypto.h>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/**
 * SECTION:offline-sqlite-drm-store
 * @title: GstOfflineSqliteDrmStore
 * @short_description: the default DRM store, a SQLite file
 *
 * The default #GstOfflineDrmStore keeps its entries in `drm.db`, a SQLite
 * database (WAL journal) of its own in the data directory, so that the keys
 * can be protected apart from the download index: the file, its journal and
 * its shared-memory index are made readable and writable by their owner only
 * (0600) whatever the process's umask, and a looser mode found on an
 * existing file is tightened. Names appear in logs only as a short hash and
 * values never.
 */

GST_DEBUG_CATEGORY_STATIC (drm_store_debug);
#define GST_CAT_DEFAULT drm_store_debug

struct _GstOfflineSqliteDrmStore {
  GObject parent;
  std::string data_dir;
  std::string path;
  std::unique_ptr<gst_offline::Database> db;
};

static void gst_offline_sqlite_drm_store_iface_init (GstOfflineDrmStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (GstOfflineSqliteDrmStore, gst_offline_sqlite_drm_store, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (GST_OFFLINE_TYPE_DRM_STORE, gst_offline_sqlite_drm_store_iface_init);
    GST_DEBUG_CATEGORY_INIT (drm_store_debug, "offlinedrmstore", 0, "gst-offline DRM store"))

namespace gst_offline {

namespace {

constexpr mode_t kPrivateMode = 0600;

/* Migration N takes drm.db from version N to N+1. Never edit one that
 * shipped: add the next. */
const char *const kDrmMigrations[] = {
  /* 0 -> 1 */
  "CREATE TABLE drm_entries ("
  "  name TEXT PRIMARY KEY NOT NULL,"
  "  value BLOB NOT NULL,"
  "  updated_ms INTEGER NOT NULL"
  ") WITHOUT ROWID;",
};

const Schema kDrmSchema { kDrmMigrations, G_N_ELEMENTS (kDrmMigrations) };

/* What logs may say about an entry's name: a short hash, never the name. */
std::string log_name (const char *key)
{
  return sha256_hex (key).substr (0, 12);
}

/* Makes `path` an owner-only regular file, creating it if needed: created
 * with 0600 then chmod-ed, so the umask cannot loosen it, and a looser mode
 * left by something else is tightened. */
bool make_private_file (const std::string &path, bool must_exist, GError **error)
{
  UniqueFd fd (open (path.c_str (), O_RDWR | O_CLOEXEC | O_NOFOLLOW | (must_exist ? 0 : O_CREAT), kPrivateMode));
  if (!fd) {
    if (must_exist && errno == ENOENT)
      return true;
    set_error_from_errno (error, errno, "opening " + path);
    return false;
  }
  struct stat st;
  if (fstat (fd.get (), &st) != 0) {
    set_error_from_errno (error, errno, "checking " + path);
    return false;
  }
  if (!S_ISREG (st.st_mode)) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_IO, "%s is not a regular file", path.c_str ());
    return false;
  }
  if ((st.st_mode & 07777) != kPrivateMode) {
    GST_INFO ("setting the mode of %s to 0600 (was 0%o)", path.c_str (), st.st_mode & 07777);
    if (fchmod (fd.get (), kPrivateMode) != 0) {
      set_error_from_errno (error, errno, "making " + path + " private (chmod 0600)");
      return false;
    }
  }
  return true;
}

}  // namespace

}  // namespace gst_offline

using gst_offline::Database;
using gst_offline::Statement;

static gboolean gst_offline_sqlite_drm_store_save (GstOfflineDrmStore *store, const gchar *key, GBytes *value,
    GError **error)
{
  auto self = GST_OFFLINE_SQLITE_DRM_STORE (store);
  gsize size = 0;
  const char *data = static_cast<const char *> (g_bytes_get_data (value, &size));
  auto stmt = self->db->prepare ("INSERT INTO drm_entries (name, value, updated_ms) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms", error);
  if (!stmt)
    return FALSE;
  /* A zero-length blob must still be a blob, not NULL. */
  stmt->bind (1, key).bind_blob (2, std::string_view (data ? data : "", size)).bind (3, gst_offline::now_ms ());
  if (!stmt->run (error))
    return FALSE;
  GST_DEBUG ("saved entry %s (%" G_GSIZE_FORMAT " bytes)", gst_offline::log_name (key).c_str (), size);
  return TRUE;
}

static GBytes *gst_offline_sqlite_drm_store_load (GstOfflineDrmStore *store, const gchar *key, GError **error)
{
  auto self = GST_OFFLINE_SQLITE_DRM_STORE (store);
  auto stmt = self->db->prepare ("SELECT value FROM drm_entries WHERE name = ?1", error);
  if (!stmt)
    return nullptr;
  stmt->bind (1, key);
  switch (stmt->step (error)) {
    case Statement::Step::Row: {
      std::string value = stmt->blob (0);
      GST_DEBUG ("loaded entry %s", gst_offline::log_name (key).c_str ());
      GBytes *bytes = g_bytes_new (value.data (), value.size ());
      /* Do not leave a copy of the secret in freed heap memory. */
      OPENSSL_cleanse (value.data (), value.size ());
      return bytes;
    }
    case Statement::Step::Done:
      GST_DEBUG ("no entry %s", gst_offline::log_name (key).c_str ());
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND,
          "the DRM store %s holds no such entry", self->path.c_str ());
      return nullptr;
    case Statement::Step::Error:
    default:
      return nullptr;
  }
}

static gboolean gst_offline_sqlite_drm_store_remove (GstOfflineDrmStore *store, const gchar *key, GError **error)
{
  auto self = GST_OFFLINE_SQLITE_DRM_STORE (store);
  auto stmt = self->db->prepare ("DELETE FROM drm_entries WHERE name = ?1", error);
  if (!stmt)
    return FALSE;
  stmt->bind (1, key);
  if (!stmt->run (error))
    return FALSE;
  GST_DEBUG ("removed entry %s (%s)", gst_offline::log_name (key).c_str (),
      self->db->changes () > 0 ? "was stored" : "was not stored");
  return TRUE;
}

static void gst_offline_sqlite_drm_store_iface_init (GstOfflineDrmStoreInterface *iface)
{
  iface->save = gst_offline_sqlite_drm_store_save;
  iface->load = gst_offline_sqlite_drm_store_load;
  iface->remove = gst_offline_sqlite_drm_store_remove;
}

static void gst_offline_sqlite_drm_store_init (GstOfflineSqliteDrmStore *self)
{
  new (&self->data_dir) std::string ();
  new (&self->path) std::string ();
  new (&self->db) std::unique_ptr<Database> ();
}

static void gst_offline_sqlite_drm_store_finalize (GObject *object)
{
  auto self = GST_OFFLINE_SQLITE_DRM_STORE (object);
  self->db.~unique_ptr ();
  self->path.~basic_string ();
  self->data_dir.~basic_string ();
  G_OBJECT_CLASS (gst_offline_sqlite_drm_store_parent_class)->finalize (object);
}

static void gst_offline_sqlite_drm_store_class_init (GstOfflineSqliteDrmStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gst_offline_sqlite_drm_store_finalize;
}

/**
 * gst_offline_sqlite_drm_store_new:
 * @data_dir: (nullable) (type filename): the data directory, %NULL for the default
 * @error: return location for a #GError
 *
 * Opens the DRM store `drm.db` of a data directory, creating the directory
 * (0700) and the file (0600) if needed.
 *
 * Returns: (transfer full) (nullable): the store, or %NULL on error.
 */
GstOfflineSqliteDrmStore *gst_offline_sqlite_drm_store_new (const gchar *data_dir, GError **error)
{
  g_return_val_if_fail (error == nullptr || *error == nullptr, nullptr);
  /* Registers the debug category too. */
  g_type_ensure (GST_OFFLINE_TYPE_SQLITE_DRM_STORE);

  std::string dir = gst_offline::resolve_data_dir (data_dir);
  std::string path = dir + G_DIR_SEPARATOR_S + gst_offline::kDrmDatabaseName;
  if (!gst_offline::make_directories (dir, error))
    return nullptr;
  /* Before SQLite opens it: SQLite gives the journal and the shared-memory
   * file the mode of the database file. */
  if (!gst_offline::make_private_file (path, false, error)
      || !gst_offline::make_private_file (path + "-wal", true, error)
      || !gst_offline::make_private_file (path + "-shm", true, error))
    return nullptr;

  auto db = Database::open (path, true, gst_offline::kDrmSchema, error);
  if (!db)
    return nullptr;

  auto self = GST_OFFLINE_SQLITE_DRM_STORE (g_object_new (GST_OFFLINE_TYPE_SQLITE_DRM_STORE, nullptr));
  self->data_dir = std::move (dir);
  self->path = std::move (path);
  self->db = std::move (db);
  GST_DEBUG ("opened %s", self->path.c_str ());
  return self;
}

/**
 * gst_offline_sqlite_drm_store_get_data_dir:
 * @self: a #GstOfflineSqliteDrmStore
 *
 * Returns: (type filename): the data directory of the store.
 */
const gchar *gst_offline_sqlite_drm_store_get_data_dir (GstOfflineSqliteDrmStore *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_SQLITE_DRM_STORE (self), nullptr);
  return self->data_dir.c_str ();
}

/**
 * gst_offline_sqlite_drm_store_get_path:
 * @self: a #GstOfflineSqliteDrmStore
 *
 * Returns: (type filename): the database file of the store (`drm.db` in the
 *   data directory).
 */
const gchar *gst_offline_sqlite_drm_store_get_path (GstOfflineSqliteDrmStore *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_SQLITE_DRM_STORE (self), nullptr);
  return self->path.c_str ();
}
