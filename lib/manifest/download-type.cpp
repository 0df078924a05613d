/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "manifest/download-type.h"

#include <gst/base/gsttypefindhelper.h>
#include <gst/gst.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace gst_offline {

std::optional<GstOfflineDownloadType> download_type_from_suffix (const std::string &uri)
{
  g_autoptr (GUri) parsed = g_uri_parse (uri.c_str (), G_URI_FLAGS_NONE, nullptr);
  std::string path = parsed ? g_uri_get_path (parsed) : uri;
  std::transform (path.begin (), path.end (), path.begin (), [] (unsigned char c) { return g_ascii_tolower (c); });
  auto ends_with = [&] (const char *suffix) {
    size_t n = strlen (suffix);
    return path.size () >= n && path.compare (path.size () - n, n, suffix) == 0;
  };
  if (ends_with (".mpd"))
    return GST_OFFLINE_DOWNLOAD_TYPE_DASH;
  if (ends_with (".m3u8") || ends_with (".m3u"))
    return GST_OFFLINE_DOWNLOAD_TYPE_HLS;
  if (ends_with (".ism/manifest") || ends_with (".isml/manifest"))
    return GST_OFFLINE_DOWNLOAD_TYPE_MSS;
  static const char *const kMediaSuffixes[] = { ".mp4", ".m4v", ".m4a", ".mov", ".mkv", ".mka", ".webm", ".ts",
    ".mts", ".mp3", ".aac", ".ogg", ".oga", ".ogv", ".opus", ".flac", ".wav", ".avi", ".3gp" };
  for (const char *suffix : kMediaSuffixes) {
    if (ends_with (suffix))
      return GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE;
  }
  return std::nullopt;
}

std::optional<GstOfflineDownloadType> download_type_from_content_type (const std::string &content_type)
{
  /* The media type alone, without parameters, in lower case. */
  std::string type = content_type.substr (0, content_type.find (';'));
  g_autofree gchar *stripped = g_strstrip (g_strdup (type.c_str ()));
  g_autofree gchar *lower = g_ascii_strdown (stripped, -1);
  static const struct {
    const char *name;
    GstOfflineDownloadType type;
  } kTypes[] = {
    { "application/dash+xml", GST_OFFLINE_DOWNLOAD_TYPE_DASH },
    { "application/vnd.apple.mpegurl", GST_OFFLINE_DOWNLOAD_TYPE_HLS },
    { "application/x-mpegurl", GST_OFFLINE_DOWNLOAD_TYPE_HLS },
    { "audio/mpegurl", GST_OFFLINE_DOWNLOAD_TYPE_HLS },
    { "audio/x-mpegurl", GST_OFFLINE_DOWNLOAD_TYPE_HLS },
    { "application/vnd.ms-sstr+xml", GST_OFFLINE_DOWNLOAD_TYPE_MSS },
  };
  for (const auto &known : kTypes) {
    if (g_str_equal (lower, known.name))
      return known.type;
  }
  if (g_str_has_prefix (lower, "video/") || g_str_has_prefix (lower, "audio/"))
    return GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE;
  return std::nullopt;
}

namespace {

/* The name of the root element of an XML document, past its declaration,
 * comments, processing instructions and a DOCTYPE; empty if `text` does not
 * start like XML. Only looks, never parses: the parsers judge the rest. */
std::string xml_root_name (std::string_view text)
{
  if (text.rfind ("\xEF\xBB\xBF", 0) == 0)
    text.remove_prefix (3);
  for (;;) {
    size_t start = text.find_first_not_of (" \t\r\n");
    if (start == std::string_view::npos || text[start] != '<')
      return {};
    text.remove_prefix (start);
    const char *end_marker = text.rfind ("<!--", 0) == 0 ? "-->" : text.rfind ("<?", 0) == 0 ? "?>"
        : text.rfind ("<!", 0) == 0 ? ">" : nullptr;
    if (!end_marker)
      break;
    size_t end = text.find (end_marker);
    if (end == std::string_view::npos)
      return {};
    text.remove_prefix (end + strlen (end_marker));
  }
  text.remove_prefix (1);
  size_t end = text.find_first_of (" \t\r\n/>");
  std::string_view name = text.substr (0, end);
  size_t colon = name.find (':');
  if (colon != std::string_view::npos)
    name.remove_prefix (colon + 1);
  return std::string (name);
}

}  // namespace

