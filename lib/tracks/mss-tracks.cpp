/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tracks/mss-tracks.h"

#include "manifest/decimal-integer.h"

#include <gst/offline/offline-error.h>

#include <algorithm>

namespace gst_offline {

namespace {

std::optional<TrackType> track_type (mss::StreamType type)
{
  switch (type) {
    case mss::StreamType::Video: return TrackType::Video;
    case mss::StreamType::Audio: return TrackType::Audio;
    case mss::StreamType::Text: return TrackType::Text;
    default: return std::nullopt;
  }
}

const char *mime_type_of (TrackType type)
{
  switch (type) {
    case TrackType::Video: return "video/mp4";
    case TrackType::Audio: return "audio/mp4";
    default: return "application/mp4";
  }
}

}  // namespace

std::vector<Track> mss_tracks (const mss::Manifest &manifest)
{
  std::vector<Track> tracks;
  std::vector<std::string> systems;
  for (const auto &p : manifest.protection)
    if (std::find (systems.begin (), systems.end (), p.system_id) == systems.end ())
      systems.push_back (p.system_id);
  for (guint s = 0; s < manifest.streams.size (); s++) {
    const mss::StreamIndex &stream = manifest.streams[s];
    auto type = track_type (stream.type);
    if (!type)
      continue;
    for (guint q = 0; q < stream.quality_levels.size (); q++) {
      const mss::QualityLevel &level = stream.quality_levels[q];
      Track t;
      t.stream_key = std::to_string (s) + "." + std::to_string (q);
      t.type = *type;
      t.group = std::to_string (s);
      t.mime_type = mime_type_of (*type);
      /* A QualityLevel may leave FourCC out; the StreamIndex's Subtype then says it. */
      t.codecs = level.fourcc.empty () ? stream.subtype : level.fourcc;
      t.bandwidth = level.bitrate;
      t.width = level.max_width;
      t.height = level.max_height;
      t.sampling_rate = level.sampling_rate;
      if (level.channels)
        t.channels = std::to_string (*level.channels);
      t.language = stream.language;
      t.label = stream.name;
      t.protection_systems = systems;
      /* The fragments have no init segment: cachesrc builds the caps qtdemux
       * reads them with from these, as mssdemux does from the manifest. */
      t.timescale = stream.timescale;
      t.codec_private_data = level.codec_private_data;
      t.bits_per_sample = level.bits_per_sample;
      t.packet_size = level.packet_size;
      t.audio_tag = level.audio_tag;
      tracks.push_back (std::move (t));
    }
  }
  return tracks;
}

std::optional<MssTrackRef> parse_mss_stream_key (const std::string &key, const mss::Manifest &manifest, GError **error)
{
  auto parts = parse_dotted_indices (key, 2);
  if (!parts) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
        "'%s' is not a Smooth Streaming stream key (STREAMINDEX.QUALITYLEVEL)", key.c_str ());
    return std::nullopt;
  }
  const std::vector<guint64> &p = *parts;
  if (p[0] < manifest.streams.size () && p[1] < manifest.streams[p[0]].quality_levels.size ())
    return MssTrackRef { static_cast<guint> (p[0]), static_cast<guint> (p[1]) };
  g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
      "stream key '%s' names no QualityLevel of the Smooth Streaming manifest", key.c_str ());
  return std::nullopt;
}

}  // namespace gst_offline
