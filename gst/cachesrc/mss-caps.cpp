/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mss-caps.h"

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace gst_offline {

namespace {

/* Smooth Streaming's default TimeScale (100 ns units). */
constexpr guint64 DEFAULT_TIMESCALE = 10000000;

/* WAVE format tags a QualityLevel's AudioTag may give instead of a FourCC
 * (WAVE_FORMAT_MPEGLAYER3 is 0x55; mssdemux checks 83 for it). */
constexpr guint AUDIO_TAG_MP3 = 85;
constexpr guint AUDIO_TAG_AAC = 255;

bool
is_fourcc (const gchar *codecs, const gchar *fourcc)
{
  return g_ascii_strcasecmp (codecs, fourcc) == 0;
}

std::string_view
bytes_view (GBytes *bytes)
{
  if (!bytes)
    return {};
  gsize size = 0;
  auto data = static_cast<const char *> (g_bytes_get_data (bytes, &size));
  return { data, size };
}

GstBuffer *
buffer_of (std::string_view bytes)
{
  return gst_buffer_new_memdup (bytes.data (), bytes.size ());
}

/* The NAL units of an Annex B byte stream (start codes of 3 or 4 bytes). */
std::vector<std::string_view>
annex_b_units (std::string_view data)
{
  std::vector<std::string_view> units;
  size_t start = std::string_view::npos;
  size_t i = 0;
  while (i + 3 <= data.size ()) {
    if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1) {
      if (start != std::string_view::npos) {
        size_t end = i;
        while (end > start && data[end - 1] == 0)
          end--; /* the leading zero of a 4-byte start code */
        units.push_back (data.substr (start, end - start));
      }
      i += 3;
      start = i;
    } else {
      i++;
    }
  }
  if (start != std::string_view::npos && start < data.size ())
    units.push_back (data.substr (start));
  return units;
}

/* An AVCDecoderConfigurationRecord (ISO/IEC 14496-15 avcC) from the SPS and
 * PPS NAL units CodecPrivateData holds with start codes, with 4-byte NAL
 * lengths: what qtdemux reads from an avcC box. */
GstBuffer *
avc_decoder_configuration (std::string_view codec_private_data, GError **error)
{
  std::vector<std::string_view> sps, pps;
  for (std::string_view unit : annex_b_units (codec_private_data)) {
    if (unit.empty () || unit.size () > G_MAXUINT16)
      continue;
    guint type = static_cast<guint8> (unit[0]) & 0x1f;
    if (type == 7 && unit.size () >= 4)
      sps.push_back (unit);
    else if (type == 8)
      pps.push_back (unit);
  }
  if (sps.empty () || pps.empty () || sps.size () > 31 || pps.size () > 255) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_CORRUPT,
        "its H.264 CodecPrivateData does not hold SPS and PPS NAL units with start codes (%zu SPS, %zu PPS)",
        sps.size (), pps.size ());
    return nullptr;
  }
  std::string record;
  record.push_back (1); /* configurationVersion */
  record.append (sps[0].substr (1, 3)); /* profile, compatibility, level */
  record.push_back (static_cast<char> (0xfc | 3)); /* lengthSizeMinusOne */
  record.push_back (static_cast<char> (0xe0 | sps.size ()));
  auto append_units = [&record] (const std::vector<std::string_view> &units) {
    for (std::string_view unit : units) {
      record.push_back (static_cast<char> (unit.size () >> 8));
      record.push_back (static_cast<char> (unit.size () & 0xff));
      record.append (unit);
    }
  };
  append_units (sps);
  record.push_back (static_cast<char> (pps.size ()));
  append_units (pps);
  return buffer_of (record);
}

/* An AAC-LC AudioSpecificConfig (ISO/IEC 14496-3) for a QualityLevel that
 * gives only SamplingRate and Channels. */
GstBuffer *
aac_lc_config (guint rate, guint channels)
{
  static const std::array<guint, 13> rates = { 96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000,
    12000, 11025, 8000, 7350 };
  guint index = 15; /* the rate is written out */
  for (guint i = 0; i < rates.size (); i++) {
    if (rates[i] == rate)
      index = i;
  }
  guint64 bits = 2; /* audioObjectType: AAC LC */
  guint count = 5;
  bits = bits << 4 | index;
  count += 4;
  if (index == 15) {
    bits = bits << 24 | (rate & 0xffffff);
    count += 24;
  }
  bits = bits << 4 | (channels & 0xf);
  count += 4;
  guint bytes = (count + 7) / 8;
  bits <<= bytes * 8 - count;
  std::string config;
  for (guint i = 0; i < bytes; i++)
    config.push_back (static_cast<char> (bits >> (8 * (bytes - 1 - i))));
  return buffer_of (config);
}

void
set_codec_data (GstCaps *caps, GstBuffer *buffer)
{
  gst_caps_set_simple (caps, "codec_data", GST_TYPE_BUFFER, buffer, nullptr);
  gst_buffer_unref (buffer);
}

