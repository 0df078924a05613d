/* Learns of every commit to the index, whichever process makes it.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <gst/offline/offline.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>

namespace gst_offline {

/* Whether a download in `state` is to be fetched: queued, downloading (the
 * index reads one whose process died as queued) or restarting. What it
 * lacks is waited for while a process fetches it or holds it in its queue
 * (gst_offline_download_index_is_fetched()); what any other lacks, or one
 * that nobody fetches, is an error. */
bool is_being_fetched (GstOfflineDownloadState state);

/* How to go on with download `id` in `state`, that nobody fetches now: the
 * end of the error of a player that meets what it lacks. */
std::string how_to_go_on (GstOfflineDownloadState state, const std::string &id);

/* Calls `on_commit` (on a thread of its own) each time the index's commit
 * signal file (gst_offline_download_index_get_commit_signal_path()) is
 * written: every connection to the index announces its commits there, in
 * this process and in others (the download managers watch it the same
 * way). A GFileMonitor on a thread running its own main context: the
 * streaming threads that wait for the download are woken, nothing polls.
 * It calls it too when a process lets go of a download's lock or claim
 * (an IN_CLOSE_WRITE in `lock_dir`, gst_offline_download_index_get_lock_dir()),
 * which the kernel does for a process that dies: the waiting streams
 * look again whether anyone still fetches the download. (Where inotify
 * cannot watch, or tells of the close an instant before the lock is gone,
 * the waiters' look a second makes up for it.)
 * Watching starts before the constructor returns, so a commit made after
 * it is never missed. */
class CommitWatch {
public:
  CommitWatch (const std::string &signal_path, const std::string &lock_dir, std::function<void ()> on_commit);
  ~CommitWatch ();

  CommitWatch (const CommitWatch &) = delete;
  CommitWatch &operator= (const CommitWatch &) = delete;

private:
  static gpointer run (gpointer data);

  std::string path_;
  std::string lock_dir_;
  std::function<void ()> on_commit_;
  GMainContext *context_;
  GMainLoop *loop_;
  GThread *thread_ = nullptr;
  std::mutex mutex_;
  std::condition_variable started_;
  bool ready_ = false;
};

} // namespace gst_offline
