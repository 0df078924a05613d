/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cache/resource-writer.h"

#include "cache/cache-private.h"
#include "db/database.h"
#include "util/fs.h"

#include <gst/gst.h>
#include <gst/offline/offline-error.h>

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

GST_DEBUG_CATEGORY_STATIC (writer_debug);
#define GST_CAT_DEFAULT writer_debug

namespace gst_offline {

namespace {

/* A SIGKILL loses at most this much of a partial resource. */
constexpr gint64 kCheckpointIntervalUs = G_USEC_PER_SEC;
constexpr guint64 kCheckpointBytes = 4 * 1024 * 1024;
/* The first checkpoint comes early, so that a process killed again and
 * again within a second still makes progress. */
constexpr guint64 kFirstCheckpointBytes = 256 * 1024;

void init_debug ()
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (writer_debug, "offlinecache", 0, "gst-offline cache writes");
    g_once_init_leave (&once, 1);
  }
}

struct PartialRow {
  guint64 durable_length;
  gint64 total_length;
  std::string etag;
  std::string last_modified;
};

std::optional<std::optional<PartialRow>> read_partial_row (Database &db, const std::string &key, GError **error)
{
  auto stmt = db.prepare ("SELECT durable_length, total_length, etag, last_modified FROM partials WHERE key = ?", error);
  if (!stmt)
    return std::nullopt;
  stmt->bind (1, key);
  auto step = stmt->step (error);
  if (step == Statement::Step::Error)
    return std::nullopt;
  if (step == Statement::Step::Done)
    return std::optional<PartialRow> ();
  gint64 durable = stmt->int64 (0);
  return std::optional<PartialRow> (PartialRow { static_cast<guint64> (MAX (durable, 0)), stmt->int64 (1),
      stmt->text (2), stmt->text (3) });
}

std::optional<bool> has_whole_resource (Database &db, const std::string &key, GError **error)
{
  auto stmt = db.prepare ("SELECT 1 FROM resources WHERE key = ?", error);
  if (!stmt)
    return std::nullopt;
  stmt->bind (1, key);
  auto step = stmt->step (error);
  if (step == Statement::Step::Error)
    return std::nullopt;
  return step == Statement::Step::Row;
}

bool record_use (Database &db, const std::string &download_id, const std::string &key, GError **error)
{
  auto stmt = db.prepare ("INSERT OR IGNORE INTO download_resources (download_id, key) VALUES (?, ?)", error);
  return stmt && stmt->bind (1, download_id).bind (2, key).run (error);
}

/* Adds the whole resource's row and drops the partial one, atomically. */
bool commit_rows (Database &db, const std::string &key, const std::string &file, guint64 length,
    const std::string &etag, const std::string &last_modified, GError **error)
{
  auto transaction = db.begin (error);
  if (!transaction)
    return false;
  auto insert = db.prepare ("INSERT OR REPLACE INTO resources (key, file, length, etag, last_modified, created_ms) "
      "VALUES (?, ?, ?, ?, ?, ?)", error);
  if (!insert)
    return false;
  insert->bind (1, key).bind (2, file).bind (3, static_cast<gint64> (length)).bind (4, etag)
      .bind (5, last_modified).bind (6, now_ms ());
  if (!insert->run (error))
    return false;
  auto drop = db.prepare ("DELETE FROM partials WHERE key = ?", error);
  if (!drop || !drop->bind (1, key).run (error))
    return false;
  return transaction->commit (error);
}

}  // namespace

