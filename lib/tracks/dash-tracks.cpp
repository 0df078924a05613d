/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tracks/dash-tracks.h"

#include "manifest/decimal-integer.h"

#include <algorithm>

#include <gst/offline/offline-error.h>

namespace gst_offline {

namespace {

std::optional<TrackType> track_type (const dash::AdaptationSet &set)
{
  switch (set.content_type) {
    case dash::ContentType::Video: return TrackType::Video;
    case dash::ContentType::Audio: return TrackType::Audio;
    case dash::ContentType::Text: return TrackType::Text;
    default: return std::nullopt;
  }
}

std::vector<std::string> descriptor_values (const std::vector<dash::Descriptor> &descriptors)
{
  std::vector<std::string> values;
  for (const auto &d : descriptors)
    values.push_back (d.value.value_or (d.scheme_id_uri));
  return values;
}

}  // namespace

std::vector<Track> dash_tracks (const dash::Mpd &mpd)
{
  std::vector<Track> tracks;
  for (guint p = 0; p < mpd.periods.size (); p++) {
    const dash::Period &period = mpd.periods[p];
    for (guint a = 0; a < period.adaptation_sets.size (); a++) {
      const dash::AdaptationSet &set = period.adaptation_sets[a];
      auto type = track_type (set);
      if (!type || !set.unsupported_essential_property.empty ())
        continue;  /* images (thumbnails), unknown content and trick-mode sets are not offered */
      for (guint r = 0; r < set.representations.size (); r++) {
        const dash::Representation &rep = set.representations[r];
        if (!rep.unsupported_essential_property.empty ())
          continue;
        Track t;
        t.stream_key = std::to_string (p) + "." + std::to_string (a) + "." + std::to_string (r);
        t.type = *type;
        t.group = std::to_string (p) + "." + std::to_string (a);
        t.period = p;
        t.mime_type = rep.mime_type;
        t.codecs = rep.codecs;
        t.bandwidth = rep.bandwidth;
        t.width = rep.width;
        t.height = rep.height;
        if (rep.frame_rate && rep.frame_rate->denominator)
          t.frame_rate = static_cast<double> (rep.frame_rate->numerator) / rep.frame_rate->denominator;
        t.sampling_rate = rep.audio_sampling_rate;
        t.channels = rep.audio_channel_configuration;
        t.language = set.lang.value_or ("");
        for (const auto &label : set.labels)
          t.label += (t.label.empty () ? "" : ", ") + label;
        t.roles = descriptor_values (set.roles);
        t.accessibility = descriptor_values (set.accessibility);
        for (const auto &protection : rep.content_protections) {
          std::string system = protection.system_id ();
          if (!system.empty () && std::find (t.protection_systems.begin (), t.protection_systems.end (), system)
              == t.protection_systems.end ())
            t.protection_systems.push_back (system);
        }
        tracks.push_back (std::move (t));
      }
    }
  }
  return tracks;
}

std::optional<DashTrackRef> parse_dash_stream_key (const std::string &key, const dash::Mpd &mpd, GError **error)
{
  auto parts = parse_dotted_indices (key, 3);
  if (!parts) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
        "'%s' is not a DASH stream key (PERIOD.ADAPTATIONSET.REPRESENTATION)", key.c_str ());
    return std::nullopt;
  }
  const std::vector<guint64> &p = *parts;
  if (p[0] < mpd.periods.size () && p[1] < mpd.periods[p[0]].adaptation_sets.size ()
      && p[2] < mpd.periods[p[0]].adaptation_sets[p[1]].representations.size ())
    return DashTrackRef { static_cast<guint> (p[0]), static_cast<guint> (p[1]), static_cast<guint> (p[2]) };
  g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
      "stream key '%s' names no Representation of the MPD", key.c_str ());
  return std::nullopt;
}

std::vector<TrackProtection> dash_protection (const dash::Representation &representation)
{
  std::vector<TrackProtection> result;
  for (const auto &protection : representation.content_protections) {
    std::string system = protection.system_id ();
    if (system.empty ())
      continue;
    result.push_back ({ system, "dash/mpd", protection.value.value_or (protection.xml) });
  }
  return result;
}

}  // namespace gst_offline
