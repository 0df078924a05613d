/* Deferring work to the thread-default main context.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include <functional>

namespace gst_offline {

/* Runs `fn` from the thread-default main context's next iteration, never
 * before returning: unlike g_main_context_invoke(), which calls at once on
 * the context's own thread, so a completion that starts more work cannot
 * recurse. */
inline void run_later (std::function<void ()> fn)
{
  GSource *idle = g_idle_source_new ();
  g_source_set_callback (idle,
      [] (gpointer data) -> gboolean {
        (*static_cast<std::function<void ()> *> (data)) ();
        return G_SOURCE_REMOVE;
      },
      new std::function<void ()> (std::move (fn)),
      [] (gpointer data) { delete static_cast<std::function<void ()> *> (data); });
  g_source_attach (idle, g_main_context_get_thread_default ());
  g_source_unref (idle);
}

}  // namespace gst_offline
