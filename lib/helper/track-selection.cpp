/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "helper/track-selection.h"

#include <algorithm>
#include <map>
#include <set>

namespace gst_offline {

const char *track_type_name (TrackType type)
{
  switch (type) {
    case TrackType::Video: return "video";
    case TrackType::Audio: return "audio";
    case TrackType::Text: return "text";
  }
  return "unknown";
}

namespace {

bool parse_number (const std::string &text, guint64 *out)
{
  if (text.empty () || text.size () > 18)
    return false;
  for (char c : text) {
    if (!g_ascii_isdigit (c))
      return false;
  }
  *out = g_ascii_strtoull (text.c_str (), nullptr, 10);
  return true;
}

bool is_language_tag (const std::string &text)
{
  /* BCP 47-ish: letters, then optional -subtags of letters and digits. */
  if (text.size () < 2 || text.size () > 35 || !g_ascii_isalpha (text[0]))
    return false;
  for (char c : text) {
    if (!g_ascii_isalnum (c) && c != '-')
      return false;
  }
  return true;
}

bool language_matches (const std::string &track_language, const std::string &wanted)
{
  g_autofree gchar *lower = g_ascii_strdown (track_language.c_str (), -1);
  std::string language = lower;
  return language == wanted || (language.size () > wanted.size () && language.compare (0, wanted.size (), wanted) == 0
      && language[wanted.size ()] == '-');
}

/* Orders tracks from best to worst: resolution, then bitrate. */
bool better (const Track *a, const Track *b)
{
  guint64 area_a = static_cast<guint64> (a->width.value_or (0)) * a->height.value_or (0);
  guint64 area_b = static_cast<guint64> (b->width.value_or (0)) * b->height.value_or (0);
  if (area_a != area_b)
    return area_a > area_b;
  return a->bandwidth > b->bandwidth;
}

/* One track of `candidates` by a SPEC that picks one. */
const Track *pick_one (std::vector<const Track *> candidates, const TrackSpec &spec)
{
  if (candidates.empty ())
    return nullptr;
  std::stable_sort (candidates.begin (), candidates.end (), better);
  switch (spec.kind) {
    case TrackSpec::Kind::Worst:
      return candidates.back ();
    case TrackSpec::Kind::Height: {
      /* The best at or below the height; none if every track is taller. */
      for (const Track *track : candidates) {
        if (track->height && *track->height <= spec.number)
          return track;
      }
      return nullptr;
    }
    case TrackSpec::Kind::MaxBitrate: {
      for (const Track *track : candidates) {
        if (track->bandwidth <= spec.number)
          return track;
      }
      return nullptr;
    }
    default:
      return candidates.front ();
  }
}

}  // namespace

std::optional<TrackSpec> parse_track_spec (const std::string &text, TrackType type, GError **error)
{
  TrackSpec spec;
  g_autofree gchar *lower_text = g_ascii_strdown (text.c_str (), -1);
  std::string lower = lower_text;
  if (lower == "best")
    spec.kind = TrackSpec::Kind::Best;
  else if (lower == "worst")
    spec.kind = TrackSpec::Kind::Worst;
  else if (lower == "all")
    spec.kind = TrackSpec::Kind::All;
  else if (lower == "none")
    spec.kind = TrackSpec::Kind::None;
  else if (lower.rfind ("max-bitrate=", 0) == 0 && parse_number (lower.substr (12), &spec.number))
    spec.kind = TrackSpec::Kind::MaxBitrate;
  else if (type == TrackType::Video && lower.size () > 1 && lower.back () == 'p'
      && parse_number (lower.substr (0, lower.size () - 1), &spec.number))
    spec.kind = TrackSpec::Kind::Height;
  else if (type != TrackType::Video && is_language_tag (lower)) {
    spec.kind = TrackSpec::Kind::Language;
    spec.language = lower;
  } else {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
        "'%s' is not a %s track SPEC: use best, worst, all, none, max-bitrate=N%s", text.c_str (),
        track_type_name (type), type == TrackType::Video ? " or a height like 720p" : " or a language like en");
    return std::nullopt;
  }
  return spec;
}

std::optional<std::vector<std::string>> select_tracks (const std::vector<Track> &tracks, const TrackSelection &selection,
    GError **error)
{
  std::set<const Track *> chosen;
  for (TrackType type : { TrackType::Video, TrackType::Audio, TrackType::Text }) {
    const TrackSpec &spec = type == TrackType::Video ? selection.video
        : type == TrackType::Audio ? selection.audio : selection.text;
    if (spec.kind == TrackSpec::Kind::None)
      continue;
    /* Video: one choice per period among all its video tracks. Audio and
     * text: one choice per group. */
    std::map<std::pair<guint, std::string>, std::vector<const Track *>> choices;
    bool any_of_type = false;
    for (const Track &track : tracks) {
      if (track.type != type)
        continue;
      any_of_type = true;
      if (spec.kind == TrackSpec::Kind::Language && !language_matches (track.language, spec.language))
        continue;
      choices[{ track.period, type == TrackType::Video ? std::string () : track.group }].push_back (&track);
    }
    bool found = false;
    for (auto &entry : choices) {
      if (spec.kind == TrackSpec::Kind::All) {
        chosen.insert (entry.second.begin (), entry.second.end ());
        found = true;
      } else if (const Track *track = pick_one (entry.second, spec)) {
        chosen.insert (track);
        found = true;
      }
    }
    bool names_something = spec.kind == TrackSpec::Kind::Language || spec.kind == TrackSpec::Kind::Height
        || spec.kind == TrackSpec::Kind::MaxBitrate;
    if (any_of_type && !found && names_something) {
      std::string what = spec.kind == TrackSpec::Kind::Language ? "in language '" + spec.language + "'"
          : spec.kind == TrackSpec::Kind::Height ? "at or below " + std::to_string (spec.number) + "p"
          : "at or below " + std::to_string (spec.number) + " bit/s";
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND, "no %s track %s", track_type_name (type),
          what.c_str ());
      return std::nullopt;
    }
  }
  std::vector<std::string> keys;
  for (const Track &track : tracks) {
    if (chosen.count (&track))
      keys.push_back (track.stream_key);
  }
  return keys;
}

std::optional<std::vector<std::string>> download_stream_keys (const std::vector<std::string> &requested,
    const std::vector<Track> &tracks, const std::string &uri, GError **error)
{
  std::vector<std::string> keys = requested;
  if (keys.empty ()) {
    auto selected = select_tracks (tracks, TrackSelection {}, error);
    if (!selected)
      return std::nullopt;
    keys = std::move (*selected);
  }
  if (keys.empty ()) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED, "%s has no video, audio or text track",
        uri.c_str ());
    return std::nullopt;
  }
  return keys;
}

}  // namespace gst_offline
