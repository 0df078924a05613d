/* gst-offline CLI: GLib connections that end with their C++ scope, so no
 * early return leaves a handler pointing at a dead stack frame.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>
#include <glib-unix.h>

namespace cli {

/* A signal handler, disconnected when it goes out of scope. */
class SignalConnection {
 public:
  SignalConnection (gpointer instance, const char *signal, GCallback callback, gpointer data)
      : instance_ (instance), id_ (g_signal_connect (instance, signal, callback, data))
  {
  }
  ~SignalConnection () { g_signal_handler_disconnect (instance_, id_); }
  SignalConnection (const SignalConnection &) = delete;
  SignalConnection &operator= (const SignalConnection &) = delete;

 private:
  gpointer instance_;
  gulong id_;
};

/* A SIGINT/SIGTERM handler on the main context while in scope. */
class UnixSignalWatch {
 public:
  UnixSignalWatch (int signum, GSourceFunc callback, gpointer data) : id_ (g_unix_signal_add (signum, callback, data)) {}
  ~UnixSignalWatch () { g_source_remove (id_); }
  UnixSignalWatch (const UnixSignalWatch &) = delete;
  UnixSignalWatch &operator= (const UnixSignalWatch &) = delete;

 private:
  guint id_;
};

}  // namespace cli
