/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "manifest/hls/playlist-model.h"

namespace gst_offline {
namespace hls {

const char *key_method_name (KeyMethod method)
{
  switch (method) {
    case KeyMethod::None:
      return "NONE";
    case KeyMethod::Aes128:
      return "AES-128";
    case KeyMethod::SampleAes:
      return "SAMPLE-AES";
    case KeyMethod::SampleAesCtr:
      return "SAMPLE-AES-CTR";
  }
  return "?";
}

const char *rendition_type_name (RenditionType type)
{
  switch (type) {
    case RenditionType::Audio:
      return "AUDIO";
    case RenditionType::Video:
      return "VIDEO";
    case RenditionType::Subtitles:
      return "SUBTITLES";
    case RenditionType::ClosedCaptions:
      return "CLOSED-CAPTIONS";
  }
  return "?";
}

Iv Segment::iv () const
{
  if (key && key->iv)
    return *key->iv;
  /* RFC 8216 5.2: the media sequence number as a big-endian binary
   * representation in a 16-octet buffer. */
  Iv iv {};
  for (int i = 0; i < 8; i++)
    iv[15 - i] = static_cast<guint8> (media_sequence >> (8 * i));
  return iv;
}

GstClockTime MediaPlaylist::duration () const
{
  /* The parser refuses a sum that would overflow. */
  return segments.empty () ? 0 : segments.back ().start + segments.back ().duration;
}

std::vector<const Rendition *> MasterPlaylist::renditions_in_group (RenditionType type,
    const std::string &group_id) const
{
  std::vector<const Rendition *> group;
  for (const auto &rendition : renditions) {
    if (rendition.type == type && rendition.group_id == group_id)
      group.push_back (&rendition);
  }
  return group;
}

std::string MasterPlaylist::subtitles_codec (const std::string &group_id) const
{
  for (const auto &variant : variants) {
    if (variant.subtitles_group != group_id)
      continue;
    for (const auto &codec : variant.codecs) {
      if (is_ttml_in_mp4_codec (codec) || g_str_has_prefix (codec.c_str (), "wvtt"))
        return codec;
    }
  }
  return {};
}

bool is_ttml_in_mp4_codec (const std::string &codec)
{
  return g_str_has_prefix (codec.c_str (), "stpp");
}

}  // namespace hls
}  // namespace gst_offline