GstCaps *
video_caps (GstOfflineTrack *track, std::string_view codec_private_data, GError **error)
{
  const gchar *fourcc = gst_offline_track_get_codecs (track);
  GstCaps *caps;
  GstBuffer *codec_data = nullptr;
  if (is_fourcc (fourcc, "H264") || is_fourcc (fourcc, "AVC1")) {
    codec_data = avc_decoder_configuration (codec_private_data, error);
    if (!codec_data)
      return nullptr;
    caps = gst_caps_new_simple ("video/x-h264", "stream-format", G_TYPE_STRING, "avc", nullptr);
  } else if (is_fourcc (fourcc, "WVC1")) {
    caps = gst_caps_new_simple ("video/x-wmv", "wmvversion", G_TYPE_INT, 3, "format", G_TYPE_STRING, "WVC1", nullptr);
    if (!codec_private_data.empty ())
      codec_data = buffer_of (codec_private_data);
  } else {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
        "its video FourCC '%s' is not one Smooth Streaming playback knows (H264, AVC1, WVC1)", fourcc);
    return nullptr;
  }
  if (guint width = gst_offline_track_get_width (track))
    gst_caps_set_simple (caps, "width", G_TYPE_INT, static_cast<gint> (MIN (width, G_MAXINT)), nullptr);
  if (guint height = gst_offline_track_get_height (track))
    gst_caps_set_simple (caps, "height", G_TYPE_INT, static_cast<gint> (MIN (height, G_MAXINT)), nullptr);
  if (codec_data)
    set_codec_data (caps, codec_data);
  return caps;
}

GstCaps *
audio_caps (GstOfflineTrack *track, std::string_view codec_private_data, GError **error)
{
  const gchar *fourcc = gst_offline_track_get_codecs (track);
  guint tag = gst_offline_track_get_audio_tag (track);
  GstCaps *caps;
  bool aac = false;
  if (*fourcc ? is_fourcc (fourcc, "AACL") : tag == AUDIO_TAG_AAC) {
    caps = gst_caps_new_simple ("audio/mpeg", "mpegversion", G_TYPE_INT, 4, nullptr);
    aac = true;
  } else if (*fourcc ? is_fourcc (fourcc, "WMAP") || is_fourcc (fourcc, "WmaPro") : false) {
    caps = gst_caps_new_simple ("audio/x-wma", "wmaversion", G_TYPE_INT, 3, nullptr);
  } else if (!*fourcc && tag == AUDIO_TAG_MP3) {
    caps = gst_caps_new_simple ("audio/mpeg", "mpegversion", G_TYPE_INT, 1, "layer", G_TYPE_INT, 3, nullptr);
  } else {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
        "its audio FourCC '%s' (AudioTag %u) is not one Smooth Streaming playback knows (AACL, WMAP, WmaPro; "
        "AudioTag 255, 85)", fourcc, tag);
    return nullptr;
  }

  guint rate = gst_offline_track_get_sampling_rate (track);
  guint64 channels = 0;
  const gchar *channels_text = gst_offline_track_get_channels (track);
  if (*channels_text && !g_ascii_string_to_unsigned (channels_text, 10, 1, 255, &channels, nullptr)) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_CORRUPT, "its Channels '%s' is not a channel count",
        channels_text);
    gst_caps_unref (caps);
    return nullptr;
  }
  if (guint block_align = gst_offline_track_get_packet_size (track))
    gst_caps_set_simple (caps, "block_align", G_TYPE_INT, static_cast<gint> (MIN (block_align, G_MAXINT)), nullptr);
  if (channels)
    gst_caps_set_simple (caps, "channels", G_TYPE_INT, static_cast<gint> (channels), nullptr);
  if (rate)
    gst_caps_set_simple (caps, "rate", G_TYPE_INT, static_cast<gint> (MIN (rate, G_MAXINT)), nullptr);
  if (guint depth = gst_offline_track_get_bits_per_sample (track))
    gst_caps_set_simple (caps, "depth", G_TYPE_INT, static_cast<gint> (MIN (depth, G_MAXINT)), nullptr);
  if (guint64 bitrate = gst_offline_track_get_bandwidth (track))
    gst_caps_set_simple (caps, "bitrate", G_TYPE_INT, static_cast<gint> (MIN (bitrate, G_MAXINT)), nullptr);
  if (!codec_private_data.empty ())
    set_codec_data (caps, buffer_of (codec_private_data));
  else if (aac && rate && channels)
    set_codec_data (caps, aac_lc_config (rate, static_cast<guint> (channels)));
  return caps;
}

} // namespace

GstCaps *
mss_track_caps (GstOfflineTrack *track, GError **error)
{
  GBytes *codec_private_data = gst_offline_track_get_codec_private_data (track);
  GstCaps *media;
  switch (gst_offline_track_get_track_type (track)) {
    case GST_OFFLINE_TRACK_TYPE_VIDEO:
      media = video_caps (track, bytes_view (codec_private_data), error);
      break;
    case GST_OFFLINE_TRACK_TYPE_AUDIO:
      media = audio_caps (track, bytes_view (codec_private_data), error);
      break;
    default:
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
          "Smooth Streaming text tracks cannot be played");
      return nullptr;
  }
  if (!media)
    return nullptr;
  guint64 timescale = gst_offline_track_get_timescale (track);
  GstCaps *caps = gst_caps_new_simple ("video/quicktime", "variant", G_TYPE_STRING, "mss-fragmented", "timescale",
      G_TYPE_UINT64, timescale ? timescale : DEFAULT_TIMESCALE, "media-caps", GST_TYPE_CAPS, media, nullptr);
  gst_caps_unref (media);
  return caps;
}

} // namespace gst_offline
