/* What a URL holds, told from what can be seen of it without a parser: its
 * path, the server's Content-Type and its first bytes. Pure (bytes in,
 * answer out), so DownloadHelper and the downloaders tell it alike.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/offline/offline-error.h>
#include <gst/offline/offline-types.h>

#include <optional>
#include <string>

namespace gst_offline {

/* What a URL is, told in turn by the three things that can tell it (one
 * detection for DownloadHelper, so for `inspect` and `download` alike):
 *   1. its path's suffix, when it names a kind (.mpd, .m3u8, .ism/Manifest,
 *      or a media file's extension such as .mp4);
 *   2. else the server's Content-Type, when it names one
 *      (application/dash+xml, application/vnd.apple.mpegurl, ...,
 *      video/..., audio/...);
 *   3. else the first bytes: typefinding, then the root element of an XML
 *      document (MPD, SmoothStreamingMedia) after any comments, or #EXTM3U.
 * What none of them recognises is taken for a media file, which the
 * progressive downloader's check (check_is_media) then judges. */
std::optional<GstOfflineDownloadType> download_type_from_suffix (const std::string &uri);
std::optional<GstOfflineDownloadType> download_type_from_content_type (const std::string &content_type);
std::optional<GstOfflineDownloadType> download_type_from_bytes (const std::string &prefix);
GstOfflineDownloadType detect_download_type (const std::string &uri, const std::string &content_type,
    const std::string &prefix);

/* The type a URI most likely is from its path alone (a media file when the
 * path does not say): what a request of type AUTO becomes when it is added
 * without anything fetched. */
GstOfflineDownloadType guess_download_type (const std::string &uri);

/* Whether this build can download `type`; UNSUPPORTED otherwise. */
bool download_type_supported (GstOfflineDownloadType type, GError **error);

/* Whether `prefix`, the first bytes of a file, are of a media container or
 * stream GStreamer can play; the error names what it is instead. */
bool check_is_media (const std::string &prefix, const std::string &uri, GError **error);

}  // namespace gst_offline
