/* The tracks of a manifest as DownloadHelper shows them, whatever the
 * format: what `gst-offline inspect` lists and what track selection reads.
 * Each format's helper builds them from its own model; a stream key names a
 * track in a way that format can find it again.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include <optional>
#include <string>
#include <vector>

namespace gst_offline {

enum class TrackType { Video, Audio, Text };

const char *track_type_name (TrackType type);

struct Track {
  std::string stream_key;
  TrackType type = TrackType::Video;
  /* The group it belongs to (a DASH AdaptationSet, an HLS rendition group):
   * "best" and "worst" choose one track per group for audio and text. */
  std::string group;
  guint period = 0;
  std::string mime_type;
  std::string codecs;
  guint64 bandwidth = 0;
  std::optional<guint> width;
  std::optional<guint> height;
  std::optional<double> frame_rate;
  std::optional<guint> sampling_rate;
  std::optional<std::string> channels;
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
};

}  // namespace gst_offline
