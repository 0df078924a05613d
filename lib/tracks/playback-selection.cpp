/* The library's one selection rule, for its plugin (offline-playback-private.h).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/offline/offline-playback-private.h>

#include "index/track-private.h"
#include "tracks/track-selection.h"

#include <algorithm>

/* Declared in offline-playback-private.h. */
GPtrArray *gst_offline_track_choose_for_playback (GPtrArray *tracks, gboolean with_text)
{
  g_return_val_if_fail (tracks != nullptr, nullptr);
  std::vector<const gst_offline::Track *> models;
  for (guint i = 0; i < tracks->len; i++) {
    g_return_val_if_fail (GST_OFFLINE_IS_TRACK (g_ptr_array_index (tracks, i)), nullptr);
    models.push_back (&gst_offline::track_model (GST_OFFLINE_TRACK (g_ptr_array_index (tracks, i))));
  }
  std::vector<const gst_offline::Track *> chosen = gst_offline::choose_playback_tracks (models, with_text);
  GPtrArray *result = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < tracks->len; i++) {
    if (std::find (chosen.begin (), chosen.end (), models[i]) != chosen.end ())
      g_ptr_array_add (result, g_object_ref (g_ptr_array_index (tracks, i)));
  }
  return result;
}
