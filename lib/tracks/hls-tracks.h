/* The tracks of an HLS playlist for DownloadHelper, and the stream keys that
 * name them:
 *   "v:<N>"             the N-th EXT-X-STREAM-INF variant of the master
 *                       playlist (from 0, in playlist order), with whatever
 *                       it carries itself (muxed audio, captions); a media
 *                       playlist given directly is the one track "v:0";
 *   "a:<GROUP>:<NAME>"  the EXT-X-MEDIA TYPE=AUDIO rendition with that
 *                       GROUP-ID and NAME (NAME is unique within a group);
 *   "s:<GROUP>:<NAME>"  the EXT-X-MEDIA TYPE=SUBTITLES rendition likewise.
 * Variants are video tracks, except one whose CODECS are all audio codecs
 * and that has no RESOLUTION (an audio-only variant), which is an audio
 * track of the group "audio-only-variants". Renditions without a URI
 * (carried in the variant's own stream), VIDEO and CLOSED-CAPTIONS
 * renditions and I-frame variants are not offered.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "index/track-model.h"
#include "manifest/hls/playlist-model.h"

#include <gst/offline/offline-error.h>

namespace gst_offline {

std::vector<Track> hls_tracks (const hls::Playlist &playlist);

struct HlsTrackRef {
  enum class Kind { Variant, Rendition };
  Kind kind = Kind::Variant;
  /* Kind::Variant: the index in MasterPlaylist::variants (0 for a media
   * playlist given directly). */
  guint variant = 0;
  /* Kind::Rendition: the EXT-X-MEDIA tag in MasterPlaylist::renditions. */
  const hls::Rendition *rendition = nullptr;
};

/* INVALID_ARGUMENT for a key that is malformed or names nothing in `playlist`. */
std::optional<HlsTrackRef> parse_hls_stream_key (const std::string &key, const hls::Playlist &playlist, GError **error);

std::string hls_variant_stream_key (guint variant);
std::string hls_rendition_stream_key (const hls::Rendition &rendition);

/* Whether a variant carries audio only, by its CODECS and RESOLUTION. */
bool hls_variant_is_audio_only (const hls::Variant &variant);

/* The audio codecs (e.g. "mp4a.40.2") that the variants referring to an
 * AUDIO group list, comma-separated: a rendition's own codecs. */
std::string hls_group_audio_codecs (const hls::MasterPlaylist &master, const std::string &group_id);

}  // namespace gst_offline
