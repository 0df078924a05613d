/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tracks/track-selection.h"

#include <gst/tag/tag.h>

#include <algorithm>
#include <map>
#include <set>

namespace gst_offline {

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

/* A language tag as compared: its primary language as ISO 639-1 where
 * gst-tag knows one (eng, en -> en; fre, fra -> fr), else as written; and
 * the rest of the tag (region, script), all lower case. */
struct Language {
  std::string primary;
  std::string rest;
};

Language parse_language (const std::string &tag)
{
  g_autofree gchar *lower = g_ascii_strdown (tag.c_str (), -1);
  std::string text = lower;
  std::replace (text.begin (), text.end (), '_', '-');
  Language language;
  size_t dash = text.find ('-');
  language.primary = text.substr (0, dash);
  if (dash != std::string::npos)
    language.rest = text.substr (dash + 1);
  if (const gchar *iso = gst_tag_get_language_code_iso_639_1 (language.primary.c_str ()))
    language.primary = iso;
  return language;
}

/* The key tracks are grouped by for "one per language". */
std::string language_key (const std::string &tag)
{
  Language language = parse_language (tag);
  return language.rest.empty () ? language.primary : language.primary + "-" + language.rest;
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

bool has_main_role (const Track *track)
{
  return std::find (track->roles.begin (), track->roles.end (), "main") != track->roles.end ();
}

/* The heights, or languages, that tracks of `type` have: what a SPEC could
 * have named, for the error when it names nothing. */
std::string what_exists (const std::vector<Track> &tracks, TrackType type, TrackSpec::Kind kind)
{
  std::vector<std::string> values;
  guint64 lowest_bitrate = G_MAXUINT64;
  std::set<guint> heights;
  for (const Track &track : tracks) {
    if (track.type != type)
      continue;
    lowest_bitrate = MIN (lowest_bitrate, track.bandwidth);
    if (track.height)
      heights.insert (*track.height);
    std::string language = track.language.empty () ? "none" : track.language;
    if (std::find (values.begin (), values.end (), language) == values.end ())
      values.push_back (language);
  }
  const char *name = track_type_name (type);
  if (lowest_bitrate == G_MAXUINT64)
    return std::string ("the stream has no ") + name + " track";
  if (kind == TrackSpec::Kind::MaxBitrate)
    return "the lowest is " + std::to_string (lowest_bitrate) + " bit/s";
  if (kind == TrackSpec::Kind::Height) {
    if (heights.empty ())
      return std::string ("the ") + name + " tracks give no height";
    std::string list;
    for (guint height : heights)
      list += (list.empty () ? "" : ", ") + std::to_string (height) + "p";
    return std::string ("the ") + name + " tracks are " + list;
  }
  std::string list;
  for (const auto &value : values)
    list += (list.empty () ? "" : ", ") + value;
  return std::string ("the ") + name + " tracks' languages: " + list;
}

}  // namespace

bool language_matches (const std::string &track_language, const std::string &wanted)
{
  if (track_language.empty ())
    return false;
  Language have = parse_language (track_language);
  Language want = parse_language (wanted);
  return have.primary == want.primary && (have.rest.empty () || want.rest.empty () || have.rest == want.rest);
}

std::vector<const Track *> choose_tracks (const std::vector<const Track *> &candidates, const TrackSpec &spec)
{
  if (spec.kind == TrackSpec::Kind::None)
    return {};
  if (spec.kind == TrackSpec::Kind::All)
    return candidates;
  /* One choice per period, and per language unless a language is asked. */
  std::map<std::pair<guint, std::string>, std::vector<const Track *>> choices;
  for (const Track *track : candidates) {
    if (spec.kind == TrackSpec::Kind::Language && !language_matches (track->language, spec.language))
      continue;
    std::string key = spec.kind == TrackSpec::Kind::Language ? std::string () : language_key (track->language);
    choices[{ track->period, key }].push_back (track);
  }
  std::vector<const Track *> chosen;
  for (auto &entry : choices) {
    std::vector<const Track *> &tracks = entry.second;
    std::stable_sort (tracks.begin (), tracks.end (), better);
    if (spec.kind == TrackSpec::Kind::Worst) {
      chosen.push_back (tracks.back ());
      continue;
    }
    if (spec.kind == TrackSpec::Kind::MaxBitrate) {
      auto fits = std::find_if (tracks.begin (), tracks.end (),
          [&] (const Track *t) { return t->bandwidth <= spec.number; });
      if (fits != tracks.end ())
        chosen.push_back (*fits);
      continue;
    }
    /* Best and a language: the main one, else the best; for a language,
     * one written as asked (with its region) before another. */
    auto rank = [&] (const Track *t) {
      int r = has_main_role (t) ? 1 : 0;
      if (spec.kind == TrackSpec::Kind::Language && language_key (t->language) == language_key (spec.language))
        r += 2;
      return r;
    };
    std::stable_sort (tracks.begin (), tracks.end (), [&] (const Track *a, const Track *b) { return rank (a) > rank (b); });
    chosen.push_back (tracks.front ());
  }
  return chosen;
}

std::vector<const Track *> choose_playback_tracks (const std::vector<const Track *> &tracks, bool with_text)
{
  std::vector<const Track *> videos, audios;
  const Track *text = nullptr;
  for (const Track *track : tracks) {
    if (track->type == TrackType::Video)
      videos.push_back (track);
    else if (track->type == TrackType::Audio)
      audios.push_back (track);
    else if (!text && with_text)
      text = track;
  }
  std::set<const Track *> chosen;
  if (const Track *video = pick_one (videos, TrackSpec {}))
    chosen.insert (video);
  /* Of the default audio choice, the first main track, else the first. */
  std::vector<const Track *> defaults = choose_tracks (audios, TrackSpec {});
  const Track *audio = nullptr;
  for (const Track *track : audios) {
    if (std::find (defaults.begin (), defaults.end (), track) == defaults.end ())
      continue;
    if (!audio)
      audio = track;
    if (has_main_role (track)) {
      audio = track;
      break;
    }
  }
  if (audio)
    chosen.insert (audio);
  if (text)
    chosen.insert (text);
  std::vector<const Track *> result;
  for (const Track *track : tracks) {
    if (chosen.count (track))
      result.push_back (track);
  }
  return result;
}

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
  auto names_something = [] (const TrackSpec &spec) {
    return spec.kind == TrackSpec::Kind::Language || spec.kind == TrackSpec::Kind::Height
        || spec.kind == TrackSpec::Kind::MaxBitrate;
  };
  auto not_found = [&] (TrackType type, const TrackSpec &spec) {
    std::string what = spec.kind == TrackSpec::Kind::Language ? "in language '" + spec.language + "'"
        : spec.kind == TrackSpec::Kind::Height ? "at or below " + std::to_string (spec.number) + "p"
        : "at or below " + std::to_string (spec.number) + " bit/s";
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND, "no %s track %s (%s)", track_type_name (type),
        what.c_str (), what_exists (tracks, type, spec.kind).c_str ());
  };

  /* Video: one choice per period among all its video tracks. */
  std::map<guint, std::vector<const Track *>> videos;
  for (const Track &track : tracks) {
    if (track.type == TrackType::Video)
      videos[track.period].push_back (&track);
  }
  std::vector<const Track *> chosen_videos;
  if (selection.video.kind != TrackSpec::Kind::None) {
    for (auto &entry : videos) {
      if (selection.video.kind == TrackSpec::Kind::All) {
        chosen_videos.insert (chosen_videos.end (), entry.second.begin (), entry.second.end ());
      } else if (const Track *track = pick_one (entry.second, selection.video)) {
        chosen_videos.push_back (track);
      }
    }
    if (chosen_videos.empty () && names_something (selection.video)) {
      not_found (TrackType::Video, selection.video);
      return std::nullopt;
    }
  }
  chosen.insert (chosen_videos.begin (), chosen_videos.end ());

  /* Audio and text: among the tracks that go with the chosen video. */
  for (TrackType type : { TrackType::Audio, TrackType::Text }) {
    const TrackSpec &spec = type == TrackType::Audio ? selection.audio : selection.text;
    if (spec.kind == TrackSpec::Kind::None)
      continue;
    std::set<std::string> groups;
    bool restricted = false;
    for (const Track *video : chosen_videos) {
      const auto &group = type == TrackType::Audio ? video->audio_group : video->text_group;
      if (group) {
        restricted = true;
        if (!group->empty ())
          groups.insert (*group);
      }
    }
    std::vector<const Track *> candidates;
    for (const Track &track : tracks) {
      if (track.type != type || (track.whole_presentation && !chosen_videos.empty ()))
        continue;
      if (restricted && !groups.count (track.group))
        continue;
      candidates.push_back (&track);
    }
    std::vector<const Track *> picked = choose_tracks (candidates, spec);
    if (picked.empty () && names_something (spec)) {
      not_found (type, spec);
      return std::nullopt;
    }
    chosen.insert (picked.begin (), picked.end ());
  }

  std::vector<std::string> keys;
  for (const Track &track : tracks) {
    if (chosen.count (&track))
      keys.push_back (track.stream_key);
  }
  if (keys.empty () && !tracks.empty ()) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
        "nothing to download: the track SPECs choose no track (%s)",
        selection.video.kind == TrackSpec::Kind::None && selection.audio.kind == TrackSpec::Kind::None
            ? "video and audio are 'none'" : "the stream has no track of the types asked for");
    return std::nullopt;
  }
  return keys;
}

std::optional<std::vector<std::string>> download_stream_keys (const std::vector<std::string> &requested,
    const std::vector<Track> &tracks, const std::string &uri, GError **error)
{
  std::vector<std::string> keys = requested;
  if (keys.empty () && !tracks.empty ()) {
    g_autoptr (GError) select_error = nullptr;
    auto selected = select_tracks (tracks, TrackSelection {}, &select_error);
    if (selected)
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
