/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "manifest/url-reference.h"

namespace gst_offline {

namespace {

/* RFC 3986 section 3: with a host the path is empty or absolute; without
 * one it cannot start with "//". g_uri_to_string() asserts both (a
 * CRITICAL and NULL), so they are checked first. */
const char *unwritable (GUri *uri)
{
  const char *host = g_uri_get_host (uri);
  const char *path = g_uri_get_path (uri);
  if (host && path[0] != '\0' && path[0] != '/')
    return "it resolves to a URI with a host and a relative path, which is no URL";
  if (!host && path[0] == '/' && path[1] == '/')
    return "it resolves to a URI without a host whose path starts with '//', which is no URL";
  return nullptr;
}

}  // namespace

std::optional<std::string> resolve_url_reference (const std::string &base, const std::string &reference,
    std::string *why)
{
  /* As g_uri_resolve_relative() does, which cannot tell why it failed. */
  g_autoptr (GError) error = nullptr;
  g_autoptr (GUri) base_uri = g_uri_parse (base.c_str (), G_URI_FLAGS_ENCODED, &error);
  if (!base_uri) {
    *why = error->message;
    return std::nullopt;
  }
  return resolve_url_reference (base_uri, reference, G_URI_FLAGS_ENCODED, why);
}

std::optional<std::string> resolve_url_reference (GUri *base, const std::string &reference, GUriFlags flags,
    std::string *why)
{
  g_autoptr (GError) error = nullptr;
  g_autoptr (GUri) resolved = g_uri_parse_relative (base, reference.c_str (), flags, &error);
  if (!resolved) {
    *why = error ? error->message : "it cannot be parsed";
    return std::nullopt;
  }
  if (const char *problem = unwritable (resolved)) {
    *why = problem;
    return std::nullopt;
  }
  g_autofree gchar *text = g_uri_to_string (resolved);
  if (!text) {
    *why = "it has no text form";
    return std::nullopt;
  }
  return std::string (text);
}

}  // namespace gst_offline
