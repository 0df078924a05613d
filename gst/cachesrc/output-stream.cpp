/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "output-stream.h"

#include <gst/offline/offline.h>

#define GST_CAT_DEFAULT gst_cache_src_debug

namespace gst_offline {

OutputStream::OutputStream (GstElement *element, GstPadTemplate *templ, const gchar *pad_name)
    : element_ (element),
      pad_ (GST_PAD (gst_object_ref_sink (gst_pad_new_from_template (templ, pad_name))))
{
  GstPad *pad = pad_.get ();
  gst_pad_set_element_private (pad, this);
  gst_pad_set_activatemode_function (pad, activate_mode_cb);
  gst_pad_set_getrange_function (pad, get_range_cb);
  gst_pad_set_query_function (pad, query_cb);
  gst_pad_set_event_function (pad, event_cb);
}

OutputStream::~OutputStream ()
{
  /* The element removed and deactivated the pad already; this only makes
   * sure no task outlives the stream and no late call reaches it. */
  gst_pad_stop_task (pad_.get ());
  GST_OBJECT_LOCK (pad_.get ());
  gst_pad_set_element_private (pad_.get (), nullptr);
  GST_OBJECT_UNLOCK (pad_.get ());
}

bool
OutputStream::activate ()
{
  return gst_pad_set_active (pad_.get (), TRUE);
}

void
OutputStream::expose ()
{
  std::lock_guard<std::mutex> lock (task_mutex_);
  exposed_ = true;
  if (push_active_) {
    GST_DEBUG_OBJECT (pad_.get (), "exposed in push mode: starting the push task");
    gst_pad_start_task (pad_.get (), task_cb, this, nullptr);
  } else {
    GST_DEBUG_OBJECT (pad_.get (), "exposed, not in push mode: no push task");
  }
}

void
OutputStream::start_task ()
{
  std::lock_guard<std::mutex> lock (task_mutex_);
  if (exposed_ && push_active_)
    gst_pad_start_task (pad_.get (), task_cb, this, nullptr);
}

void
OutputStream::pause_task ()
{
  gst_pad_pause_task (pad_.get ());
}

bool
OutputStream::activate_push (bool active)
{
  if (active) {
    push_activated ();
    std::lock_guard<std::mutex> lock (task_mutex_);
    push_active_ = true;
    if (exposed_) {
      GST_DEBUG_OBJECT (pad_.get (), "activated in push mode after exposure: starting the push task");
      return gst_pad_start_task (pad_.get (), task_cb, this, nullptr);
    }
    GST_DEBUG_OBJECT (pad_.get (), "activated in push mode; the task starts once the pad is exposed");
    return true;
  }

  {
    std::lock_guard<std::mutex> lock (task_mutex_);
    push_active_ = false;
  }
  /* The pad is flushing already, so a push in progress returns at once,
   * and a task waiting (for the download, for a parked track to be taken)
   * sees it once woken. */
  GST_DEBUG_OBJECT (pad_.get (), "deactivating push mode: stopping the push task");
  push_deactivating ();
  return gst_pad_stop_task (pad_.get ());
}

GstFlowReturn
OutputStream::get_range (guint64, guint, GstBuffer **)
{
  return GST_FLOW_NOT_SUPPORTED;
}

namespace {

/* qtdemux asks which protection system to decrypt with when the content
 * names several (a ContentProtection or pssh per system, e.g. Widevine and
 * ClearKey): the keys of a download are ClearKey keys, so a ClearKey system
 * it lists, else the W3C common one. */
bool answer_decryption_system_query (GstQuery *query)
{
  const gchar *type = nullptr;
  if (!gst_query_parse_context_type (query, &type) || g_strcmp0 (type, "drm-preferred-decryption-system-id") != 0)
    return false;
  static const gchar *const clearkey_systems[] = { GST_OFFLINE_CLEARKEY_SYSTEM_ID,
    GST_OFFLINE_DASHIF_CLEARKEY_SYSTEM_ID };
  const gchar *chosen = clearkey_systems[0];
  const GValue *listed = gst_structure_get_value (gst_query_get_structure (query), "available-stream-encryption-systems");
  auto systems = listed && G_VALUE_HOLDS (listed, G_TYPE_STRV) ? static_cast<const gchar *const *> (g_value_get_boxed (listed))
                                                                : nullptr;
  for (const char *id : clearkey_systems) {
    if (systems && g_strv_contains (systems, id)) {
      chosen = id;
      break;
    }
  }
  GstContext *context = gst_context_new ("drm-preferred-decryption-system-id", FALSE);
  gst_structure_set (gst_context_writable_structure (context), "decryption-system-id", G_TYPE_STRING, chosen, nullptr);
  gst_query_set_context (query, context);
  gst_context_unref (context);
  GST_DEBUG ("preferred decryption system: %s", chosen);
  return true;
}

}  // namespace

gboolean
OutputStream::handle_query (GstQuery *query)
{
  if (GST_QUERY_TYPE (query) == GST_QUERY_CONTEXT
      && (answer_decryption_system_query (query) || gst_element_query (element_, query)))
    return TRUE;
  if (GST_QUERY_TYPE (query) == GST_QUERY_URI && GST_IS_URI_HANDLER (element_)) {
    gchar *uri = gst_uri_handler_get_uri (GST_URI_HANDLER (element_));
    if (!uri)
      return FALSE;
    gst_query_set_uri (query, uri);
    g_free (uri);
    return TRUE;
  }
  return gst_pad_query_default (pad_.get (), GST_OBJECT (element_), query);
}

gboolean
OutputStream::handle_event (GstEvent *event)
{
  return gst_pad_event_default (pad_.get (), GST_OBJECT (element_), event);
}

OutputStream *
OutputStream::from_pad (GstPad *pad)
{
  GST_OBJECT_LOCK (pad);
  auto *self = static_cast<OutputStream *> (gst_pad_get_element_private (pad));
  GST_OBJECT_UNLOCK (pad);
  return self;
}

gboolean
OutputStream::activate_mode_cb (GstPad *pad, GstObject *, GstPadMode mode, gboolean active)
{
  OutputStream *self = from_pad (pad);
  if (!self)
    return !active;

  switch (mode) {
    case GST_PAD_MODE_PUSH:
      return self->activate_push (active);
    case GST_PAD_MODE_PULL:
      if (!self->supports_pull ()) {
        GST_DEBUG_OBJECT (pad, "this stream cannot be pulled from");
        return FALSE;
      }
      GST_DEBUG_OBJECT (pad, "%s pull mode", active ? "activated" : "deactivated");
      return TRUE;
    default:
      return FALSE;
  }
}

GstFlowReturn
OutputStream::get_range_cb (GstPad *pad, GstObject *, guint64 offset, guint length, GstBuffer **buffer)
{
  OutputStream *self = from_pad (pad);
  if (!self)
    return GST_FLOW_FLUSHING;
  return self->get_range (offset, length, buffer);
}

gboolean
OutputStream::query_cb (GstPad *pad, GstObject *parent, GstQuery *query)
{
  OutputStream *self = from_pad (pad);
  if (!self)
    return gst_pad_query_default (pad, parent, query);
  return self->handle_query (query);
}

gboolean
OutputStream::event_cb (GstPad *pad, GstObject *parent, GstEvent *event)
{
  OutputStream *self = from_pad (pad);
  if (!self)
    return gst_pad_event_default (pad, parent, event);
  return self->handle_event (event);
}

void
OutputStream::task_cb (gpointer user_data)
{
  static_cast<OutputStream *> (user_data)->push_iteration ();
}

} // namespace gst_offline
