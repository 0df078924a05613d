/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cache/resource-writer.h"

#include "cache/cache-private.h"
#include "db/database.h"
#include "util/fs.h"
#include "util/main-context.h"

#include <gio/gio.h>
#include <gst/gst.h>
#include <gst/offline/offline-error.h>

#include <atomic>
#include <cerrno>
#include <map>
#include <vector>
#include <fcntl.h>
#include <glib/gstdio.h>
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

}  // namespace

/* One commit on its way: its file renamed into place, it waits in the batch
 * of its main context for the file system sync that its rows must follow. */
struct ResourceCommit {
  std::unique_ptr<ResourceWriter> writer;
  ResourceWriter::CommitFn done;

  static void rename_in_thread (GTask *task, gpointer, gpointer task_data, GCancellable *);
  static void on_file_ready (GObject *, GAsyncResult *result, gpointer data);
  static void queue (std::unique_ptr<ResourceCommit> commit);
  static gboolean flush (gpointer data);
  static void sync_in_thread (GTask *task, gpointer, gpointer task_data, GCancellable *);
  static void on_synced (GObject *, GAsyncResult *result, gpointer data);
  static bool write_rows (const std::vector<std::unique_ptr<ResourceCommit>> &commits, GError **error);
  static void finish (std::vector<std::unique_ptr<ResourceCommit>> commits, const GError *error);
};

namespace {

/* The commits of one main context (the manager's worker, usually): those
 * whose files are in place wait in `waiting` while the batch before them is
 * being synced; then one syncfs on a worker thread makes all their bytes
 * and names durable at once, and one transaction adds all their rows. */
struct RowBatch {
  GMainContext *context;  /* a reference */
  std::vector<std::unique_ptr<ResourceCommit>> waiting;
  std::vector<std::unique_ptr<ResourceCommit>> syncing;
  bool flush_scheduled = false;
};

/* The batches of each main context that has commits on their way. */
G_LOCK_DEFINE_STATIC (row_batches);
std::map<GMainContext *, RowBatch *> row_batches;

void schedule_flush (RowBatch *batch)
{
  /* At idle priority: every file that becomes ready while the context has
   * reads to serve joins the same sync and transaction. */
  batch->flush_scheduled = true;
  GSource *idle = g_idle_source_new ();
  g_source_set_callback (idle, ResourceCommit::flush, batch, nullptr);
  g_source_attach (idle, batch->context);
  g_source_unref (idle);
}

/* Drops the batch once nothing of it is on its way. */
void release_if_done (RowBatch *batch)
{
  G_LOCK (row_batches);
  bool done = batch->waiting.empty () && batch->syncing.empty () && !batch->flush_scheduled;
  if (done)
    row_batches.erase (batch->context);
  G_UNLOCK (row_batches);
  if (done) {
    g_main_context_unref (batch->context);
    delete batch;
  }
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
  self->download_id_ = download_id;
  self->files_ = cache_resource_files (key);
  self->data_path_ = cache_absolute_path (cache, self->files_.data);
  self->partial_path_ = cache_absolute_path (cache, self->files_.partial);

  auto whole = has_whole_resource (db, key, error);
  if (!whole)
    return nullptr;
  if (*whole) {
    if (!record_use (db, download_id, key, error))
      return nullptr;
    self->complete_ = true;
    return self;
  }

  int errsv = 0;
  self->fd_ = cache_lock_file (self->partial_path_, true, &errsv);
  if (!self->fd_ && errsv == ENOENT) {
    /* The bucket's first file: make its folder (only then, to spare a
     * syscall per resource). */
    g_autofree gchar *dir = g_path_get_dirname (self->partial_path_.c_str ());
    if (!make_directories (dir, error))
      return nullptr;
    self->fd_ = cache_lock_file (self->partial_path_, true, &errsv);
  }
  if (!self->fd_) {
    if (errsv == EWOULDBLOCK)
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_BUSY,
          "resource %s is being written by another download", key.c_str ());
    else
      set_error_from_errno (error, errsv, "locking cache file " + self->partial_path_);
    return nullptr;
  }
  /* A whole file with no row yet may be another writer's, between its
   * rename and its rows: it holds the lock until they are in. */
  UniqueFd data_lock = cache_lock_file (self->data_path_, false, &errsv);
  if (!data_lock && errsv != ENOENT) {
    if (errsv == EWOULDBLOCK)
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_BUSY,
          "resource %s is being committed by another download", key.c_str ());
    else
      set_error_from_errno (error, errsv, "locking cache file " + self->data_path_);
    return nullptr;
  }

  /* With the locks held, nobody else writes this resource: decide from what
   * the rows and the files say. */
  whole = has_whole_resource (db, key, error);
  if (!whole)
    return nullptr;
  if (*whole) {
    unlink (self->partial_path_.c_str ());
    if (!record_use (db, download_id, key, error))
      return nullptr;
    self->fd_.reset ();
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
    gint64 data_size = data_lock ? file_size (self->data_path_) : -1;
    if (held == 0 && partial.durable_length > 0 && partial.total_length >= 0 && data_size == partial.total_length) {
      /* A crash came between the rename and the commit of the rows: the
       * whole file is there, only its rows are missing. */
      GST_INFO ("adopting whole resource %s left by an interrupted commit", key.c_str ());
      self->length_ = static_cast<guint64> (data_size);
      self->etag_ = partial.etag;
      self->last_modified_ = partial.last_modified;
      auto transaction = db.begin (error);
      if (!transaction || !self->insert_whole_rows (error) || !transaction->commit (error))
        return nullptr;
      unlink (self->partial_path_.c_str ());
      self->fd_.reset ();
      self->complete_ = true;
      return self;
    }
    self->has_row_ = true;
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
  } else if (data_lock) {
    /* A data file with no row at all is a leftover of a removal or of a
     * commit that a crash cut before its rows. */
    unlink (self->data_path_.c_str ());
  }
  /* A new file (most resources) needs neither: two syscalls a segment. */
  if (held != self->length_ && ftruncate (self->fd_.get (), static_cast<off_t> (self->length_)) != 0) {
    set_error_from_errno (error, errno, "truncating cache file " + self->partial_path_);
    return nullptr;
  }
  if (self->length_ > 0 && lseek (self->fd_.get (), static_cast<off_t> (self->length_), SEEK_SET) < 0) {
    set_error_from_errno (error, errno, "seeking in cache file " + self->partial_path_);
    return nullptr;
  }
  self->durable_length_ = self->length_;
  self->last_checkpoint_us_ = g_get_monotonic_time ();
  GST_DEBUG ("writing %s from byte %" G_GUINT64_FORMAT, key.c_str (), self->length_);
  return self;
}

