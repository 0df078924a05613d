/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/offline/offline-track.h>
#include <gst/offline/offline-enum-types.h>

#include "index/playback-plan.h"

namespace gst_offline {

static_assert (static_cast<int> (TrackType::Video) == GST_OFFLINE_TRACK_TYPE_VIDEO
        && static_cast<int> (TrackType::Audio) == GST_OFFLINE_TRACK_TYPE_AUDIO
        && static_cast<int> (TrackType::Text) == GST_OFFLINE_TRACK_TYPE_TEXT,
    "the public track types are the plan's");

/* Shows a track: as a manifest offers it, or as a download's plan records it. */
GstOfflineTrack *track_new (const Track &track);
const Track &track_model (GstOfflineTrack *track);
GstOfflineSegment *segment_new (const PlanSegment &segment);

}  // namespace gst_offline
