/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/offline/offline-download-index.h>
#include <gst/offline/offline-playback-private.h>

#include "db/database.h"
#include "index/download-private.h"
#include "index/track-private.h"
#include "index/download-lock.h"

namespace {

/* A row that says a download runs while no process holds its lock was left
 * by a process that died: the download waits for the next manager, which
 * carries it on, so it reads as queued (stopped, with a stop reason).
 * A lock found free may also have been let go of a moment ago by a process
 * whose run ended (a pause, a completion): it writes how the run ended, the
 * state and the final counts, before it lets go, so the row read before the
 * look at the lock may be older than that write. It is read again, in a
 * read of its own (a list's statement on `db` still holds the snapshot it
 * began with): what a reader reports as stopped or queued then comes with
 * the counts the run ended with. */
void settle_dead_download (gst_offline::DownloadRecord &record, gst_offline::Database &db)
{
  if (record.state != GST_OFFLINE_DOWNLOAD_STATE_DOWNLOADING)
    return;
  g_autofree gchar *data_dir = g_path_get_dirname (db.path ().c_str ());
  if (gst_offline::DownloadLock::is_held (data_dir, record.id))
    return;
  /* One that cannot be read again (gone since) is reported as first read. */
  gst_offline::ReaderDatabase fresh;
  if (fresh.open (db.path (), false, nullptr)) {
    if (auto now = gst_offline::download_table::get (fresh.get (), record.id, nullptr))
      record = std::move (*now);
  }
  if (record.state != GST_OFFLINE_DOWNLOAD_STATE_DOWNLOADING)
    return;
  record.state = record.stop_reason != GST_OFFLINE_STOP_REASON_NONE ? GST_OFFLINE_DOWNLOAD_STATE_STOPPED
                                                                     : GST_OFFLINE_DOWNLOAD_STATE_QUEUED;
  record.speed = 0;
  record.eta_seconds = -1;
}

}  // namespace

/**
 * SECTION:offline-download-index
 * @title: GstOfflineDownloadIndex
 * @short_description: the persisted state of every download
 *
 * The downloads of a data directory as SQLite holds them. Several processes
 * may use one data directory at once; every read sees what the others
 * committed. Opening the index of a directory that was never used creates
 * nothing and shows no downloads.
 */

struct _GstOfflineDownloadIndex {
  GObject parent;
  gst_offline::ReaderDatabase db;
};

G_DEFINE_FINAL_TYPE (GstOfflineDownloadIndex, gst_offline_download_index, G_TYPE_OBJECT)

static void gst_offline_download_index_init (GstOfflineDownloadIndex *self)
{
  new (&self->db) gst_offline::ReaderDatabase ();
}

static void gst_offline_download_index_finalize (GObject *object)
{
  auto self = GST_OFFLINE_DOWNLOAD_INDEX (object);
  self->db.~ReaderDatabase ();
  G_OBJECT_CLASS (gst_offline_download_index_parent_class)->finalize (object);
}

static void gst_offline_download_index_class_init (GstOfflineDownloadIndexClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gst_offline_download_index_finalize;
}

/**
 * gst_offline_download_index_new:
 * @data_dir: (nullable) (type filename): the data directory, %NULL for the default
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the index, or %NULL if its database
 *   cannot be read (not a database, a newer schema, ...).
 */
GstOfflineDownloadIndex *gst_offline_download_index_new (const gchar *data_dir, GError **error)
{
  auto self = GST_OFFLINE_DOWNLOAD_INDEX (g_object_new (GST_OFFLINE_TYPE_DOWNLOAD_INDEX, nullptr));
  if (!self->db.open (gst_offline::database_path (gst_offline::resolve_data_dir (data_dir)), false, error)) {
    g_object_unref (self);
    return nullptr;
  }
  return self;
}

/**
 * gst_offline_download_index_get_download:
 * @self: a #GstOfflineDownloadIndex
 * @id: a download id
 * @error: return location for a #GError
 *
 * A download whose row says it is downloading while no process holds it
 * (its process died) is reported as queued, or stopped with a stop reason:
 * the next manager carries it on.
 *
 * Returns: (transfer full) (nullable): a snapshot of the download, or %NULL
 *   with %GST_OFFLINE_ERROR_NOT_FOUND for an unknown id, or
 *   %GST_OFFLINE_ERROR_CORRUPT for a row that cannot be read.
 */
GstOfflineDownload *gst_offline_download_index_get_download (GstOfflineDownloadIndex *self, const gchar *id, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_INDEX (self), nullptr);
  g_return_val_if_fail (id != nullptr, nullptr);
  auto record = gst_offline::download_table::get (self->db.get (), id, error);
  if (!record)
    return nullptr;
  settle_dead_download (*record, self->db.get ());
  return gst_offline::download_new (*record);
}

