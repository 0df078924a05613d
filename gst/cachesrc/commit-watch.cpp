/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "commit-watch.h"

#include <gst/gst.h>
#include <glib-unix.h>

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>

GST_DEBUG_CATEGORY_EXTERN (gst_cache_src_debug);
#define GST_CAT_DEFAULT gst_cache_src_debug

namespace gst_offline {

bool
is_being_fetched (GstOfflineDownloadState state)
{
  return state == GST_OFFLINE_DOWNLOAD_STATE_DOWNLOADING || state == GST_OFFLINE_DOWNLOAD_STATE_QUEUED
      || state == GST_OFFLINE_DOWNLOAD_STATE_RESTARTING;
}

std::string
how_to_go_on (GstOfflineDownloadState state, const std::string &id)
{
  if (state == GST_OFFLINE_DOWNLOAD_STATE_FAILED)
    return "run its 'gst-offline download' command again to go on";
  if (is_being_fetched (state)) /* queued, or left downloading by a process that died */
    return "no process downloads it now: resume it with its 'gst-offline download' command or 'gst-offline daemon'";
  return "resume it with 'gst-offline resume " + id + "'";
}

CommitWatch::CommitWatch (const std::string &signal_path, const std::string &lock_dir,
    std::function<void ()> on_commit)
    : path_ (signal_path),
      lock_dir_ (lock_dir),
      on_commit_ (std::move (on_commit)),
      context_ (g_main_context_new ()),
      loop_ (g_main_loop_new (context_, FALSE))
{
  thread_ = g_thread_new ("cachesrc-commits", &CommitWatch::run, this);
  std::unique_lock<std::mutex> lock (mutex_);
  started_.wait (lock, [this] { return ready_; });
}

CommitWatch::~CommitWatch ()
{
  g_main_context_invoke (context_, [] (gpointer loop) -> gboolean {
    g_main_loop_quit (static_cast<GMainLoop *> (loop));
    return G_SOURCE_REMOVE;
  }, loop_);
  g_thread_join (thread_);
  g_main_loop_unref (loop_);
  g_main_context_unref (context_);
}

gpointer
CommitWatch::run (gpointer data)
{
  auto *self = static_cast<CommitWatch *> (data);
  g_main_context_push_thread_default (self->context_);
  /* A file monitor watches the file's directory for its name: it need not
   * exist yet (a reader creates nothing in the data directory). */
  g_autoptr (GFile) file = g_file_new_for_path (self->path_.c_str ());
  g_autoptr (GError) error = nullptr;
  GFileMonitor *monitor = g_file_monitor_file (file, G_FILE_MONITOR_NONE, nullptr, &error);
  if (monitor) {
    g_signal_connect (monitor, "changed", G_CALLBACK (+[] (GFileMonitor *, GFile *, GFile *, GFileMonitorEvent,
        gpointer data) { static_cast<CommitWatch *> (data)->on_commit_ (); }), self);
  } else {
    GST_WARNING ("cannot watch %s for commits to the index: %s", self->path_.c_str (), error->message);
  }
  /* The lock folder by inotify itself: GFileMonitor tells of a close only
   * after a change it saw, and a lock file's holder writes nothing. */
  int locks = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
  GSource *locks_source = nullptr;
  if (locks >= 0 && inotify_add_watch (locks, self->lock_dir_.c_str (), IN_CLOSE_WRITE) >= 0) {
    locks_source = g_unix_fd_source_new (locks, G_IO_IN);
    g_source_set_callback (locks_source, G_SOURCE_FUNC (+[] (gint fd, GIOCondition, gpointer data) -> gboolean {
      alignas (struct inotify_event) char events[4096];
      while (read (fd, events, sizeof events) > 0)
        ;
      static_cast<CommitWatch *> (data)->on_commit_ ();
      return G_SOURCE_CONTINUE;
    }), self, nullptr);
    g_source_attach (locks_source, self->context_);
  } else {
    GST_INFO ("cannot watch %s for downloaders that stop: %s", self->lock_dir_.c_str (), g_strerror (errno));
  }
  {
    std::lock_guard<std::mutex> lock (self->mutex_);
    self->ready_ = true;
  }
  self->started_.notify_all ();
  g_main_loop_run (self->loop_);
  if (monitor) {
    g_signal_handlers_disconnect_by_data (monitor, self);
    g_file_monitor_cancel (monitor);
    g_object_unref (monitor);
  }
  if (locks_source) {
    g_source_destroy (locks_source);
    g_source_unref (locks_source);
  }
  if (locks >= 0)
    close (locks);
  /* What the monitor still had queued for this context. */
  while (g_main_context_iteration (self->context_, FALSE))
    ;
  g_main_context_pop_thread_default (self->context_);
  return nullptr;
}

} // namespace gst_offline
