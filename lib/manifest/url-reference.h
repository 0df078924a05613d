/* Resolving the URL references a manifest holds (BaseURL, segment URLs,
 * playlist URIs) against the URL they came from. GLib gives no string for
 * some results: "https:/..//x" resolves to a URI with no host whose path
 * starts with "//", which has no text form; g_uri_to_string() then warns
 * (a CRITICAL) and returns NULL, and g_uri_resolve_relative() returns NULL
 * without setting its GError. These functions refuse such results first
 * and always say why.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include <optional>
#include <string>

namespace gst_offline {

/* `reference` resolved against the absolute URL `base` (G_URI_FLAGS_NONE).
 * nullopt with a reason in *why when either is malformed or the result has
 * no text form. */
std::optional<std::string> resolve_url_reference (const std::string &base, const std::string &reference,
    std::string *why);

/* The same against a parsed `base`, with `flags` (HLS keeps URIs as
 * written: G_URI_FLAGS_ENCODED). */
std::optional<std::string> resolve_url_reference (GUri *base, const std::string &reference, GUriFlags flags,
    std::string *why);

}  // namespace gst_offline
