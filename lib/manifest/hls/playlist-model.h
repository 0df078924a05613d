/* The model of an HLS playlist (RFC 8216 and its draft successor) as the
 * downloader and cachesrc need it: a master playlist lists variants and
 * renditions, a media playlist lists segments with everything resolved that
 * the playlist leaves implicit — absolute URIs, byte-range offsets, start
 * times, sequence numbers, the key and the init section in force, the
 * AES-128 IV. Made by playlist-parser.h; holds no GObjects and does no I/O.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace gst_offline {
namespace hls {

/* A sub-range of a resource: bytes [offset, offset + length). The parser
 * guarantees length > 0 and offset + length <= G_MAXINT64, so the end fits
 * both an HTTP Range header and a file offset. */
struct ByteRange {
  guint64 offset = 0;
  guint64 length = 0;

  guint64 end () const { return offset + length; }
  bool operator== (const ByteRange &other) const { return offset == other.offset && length == other.length; }
};

enum class KeyMethod { None, Aes128, SampleAes, SampleAesCtr };

const char *key_method_name (KeyMethod method);

using Iv = std::array<guint8, 16>;

/* One EXT-X-KEY (or EXT-X-SESSION-KEY) tag. */
struct Key {
  KeyMethod method = KeyMethod::None;
  /* Absolute; empty for METHOD=NONE. */
  std::string uri;
  /* The IV attribute; without it AES-128 uses the media sequence number. */
  std::optional<Iv> iv;
  /* "identity" when absent, as the spec defines. */
  std::string key_format = "identity";
  std::string key_format_versions;
  /* Tags that follow each other with no segment in between offer the same
   * content key in several KEYFORMATs (one per DRM system): they share a
   * group number, so the alternatives of a key are the entries of
   * MediaPlaylist::keys with the same group. */
  guint group = 0;
  /* Where the tag is, for messages. */
  gsize line = 0;
};

/* An EXT-X-MAP: the media initialization section of the segments after it. */
struct InitSection {
  std::string uri;
  std::optional<ByteRange> byte_range;
  /* The key in force at the EXT-X-MAP tag (null: clear). The spec requires
   * an explicit IV for an AES-128 init section, and the parser enforces it. */
  std::shared_ptr<const Key> key;
  gsize line = 0;
};

struct Segment {
  std::string uri;
  std::optional<ByteRange> byte_range;
  GstClockTime duration = 0;
  /* The sum of the durations of the segments before it. */
  GstClockTime start = 0;
  guint64 media_sequence = 0;
  guint64 discontinuity_sequence = 0;
  /* An EXT-X-DISCONTINUITY precedes it: timestamps/encoding may change. */
  bool discontinuity = false;
  /* EXT-X-GAP: the segment is missing and must not be fetched. */
  bool gap = false;
  std::string title;
  /* The key in force (null: clear). With several KEYFORMATs offered, the
   * "identity" one (the only one AES-128 defines), else the first. */
  std::shared_ptr<const Key> key;
  /* The EXT-X-MAP in force (null: none, e.g. MPEG-TS). */
  std::shared_ptr<const InitSection> init_section;
  /* Milliseconds since the epoch: from an EXT-X-PROGRAM-DATE-TIME on this
   * segment, or carried on from the previous segment's date and duration
   * (never across a discontinuity). */
  std::optional<gint64> program_date_time_ms;
  bool program_date_time_explicit = false;

  /* The AES-128 IV: the key's IV, else the media sequence number as a
   * 128-bit big-endian integer. Meaningful only when `key` is set. */
  Iv iv () const;
};

enum class PlaylistType { Unspecified, Vod, Event };

struct MediaPlaylist {
  std::string uri;
  guint version = 1;
  /* 0 when the playlist has no EXT-X-TARGETDURATION. */
  GstClockTime target_duration = 0;
  guint64 media_sequence = 0;
  guint64 discontinuity_sequence = 0;
  PlaylistType type = PlaylistType::Unspecified;
  bool end_list = false;
  bool independent_segments = false;
  bool i_frames_only = false;
  /* EXT-X-START TIME-OFFSET in seconds, negative from the end. */
  std::optional<double> start_offset;
  std::vector<Segment> segments;
  /* Every EXT-X-KEY other than METHOD=NONE, in playlist order. */
  std::vector<std::shared_ptr<const Key>> keys;
  std::vector<std::shared_ptr<const InitSection>> init_sections;

