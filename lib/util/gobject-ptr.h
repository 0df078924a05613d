/* RAII owners for GLib/GObject pointers held in C++ members and containers.
 * For locals, g_autoptr/g_autofree are used directly.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>
#include <memory>

namespace gst_offline {

struct GObjectUnref {
  void operator() (gpointer object) const { if (object) g_object_unref (object); }
};
template <typename T> using GObjectPtr = std::unique_ptr<T, GObjectUnref>;

/* Takes a new reference. */
template <typename T> GObjectPtr<T> ref_object (T *object)
{
  return GObjectPtr<T> (object ? static_cast<T *> (g_object_ref (object)) : nullptr);
}

struct GErrorFree {
  void operator() (GError *error) const { if (error) g_error_free (error); }
};
using GErrorPtr = std::unique_ptr<GError, GErrorFree>;

struct GMainContextUnref {
  void operator() (GMainContext *context) const { if (context) g_main_context_unref (context); }
};
using GMainContextPtr = std::unique_ptr<GMainContext, GMainContextUnref>;

struct GBytesUnref {
  void operator() (GBytes *bytes) const { if (bytes) g_bytes_unref (bytes); }
};
using GBytesPtr = std::unique_ptr<GBytes, GBytesUnref>;

}  // namespace gst_offline
