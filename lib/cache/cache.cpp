/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cache/cache-private.h"
#include "cache/pending-removals.h"
#include "cache/space-reserve.h"

#include <gst/offline/offline-playback-private.h>

#include "db/database.h"
#include "util/fs.h"
#include "util/hash.h"

#include <gst/gst.h>

#include <cerrno>
#include <set>
#include <vector>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/**
 * SECTION:offline-cache
 * @title: GstOfflineCache
 * @short_description: the store of downloaded resources
 *
 * Every downloaded resource (a media file, a manifest, a segment) is one file
 * under `cache/` in the data directory, named by the SHA-256 of its cache key
 * (by default its URL), and one row in the data directory's database. A
 * resource is listed only once all of its bytes are on disk; partial
 * resources are kept, unlisted, to be resumed.
 */

struct _GstOfflineCache {
  GObject parent;
  std::string data_dir;
  gst_offline::ReaderDatabase db;
};

G_DEFINE_FINAL_TYPE (GstOfflineCache, gst_offline_cache, G_TYPE_OBJECT)

static void gst_offline_cache_init (GstOfflineCache *self)
{
  new (&self->data_dir) std::string ();
  new (&self->db) gst_offline::ReaderDatabase ();
}

static void gst_offline_cache_finalize (GObject *object)
{
  auto self = GST_OFFLINE_CACHE (object);
  self->db.~ReaderDatabase ();
  self->data_dir.~basic_string ();
  G_OBJECT_CLASS (gst_offline_cache_parent_class)->finalize (object);
}

static void gst_offline_cache_class_init (GstOfflineCacheClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gst_offline_cache_finalize;
}

