/* The pure MPD parser: the bytes of a manifest and the URL they came from in,
 * the model of mpd-model.h out; no I/O. Hostile input is an error, never a
 * crash, a hang or an unbounded allocation: libxml2 runs with no network, no
 * DTD and no entity substitution, and a document with a DOCTYPE is refused.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "manifest/dash/mpd-model.h"

#include <optional>
#include <string>
#include <string_view>

namespace gst_offline {
namespace dash {

/* Manifests larger than this are refused before parsing. */
constexpr gsize kMaxMpdSize = 64 * 1024 * 1024;
/* The parsed model may not grow past this (inheritance copies AdaptationSet
 * and Period data into every Representation). */
constexpr guint64 kMaxModelBytes = 256 * 1024 * 1024;

/* Whether a dynamic (live) MPD is parsed or refused: the downloader
 * records one and the helper (inspect, track selection) lists its tracks;
 * everything else (licensing a stored download) refuses it. */
enum class Dynamic { Refuse, Accept };

/* Parses `bytes`, fetched from `manifest_url` (absolute; relative BaseURLs
 * resolve against it). Errors: UNSUPPORTED for a dynamic (live) MPD unless
 * `dynamic` accepts it (its live attributes are then read into the model)
 * or a remote (xlink) element, INVALID_ARGUMENT for everything malformed,
 * with a message naming the element at fault. */
std::optional<Mpd> parse_mpd (std::string_view bytes, const std::string &manifest_url, GError **error,
    Dynamic dynamic = Dynamic::Refuse);

}  // namespace dash
}  // namespace gst_offline
