/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "entry-points.h"

#include "drm/license-manager.h"
#include "drm/pssh.h"
#include "tracks/dash-tracks.h"
#include "tracks/hls-tracks.h"
#include "tracks/mss-tracks.h"
#include "manifest/dash/mpd-parser.h"
#include "manifest/dash/segment-index.h"
#include "manifest/dash/sidx.h"
#include "manifest/dash/xs-duration.h"
#include "manifest/decimal-integer.h"
#include "manifest/hls/attribute-list.h"
#include "manifest/hls/playlist-parser.h"
#include "manifest/mss/manifest-parser.h"
#include "util/big-endian.h"
#include "util/json-limits.h"

#include "cachesrc/fmp4-clear-lead.h"
#include "cachesrc/fmp4-timing.h"
#include "cachesrc/webvtt-timing.h"
#include "offlinedrm/sample-encryption.h"

#include <gst/gst.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace gst_offline {
namespace fuzz {

namespace {

constexpr const char *kMpdUrl = "https://media.example.com/dash/manifest.mpd";
constexpr const char *kPlaylistUrl = "https://media.example.com/hls/index.m3u8";
constexpr const char *kMssUrl = "https://media.example.com/mss/Movie.ism/Manifest";

std::string_view text_of (const uint8_t *data, size_t size)
{
  return std::string_view (reinterpret_cast<const char *> (data), size);
}

const char *current_entry = "";

[[noreturn]] void broken (const char *what)
{
  g_printerr ("%s: parser contract broken: %s\n", current_entry, what);
  abort ();
}

/* A parser gave a result, or an error with a message; never both, never neither. */
template <typename T>
void check_outcome (const std::optional<T> &result, GError *error)
{
  if (result && error)
    broken (error->message);
  if (!result && (!error || !error->message || !error->message[0]))
    broken ("a failure without an error message");
}

void check_why (bool ok, const std::string &why)
{
  if (!ok && why.empty ())
    broken ("a failure without a reason");
}

void run_mpd (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = nullptr;
  auto mpd = dash::parse_mpd (text_of (data, size), kMpdUrl, &error);
  check_outcome (mpd, error);
  if (!mpd)
    return;
  dash_tracks (*mpd);
  mpd->duration ();
  for (const auto &period : mpd->periods)
    for (const auto &set : period.adaptation_sets)
      for (const auto &rep : set.representations) {
        dash::text_format (set, rep);
        dash_protection (rep);
        for (const auto &protection : rep.content_protections) {
          protection.system_id ();
          for (const auto &box : protection.pssh) {
            std::string why;
            check_why (parse_pssh_box (box, &why).has_value (), why);
          }
        }
      }
}

void run_dash_segments (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = nullptr;
  auto mpd = dash::parse_mpd (text_of (data, size), kMpdUrl, &error);
  if (!mpd)
    return;
  for (const auto &period : mpd->periods)
    for (const auto &set : period.adaptation_sets)
      for (const auto &rep : set.representations) {
        g_autoptr (GError) expand_error = nullptr;
        auto index = dash::expand_segments (period, rep, &expand_error);
        check_outcome (index, expand_error);
      }
}

void run_xs_duration (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = nullptr;
  auto duration = parse_xs_duration (text_of (data, size), &error);
  check_outcome (duration, error);
}

void run_sidx (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = nullptr;
  auto sidx = dash::parse_sidx (data, size, &error);
  check_outcome (sidx, error);
  g_clear_error (&error);
  /* Placed in a SegmentBase Representation, as the DASH downloader does. */
  dash::SegmentIndex index;
  index.sidx = dash::SidxLocation { "https://media.example.com/dash/video.mp4", dash::ByteRange { 800, 800 + size } };
  index.timescale = 1000;
  bool ok = dash::add_sidx_segments (index, data, size, &error);
  check_outcome (ok ? std::optional<bool> (true) : std::nullopt, error);
}

void run_hls_playlist (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = nullptr;
  auto playlist = hls::parse_playlist (text_of (data, size), kPlaylistUrl, &error);
  check_outcome (playlist, error);
  if (!playlist)
    return;
  hls_tracks (*playlist);
  if (playlist->is_media ()) {
    g_autoptr (GError) live_error = nullptr;
    bool vod = hls::check_not_live (playlist->media (), &live_error);
    check_outcome (vod ? std::optional<bool> (true) : std::nullopt, live_error);
    playlist->media ().duration ();
  } else {
    const auto &master = playlist->master ();
    for (const auto &variant : master.variants) {
      hls_variant_is_audio_only (variant);
      hls_group_audio_codecs (master, variant.audio_group);
    }
  }
}

void run_hls_attributes (const uint8_t *data, size_t size)
{
  std::string_view text = text_of (data, size);
  std::string problem;
  auto list = hls::AttributeList::parse (text, &problem);
  check_why (list.has_value (), problem);
  if (list) {
    for (const auto &attribute : list->attributes ()) {
      list->find (attribute.name);
      hls::parse_decimal_float (attribute.value, true);
      hls::parse_seconds (attribute.value);
      hls::parse_resolution (attribute.value);
      hls::parse_hex_sequence (attribute.value);
      hls::parse_iv (attribute.value);
      hls::parse_byte_range (attribute.value);
    }
  }
  hls::parse_decimal_float (text, false);
  hls::parse_seconds (text);
  hls::parse_resolution (text);
  hls::parse_hex_sequence (text);
  hls::parse_iv (text);
  hls::parse_byte_range (text);
}

void run_mss_manifest (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = nullptr;
  auto manifest = mss::parse_manifest (text_of (data, size), kMssUrl, &error);
  check_outcome (manifest, error);
  if (!manifest)
    return;
  mss_tracks (*manifest);
  manifest->has_playready ();
  for (const auto &stream : manifest->streams)
    for (const auto &level : stream.quality_levels) {
      g_autoptr (GError) expand_error = nullptr;
      auto fragments = mss::expand_fragments (*manifest, stream, level, &expand_error);
      check_outcome (fragments, expand_error);
    }
}

void run_pssh (const uint8_t *data, size_t size)
{
  std::string why;
  check_why (parse_pssh_box (text_of (data, size), &why).has_value (), why);
}

/* The GstStructure qtdemux makes from senc/saiz/saio/tenc, built from the
 * input: a control byte chooses which fields are there and of what type,
 * the bytes after it fill the KID, the IV and the subsample table. */
void run_sample_encryption (const uint8_t *data, size_t size)
{
  if (size < 8)
    return;
  const guint8 control = data[0];
  const guint8 iv_size = data[1];
  const guint32 subsample_count = read_u32_be (data + 2) & 0xffff;
  const gsize sample_size = read_u16_be (data + 6);
  data += 8;
  size -= 8;
  auto take = [&] (gsize n) {
    n = MIN (n, size);
    GstBuffer *buffer = n > 0 ? gst_buffer_new_memdup (data, n) : gst_buffer_new ();
    data += n;
    size -= n;
    return buffer;
  };
  GstStructure *info = gst_structure_new_empty ((control & 0x80) ? "application/x-other" : "application/x-cenc");
  gst_structure_set (info, "encrypted", G_TYPE_BOOLEAN, (control & 1) != 0, nullptr);
  if (control & 2)
    gst_structure_set (info, "cipher-mode", G_TYPE_STRING, (control & 4) ? "cbcs" : "cenc", nullptr);
  if (control & 8) {
    GstBuffer *kid = take ((control & 0x40) ? 15 : 16);
    gst_structure_set (info, "kid", GST_TYPE_BUFFER, kid, nullptr);
    gst_buffer_unref (kid);
  }
  gst_structure_set (info, "iv_size", G_TYPE_UINT, static_cast<guint> (iv_size), nullptr);
  if (iv_size == 0)
    gst_structure_set (info, "constant_iv_size", G_TYPE_UINT, 16u, nullptr);
  GstBuffer *iv = take (iv_size == 0 ? 16 : iv_size);
  gst_structure_set (info, "iv", GST_TYPE_BUFFER, iv, nullptr);
  gst_buffer_unref (iv);
  if (control & 0x10) {
    gst_structure_set (info, "subsample_count", G_TYPE_UINT, subsample_count, nullptr);
    /* Whatever is left is the table, at an odd offset when it can be: qtdemux's
     * buffers make no alignment promise. */
    GstBuffer *table = take (size);
    gst_structure_set (info, "subsamples", GST_TYPE_BUFFER, table, nullptr);
    gst_buffer_unref (table);
  }
  if (control & 0x20)
    gst_structure_set (info, "crypt_byte_block", G_TYPE_UINT, static_cast<guint> (iv_size >> 4),
        "skip_byte_block", G_TYPE_UINT, static_cast<guint> (iv_size & 0xf), nullptr);
  SampleEncryption out;
  std::string why;
  check_why (parse_sample_encryption (info, sample_size, &out, &why), why);
  gst_structure_free (info);
}

/* cachesrc reads its fMP4 timing from the cache files: the input is one. */
void run_fmp4_timing (const uint8_t *data, size_t size)
{
  static int fd = memfd_create ("fuzz-fmp4", MFD_CLOEXEC);
  if (fd < 0 || ftruncate (fd, 0) != 0)
    abort ();
  for (size_t done = 0; done < size;) {
    ssize_t n = pwrite (fd, data + done, size - done, done);
    if (n <= 0)
      abort ();
    done += n;
  }
  fmp4_track_timescale (fd, size);
  fmp4_track_protected (fd, size);
  fmp4_first_decode_time (fd, size);
  fmp4_first_composition_offset (fd, size);
  /* A media segment cut at a stop: what is sent lies within the input. */
  for (guint64 stop : { guint64 (0), guint64 (GST_SECOND), G_MAXUINT64 }) {
    auto cut = fmp4_cut_at (fd, size, 12800, stop);
    if (cut && cut->end > size)
      abort ();
    for (const auto &patch : cut ? cut->patches : std::vector<std::pair<guint64, guint32>> ()) {
      if (patch.first + 4 > cut->end)
        abort ();
    }
  }
  /* A clear init segment of a protected track, rewritten: the result is a
   * sequence of boxes again, protected, and never smaller. */
  auto lead = fmp4_init_as_clear_lead (std::vector<guint8> (data, data + size));
  if (lead && lead->size () < size)
    abort ();
}

void run_webvtt (const uint8_t *data, size_t size)
{
  /* The first 16 bytes, when there are, are the media's time map. */
  std::optional<MediaTimeMap> media;
  if (size >= 16) {
    media = MediaTimeMap { read_u64_be (data), read_u64_be (data + 8) };
    media_to_presentation (static_cast<gint64> (read_u64_be (data + 8)), *media);
  }
  std::string_view segment = text_of (data, size);
  std::optional<WebvttTimestampMap> map;
  std::string why;
  bool ok = webvtt_read_timestamp_map (segment, &map, &why);
  check_why (ok, why);
  if (!ok)
    return;
  why.clear ();
  check_why (webvtt_rewrite (segment, map, media, &why).has_value (), why);
  why.clear ();
  check_why (webvtt_rewrite (segment, std::nullopt, std::nullopt, &why).has_value (), why);
  if (map && media)
    webvtt_presentation_time (0, *map, *media);
}

void run_license_json (const uint8_t *data, size_t size)
{
  std::string_view text = text_of (data, size);
  json_nesting_depth (text);
  LicenseRequest request;
  request.license_url = "https://license.example.com/clearkey";
  request.kids.push_back (KeyId { 0x10, 0, 0, 0, 0x10, 0, 0x10, 0, 0x10, 0, 0, 0, 0, 0, 0, 1 });
  g_autoptr (GError) error = nullptr;
  auto answer = parse_license_answer (text, request, &error);
  check_outcome (answer, error);
}

void run_decimal_integer (const uint8_t *data, size_t size)
{
  auto value = parse_decimal_integer (text_of (data, size));
  /* It must agree with the digits. */
  if (value && (size == 0 || size > 20 || std::to_string (*value).size () > size))
    broken ("a decimal integer that does not match its digits");
  /* Stream keys: canonical indices only, so each reads back as it is written. */
  std::string_view text = text_of (data, size);
  for (size_t count : { 2, 3 }) {
    auto parts = parse_dotted_indices (text, count);
    if (!parts)
      continue;
    std::string written;
    for (guint64 part : *parts)
      written += (written.empty () ? "" : ".") + std::to_string (part);
    if (written != text)
      broken ("stream key indices that are not written as they were read");
  }
}

void run_mpegts (const uint8_t *data, size_t size)
{
  mpegts_first_pcr (data, size);
  mpegts_first_timestamp (data, size);
  mpegts_program_head (data, size);
}

}  // namespace

const Entry kEntries[] = {
  { "mpd", run_mpd },
  { "dash-segments", run_dash_segments },
  { "xs-duration", run_xs_duration },
  { "sidx", run_sidx },
  { "hls-playlist", run_hls_playlist },
  { "hls-attributes", run_hls_attributes },
  { "mss-manifest", run_mss_manifest },
  { "pssh", run_pssh },
  { "sample-encryption", run_sample_encryption },
  { "fmp4-timing", run_fmp4_timing },
  { "webvtt", run_webvtt },
  { "license-json", run_license_json },
  { "decimal-integer", run_decimal_integer },
  { "mpegts", run_mpegts },
  { nullptr, nullptr },
};

void run_entry (const Entry &entry, const uint8_t *data, size_t size)
{
  current_entry = entry.name;
  entry.run (data, size);
}

const Entry *find_entry (const char *name)
{
  for (const Entry *entry = kEntries; entry->name; entry++)
    if (std::strcmp (entry->name, name) == 0)
      return entry;
  return nullptr;
}

void init_entries ()
{
  static bool done = false;
  if (done)
    return;
  done = true;
  /* A CRITICAL or WARNING is a bug like a crash ("no CRITICAL"); GStreamer's
   * debug log stays off (it would dominate the time). */
  g_log_set_always_fatal (static_cast<GLogLevelFlags> (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING));
  g_setenv ("GST_DEBUG", "0", TRUE);
  g_setenv ("GST_REGISTRY_DISABLE", "yes", TRUE);
  gst_init (nullptr, nullptr);
}

}  // namespace fuzz
}  // namespace gst_offline
