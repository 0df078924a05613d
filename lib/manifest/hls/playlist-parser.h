/* Reads an HLS playlist: bytes in, a MasterPlaylist or a MediaPlaylist out,
 * no I/O. Everything the downloader needs is resolved here (see
 * playlist-model.h), and anything malformed is a GST_OFFLINE_ERROR that
 * names the line and the problem:
 *   INVALID_ARGUMENT  not a playlist, or malformed (bad numbers, attributes,
 *                     IVs, byte ranges, a segment without a URI...);
 *   UNSUPPORTED       valid but beyond what is handled: over the limits,
 *                     EXT-X-DEFINE variables, an unknown key METHOD.
 * Unknown tags and attributes are ignored, as the spec asks of clients.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "manifest/hls/playlist-model.h"

#include <gst/offline/offline-error.h>

#include <optional>
#include <string>
#include <string_view>

namespace gst_offline {
namespace hls {

/* Bounds that keep a hostile playlist from exhausting memory. */
struct ParseLimits {
  gsize max_bytes = 64 * 1024 * 1024;
  gsize max_segments = 1000000;
  /* Each of: variants, I-frame variants, renditions, keys, init sections. */
  gsize max_entries = 100000;
};

/* `playlist_uri` is the absolute URL the bytes came from (after redirects):
 * relative URIs are resolved against it. */
std::optional<Playlist> parse_playlist (std::string_view bytes, const std::string &playlist_uri, GError **error,
    const ParseLimits &limits = ParseLimits ());

/* For a URL that must give a media playlist (a variant's or a rendition's):
 * a master playlist there is an INVALID_ARGUMENT error. */
std::optional<MediaPlaylist> parse_media_playlist (std::string_view bytes, const std::string &playlist_uri,
    GError **error, const ParseLimits &limits = ParseLimits ());

/* Where the whole presentation is needed (a download whose other playlists
 * are not live): a live playlist (see MediaPlaylist::is_live) is an
 * UNSUPPORTED error naming `playlist.uri`. */
bool check_not_live (const MediaPlaylist &playlist, GError **error);

}  // namespace hls
}  // namespace gst_offline
