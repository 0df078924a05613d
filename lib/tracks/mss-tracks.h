/* The tracks of a Smooth Streaming manifest for DownloadHelper, and the
 * stream keys that name them: "S.Q", the positions of the StreamIndex in the
 * manifest and of the QualityLevel in its StreamIndex.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "index/track-model.h"
#include "manifest/mss/manifest-parser.h"

namespace gst_offline {

/* Video, audio and text StreamIndexes' QualityLevels, in manifest order. */
std::vector<Track> mss_tracks (const mss::Manifest &manifest);

struct MssTrackRef {
  guint stream;
  guint level;
};

/* INVALID_ARGUMENT for a key that is malformed or names nothing in `manifest`. */
std::optional<MssTrackRef> parse_mss_stream_key (const std::string &key, const mss::Manifest &manifest, GError **error);

}  // namespace gst_offline