std::optional<GstOfflineDownloadType> download_type_from_bytes (const std::string &prefix)
{
  g_autoptr (GstCaps) caps = gst_type_find_helper_for_data (nullptr,
      reinterpret_cast<const guint8 *> (prefix.data ()), prefix.size (), nullptr);
  const char *name = caps && !gst_caps_is_empty (caps) ? gst_structure_get_name (gst_caps_get_structure (caps, 0)) : "";
  if (g_str_equal (name, "application/dash+xml"))
    return GST_OFFLINE_DOWNLOAD_TYPE_DASH;
  if (g_str_equal (name, "application/x-hls"))
    return GST_OFFLINE_DOWNLOAD_TYPE_HLS;
  if (g_str_equal (name, "application/vnd.ms-sstr+xml"))
    return GST_OFFLINE_DOWNLOAD_TYPE_MSS;
  std::string_view text (prefix);
  if (text.rfind ("\xEF\xBB\xBF", 0) == 0)
    text.remove_prefix (3);
  if (text.rfind ("#EXTM3U", 0) == 0)
    return GST_OFFLINE_DOWNLOAD_TYPE_HLS;
  std::string root = xml_root_name (prefix);
  if (root == "MPD")
    return GST_OFFLINE_DOWNLOAD_TYPE_DASH;
  if (root == "SmoothStreamingMedia")
    return GST_OFFLINE_DOWNLOAD_TYPE_MSS;
  return std::nullopt;
}

GstOfflineDownloadType detect_download_type (const std::string &uri, const std::string &content_type,
    const std::string &prefix)
{
  if (auto type = download_type_from_suffix (uri))
    return *type;
  if (auto type = download_type_from_content_type (content_type))
    return *type;
  return download_type_from_bytes (prefix).value_or (GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE);
}

GstOfflineDownloadType guess_download_type (const std::string &uri)
{
  return download_type_from_suffix (uri).value_or (GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE);
}

bool download_type_supported (GstOfflineDownloadType type, GError **error)
{
  if (type == GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE || type == GST_OFFLINE_DOWNLOAD_TYPE_DASH
      || type == GST_OFFLINE_DOWNLOAD_TYPE_HLS || type == GST_OFFLINE_DOWNLOAD_TYPE_MSS)
    return true;
  g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
      "%s downloads are not supported by this version of gst-offline", gst_offline_download_type_to_string (type));
  return false;
}


namespace {

/* Media types typefinders report for containers and streams that are not
 * under audio/ or video/. */
const char *const kMediaApplicationTypes[] = {
  "application/ogg",
  "application/x-id3",
  "application/x-apetag",
  "application/mxf",
  "application/x-3gp",
  "application/vnd.rn-realmedia",
  "application/x-annodex",
};

/* What to call a known non-media type in an error. */
const char *describe_non_media (const char *type)
{
  if (strcmp (type, "application/dash+xml") == 0)
    return "a DASH manifest";
  if (strcmp (type, "application/x-hls") == 0)
    return "an HLS playlist";
  if (strcmp (type, "application/vnd.ms-sstr+xml") == 0)
    return "a Smooth Streaming manifest";
  return nullptr;
}

}  // namespace

bool check_is_media (const std::string &prefix, const std::string &uri, GError **error)
{
  GstTypeFindProbability probability = GST_TYPE_FIND_NONE;
  g_autoptr (GstCaps) caps = gst_type_find_helper_for_data (nullptr,
      reinterpret_cast<const guint8 *> (prefix.data ()), prefix.size (), &probability);
  const char *type = caps && !gst_caps_is_empty (caps) ? gst_structure_get_name (gst_caps_get_structure (caps, 0)) : nullptr;
  if (type) {
    if (g_str_has_prefix (type, "video/") || g_str_has_prefix (type, "audio/"))
      return true;
    for (const char *media : kMediaApplicationTypes) {
      if (strcmp (type, media) == 0)
        return true;
    }
  }
  const char *what = type ? describe_non_media (type) : nullptr;
  if (what)
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
        "%s is %s, not a media file; download it with its manifest type", uri.c_str (), what);
  else
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED, "%s is not a media file (%s)", uri.c_str (),
        type ? type : "unrecognised content");
  return false;
}

}  // namespace gst_offline
