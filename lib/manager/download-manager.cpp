/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/offline/offline-download-manager.h>
#include <gst/offline/offline-download-helper.h>
#include <gst/offline/offline-download-index.h>
#include <gst/offline/offline-enum-types.h>
#include <gst/offline/offline-helper-private.h>

#include "cache/cache-private.h"
#include "cache/pending-removals.h"
#include "cache/space-reserve.h"
#include "db/database.h"
#include "downloader/downloader.h"
#include "drm/license-manager.h"
#include "licensing/license-source.h"
#include "http/http-client.h"
#include "index/download-private.h"
#include "index/download-lock.h"
#include "index/playback-plan.h"
#include "manager/download-manager-private.h"
#include "manager/requirements.h"
#include "util/fs.h"
#include "util/handles.h"
#include "util/hash.h"
#include "util/main-context.h"

#include <gio/gio.h>
#include <gst/gst.h>

#include <atomic>
#include <condition_variable>
#include <cstdarg>
#include <fcntl.h>
#include <unistd.h>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <utility>

GST_DEBUG_CATEGORY_STATIC (manager_debug);
#define GST_CAT_DEFAULT manager_debug

/**
 * SECTION:offline-download-manager
 * @title: GstOfflineDownloadManager
 * @short_description: runs the downloads of a data directory
 *
 * The manager keeps the queue of a data directory moving: it starts queued
 * downloads (at most #GstOfflineDownloadManager:max-parallel-downloads at
 * once), persists their state and progress in the index, retries failing
 * requests, and reports every change with signals.
 *
 * All of its work happens on a worker thread with its own #GMainContext, and
 * no call waits for it: commands (gst_offline_download_manager_remove_download(),
 * gst_offline_download_manager_set_stop_reason(), pause and resume, setting a
 * property) are posted to the worker and return at once; what they change
 * comes back as signals, emitted in the thread-default main context of the
 * thread that created the manager, with immutable #GstOfflineDownload
 * snapshots. Calls that need an answer come as `_async`/`_finish` pairs
 * (gst_offline_download_manager_add_download_async(),
 * gst_offline_download_manager_remove_download_async()), answered in the
 * thread-default main context of their caller; so does the constructor,
 * gst_offline_download_manager_new_async(), which opens the data directory
 * on another thread. gst_offline_download_manager_new() and
 * gst_offline_download_manager_add_download() are the blocking forms, for
 * command-line tools. Snapshots (gst_offline_download_manager_get_download())
 * are read from the index and the running downloads' progress without
 * waiting for the worker. Several processes may run managers on one data
 * directory: a download is worked on by one process at a time (the others
 * see %GST_OFFLINE_ERROR_BUSY).
 */

enum {
  SIGNAL_DOWNLOAD_CHANGED,
  SIGNAL_DOWNLOAD_PROGRESS,
  SIGNAL_DOWNLOAD_REMOVED,
  SIGNAL_IDLE,
  SIGNAL_REQUIREMENTS_CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

namespace gst_offline {
namespace {

constexpr gint64 kProgressSignalIntervalUs = G_USEC_PER_SEC / 10;
constexpr gint64 kProgressPersistIntervalUs = G_USEC_PER_SEC;
/* How often the worker checks what no event tells it of: the free space
 * (the storage requirement), and whether a process that held a download
 * has died. Changes to the index come as events (watch_index ()). */
constexpr guint kRequirementsCheckMs = 1000;
constexpr double kSpeedSmoothing = 0.3;
constexpr gint64 kSpeedSampleUs = G_USEC_PER_SEC / 2;

/* A download this process is working on. */
struct Task {
  DownloadRecord record;
  std::unique_ptr<DownloadLock> lock;
  GObjectPtr<GCancellable> cancellable;
  std::unique_ptr<Downloader> downloader;
  /* The state to persist when a cancellation ends it. */
  GstOfflineDownloadState state_after_cancel = GST_OFFLINE_DOWNLOAD_STATE_QUEUED;
  /* Cancelled because a requirement is no longer met (not by a stop
   * reason, a pause of all downloads or the manager going away). */
  bool requirements_lost = false;
  bool removed = false;
  /* The cache held bytes of it when it started: a refusal for space then
   * keeps them (and its row), failed. */
  bool held_data = false;
  gint64 last_signal_us = 0;
  gint64 last_persist_us = 0;
  gint64 speed_sample_us = 0;
  guint64 speed_sample_bytes = 0;
};

/* What the manager keeps in memory of each download of the index: enough to
 * decide what to start, stop, remove or restart without reading the table. */
struct Entry {
  GstOfflineDownloadState state = GST_OFFLINE_DOWNLOAD_STATE_QUEUED;
  guint stop_reason = GST_OFFLINE_STOP_REASON_NONE;
  gint64 start_time_ms = 0;
  bool loopback = false;  /* needs no network */
};

/* Downloads in the order they start: oldest first, then by id. */
using QueueKey = std::pair<gint64, std::string>;

}  // namespace

/* Where signals go: a weak reference to the manager, shared by the queued
 * emissions so that they outlive neither it nor each other. */
struct SignalTarget {
  GWeakRef owner;
  explicit SignalTarget (gpointer manager) { g_weak_ref_init (&owner, manager); }
  ~SignalTarget () { g_weak_ref_clear (&owner); }
};

/* An `_async` call the worker answers. Its GTask (which holds the manager)
 * is returned, cancelled and let go only on the caller's context, so that
 * the last reference to the manager is never dropped on the worker thread
 * (dispose joins it). */
class AsyncCall {
 public:
  using Ptr = std::shared_ptr<AsyncCall>;

  static Ptr create (gpointer manager, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data,
      gpointer source_tag)
  {
    Ptr call (new AsyncCall (g_task_new (manager, cancellable, callback, user_data)));
    g_task_set_source_tag (call->task_, source_tag);
    if (cancellable) {
      /* A cancellation answers at once; the work may still happen. The
       * source holds the call until it is answered (answer () destroys it),
       * so that a call the worker dropped as cancelled is still answered. */
      call->cancel_source_ = g_cancellable_source_new (cancellable);
      g_source_set_callback (call->cancel_source_, reinterpret_cast<GSourceFunc> (+[] (GCancellable *, gpointer data) -> gboolean {
        Ptr self = *static_cast<Ptr *> (data);
        g_autoptr (GError) error = nullptr;
        g_cancellable_set_error_if_cancelled (g_task_get_cancellable (self->task_), &error);
        self->answer ([&error] (GTask *task) { g_task_return_error (task, g_steal_pointer (&error)); });
        return G_SOURCE_REMOVE;
      }), new Ptr (call), [] (gpointer data) { delete static_cast<Ptr *> (data); });
      g_source_attach (call->cancel_source_, call->context_);
    }
    return call;
  }

  ~AsyncCall ()
  {
    GTask *task = task_;
    run_on (context_, [task] () { g_object_unref (task); });
    g_main_context_unref (context_);
  }

  bool cancelled () const { return g_cancellable_is_cancelled (g_task_get_cancellable (task_)); }

  /* From any thread: answers with `download` (taken) or `error` (copied). */
  static void return_download (const Ptr &call, GstOfflineDownload *download, const GError *error)
  {
    GError *copy = error ? g_error_copy (error) : nullptr;
    run_on (call->context_, [call, download, copy] () {
      call->answer ([&] (GTask *task) {
        if (copy)
          g_task_return_error (task, g_error_copy (copy));
        else
          g_task_return_pointer (task, g_object_ref (download), g_object_unref);
      });
      if (download)
        g_object_unref (download);
      if (copy)
        g_error_free (copy);
    });
  }

  /* From any thread: answers TRUE, or with `error` (copied). */
  static void return_boolean (const Ptr &call, const GError *error)
  {
    GError *copy = error ? g_error_copy (error) : nullptr;
    run_on (call->context_, [call, copy] () {
      call->answer ([&] (GTask *task) {
        if (copy)
          g_task_return_error (task, g_error_copy (copy));
        else
          g_task_return_boolean (task, TRUE);
      });
      if (copy)
        g_error_free (copy);
    });
  }

 private:
  explicit AsyncCall (GTask *task) : task_ (task), context_ (g_main_context_ref (g_task_get_context (task))) {}

  /* On the caller's context: the first answer wins. */
  void answer (const std::function<void (GTask *)> &fn)
  {
    if (answered_)
      return;
    answered_ = true;
    fn (task_);
    if (GSource *source = std::exchange (cancel_source_, nullptr)) {
      g_source_destroy (source);  /* drops the reference it held, maybe the last */
      g_source_unref (source);
    }
  }

  GTask *task_;
  GMainContext *context_;
  GSource *cancel_source_ = nullptr;
  bool answered_ = false;
};

struct ManagerCore {
  std::shared_ptr<SignalTarget> signal_target;
  std::string data_dir;
  GMainContextPtr caller_context;
  GMainContextPtr worker_context;
  GMainLoop *worker_loop = nullptr;
  GThread *worker_thread = nullptr;

  DownloaderFactory factory;
  GObjectPtr<GstOfflineCache> cache;  /* its database is the worker's connection */
  /* Its DRM store keeps every key a download acquires. */
  GObjectPtr<GstOfflineLicenseManager> licenses;
  GObjectPtr<SoupSession> session;
  std::map<std::string, std::unique_ptr<Task>> tasks;
  /* Downloads that failed when their failure could not be written to the
   * index (a full disk): the row still says they run, so without this they
   * would be restarted at once, forever. Adding one again clears it. */
  std::set<std::string> unsaved_failures;
  std::unique_ptr<SpaceReserve> reserve;
  bool paused = false;
  /* added-downloads-only: only the downloads added through this manager run. */
  bool added_only = false;
  std::set<std::string> added;
  /* What this manager promises to fetch, for players (FetchClaim): the
   * whole queue, or with added-downloads-only each download added through
   * it until it ends. Held while the manager lives, paused or not. */
  std::unique_ptr<FetchClaim> queue_claim;
  std::map<std::string, std::unique_ptr<FetchClaim>> claims;
  bool shutting_down = false;
  bool idle = true;
  guint max_parallel = 3;
  RetryPolicy retry;
  GstOfflineRequirements requirements = GST_OFFLINE_REQUIREMENTS_DEFAULT;
  guint64 min_free_space = GST_OFFLINE_DEFAULT_MIN_FREE_SPACE;
  guint segment_parallelism = GST_OFFLINE_DEFAULT_SEGMENT_PARALLELISM;
  GstOfflineRequirements not_met = GST_OFFLINE_REQUIREMENTS_NONE;
  gint64 index_version = -1;
  /* Deletes the files of removed downloads, one job at a time, off the
   * worker thread (unlinking tens of thousands of files takes seconds). */
  GThreadPool *file_deleter = nullptr;
  /* Removals whose rows the deleter's thread is deleting (their download's
   * row is gone already: cache/pending-removals.h), by id: adding one of
   * them again waits until they are gone. */
  std::mutex cleaning_lock;
  std::condition_variable cleaning_done;
  std::set<std::string> cleaning;
  /* gst_offline_download_manager_remove_download_async () calls waiting
   * for a download to be gone, by id. */
  std::map<std::string, std::vector<AsyncCall::Ptr>> removal_waiters;

  /* Read from any thread without waiting for the worker. */
  std::atomic<bool> idle_now { true };
  std::atomic<guint> not_met_now { GST_OFFLINE_REQUIREMENTS_NONE };
  /* Snapshots of the downloads running here (their progress is newer than
   * the index's), for readers on any thread. */
  GMutex live_lock;
  std::map<std::string, GObjectPtr<GstOfflineDownload>> live;
  /* The caller's reader of the index, for snapshots. */
  GMutex reader_lock;
  GObjectPtr<GstOfflineDownloadIndex> reader;

  /* The index in memory: every event touches only the downloads it
   * concerns, whatever their number. */
  std::unordered_map<std::string, Entry> entries;
  /* Queued (or left downloading by a process that died) with no stop
   * reason, not running here; one queue for loopback hosts, one for others
   * (the network requirement holds back only the second). */
  std::set<QueueKey> startable[2];
  /* Downloads that need work other than a start: to be removed, restarted,
   * or stopped (queued with a stop reason). */
  std::set<std::string> chores;
  /* Startable downloads whose lock another process holds: tried again at
   * the next requirements check, or when their row changes. */
  std::set<std::string> held_elsewhere;
  /* The manifests add () read to fit a time range, for the download's next
   * start in this process: taken by it, fetched once (see
   * gst_offline_download_helper_take_documents ()). */
  std::map<std::string, FetchedDocuments> fetched_documents;
  /* The last entry of download_changes read. */
  gint64 change_cursor = 0;
  /* Tells of commits to the index by other connections (other processes). */
  GObjectPtr<GFileMonitor> index_monitor;
  GSource *requirements_source = nullptr;

  Database &db () { return cache_database (cache.get ()); }
  DownloaderContext downloader_context ()
  {
    return { session.get (), cache.get (), retry,
      [this] (guint64 bytes, GError **error) { return check_free_space (data_dir, bytes, min_free_space, error); },
      segment_parallelism, licenses.get () };
  }

  /* Runs `fn` on the worker thread and waits for it (from any other thread):
   * only for the blocking forms of the API. */
  void call (const std::function<void ()> &fn);
  /* Runs `fn` on the worker thread, in the order posted; returns at once. */
  void post (std::function<void ()> fn);

  void publish_live (const DownloadRecord &record);
  GstOfflineDownload *live_snapshot (const std::string &id);

  void emit_changed (const DownloadRecord &record);
  void emit_progress (const DownloadRecord &record);
  void emit_removed (const std::string &id);
  void emit_idle ();
  void emit_requirements_changed (GstOfflineRequirements not_met);
  void emit (std::function<void (GObject *manager)> emission);

  void watch_index ();
  void stop_watching ();
  bool look_at_index ();
  bool data_version_moved ();
  void on_requirements_timer ();
  bool check_requirements ();

