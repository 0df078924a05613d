/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "manifest/hls/playlist-parser.h"

#include "manifest/hls/attribute-list.h"
#include "manifest/url-reference.h"

#include <cstdarg>
#include <unordered_map>

namespace gst_offline {
namespace hls {

namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

bool is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim (std::string_view text)
{
  while (!text.empty () && is_space (text.front ()))
    text.remove_prefix (1);
  while (!text.empty () && is_space (text.back ()))
    text.remove_suffix (1);
  return text;
}

/* A value quoted in a message: short, and cut on a UTF-8 character boundary
 * (the input was validated as UTF-8, so the message stays valid UTF-8). */
std::string shown (std::string_view text)
{
  constexpr size_t kMax = 64;
  if (text.size () <= kMax)
    return std::string (text);
  size_t cut = kMax;
  while (cut > 0 && (static_cast<guchar> (text[cut]) & 0xC0) == 0x80)
    cut--;
  return std::string (text.substr (0, cut)) + "…";
}

/* Which tags make a playlist a master or a media playlist; tags valid in
 * both (EXT-X-VERSION, EXT-X-INDEPENDENT-SEGMENTS, EXT-X-START) decide nothing. */
enum class Kind { Unknown, Master, Media };

const char *kind_name (Kind kind)
{
  return kind == Kind::Master ? "a master playlist" : "a media playlist";
}

struct GUriUnref {
  void operator() (GUri *uri) const { if (uri) g_uri_unref (uri); }
};

class Parser {
 public:
  Parser (std::string_view bytes, const std::string &uri, const ParseLimits &limits, GError **error)
    : bytes_ (bytes), uri_ (uri), limits_ (limits), error_ (error)
  {
  }

  std::optional<Playlist> run ();

 private:
  /* Segment tags seen since the last segment URI. */
  struct PendingSegment {
    bool has_extinf = false;
    gsize extinf_line = 0;
    GstClockTime duration = 0;
    std::string title;
    std::optional<ByteRangeSpec> byte_range;
    gsize byte_range_line = 0;
    bool discontinuity = false;
    bool gap = false;
    std::optional<gint64> program_date_time_ms;
  };

  bool fail (GstOfflineError code, const char *format, ...) G_GNUC_PRINTF (3, 4);

  bool check_text ();
  bool handle_line (std::string_view line);
  bool handle_tag (std::string_view name, std::optional<std::string_view> value);
  bool handle_uri_line (std::string_view line);
  bool set_kind (Kind kind, std::string_view tag);
  bool finish ();

  /* Typed access to attributes, with the messages. */
  bool parse_attributes (std::string_view tag, std::optional<std::string_view> value, AttributeList &list);
  bool need_value (std::string_view tag, std::optional<std::string_view> value);
  bool string_attribute (const AttributeList &list, std::string_view tag, std::string_view name, bool required,
      std::optional<std::string> &out);
  bool integer_attribute (const AttributeList &list, std::string_view tag, std::string_view name, bool required,
      std::optional<guint64> &out);
  bool float_attribute (const AttributeList &list, std::string_view tag, std::string_view name, bool allow_sign,
      bool required, std::optional<double> &out);
  bool yes_no_attribute (const AttributeList &list, std::string_view tag, std::string_view name, bool &out);
  bool uri_attribute (const AttributeList &list, std::string_view tag, bool required, std::optional<std::string> &out);
  bool resolve (std::string_view reference, std::string &out);

  /* Master playlist tags. */
  bool parse_variant (std::string_view tag, const AttributeList &list, Variant &variant);
  bool handle_stream_inf (std::string_view tag, std::optional<std::string_view> value);
  bool handle_i_frame_stream_inf (std::string_view tag, std::optional<std::string_view> value);
  bool handle_media (std::string_view tag, std::optional<std::string_view> value);
  bool check_entries (size_t count, const char *what);

  /* Media playlist tags. */
  bool parse_key (std::string_view tag, std::optional<std::string_view> value, Key &key);
  bool handle_key (std::string_view tag, std::optional<std::string_view> value);
  bool handle_map (std::string_view tag, std::optional<std::string_view> value);
  bool handle_extinf (std::optional<std::string_view> value);
  bool handle_program_date_time (std::string_view tag, std::optional<std::string_view> value);
  bool header_sequence (std::string_view tag, std::optional<std::string_view> value, guint64 &out);
  bool add_segment (std::string_view reference);

  std::string_view bytes_;
  const std::string &uri_;
  const ParseLimits &limits_;
  GError **error_;
  std::unique_ptr<GUri, GUriUnref> base_;
  gsize line_ = 0;

  Kind kind_ = Kind::Unknown;
  std::string kind_tag_;
  gsize kind_line_ = 0;
  guint version_ = 1;
  bool independent_segments_ = false;
  std::optional<double> start_offset_;

  MasterPlaylist master_;
  std::optional<Variant> pending_variant_;