/**
 * gst_offline_download_index_get_downloads:
 * @self: a #GstOfflineDownloadIndex
 * @error: return location for a #GError
 *
 * Rows that cannot be read are left out (gst_offline_download_index_verify()
 * names them).
 *
 * Returns: (transfer container) (element-type GstOfflineDownload) (nullable):
 *   snapshots of every download, oldest first.
 */
GPtrArray *gst_offline_download_index_get_downloads (GstOfflineDownloadIndex *self, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_INDEX (self), nullptr);
  GPtrArray *downloads = g_ptr_array_new_with_free_func (g_object_unref);
  if (!gst_offline::download_table::for_each (self->db.get (), nullptr,
          [&] (gst_offline::DownloadRecord &record) {
            settle_dead_download (record, self->db.get ());
            g_ptr_array_add (downloads, gst_offline::download_new (record));
            return true;
          },
          error)) {
    g_ptr_array_unref (downloads);
    return nullptr;
  }
  return downloads;
}

/**
 * GstOfflineDownloadFunc:
 * @download: a snapshot of one download
 * @user_data: the data given with the function
 *
 * Returns: %TRUE to go on, %FALSE to stop.
 */

/**
 * gst_offline_download_index_foreach_download:
 * @self: a #GstOfflineDownloadIndex
 * @func: (scope call) (closure user_data): called with each download
 * @user_data: data for @func
 * @error: return location for a #GError
 *
 * Calls @func with a snapshot of every download, in the byte order of their
 * ids, one at a time: the index holds one snapshot at once whatever the
 * number of downloads (what `gst-offline list` uses). @func may keep a
 * reference. Rows that cannot be read are left out, as in
 * gst_offline_download_index_get_downloads().
 *
 * Returns: %FALSE if the index could not be read.
 */
gboolean gst_offline_download_index_foreach_download (GstOfflineDownloadIndex *self, GstOfflineDownloadFunc func,
    gpointer user_data, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_INDEX (self), FALSE);
  g_return_val_if_fail (func != nullptr, FALSE);
  return gst_offline::download_table::for_each (self->db.get (), nullptr,
      [&] (gst_offline::DownloadRecord &record) {
        settle_dead_download (record, self->db.get ());
        g_autoptr (GstOfflineDownload) download = gst_offline::download_new (record);
        return func (download, user_data) != FALSE;
      },
      error, gst_offline::download_table::Order::ById);
}

/**
 * gst_offline_download_index_set_stop_reason:
 * @self: a #GstOfflineDownloadIndex
 * @id: (nullable): a download id, or %NULL for every download
 * @stop_reason: the reason, %GST_OFFLINE_STOP_REASON_NONE to clear it
 * @error: return location for a #GError
 *
 * Persists a stop reason. Queued downloads with a reason become stopped;
 * stopped ones without a reason become queued again.
 *
 * Returns: %FALSE on error (%GST_OFFLINE_ERROR_NOT_FOUND for an unknown id).
 */
gboolean gst_offline_download_index_set_stop_reason (GstOfflineDownloadIndex *self, const gchar *id, guint stop_reason, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_INDEX (self), FALSE);
  return gst_offline::download_table::set_stop_reason (self->db.get (), id ? id : "", stop_reason, error);
}

/**
 * gst_offline_download_index_get_tracks:
 * @self: a #GstOfflineDownloadIndex
 * @id: a download id
 * @error: return location for a #GError
 *
 * Returns: (transfer container) (element-type GstOfflineTrack) (nullable): the
 *   downloaded tracks of an adaptive download (none for a progressive one),
 *   or %NULL on error.
 */
GPtrArray *gst_offline_download_index_get_tracks (GstOfflineDownloadIndex *self, const gchar *id, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_INDEX (self), nullptr);
  g_return_val_if_fail (id != nullptr, nullptr);
  auto tracks = gst_offline::playback_plan::tracks (self->db.get (), id, error);
  if (!tracks)
    return nullptr;
  GPtrArray *result = g_ptr_array_new_with_free_func (g_object_unref);
  for (const auto &track : *tracks)
    g_ptr_array_add (result, gst_offline::track_new (track));
  return result;
}

/**
 * gst_offline_download_index_get_segments:
 * @self: a #GstOfflineDownloadIndex
 * @id: a download id
 * @track: the track's index
 * @first: the number of the first segment wanted
 * @limit: how many segments at most
 * @error: return location for a #GError
 *
 * Reads a track's segments a batch at a time.
 *
 * Returns: (transfer container) (element-type GstOfflineSegment) (nullable): up to
 *   @limit segments from @first on, in play order; empty past the end.
 */