  /* The sum of the segment durations. */
  GstClockTime duration () const;
  /* A live playlist may still grow: it is recorded (downloader/live-recorder.h),
   * not downloaded whole. */
  bool is_live () const { return !end_list && type != PlaylistType::Vod; }
};

struct Resolution {
  guint width = 0;
  guint height = 0;
};

/* An EXT-X-STREAM-INF (a playable variant) or an EXT-X-I-FRAME-STREAM-INF. */
struct Variant {
  std::string uri;
  guint64 bandwidth = 0;
  std::optional<guint64> average_bandwidth;
  std::optional<Resolution> resolution;
  /* The CODECS list split at commas, e.g. {"avc1.64001f", "mp4a.40.2"}. */
  std::vector<std::string> codecs;
  std::optional<double> frame_rate;
  /* GROUP-IDs of EXT-X-MEDIA renditions; empty when absent. */
  std::string audio_group;
  std::string video_group;
  std::string subtitles_group;
  std::string closed_captions_group;
  /* CLOSED-CAPTIONS=NONE: the variant carries no captions at all. */
  bool closed_captions_none = false;
  gsize line = 0;
};

enum class RenditionType { Audio, Video, Subtitles, ClosedCaptions };

const char *rendition_type_name (RenditionType type);

/* An EXT-X-MEDIA tag. */
struct Rendition {
  RenditionType type = RenditionType::Audio;
  std::string group_id;
  std::string name;
  /* RFC 5646 tags as written, e.g. "en", "pt-BR"; empty when absent. */
  std::string language;
  std::string assoc_language;
  bool is_default = false;
  bool autoselect = false;
  bool forced = false;
  /* CHANNELS as written (e.g. "2", "16/JOC") and its leading count. */
  std::string channels;
  std::optional<guint> channel_count;
  std::string instream_id;
  std::string characteristics;
  /* Absolute; absent when the rendition is carried in the variant's own
   * stream (always so for CLOSED-CAPTIONS). */
  std::optional<std::string> uri;
  gsize line = 0;
};

struct MasterPlaylist {
  std::string uri;
  guint version = 1;
  bool independent_segments = false;
  std::optional<double> start_offset;
  std::vector<Variant> variants;
  /* Trick-play streams: not playable variants, kept apart. */
  std::vector<Variant> i_frame_variants;
  std::vector<Rendition> renditions;
  /* EXT-X-SESSION-KEY: keys the media playlists will use, for preloading. */
  std::vector<Key> session_keys;

  /* The renditions of one group, in playlist order. */
  std::vector<const Rendition *> renditions_in_group (RenditionType type, const std::string &group_id) const;
  /* The subtitle codec the variants using SUBTITLES group `group_id` name in
   * their CODECS ("wvtt", "stpp.ttml.im1t"), or an empty string. */
  std::string subtitles_codec (const std::string &group_id) const;
};

/* Whether a CODECS entry is TTML in MP4 ("stpp.ttml.im1t" and the like). */
bool is_ttml_in_mp4_codec (const std::string &codec);

/* What a playlist URL gives: one or the other. */
class Playlist {
 public:
  explicit Playlist (MasterPlaylist master) : value_ (std::move (master)) {}
  explicit Playlist (MediaPlaylist media) : value_ (std::move (media)) {}

  bool is_master () const { return std::holds_alternative<MasterPlaylist> (value_); }
  bool is_media () const { return std::holds_alternative<MediaPlaylist> (value_); }
  /* Only for the kind the playlist is (asserted: std::get would throw). */
  const MasterPlaylist &master () const { return *checked (std::get_if<MasterPlaylist> (&value_)); }
  const MediaPlaylist &media () const { return *checked (std::get_if<MediaPlaylist> (&value_)); }
  MasterPlaylist &master () { return *checked (std::get_if<MasterPlaylist> (&value_)); }
  MediaPlaylist &media () { return *checked (std::get_if<MediaPlaylist> (&value_)); }

 private:
  template <typename T> static T *checked (T *p)
  {
    g_assert (p != nullptr);
    return p;
  }
  std::variant<MasterPlaylist, MediaPlaylist> value_;
};

}  // namespace hls
}  // namespace gst_offline