  MediaPlaylist media_;
  PendingSegment pending_;
  /* The keys of the current EXT-X-KEY group, and whether a segment has
   * closed it (a tag after a segment starts a new group). */
  std::unordered_map<std::string, std::shared_ptr<const Key>> key_group_;  /* by KEYFORMAT */
  std::string key_group_first_format_;
  bool key_group_open_ = false;
  guint key_groups_ = 0;
  std::shared_ptr<const Key> key_;
  std::shared_ptr<const InitSection> init_section_;
  guint64 next_media_sequence_ = 0;
  bool media_sequence_exhausted_ = false;
  guint64 discontinuity_sequence_ = 0;
  GstClockTime next_start_ = 0;
  /* Where the last segment's sub-range ended, for EXT-X-BYTERANGE without
   * an offset; none when the last segment was a whole resource. */
  std::optional<guint64> last_range_end_;
  /* The last EXT-X-PROGRAM-DATE-TIME and the start of its segment. */
  std::optional<gint64> date_anchor_ms_;
  GstClockTime date_anchor_start_ = 0;
  /* The last URI line and what it resolved to: single-file playlists repeat
   * one URI for every segment. */
  std::string last_reference_;
  std::string last_resolved_;
};

bool Parser::fail (GstOfflineError code, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree gchar *message = g_strdup_vprintf (format, args);
  va_end (args);
  if (line_ > 0)
    g_set_error (error_, GST_OFFLINE_ERROR, code, "HLS playlist line %" G_GSIZE_FORMAT ": %s", line_, message);
  else
    g_set_error (error_, GST_OFFLINE_ERROR, code, "HLS playlist: %s", message);
  return false;
}

/* Playlists are UTF-8 (RFC 8216 4.1). A NUL byte would also cut the C
 * strings handed to GUri short. */
bool Parser::check_text ()
{
  const gchar *end = nullptr;
  if (g_utf8_validate_len (bytes_.data (), bytes_.size (), &end))
    return true;
  size_t offset = static_cast<size_t> (end - bytes_.data ());
  line_ = 1;
  for (size_t i = 0; i < offset; i++) {
    if (bytes_[i] == '\n')
      line_++;
  }
  return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, bytes_[offset] == '\0'
      ? "a NUL byte: the playlist is not text" : "the playlist is not valid UTF-8 text");
}

std::optional<Playlist> Parser::run ()
{
  if (bytes_.size () > limits_.max_bytes) {
    fail (GST_OFFLINE_ERROR_UNSUPPORTED, "the playlist is %" G_GSIZE_FORMAT " bytes, more than the limit of %"
        G_GSIZE_FORMAT, bytes_.size (), limits_.max_bytes);
    return std::nullopt;
  }
  if (!check_text ())
    return std::nullopt;
  GError *uri_error = nullptr;
  base_.reset (g_uri_parse (uri_.c_str (), G_URI_FLAGS_ENCODED, &uri_error));
  if (!base_) {
    fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "the playlist URL '%s' is not an absolute URI: %s",
        shown (uri_).c_str (), uri_error->message);
    g_error_free (uri_error);
    return std::nullopt;
  }

  std::string_view text = bytes_;
  if (text.substr (0, kBom.size ()) == kBom)
    text.remove_prefix (kBom.size ());
  bool header_seen = false;
  size_t pos = 0;
  while (pos <= text.size ()) {
    size_t newline = text.find ('\n', pos);
    if (newline == std::string_view::npos)
      newline = text.size ();
    std::string_view line = trim (text.substr (pos, newline - pos));
    pos = newline + 1;
    line_++;
    if (line.empty ())
      continue;
    if (!header_seen) {
      /* The first line must be the tag; anything may follow it after a
       * blank (some servers add attributes there). */
      constexpr std::string_view kHeader = "#EXTM3U";
      if (line.substr (0, kHeader.size ()) != kHeader
          || (line.size () > kHeader.size () && !is_space (line[kHeader.size ()]))) {
        fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "the playlist does not start with #EXTM3U: not an HLS playlist");
        return std::nullopt;
      }
      header_seen = true;
      continue;
    }
    if (!handle_line (line))
      return std::nullopt;
  }
  if (!header_seen) {
    line_ = 0;
    fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "the playlist is empty: no #EXTM3U");
    return std::nullopt;
  }
  if (!finish ())
    return std::nullopt;
  if (kind_ == Kind::Master)
    return Playlist (std::move (master_));
  return Playlist (std::move (media_));
}

bool Parser::handle_line (std::string_view line)
{
  if (line.front () != '#')
    return handle_uri_line (line);
  if (line.substr (0, 4) != "#EXT")
    return true;  // a comment
  size_t colon = line.find (':');
  std::string_view name = line.substr (1, colon == std::string_view::npos ? std::string_view::npos : colon - 1);
  std::optional<std::string_view> value;
  if (colon != std::string_view::npos)
    value = trim (line.substr (colon + 1));
  return handle_tag (name, value);
}

