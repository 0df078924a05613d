/* Fake downloaders for manager tests (through the manager's private
 * DownloaderFactory seam): where timing is what a test looks at, a fake that
 * the test drives replaces a rate-limited server. A fake can hold the
 * manager's worker thread in start() until the test releases it, which shows
 * without any clock that a call returned while the worker was busy.
 * Only for tests that link the library's static archive.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "manager/download-manager-private.h"
#include "util/main-context.h"

#include <gst/check/gstcheck.h>

#include <map>
#include <memory>
#include <string>

namespace ot {

/* What the test knows of the fakes a manager started, and how it drives
 * them. Every method may be called from the test's thread; the fakes run on
 * the manager's worker. */
class FakeDownloads {
 public:
  FakeDownloads ()
  {
    g_mutex_init (&lock_);
    g_cond_init (&cond_);
  }
  ~FakeDownloads ()
  {
    for (auto &started : started_)
      g_main_context_unref (started.second.context);
    g_cond_clear (&cond_);
    g_mutex_clear (&lock_);
  }

  /* Holds the worker in the next start() until release_worker (). */
  void hold_worker ()
  {
    g_mutex_lock (&lock_);
    hold_ = true;
    g_mutex_unlock (&lock_);
  }
  /* Waits until a start() holds the worker. */
  void wait_worker_held ()
  {
    g_mutex_lock (&lock_);
    while (!held_)
      g_cond_wait (&cond_, &lock_);
    g_mutex_unlock (&lock_);
  }
  void release_worker ()
  {
    g_mutex_lock (&lock_);
    hold_ = false;
    g_cond_broadcast (&cond_);
    g_mutex_unlock (&lock_);
  }
  /* Whether cancelling a fake ends it at once (true) or only once the test
   * finishes it. */
  void set_end_on_cancel (bool end) { end_on_cancel_ = end; }

  /* How many times download `id` was started. */
  guint starts (const std::string &id)
  {
    g_mutex_lock (&lock_);
    auto found = started_.find (id);
    guint count = found != started_.end () ? found->second.count : 0;
    g_mutex_unlock (&lock_);
    return count;
  }

  /* Waits until download `id` has been started `count` times (its
   * download-changed signal may come just before the start). */
  void wait_starts (const std::string &id, guint count)
  {
    g_mutex_lock (&lock_);
    while (started_[id].count < count)
      g_cond_wait (&cond_, &lock_);
    g_mutex_unlock (&lock_);
  }

  /* Reports `bytes` of `total` for the running fake of `id`. */
  void progress (const std::string &id, guint64 bytes, gint64 total)
  {
    run_on_worker (id, [bytes, total] (Running &running) {
      gst_offline::DownloadProgress progress;
      progress.bytes = bytes;
      progress.content_length = total;
      progress.estimated_length = total;
      progress.percent = total > 0 ? 100.0 * bytes / total : -1;
      if (running.progress)
        running.progress (progress);
    });
  }
  /* Ends the running fake of `id`: complete without `code`, else failed
   * with GST_OFFLINE_ERROR `code`, or cancelled with code < 0. */
  void finish (const std::string &id, gint code = 0)
  {
    g_autoptr (GError) error = nullptr;
    if (code < 0)
      error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
    else if (code > 0)
      error = g_error_new (GST_OFFLINE_ERROR, code, "the fake failed");
    end_with (id, error);
  }
  /* Ends the running fake of `id` with `error` as it is, data and all
   * (copied; NULL: complete). */
  void end_with (const std::string &id, const GError *failure)
  {
    GError *copy = failure ? g_error_copy (failure) : nullptr;
    run_on_worker (id, [copy] (Running &running) {
      g_autoptr (GError) error = copy;
      auto done = std::move (running.done);
      running.done = nullptr;
      running.progress = nullptr; /* its task ends with it */
      if (done)
        done (error);
    });
  }

  gst_offline::DownloaderFactory factory ()
  {
    return [this] (const gst_offline::DownloadRecord &record, const gst_offline::DownloaderContext &, GError **) {
      return std::unique_ptr<gst_offline::Downloader> (new Fake (this, record.id));
    };
  }

 private:
  struct Running {
    gst_offline::Downloader::ProgressFn progress;
    gst_offline::Downloader::DoneFn done;
  };
  struct Started {
    guint count = 0;
    GMainContext *context = nullptr;
    std::shared_ptr<Running> running;
  };

  class Fake : public gst_offline::Downloader {
   public:
    Fake (FakeDownloads *owner, std::string id) : owner_ (owner), id_ (std::move (id)) {}
    ~Fake () override
    {
      if (handler_)
        g_cancellable_disconnect (cancellable_, handler_);
    }
    void start (GCancellable *cancellable, ProgressFn progress, DoneFn done) override
    {
      auto running = std::make_shared<Running> (Running { std::move (progress), std::move (done) });
      owner_->started (id_, running);
      if (owner_->end_on_cancel_) {
        cancellable_ = cancellable;
        /* Ends from the worker's loop, never inside the cancel call. */
        handler_ = g_cancellable_connect (cancellable, G_CALLBACK (+[] (GCancellable *, gpointer data) {
          auto self = static_cast<Fake *> (data);
          self->owner_->finish (self->id_, -1);
        }), this, nullptr);
      }
    }

   private:
    FakeDownloads *owner_;
    std::string id_;
    GCancellable *cancellable_ = nullptr;
    gulong handler_ = 0;
  };

  void started (const std::string &id, std::shared_ptr<Running> running)
  {
    g_mutex_lock (&lock_);
    Started &entry = started_[id];
    entry.count++;
    if (!entry.context)
      entry.context = g_main_context_ref_thread_default ();
    entry.running = std::move (running);
    g_cond_broadcast (&cond_);
    if (hold_) {
      held_ = true;
      g_cond_broadcast (&cond_);
      while (hold_)
        g_cond_wait (&cond_, &lock_);
      held_ = false;
    }
    g_mutex_unlock (&lock_);
  }

  /* Runs `fn` on the worker with the fake of `id` that runs when it gets
   * there: a restarted download's new one, even when the test saw its
   * restart (the state signal goes out just before start()). */
  template <typename Fn> void run_on_worker (const std::string &id, Fn fn)
  {
    g_mutex_lock (&lock_);
    auto found = started_.find (id);
    fail_unless (found != started_.end (), "no fake downloader of %s was started", id.c_str ());
    GMainContext *context = found->second.context;
    g_mutex_unlock (&lock_);
    gst_offline::run_on (context, [this, id, fn] () {
      g_mutex_lock (&lock_);
      std::shared_ptr<Running> running = started_[id].running;
      g_mutex_unlock (&lock_);
      fn (*running);
    });
  }

  GMutex lock_;
  GCond cond_;
  bool hold_ = false;
  bool held_ = false;
  bool end_on_cancel_ = true;
  std::map<std::string, Started> started_;
};

}  // namespace ot
