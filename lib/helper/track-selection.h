/* Track selection by the SPECs of the CLI and the library: `best`,
 * `worst`, `all`, `none`, a height such as `720p`, `max-bitrate=N`, and for
 * audio and text a language such as `en` (which also matches `en-US`).
 * Video SPECs choose one track per period; audio and text SPECs choose one
 * track per group (per language, usually), or all of them.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "helper/track.h"

#include <gst/offline/offline-error.h>

namespace gst_offline {

struct TrackSpec {
  enum class Kind { Best, Worst, All, None, Height, MaxBitrate, Language };
  Kind kind = Kind::Best;
  guint64 number = 0;    /* the height or the bitrate */
  std::string language;  /* lower case */
};

/* INVALID_ARGUMENT naming the SPEC and what is allowed for `type`. */
std::optional<TrackSpec> parse_track_spec (const std::string &text, TrackType type, GError **error);

struct TrackSelection {
  TrackSpec video;                                   /* default: best */
  TrackSpec audio;                                   /* default: best of each group */
  TrackSpec text { TrackSpec::Kind::All, 0, {} };    /* default: every text track */
};

/* The stream keys of the chosen tracks, in the order of `tracks`.
 * NOT_FOUND when a SPEC that names something (a language, a height with no
 * track at or below it) matches no track of its type that exists. */
std::optional<std::vector<std::string>> select_tracks (const std::vector<Track> &tracks, const TrackSelection &selection,
    GError **error);

/* The stream keys a download's request names, or the default selection of
 * `tracks` when it names none; UNSUPPORTED when that leaves no track. */
std::optional<std::vector<std::string>> download_stream_keys (const std::vector<std::string> &requested,
    const std::vector<Track> &tracks, const std::string &uri, GError **error);

}  // namespace gst_offline