bool Parser::set_kind (Kind kind, std::string_view tag)
{
  if (kind_ == Kind::Unknown) {
    kind_ = kind;
    kind_tag_ = std::string (tag);
    kind_line_ = line_;
    return true;
  }
  if (kind_ == kind)
    return true;
  return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "%.*s cannot appear in %s (made one by %s on line %" G_GSIZE_FORMAT ")",
      static_cast<int> (tag.size ()), tag.data (), kind_name (kind_), kind_tag_.c_str (), kind_line_);
}

bool Parser::handle_tag (std::string_view name, std::optional<std::string_view> value)
{
  /* Tags of either kind of playlist. */
  if (name == "EXT-X-VERSION") {
    if (!need_value (name, value))
      return false;
    auto version = parse_decimal_integer (*value);
    if (!version || *version > G_MAXUINT)
      return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "EXT-X-VERSION '%s' is not a decimal integer",
          shown (*value).c_str ());
    version_ = static_cast<guint> (*version);
    return true;
  }
  if (name == "EXT-X-INDEPENDENT-SEGMENTS") {
    independent_segments_ = true;
    return true;
  }
  if (name == "EXT-X-START") {
    AttributeList list;
    std::optional<double> offset;
    if (!parse_attributes (name, value, list) || !float_attribute (list, name, "TIME-OFFSET", true, true, offset))
      return false;
    start_offset_ = offset;
    return true;
  }
  if (name == "EXT-X-DEFINE") {
    /* Variable substitution changes every URI after it: better refused than
     * fetched with "{$name}" in them. */
    return fail (GST_OFFLINE_ERROR_UNSUPPORTED, "EXT-X-DEFINE (variable substitution) is not supported");
  }

  /* Master playlist tags. */
  if (name == "EXT-X-STREAM-INF")
    return set_kind (Kind::Master, name) && handle_stream_inf (name, value);
  if (name == "EXT-X-I-FRAME-STREAM-INF")
    return set_kind (Kind::Master, name) && handle_i_frame_stream_inf (name, value);
  if (name == "EXT-X-MEDIA")
    return set_kind (Kind::Master, name) && handle_media (name, value);
  if (name == "EXT-X-SESSION-KEY") {
    Key key;
    if (!set_kind (Kind::Master, name) || !parse_key (name, value, key))
      return false;
    if (key.method == KeyMethod::None)
      return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "EXT-X-SESSION-KEY cannot have METHOD=NONE");
    if (!check_entries (master_.session_keys.size (), "session keys"))
      return false;
    master_.session_keys.push_back (std::move (key));
    return true;
  }

  /* Media playlist tags. */
  if (name == "EXTINF")
    return set_kind (Kind::Media, name) && handle_extinf (value);
  if (name == "EXT-X-TARGETDURATION") {
    if (!set_kind (Kind::Media, name) || !need_value (name, value))
      return false;
    auto duration = parse_seconds (*value);
    if (!duration)
      return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "EXT-X-TARGETDURATION '%s' is not a number of seconds",
          shown (*value).c_str ());
    media_.target_duration = *duration;
    return true;
  }
  if (name == "EXT-X-MEDIA-SEQUENCE") {
    if (!set_kind (Kind::Media, name) || !header_sequence (name, value, media_.media_sequence))
      return false;
    next_media_sequence_ = media_.media_sequence;
    return true;
  }
  if (name == "EXT-X-DISCONTINUITY-SEQUENCE") {
    if (!set_kind (Kind::Media, name) || !header_sequence (name, value, media_.discontinuity_sequence))
      return false;
    discontinuity_sequence_ = media_.discontinuity_sequence;
    return true;
  }
  if (name == "EXT-X-PLAYLIST-TYPE") {
    if (!set_kind (Kind::Media, name) || !need_value (name, value))
      return false;
    if (*value == "VOD")
      media_.type = PlaylistType::Vod;
    else if (*value == "EVENT")
      media_.type = PlaylistType::Event;
    else
      return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "EXT-X-PLAYLIST-TYPE '%s' is neither VOD nor EVENT",
          shown (*value).c_str ());
    return true;
  }
  if (name == "EXT-X-ENDLIST") {
    media_.end_list = true;
    return set_kind (Kind::Media, name);
  }
  if (name == "EXT-X-I-FRAMES-ONLY") {
    media_.i_frames_only = true;
    return set_kind (Kind::Media, name);
  }
  if (name == "EXT-X-BYTERANGE") {
    if (!set_kind (Kind::Media, name) || !need_value (name, value))
      return false;
    auto spec = parse_byte_range (*value);
    if (!spec)
      return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "EXT-X-BYTERANGE '%s' is not LENGTH[@OFFSET] in decimal",
          shown (*value).c_str ());
    pending_.byte_range = spec;
    pending_.byte_range_line = line_;
    return true;
  }
  if (name == "EXT-X-DISCONTINUITY") {
    pending_.discontinuity = true;
    return set_kind (Kind::Media, name);
  }
  if (name == "EXT-X-GAP") {
    pending_.gap = true;
    return set_kind (Kind::Media, name);
  }
  if (name == "EXT-X-PROGRAM-DATE-TIME")
    return set_kind (Kind::Media, name) && handle_program_date_time (name, value);
  if (name == "EXT-X-KEY")
    return set_kind (Kind::Media, name) && handle_key (name, value);
  if (name == "EXT-X-MAP")
    return set_kind (Kind::Media, name) && handle_map (name, value);

  /* Anything else (EXT-X-SESSION-DATA, EXT-X-DATERANGE, low-latency parts,
   * tags of later versions) is ignored, as RFC 8216 6.3.1 asks. */
  return true;
}