ResourceWriter::~ResourceWriter ()
{
  if (fd_) {
    g_autoptr (GError) error = nullptr;
    if (!checkpoint (&error))
      GST_WARNING ("could not keep the partial data of %s: %s", key_.c_str (), error->message);
    /* Nothing was written (a failed request): leave no file behind, if the
     * name is still ours (a commit that failed after its rename gave it up). */
    if (length_ == 0 && !has_row_ && cache_path_names_file (partial_path_, fd_.get ()))
      unlink (partial_path_.c_str ());
  }
  g_clear_object (&cache_);
}

/* The partial row, and the download's use of the resource, in one transaction. */
bool ResourceWriter::store_partial_rows (guint64 durable_length, GError **error)
{
  Database &db = cache_database (cache_);
  auto transaction = db.begin (error);
  if (!transaction)
    return false;
  auto stmt = db.prepare ("INSERT OR REPLACE INTO partials "
      "(key, file, durable_length, total_length, etag, last_modified) VALUES (?, ?, ?, ?, ?, ?)", error);
  if (!stmt)
    return false;
  stmt->bind (1, key_).bind (2, files_.partial).bind (3, static_cast<gint64> (durable_length))
      .bind (4, total_length_).bind (5, etag_).bind (6, last_modified_);
  if (!stmt->run (error) || !record_use (db, download_id_, key_, error) || !transaction->commit (error))
    return false;
  has_row_ = true;
  return true;
}

void ResourceWriter::set_validators (const std::string &etag, const std::string &last_modified, gint64 total_length)
{
  etag_ = etag;
  last_modified_ = last_modified;
  total_length_ = total_length;
}

bool ResourceWriter::restart (GError **error)
{
  /* A new file under the partial name, not the old one truncated: a reader
   * (cachesrc playing while downloading) keeps the old one open, and with
   * it the bytes it may have played already; it tells the new file by its
   * inode. The new file is locked before it gets the name, and the old
   * one's lock goes with it (a writer that locked the old inode meanwhile
   * finds the name no longer names it, and tries again). */
  std::string temp = partial_path_ + ".XXXXXX";
  UniqueFd fresh (g_mkstemp_full (temp.data (), O_RDWR | O_CLOEXEC, 0644));
  if (!fresh) {
    set_error_from_errno (error, errno, "making a new cache file beside " + partial_path_);
    return false;
  }
  if (flock (fresh.get (), LOCK_EX | LOCK_NB) != 0 || rename (temp.c_str (), partial_path_.c_str ()) != 0) {
    int errsv = errno;
    unlink (temp.c_str ());
    set_error_from_errno (error, errsv, "replacing cache file " + partial_path_);
    return false;
  }
  fd_ = std::move (fresh);
  length_ = durable_length_ = 0;
  etag_.clear ();
  last_modified_.clear ();
  total_length_ = -1;
  /* A row must not keep vouching for the bytes just dropped. */
  return !has_row_ || store_partial_rows (0, error);
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
  g_autoptr (GError) store_error = nullptr;
  if (!store_partial_rows (length_, &store_error)) {
    /* On a full disk the journal may be what is in the way: what this
     * checkpoint records is exactly what must not be lost. */
    if (!Database::is_write_failure (store_error) || !cache_database (cache_).shrink_journal (nullptr)) {
      g_propagate_error (error, g_steal_pointer (&store_error));
      return false;
    }
    if (!store_partial_rows (length_, error))
      return false;
  }
  durable_length_ = length_;
  return true;
}

