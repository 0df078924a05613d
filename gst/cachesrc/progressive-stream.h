/* The output stream of a progressive download: the cached file as BYTES.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "output-stream.h"

#include <string>

namespace gst_offline {

/* Serves one whole cached file the way filesrc does: pull mode with
 * getrange (random access, so demuxers read an index at the end of the
 * file), or push mode with a task, BYTES segments and BYTES seeks. No caps
 * are set: downstream finds the type from the bytes. */
class ProgressiveStream final : public OutputStream {
public:
  struct Source {
    std::string download_id; /* for messages */
    UniqueFd fd;
    guint64 size;
  };

  /* `initial_seek` (may be NULL, transfer full): a BYTES seek the application
   * sent before the pad existed; it applies to the first push. */
  ProgressiveStream (GstElement *element, GstPadTemplate *templ, const gchar *pad_name,
      Source source, guint blocksize, guint group_id, GstEvent *initial_seek);

protected:
  void push_iteration () override;
  bool supports_pull () const override { return true; }
  GstFlowReturn get_range (guint64 offset, guint length, GstBuffer **buffer) override;
  void push_activated () override;
  gboolean handle_query (GstQuery *query) override;
  gboolean handle_event (GstEvent *event) override;

private:
  /* Reads [offset, offset + length) into *buffer (allocated if NULL); posts
   * an element error and returns GST_FLOW_ERROR if the file is unreadable or
   * shorter than recorded. */
  GstFlowReturn read (guint64 offset, guint length, GstBuffer **buffer);
  gboolean seek (GstEvent *event);
  bool apply_seek_locked (GstEvent *event);
  /* Ends the push task after a flow that is not OK, or at the end. */
  void finish (GstFlowReturn ret, bool error_posted, guint64 generation, guint32 seqnum);

  const std::string download_id_;
  const UniqueFd fd_;
  const guint64 size_;
  const guint blocksize_;
  const guint group_id_;

  std::mutex state_mutex_; /* guards everything below */
  GstMiniObjectPtr<GstEvent> initial_seek_;
  GstSegment segment_;        /* what push mode sends; position = next offset */
  guint64 seek_generation_ = 0; /* bumped by every seek or (re)activation */
  guint32 seqnum_ = GST_SEQNUM_INVALID; /* of the segment and EOS */
  bool need_stream_start_ = true;
  bool need_segment_ = true;
  bool discont_ = true;
  guint64 pull_position_ = 0; /* end of the last range pulled */
};

} // namespace gst_offline