bool Parser::handle_uri_line (std::string_view line)
{
  if (kind_ == Kind::Master) {
    if (!pending_variant_)
      return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "URI line '%s' does not follow an EXT-X-STREAM-INF",
          shown (line).c_str ());
    if (!resolve (line, pending_variant_->uri) || !check_entries (master_.variants.size (), "variants"))
      return false;
    master_.variants.push_back (std::move (*pending_variant_));
    pending_variant_.reset ();
    return true;
  }
  if (!pending_.has_extinf)
    return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "URI line '%s' does not follow an EXTINF", shown (line).c_str ());
  return add_segment (line);
}

bool Parser::finish ()
{
  if (pending_variant_) {
    line_ = pending_variant_->line;
    return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "EXT-X-STREAM-INF has no URI line after it");
  }
  if (pending_.has_extinf) {
    line_ = pending_.extinf_line;
    return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "EXTINF has no URI line after it");
  }
  line_ = 0;
  switch (kind_) {
    case Kind::Unknown:
      return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "the playlist has neither variants nor segments");
    case Kind::Master:
      if (master_.variants.empty ())
        return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "the master playlist has no EXT-X-STREAM-INF variant");
      master_.uri = uri_;
      master_.version = version_;
      master_.independent_segments = independent_segments_;
      master_.start_offset = start_offset_;
      return true;
    case Kind::Media:
      /* Its segments are byte ranges of key frames of another playlist's
       * media: trick play, not a presentation (a master lists it apart). */
      if (media_.i_frames_only)
        return fail (GST_OFFLINE_ERROR_UNSUPPORTED, "an I-frame playlist (EXT-X-I-FRAMES-ONLY) is for trick "
            "play, not a presentation to download");
      media_.uri = uri_;
      media_.version = version_;
      media_.independent_segments = independent_segments_;
      media_.start_offset = start_offset_;
      return true;
  }
  return true;
}

/* ---- attributes ---------------------------------------------------------*/

bool Parser::need_value (std::string_view tag, std::optional<std::string_view> value)
{
  if (value && !value->empty ())
    return true;
  return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "%.*s has no value", static_cast<int> (tag.size ()), tag.data ());
}

bool Parser::parse_attributes (std::string_view tag, std::optional<std::string_view> value, AttributeList &list)
{
  if (!need_value (tag, value))
    return false;
  std::string problem;
  auto parsed = AttributeList::parse (*value, &problem);
  if (!parsed)
    return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "%.*s: malformed attribute list: %s",
        static_cast<int> (tag.size ()), tag.data (), problem.c_str ());
  list = std::move (*parsed);
  return true;
}

bool Parser::string_attribute (const AttributeList &list, std::string_view tag, std::string_view name, bool required,
    std::optional<std::string> &out)
{
  /* Quoted and enumerated strings are both taken with or without quotes:
   * servers mix them up, and the value is the same either way. */
  const Attribute *attribute = list.find (name);
  if (!attribute) {
    if (required)
      return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "%.*s has no %.*s attribute", static_cast<int> (tag.size ()),
          tag.data (), static_cast<int> (name.size ()), name.data ());
    out.reset ();
    return true;
  }
  out = std::string (attribute->value);
  return true;
}

bool Parser::integer_attribute (const AttributeList &list, std::string_view tag, std::string_view name, bool required,
    std::optional<guint64> &out)
{
  std::optional<std::string> text;
  if (!string_attribute (list, tag, name, required, text))
    return false;
  if (!text) {
    out.reset ();
    return true;
  }
  out = parse_decimal_integer (*text);
  if (!out)
    return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "%.*s: %.*s '%s' is not a decimal integer",
        static_cast<int> (tag.size ()), tag.data (), static_cast<int> (name.size ()), name.data (),
        shown (*text).c_str ());
  return true;
}

bool Parser::float_attribute (const AttributeList &list, std::string_view tag, std::string_view name, bool allow_sign,
    bool required, std::optional<double> &out)
{
  std::optional<std::string> text;
  if (!string_attribute (list, tag, name, required, text))
    return false;
  if (!text) {
    out.reset ();
    return true;
  }
  out = parse_decimal_float (*text, allow_sign);
  if (!out)
    return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "%.*s: %.*s '%s' is not a decimal number",
        static_cast<int> (tag.size ()), tag.data (), static_cast<int> (name.size ()), name.data (),
        shown (*text).c_str ());
  return true;
}