/* Renames the partial file to its data name. A resource with a partial row
 * syncs its bytes first: after a crash, open () adopts a data file that such
 * a row describes, so its bytes must be on disk before its name is. The
 * others have no row to vouch for them: until the batch's sync and their
 * rows, a crash leaves a data file that open () deletes. May run on a
 * worker thread: touches neither the database nor the writer's state. */
bool ResourceWriter::rename_into_place (GError **error) const
{
  if (has_row_ && length_ != durable_length_ && fdatasync (fd_.get ()) != 0) {
    set_error_from_errno (error, errno, "syncing cache file " + partial_path_);
    return false;
  }
  if (rename (partial_path_.c_str (), data_path_.c_str ()) != 0) {
    set_error_from_errno (error, errno, "renaming cache file " + partial_path_);
    return false;
  }
  return true;
}

/* The whole resource's row and the download's use of it; the partial row
 * goes. Inside the caller's transaction. */
bool ResourceWriter::insert_whole_rows (GError **error) const
{
  Database &db = cache_database (cache_);
  auto insert = db.prepare ("INSERT OR REPLACE INTO resources (key, file, length, etag, last_modified, created_ms) "
      "VALUES (?, ?, ?, ?, ?, ?)", error);
  if (!insert)
    return false;
  insert->bind (1, key_).bind (2, files_.data).bind (3, static_cast<gint64> (length_)).bind (4, etag_)
      .bind (5, last_modified_).bind (6, now_ms ());
  if (!insert->run (error))
    return false;
  auto drop = db.prepare ("DELETE FROM partials WHERE key = ?", error);
  if (!drop || !drop->bind (1, key_).run (error))
    return false;
  return record_use (db, download_id_, key_, error);
}

void ResourceWriter::commit (std::unique_ptr<ResourceWriter> writer, CommitFn done)
{
  bool needs_sync = writer->has_row_ && writer->length_ != writer->durable_length_;
  auto commit = std::make_unique<ResourceCommit> ();
  commit->writer = std::move (writer);
  commit->done = std::move (done);
  if (!needs_sync) {
    /* A rename costs less than the trip to a thread. */
    g_autoptr (GError) error = nullptr;
    if (!commit->writer->rename_into_place (&error)) {
      /* Told later, as a commit always is. */
      std::shared_ptr<ResourceCommit> failed (commit.release ());
      std::shared_ptr<GError> shared_error (g_steal_pointer (&error), g_error_free);
      run_later ([failed, shared_error] () {
        std::vector<std::unique_ptr<ResourceCommit>> commits;
        commits.push_back (std::make_unique<ResourceCommit> (std::move (*failed)));
        ResourceCommit::finish (std::move (commits), shared_error.get ());
      });
      return;
    }
    ResourceCommit::queue (std::move (commit));
    return;
  }
  auto raw = commit.release ();
  GTask *task = g_task_new (nullptr, nullptr, ResourceCommit::on_file_ready, raw);
  g_task_set_task_data (task, raw, nullptr);
  g_task_run_in_thread (task, ResourceCommit::rename_in_thread);
  g_object_unref (task);
}

