/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "manifest/url-reference.h"

namespace gst_offline {

namespace {

constexpr const char *kNoTextForm = "it resolves to a URI without a host whose path starts with '//', "
    "which is no URL";

}  // namespace

std::optional<std::string> resolve_url_reference (const std::string &base, const std::string &reference,
    std::string *why)
{
  g_autoptr (GError) error = nullptr;
  g_autofree gchar *resolved = g_uri_resolve_relative (base.c_str (), reference.c_str (), G_URI_FLAGS_NONE, &error);
  if (!resolved) {
    *why = error ? error->message : kNoTextForm;
    return std::nullopt;
  }
  return std::string (resolved);
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
  g_autofree gchar *text = g_uri_to_string (resolved);
  if (!text) {
    *why = kNoTextForm;
    return std::nullopt;
  }
  return std::string (text);
}

}  // namespace gst_offline