namespace gst_offline {

namespace {

GstOfflineCache *cache_open (const char *data_dir, bool create, GError **error)
{
  std::string dir = resolve_data_dir (data_dir);
  auto self = GST_OFFLINE_CACHE (g_object_new (GST_OFFLINE_TYPE_CACHE, nullptr));
  self->data_dir = dir;
  if (!self->db.open (database_path (dir), create, error)) {
    g_object_unref (self);
    return nullptr;
  }
  return self;
}

/* Calls `fn` with the path, relative to the data directory, of every file
 * in the cache's buckets whose name ends with `suffix`. */
template <typename Fn> void for_each_cache_file (const std::string &data_dir, const char *suffix, Fn fn)
{
  std::string cache_dir = data_dir + G_DIR_SEPARATOR_S + kCacheDirName;
  g_autoptr (GDir) top = g_dir_open (cache_dir.c_str (), 0, nullptr);
  while (const gchar *bucket = top ? g_dir_read_name (top) : nullptr) {
    std::string bucket_path = cache_dir + G_DIR_SEPARATOR_S + bucket;
    g_autoptr (GDir) dir = g_dir_open (bucket_path.c_str (), 0, nullptr);
    while (const gchar *name = dir ? g_dir_read_name (dir) : nullptr) {
      if (g_str_has_suffix (name, suffix))
        fn (std::string (kCacheDirName) + G_DIR_SEPARATOR_S + bucket + G_DIR_SEPARATOR_S + name);
    }
  }
}

/* Deletes a file unless a writer holds it. */
void remove_unless_held (const std::string &path)
{
  int errsv = 0;
  UniqueFd lock = cache_lock_file (path, false, &errsv);
  if (lock)
    unlink (path.c_str ());
}

}  // namespace

GstOfflineCache *cache_open_for_writing (const char *data_dir, GError **error)
{
  return cache_open (data_dir, true, error);
}

Database &cache_database (GstOfflineCache *cache)
{
  return cache->db.get ();
}

ResourceFiles cache_resource_files (const std::string &key)
{
  std::string hash = sha256_hex (key);
  std::string stem = std::string (kCacheDirName) + G_DIR_SEPARATOR_S + hash.substr (0, 2) + G_DIR_SEPARATOR_S + hash;
  return { stem + ".data", stem + ".partial" };
}

std::string cache_absolute_path (GstOfflineCache *cache, const std::string &relative)
{
  return cache->data_dir + G_DIR_SEPARATOR_S + relative;
}

UniqueFd cache_lock_file (const std::string &path, bool create, int *errsv)
{
  /* Bounded: each round means another process unlinked or renamed the file
   * between our open and our lock. */
  for (guint round = 0; round < 100; round++) {
    UniqueFd fd (open (path.c_str (), create ? O_RDWR | O_CREAT | O_CLOEXEC : O_RDONLY | O_CLOEXEC, 0644));
    if (!fd) {
      *errsv = errno;
      return {};
    }
    if (flock (fd.get (), LOCK_EX | LOCK_NB) != 0) {
      *errsv = errno;
      return {};
    }
    if (cache_path_names_file (path, fd.get ()))
      return fd;
  }
  *errsv = EWOULDBLOCK;
  return {};
}

bool cache_path_names_file (const std::string &path, int fd)
{
  struct stat held, named;
  return fstat (fd, &held) == 0 && stat (path.c_str (), &named) == 0 && named.st_dev == held.st_dev
      && named.st_ino == held.st_ino;
}

std::optional<KeySpool> cache_drop_download_rows (GstOfflineCache *cache, const std::string &download_id,
    GError **error)
{
  Database &db = cache->db.get ();
  auto transaction = db.begin (error);
  if (!transaction)
    return std::nullopt;
  /* The keys whose files may go: those of the resources only this download
   * uses, and those its playback plan names and its URI (a progressive
   * download's key): a resource gets rows only at its first checkpoint, so
   * the files of the others (a stop or a crash before it) are found by
   * their keys. The deletion keeps those a row names or a writer holds.
   * Read before the rows go, into a file: one key a segment. */
  static const char kOnlyMine[] = "SELECT key FROM download_resources AS mine WHERE download_id = ?1 AND NOT EXISTS "
      "(SELECT 1 FROM download_resources AS other WHERE other.key = mine.key AND other.download_id != ?1)";
  auto select = db.prepare ((std::string (kOnlyMine) + " UNION SELECT resource FROM segments WHERE download_id = ?1 "
      "UNION SELECT init_resource FROM segments WHERE download_id = ?1 AND init_resource IS NOT NULL "
      "UNION SELECT uri FROM downloads WHERE id = ?1").c_str (), error);
  if (!select)
    return std::nullopt;
  KeySpool keys (cache->data_dir);
  select->bind (1, download_id);
  auto selected = select->rows (error);
  for (Statement &row : selected)
    keys.add (row.text (0));
  if (selected.failed ())
    return std::nullopt;
  /* The rows, each table in one statement. partials is small (resources
   * being written), so it is the one scanned. */
  for (const std::string &sql : {
           "DELETE FROM resources WHERE key IN (" + std::string (kOnlyMine) + ")",
           std::string ("DELETE FROM partials WHERE EXISTS (SELECT 1 FROM download_resources AS mine WHERE "
               "mine.download_id = ?1 AND mine.key = partials.key) AND NOT EXISTS (SELECT 1 FROM download_resources "
               "AS other WHERE other.key = partials.key AND other.download_id != ?1)"),
           std::string ("DELETE FROM download_resources WHERE download_id = ?1") }) {
    auto drop = db.prepare (sql.c_str (), error);
    if (!drop || !drop->bind (1, download_id).run (error))
      return std::nullopt;
  }
  if (!transaction->commit (error))
    return std::nullopt;
  return keys;
}

void cache_delete_unused_files (const std::string &data_dir, const KeySpool &keys)
{
  /* A connection of our own: this may run on any thread. */
  g_autoptr (GError) error = nullptr;
  auto db = Database::open (database_path (data_dir), false, &error);
  if (!db) {
    GST_WARNING ("cannot delete the files of removed resources in %s: %s", data_dir.c_str (), error->message);
    return;
  }
  auto whole = db->prepare ("SELECT 1 FROM resources WHERE key = ?", nullptr);
  auto partial = db->prepare ("SELECT 1 FROM partials WHERE key = ?", nullptr);
  if (!whole || !partial)
    return;
  /* Under the file's lock nobody writes it, so a row tells whether the key
   * was fetched again (by another download) since its rows went. */
  auto delete_unless_used = [&] (const std::string &relative, Statement &rows, const std::string &key) {
    std::string path = data_dir + G_DIR_SEPARATOR_S + relative;
    int errsv = 0;
    UniqueFd lock = cache_lock_file (path, false, &errsv);
    if (!lock)
      return;
    rows.reset ();
    if (rows.bind (1, key).step (nullptr) == Statement::Step::Done)
      unlink (path.c_str ());
  };
  keys.for_each ([&] (const std::string &key) {
    ResourceFiles files = cache_resource_files (key);
    delete_unless_used (files.data, *whole, key);
    delete_unless_used (files.partial, *partial, key);
  });
}

bool cache_remove_download_resources (GstOfflineCache *cache, const std::string &download_id, GError **error)
{
  auto keys = cache_drop_download_rows (cache, download_id, error);
  if (!keys)
    return false;
  /* The rows are gone, so nothing shows these files any more; a crash before
   * they are unlinked leaves strays that verify reports and the next writer
   * of the same key removes. A file a writer holds is its own: another
   * download that has not yet recorded its use of the key is writing it. */
  cache_delete_unused_files (cache->data_dir, *keys);
  return true;
}

std::optional<guint> cache_drop_damaged_resources (GstOfflineCache *cache, const std::string &download_id,
    GError **error)
{
  Database &db = cache->db.get ();
  std::vector<std::pair<std::string, std::string>> damaged; /* key, file */
  auto transaction = db.begin (error);
  if (!transaction)
    return std::nullopt;
  auto select = db.prepare ("SELECT key, file, length FROM resources WHERE key IN "
      "(SELECT key FROM download_resources WHERE download_id = ?1)", error);
  if (!select)
    return std::nullopt;
  select->bind (1, download_id);
  auto selected = select->rows (error);
  for (Statement &row : selected) {
    std::string file = row.text (1);
    if (file_size (cache_absolute_path (cache, file)) != row.int64 (2))
      damaged.emplace_back (row.text (0), file);
  }
  if (selected.failed ())
    return std::nullopt;
  auto drop = db.prepare ("DELETE FROM resources WHERE key = ?", error);
  if (!drop)
    return std::nullopt;
  for (const auto &entry : damaged) {
    if (!drop->bind (1, entry.first).run (error))
      return std::nullopt;
    drop->reset ();
  }
  if (!transaction->commit (error))
    return std::nullopt;
  /* Unlisted now: a short file would otherwise be adopted by the next writer. */
  for (const auto &entry : damaged)
    remove_unless_held (cache_absolute_path (cache, entry.second));
  return static_cast<guint> (damaged.size ());
}

std::optional<std::string> cache_read_resource (GstOfflineCache *cache, const std::string &key, gsize max_bytes,
    GError **error)
{
  guint64 length = 0;
  g_autofree gchar *path = gst_offline_cache_lookup (cache, key.c_str (), &length, error);
  if (!path)
    return std::nullopt;
  if (length > max_bytes) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED, "%s is larger (%" G_GUINT64_FORMAT
        " bytes) than gst-offline accepts", key.c_str (), length);
    return std::nullopt;
  }
  g_autofree gchar *contents = nullptr;
  gsize size = 0;
  if (!g_file_get_contents (path, &contents, &size, error))
    return std::nullopt;
  return std::string (contents, size);
}