void ResourceCommit::rename_in_thread (GTask *task, gpointer, gpointer task_data, GCancellable *)
{
  GError *error = nullptr;
  if (static_cast<ResourceCommit *> (task_data)->writer->rename_into_place (&error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void ResourceCommit::on_file_ready (GObject *, GAsyncResult *result, gpointer data)
{
  std::unique_ptr<ResourceCommit> commit (static_cast<ResourceCommit *> (data));
  g_autoptr (GError) error = nullptr;
  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    std::vector<std::unique_ptr<ResourceCommit>> failed;
    failed.push_back (std::move (commit));
    finish (std::move (failed), error);
    return;
  }
  queue (std::move (commit));
}

void ResourceCommit::queue (std::unique_ptr<ResourceCommit> commit)
{
  GMainContext *context = g_main_context_ref_thread_default ();
  G_LOCK (row_batches);
  RowBatch *&batch = row_batches[context];
  if (batch)
    g_main_context_unref (context);
  else
    batch = new RowBatch { context, {}, {}, false };
  batch->waiting.push_back (std::move (commit));
  /* Only this context touches its batch outside the lock. */
  RowBatch *pending = batch;
  G_UNLOCK (row_batches);
  if (!pending->flush_scheduled && pending->syncing.empty ())
    schedule_flush (pending);
}

/* Starts the sync of the waiting commits, unless one is running: they then
 * go with the next, which starts when it ends. */
gboolean ResourceCommit::flush (gpointer data)
{
  auto batch = static_cast<RowBatch *> (data);
  batch->flush_scheduled = false;
  if (!batch->syncing.empty ())
    return G_SOURCE_REMOVE;
  if (batch->waiting.empty ()) {
    release_if_done (batch);
    return G_SOURCE_REMOVE;
  }
  batch->syncing = std::move (batch->waiting);
  batch->waiting.clear ();
  GTask *task = g_task_new (nullptr, nullptr, on_synced, batch);
  g_task_set_task_data (task, batch, nullptr);
  g_task_run_in_thread (task, sync_in_thread);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

/* One syncfs for the whole batch: every file's bytes and every rename's
 * directory entry reach the disk before any of their rows is written. */
namespace {
std::atomic<void (*) (gpointer)> sync_observer {nullptr};
std::atomic<gpointer> sync_observer_data {nullptr};
}  // namespace

void ResourceWriter::set_sync_observer (void (*observer) (gpointer data), gpointer data)
{
  sync_observer_data = data;
  sync_observer = observer;
}

void ResourceCommit::sync_in_thread (GTask *task, gpointer, gpointer task_data, GCancellable *)
{
  if (auto observer = sync_observer.load ())
    observer (sync_observer_data.load ());
  auto batch = static_cast<RowBatch *> (task_data);
  const ResourceWriter &writer = *batch->syncing.front ()->writer;
  if (syncfs (writer.fd_.get ()) != 0) {
    GError *error = nullptr;
    set_error_from_errno (&error, errno, "syncing the cache of " + writer.data_path_);
    g_task_return_error (task, error);
    return;
  }
  g_task_return_boolean (task, TRUE);
}

void ResourceCommit::on_synced (GObject *, GAsyncResult *result, gpointer data)
{
  auto batch = static_cast<RowBatch *> (data);
  std::vector<std::unique_ptr<ResourceCommit>> commits = std::move (batch->syncing);
  batch->syncing.clear ();
  g_autoptr (GError) sync_error = nullptr;
  bool synced = g_task_propagate_boolean (G_TASK (result), &sync_error);
  /* One transaction per cache: almost always one. */
  while (!commits.empty ()) {
    GstOfflineCache *cache = commits.front ()->writer->cache_;
    std::vector<std::unique_ptr<ResourceCommit>> same, others;
    for (auto &commit : commits)
      (commit->writer->cache_ == cache ? same : others).push_back (std::move (commit));
    g_autoptr (GError) error = synced ? nullptr : g_error_copy (sync_error);
    if (synced)
      write_rows (same, &error);
    finish (std::move (same), error);
    commits = std::move (others);
  }
  if (!batch->waiting.empty () && !batch->flush_scheduled)
    schedule_flush (batch);
  else
    release_if_done (batch);
}

bool ResourceCommit::write_rows (const std::vector<std::unique_ptr<ResourceCommit>> &commits, GError **error)
{
  Database &db = cache_database (commits.front ()->writer->cache_);
  auto transaction = db.begin (error);
  if (!transaction)
    return false;
  for (const auto &commit : commits) {
    if (!commit->writer->insert_whole_rows (error))
      return false;
  }
  return transaction->commit (error);
}

/* Tells each commit how it went. A writer whose rows did not go in keeps
 * its bytes as a partial resource (its destructor checkpoints them), which
 * the next open adopts when the rename was done. */
void ResourceCommit::finish (std::vector<std::unique_ptr<ResourceCommit>> commits, const GError *error)
{
  for (auto &commit : commits) {
    ResourceWriter &writer = *commit->writer;
    if (!error) {
      writer.fd_.reset ();
      writer.complete_ = true;
      GST_DEBUG ("resource %s is whole: %" G_GUINT64_FORMAT " bytes", writer.key_.c_str (), writer.length_);
    }
    ResourceWriter::CommitFn done = std::move (commit->done);
    /* Unlocked before anyone hears of it. */
    commit.reset ();
    done (error);
  }
}

}  // namespace gst_offline
