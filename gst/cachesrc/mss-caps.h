/* The caps of a Smooth Streaming track's pad. Its fragments carry no init
 * segment, so, as mssdemux does, the caps tell qtdemux everything a moov
 * would: `video/quicktime, variant=mss-fragmented, timescale=<the
 * StreamIndex's TimeScale>, media-caps=<the elementary stream's caps>`, the
 * media caps built from the QualityLevel's FourCC (or AudioTag),
 * CodecPrivateData and audio attributes as the download recorded them.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>
#include <gst/offline/offline.h>
#include <gst/offline/offline-playback-private.h>

namespace gst_offline {

/* The caps of `track` (container "mss-fmp4"), or NULL with `error` set
 * (GST_OFFLINE_ERROR_UNSUPPORTED for a codec cachesrc cannot describe,
 * GST_OFFLINE_ERROR_CORRUPT for codec data that does not parse). */
GstCaps *mss_track_caps (GstOfflineTrack *track, GError **error);

} // namespace gst_offline