std::unique_ptr<ResourceWriter> ResourceWriter::open (GstOfflineCache *cache, const std::string &key,
    const std::string &download_id, GError **error)
{
  init_debug ();
  Database &db = cache_database (cache);
  std::unique_ptr<ResourceWriter> self (new ResourceWriter ());
  self->cache_ = GST_OFFLINE_CACHE (g_object_ref (cache));
  self->key_ = key;
  ResourceFiles files = cache_resource_files (key);
  self->partial_file_ = files.partial;
  self->data_path_ = cache_absolute_path (cache, files.data);
  self->partial_path_ = cache_absolute_path (cache, files.partial);

  if (!record_use (db, download_id, key, error))
    return nullptr;
  auto whole = has_whole_resource (db, key, error);
  if (!whole)
    return nullptr;
  if (*whole) {
    self->complete_ = true;
    return self;
  }

  g_autofree gchar *dir = g_path_get_dirname (self->partial_path_.c_str ());
  if (!make_directories (dir, error))
    return nullptr;
  self->fd_.reset (::open (self->partial_path_.c_str (), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!self->fd_) {
    set_error_from_errno (error, errno, "opening cache file " + self->partial_path_);
    return nullptr;
  }
  if (flock (self->fd_.get (), LOCK_EX | LOCK_NB) != 0) {
    int errsv = errno;
    if (errsv == EWOULDBLOCK)
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_BUSY,
          "resource %s is being written by another download", key.c_str ());
    else
      set_error_from_errno (error, errsv, "locking cache file " + self->partial_path_);
    return nullptr;
  }

  /* With the lock held, nobody else writes this resource: decide from what
   * the rows and the files say. */
  whole = has_whole_resource (db, key, error);
  if (!whole)
    return nullptr;
  if (*whole) {
    unlink (self->partial_path_.c_str ());
    self->complete_ = true;
    return self;
  }
  auto row = read_partial_row (db, key, error);
  if (!row)
    return nullptr;
  struct stat st;
  if (fstat (self->fd_.get (), &st) != 0) {
    set_error_from_errno (error, errno, "reading cache file " + self->partial_path_);
    return nullptr;
  }
  guint64 held = static_cast<guint64> (st.st_size);
  if (*row) {
    const PartialRow &partial = **row;
    gint64 data_size = file_size (self->data_path_);
    if (held == 0 && partial.durable_length > 0 && partial.total_length >= 0 && data_size == partial.total_length) {
      /* A crash came between the rename and the commit of the rows: the
       * whole file is there, only its row is missing. */
      GST_INFO ("adopting whole resource %s left by an interrupted commit", key.c_str ());
      if (!commit_rows (db, key, files.data, static_cast<guint64> (data_size), partial.etag, partial.last_modified, error))
        return nullptr;
      unlink (self->partial_path_.c_str ());
      self->fd_.reset ();
      self->complete_ = true;
      return self;
    }
    if (held >= partial.durable_length) {
      /* Bytes past the checkpoint may not have reached the disk before a
       * crash of the machine: keep only what is known to be durable. */
      self->length_ = partial.durable_length;
      self->etag_ = partial.etag;
      self->last_modified_ = partial.last_modified;
      self->total_length_ = partial.total_length;
    } else {
      GST_WARNING ("partial file of %s is shorter (%" G_GUINT64_FORMAT ") than its checkpoint (%"
          G_GUINT64_FORMAT "): starting over", key.c_str (), held, partial.durable_length);
    }
  } else {
    /* A data file with no row at all is a leftover of a removal. */
    unlink (self->data_path_.c_str ());
  }
  if (ftruncate (self->fd_.get (), static_cast<off_t> (self->length_)) != 0) {
    set_error_from_errno (error, errno, "truncating cache file " + self->partial_path_);
    return nullptr;
  }
  if (lseek (self->fd_.get (), static_cast<off_t> (self->length_), SEEK_SET) < 0) {
    set_error_from_errno (error, errno, "seeking in cache file " + self->partial_path_);
    return nullptr;
  }
  self->durable_length_ = self->length_;
  self->last_checkpoint_us_ = g_get_monotonic_time ();
  if (!self->store_partial_row (error))
    return nullptr;
  GST_DEBUG ("writing %s from byte %" G_GUINT64_FORMAT, key.c_str (), self->length_);
  return self;
}

ResourceWriter::~ResourceWriter ()
{
  if (fd_) {
    g_autoptr (GError) error = nullptr;
    if (!checkpoint (&error))
      GST_WARNING ("could not keep the partial data of %s: %s", key_.c_str (), error->message);
  }
  g_clear_object (&cache_);
}

