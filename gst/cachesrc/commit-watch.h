/* Learns of every commit to the index, whichever process makes it.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>

namespace gst_offline {

/* Calls `on_commit` (on a thread of its own) each time the index's commit
 * signal file (gst_offline_download_index_get_commit_signal_path()) is
 * written: every connection to the index announces its commits there, in
 * this process and in others (the download managers watch it the same
 * way). A GFileMonitor on a thread running its own main context: the
 * streaming threads that wait for the download are woken, nothing polls.
 * Watching starts before the constructor returns, so a commit made after
 * it is never missed. */
class CommitWatch {
public:
  CommitWatch (const std::string &signal_path, std::function<void ()> on_commit);
  ~CommitWatch ();

  CommitWatch (const CommitWatch &) = delete;
  CommitWatch &operator= (const CommitWatch &) = delete;

  /* Whether the file is watched (a data directory where inotify cannot
   * watch it: commits are then seen only when something else wakes). */
  bool watching () const { return watching_; }

private:
  static gpointer run (gpointer data);

  std::string path_;
  std::function<void ()> on_commit_;
  GMainContext *context_;
  GMainLoop *loop_;
  GThread *thread_ = nullptr;
  std::mutex mutex_;
  std::condition_variable started_;
  bool ready_ = false;
  bool watching_ = false;
};

} // namespace gst_offline