bool Parser::yes_no_attribute (const AttributeList &list, std::string_view tag, std::string_view name, bool &out)
{
  std::optional<std::string> text;
  if (!string_attribute (list, tag, name, false, text))
    return false;
  if (!text || *text == "NO") {
    out = false;
    return true;
  }
  if (*text == "YES") {
    out = true;
    return true;
  }
  return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "%.*s: %.*s '%s' is neither YES nor NO",
      static_cast<int> (tag.size ()), tag.data (), static_cast<int> (name.size ()), name.data (),
      shown (*text).c_str ());
}

bool Parser::uri_attribute (const AttributeList &list, std::string_view tag, bool required,
    std::optional<std::string> &out)
{
  std::optional<std::string> reference;
  if (!string_attribute (list, tag, "URI", required, reference))
    return false;
  if (!reference) {
    out.reset ();
    return true;
  }
  if (reference->empty ())
    return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "%.*s: URI is empty", static_cast<int> (tag.size ()), tag.data ());
  std::string resolved;
  if (!resolve (*reference, resolved))
    return false;
  out = std::move (resolved);
  return true;
}

bool Parser::resolve (std::string_view reference, std::string &out)
{
  if (reference == last_reference_ && !last_resolved_.empty ()) {
    out = last_resolved_;
    return true;
  }
  /* ENCODED: the URI text is kept as written (percent escapes, query) rather
   * than decoded and re-encoded. */
  std::string copy (reference);
  std::string why;
  auto resolved = resolve_url_reference (base_.get (), copy, G_URI_FLAGS_ENCODED, &why);
  if (!resolved)
    return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "URI '%s' is not valid: %s", shown (reference).c_str (),
        why.c_str ());
  out = std::move (*resolved);
  last_reference_ = std::move (copy);
  last_resolved_ = out;
  return true;
}

bool Parser::check_entries (size_t count, const char *what)
{
  if (count < limits_.max_entries)
    return true;
  return fail (GST_OFFLINE_ERROR_UNSUPPORTED, "more than %" G_GSIZE_FORMAT " %s", limits_.max_entries, what);
}

/* ---- master playlist ----------------------------------------------------*/

bool Parser::parse_variant (std::string_view tag, const AttributeList &list, Variant &variant)
{
  variant.line = line_;
  std::optional<guint64> bandwidth, average;
  std::optional<std::string> resolution, codecs, video;
  if (!integer_attribute (list, tag, "BANDWIDTH", true, bandwidth)
      || !integer_attribute (list, tag, "AVERAGE-BANDWIDTH", false, average)
      || !string_attribute (list, tag, "RESOLUTION", false, resolution)
      || !string_attribute (list, tag, "CODECS", false, codecs)
      || !string_attribute (list, tag, "VIDEO", false, video)
      || !float_attribute (list, tag, "FRAME-RATE", false, false, variant.frame_rate))
    return false;
  variant.bandwidth = *bandwidth;
  variant.average_bandwidth = average;
  if (resolution) {
    variant.resolution = parse_resolution (*resolution);
    if (!variant.resolution)
      return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "%.*s: RESOLUTION '%s' is not WIDTHxHEIGHT",
          static_cast<int> (tag.size ()), tag.data (), shown (*resolution).c_str ());
  }
  if (codecs) {
    std::string_view rest = *codecs;
    while (!rest.empty ()) {
      size_t comma = rest.find (',');
      std::string_view codec = trim (rest.substr (0, comma));
      if (!codec.empty ())
        variant.codecs.emplace_back (codec);
      rest = comma == std::string_view::npos ? std::string_view () : rest.substr (comma + 1);
    }
  }
  variant.video_group = video.value_or ("");
  return true;
}

bool Parser::handle_stream_inf (std::string_view tag, std::optional<std::string_view> value)
{
  if (pending_variant_) {
    line_ = pending_variant_->line;
    return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "EXT-X-STREAM-INF has no URI line after it");
  }
  AttributeList list;
  Variant variant;
  std::optional<std::string> audio, subtitles;
  if (!parse_attributes (tag, value, list) || !parse_variant (tag, list, variant)
      || !string_attribute (list, tag, "AUDIO", false, audio)
      || !string_attribute (list, tag, "SUBTITLES", false, subtitles))
    return false;
  variant.audio_group = audio.value_or ("");
  variant.subtitles_group = subtitles.value_or ("");
  if (const Attribute *captions = list.find ("CLOSED-CAPTIONS")) {
    /* NONE unquoted is the enumerated value; quoted, it is a group name. */
    if (!captions->quoted && captions->value == "NONE")
      variant.closed_captions_none = true;
    else
      variant.closed_captions_group = std::string (captions->value);
  }
  pending_variant_ = std::move (variant);
  return true;
}

