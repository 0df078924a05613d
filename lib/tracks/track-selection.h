/* Track selection by the SPECs of the CLI and the library: `best`,
 * `worst`, `all`, `none`, a height such as `720p`, `max-bitrate=N`, and for
 * audio and text a language such as `en`.
 *
 * Languages are compared as languages, through gst-tag's ISO 639 tables:
 * `en` = `eng`, `fr` = `fra` = `fre`, and a tag with a region matches the
 * same language without one (`pt-BR` matches `pt`, `en` matches `en-US`),
 * but not another region (`pt-BR` does not match `pt-PT`).
 *
 * One rule for every format (DASH, HLS, Smooth Streaming) and for the
 * default choice: video SPECs choose one track per period; audio and text
 * SPECs other than `all` and a language choose one track per period and
 * language — the one whose role is "main" (DASH Role, HLS DEFAULT=YES) if
 * any, else the best (resolution, then bitrate) — and a language SPEC one
 * track per period. Audio and text tracks are chosen among those that go
 * with the chosen video (Track::audio_group, Track::text_group).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "index/track-model.h"

#include <gst/offline/offline-error.h>

namespace gst_offline {

struct TrackSpec {
  enum class Kind { Best, Worst, All, None, Height, MaxBitrate, Language };
  Kind kind = Kind::Best;
  guint64 number = 0;    /* the height or the bitrate */
  std::string language;  /* as given, lower case */
};

/* INVALID_ARGUMENT naming the SPEC and what is allowed for `type`. */
std::optional<TrackSpec> parse_track_spec (const std::string &text, TrackType type, GError **error);

/* Whether a track's language (`track_language`, a BCP 47 tag or an ISO 639
 * code) is the language `wanted` names. */
bool language_matches (const std::string &track_language, const std::string &wanted);

struct TrackSelection {
  TrackSpec video;                                   /* default: best */
  TrackSpec audio;                                   /* default: best of each language */
  TrackSpec text { TrackSpec::Kind::All, 0, {} };    /* default: every text track */
};

/* The audio or text tracks `spec` chooses among `candidates` (tracks of one
 * type), by the rule above; the default audio choice is `spec` Best. Kept
 * apart so that playback can apply the same rule to what a download holds. */
std::vector<const Track *> choose_tracks (const std::vector<const Track *> &candidates, const TrackSpec &spec);

/* What plays of a download when nothing chooses (cachesrc's default): the
 * best video track, of the default audio choice the first track whose role
 * is "main", else its first, and with `with_text` the first text track; in
 * the order of `tracks`. */
std::vector<const Track *> choose_playback_tracks (const std::vector<const Track *> &tracks, bool with_text);

/* The stream keys of the chosen tracks, in the order of `tracks`.
 * NOT_FOUND when a SPEC that names something (a language, a height, a
 * bitrate) matches no track of its type, the message listing what there is;
 * INVALID_ARGUMENT when the SPECs choose no track at all. */
std::optional<std::vector<std::string>> select_tracks (const std::vector<Track> &tracks, const TrackSelection &selection,
    GError **error);

/* The stream keys a download's request names, or the default selection of
 * `tracks` when it names none; UNSUPPORTED when that leaves no track. */
std::optional<std::vector<std::string>> download_stream_keys (const std::vector<std::string> &requested,
    const std::vector<Track> &tracks, const std::string &uri, GError **error);

}  // namespace gst_offline