  bool load_entries ();
  void read_changes ();
  void reload_entry (const std::string &id);
  bool fit_range (DownloadRecord &wanted, bool planned, std::optional<guint64> presentation_ns, GError **error);
  bool hand_range_over (DownloadRecord row, const DownloadRecord &wanted, GError **error);
  void follow_range (const std::string &id);
  void note (const std::string &id, const Entry &entry);
  void note_record (const DownloadRecord &record);
  void forget (const std::string &id);
  void unqueue (const std::string &id);

  void sync_tasks ();
  bool start_task (const std::string &id);
  void on_progress (Task *task, const DownloadProgress &progress);
  void on_done (const std::string &id, const GError *error);
  bool persist_state (DownloadRecord &record);
  void set_failure (DownloadRecord &record, const GError *error);
  void fail_record (DownloadRecord &record, const GError *error);
  bool remove_data (const std::string &id, GError **error);
  bool finish_removal (const std::string &id, std::unique_ptr<DownloadLock> lock, GError **error);
  void delete_rows_later (const std::string &id, std::unique_ptr<DownloadLock> lock,
      std::vector<AsyncCall::Ptr> waiters = {});
  void resume_pending_removals ();
  bool finish_pending_removal_now (const std::string &id, GError **error);
  void wait_for_cleaning (const std::string &id);
  void drop_data_later (const std::string &id, std::vector<AsyncCall::Ptr> waiters = {});
  void delete_files_later (KeySpool keys, std::vector<AsyncCall::Ptr> waiters = {});
  void run_on_deleter (std::function<void ()> job);
  void answer_removal_waiters (const std::string &id, const GError *error);
  void release_download_license (const std::string &id);
  void stop_all ();

  GstOfflineDownload *add (DownloadRecord wanted, std::optional<guint64> presentation_ns, FetchedDocuments documents,
      GError **error);
  void remove (const std::string &id, AsyncCall::Ptr waiter);
  void set_stop_reason (const std::string &id, guint stop_reason);
};

}  // namespace gst_offline

using namespace gst_offline;

struct _GstOfflineDownloadManager {
  GObject parent;
  ManagerCore *core;
  gchar *data_dir;
  gboolean construct_added_only;
  /* The settings as the caller last set them (the worker has its own copy,
   * posted to it): properties read them without waiting for the worker. */
  gboolean paused;
  guint max_parallel;
  guint retries;
  GstOfflineRequirements requirements;
  guint64 min_free_space;
  guint segment_parallelism;
};

enum {
  PROP_0,
  PROP_DATA_DIR,
  PROP_MAX_PARALLEL_DOWNLOADS,
  PROP_MIN_RETRY_COUNT,
  PROP_DOWNLOADS_PAUSED,
  PROP_REQUIREMENTS,
  PROP_MIN_FREE_SPACE,
  PROP_SEGMENT_PARALLELISM,
  PROP_ADDED_DOWNLOADS_ONLY,
  PROP_LICENSE_MANAGER,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];


static void gst_offline_download_manager_initable_init (GInitableIface *iface);
static void gst_offline_download_manager_async_initable_init (GAsyncInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (GstOfflineDownloadManager, gst_offline_download_manager, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, gst_offline_download_manager_initable_init)
    G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_INITABLE, gst_offline_download_manager_async_initable_init))

namespace gst_offline {

void ManagerCore::call (const std::function<void ()> &fn)
{
  struct Call {
    const std::function<void ()> *fn;
    GMutex mutex;
    GCond cond;
    bool done = false;
  } c;
  c.fn = &fn;
  g_mutex_init (&c.mutex);
  g_cond_init (&c.cond);
  g_main_context_invoke (worker_context.get (),
      [] (gpointer data) -> gboolean {
        auto c = static_cast<Call *> (data);
        (*c->fn) ();
        g_mutex_lock (&c->mutex);
        c->done = true;
        g_cond_signal (&c->cond);
        g_mutex_unlock (&c->mutex);
        return G_SOURCE_REMOVE;
      },
      &c);
  g_mutex_lock (&c.mutex);
  while (!c.done)
    g_cond_wait (&c.cond, &c.mutex);
  g_mutex_unlock (&c.mutex);
  g_mutex_clear (&c.mutex);
  g_cond_clear (&c.cond);
}

void ManagerCore::post (std::function<void ()> fn)
{
  run_on (worker_context.get (), std::move (fn));
}

/* What readers on other threads see of a running download: kept before the
 * signal that reports it goes out, so that a handler reading the download
 * again sees at least as much. */
void ManagerCore::publish_live (const DownloadRecord &record)
{
  GObjectPtr<GstOfflineDownload> snapshot;
  if (record.state == GST_OFFLINE_DOWNLOAD_STATE_DOWNLOADING && tasks.count (record.id))
    snapshot.reset (download_new (record));
  g_mutex_lock (&live_lock);
  if (snapshot)
    live[record.id] = std::move (snapshot);
  else
    live.erase (record.id);
  g_mutex_unlock (&live_lock);
}

GstOfflineDownload *ManagerCore::live_snapshot (const std::string &id)
{
  g_mutex_lock (&live_lock);
  auto found = live.find (id);
  GstOfflineDownload *snapshot = found != live.end () ? GST_OFFLINE_DOWNLOAD (g_object_ref (found->second.get ())) : nullptr;
  g_mutex_unlock (&live_lock);
  return snapshot;
}

void ManagerCore::emit (std::function<void (GObject *manager)> emission)
{
  /* The worker never holds a strong reference to the manager: if it did,
   * the last unref could happen here and dispose would join this thread. */
  struct Emission {
    std::shared_ptr<SignalTarget> target;
    std::function<void (GObject *)> fn;
  };
  auto e = std::make_shared<Emission> (Emission { signal_target, std::move (emission) });
  run_on (caller_context.get (), [e] () {
    g_autoptr (GObject) owner = G_OBJECT (g_weak_ref_get (&e->target->owner));
    if (owner)
      e->fn (owner);
  });
}

/* Emits `signal` with a new snapshot of `record`. */
static std::function<void (GObject *)> snapshot_emission (guint signal, const DownloadRecord &record)
{
  std::shared_ptr<GstOfflineDownload> snapshot (download_new (record), g_object_unref);
  return [signal, snapshot] (GObject *manager) { g_signal_emit (manager, signal, 0, snapshot.get ()); };
}

void ManagerCore::emit_changed (const DownloadRecord &record)
{
  publish_live (record);
  GST_DEBUG ("download %s is %s", record.id.c_str (), gst_offline_download_state_to_string (record.state));
  emit (snapshot_emission (signals[SIGNAL_DOWNLOAD_CHANGED], record));
}

void ManagerCore::emit_progress (const DownloadRecord &record)
{
  publish_live (record);
  emit (snapshot_emission (signals[SIGNAL_DOWNLOAD_PROGRESS], record));
}

void ManagerCore::emit_removed (const std::string &id)
{
  emit ([id] (GObject *manager) { g_signal_emit (manager, signals[SIGNAL_DOWNLOAD_REMOVED], 0, id.c_str ()); });
}

void ManagerCore::emit_idle ()
{
  emit ([] (GObject *manager) { g_signal_emit (manager, signals[SIGNAL_IDLE], 0); });
}

void ManagerCore::emit_requirements_changed (GstOfflineRequirements now_not_met)
{
  emit ([now_not_met] (GObject *manager) {
    g_signal_emit (manager, signals[SIGNAL_REQUIREMENTS_CHANGED], 0, now_not_met);
  });
}

bool ManagerCore::persist_state (DownloadRecord &record)
{
  record.update_time_ms = now_ms ();
  g_autoptr (GError) error = nullptr;
  bool saved = download_table::update_state (db (), record, &error);
  if (!saved && Database::is_write_failure (error)) {
    /* A full disk must not hide why a download stopped: make room, try again. */
    g_clear_error (&error);
    db ().shrink_journal (nullptr);
    saved = download_table::update_state (db (), record, &error);
    if (!saved && reserve->release ()) {
      GST_WARNING ("the disk is full: gave back the space reserve to record download %s", record.id.c_str ());
      g_clear_error (&error);
      saved = download_table::update_state (db (), record, &error);
    }
  }
  if (!saved)
    GST_ERROR ("could not record the state of download %s: %s", record.id.c_str (), error->message);
  note_record (record);
  emit_changed (record);
  return saved;
}

void ManagerCore::set_failure (DownloadRecord &record, const GError *error)
{
  record.state = GST_OFFLINE_DOWNLOAD_STATE_FAILED;
  record.failure_code = error->domain == GST_OFFLINE_ERROR ? static_cast<GstOfflineError> (error->code)
                                                           : GST_OFFLINE_ERROR_FAILED;
  record.failure_message = error->message;
  /* A disk that filled up while writing says so as the check before
   * writing does (docs/cli.md), naming the directory to free. */
  if (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NO_SPACE)
      && gst_offline_error_get_no_space_reason (error) != GST_OFFLINE_NO_SPACE_REASON_REFUSED)
    record.failure_message = "not enough space in " + data_dir + ": the disk filled up (" + error->message + ")";
  GST_WARNING ("download %s failed: %s", record.id.c_str (), record.failure_message.c_str ());
}

void ManagerCore::fail_record (DownloadRecord &record, const GError *error)
{
  set_failure (record, error);
  if (!persist_state (record))
    unsaved_failures.insert (record.id);
}

static bool is_queued (GstOfflineDownloadState state)
{
  return state == GST_OFFLINE_DOWNLOAD_STATE_QUEUED || state == GST_OFFLINE_DOWNLOAD_STATE_DOWNLOADING;
}

void ManagerCore::unqueue (const std::string &id)
{
  auto found = entries.find (id);
  if (found != entries.end ())
    startable[found->second.loopback].erase (QueueKey (found->second.start_time_ms, id));
  chores.erase (id);
  held_elsewhere.erase (id);
}

/* Records what the index now says of a download, and files it where
 * sync_tasks () will look for it. */
void ManagerCore::note (const std::string &id, const Entry &entry)
{
  unqueue (id);
  entries[id] = entry;
  if (tasks.count (id))
    return;  /* sync_tasks () looks at every running task */
  if (is_queued (entry.state)) {
    if (entry.stop_reason != GST_OFFLINE_STOP_REASON_NONE)
      chores.insert (id);
    else
      startable[entry.loopback].emplace (entry.start_time_ms, id);
  } else if (entry.state == GST_OFFLINE_DOWNLOAD_STATE_REMOVING
      || entry.state == GST_OFFLINE_DOWNLOAD_STATE_RESTARTING) {
    chores.insert (id);
  }
}

void ManagerCore::note_record (const DownloadRecord &record)
{
  auto known = entries.find (record.id);
  Entry entry;
  entry.state = record.state;
  entry.stop_reason = record.stop_reason;
  entry.start_time_ms = record.start_time_ms;
  entry.loopback = known != entries.end () && known->second.start_time_ms == record.start_time_ms
      ? known->second.loopback : uri_is_loopback (record.uri);
  note (record.id, entry);
}

void ManagerCore::forget (const std::string &id)
{
  unqueue (id);
  entries.erase (id);
  fetched_documents.erase (id);
}

/* Reads the whole table: at start, and when changes were missed. */
bool ManagerCore::load_entries ()
{
  g_autoptr (GError) error = nullptr;
  /* The cursor first: what changes after it is read again, which is harmless. */
  auto cursor = db ().prepare ("SELECT COALESCE (MAX (seq), 0) FROM download_changes", &error);
  if (!cursor || cursor->step (&error) != Statement::Step::Row) {
    GST_ERROR ("cannot read the download index: %s", error ? error->message : "no row");
    return false;
  }
  gint64 seq = cursor->int64 (0);
  auto rows = db ().prepare ("SELECT id, state, stop_reason, start_time_ms, uri FROM downloads", &error);
  if (!rows) {
    GST_ERROR ("cannot read the download index: %s", error->message);
    return false;
  }
  entries.clear ();
  startable[0].clear ();
  startable[1].clear ();
  chores.clear ();
  held_elsewhere.clear ();
  auto all = rows->rows (&error);
  for (Statement &row : all) {
    gint64 state = row.int64 (1);
    gint64 stop_reason = row.int64 (2);
    if (state < GST_OFFLINE_DOWNLOAD_STATE_QUEUED || state > GST_OFFLINE_DOWNLOAD_STATE_RESTARTING || state == 6
        || stop_reason < 0 || stop_reason > G_MAXUINT)
      continue;  /* a corrupt row: verify names it */
    Entry entry;
    entry.state = static_cast<GstOfflineDownloadState> (state);
    entry.stop_reason = static_cast<guint> (stop_reason);
    entry.start_time_ms = row.int64 (3);
    entry.loopback = uri_is_loopback (row.text (4));
    note (row.text (0), entry);
  }
  if (all.failed ()) {
    GST_ERROR ("cannot read the download index: %s", error->message);
    return false;
  }
  change_cursor = seq;
  std::vector<std::string> gone;
  for (const auto &waiting : removal_waiters) {
    if (!entries.count (waiting.first) && !tasks.count (waiting.first))
      gone.push_back (waiting.first);
  }
  for (const auto &id : gone)
    answer_removal_waiters (id, nullptr);
  return true;
}

/* The row of one download as it is now, or its absence. */
void ManagerCore::reload_entry (const std::string &id)
{
  g_autoptr (GError) error = nullptr;
  auto record = download_table::get (db (), id, &error);
  if (record) {
    note_record (*record);
    return;
  }
  if (!g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND)) {
    GST_WARNING ("cannot read download %s: %s", id.c_str (), error->message);
  } else if (!tasks.count (id)) {
    /* Gone: another process removed it. */
    answer_removal_waiters (id, nullptr);
  }
  if (!tasks.count (id))
    forget (id);
}