bool Parser::handle_i_frame_stream_inf (std::string_view tag, std::optional<std::string_view> value)
{
  AttributeList list;
  Variant variant;
  std::optional<std::string> uri;
  if (!parse_attributes (tag, value, list) || !parse_variant (tag, list, variant)
      || !uri_attribute (list, tag, true, uri) || !check_entries (master_.i_frame_variants.size (), "I-frame variants"))
    return false;
  variant.uri = std::move (*uri);
  master_.i_frame_variants.push_back (std::move (variant));
  return true;
}

bool Parser::handle_media (std::string_view tag, std::optional<std::string_view> value)
{
  AttributeList list;
  std::optional<std::string> type, group, name, language, assoc_language, channels, instream_id, characteristics;
  Rendition rendition;
  rendition.line = line_;
  if (!parse_attributes (tag, value, list) || !string_attribute (list, tag, "TYPE", true, type)
      || !string_attribute (list, tag, "GROUP-ID", true, group) || !string_attribute (list, tag, "NAME", false, name)
      || !string_attribute (list, tag, "LANGUAGE", false, language)
      || !string_attribute (list, tag, "ASSOC-LANGUAGE", false, assoc_language)
      || !string_attribute (list, tag, "CHANNELS", false, channels)
      || !string_attribute (list, tag, "INSTREAM-ID", false, instream_id)
      || !string_attribute (list, tag, "CHARACTERISTICS", false, characteristics)
      || !yes_no_attribute (list, tag, "DEFAULT", rendition.is_default)
      || !yes_no_attribute (list, tag, "AUTOSELECT", rendition.autoselect)
      || !yes_no_attribute (list, tag, "FORCED", rendition.forced))
    return false;
  if (*type == "AUDIO")
    rendition.type = RenditionType::Audio;
  else if (*type == "VIDEO")
    rendition.type = RenditionType::Video;
  else if (*type == "SUBTITLES")
    rendition.type = RenditionType::Subtitles;
  else if (*type == "CLOSED-CAPTIONS")
    rendition.type = RenditionType::ClosedCaptions;
  else
    return true;  // a type of a later version: ignored like an unknown tag
  /* Captions are carried in the video stream; a URI there is meaningless. */
  if (rendition.type != RenditionType::ClosedCaptions && !uri_attribute (list, tag, false, rendition.uri))
    return false;
  rendition.group_id = std::move (*group);
  rendition.name = name.value_or ("");
  rendition.language = language.value_or ("");
  rendition.assoc_language = assoc_language.value_or ("");
  rendition.channels = channels.value_or ("");
  rendition.instream_id = instream_id.value_or ("");
  rendition.characteristics = characteristics.value_or ("");
  if (!rendition.channels.empty ()) {
    std::string_view count = rendition.channels;
    auto parsed = parse_decimal_integer (count.substr (0, count.find ('/')));
    if (!parsed || *parsed > G_MAXUINT)
      return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "%.*s: CHANNELS '%s' does not start with a channel count",
          static_cast<int> (tag.size ()), tag.data (), shown (rendition.channels).c_str ());
    rendition.channel_count = static_cast<guint> (*parsed);
  }
  if (!check_entries (master_.renditions.size (), "renditions"))
    return false;
  master_.renditions.push_back (std::move (rendition));
  return true;
}

/* ---- media playlist -----------------------------------------------------*/

bool Parser::parse_key (std::string_view tag, std::optional<std::string_view> value, Key &key)
{
  key.line = line_;
  AttributeList list;
  std::optional<std::string> method, iv, format, versions, uri;
  if (!parse_attributes (tag, value, list) || !string_attribute (list, tag, "METHOD", true, method))
    return false;
  if (*method == "NONE") {
    key.method = KeyMethod::None;
    return true;
  }
  if (*method == "AES-128")
    key.method = KeyMethod::Aes128;
  else if (*method == "SAMPLE-AES")
    key.method = KeyMethod::SampleAes;
  else if (*method == "SAMPLE-AES-CTR")
    key.method = KeyMethod::SampleAesCtr;
  else
    return fail (GST_OFFLINE_ERROR_UNSUPPORTED, "%.*s: METHOD '%s' is not a known encryption method",
        static_cast<int> (tag.size ()), tag.data (), shown (*method).c_str ());
  if (!uri_attribute (list, tag, true, uri) || !string_attribute (list, tag, "IV", false, iv)
      || !string_attribute (list, tag, "KEYFORMAT", false, format)
      || !string_attribute (list, tag, "KEYFORMATVERSIONS", false, versions))
    return false;
  key.uri = std::move (*uri);
  if (iv) {
    key.iv = parse_iv (*iv);
    if (!key.iv)
      return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "%.*s: IV '%s' is not 0x followed by 32 hex digits",
          static_cast<int> (tag.size ()), tag.data (), shown (*iv).c_str ());
  }
  if (format)
    key.key_format = std::move (*format);
  key.key_format_versions = versions.value_or ("");
  return true;
}

