/* One output stream of cachesrc: a src pad and the logic that feeds it.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "util/handles.h"

#include <gst/gst.h>

#include <mutex>

GST_DEBUG_CATEGORY_EXTERN (gst_cache_src_debug);

namespace gst_offline {

/* The element owns one OutputStream per src pad. The base class owns the pad,
 * routes the pad's functions to virtual methods and runs the push task: a
 * subclass says what goes out (push_iteration(), and get_range() if it can be
 * pulled from) and answers queries and events about its own data.
 *
 * The push task starts only once the pad is exposed (added to the element and
 * no-more-pads emitted), because whoever links the pad in a pad-added handler
 * may switch it to pull mode before that; a pad activated in push mode later
 * starts its task at once. */
class OutputStream {
public:
  OutputStream (GstElement *element, GstPadTemplate *templ, const gchar *pad_name);
  virtual ~OutputStream ();

  OutputStream (const OutputStream &) = delete;
  OutputStream &operator= (const OutputStream &) = delete;

  GstPad *pad () const { return pad_.get (); }

  /* Activates the pad (in push mode unless someone switches it later). */
  bool activate ();
  /* The pad was added and no-more-pads emitted: data may flow now. */
  void expose ();

protected:
  GstElement *element () const { return element_; }

  /* One iteration of the push task, called with the pad's stream lock held. */
  virtual void push_iteration () = 0;
  /* Pull mode, for streams that support it. */
  virtual bool supports_pull () const { return false; }
  virtual GstFlowReturn get_range (guint64 offset, guint length, GstBuffer **buffer);
  /* Called before the push task may start after an activation in push mode:
   * reset what the next push should begin with. */
  virtual void push_activated () {}
  /* Called when push mode is deactivated, with the pad flushing already and
   * before the push task is stopped: wake a task that waits for something
   * other than the pad's data flow, or stopping it would wait for ever. */
  virtual void push_deactivating () {}

  virtual gboolean handle_query (GstQuery *query);
  virtual gboolean handle_event (GstEvent *event);

  /* (Re)starts the push task if the pad is exposed and in push mode. */
  void start_task ();
  /* Pauses the push task; from inside push_iteration() it takes effect when
   * the iteration returns, from elsewhere it waits for the iteration to end. */
  void pause_task ();

private:
  static gboolean activate_mode_cb (GstPad *pad, GstObject *parent, GstPadMode mode, gboolean active);
  static GstFlowReturn get_range_cb (GstPad *pad, GstObject *parent, guint64 offset, guint length, GstBuffer **buffer);
  static gboolean query_cb (GstPad *pad, GstObject *parent, GstQuery *query);
  static gboolean event_cb (GstPad *pad, GstObject *parent, GstEvent *event);
  static void task_cb (gpointer user_data);
  static OutputStream *from_pad (GstPad *pad);

  bool activate_push (bool active);

  GstElement *element_; /* not owned: the element owns this stream */
  GstObjectPtr<GstPad> pad_;

  std::mutex task_mutex_; /* guards the two flags below */
  bool exposed_ = false;
  bool push_active_ = false;
};

} // namespace gst_offline
