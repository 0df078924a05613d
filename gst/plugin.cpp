/* The GStreamer plugin `offline`: playback of gst-offline downloads.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "gstcachesrc.h"
#include "gstofflinedrm.h"

#include <gst/gst.h>

static gboolean
plugin_init (GstPlugin *plugin)
{
  gboolean registered = FALSE;

  /* One line per element of the plugin. */
  registered |= GST_ELEMENT_REGISTER (cachesrc, plugin);
  registered |= GST_ELEMENT_REGISTER (offlinedrm, plugin);

  return registered;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, offline,
    "Plays gst-offline downloads back from the cache, without network",
    plugin_init, VERSION, "LGPL", "gst-offline", "https://github.com/gst-offline/gst-offline")