bool Parser::handle_key (std::string_view tag, std::optional<std::string_view> value)
{
  auto key = std::make_shared<Key> ();
  if (!parse_key (tag, value, *key))
    return false;
  if (key->method == KeyMethod::None) {
    key_group_.clear ();
    key_group_open_ = false;
    key_.reset ();
    return true;
  }
  if (!key_group_open_) {
    key_group_.clear ();
    key_group_open_ = true;
    key_groups_++;
  }
  key->group = key_groups_;
  /* Within a group a KEYFORMAT given again replaces the earlier tag. The
   * segments use the identity key if there is one, else the first format
   * (found by hash: rescanning the group for each tag was quadratic). */
  if (key_group_.empty ())
    key_group_first_format_ = key->key_format;
  key_group_[key->key_format] = key;
  auto identity = key_group_.find ("identity");
  key_ = identity != key_group_.end () ? identity->second : key_group_.at (key_group_first_format_);
  if (!check_entries (media_.keys.size (), "keys"))
    return false;
  media_.keys.push_back (std::move (key));
  return true;
}

bool Parser::handle_map (std::string_view tag, std::optional<std::string_view> value)
{
  auto init = std::make_shared<InitSection> ();
  init->line = line_;
  AttributeList list;
  std::optional<std::string> uri, range;
  if (!parse_attributes (tag, value, list) || !uri_attribute (list, tag, true, uri)
      || !string_attribute (list, tag, "BYTERANGE", false, range))
    return false;
  init->uri = std::move (*uri);
  if (range) {
    auto spec = parse_byte_range (*range);
    if (!spec)
      return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "%.*s: BYTERANGE '%s' is not LENGTH@OFFSET in decimal",
          static_cast<int> (tag.size ()), tag.data (), shown (*range).c_str ());
    /* Unlike EXT-X-BYTERANGE, nothing precedes an init section to continue from. */
    if (!spec->offset)
      return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "%.*s: BYTERANGE '%s' has no @OFFSET, which EXT-X-MAP requires",
          static_cast<int> (tag.size ()), tag.data (), shown (*range).c_str ());
    if (spec->length == 0 || *spec->offset > static_cast<guint64> (G_MAXINT64)
        || spec->length > static_cast<guint64> (G_MAXINT64) - *spec->offset)
      return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "%.*s: BYTERANGE '%s' is empty or out of range",
          static_cast<int> (tag.size ()), tag.data (), shown (*range).c_str ());
    init->byte_range = ByteRange { *spec->offset, spec->length };
  }
  /* Only AES-128 encrypts whole resources, init sections included; the
   * SAMPLE-AES methods leave them clear. An init section has no media
   * sequence number to make an IV from, so RFC 8216 requires the IV. */
  if (key_ && key_->method == KeyMethod::Aes128) {
    if (!key_->iv)
      return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT,
          "%.*s is encrypted by the AES-128 EXT-X-KEY of line %" G_GSIZE_FORMAT ", which has no IV attribute",
          static_cast<int> (tag.size ()), tag.data (), key_->line);
    init->key = key_;
  }
  if (!check_entries (media_.init_sections.size (), "init sections"))
    return false;
  init_section_ = init;
  media_.init_sections.push_back (std::move (init));
  return true;
}

bool Parser::handle_extinf (std::optional<std::string_view> value)
{
  if (pending_.has_extinf) {
    line_ = pending_.extinf_line;
    return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "EXTINF has no URI line after it");
  }
  if (!need_value ("EXTINF", value))
    return false;
  size_t comma = value->find (',');
  std::string_view duration_text = trim (value->substr (0, comma));
  auto duration = parse_seconds (duration_text);
  if (!duration)
    return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "EXTINF duration '%s' is not a non-negative number of seconds",
        shown (duration_text).c_str ());
  pending_.has_extinf = true;
  pending_.extinf_line = line_;
  pending_.duration = *duration;
  pending_.title = comma == std::string_view::npos ? std::string () : std::string (trim (value->substr (comma + 1)));
  return true;
}

bool Parser::handle_program_date_time (std::string_view tag, std::optional<std::string_view> value)
{
  if (!need_value (tag, value))
    return false;
  std::string text (*value);
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GDateTime) date = g_date_time_new_from_iso8601 (text.c_str (), utc);
  if (!date)
    return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "%.*s '%s' is not an ISO 8601 date and time",
        static_cast<int> (tag.size ()), tag.data (), shown (text).c_str ());
  /* GDateTime spans years 1..9999: the milliseconds fit a gint64. */
  pending_.program_date_time_ms = g_date_time_to_unix (date) * 1000 + g_date_time_get_microsecond (date) / 1000;
  return true;
}

bool Parser::header_sequence (std::string_view tag, std::optional<std::string_view> value, guint64 &out)
{
  if (!need_value (tag, value))
    return false;
  /* It numbers the first segment: once segments are listed it is too late. */
  if (!media_.segments.empty ())
    return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "%.*s comes after the first segment",
        static_cast<int> (tag.size ()), tag.data ());
  auto number = parse_decimal_integer (*value);
  if (!number)
    return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "%.*s '%s' is not a decimal integer",
        static_cast<int> (tag.size ()), tag.data (), shown (*value).c_str ());
  out = *number;
  return true;
}

