/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tracks/hls-tracks.h"

#include <algorithm>

namespace gst_offline {

namespace {

bool is_audio_codec (const std::string &codec)
{
  static const char *const prefixes[] = { "mp4a", "ac-3", "ec-3", "ac-4", "opus", "flac", "alac", "mp3", "dtsc",
    "dtse", "dtsh", "dtsl" };
  g_autofree gchar *lower = g_ascii_strdown (codec.c_str (), -1);
  for (const char *prefix : prefixes) {
    if (g_str_has_prefix (lower, prefix))
      return true;
  }
  return false;
}

std::string join (const std::vector<std::string> &parts)
{
  std::string text;
  for (const auto &part : parts)
    text += (text.empty () ? "" : ",") + part;
  return text;
}

Track variant_track (const hls::Variant &variant, guint index)
{
  Track t;
  t.stream_key = hls_variant_stream_key (index);
  bool audio_only = hls_variant_is_audio_only (variant);
  t.type = audio_only ? TrackType::Audio : TrackType::Video;
  t.group = audio_only ? "audio-only-variants" : "variants";
  t.codecs = join (variant.codecs);
  t.bandwidth = variant.bandwidth;
  if (variant.resolution) {
    t.width = variant.resolution->width;
    t.height = variant.resolution->height;
  }
  t.frame_rate = variant.frame_rate;
  if (audio_only) {
    t.whole_presentation = true;
  } else {
    t.audio_group = variant.audio_group;
    t.text_group = variant.subtitles_group;
  }
  return t;
}

}  // namespace

std::string hls_variant_stream_key (guint variant)
{
  return "v:" + std::to_string (variant);
}

std::string hls_rendition_stream_key (const hls::Rendition &rendition)
{
  return std::string (rendition.type == hls::RenditionType::Audio ? "a:" : "s:") + rendition.group_id + ":"
      + rendition.name;
}

bool hls_variant_is_audio_only (const hls::Variant &variant)
{
  return !variant.resolution && !variant.codecs.empty ()
      && std::all_of (variant.codecs.begin (), variant.codecs.end (), is_audio_codec);
}

std::string hls_group_audio_codecs (const hls::MasterPlaylist &master, const std::string &group_id)
{
  std::vector<std::string> codecs;
  for (const hls::Variant &variant : master.variants) {
    if (variant.audio_group != group_id)
      continue;
    for (const std::string &codec : variant.codecs) {
      if (is_audio_codec (codec) && std::find (codecs.begin (), codecs.end (), codec) == codecs.end ())
        codecs.push_back (codec);
    }
  }
  return join (codecs);
}

std::vector<Track> hls_tracks (const hls::Playlist &playlist)
{
  std::vector<Track> tracks;
  if (playlist.is_media ()) {
    Track t;
    t.stream_key = hls_variant_stream_key (0);
    t.group = "variants";
    tracks.push_back (std::move (t));
    return tracks;
  }
  const hls::MasterPlaylist &master = playlist.master ();
  for (guint i = 0; i < master.variants.size (); i++)
    tracks.push_back (variant_track (master.variants[i], i));
  for (const hls::Rendition &rendition : master.renditions) {
    if (!rendition.uri)
      continue;  /* carried in the variant's own stream */
    if (rendition.type != hls::RenditionType::Audio && rendition.type != hls::RenditionType::Subtitles)
      continue;
    Track t;
    t.stream_key = hls_rendition_stream_key (rendition);
    t.type = rendition.type == hls::RenditionType::Audio ? TrackType::Audio : TrackType::Text;
    t.group = rendition.group_id;
    t.codecs = rendition.type == hls::RenditionType::Audio ? hls_group_audio_codecs (master, rendition.group_id)
                                                           : std::string ();
    if (rendition.type == hls::RenditionType::Subtitles) {
      /* WebVTT unless the variants say TTML in MP4 (stpp), which is listed
       * as what it is (and refused by the downloader). */
      std::string codec = master.subtitles_codec (rendition.group_id);
      t.mime_type = hls::is_ttml_in_mp4_codec (codec) ? "application/mp4" : "text/vtt";
      t.codecs = codec;
    }
    if (!rendition.channels.empty ())
      t.channels = rendition.channels;
    t.language = rendition.language;
    t.label = rendition.name;
    if (rendition.is_default)
      t.roles.push_back ("main");
    else
      t.roles.push_back ("alternate");
    if (rendition.forced)
      t.roles.push_back ("forced-subtitle");
    if (!rendition.characteristics.empty ()) {
      g_auto (GStrv) parts = g_strsplit (rendition.characteristics.c_str (), ",", -1);
      for (gchar **p = parts; *p; p++)
        t.accessibility.emplace_back (*p);
    }
    tracks.push_back (std::move (t));
  }
  return tracks;
}

std::optional<HlsTrackRef> parse_hls_stream_key (const std::string &key, const hls::Playlist &playlist, GError **error)
{
  if (key.size () > 2 && key[0] == 'v' && key[1] == ':') {
    std::string digits = key.substr (2);
    if (digits.size () <= 9 && std::all_of (digits.begin (), digits.end (), [] (char ch) { return g_ascii_isdigit (ch); })) {
      guint64 index = g_ascii_strtoull (digits.c_str (), nullptr, 10);
      guint count = playlist.is_master () ? static_cast<guint> (playlist.master ().variants.size ()) : 1;
      if (index < count)
        return HlsTrackRef { HlsTrackRef::Kind::Variant, static_cast<guint> (index), nullptr };
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
          "stream key '%s' names no variant of the playlist (it has %u)", key.c_str (), count);
      return std::nullopt;
    }
  } else if (key.size () > 2 && (key[0] == 'a' || key[0] == 's') && key[1] == ':' && key.find (':', 2) != std::string::npos) {
    hls::RenditionType type = key[0] == 'a' ? hls::RenditionType::Audio : hls::RenditionType::Subtitles;
    if (playlist.is_master ()) {
      for (const hls::Rendition &rendition : playlist.master ().renditions) {
        if (rendition.type == type && rendition.uri && hls_rendition_stream_key (rendition) == key)
          return HlsTrackRef { HlsTrackRef::Kind::Rendition, 0, &rendition };
      }
    }
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
        "stream key '%s' names no %s rendition with a URI in the playlist", key.c_str (),
        type == hls::RenditionType::Audio ? "AUDIO" : "SUBTITLES");
    return std::nullopt;
  }
  g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
      "'%s' is not an HLS stream key (v:VARIANT, a:GROUP:NAME or s:GROUP:NAME)", key.c_str ());
  return std::nullopt;
}

}  // namespace gst_offline
