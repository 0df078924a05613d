/* The one model of a track of an adaptive stream, whatever the format: as a
 * manifest offers it (what `gst-offline inspect` lists and what track
 * selection reads), and as a download's playback plan records it (the same
 * fields, plus what playback needs). Each format's lister (lib/tracks) builds
 * it from its own model; a stream key names a track in a way that format can
 * find it again. GstOfflineTrack shows it.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include <optional>
#include <string>
#include <vector>

namespace gst_offline {

enum class TrackType { Video, Audio, Text };

const char *track_type_name (TrackType type);

/* A DRM system's signalling for a track, for a GstProtection event. */
struct TrackProtection {
  std::string system_id;  /* lower-case UUID */
  std::string origin;     /* "dash/mpd", ... */
  std::string data;
};

struct Track {
  /* Its place: in a manifest's list of tracks, or in a download's plan. */
  guint index = 0;
  std::string stream_key;
  TrackType type = TrackType::Video;
  /* The group it belongs to (a DASH AdaptationSet, an HLS rendition group):
   * "best" and "worst" choose one track per group for audio and text. */
  std::string group;
  /* The DASH Period of a manifest's track; a plan's track runs through
   * every period (0). */
  guint period = 0;
  std::string mime_type;
  std::string codecs;
  guint64 bandwidth = 0;
  std::optional<guint> width;
  std::optional<guint> height;
  std::optional<double> frame_rate;
  std::optional<guint> sampling_rate;
  std::optional<std::string> channels;  /* as the manifest says: "2", "6/JOC" */
  std::string language;
  std::string label;
  std::vector<std::string> roles;
  std::vector<std::string> accessibility;
  /* DRM system ids (lower-case UUIDs) of its ContentProtection, if any. */
  std::vector<std::string> protection_systems;
  /* Video tracks that only go with some audio or text tracks (an HLS
   * variant's AUDIO and SUBTITLES groups; "" when it names none: it carries
   * its own audio): the groups of those tracks. Unset: any (DASH, MSS). */
  std::optional<std::string> audio_group;
  std::optional<std::string> text_group;
  /* An audio track that is a whole presentation of its own (an HLS
   * audio-only variant): chosen only when no video track is. */
  bool whole_presentation = false;
  /* What it will take on disk, from its manifest (tracks/track-size.h):
   * unset while not measured or unknown; exact when the manifest gives
   * every byte count, else an estimate from its bandwidth. */
  std::optional<guint64> size;
  bool size_exact = false;

  /* What a download adds. How its segments are packed: "fmp4", "mss-fmp4",
   * "mpegts", "webvtt", "ttml"; empty for a manifest's track. */
  std::string container;
  /* Its DRM signalling, as protection events carry it. */
  std::vector<TrackProtection> protection;
  /* The Common Encryption KIDs of its content (32 lower-case hex digits
   * each) and the ClearKey license server its manifest names for them (or
   * the download's --license-url): what a license of the download covers. */
  std::vector<std::string> kids;
  std::string license_url;
  /* Playback only (a private interface of the library shows them to the
   * plugin): what a demuxer needs when the segments do not say it (Smooth
   * Streaming fragments have no init segment); 0 or empty otherwise. */
  guint64 timescale = 0;           /* units per second of its media times */
  std::string codec_private_data;  /* bytes */
  std::optional<guint> bits_per_sample;
  std::optional<guint> packet_size;
  std::optional<guint> audio_tag;  /* WAVE format tag */
};

}  // namespace gst_offline
