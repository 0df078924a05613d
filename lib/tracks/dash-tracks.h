/* The tracks of a DASH MPD for DownloadHelper, and the stream keys that
 * name them: "P.A.R", the indices of the Period, AdaptationSet and
 * Representation (ExoPlayer's StreamKey).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "index/track-model.h"
#include "manifest/dash/mpd-model.h"

namespace gst_offline {

std::vector<Track> dash_tracks (const dash::Mpd &mpd);

struct DashTrackRef {
  guint period;
  guint set;
  guint representation;
};

/* INVALID_ARGUMENT for a key that is malformed or names nothing in `mpd`. */
std::optional<DashTrackRef> parse_dash_stream_key (const std::string &key, const dash::Mpd &mpd, GError **error);

/* The protection of a Representation as GstProtection events carry it:
 * one per ContentProtection with a urn:uuid system id, origin "dash/mpd",
 * data its @value if it has one, else its XML. */
std::vector<TrackProtection> dash_protection (const dash::Representation &representation);

}  // namespace gst_offline