guint64 cache_download_bytes (GstOfflineCache *cache, const std::string &download_id)
{
  auto stmt = cache->db.get ().prepare ("SELECT "
      "(SELECT COALESCE (SUM (r.length), 0) FROM resources r JOIN download_resources d ON d.key = r.key WHERE d.download_id = ?1) + "
      "(SELECT COALESCE (SUM (p.durable_length), 0) FROM partials p JOIN download_resources d ON d.key = p.key WHERE d.download_id = ?1)",
      nullptr);
  if (!stmt || stmt->bind (1, download_id).step (nullptr) != Statement::Step::Row)
    return 0;
  return static_cast<guint64> (MAX (stmt->int64 (0), 0));
}

}  // namespace gst_offline

/**
 * gst_offline_cache_new:
 * @data_dir: (nullable) (type filename): the data directory, %NULL for the default
 * @error: return location for a #GError
 *
 * Opens the cache of a data directory for reading. A directory that was
 * never used is not created; its cache is empty.
 *
 * Returns: (transfer full) (nullable): the cache, or %NULL on error.
 */
GstOfflineCache *gst_offline_cache_new (const gchar *data_dir, GError **error)
{
  return gst_offline::cache_open (data_dir, false, error);
}

/**
 * gst_offline_cache_get_data_dir:
 * @self: a #GstOfflineCache
 *
 * Returns: (type filename): the data directory.
 */