/* What other connections changed since the last look, from download_changes. */
void ManagerCore::read_changes ()
{
  g_autoptr (GError) error = nullptr;
  auto stmt = db ().prepare ("SELECT seq, download_id FROM download_changes WHERE seq > ? ORDER BY seq", &error);
  if (!stmt) {
    GST_ERROR ("cannot read the changes of the download index: %s", error->message);
    return;
  }
  stmt->bind (1, change_cursor);
  std::set<std::string> changed;
  gint64 first = -1, last = change_cursor;
  auto rows = stmt->rows (&error);
  for (Statement &row : rows) {
    if (first < 0)
      first = row.int64 (0);
    last = row.int64 (0);
    changed.insert (row.text (1));
  }
  if (rows.failed ()) {
    GST_ERROR ("cannot read the changes of the download index: %s", error->message);
    return;
  }
  if (first > change_cursor + 1) {
    /* The entries we had not read yet were dropped: read everything. */
    GST_INFO ("missed %" G_GINT64_FORMAT " changes of the index: reading it whole", first - change_cursor - 1);
    load_entries ();
    return;
  }
  change_cursor = last;
  for (const auto &id : changed) {
    reload_entry (id);
    /* A player may have asked for a position (a change of its own). */
    auto task = tasks.find (id);
    if (task != tasks.end () && !task->second->removed) {
      task->second->downloader->position_requested ();
      /* Or a wider time range (a download of the same id elsewhere). */
      follow_range (id);
    }
  }
}

/* The one place where downloads start and stop: compares what the index
 * asks for (this process's and others' changes alike, kept in `entries`)
 * with what runs, and mends the difference. It looks only at the running
 * tasks, the chores and the head of the queue: its cost does not grow with
 * the number of downloads. */
void ManagerCore::sync_tasks ()
{
  if (shutting_down)
    return;
  /* Requirements, asked once per kind of host. */
  std::optional<GstOfflineRequirements> held_back[2];
  auto not_met_for = [&] (bool loopback) {
    if (!held_back[loopback])
      held_back[loopback] = requirements_not_met (requirements, data_dir, min_free_space,
          loopback ? "http://127.0.0.1/" : "");
    return *held_back[loopback];
  };

  std::vector<std::string> running;
  for (const auto &task : tasks)
    running.push_back (task.first);
  for (const auto &id : running) {
    auto task = tasks.find (id);
    auto entry = entries.find (id);
    if (task == tasks.end () || entry == entries.end ())
      continue;
    if (task->second->removed) {
      continue;  /* its end finishes the removal */
    } else if (entry->second.state == GST_OFFLINE_DOWNLOAD_STATE_REMOVING) {
      /* Another process asked for its removal; we hold it, so we do it. */
      g_autoptr (GError) remove_error = nullptr;
      if (!remove_data (id, &remove_error))
        GST_ERROR ("cannot remove %s: %s", id.c_str (), remove_error->message);
    } else if (paused || entry->second.stop_reason != GST_OFFLINE_STOP_REASON_NONE
        || not_met_for (entry->second.loopback)) {
      task->second->state_after_cancel = entry->second.stop_reason != GST_OFFLINE_STOP_REASON_NONE
          ? GST_OFFLINE_DOWNLOAD_STATE_STOPPED : GST_OFFLINE_DOWNLOAD_STATE_QUEUED;
      task->second->requirements_lost = !paused && entry->second.stop_reason == GST_OFFLINE_STOP_REASON_NONE;
      g_cancellable_cancel (task->second->cancellable.get ());
    }
  }

  std::vector<std::string> work (chores.begin (), chores.end ());
  for (const auto &id : work) {
    auto entry = entries.find (id);
    if (entry == entries.end () || tasks.count (id)) {
      chores.erase (id);
      continue;
    }
    switch (entry->second.state) {
      case GST_OFFLINE_DOWNLOAD_STATE_QUEUED:
      case GST_OFFLINE_DOWNLOAD_STATE_DOWNLOADING: {
        auto record = download_table::get (db (), id, nullptr);
        if (!record) {
          reload_entry (id);
          break;
        }
        if (record->stop_reason != GST_OFFLINE_STOP_REASON_NONE && is_queued (record->state)) {
          record->state = GST_OFFLINE_DOWNLOAD_STATE_STOPPED;
          persist_state (*record);
        } else {
          note_record (*record);
        }
        break;
      }
      case GST_OFFLINE_DOWNLOAD_STATE_REMOVING: {
        g_autoptr (GError) remove_error = nullptr;
        if (!remove_data (id, &remove_error))
          GST_INFO ("cannot finish removing %s yet: %s", id.c_str (), remove_error->message);
        break;
      }
      case GST_OFFLINE_DOWNLOAD_STATE_RESTARTING: {
        if (added_only && !added.count (id))
          break;
        g_autoptr (GError) restart_error = nullptr;
        auto record = download_table::get (db (), id, &restart_error);
        auto lock = record ? DownloadLock::acquire (data_dir, id, &restart_error) : nullptr;
        auto keys = lock ? cache_drop_download_rows (cache.get (), id, &restart_error) : std::nullopt;
        if (keys) {
          delete_files_later (std::move (*keys));
          record->state = GST_OFFLINE_DOWNLOAD_STATE_QUEUED;
          record->bytes_downloaded = 0;
          record->percent = -1;
          record->content_length = -1;
          record->estimated_length = -1;
          persist_state (*record);
        } else {
          GST_INFO ("cannot restart %s yet: %s", id.c_str (), restart_error->message);
        }
        break;
      }
      default:
        chores.erase (id);
        break;
    }
  }

  /* Start the oldest startable downloads whose requirements are met. */
  auto next = [&] (bool loopback, std::set<QueueKey>::iterator *it) {
    while (*it != startable[loopback].end () && (unsaved_failures.count ((*it)->second)
               || (added_only && !added.count ((*it)->second))))
      ++*it;
  };
  std::set<std::string> tried;
  while (!paused && tasks.size () < max_parallel) {
    std::set<QueueKey>::iterator heads[2];
    const QueueKey *best = nullptr;
    bool best_loopback = false;
    for (int loopback = 0; loopback < 2; loopback++) {
      heads[loopback] = startable[loopback].begin ();
      if (not_met_for (loopback)) {
        heads[loopback] = startable[loopback].end ();
        continue;
      }
      next (loopback, &heads[loopback]);
      while (heads[loopback] != startable[loopback].end () && tried.count (heads[loopback]->second)) {
        ++heads[loopback];
        next (loopback, &heads[loopback]);
      }
      if (heads[loopback] != startable[loopback].end () && (!best || *heads[loopback] < *best)) {
        best = &*heads[loopback];
        best_loopback = loopback;
      }
    }
    if (!best)
      break;
    std::string id = best->second;
    (void) best_loopback;
    tried.insert (id);
    start_task (id);
  }
  bool now_idle = tasks.empty ();
  idle_now = now_idle;
  if (now_idle && !idle)
    emit_idle ();
  idle = now_idle;
}

/* Whether the requirements as a whole changed; emits requirements-changed. */
bool ManagerCore::check_requirements ()
{
  GstOfflineRequirements now = requirements_not_met (requirements, data_dir, min_free_space, "");
  if (now == not_met)
    return false;
  not_met = now;
  not_met_now = now;
  g_autofree gchar *names = gst_offline_requirements_to_string (now);
  GST_INFO ("requirements not met: %s", names);
  emit_requirements_changed (now);
  return true;
}

/* Other processes change the index without telling us directly: each
 * commit of theirs closes the index's commit signal file after writing
 * (Database::announce_commits ()), which the file monitor reports at once;
 * SQLite's data_version then confirms that another connection committed.
 * The monitor is made on the worker, so its events come there. */
void ManagerCore::watch_index ()
{
  std::string signal_path = commit_signal_path (database_path (data_dir));
  /* It exists before it is watched: the first commit elsewhere is told as
   * a change of a file, as every later one. */
  int fd = open (signal_path.c_str (), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd >= 0)
    close (fd);
  g_autoptr (GFile) file = g_file_new_for_path (signal_path.c_str ());
  g_autoptr (GError) error = nullptr;
  index_monitor.reset (g_file_monitor_file (file, G_FILE_MONITOR_NONE, nullptr, &error));
  if (index_monitor) {
    g_signal_connect (index_monitor.get (), "changed", G_CALLBACK (+[] (GFileMonitor *, GFile *, GFile *,
        GFileMonitorEvent, gpointer data) {
      auto core = static_cast<ManagerCore *> (data);
      if (core->look_at_index ())
        core->sync_tasks ();
    }), this);
  } else {
    GST_WARNING ("cannot watch %s (changes by other processes are seen within %u ms): %s", signal_path.c_str (),
        kRequirementsCheckMs, error->message);
  }
  requirements_source = g_timeout_source_new (kRequirementsCheckMs);
  g_source_set_callback (requirements_source,
      [] (gpointer data) -> gboolean {
        static_cast<ManagerCore *> (data)->on_requirements_timer ();
        return G_SOURCE_CONTINUE;
      },
      this, nullptr);
  g_source_attach (requirements_source, worker_context.get ());
  /* What was committed before the monitor began, the start reads
   * (load_entries (), posted before the worker ran). */
  data_version_moved ();
}

void ManagerCore::stop_watching ()
{
  if (index_monitor) {
    g_signal_handlers_disconnect_by_data (index_monitor.get (), this);
    g_file_monitor_cancel (index_monitor.get ());
    index_monitor.reset ();
  }
  g_source_destroy (requirements_source);
  g_source_unref (requirements_source);
  requirements_source = nullptr;
}

/* Reads what other connections changed, if any did since the last look
 * (SQLite's data_version moves when they commit); true if something did. */
bool ManagerCore::look_at_index ()
{
  if (!data_version_moved ())
    return false;
  read_changes ();
  return true;
}

bool ManagerCore::data_version_moved ()
{
  auto version = db ().prepare ("PRAGMA data_version", nullptr);
  if (!version || version->step (nullptr) != Statement::Step::Row)
    return false;
  bool moved = version->int64 (0) != index_version;
  index_version = version->int64 (0);
  return moved;
}

void ManagerCore::on_requirements_timer ()
{
  /* A data directory whose commits cannot be watched (see watch_index ()). */
  bool changed = !index_monitor && look_at_index ();
  changed |= check_requirements ();
  /* A process that held a download may have died since. */
  if (!held_elsewhere.empty ()) {
    std::vector<std::string> held (held_elsewhere.begin (), held_elsewhere.end ());
    for (const auto &id : held) {
      held_elsewhere.erase (id);
      auto entry = entries.find (id);
      if (entry != entries.end ())
        note (id, entry->second);
    }
    changed = true;
  }
  if (changed)
    sync_tasks ();
}

/* Starts the download `id`; false if it cannot run now. */
bool ManagerCore::start_task (const std::string &id)
{
  g_autoptr (GError) error = nullptr;
  auto found = download_table::get (db (), id, &error);
  if (!found) {
    GST_WARNING ("not starting %s: %s", id.c_str (), error->message);
    reload_entry (id);
    if (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_CORRUPT))
      forget (id);
    return false;
  }
  DownloadRecord record = std::move (*found);
  FetchedDocuments documents;
  if (auto fetched = fetched_documents.find (id); fetched != fetched_documents.end ()) {
    /* Only for this start: a later one fetches them anew. */
    documents = std::move (fetched->second);
    fetched_documents.erase (fetched);
  }
  if (!is_queued (record.state) || record.stop_reason != GST_OFFLINE_STOP_REASON_NONE) {
    /* Changed since we last looked. */
    note_record (record);
    return false;
  }
  auto lock = DownloadLock::acquire (data_dir, record.id, &error);
  if (!lock) {
    /* Another process works on it; its progress shows in the index. */
    GST_DEBUG ("not starting %s: %s", record.id.c_str (), error->message);
    unqueue (id);
    held_elsewhere.insert (id);
    return false;
  }
  auto downloader = factory ? factory (record, downloader_context (), &error)
                            : downloader_new (record, downloader_context (), &error);
  if (!downloader) {
    fail_record (record, error);
    return false;
  }
  downloader->use_documents (std::move (documents));
  unqueue (id);
  auto task = std::make_unique<Task> ();
  task->lock = std::move (lock);
  task->cancellable.reset (g_cancellable_new ());
  task->downloader = std::move (downloader);
  task->held_data = cache_download_bytes (cache.get (), id) > 0;
  record.state = GST_OFFLINE_DOWNLOAD_STATE_DOWNLOADING;
  record.clear_failure ();
  task->record = std::move (record);
  Task *raw = task.get ();
  tasks[id] = std::move (task);
  idle = false;
  idle_now = false;
  persist_state (raw->record);
  GST_INFO ("starting download %s of %s", id.c_str (), raw->record.uri.c_str ());
  raw->downloader->start (raw->cancellable.get (),
      [this, raw] (const DownloadProgress &progress) { on_progress (raw, progress); },
      [this, id] (const GError *done_error) { on_done (id, done_error); });
  return true;
}

