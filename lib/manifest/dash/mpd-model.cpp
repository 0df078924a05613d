/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "manifest/dash/mpd-model.h"

namespace gst_offline {
namespace dash {

std::string ContentProtection::system_id () const
{
  static constexpr std::string_view kPrefix = "urn:uuid:";
  if (scheme_id_uri.size () <= kPrefix.size ()
      || g_ascii_strncasecmp (scheme_id_uri.c_str (), kPrefix.data (), kPrefix.size ()) != 0)
    return {};
  g_autofree gchar *lower = g_ascii_strdown (scheme_id_uri.c_str () + kPrefix.size (), -1);
  return lower;
}

std::optional<guint64> Mpd::duration () const
{
  if (media_presentation_duration)
    return media_presentation_duration;
  if (!periods.empty () && periods.back ().duration)
    return periods.back ().start + *periods.back ().duration;
  return std::nullopt;
}

const char *content_type_name (ContentType type)
{
  switch (type) {
    case ContentType::Video:
      return "video";
    case ContentType::Audio:
      return "audio";
    case ContentType::Text:
      return "text";
    case ContentType::Image:
      return "image";
    case ContentType::Unknown:
      break;
  }
  return "unknown";
}

TextFormat text_format (const AdaptationSet &set, const Representation &representation)
{
  const std::string &mime = representation.mime_type;
  if (mime == "text/vtt")
    return TextFormat::WebVttFile;
  if (mime == "application/ttml+xml")
    return TextFormat::TtmlFile;
  if (mime == "application/mp4" || (set.content_type == ContentType::Text && mime.empty ())) {
    /* codecs like "stpp.ttml.im1t" or "wvtt" */
    std::string_view codecs = representation.codecs;
    if (codecs.substr (0, 4) == "stpp")
      return TextFormat::Mp4Stpp;
    if (codecs.substr (0, 4) == "wvtt")
      return TextFormat::Mp4Wvtt;
  }
  return TextFormat::None;
}

}  // namespace dash
}  // namespace gst_offline