const gchar *gst_offline_cache_get_data_dir (GstOfflineCache *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_CACHE (self), nullptr);
  return self->data_dir.c_str ();
}

/* The row of `key` that `sql` (one `?` for the key) selects, stepped onto;
 * nothing with GST_OFFLINE_ERROR_NOT_FOUND ("no `what` resource") if there
 * is none, or with the database's error. */
static std::optional<gst_offline::Statement> row_by_key (GstOfflineCache *self, const char *sql, const gchar *key,
    const char *what, GError **error)
{
  auto stmt = self->db.get ().prepare (sql, error);
  if (!stmt)
    return std::nullopt;
  stmt->bind (1, key);
  auto step = stmt->step (error);
  if (step == gst_offline::Statement::Step::Error)
    return std::nullopt;
  if (step == gst_offline::Statement::Step::Done) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND, "the cache holds no %s resource for %s", what,
        key);
    return std::nullopt;
  }
  return stmt;
}

/**
 * gst_offline_cache_lookup:
 * @self: a #GstOfflineCache
 * @key: the resource's cache key (by default its URL)
 * @length: (out) (optional): its length in bytes
 * @error: return location for a #GError
 *
 * Finds a whole resource.
 *
 * Returns: (transfer full) (type filename) (nullable): the path of its file,
 *   or %NULL with %GST_OFFLINE_ERROR_NOT_FOUND if the cache holds no whole
 *   resource for @key, or %GST_OFFLINE_ERROR_CORRUPT if its file is missing
 *   or does not have the recorded length.
 */
gchar *gst_offline_cache_lookup (GstOfflineCache *self, const gchar *key, guint64 *length, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_CACHE (self), nullptr);
  g_return_val_if_fail (key != nullptr, nullptr);
  auto stmt = row_by_key (self, "SELECT file, length FROM resources WHERE key = ?", key, "whole", error);
  if (!stmt)
    return nullptr;
  std::string path = gst_offline::cache_absolute_path (self, stmt->text (0));
  gint64 expected = stmt->int64 (1);
  gint64 actual = gst_offline::file_size (path);
  if (actual != expected) {
    if (actual < 0)
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_CORRUPT,
          "the cached file of %s (%s) is missing", key, path.c_str ());
    else
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_CORRUPT,
          "the cached file of %s (%s) has %" G_GINT64_FORMAT " bytes instead of %" G_GINT64_FORMAT,
          key, path.c_str (), actual, expected);
    return nullptr;
  }
  if (length)
    *length = static_cast<guint64> (expected);
  return g_strdup (path.c_str ());
}

gchar *gst_offline_cache_lookup_partial (GstOfflineCache *self, const gchar *key, guint64 *durable_length,
    gint64 *total_length, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_CACHE (self), nullptr);
  g_return_val_if_fail (key != nullptr, nullptr);
  auto stmt = row_by_key (self, "SELECT file, durable_length, total_length FROM partials WHERE key = ?", key, "partial",
      error);
  if (!stmt)
    return nullptr;
  if (durable_length)
    *durable_length = static_cast<guint64> (MAX (stmt->int64 (1), 0));
  if (total_length)
    *total_length = stmt->int64 (2);
  return g_strdup (gst_offline::cache_absolute_path (self, stmt->text (0)).c_str ());
}

