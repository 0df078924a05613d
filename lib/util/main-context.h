/* Deferring work to the thread-default main context.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include <functional>

namespace gst_offline {

/* Runs `fn` from `context`'s next iteration, on the thread that iterates
 * it, never before returning: unlike g_main_context_invoke(), which calls
 * at once when it can (on the context's own thread, or in the calling
 * thread when it can acquire the context), so a completion that starts more
 * work cannot recurse, and work meant for another thread never runs in the
 * caller's. */
inline void run_on (GMainContext *context, std::function<void ()> fn)
{
  GSource *idle = g_idle_source_new ();
  g_source_set_callback (idle,
      [] (gpointer data) -> gboolean {
        (*static_cast<std::function<void ()> *> (data)) ();
        return G_SOURCE_REMOVE;
      },
      new std::function<void ()> (std::move (fn)),
      [] (gpointer data) { delete static_cast<std::function<void ()> *> (data); });
  g_source_attach (idle, context);
  g_source_unref (idle);
}

/* Runs `fn` from the thread-default main context's next iteration. */
inline void run_later (std::function<void ()> fn)
{
  run_on (g_main_context_get_thread_default (), std::move (fn));
}

/* Runs `fn` on the thread-default main context after `delay_ms`, or as soon
 * as `cancellable` is cancelled, whichever comes first; `fn` is told which. */
inline void run_after (guint delay_ms, GCancellable *cancellable, std::function<void (bool cancelled)> fn)
{
  struct Call {
    std::function<void (bool)> fn;
    GCancellable *cancellable;
  };
  GSource *timeout = g_timeout_source_new (delay_ms);
  GSource *cancelled = g_cancellable_source_new (cancellable);
  g_source_set_dummy_callback (cancelled);
  g_source_add_child_source (timeout, cancelled);
  g_source_unref (cancelled);
  g_source_set_callback (timeout,
      [] (gpointer data) -> gboolean {
        auto call = static_cast<Call *> (data);
        call->fn (g_cancellable_is_cancelled (call->cancellable));
        return G_SOURCE_REMOVE;
      },
      new Call { std::move (fn), G_CANCELLABLE (g_object_ref (cancellable)) },
      [] (gpointer data) {
        auto call = static_cast<Call *> (data);
        g_object_unref (call->cancellable);
        delete call;
      });
  g_source_attach (timeout, g_main_context_get_thread_default ());
  g_source_unref (timeout);
}

}  // namespace gst_offline