bool Parser::add_segment (std::string_view reference)
{
  if (media_.segments.size () >= limits_.max_segments)
    return fail (GST_OFFLINE_ERROR_UNSUPPORTED, "more than %" G_GSIZE_FORMAT " segments", limits_.max_segments);
  Segment segment;
  if (!resolve (reference, segment.uri))
    return false;

  if (pending_.byte_range) {
    const ByteRangeSpec &spec = *pending_.byte_range;
    gsize uri_line = line_;
    line_ = pending_.byte_range_line;
    guint64 offset;
    if (spec.offset) {
      offset = *spec.offset;
    } else {
      /* RFC 8216 4.3.2.2: the sub-range continues the previous segment's,
       * which must be a sub-range of the same resource. */
      if (!last_range_end_ || media_.segments.empty () || media_.segments.back ().uri != segment.uri)
        return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "EXT-X-BYTERANGE has no @OFFSET and the previous "
            "segment is not a sub-range of the same resource to continue from");
      offset = *last_range_end_;
    }
    if (spec.length == 0)
      return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "EXT-X-BYTERANGE has a length of 0");
    if (offset > static_cast<guint64> (G_MAXINT64) || spec.length > static_cast<guint64> (G_MAXINT64) - offset)
      return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "EXT-X-BYTERANGE %" G_GUINT64_FORMAT "@%" G_GUINT64_FORMAT
          " ends beyond the largest file offset", spec.length, offset);
    line_ = uri_line;
    segment.byte_range = ByteRange { offset, spec.length };
    last_range_end_ = offset + spec.length;
  } else {
    last_range_end_.reset ();
  }

  if (media_sequence_exhausted_)
    return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "the media sequence number passes 2^64");
  segment.media_sequence = next_media_sequence_;
  if (next_media_sequence_ == G_MAXUINT64)
    media_sequence_exhausted_ = true;
  else
    next_media_sequence_++;

  /* Every EXT-X-DISCONTINUITY counts, one on the first segment too: a live
   * server increments EXT-X-DISCONTINUITY-SEQUENCE only when it removes the
   * tag (RFC 8216 6.2.2), so a segment keeps its number as the playlist
   * slides. hlsdemux and ExoPlayer count the same way. */
  segment.discontinuity = pending_.discontinuity;
  if (pending_.discontinuity) {
    if (discontinuity_sequence_ == G_MAXUINT64)
      return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "the discontinuity sequence number passes 2^64");
    discontinuity_sequence_++;
  }
  segment.discontinuity_sequence = discontinuity_sequence_;

  segment.duration = pending_.duration;
  segment.start = next_start_;
  if (pending_.duration >= GST_CLOCK_TIME_NONE - next_start_)
    return fail (GST_OFFLINE_ERROR_INVALID_ARGUMENT, "the segment durations add up to more than 2^64 nanoseconds");
  next_start_ += pending_.duration;

  segment.gap = pending_.gap;
  segment.title = std::move (pending_.title);
  segment.key = key_;
  segment.init_section = init_section_;
  key_group_open_ = false;

  if (pending_.program_date_time_ms) {
    segment.program_date_time_ms = pending_.program_date_time_ms;
    segment.program_date_time_explicit = true;
    date_anchor_ms_ = pending_.program_date_time_ms;
    date_anchor_start_ = segment.start;
  } else if (segment.discontinuity) {
    /* The timeline may jump: a date carried over would be a guess. */
    date_anchor_ms_.reset ();
  } else if (date_anchor_ms_) {
    /* From the last tagged segment rather than the previous one, so that
     * rounding to milliseconds does not accumulate. Both terms are far from
     * overflowing: dates end at year 9999, durations at 2^64 ns. */
    segment.program_date_time_ms = *date_anchor_ms_
        + static_cast<gint64> ((segment.start - date_anchor_start_) / GST_MSECOND);
  }

  media_.segments.push_back (std::move (segment));
  pending_ = PendingSegment ();
  return true;
}

}  // namespace

std::optional<Playlist> parse_playlist (std::string_view bytes, const std::string &playlist_uri, GError **error,
    const ParseLimits &limits)
{
  return Parser (bytes, playlist_uri, limits, error).run ();
}

std::optional<MediaPlaylist> parse_media_playlist (std::string_view bytes, const std::string &playlist_uri,
    GError **error, const ParseLimits &limits)
{
  auto playlist = parse_playlist (bytes, playlist_uri, error, limits);
  if (!playlist)
    return std::nullopt;
  if (playlist->is_master ()) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
        "HLS playlist: a master playlist where a media playlist was expected");
    return std::nullopt;
  }
  return std::move (playlist->media ());
}

bool check_not_live (const MediaPlaylist &playlist, GError **error)
{
  if (!playlist.is_live ())
    return true;
  g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
      "live HLS playlists are not supported (%s has no EXT-X-ENDLIST and is not of type VOD)", playlist.uri.c_str ());
  return false;
}

}  // namespace hls
}  // namespace gst_offline