/**
 * gst_offline_cache_get_cached_length:
 * @self: a #GstOfflineCache
 * @key: the resource's cache key
 *
 * Returns: how many bytes of the resource are held: its length if whole,
 *   the durable part if partial, 0 if absent.
 */
guint64 gst_offline_cache_get_cached_length (GstOfflineCache *self, const gchar *key)
{
  g_return_val_if_fail (GST_OFFLINE_IS_CACHE (self), 0);
  auto stmt = self->db.get ().prepare ("SELECT COALESCE ((SELECT length FROM resources WHERE key = ?1), "
      "(SELECT durable_length FROM partials WHERE key = ?1), 0)", nullptr);
  if (!stmt || stmt->bind (1, key).step (nullptr) != gst_offline::Statement::Step::Row)
    return 0;
  return static_cast<guint64> (MAX (stmt->int64 (0), 0));
}

/**
 * gst_offline_cache_get_total_size:
 * @self: a #GstOfflineCache
 *
 * Returns: the bytes held by every resource, whole or partial.
 */
guint64 gst_offline_cache_get_total_size (GstOfflineCache *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_CACHE (self), 0);
  auto stmt = self->db.get ().prepare ("SELECT (SELECT COALESCE (SUM (length), 0) FROM resources) + "
      "(SELECT COALESCE (SUM (durable_length), 0) FROM partials)", nullptr);
  if (!stmt || stmt->step (nullptr) != gst_offline::Statement::Step::Row)
    return 0;
  return static_cast<guint64> (MAX (stmt->int64 (0), 0));
}

/**
 * gst_offline_cache_verify:
 * @self: a #GstOfflineCache
 * @download_id: (nullable): check only the resources of this download
 * @error: return location for a #GError
 *
 * Checks that every whole resource has its file with the recorded length and
 * that partial files hold at least their checkpointed bytes. Without
 * @download_id it also checks the database's integrity, that every resource
 * belongs to a download, and that no stray file lies in the cache (nor a
 * space reserve a killed process left half made in the data directory,
 * which the next #GstOfflineDownloadManager of the directory removes).
 *
 * Returns: (transfer container) (element-type utf8) (nullable): one message per
 *   problem; empty when the cache is sound.
 */