void ManagerCore::on_progress (Task *task, const DownloadProgress &progress)
{
  DownloadRecord &record = task->record;
  /* What was reported stays reported: a resumed run recounts the bytes it
   * finds in the cache from zero, a resource that changed on the server
   * starts over, and an estimate can fall; none of it moves the count back. */
  guint64 bytes = MAX (record.bytes_downloaded, progress.bytes);
  record.bytes_downloaded = bytes;
  record.content_length = progress.content_length;
  record.estimated_length = progress.content_length >= 0 ? progress.content_length
                                                          : MAX (progress.estimated_length, static_cast<gint64> (bytes));
  if (progress.estimated_length < 0 && progress.content_length < 0)
    record.estimated_length = -1;
  /* 100 means completed, which only on_done () says: the report of the
   * last segment comes before the download's state is committed, and a
   * snapshot signalled in between must not claim it. */
  record.percent = MAX (record.percent, MIN (progress.percent, 99.9));
  if (progress.recording) {
    record.recording = true;
    record.recorded_ns = progress.recorded_ns;
    record.missing_ns = progress.missing_ns;
    record.live_lag_ns = progress.live_lag_ns;
  }
  gint64 content_length = record.estimated_length;
  gint64 now = g_get_monotonic_time ();
  if (task->speed_sample_us == 0 || bytes < task->speed_sample_bytes) {
    task->speed_sample_us = now;
    task->speed_sample_bytes = bytes;
  } else if (now - task->speed_sample_us >= kSpeedSampleUs) {
    double rate = static_cast<double> (bytes - task->speed_sample_bytes) * G_USEC_PER_SEC
        / static_cast<double> (now - task->speed_sample_us);
    record.speed = record.speed > 0 ? kSpeedSmoothing * rate + (1 - kSpeedSmoothing) * record.speed : rate;
    task->speed_sample_us = now;
    task->speed_sample_bytes = bytes;
    record.eta_seconds = content_length >= 0 && record.speed > 0
        ? static_cast<gint64> (static_cast<double> (content_length - static_cast<gint64> (MIN (bytes, static_cast<guint64> (content_length)))) / record.speed + 0.5)
        : -1;
  }
  if (now - task->last_signal_us >= kProgressSignalIntervalUs) {
    task->last_signal_us = now;
    emit_progress (record);
  }
  if (now - task->last_persist_us >= kProgressPersistIntervalUs) {
    task->last_persist_us = now;
    record.update_time_ms = now_ms ();
    g_autoptr (GError) error = nullptr;
    if (!download_table::update_progress (db (), record, &error))
      GST_WARNING ("could not record the progress of %s: %s", record.id.c_str (), error->message);
  }
}

void ManagerCore::on_done (const std::string &id, const GError *error)
{
  auto found = tasks.find (id);
  if (found == tasks.end ())
    return;
  std::unique_ptr<Task> task = std::move (found->second);
  tasks.erase (found);
  idle_now = tasks.empty ();
  if (!task->removed) {
    DownloadRecord &record = task->record;
    guint64 held = cache_download_bytes (cache.get (), id);
    record.speed = 0;
    record.eta_seconds = -1;
    /* The stop reason as the index has it now (another process may have set it). */
    auto entry = entries.find (id);
    if (entry != entries.end ())
      record.stop_reason = entry->second.stop_reason;
    /* A wider range given while it ran (by another process, just now) is
     * not complete: it runs again for what is missing. */
    auto row = error ? std::nullopt : download_table::get (db (), id, nullptr);
    if (row && (row->range_start_ns != record.range_start_ns || row->range_end_ns != record.range_end_ns)) {
      GST_INFO ("download %s: its time range changed as it completed: fetching what is missing", id.c_str ());
      record.range_start_ns = row->range_start_ns;
      record.range_end_ns = row->range_end_ns;
      record.bytes_downloaded = MAX (record.bytes_downloaded, held);
      record.percent = record.content_length = record.estimated_length = -1;
      record.state = GST_OFFLINE_DOWNLOAD_STATE_QUEUED;
      persist_state (record);
    } else if (!error && record.recording && task->requirements_lost) {
      /* A recording ends where it was stopped (completed), but a lost
       * requirement is no one's choice: like any download it waits,
       * queued, and goes on (from the live edge, after a gap) once the
       * requirements are met again. */
      GST_INFO ("download %s: its recording waits for its requirements", id.c_str ());
      record.bytes_downloaded = MAX (record.bytes_downloaded, held);
      record.state = GST_OFFLINE_DOWNLOAD_STATE_QUEUED;
      persist_state (record);
    } else if (!error) {
      record.state = GST_OFFLINE_DOWNLOAD_STATE_COMPLETED;
      record.bytes_downloaded = held;
      record.content_length = record.estimated_length = static_cast<gint64> (held);
      record.percent = 100;
      record.live_lag_ns = -1;
      GST_INFO ("download %s completed: %" G_GUINT64_FORMAT " bytes", id.c_str (), record.bytes_downloaded);
      persist_state (record);
      claims.erase (id);
    } else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      /* Bytes past the last checkpoint are not kept; the count stays where
       * it was (they are fetched again before it moves on). */
      record.bytes_downloaded = MAX (record.bytes_downloaded, held);
      record.state = task->state_after_cancel;
      /* The stop reason that cancelled it may have been cleared since. */
      if (record.state == GST_OFFLINE_DOWNLOAD_STATE_STOPPED && record.stop_reason == GST_OFFLINE_STOP_REASON_NONE)
        record.state = GST_OFFLINE_DOWNLOAD_STATE_QUEUED;
      persist_state (record);
    } else if (!task->held_data && record.bytes_downloaded == 0
        && g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NO_SPACE)
        && gst_offline_error_get_no_space_reason (error) == GST_OFFLINE_NO_SPACE_REASON_REFUSED) {
      /* Refused for space before any media arrived (no progress counted a
       * byte), holding nothing from before: it leaves nothing behind. Its
       * failure is told (a snapshot), then it goes as a removal goes: its
       * row, the manifest that told the size, a license. A refusal after
       * media arrived keeps it, failed, as any failure does. */
      set_failure (record, error);
      emit_changed (record);
      g_autoptr (GError) remove_error = nullptr;
      if (!finish_removal (id, std::move (task->lock), &remove_error)) {
        GST_WARNING ("could not remove %s, refused for space: %s", id.c_str (), remove_error->message);
        fail_record (record, error);
      }
    } else {
      record.bytes_downloaded = MAX (record.bytes_downloaded, held);
      fail_record (record, error);
      claims.erase (id);
    }
  } else {
    /* Its data went when it was removed; what its last writers recorded
     * since (commits landing, checkpoints of a cancel) goes now, and its row
     * with it, which said `removing` until now: a crash before this point
     * leaves a removal that the next manager finishes, not stray data. The
     * lock is still ours. */
    g_autoptr (GError) remove_error = nullptr;
    auto record = download_table::get (db (), id, &remove_error);
    if (!record || record->state == GST_OFFLINE_DOWNLOAD_STATE_REMOVING) {
      g_clear_error (&remove_error);
      if (!finish_removal (id, std::move (task->lock), &remove_error)) {
        GST_WARNING ("could not finish removing %s: %s", id.c_str (), remove_error->message);
        answer_removal_waiters (id, remove_error);
      }
    } else {
      /* Added again while it went: it starts over (a restart chore). */
      drop_data_later (id);
      note_record (*record);
    }
  }
  task.reset ();  /* releases the lock */
  if (shutting_down) {
    if (tasks.empty ())
      g_main_loop_quit (worker_loop);
    return;
  }
  sync_tasks ();
}

/* Removes a download this process may hold: at once if no task of ours runs
 * it, else its data now and the rest when its task ends. BUSY if another
 * process holds it (it sees the row marked `removing` and does it). */
bool ManagerCore::remove_data (const std::string &id, GError **error)
{
  auto running = tasks.find (id);
  if (running != tasks.end ()) {
    /* Our own task: stop it; its data goes now, its end does the rest. */
    if (!running->second->removed) {
      running->second->removed = true;
      g_cancellable_cancel (running->second->cancellable.get ());
      drop_data_later (id);
    }
    return true;
  }
  auto lock = DownloadLock::acquire (data_dir, id, error);
  if (!lock)
    return false;
  return finish_removal (id, std::move (lock), error);
}

/* The end of a removal, holding the download's `lock`: its row and its
 * license now, in one small transaction behind a pending-removal mark; then,
 * on the deleter's thread, the rest of its rows (a large plan's segments
 * and their resources: tens of thousands of rows, a second of WAL writes)
 * and its files. The removal's waiters are answered once those are gone. */
bool ManagerCore::finish_removal (const std::string &id, std::unique_ptr<DownloadLock> lock, GError **error)
{
  if (!mark_pending_removal (data_dir, id, error) || !download_table::remove (db (), id, error))
    return false;
  release_download_license (id);
  forget (id);
  claims.erase (id);
  GST_INFO ("download %s removed", id.c_str ());
  emit_removed (id);
  std::vector<AsyncCall::Ptr> waiters;
  auto waiting = removal_waiters.find (id);
  if (waiting != removal_waiters.end ()) {
    waiters = std::move (waiting->second);
    removal_waiters.erase (waiting);
  }
  delete_rows_later (id, std::move (lock), std::move (waiters));
  return true;
}

namespace {

/* Segments deleted per transaction: a few milliseconds of the write lock
 * each, so that other writers (progress, other processes) go between. */
constexpr guint kSegmentDeleteBatch = 4096;

/* What a removal leaves for later (cache/pending-removals.h): the
 * download's resources and their uses, then its plan's segments, with a
 * connection of its own (any thread). Returns the keys whose files may go,
 * read before the segments that name them are deleted. */
std::optional<KeySpool> delete_removed_rows (const std::string &data_dir, const std::string &id, GError **error)
{
  GObjectPtr<GstOfflineCache> cache (cache_open_for_writing (data_dir.c_str (), error));
  if (!cache)
    return std::nullopt;
  auto keys = cache_drop_download_rows (cache.get (), id, error);
  if (!keys || !playback_plan::remove_segments (cache_database (cache.get ()), id, kSegmentDeleteBatch, error))
    return std::nullopt;
  clear_pending_removal (data_dir, id);
  return keys;
}

}  // namespace

/* The rows a removal left, then its files, on the deleter's thread, holding
 * the download's `lock` until the rows are gone. */
void ManagerCore::delete_rows_later (const std::string &id, std::unique_ptr<DownloadLock> lock,
    std::vector<AsyncCall::Ptr> waiters)
{
  {
    std::lock_guard<std::mutex> guard (cleaning_lock);
    cleaning.insert (id);
  }
  auto job = std::make_shared<std::unique_ptr<DownloadLock>> (std::move (lock));
  run_on_deleter ([this, id, job, waiters] () {
    g_autoptr (GError) error = nullptr;
    auto keys = delete_removed_rows (data_dir, id, &error);
    if (!keys)
      GST_WARNING ("could not delete the rows of removed download %s (the next manager does): %s", id.c_str (),
          error->message);
    job->reset ();
    {
      std::lock_guard<std::mutex> guard (cleaning_lock);
      cleaning.erase (id);
    }
    cleaning_done.notify_all ();
    if (keys)
      cache_delete_unused_files (data_dir, *keys);
    for (const auto &waiter : waiters)
      AsyncCall::return_boolean (waiter, nullptr);
  });
}

/* An add of `id` waits until a removal of ours has deleted its rows. */
void ManagerCore::wait_for_cleaning (const std::string &id)
{
  std::unique_lock<std::mutex> guard (cleaning_lock);
  cleaning_done.wait (guard, [&] () { return !cleaning.count (id); });
}

/* Holding the lock of `id`, which has no row: the rest of its removal, now
 * (a removal a crash or another process left unfinished). */
bool ManagerCore::finish_pending_removal_now (const std::string &id, GError **error)
{
  auto keys = delete_removed_rows (data_dir, id, error);
  if (!keys)
    return false;
  delete_files_later (std::move (*keys));
  return true;
}

/* At the start: the removals whose rows a process left (it died, or was
 * stopped first) are finished on the deleter's thread. A mark whose
 * download has a row is not one (the row's removal never committed, or the
 * id was added again after the mark's unlink was lost): it goes. A mark
 * whose lock another process holds is that process's. */
void ManagerCore::resume_pending_removals ()
{
  for (const std::string &id : list_pending_removals (data_dir)) {
    g_autoptr (GError) error = nullptr;
    auto lock = DownloadLock::acquire (data_dir, id, &error);
    if (!lock)
      continue;
    auto record = download_table::get (db (), id, &error);
    if (record) {
      clear_pending_removal (data_dir, id);
      continue;
    }
    if (!g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND)) {
      GST_WARNING ("cannot finish removing %s: %s", id.c_str (), error->message);
      continue;
    }
    GST_INFO ("finishing the removal of %s", id.c_str ());
    delete_rows_later (id, std::move (lock));
  }
}

/* Forgets the resources of download `id` now (nothing shows them any more)
 * and deletes their files on the deleter's thread. */
void ManagerCore::drop_data_later (const std::string &id, std::vector<AsyncCall::Ptr> waiters)
{
  g_autoptr (GError) error = nullptr;
  auto keys = cache_drop_download_rows (cache.get (), id, &error);
  if (!keys) {
    GST_WARNING ("could not remove the data of %s: %s", id.c_str (), error->message);
    return;
  }
  delete_files_later (std::move (*keys), std::move (waiters));
}

/* Nothing shows the files of `keys` any more: they go on the deleter's
 * thread, and then `waiters` learn that the download is gone. */
void ManagerCore::delete_files_later (KeySpool keys, std::vector<AsyncCall::Ptr> waiters)
{
  auto spool = std::make_shared<KeySpool> (std::move (keys));
  run_on_deleter ([this, spool, waiters] () {
    cache_delete_unused_files (data_dir, *spool);
    for (const auto &waiter : waiters)
      AsyncCall::return_boolean (waiter, nullptr);
  });
}

/* Runs `job` on the deleter's thread, after the jobs posted before. */
void ManagerCore::run_on_deleter (std::function<void ()> job)
{
  if (!file_deleter) {
    file_deleter = g_thread_pool_new (
        [] (gpointer data, gpointer) {
          std::unique_ptr<std::function<void ()>> job (static_cast<std::function<void ()> *> (data));
          (*job) ();
        },
        nullptr, 1, FALSE, nullptr);
  }
  g_thread_pool_push (file_deleter, new std::function<void ()> (std::move (job)), nullptr);
}

/* Answers the removal waiters of `id`: gone (no error), or why not. */
void ManagerCore::answer_removal_waiters (const std::string &id, const GError *error)
{
  auto waiting = removal_waiters.find (id);
  if (waiting == removal_waiters.end ())
    return;
  std::vector<AsyncCall::Ptr> waiters = std::move (waiting->second);
  removal_waiters.erase (waiting);
  for (const auto &waiter : waiters)
    AsyncCall::return_boolean (waiter, error);
}