GPtrArray *gst_offline_download_index_get_segments (GstOfflineDownloadIndex *self, const gchar *id, guint track,
    guint64 first, guint limit, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_INDEX (self), nullptr);
  g_return_val_if_fail (id != nullptr, nullptr);
  auto segments = gst_offline::playback_plan::segments (self->db.get (), id, track, first, limit, error);
  if (!segments)
    return nullptr;
  GPtrArray *result = g_ptr_array_new_with_free_func (reinterpret_cast<GDestroyNotify> (gst_offline_segment_free));
  for (const auto &segment : *segments)
    g_ptr_array_add (result, gst_offline::segment_new (segment));
  return result;
}

/**
 * gst_offline_download_index_find_segment:
 * @self: a #GstOfflineDownloadIndex
 * @id: a download id
 * @track: the track's index
 * @time: a presentation time in nanoseconds
 * @error: return location for a #GError
 *
 * Finds the segment a seek to @time lands in: the last one starting at or
 * before it (the first segment for a time before them all).
 *
 * Returns: (transfer full) (nullable): the segment, or %NULL with
 *   %GST_OFFLINE_ERROR_NOT_FOUND for a track without segments.
 */
GstOfflineSegment *gst_offline_download_index_find_segment (GstOfflineDownloadIndex *self, const gchar *id,
    guint track, GstClockTime time, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_INDEX (self), nullptr);
  g_return_val_if_fail (id != nullptr, nullptr);
  auto segment = gst_offline::playback_plan::segment_at (self->db.get (), id, track, time, error);
  return segment ? gst_offline::segment_new (*segment) : nullptr;
}

/**
 * gst_offline_download_index_get_duration:
 * @self: a #GstOfflineDownloadIndex
 * @id: a download id
 *
 * Returns: the end of the latest segment of an adaptive download in
 *   nanoseconds, or 0 when it has none.
 */
GstClockTime gst_offline_download_index_get_duration (GstOfflineDownloadIndex *self, const gchar *id)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_INDEX (self), 0);
  g_return_val_if_fail (id != nullptr, 0);
  return gst_offline::playback_plan::duration_ns (self->db.get (), id);
}

/**
 * gst_offline_download_index_verify:
 * @self: a #GstOfflineDownloadIndex
 * @id: (nullable): a download id, or %NULL for every download
 * @error: return location for a #GError
 *
 * Checks the rows of the index (the one of @id, or all).
 *
 * Returns: (transfer container) (element-type utf8) (nullable): one message per
 *   problem found, empty when the rows are sound; %NULL with
 *   %GST_OFFLINE_ERROR_NOT_FOUND for an unknown @id.
 */
GPtrArray *gst_offline_download_index_verify (GstOfflineDownloadIndex *self, const gchar *id, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_INDEX (self), nullptr);
  std::vector<std::string> problems;
  if (id) {
    g_autoptr (GError) row_error = nullptr;
    if (!gst_offline::download_table::get (self->db.get (), id, &row_error)) {
      if (!g_error_matches (row_error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_CORRUPT)) {
        g_propagate_error (error, g_steal_pointer (&row_error));
        return nullptr;
      }
      problems.push_back (row_error->message);
    }
  } else if (!gst_offline::download_table::list (self->db.get (), &problems, error)) {
    return nullptr;
  }
  GPtrArray *result = g_ptr_array_new_with_free_func (g_free);
  for (const auto &problem : problems)
    g_ptr_array_add (result, g_strdup (problem.c_str ()));
  return result;
}

/* Not introspected: see offline-playback-private.h. */
gboolean gst_offline_download_index_request_position (GstOfflineDownloadIndex *self, const gchar *id,
    GstClockTime position, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_INDEX (self), FALSE);
  g_return_val_if_fail (id != nullptr, FALSE);
  g_return_val_if_fail (GST_CLOCK_TIME_IS_VALID (position), FALSE);
  return gst_offline::download_table::request_position (self->db.get (), id, position, error);
}

gchar *gst_offline_download_index_get_commit_signal_path (GstOfflineDownloadIndex *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_INDEX (self), nullptr);
  return g_strdup (gst_offline::commit_signal_path (self->db.path ()).c_str ());
}

gboolean gst_offline_download_index_is_fetched (GstOfflineDownloadIndex *self, const gchar *id)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_INDEX (self), FALSE);
  g_return_val_if_fail (id != nullptr, FALSE);
  g_autofree gchar *data_dir = g_path_get_dirname (self->db.path ().c_str ());
  return gst_offline::DownloadLock::is_fetched (data_dir, id);
}

gchar *gst_offline_download_index_get_lock_dir (GstOfflineDownloadIndex *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_INDEX (self), nullptr);
  g_autofree gchar *data_dir = g_path_get_dirname (self->db.path ().c_str ());
  return g_strdup (gst_offline::DownloadLock::directory (data_dir).c_str ());
}