GPtrArray *gst_offline_cache_verify (GstOfflineCache *self, const gchar *download_id, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_CACHE (self), nullptr);
  using gst_offline::Statement;
  GPtrArray *problems = g_ptr_array_new_with_free_func (g_free);
  std::set<std::string> known_files;
  auto fail = [&] () -> GPtrArray * {
    g_ptr_array_unref (problems);
    return nullptr;
  };

  /* ?1 NULL selects every resource, else those of one download. */
  constexpr const char *kOfDownload = " WHERE ?1 IS NULL OR key IN (SELECT key FROM download_resources WHERE download_id = ?1)";
  auto bind_download = [&] (Statement &stmt) {
    if (download_id)
      stmt.bind (1, download_id);
    else
      stmt.bind_null (1);
  };

  auto integrity = self->db.get ().prepare (download_id ? "SELECT 'ok'" : "PRAGMA quick_check", error);
  if (!integrity)
    return fail ();
  auto checks = integrity->rows (error);
  for (Statement &row : checks) {
    if (row.text (0) != "ok")
      g_ptr_array_add (problems, g_strdup_printf ("database: %s", row.text (0).c_str ()));
  }
  if (checks.failed ())
    return fail ();

  std::string whole_sql = std::string ("SELECT key, file, length, "
      "EXISTS (SELECT 1 FROM download_resources d WHERE d.key = resources.key) FROM resources") + kOfDownload;
  auto whole = self->db.get ().prepare (whole_sql.c_str (), error);
  if (!whole)
    return fail ();
  bind_download (*whole);
  auto whole_rows = whole->rows (error);
  for (Statement &row : whole_rows) {
    std::string key = row.text (0), file = row.text (1);
    known_files.insert (file);
    gint64 size = gst_offline::file_size (gst_offline::cache_absolute_path (self, file));
    if (size < 0)
      g_ptr_array_add (problems, g_strdup_printf ("resource %s: file %s is missing", key.c_str (), file.c_str ()));
    else if (size != row.int64 (2))
      g_ptr_array_add (problems, g_strdup_printf ("resource %s: file %s has %" G_GINT64_FORMAT " bytes, the index says %"
          G_GINT64_FORMAT, key.c_str (), file.c_str (), size, row.int64 (2)));
    if (!row.int64 (3))
      g_ptr_array_add (problems, g_strdup_printf ("resource %s belongs to no download", key.c_str ()));
  }
  if (whole_rows.failed ())
    return fail ();

  std::string partial_sql = std::string ("SELECT key, file, durable_length FROM partials") + kOfDownload;
  auto partial = self->db.get ().prepare (partial_sql.c_str (), error);
  if (!partial)
    return fail ();
  bind_download (*partial);
  auto partial_rows = partial->rows (error);
  for (Statement &row : partial_rows) {
    std::string key = row.text (0), file = row.text (1);
    known_files.insert (file);
    /* The data name too: a commit may be between its rename and its rows. */
    known_files.insert (gst_offline::cache_resource_files (key).data);
    gint64 size = gst_offline::file_size (gst_offline::cache_absolute_path (self, file));
    if (size >= 0 && size < row.int64 (2))
      g_ptr_array_add (problems, g_strdup_printf ("partial resource %s: file %s has %" G_GINT64_FORMAT
          " bytes, fewer than the %" G_GINT64_FORMAT " checkpointed", key.c_str (), file.c_str (), size, row.int64 (2)));
  }
  if (partial_rows.failed ())
    return fail ();

  if (download_id)
    return problems;

  auto orphan_uses = self->db.get ().prepare ("SELECT DISTINCT download_id FROM download_resources "
      "WHERE download_id NOT IN (SELECT id FROM downloads)", error);
  if (!orphan_uses)
    return fail ();
  auto orphans = orphan_uses->rows (error);
  for (Statement &row : orphans) {
    /* Unless its removal is under way (or a manager finishes it next). */
    if (!gst_offline::is_pending_removal (self->data_dir, row.text (0)))
      g_ptr_array_add (problems, g_strdup_printf ("download '%s' is gone but still holds resources", row.text (0).c_str ()));
  }
  if (orphans.failed ())
    return fail ();

  /* Stray files: anything in cache/ that is not a bucket folder, and
   * anything in a bucket named by no row. */
  std::string cache_dir = gst_offline::cache_absolute_path (self, gst_offline::kCacheDirName);
  g_autoptr (GDir) top = g_dir_open (cache_dir.c_str (), 0, nullptr);
  while (const gchar *bucket = top ? g_dir_read_name (top) : nullptr) {
    std::string bucket_path = cache_dir + G_DIR_SEPARATOR_S + bucket;
    g_autoptr (GDir) dir = g_dir_open (bucket_path.c_str (), 0, nullptr);
    if (!dir) {
      g_ptr_array_add (problems, g_strdup_printf ("stray file %s", bucket_path.c_str ()));
      continue;
    }
    while (const gchar *name = g_dir_read_name (dir)) {
      std::string relative = std::string (gst_offline::kCacheDirName) + G_DIR_SEPARATOR_S + bucket + G_DIR_SEPARATOR_S + name;
      if (known_files.count (relative))
        continue;
      /* A partial file gets its row at its first checkpoint: before that,
       * the lock of its live writer is what tells it from a stray. */
      std::string path = gst_offline::cache_absolute_path (self, relative);
      int errsv = 0;
      if (g_str_has_suffix (name, ".partial") && !gst_offline::cache_lock_file (path, false, &errsv) && errsv == EWOULDBLOCK)
        continue;
      g_ptr_array_add (problems, g_strdup_printf ("stray file %s", path.c_str ()));
    }
  }
  for (const std::string &path : gst_offline::SpaceReserve::stale_files (self->data_dir))
    g_ptr_array_add (problems, g_strdup_printf ("stray file %s, left by a process killed while it made the space "
        "reserve: the next download manager removes it ('gst-offline verify --repair')", path.c_str ()));
  return problems;
}