/* A removed download's license (its ClearKey or HLS AES-128 keys) goes with
 * it; other downloads' licenses stay, even for the same keys. Its data is
 * gone already, so a failure here is only logged: the keys are useless
 * without it. */
void ManagerCore::release_download_license (const std::string &id)
{
  g_autoptr (GError) error = nullptr;
  GstOfflineDrmStore *store = license_manager_store (licenses.get (), false, &error);
  if (store ? release_license (store, id, &error) && note_license_in_index (db (), id, false, &error) : error == nullptr)
    return;
  GST_WARNING ("could not release the license of removed download %s: %s", id.c_str (), error->message);
}

namespace {

std::string seconds_text (guint64 ns)
{
  g_autofree gchar *text = g_strdup_printf ("%.3f s", static_cast<double> (ns) / GST_SECOND);
  return text;
}

/* A time range is for the segments of an adaptive download, and ends after
 * it starts. */
bool check_time_range (const DownloadRecord &wanted, GError **error)
{
  if (!wanted.has_range ())
    return true;
  if (wanted.type == GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
        "a time range needs a DASH, HLS or Smooth Streaming download: %s is a progressive file", wanted.uri.c_str ());
    return false;
  }
  if (wanted.range_end_ns && *wanted.range_end_ns <= wanted.range_start_ns.value_or (0)) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
        "the time range ends (%s) before it starts (%s)", seconds_text (*wanted.range_end_ns).c_str (),
        seconds_text (wanted.range_start_ns.value_or (0)).c_str ());
    return false;
  }
  return true;
}

/* Makes the time range of `record` (an existing download) cover that of
 * `wanted` too — a bound left open is the start or the end — and says
 * whether it grew. */
bool widen_time_range (DownloadRecord &record, const DownloadRecord &wanted)
{
  auto start = record.range_start_ns && wanted.range_start_ns
      ? std::optional<guint64> (MIN (*record.range_start_ns, *wanted.range_start_ns)) : std::nullopt;
  auto end = record.range_end_ns && wanted.range_end_ns
      ? std::optional<guint64> (MAX (*record.range_end_ns, *wanted.range_end_ns)) : std::nullopt;
  bool wider = start != record.range_start_ns || end != record.range_end_ns;
  record.range_start_ns = start;
  record.range_end_ns = end;
  return wider;
}

}  // namespace

/* Fits the time range of `wanted` to the presentation before a row is
 * written: refused when it starts at or after the end, its end brought back
 * to the end when it runs past it. The presentation's length is
 * `presentation_ns`, its manifest's (presentation_length ()), else that of
 * the download's plan when it has one (`planned`: a download of the same
 * URI exists); unknown, the range is taken as it is, and the download
 * checks its start once it has drawn its plan. */
bool ManagerCore::fit_range (DownloadRecord &wanted, bool planned, std::optional<guint64> presentation_ns,
    GError **error)
{
  if (!wanted.has_range ())
    return true;
  guint64 duration = presentation_ns.value_or (0);
  if (duration == 0 && planned)
    duration = playback_plan::duration_ns (db (), wanted.id);
  if (duration == 0)
    return true;
  if (!playback_plan::check_range_start (wanted.range_start_ns.value_or (0), duration, error))
    return false;
  if (wanted.range_end_ns && *wanted.range_end_ns > duration) {
    GST_INFO ("download %s: the time range ends at %s, after the end of the presentation: at %s",
        wanted.id.c_str (), seconds_text (*wanted.range_end_ns).c_str (), seconds_text (duration).c_str ());
    wanted.range_end_ns = duration;
  }
  return true;
}

/* Gives the download of `row` (which runs, here or in another process) the
 * range of `wanted` too: the index row first, then the task if it is ours.
 * False (nothing changed) if the range cannot be had. */
bool ManagerCore::hand_range_over (DownloadRecord row, const DownloadRecord &wanted, GError **error)
{
  if (!widen_time_range (row, wanted))
    return true;
  if (!download_table::set_time_range (db (), row, error))
    return false;
  GST_INFO ("download %s runs: its time range is now %s to %s", row.id.c_str (),
      seconds_text (row.range_start_ns.value_or (0)).c_str (),
      row.range_end_ns ? seconds_text (*row.range_end_ns).c_str () : "the end");
  follow_range (row.id);
  return true;
}

/* A task of ours whose row asks for another time range than it fetches
 * starts again with it: the plan is drawn anew, and what is in the cache
 * is not fetched again. */
void ManagerCore::follow_range (const std::string &id)
{
  auto task = tasks.find (id);
  if (task == tasks.end () || task->second->removed)
    return;
  auto row = download_table::get (db (), id, nullptr);
  DownloadRecord &record = task->second->record;
  if (!row || (row->range_start_ns == record.range_start_ns && row->range_end_ns == record.range_end_ns))
    return;
  record.range_start_ns = row->range_start_ns;
  record.range_end_ns = row->range_end_ns;
  /* More to fetch: the total is not known any more. */
  record.percent = record.content_length = record.estimated_length = -1;
  if (g_cancellable_is_cancelled (task->second->cancellable.get ()))
    return;  /* stopping anyway; it starts with the row's range */
  GST_INFO ("download %s: its time range changed: starting it again for what is missing", id.c_str ());
  task->second->state_after_cancel = GST_OFFLINE_DOWNLOAD_STATE_QUEUED;
  g_cancellable_cancel (task->second->cancellable.get ());
}

GstOfflineDownload *ManagerCore::add (DownloadRecord wanted, std::optional<guint64> presentation_ns,
    FetchedDocuments documents, GError **error)
{  g_autoptr (GUri) uri = g_uri_parse (wanted.uri.c_str (), G_URI_FLAGS_NONE, nullptr);
  const char *scheme = uri ? g_uri_get_scheme (uri) : nullptr;
  if (!scheme || (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT, "'%s' is not an http(s) URI",
        wanted.uri.c_str ());
    return nullptr;
  }
  if (wanted.type == GST_OFFLINE_DOWNLOAD_TYPE_AUTO)
    wanted.type = guess_download_type (wanted.uri);
  if (!download_type_supported (wanted.type, error) || !check_time_range (wanted, error))
    return nullptr;

  bool derived = wanted.id.empty ();
  if (derived) {
    g_autofree gchar *id = gst_offline_download_request_derive_id (wanted.uri.c_str ());
    wanted.id = id;
  }
  if (!check_download_id (wanted.id, error))
    return nullptr;

  g_autoptr (GError) lookup_error = nullptr;
  auto existing = download_table::get (db (), wanted.id, &lookup_error);
  /* A download that failed does not keep its id from another URL (a URL
   * mistyped at the first attempt): the new request takes its place. */
  bool replace_failed = existing && existing->uri != wanted.uri
      && existing->state == GST_OFFLINE_DOWNLOAD_STATE_FAILED && !tasks.count (wanted.id);
  if (replace_failed) {
    GST_INFO ("download %s of %s failed: %s takes its id", wanted.id.c_str (), existing->uri.c_str (),
        wanted.uri.c_str ());
  } else if (existing && existing->uri != wanted.uri && derived) {
    wanted.id += "-" + sha256_hex (wanted.uri).substr (0, 8);
    g_clear_error (&lookup_error);
    existing = download_table::get (db (), wanted.id, &lookup_error);
  }
  if (!existing && !g_error_matches (lookup_error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND)
      && !g_error_matches (lookup_error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_CORRUPT)) {
    g_propagate_error (error, g_steal_pointer (&lookup_error));
    return nullptr;
  }
  if (lookup_error && lookup_error->code == GST_OFFLINE_ERROR_CORRUPT)
    GST_WARNING ("replacing an unreadable index row: %s", lookup_error->message);

  /* Before anything is written: a range past the end leaves nothing. */
  if (!fit_range (wanted, existing && existing->uri == wanted.uri && !replace_failed, presentation_ns, error))
    return nullptr;

  DownloadRecord record = wanted;
  std::optional<DownloadRecord> replaced;
  if (replace_failed) {
    replaced = std::move (existing);
    existing.reset ();
  }
  bool was_complete = false;
  if (existing) {
    if (existing->uri != wanted.uri) {
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
          "the id '%s' is already used by the download of %s", wanted.id.c_str (), existing->uri.c_str ());
      return nullptr;
    }
    if (tasks.count (wanted.id) && !tasks[wanted.id]->removed) {
      /* Running: a wider range takes effect at once. */
      if (wanted.has_range () && !hand_range_over (*existing, wanted, error))
        return nullptr;
      return download_new (tasks[wanted.id]->record);
    }
    /* Merge, as ExoPlayer does: the union of the tracks, the newest headers
     * and data, and a fresh start for one that ended. */
    record = *existing;
    bool new_tracks = false;
    for (const auto &key : wanted.stream_keys) {
      if (std::find (record.stream_keys.begin (), record.stream_keys.end (), key) == record.stream_keys.end ()) {
        record.stream_keys.push_back (key);
        new_tracks = true;
      }
    }
    bool wider = widen_time_range (record, wanted);
    if (wider) {
      /* More to fetch: the total is not known any more. */
      record.percent = -1;
      record.content_length = -1;
      record.estimated_length = -1;
    }
    was_complete = existing->state == GST_OFFLINE_DOWNLOAD_STATE_COMPLETED && !new_tracks && !wider;
    if (!wanted.headers.empty ())
      record.headers = wanted.headers;
    if (wanted.custom_data)
      record.custom_data = wanted.custom_data;
    if (wanted.key_set_id)
      record.key_set_id = wanted.key_set_id;
    if (wanted.license_url)
      record.license_url = wanted.license_url;
    if (record.state == GST_OFFLINE_DOWNLOAD_STATE_REMOVING || record.state == GST_OFFLINE_DOWNLOAD_STATE_RESTARTING)
      record.state = GST_OFFLINE_DOWNLOAD_STATE_RESTARTING;
    else
      record.state = record.stop_reason != GST_OFFLINE_STOP_REASON_NONE ? GST_OFFLINE_DOWNLOAD_STATE_STOPPED
                                                                          : GST_OFFLINE_DOWNLOAD_STATE_QUEUED;
    record.clear_failure ();
  } else {
    record.start_time_ms = now_ms ();
    record.state = GST_OFFLINE_DOWNLOAD_STATE_QUEUED;
  }
  /* Refuse rather than queue behind another process that holds it. */
  {
    /* A task of ours being removed holds it: its end sees the new row. */
    std::unique_ptr<DownloadLock> lock;
    /* A removal of ours may still hold it, deleting the rows of the id. */
    wait_for_cleaning (record.id);
    if (!tasks.count (record.id) && !(lock = DownloadLock::acquire (data_dir, record.id, error))) {
      /* Another process downloads it: a wider range goes to it through the
       * index (it sees the change and fetches what is missing); the answer
       * is still BUSY, and the index tells the range it now fetches. */
      GError *range_error = nullptr;
      if (existing && wanted.has_range () && g_error_matches (*error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_BUSY)
          && !hand_range_over (*existing, wanted, &range_error)) {
        g_clear_error (error);
        g_propagate_error (error, range_error);
      }
      return nullptr;
    }
    /* Rows that a removal of this id left (it was killed): they go first. */
    if (!existing && lock && is_pending_removal (data_dir, record.id) && !finish_pending_removal_now (record.id, error))
      return nullptr;
    if (replaced) {
      auto keys = cache_drop_download_rows (cache.get (), record.id, error);
      if (!keys)
        return nullptr;
      delete_files_later (std::move (*keys));
      release_download_license (record.id);
    }
    if (was_complete) {
      /* Complete stays complete, unless files went missing or short since
       * (what verify reports): those are fetched again. */
      auto damaged = cache_drop_damaged_resources (cache.get (), record.id, error);
      if (!damaged)
        return nullptr;
      if (*damaged == 0)
        return download_new (*existing);
      GST_INFO ("download %s: %u damaged resources to fetch again", record.id.c_str (), *damaged);
    }
  }
  if (added_only) {
    added.insert (record.id);
    /* Before the row says it is queued: a player never sees it queued
     * with nobody to fetch it. */
    if (!claims.count (record.id)) {
      auto claim = FetchClaim::claim (data_dir, record.id, error);
      if (!claim)
        return nullptr;
      claims[record.id] = std::move (claim);
    }
  }
  record.update_time_ms = now_ms ();
  if (!download_table::put (db (), record, error))
    return nullptr;
  unsaved_failures.erase (record.id);
  if (!documents.empty () && !tasks.count (record.id))
    fetched_documents[record.id] = std::move (documents);
  note_record (record);
  emit_changed (record);
  sync_tasks ();
  auto running = tasks.find (record.id);
  return download_new (running != tasks.end () ? running->second->record : record);
}

void ManagerCore::remove (const std::string &id, AsyncCall::Ptr waiter)
{
  g_autoptr (GError) error = nullptr;
  auto record = download_table::get (db (), id, &error);
  if (!record) {
    GST_INFO ("not removing %s: %s", id.c_str (), error->message);
    if (waiter)
      AsyncCall::return_boolean (waiter, error);
    return;
  }
  if (waiter)
    removal_waiters[id].push_back (std::move (waiter));
  if (record->state != GST_OFFLINE_DOWNLOAD_STATE_REMOVING) {
    record->state = GST_OFFLINE_DOWNLOAD_STATE_REMOVING;
    persist_state (*record);
  }
  if (!remove_data (id, &error)) {
    if (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_BUSY)) {
      /* Another process downloads it: it sees the REMOVING row as the
       * commit is announced and removes the download itself; its waiters
       * are answered when the row is gone. */
      GST_INFO ("removal of %s left to the process that downloads it", id.c_str ());
    } else {
      GST_ERROR ("cannot remove %s: %s", id.c_str (), error->message);
      answer_removal_waiters (id, error);
    }
  }
  sync_tasks ();
}