bool ResourceWriter::store_partial_row (GError **error)
{
  auto stmt = cache_database (cache_).prepare ("INSERT OR REPLACE INTO partials "
      "(key, file, durable_length, total_length, etag, last_modified) VALUES (?, ?, ?, ?, ?, ?)", error);
  if (!stmt)
    return false;
  stmt->bind (1, key_).bind (2, partial_file_).bind (3, static_cast<gint64> (durable_length_))
      .bind (4, total_length_).bind (5, etag_).bind (6, last_modified_);
  return stmt->run (error);
}

bool ResourceWriter::set_validators (const std::string &etag, const std::string &last_modified, gint64 total_length,
    GError **error)
{
  etag_ = etag;
  last_modified_ = last_modified;
  total_length_ = total_length;
  return store_partial_row (error);
}

bool ResourceWriter::restart (GError **error)
{
  if (ftruncate (fd_.get (), 0) != 0 || lseek (fd_.get (), 0, SEEK_SET) < 0) {
    set_error_from_errno (error, errno, "truncating cache file " + partial_path_);
    return false;
  }
  length_ = durable_length_ = 0;
  etag_.clear ();
  last_modified_.clear ();
  total_length_ = -1;
  return store_partial_row (error);
}

bool ResourceWriter::append (const void *data, gsize size, GError **error)
{
  auto bytes = static_cast<const guint8 *> (data);
  while (size > 0) {
    ssize_t written = write (fd_.get (), bytes, size);
    if (written < 0) {
      if (errno == EINTR)
        continue;
      set_error_from_errno (error, errno, "writing cache file " + partial_path_);
      return false;
    }
    bytes += written;
    size -= static_cast<gsize> (written);
    length_ += static_cast<guint64> (written);
  }
  if (length_ - durable_length_ >= kCheckpointBytes
      || (durable_length_ == 0 && length_ >= kFirstCheckpointBytes)
      || g_get_monotonic_time () - last_checkpoint_us_ >= kCheckpointIntervalUs)
    return checkpoint (error);
  return true;
}

std::string ResourceWriter::read_prefix (gsize size) const
{
  std::string prefix (MIN (size, length_), '\0');
  ssize_t got = pread (fd_.get (), prefix.data (), prefix.size (), 0);
  prefix.resize (got > 0 ? static_cast<size_t> (got) : 0);
  return prefix;
}

bool ResourceWriter::checkpoint (GError **error)
{
  last_checkpoint_us_ = g_get_monotonic_time ();
  if (length_ == durable_length_)
    return true;
  if (fdatasync (fd_.get ()) != 0) {
    set_error_from_errno (error, errno, "syncing cache file " + partial_path_);
    return false;
  }
  Database &db = cache_database (cache_);
  auto stmt = db.prepare ("UPDATE partials SET durable_length = ? WHERE key = ?", error);
  if (!stmt)
    return false;
  stmt->bind (1, static_cast<gint64> (length_)).bind (2, key_);
  g_autoptr (GError) update_error = nullptr;
  if (!stmt->run (&update_error)) {
    /* On a full disk the journal may be what is in the way: what this
     * checkpoint records is exactly what must not be lost. */
    if (!Database::is_write_failure (update_error) || !db.shrink_journal (nullptr)) {
      g_propagate_error (error, g_steal_pointer (&update_error));
      return false;
    }
    stmt->reset ();
    stmt->bind (1, static_cast<gint64> (length_)).bind (2, key_);
    if (!stmt->run (error))
      return false;
  }
  durable_length_ = length_;
  return true;
}

bool ResourceWriter::commit (GError **error)
{
  /* The checkpointed row lets open() adopt the file if a crash comes
   * between the rename and the commit of the rows. */
  if (!checkpoint (error))
    return false;
  if (rename (partial_path_.c_str (), data_path_.c_str ()) != 0) {
    set_error_from_errno (error, errno, "renaming cache file " + partial_path_);
    return false;
  }
  g_autofree gchar *dir = g_path_get_dirname (data_path_.c_str ());
  if (!sync_directory (dir, error))
    return false;
  if (!commit_rows (cache_database (cache_), key_, cache_resource_files (key_).data, length_, etag_,
          last_modified_, error))
    return false;
  fd_.reset ();
  complete_ = true;
  GST_DEBUG ("resource %s is whole: %" G_GUINT64_FORMAT " bytes", key_.c_str (), length_);
  return true;
}

}  // namespace gst_offline
