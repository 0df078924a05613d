/* RAII owners for what C++ members and containers hold: GObjects,
 * GstObjects, GstMiniObjects, main contexts, errors and file descriptors. Header
 * only, shared by the library and the plugin. For locals, g_autoptr and
 * g_autofree serve.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

#include <memory>
#include <unistd.h>

namespace gst_offline {

struct GObjectUnref {
  void operator() (gpointer object) const { g_object_unref (object); }
};
/* A strong reference to a GObject. */
template <typename T> using GObjectPtr = std::unique_ptr<T, GObjectUnref>;

struct GstObjectUnref {
  void operator() (gpointer object) const { gst_object_unref (object); }
};
/* A strong reference to a GstObject (pad, element, ...). */
template <typename T> using GstObjectPtr = std::unique_ptr<T, GstObjectUnref>;

struct GstMiniObjectUnref {
  void operator() (gpointer object) const { gst_mini_object_unref (GST_MINI_OBJECT_CAST (object)); }
};
/* A strong reference to a GstMiniObject (event, buffer, query, ...). */
template <typename T> using GstMiniObjectPtr = std::unique_ptr<T, GstMiniObjectUnref>;

struct GMainContextUnref {
  void operator() (GMainContext *context) const { g_main_context_unref (context); }
};
using GMainContextPtr = std::unique_ptr<GMainContext, GMainContextUnref>;

struct GErrorFree {
  void operator() (GError *error) const { g_error_free (error); }
};
using GErrorPtr = std::unique_ptr<GError, GErrorFree>;

/* A file descriptor, closed on destruction. */
class UniqueFd {
 public:
  UniqueFd () = default;
  explicit UniqueFd (int fd) : fd_ (fd) {}
  UniqueFd (UniqueFd &&other) noexcept : fd_ (other.release ()) {}
  UniqueFd &operator= (UniqueFd &&other) noexcept
  {
    if (this != &other)
      reset (other.release ());
    return *this;
  }
  UniqueFd (const UniqueFd &) = delete;
  UniqueFd &operator= (const UniqueFd &) = delete;
  ~UniqueFd () { reset (); }

  int get () const { return fd_; }
  explicit operator bool () const { return fd_ >= 0; }

  int release ()
  {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

  void reset (int fd = -1)
  {
    if (fd_ >= 0)
      close (fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace gst_offline