void ManagerCore::set_stop_reason (const std::string &id, guint stop_reason)
{
  g_autoptr (GError) error = nullptr;
  if (!download_table::set_stop_reason (db (), id, stop_reason, &error)) {
    GST_WARNING ("cannot set the stop reason of %s: %s", id.empty () ? "every download" : id.c_str (), error->message);
    return;
  }
  std::vector<std::string> changed;
  if (id.empty ()) {
    for (const auto &entry : entries) {
      if (entry.second.stop_reason != stop_reason)
        changed.push_back (entry.first);
    }
    load_entries ();
  } else {
    changed.push_back (id);
    reload_entry (id);
  }
  /* Running ones report when they stop (sync_tasks); the others now. */
  for (const auto &changed_id : changed) {
    if (tasks.count (changed_id))
      continue;
    auto record = download_table::get (db (), changed_id, nullptr);
    if (record)
      emit_changed (*record);
  }
  sync_tasks ();
}

void ManagerCore::stop_all ()
{
  shutting_down = true;
  if (tasks.empty ()) {
    g_main_loop_quit (worker_loop);
    return;
  }
  for (auto &entry : tasks) {
    entry.second->state_after_cancel = GST_OFFLINE_DOWNLOAD_STATE_QUEUED;
    g_cancellable_cancel (entry.second->cancellable.get ());
  }
}

}  // namespace gst_offline

static gpointer worker_main (gpointer data)
{
  auto core = static_cast<ManagerCore *> (data);
  g_main_context_push_thread_default (core->worker_context.get ());
  core->session.reset (SOUP_SESSION (g_object_ref (http_shared_session ())));
  core->watch_index ();
  g_main_loop_run (core->worker_loop);
  core->stop_watching ();
  /* Let the cancelled requests unwind before the session goes. */
  while (g_main_context_iteration (core->worker_context.get (), FALSE))
    ;
  core->session.reset ();
  core->tasks.clear ();
  g_main_context_pop_thread_default (core->worker_context.get ());
  return nullptr;
}

static void gst_offline_download_manager_init (GstOfflineDownloadManager *self)
{
  self->core = new ManagerCore ();
  self->core->signal_target = std::make_shared<SignalTarget> (self);
  g_mutex_init (&self->core->live_lock);
  g_mutex_init (&self->core->reader_lock);
  self->max_parallel = self->core->max_parallel;
  self->retries = self->core->retry.max_retries;
  self->requirements = self->core->requirements;
  self->min_free_space = self->core->min_free_space;
  self->segment_parallelism = self->core->segment_parallelism;
}

static gboolean gst_offline_download_manager_initable_init_impl (GInitable *initable, GCancellable *, GError **error)
{
  auto self = GST_OFFLINE_DOWNLOAD_MANAGER (initable);
  ManagerCore *core = self->core;
  if (!gst_is_initialized () && !gst_init_check (nullptr, nullptr, error))
    return FALSE;
  GST_DEBUG_CATEGORY_INIT (manager_debug, "offlinemanager", 0, "gst-offline download manager");
  core->data_dir = resolve_data_dir (self->data_dir);
  core->cache.reset (cache_open_for_writing (core->data_dir.c_str (), error));
  if (!core->cache)
    return FALSE;
  if (!core->licenses) {
    core->licenses.reset (gst_offline_license_manager_new (core->data_dir.c_str (), nullptr, error));
    if (!core->licenses)
      return FALSE;
  } else if (resolve_data_dir (gst_offline_license_manager_get_data_dir (core->licenses.get ())) != core->data_dir) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
        "the license manager is for the data directory %s, the download manager for %s",
        gst_offline_license_manager_get_data_dir (core->licenses.get ()), core->data_dir.c_str ());
    return FALSE;
  }
  core->reader.reset (gst_offline_download_index_new (core->data_dir.c_str (), error));
  if (!core->reader)
    return FALSE;
  if (!self->construct_added_only) {
    core->queue_claim = FetchClaim::claim_queue (core->data_dir, error);
    if (!core->queue_claim)
      return FALSE;
  }
  core->reserve = std::make_unique<SpaceReserve> (core->data_dir);
  /* What a process killed while it made the reserve left (it holds no lock). */
  SpaceReserve::remove_stale (core->data_dir);
  core->paused = self->paused;
  core->added_only = self->construct_added_only;
  core->max_parallel = self->max_parallel;
  core->retry.max_retries = self->retries;
  core->requirements = self->requirements;
  core->min_free_space = self->min_free_space;
  core->segment_parallelism = self->segment_parallelism;
  /* What the requirements lack is known from the start (no I/O: a statvfs
   * and the network monitor's state). */
  core->not_met = requirements_not_met (core->requirements, core->data_dir, core->min_free_space, "");
  core->not_met_now = core->not_met;
  /* Signals go to the context of the thread that created the manager:
   * init_async () takes it before its work moves to a thread. */
  if (!core->caller_context)
    core->caller_context.reset (g_main_context_ref_thread_default ());
  core->worker_context.reset (g_main_context_new ());
  core->worker_loop = g_main_loop_new (core->worker_context.get (), FALSE);
  /* Downloads left queued or interrupted by an earlier run carry on; a
   * removal a crash interrupted (a row still `removing`) is finished. The
   * worker does it: the caller does not wait. */
  core->post ([core] () {
    core->reserve->ensure ();
    core->load_entries ();
    core->resume_pending_removals ();
    core->sync_tasks ();
  });
  core->worker_thread = g_thread_new ("offline-manager", worker_main, core);
  return TRUE;
}

static void gst_offline_download_manager_initable_init (GInitableIface *iface)
{
  iface->init = gst_offline_download_manager_initable_init_impl;
}

/* Opening (maybe migrating) the index and the DRM store is file and SQLite
 * work: on a thread of GTask's pool, the caller's thread goes on. */
static void gst_offline_download_manager_init_async (GAsyncInitable *initable, int io_priority,
    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  auto self = GST_OFFLINE_DOWNLOAD_MANAGER (initable);
  self->core->caller_context.reset (g_main_context_ref_thread_default ());
  GTask *task = g_task_new (initable, cancellable, callback, user_data);
  g_task_set_source_tag (task, reinterpret_cast<gpointer> (gst_offline_download_manager_init_async));
  g_task_set_priority (task, io_priority);
  g_task_run_in_thread (task, [] (GTask *task, gpointer source, gpointer, GCancellable *cancellable) {
    GError *error = nullptr;
    if (gst_offline_download_manager_initable_init_impl (G_INITABLE (source), cancellable, &error))
      g_task_return_boolean (task, TRUE);
    else
      g_task_return_error (task, error);
  });
  g_object_unref (task);
}

static gboolean gst_offline_download_manager_init_finish (GAsyncInitable *initable, GAsyncResult *result,
    GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, initable), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void gst_offline_download_manager_async_initable_init (GAsyncInitableIface *iface)
{
  iface->init_async = gst_offline_download_manager_init_async;
  iface->init_finish = gst_offline_download_manager_init_finish;
}

static void gst_offline_download_manager_dispose (GObject *object)
{
  auto self = GST_OFFLINE_DOWNLOAD_MANAGER (object);
  ManagerCore *core = self->core;
  if (core->worker_thread) {
    core->post ([core] () { core->stop_all (); });
    g_thread_join (core->worker_thread);
    core->worker_thread = nullptr;
  }
  /* Nothing here fetches any more: players stop waiting for it. */
  core->queue_claim.reset ();
  core->claims.clear ();
  /* Removed downloads leave no file behind the manager. */
  if (core->file_deleter) {
    g_thread_pool_free (core->file_deleter, FALSE, TRUE);
    core->file_deleter = nullptr;
  }
  G_OBJECT_CLASS (gst_offline_download_manager_parent_class)->dispose (object);
}

static void gst_offline_download_manager_finalize (GObject *object)
{
  auto self = GST_OFFLINE_DOWNLOAD_MANAGER (object);
  ManagerCore *core = self->core;
  if (core->worker_loop)
    g_main_loop_unref (core->worker_loop);
  g_mutex_clear (&core->live_lock);
  g_mutex_clear (&core->reader_lock);
  delete core;
  g_free (self->data_dir);
  G_OBJECT_CLASS (gst_offline_download_manager_parent_class)->finalize (object);
}

