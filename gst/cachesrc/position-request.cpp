/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "position-request.h"

#include <gst/offline/offline-playback-private.h>
#include "util/handles.h"

#include <mutex>
#include <optional>

GST_DEBUG_CATEGORY_EXTERN (gst_cache_src_debug);
#define GST_CAT_DEFAULT gst_cache_src_debug

namespace gst_offline {

struct PositionRequest::State {
  GstElement *element; /* not owned: gst_element_call_async() holds it while write() runs */
  const std::string data_dir;
  const std::string download_id;
  std::mutex mutex; /* guards the two below */
  std::optional<GstClockTime> pending;
  bool writing = false;
  GObjectPtr<GstOfflineDownloadIndex> index; /* write()'s own connection, made at its first call */
};

PositionRequest::PositionRequest (GstElement *element, std::string data_dir, std::string download_id)
    : state_ (new State { element, std::move (data_dir), std::move (download_id), {}, {}, false, nullptr })
{
}

void
PositionRequest::send (GstClockTime position)
{
  std::lock_guard<std::mutex> lock (state_->mutex);
  state_->pending = position;
  if (state_->writing)
    return; /* the running write() takes it next */
  state_->writing = true;
  gst_element_call_async (state_->element, &PositionRequest::write, new std::shared_ptr<State> (state_),
      [] (gpointer data) { delete static_cast<std::shared_ptr<State> *> (data); });
}

void
PositionRequest::write (GstElement *element, gpointer data)
{
  State &state = **static_cast<std::shared_ptr<State> *> (data);
  for (;;) {
    GstClockTime position;
    {
      std::lock_guard<std::mutex> lock (state.mutex);
      if (!state.pending) {
        state.writing = false;
        return;
      }
      position = *state.pending;
      state.pending.reset ();
    }
    g_autoptr (GError) error = nullptr;
    if (!state.index)
      state.index.reset (gst_offline_download_index_new (state.data_dir.c_str (), &error));
    if (state.index
        && gst_offline_download_index_request_position (state.index.get (), state.download_id.c_str (), position, &error))
      GST_INFO_OBJECT (element, "asked the download for %" GST_TIME_FORMAT " on", GST_TIME_ARGS (position));
    else
      GST_WARNING_OBJECT (element, "cannot ask the download for %" GST_TIME_FORMAT ": %s", GST_TIME_ARGS (position),
          error->message);
  }
}

} // namespace gst_offline
