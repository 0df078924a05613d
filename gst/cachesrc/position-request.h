/* Tells a running download where playback wants it to fetch next.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/offline/offline.h>

#include <memory>
#include <string>

namespace gst_offline {

/* A seek beyond what is downloaded writes its position to the index
 * (gst_offline_download_index_request_position()), which the download's
 * manager, in whichever process, reads as any change. That write waits
 * for the index's write lock, which a downloader committing a batch (or
 * another process) may hold for a while: so it is made on a thread of the
 * element's pool (gst_element_call_async()), with an index connection of
 * its own, and send() never waits for it — neither does the seek that
 * calls it, nor the streams reading the plan. Positions sent while a write
 * waits replace each other: the newest is written next. The thread holds
 * what it needs, so the request outlives a playback that stops meanwhile. */
class PositionRequest {
public:
  PositionRequest (GstElement *element, std::string data_dir, std::string download_id);

  void send (GstClockTime position);

private:
  struct State;
  static void write (GstElement *element, gpointer data);

  std::shared_ptr<State> state_;
};

} // namespace gst_offline