static void gst_offline_download_manager_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  auto self = GST_OFFLINE_DOWNLOAD_MANAGER (object);
  ManagerCore *core = self->core;
  switch (prop_id) {
    case PROP_DATA_DIR:
      g_free (self->data_dir);
      self->data_dir = g_value_dup_string (value);
      break;
    case PROP_LICENSE_MANAGER: {
      gpointer licenses = g_value_dup_object (value);
      core->licenses.reset (licenses ? GST_OFFLINE_LICENSE_MANAGER (licenses) : nullptr);
      break;
    }
    case PROP_MAX_PARALLEL_DOWNLOADS: {
      guint max = self->max_parallel = g_value_get_uint (value);
      if (core->worker_thread)
        core->post ([core, max] () { core->max_parallel = max; core->sync_tasks (); });
      break;
    }
    case PROP_MIN_RETRY_COUNT: {
      guint count = self->retries = g_value_get_uint (value);
      if (core->worker_thread)
        core->post ([core, count] () { core->retry.max_retries = count; });
      break;
    }
    case PROP_REQUIREMENTS: {
      auto requirements = self->requirements = static_cast<GstOfflineRequirements> (g_value_get_flags (value));
      if (core->worker_thread)
        core->post ([core, requirements] () {
          core->requirements = requirements;
          core->check_requirements ();
          core->sync_tasks ();
        });
      break;
    }
    case PROP_MIN_FREE_SPACE: {
      guint64 bytes = self->min_free_space = g_value_get_uint64 (value);
      if (core->worker_thread)
        core->post ([core, bytes] () {
          core->min_free_space = bytes;
          core->check_requirements ();
          core->sync_tasks ();
        });
      break;
    }
    case PROP_SEGMENT_PARALLELISM: {
      guint parallelism = self->segment_parallelism = g_value_get_uint (value);
      if (core->worker_thread)
        core->post ([core, parallelism] () { core->segment_parallelism = parallelism; });
      break;
    }
    case PROP_ADDED_DOWNLOADS_ONLY:
      self->construct_added_only = g_value_get_boolean (value);
      break;
    case PROP_DOWNLOADS_PAUSED:
      if (!core->worker_thread)
        self->paused = g_value_get_boolean (value);
      else if (g_value_get_boolean (value))
        gst_offline_download_manager_pause_downloads (self);
      else
        gst_offline_download_manager_resume_downloads (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void gst_offline_download_manager_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  auto self = GST_OFFLINE_DOWNLOAD_MANAGER (object);
  ManagerCore *core = self->core;
  switch (prop_id) {
    case PROP_DATA_DIR:
      g_value_set_string (value, core->data_dir.empty () ? self->data_dir : core->data_dir.c_str ());
      break;
    case PROP_LICENSE_MANAGER:
      g_value_set_object (value, core->licenses.get ());
      break;
    case PROP_MAX_PARALLEL_DOWNLOADS:
      g_value_set_uint (value, self->max_parallel);
      break;
    case PROP_MIN_RETRY_COUNT:
      g_value_set_uint (value, self->retries);
      break;
    case PROP_REQUIREMENTS:
      g_value_set_flags (value, self->requirements);
      break;
    case PROP_MIN_FREE_SPACE:
      g_value_set_uint64 (value, self->min_free_space);
      break;
    case PROP_SEGMENT_PARALLELISM:
      g_value_set_uint (value, self->segment_parallelism);
      break;
    case PROP_DOWNLOADS_PAUSED:
      g_value_set_boolean (value, self->paused);
      break;
    case PROP_ADDED_DOWNLOADS_ONLY:
      g_value_set_boolean (value, self->construct_added_only);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void gst_offline_download_manager_class_init (GstOfflineDownloadManagerClass *klass)
{
  auto object_class = G_OBJECT_CLASS (klass);
  object_class->dispose = gst_offline_download_manager_dispose;
  object_class->finalize = gst_offline_download_manager_finalize;
  object_class->set_property = gst_offline_download_manager_set_property;
  object_class->get_property = gst_offline_download_manager_get_property;

  /**
   * GstOfflineDownloadManager:data-dir:
   *
   * The data directory; %NULL for the default (see gst_offline_get_default_data_dir()).
   */
  properties[PROP_DATA_DIR] = g_param_spec_string ("data-dir", "Data directory",
      "The data directory (NULL: $GST_OFFLINE_DIR, else the user data dir's gst-offline)", nullptr,
      static_cast<GParamFlags> (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  /**
   * GstOfflineDownloadManager:license-manager:
   *
   * The license manager of the downloads, for the same data directory:
   * every key a download acquires (DASH ClearKey licenses, HLS AES-128
   * keys) goes into its #GstOfflineDrmStore, and license requests pass
   * through its #GstOfflineLicenseManager::wrap-request and
   * #GstOfflineLicenseManager::unwrap-response hooks. %NULL (the default)
   * makes one with the data directory's `drm.db`.
   */
  properties[PROP_LICENSE_MANAGER] = g_param_spec_object ("license-manager", "License manager",
      "Keeps the licenses and keys of the downloads (NULL: one with the data directory's DRM store)",
      GST_OFFLINE_TYPE_LICENSE_MANAGER,
      static_cast<GParamFlags> (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  /**
   * GstOfflineDownloadManager:max-parallel-downloads:
   *
   * How many downloads run at once.
   */
  properties[PROP_MAX_PARALLEL_DOWNLOADS] = g_param_spec_uint ("max-parallel-downloads", "Max parallel downloads",
      "How many downloads run at once", 1, 64, 3,
      static_cast<GParamFlags> (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  /**
   * GstOfflineDownloadManager:min-retry-count:
   *
   * How many times a failing request is retried, with exponential backoff,
   * before its download fails. The count starts again whenever bytes arrive.
   */
  properties[PROP_MIN_RETRY_COUNT] = g_param_spec_uint ("min-retry-count", "Min retry count",
      "How many times a failing request is retried before the download fails", 0, 1000, 5,
      static_cast<GParamFlags> (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  /**
   * GstOfflineDownloadManager:downloads-paused:
   *
   * Whether this manager holds every download (a runtime state, not
   * persisted; stop reasons are the persisted way to stop one download).
   * Set it at construction to create a manager that starts nothing.
   */
  properties[PROP_DOWNLOADS_PAUSED] = g_param_spec_boolean ("downloads-paused", "Downloads paused",
      "Whether this manager holds every download (not persisted)", FALSE,
      static_cast<GParamFlags> (G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS));
  /**
   * GstOfflineDownloadManager:requirements:
   *
   * What downloads wait for. A download whose requirements are not met stays
   * queued (a running one goes back to the queue, keeping its data) and
   * starts by itself once they are.
   */
  properties[PROP_REQUIREMENTS] = g_param_spec_flags ("requirements", "Requirements",
      "What downloads wait for (loopback hosts need no network)", GST_OFFLINE_TYPE_REQUIREMENTS,
      GST_OFFLINE_REQUIREMENTS_DEFAULT,
      static_cast<GParamFlags> (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  /**
   * GstOfflineDownloadManager:min-free-space:
   *
   * The bytes of the data directory's file system that downloads leave
   * free: %GST_OFFLINE_REQUIREMENTS_STORAGE_NOT_LOW waits while less is
   * free, and a download whose remaining size would eat into it fails with
   * %GST_OFFLINE_ERROR_NO_SPACE before fetching it. A download so refused
   * that held nothing before leaves nothing behind: #GstOfflineDownloadManager::download-changed
   * tells its failure, then #GstOfflineDownloadManager::download-removed
   * tells that its row and the manifest that told its size are gone; one
   * that held data keeps it, failed.
   */
  properties[PROP_MIN_FREE_SPACE] = g_param_spec_uint64 ("min-free-space", "Min free space",
      "Bytes of the data directory's file system that downloads leave free", 0, G_MAXUINT64,
      GST_OFFLINE_DEFAULT_MIN_FREE_SPACE, static_cast<GParamFlags> (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  /**
   * GstOfflineDownloadManager:segment-parallelism:
   *
   * How many segments (or merged byte ranges of one file) of an adaptive
   * download are fetched at once, over persistent connections. A change
   * applies to the downloads that start after it. The default,
   * %GST_OFFLINE_DEFAULT_SEGMENT_PARALLELISM, comes from the benchmark.
   */
  properties[PROP_SEGMENT_PARALLELISM] = g_param_spec_uint ("segment-parallelism", "Segment parallelism",
      "How many segments of an adaptive download are fetched at once", 1, 16,
      GST_OFFLINE_DEFAULT_SEGMENT_PARALLELISM, static_cast<GParamFlags> (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  /**
   * GstOfflineDownloadManager:added-downloads-only:
   *
   * Whether this manager runs only the downloads added through it
   * (gst_offline_download_manager_add_download()), leaving the rest of the
   * queue to others (a daemon): what a command that downloads one thing
   * wants. Set at construction.
   */
  properties[PROP_ADDED_DOWNLOADS_ONLY] = g_param_spec_boolean ("added-downloads-only", "Added downloads only",
      "Whether only the downloads added through this manager run, not the rest of the queue", FALSE,
      static_cast<GParamFlags> (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * GstOfflineDownloadManager::download-changed:
   * @manager: the manager
   * @download: a snapshot of the download
   *
   * A download was added, or its state changed.
   */
  signals[SIGNAL_DOWNLOAD_CHANGED] = g_signal_new ("download-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
      0, nullptr, nullptr, nullptr, G_TYPE_NONE, 1, GST_OFFLINE_TYPE_DOWNLOAD);
  /**
   * GstOfflineDownloadManager::download-progress:
   * @manager: the manager
   * @download: a snapshot of the download
   *
   * Bytes arrived for a download (at most about ten times a second each).
   */
  signals[SIGNAL_DOWNLOAD_PROGRESS] = g_signal_new ("download-progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
      0, nullptr, nullptr, nullptr, G_TYPE_NONE, 1, GST_OFFLINE_TYPE_DOWNLOAD);
  /**
   * GstOfflineDownloadManager::download-removed:
   * @manager: the manager
   * @id: the id of the download
   *
   * A download and its data are gone.
   */
  signals[SIGNAL_DOWNLOAD_REMOVED] = g_signal_new ("download-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
      0, nullptr, nullptr, nullptr, G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * GstOfflineDownloadManager::idle:
   * @manager: the manager
   *
   * The last running download of this manager ended.
   */
  signals[SIGNAL_IDLE] = g_signal_new ("idle", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
      0, nullptr, nullptr, nullptr, G_TYPE_NONE, 0);
  /**
   * GstOfflineDownloadManager::requirements-changed:
   * @manager: the manager
   * @not_met: the requirements not met now
   *
   * The requirements that hold downloads back changed.
   */
  signals[SIGNAL_REQUIREMENTS_CHANGED] = g_signal_new ("requirements-changed", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr, G_TYPE_NONE, 1, GST_OFFLINE_TYPE_REQUIREMENTS);
}

/**
 * gst_offline_download_manager_new:
 * @data_dir: (nullable) (type filename): the data directory, %NULL for the default
 * @error: return location for a #GError
 *
 * Opens (creating it if needed) the data directory and starts the downloads
 * it has queued or that an earlier process left unfinished. To start
 * nothing, create it with g_initable_new() and
 * #GstOfflineDownloadManager:downloads-paused set. Opening the directory
 * (creating or migrating its databases) blocks the calling thread;
 * gst_offline_download_manager_new_async() does not.
 *
 * Returns: (transfer full) (nullable): the manager, or %NULL on error.
 */
GstOfflineDownloadManager *gst_offline_download_manager_new (const gchar *data_dir, GError **error)
{
  return GST_OFFLINE_DOWNLOAD_MANAGER (g_initable_new (GST_OFFLINE_TYPE_DOWNLOAD_MANAGER, nullptr, error,
      "data-dir", data_dir, nullptr));
}

/**
 * gst_offline_download_manager_new_async:
 * @data_dir: (nullable) (type filename): the data directory, %NULL for the default
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the manager once it is ready
 * @user_data: (closure): data for @callback
 *
 * As gst_offline_download_manager_new(), without blocking the calling
 * thread: opening the data directory (creating or migrating its index and
 * DRM store, which may wait for another process's lock) happens on another
 * thread. @callback is called in the thread-default main context of the
 * caller, where the manager will also emit its signals; it calls
 * gst_offline_download_manager_new_finish(). For other properties, use
 * g_async_initable_new_async() with #GST_OFFLINE_TYPE_DOWNLOAD_MANAGER.
 */
void gst_offline_download_manager_new_async (const gchar *data_dir, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  g_async_initable_new_async (GST_OFFLINE_TYPE_DOWNLOAD_MANAGER, G_PRIORITY_DEFAULT, cancellable, callback, user_data,
      "data-dir", data_dir, nullptr);
}

/**
 * gst_offline_download_manager_new_finish:
 * @result: the #GAsyncResult given to the callback of
 *   gst_offline_download_manager_new_async()
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the manager, or %NULL on error.
 */
GstOfflineDownloadManager *gst_offline_download_manager_new_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), nullptr);
  g_autoptr (GObject) source = g_async_result_get_source_object (result);
  g_return_val_if_fail (G_IS_ASYNC_INITABLE (source), nullptr);
  GObject *manager = g_async_initable_new_finish (G_ASYNC_INITABLE (source), result, error);
  return manager ? GST_OFFLINE_DOWNLOAD_MANAGER (manager) : nullptr;
}

/**
 * gst_offline_download_manager_new_with_licenses:
 * @data_dir: (nullable) (type filename): the data directory, %NULL for the default
 * @licenses: the license manager whose DRM store keeps the keys the
 *   downloads acquire (#GstOfflineDownloadManager:license-manager), for the
 *   same data directory
 * @error: return location for a #GError
 *
 * As gst_offline_download_manager_new(), with the application's license
 * manager: an application that keeps keys in a #GstOfflineDrmStore of its
 * own gives it to gst_offline_license_manager_new(), then that manager here.
 *
 * Returns: (transfer full) (nullable): the manager, or %NULL on error.
 */
GstOfflineDownloadManager *gst_offline_download_manager_new_with_licenses (const gchar *data_dir,
    GstOfflineLicenseManager *licenses, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_LICENSE_MANAGER (licenses), nullptr);
  return GST_OFFLINE_DOWNLOAD_MANAGER (g_initable_new (GST_OFFLINE_TYPE_DOWNLOAD_MANAGER, nullptr, error,
      "data-dir", data_dir, "license-manager", licenses, nullptr));
}

/**
 * gst_offline_download_manager_get_data_dir:
 * @self: a #GstOfflineDownloadManager
 *
 * Returns: (type filename): the data directory in use.
 */
const gchar *gst_offline_download_manager_get_data_dir (GstOfflineDownloadManager *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_MANAGER (self), nullptr);
  return self->core->data_dir.c_str ();
}

namespace {

/* The length of the presentation `wanted` names when it asks for a time
 * range of an adaptive presentation: what add () fits the range to before
 * it writes a row (a new download has no plan yet to tell it). Blocking:
 * the helper fetches the manifest (for an HLS master playlist, a variant's
 * media playlist too), which go to `documents` for the download to start
 * from rather than fetching them again. Unknown when the range needs no length, or the
 * manifest cannot be had or does not tell (the download then says why).
 * A live stream has no length and no times of its own to cut (a recording
 * starts at 0 with its first segment): a range of it is refused, in
 * `refusal`, before anything is recorded. */
std::optional<guint64> presentation_length (const DownloadRecord &wanted, GCancellable *cancellable,
    FetchedDocuments *documents, GError **refusal)
{
  GstOfflineDownloadType type = wanted.type == GST_OFFLINE_DOWNLOAD_TYPE_AUTO ? guess_download_type (wanted.uri)
                                                                              : wanted.type;
  if (!wanted.has_range () || type == GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE)
    return std::nullopt;
  g_autoptr (GstOfflineDownloadHelper) helper = gst_offline_download_helper_new (wanted.uri.c_str ());
  gst_offline_download_helper_set_download_type (helper, type);
  for (const std::string &header : wanted.headers)
    gst_offline_download_helper_add_header (helper, header.c_str (), nullptr);
  g_autoptr (GError) error = nullptr;
  if (!gst_offline_download_helper_prepare (helper, cancellable, &error)) {
    GST_INFO ("the length of %s is unknown: %s", wanted.uri.c_str (), error->message);
    return std::nullopt;
  }
  g_autoptr (GHashTable) fetched = gst_offline_download_helper_take_documents (helper);
  GHashTableIter iter;
  gpointer url, bytes;
  g_hash_table_iter_init (&iter, fetched);
  while (g_hash_table_iter_next (&iter, &url, &bytes)) {
    gsize size = 0;
    auto *data = static_cast<const char *> (g_bytes_get_data (static_cast<GBytes *> (bytes), &size));
    (*documents)[static_cast<const char *> (url)] = std::string (data ? data : "", size);
  }
  if (gst_offline_download_helper_is_live (helper)) {
    g_set_error (refusal, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
        "a time range needs a presentation that is not live: %s is a live stream, which is recorded from its live "
        "edge or its window's start for a live duration", wanted.uri.c_str ());
    return std::nullopt;
  }
  GstClockTime duration = gst_offline_download_helper_get_duration (helper);
  if (!GST_CLOCK_TIME_IS_VALID (duration))
    return std::nullopt;
  return duration;
}

}  // namespace

/**
 * gst_offline_download_manager_add_download:
 * @self: a #GstOfflineDownloadManager
 * @request: what to download (copied)
 * @error: return location for a #GError
 *
 * The blocking form of gst_offline_download_manager_add_download_async(),
 * for command-line tools: waits for the manager's worker to record the
 * download (which may wait for the database, and on a complete download
 * added again checks its files). An application on a main loop uses the
 * asynchronous form.
 *
 * Returns: (transfer full) (nullable): a snapshot of the download, or %NULL
 *   with the errors of gst_offline_download_manager_add_download_finish().
 */
GstOfflineDownload *gst_offline_download_manager_add_download (GstOfflineDownloadManager *self,
    GstOfflineDownloadRequest *request, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_MANAGER (self), nullptr);
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_REQUEST (request), nullptr);
  GstOfflineDownload *result = nullptr;
  ManagerCore *core = self->core;
  DownloadRecord wanted = download_request_record (request);
  FetchedDocuments documents;
  g_autoptr (GError) refusal = nullptr;
  std::optional<guint64> length = presentation_length (wanted, nullptr, &documents, &refusal);
  if (refusal) {
    g_propagate_error (error, g_steal_pointer (&refusal));
    return nullptr;
  }
  core->call ([&] () { result = core->add (std::move (wanted), length, std::move (documents), error); });
  return result;
}

/**
 * gst_offline_download_manager_add_download_async:
 * @self: a #GstOfflineDownloadManager
 * @request: what to download (copied)
 * @cancellable: (nullable): a #GCancellable: once cancelled, the download
 *   is not added if the worker has not added it yet
 * @callback: (scope async): called in the thread-default main context of
 *   the caller once the download is recorded (or refused)
 * @user_data: data for @callback
 *
 * Adds a download, or merges @request into the download with the same id
 * (the union of their tracks) and starts it again if it had ended. Returns
 * at once; the manager's worker does the work, reports the download with
 * #GstOfflineDownloadManager::download-changed, then calls @callback.
 *
 * A time range (gst_offline_download_request_set_time_range()) is fitted
 * to the presentation before anything is recorded: the manager reads its
 * length from the manifest (on a thread of GIO's pool; a download that has
 * a plan already tells it from the index; the download then starts from the
 * manifest read, not fetching it again), refuses with
 * %GST_OFFLINE_ERROR_INVALID_ARGUMENT a range that starts at or after the
 * end, naming both (no row, no file is left), and brings an end past the
 * end back to it (the request of the download returned says the range it
 * got). When the manifest cannot be had, the range is taken as it is and
 * the download fails if it starts past the end. A range of a live stream
 * is refused with %GST_OFFLINE_ERROR_INVALID_ARGUMENT: it has no length,
 * and a recording is cut by its live duration instead. It widens the download's
 * range to hold both, and only the segments missing are fetched. A
 * wider range for a download that runs takes effect at once: the index
 * row gets it, and the process running the download (this one or another;
 * @callback gets %GST_OFFLINE_ERROR_BUSY then, and the row tells the range)
 * starts it again with it.
 *
 * The id is derived from the URI if the request has none. A complete
 * download whose tracks do not change stays complete, unless files of it
 * went missing or short since (what gst_offline_cache_verify() reports):
 * those are fetched again. A failed download of another URI gives its id up
 * to @request (its data is removed). A request of type
 * %GST_OFFLINE_DOWNLOAD_TYPE_AUTO takes the type its URI's suffix says,
 * else progressive: gst_offline_download_helper_prepare_async() tells it
 * from the content.
 */
void gst_offline_download_manager_add_download_async (GstOfflineDownloadManager *self,
    GstOfflineDownloadRequest *request, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (GST_OFFLINE_IS_DOWNLOAD_MANAGER (self));
  g_return_if_fail (GST_OFFLINE_IS_DOWNLOAD_REQUEST (request));
  g_return_if_fail (cancellable == nullptr || G_IS_CANCELLABLE (cancellable));
  auto call = AsyncCall::create (self, cancellable, callback, user_data,
      reinterpret_cast<gpointer> (gst_offline_download_manager_add_download_async));
  ManagerCore *core = self->core;
  /* The call's task holds the manager, and so the core, until answered. */
  auto add = [core, call] (DownloadRecord wanted, std::optional<guint64> length, FetchedDocuments documents) {
    core->post ([core, call, wanted = std::move (wanted), length, documents = std::move (documents)] () mutable {
      if (call->cancelled ())
        return;  /* answered on the caller's side */
      g_autoptr (GError) error = nullptr;
      GstOfflineDownload *download = core->add (std::move (wanted), length, std::move (documents), &error);
      AsyncCall::return_download (call, download, error);
    });
  };
  DownloadRecord wanted = download_request_record (request);
  if (!wanted.has_range ()) {
    add (std::move (wanted), std::nullopt, {});
    return;
  }
  /* A time range is fitted to the presentation's length, which its
   * manifest tells: fetched on a thread of GIO's pool, not the worker's. */
  struct Learn {
    DownloadRecord wanted;
    std::function<void (DownloadRecord, std::optional<guint64>, FetchedDocuments)> add;
    std::function<void (const GError *)> refuse;
  };
  auto refuse = [call] (const GError *refusal) { AsyncCall::return_download (call, nullptr, refusal); };
  g_autoptr (GTask) learn = g_task_new (nullptr, cancellable, nullptr, nullptr);
  g_task_set_task_data (learn, new Learn { std::move (wanted), std::move (add), std::move (refuse) },
      [] (gpointer data) { delete static_cast<Learn *> (data); });
  g_task_run_in_thread (learn, [] (GTask *task, gpointer, gpointer data, GCancellable *cancellable) {
    auto learn = static_cast<Learn *> (data);
    FetchedDocuments documents;
    g_autoptr (GError) refusal = nullptr;
    std::optional<guint64> length = presentation_length (learn->wanted, cancellable, &documents, &refusal);
    if (refusal)
      learn->refuse (refusal);
    else
      learn->add (std::move (learn->wanted), length, std::move (documents));
    g_task_return_boolean (task, TRUE);
  });
}

/**
 * gst_offline_download_manager_add_download_finish:
 * @self: a #GstOfflineDownloadManager
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): a snapshot of the download as it was
 *   recorded, or %NULL with %GST_OFFLINE_ERROR_INVALID_ARGUMENT (bad URI or
 *   id, an id used for another URI, a time range that is empty or starts
 *   past the end), %GST_OFFLINE_ERROR_UNSUPPORTED (a type this version
 *   cannot download), %GST_OFFLINE_ERROR_BUSY (another process is
 *   downloading it) or %G_IO_ERROR_CANCELLED.
 */
GstOfflineDownload *gst_offline_download_manager_add_download_finish (GstOfflineDownloadManager *self,
    GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_MANAGER (self), nullptr);
  g_return_val_if_fail (g_task_is_valid (result, self), nullptr);
  return GST_OFFLINE_DOWNLOAD (g_task_propagate_pointer (G_TASK (result), error));
}

/**
 * gst_offline_download_manager_remove_download:
 * @self: a #GstOfflineDownloadManager
 * @id: a download id
 * @error: return location for a #GError
 *
 * Removes a download; returns at once. The manager's worker marks it
 * %GST_OFFLINE_DOWNLOAD_STATE_REMOVING, stops it if it runs, forgets every
 * resource that only it uses and removes it from the index
 * (#GstOfflineDownloadManager::download-removed), then deletes those
 * resources' files on a thread of its own. If another process is
 * downloading it, that process removes it as soon as it sees the change. An unknown id
 * changes nothing: gst_offline_download_manager_remove_download_async()
 * says so, and says when the download is gone.
 *
 * Returns: %FALSE (with %GST_OFFLINE_ERROR_INVALID_ARGUMENT) only if @id
 *   cannot name a download.
 */
gboolean gst_offline_download_manager_remove_download (GstOfflineDownloadManager *self, const gchar *id, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_MANAGER (self), FALSE);
  g_return_val_if_fail (id != nullptr, FALSE);
  if (!check_download_id (id, error))
    return FALSE;
  ManagerCore *core = self->core;
  core->post ([core, id = std::string (id)] () { core->remove (id, nullptr); });
  return TRUE;
}

/**
 * gst_offline_download_manager_remove_download_async:
 * @self: a #GstOfflineDownloadManager
 * @id: a download id
 * @cancellable: (nullable): a #GCancellable: cancelling it stops the wait,
 *   not the removal
 * @callback: (scope async): called in the thread-default main context of
 *   the caller once the download and its files are gone (or the removal
 *   failed)
 * @user_data: data for @callback
 *
 * Removes a download as gst_offline_download_manager_remove_download() does
 * and tells when it is gone: its index entry and the files only it used. A
 * download another process is downloading is gone when that process has
 * removed it.
 */
void gst_offline_download_manager_remove_download_async (GstOfflineDownloadManager *self, const gchar *id,
    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (GST_OFFLINE_IS_DOWNLOAD_MANAGER (self));
  g_return_if_fail (id != nullptr);
  g_return_if_fail (cancellable == nullptr || G_IS_CANCELLABLE (cancellable));
  auto call = AsyncCall::create (self, cancellable, callback, user_data,
      reinterpret_cast<gpointer> (gst_offline_download_manager_remove_download_async));
  g_autoptr (GError) error = nullptr;
  if (!check_download_id (id, &error)) {
    AsyncCall::return_boolean (call, error);
    return;
  }
  ManagerCore *core = self->core;
  core->post ([core, call, id = std::string (id)] () { core->remove (id, call); });
}

/**
 * gst_offline_download_manager_remove_download_finish:
 * @self: a #GstOfflineDownloadManager
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE once the download is gone; %FALSE with
 *   %GST_OFFLINE_ERROR_NOT_FOUND (no such download),
 *   %GST_OFFLINE_ERROR_INVALID_ARGUMENT (not a download id),
 *   %G_IO_ERROR_CANCELLED (the wait was cancelled; the removal goes on) or
 *   the error that stopped the removal.
 */
gboolean gst_offline_download_manager_remove_download_finish (GstOfflineDownloadManager *self, GAsyncResult *result,
    GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_MANAGER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * gst_offline_download_manager_get_download:
 * @self: a #GstOfflineDownloadManager
 * @id: a download id
 * @error: return location for a #GError
 *
 * Reads a download from the index, with the progress of the manager's
 * running downloads, without waiting for the manager's worker: what a
 * command changed shows once the worker has done it (a signal says when).
 *
 * Returns: (transfer full) (nullable): a snapshot of the download as it is
 *   now, or %NULL with %GST_OFFLINE_ERROR_NOT_FOUND.
 */
GstOfflineDownload *gst_offline_download_manager_get_download (GstOfflineDownloadManager *self, const gchar *id, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_MANAGER (self), nullptr);
  g_return_val_if_fail (id != nullptr, nullptr);
  ManagerCore *core = self->core;
  if (GstOfflineDownload *running = core->live_snapshot (id))
    return running;
  g_mutex_lock (&core->reader_lock);
  GstOfflineDownload *result = gst_offline_download_index_get_download (core->reader.get (), id, error);
  g_mutex_unlock (&core->reader_lock);
  return result;
}

/**
 * gst_offline_download_manager_get_downloads:
 * @self: a #GstOfflineDownloadManager
 * @error: return location for a #GError
 *
 * Reads every download as gst_offline_download_manager_get_download() does.
 *
 * Returns: (transfer container) (element-type GstOfflineDownload) (nullable):
 *   snapshots of every download, oldest first.
 */
GPtrArray *gst_offline_download_manager_get_downloads (GstOfflineDownloadManager *self, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_MANAGER (self), nullptr);
  ManagerCore *core = self->core;
  g_mutex_lock (&core->reader_lock);
  GPtrArray *result = gst_offline_download_index_get_downloads (core->reader.get (), error);
  g_mutex_unlock (&core->reader_lock);
  for (guint i = 0; result && i < result->len; i++) {
    auto stored = GST_OFFLINE_DOWNLOAD (g_ptr_array_index (result, i));
    if (GstOfflineDownload *running = core->live_snapshot (gst_offline_download_get_id (stored))) {
      g_object_unref (stored);
      result->pdata[i] = running;
    }
  }
  return result;
}

/**
 * gst_offline_download_manager_set_stop_reason:
 * @self: a #GstOfflineDownloadManager
 * @id: (nullable): a download id, or %NULL for every download
 * @stop_reason: the reason, %GST_OFFLINE_STOP_REASON_NONE to clear it
 * @error: return location for a #GError
 *
 * Persists a stop reason; returns at once. On the manager's worker, a
 * running download with one stops (its data kept, its state
 * %GST_OFFLINE_DOWNLOAD_STATE_STOPPED), a stopped one without one is queued
 * again, and #GstOfflineDownloadManager::download-changed reports each
 * download changed. Managers in other processes see it too, as soon as
 * the change is committed. An unknown id changes nothing (a warning is logged);
 * gst_offline_download_index_set_stop_reason() is the blocking form that
 * reports it.
 *
 * Returns: %FALSE (with %GST_OFFLINE_ERROR_INVALID_ARGUMENT) only if @id
 *   cannot name a download.
 */
gboolean gst_offline_download_manager_set_stop_reason (GstOfflineDownloadManager *self, const gchar *id,
    guint stop_reason, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_MANAGER (self), FALSE);
  if (id && !check_download_id (id, error))
    return FALSE;
  ManagerCore *core = self->core;
  core->post ([core, id = std::string (id ? id : ""), stop_reason] () { core->set_stop_reason (id, stop_reason); });
  return TRUE;
}

/**
 * gst_offline_download_manager_get_not_met_requirements:
 * @self: a #GstOfflineDownloadManager
 *
 * Returns: the requirements that hold downloads back now, as the manager
 *   last found them (downloads from loopback hosts need no network even
 *   when this says so).
 */
GstOfflineRequirements gst_offline_download_manager_get_not_met_requirements (GstOfflineDownloadManager *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_MANAGER (self), GST_OFFLINE_REQUIREMENTS_NONE);
  return static_cast<GstOfflineRequirements> (self->core->not_met_now.load ());
}

/**
 * gst_offline_download_manager_pause_downloads:
 * @self: a #GstOfflineDownloadManager
 *
 * Stops every running download of this manager (they become queued, their
 * data kept) and starts no other until
 * gst_offline_download_manager_resume_downloads(). Returns at once; each
 * download that stops is reported by
 * #GstOfflineDownloadManager::download-changed.
 */
void gst_offline_download_manager_pause_downloads (GstOfflineDownloadManager *self)
{
  g_return_if_fail (GST_OFFLINE_IS_DOWNLOAD_MANAGER (self));
  ManagerCore *core = self->core;
  self->paused = TRUE;
  core->post ([core] () { core->paused = true; core->sync_tasks (); });
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DOWNLOADS_PAUSED]);
}

/**
 * gst_offline_download_manager_resume_downloads:
 * @self: a #GstOfflineDownloadManager
 *
 * Lets this manager run downloads again. Returns at once.
 */
void gst_offline_download_manager_resume_downloads (GstOfflineDownloadManager *self)
{
  g_return_if_fail (GST_OFFLINE_IS_DOWNLOAD_MANAGER (self));
  ManagerCore *core = self->core;
  self->paused = FALSE;
  core->post ([core] () { core->paused = false; core->sync_tasks (); });
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DOWNLOADS_PAUSED]);
}

/**
 * gst_offline_download_manager_is_idle:
 * @self: a #GstOfflineDownloadManager
 *
 * Returns: %TRUE if this manager runs no download now (as its worker last
 *   reported: a download added a moment ago may not have started yet).
 */
gboolean gst_offline_download_manager_is_idle (GstOfflineDownloadManager *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_DOWNLOAD_MANAGER (self), TRUE);
  return self->core->idle_now.load ();
}

namespace gst_offline {

GstOfflineDownloadManager *download_manager_new_with_factory (DownloaderFactory factory, GError **error,
    const char *first_property_name, ...)
{
  va_list args;
  va_start (args, first_property_name);
  auto self = GST_OFFLINE_DOWNLOAD_MANAGER (g_object_new_valist (GST_OFFLINE_TYPE_DOWNLOAD_MANAGER,
      first_property_name, args));
  va_end (args);
  self->core->factory = std::move (factory);
  if (!g_initable_init (G_INITABLE (self), nullptr, error)) {
    g_object_unref (self);
    return nullptr;
  }
  return self;
}

}  // namespace gst_offline
