/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "webvtt-timing.h"

#include <map>
#include <vector>

namespace gst_offline {

namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::string_view kTimestampMap = "X-TIMESTAMP-MAP=";
/* Hours beyond this are refused: no subtitle is that far, and the sums stay
 * well inside 64 bits. */
constexpr guint64 kMaxHours = 1000000;
constexpr guint64 kMpegtsWrap = G_GUINT64_CONSTANT (1) << 33;

GstClockTime
mpegts_to_time (guint64 ticks)
{
  return gst_util_uint64_scale (ticks, GST_SECOND, 90000);
}

/* The lines of `text`, without their ends (LF, CRLF or CR). */
std::vector<std::string_view>
split_lines (std::string_view text)
{
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size ()) {
    size_t end = text.find_first_of ("\r\n", start);
    if (end == std::string_view::npos) {
      lines.push_back (text.substr (start));
      break;
    }
    lines.push_back (text.substr (start, end - start));
    start = end + ((text[end] == '\r' && end + 1 < text.size () && text[end + 1] == '\n') ? 2 : 1);
  }
  return lines;
}

void
skip_blanks (std::string_view text, size_t *pos)
{
  while (*pos < text.size () && (text[*pos] == ' ' || text[*pos] == '\t'))
    (*pos)++;
}

bool
read_digits (std::string_view text, size_t *pos, size_t min, size_t max, guint64 *value)
{
  size_t start = *pos;
  guint64 v = 0;
  while (*pos < text.size () && g_ascii_isdigit (text[*pos]) && *pos - start < max) {
    v = v * 10 + static_cast<guint64> (text[*pos] - '0');
    (*pos)++;
  }
  if (*pos - start < min || (*pos < text.size () && g_ascii_isdigit (text[*pos])))
    return false;
  *value = v;
  return true;
}

/* A WebVTT timestamp, `[hh+:]mm:ss.ttt`, at *pos. */
bool
read_timestamp (std::string_view text, size_t *pos, GstClockTime *time)
{
  guint64 first, minutes, seconds, millis, hours = 0;
  size_t p = *pos;
  if (!read_digits (text, &p, 2, 10, &first) || p >= text.size () || text[p] != ':')
    return false;
  p++;
  if (!read_digits (text, &p, 2, 2, &minutes))
    return false;
  if (p < text.size () && text[p] == ':') {
    p++;
    hours = first;
    if (!read_digits (text, &p, 2, 2, &seconds))
      return false;
  } else {
    if (text.substr (*pos, p - *pos).size () != 5) /* mm:ss without hours */
      return false;
    seconds = minutes;
    minutes = first;
  }
  if (p >= text.size () || text[p] != '.')
    return false;
  p++;
  if (!read_digits (text, &p, 3, 3, &millis) || minutes > 59 || seconds > 59 || hours > kMaxHours)
    return false;
  *time = ((hours * 60 + minutes) * 60 + seconds) * GST_SECOND + millis * GST_MSECOND;
  *pos = p;
  return true;
}

std::string
format_timestamp (GstClockTime t)
{
  guint64 ms = t / GST_MSECOND;
  gchar *text = g_strdup_printf ("%02" G_GUINT64_FORMAT ":%02u:%02u.%03u", ms / 3600000,
      static_cast<guint> (ms / 60000 % 60), static_cast<guint> (ms / 1000 % 60), static_cast<guint> (ms % 1000));
  std::string result (text);
  g_free (text);
  return result;
}

bool
parse_timestamp_map (std::string_view value, WebvttTimestampMap *map)
{
  bool have_mpegts = false, have_local = false;
  size_t pos = 0;
  for (int field = 0; field < 2; field++) {
    skip_blanks (value, &pos);
    if (field == 1) {
      if (pos >= value.size () || value[pos] != ',')
        return false;
      pos++;
      skip_blanks (value, &pos);
    }
    if (value.substr (pos, 7) == "MPEGTS:" && !have_mpegts) {
      pos += 7;
      skip_blanks (value, &pos);
      guint64 ticks;
      if (!read_digits (value, &pos, 1, 18, &ticks))
        return false;
      map->mpegts = mpegts_to_time (ticks % kMpegtsWrap); /* MPEG-TS times have 33 bits */
      have_mpegts = true;
    } else if (value.substr (pos, 6) == "LOCAL:" && !have_local) {
      pos += 6;
      skip_blanks (value, &pos);
      if (!read_timestamp (value, &pos, &map->local))
        return false;
      have_local = true;
    } else {
      return false;
    }
  }
  skip_blanks (value, &pos);
  return pos == value.size ();
}

std::string
line_error (size_t number, const char *what, std::string_view line)
{
  /* Quote a bounded, printable excerpt: the input may be anything. */
  std::string excerpt;
  for (char c : line.substr (0, 60))
    excerpt += g_ascii_isprint (c) ? c : '?';
  gchar *text = g_strdup_printf ("line %" G_GSIZE_FORMAT ": %s: '%s%s'", number, what, excerpt.c_str (),
      line.size () > 60 ? "..." : "");
  std::string result (text);
  g_free (text);
  return result;
}

/* The lines of a checked segment (signature verified, BOM gone), its map. */
bool
read_segment (std::string_view segment, std::vector<std::string_view> *lines,
    std::optional<WebvttTimestampMap> *map, std::string *error)
{
  if (segment.size () > kMaxWebvttSegmentSize) {
    *error = "the WebVTT segment is larger than " + std::to_string (kMaxWebvttSegmentSize) + " bytes";
    return false;
  }
  if (!g_utf8_validate_len (segment.data (), segment.size (), nullptr)) {
    *error = "the WebVTT segment is not UTF-8 text";
    return false;
  }
  if (segment.substr (0, kBom.size ()) == kBom)
    segment.remove_prefix (kBom.size ());
  *lines = split_lines (segment);
  std::string_view first = lines->empty () ? std::string_view () : lines->front ();
  if (first.substr (0, 6) != "WEBVTT" || (first.size () > 6 && first[6] != ' ' && first[6] != '\t')) {
    *error = "not a WebVTT segment: it does not start with 'WEBVTT'";
    return false;
  }
  map->reset ();
  /* The header runs to the first empty line. */
  for (size_t i = 1; i < lines->size () && !(*lines)[i].empty (); i++) {
    std::string_view line = (*lines)[i];
    if (line.substr (0, kTimestampMap.size ()) != kTimestampMap)
      continue;
    WebvttTimestampMap parsed;
    if (map->has_value () || !parse_timestamp_map (line.substr (kTimestampMap.size ()), &parsed)) {
      *error = line_error (i + 1, map->has_value () ? "a second X-TIMESTAMP-MAP" : "malformed X-TIMESTAMP-MAP", line);
      return false;
    }
    *map = parsed;
  }
  return true;
}

} // namespace

bool
webvtt_read_timestamp_map (std::string_view segment, std::optional<WebvttTimestampMap> *map, std::string *error)
{
  std::vector<std::string_view> lines;
  return read_segment (segment, &lines, map, error);
}

GstClockTime
media_to_presentation (gint64 media_time, const MediaTimeMap &media)
{
  /* In 128 bits: a tfdt scaled to nanoseconds, or a presentation time, may
   * lie anywhere in 64 bits, and their sums and differences must not
   * overflow (the server chooses them). */
  const __int128 wrap = mpegts_to_time (kMpegtsWrap);
  __int128 offset = static_cast<__int128> (media_time) - static_cast<__int128> (media.media);
  /* Across a wrap of the 33-bit clock the difference is off by one period. */
  if (offset < -wrap / 2)
    offset += wrap;
  else if (offset >= wrap / 2)
    offset -= wrap;
  __int128 time = static_cast<__int128> (media.presentation) + offset;
  if (time < 0)
    return 0;
  /* Past the largest time a segment can carry: as late as can be. */
  if (time > G_MAXINT64)
    return static_cast<GstClockTime> (G_MAXINT64);
  return static_cast<GstClockTime> (time);
}

GstClockTime
webvtt_presentation_time (GstClockTime cue, const WebvttTimestampMap &map, const MediaTimeMap &media)
{
  /* The cue on the MPEG-TS timeline. */
  return media_to_presentation (
      static_cast<gint64> (cue) - static_cast<gint64> (map.local) + static_cast<gint64> (map.mpegts), media);
}

std::optional<std::string>
webvtt_rewrite (std::string_view segment, const std::optional<WebvttTimestampMap> &map,
    const std::optional<MediaTimeMap> &media, std::string *error)
{
  std::vector<std::string_view> lines;
  std::optional<WebvttTimestampMap> own_map;
  if (!read_segment (segment, &lines, &own_map, error))
    return std::nullopt;
  const bool mapping = map && media;

  std::string out;
  out.reserve (segment.size () + 64);
  bool in_header = true;
  for (size_t i = 0; i < lines.size (); i++) {
    std::string_view line = lines[i];
    if (line.empty ())
      in_header = false;
    if (in_header && mapping && line.substr (0, kTimestampMap.size ()) == kTimestampMap)
      continue;
    if (line.find ("-->") == std::string_view::npos) {
      out.append (line);
      out += '\n';
      continue;
    }
    /* start --> end [settings] */
    size_t pos = 0;
    GstClockTime start, end;
    bool ok = read_timestamp (line, &pos, &start);
    size_t after_start = pos;
    skip_blanks (line, &pos);
    ok = ok && pos > after_start && line.substr (pos, 3) == "-->";
    pos += 3;
    size_t before_end = pos;
    skip_blanks (line, &pos);
    ok = ok && pos > before_end && read_timestamp (line, &pos, &end);
    ok = ok && (pos == line.size () || line[pos] == ' ' || line[pos] == '\t');
    if (!ok || in_header) {
      *error = line_error (i + 1, in_header ? "a cue timing in the header" : "malformed cue timing", line);
      return std::nullopt;
    }
    if (mapping) {
      start = webvtt_presentation_time (start, *map, *media);
      end = webvtt_presentation_time (end, *map, *media);
    }
    out += format_timestamp (start);
    out += " --> ";
    out += format_timestamp (end);
    out.append (line.substr (pos));
    out += '\n';
  }
  /* An empty line closes the last cue before the next segment's header. */
  if (out.size () < 2 || out.compare (out.size () - 2, 2, "\n\n") != 0)
    out += '\n';
  return out;
}

namespace {

constexpr gsize kPacket = 188;

/* Where the packets of `data` start: 0x47 at the start of two packets in a
 * row (or of the last one). */
gsize
mpegts_sync (const guint8 *data, gsize size)
{
  gsize start = 0;
  while (start + kPacket < size && !(data[start] == 0x47 && data[start + kPacket] == 0x47))
    start++;
  return start;
}

/* Where the PES that packet `p` begins starts in it (after the adaptation
 * field); 0 if it begins none (a section: PAT, PMT; or the rest of one). */
gsize
pes_start (const guint8 *p)
{
  bool unit_start = (p[1] & 0x40) != 0;
  bool error_or_scrambled = (p[1] & 0x80) != 0 || (p[3] & 0xc0) != 0;
  guint adaptation = (p[3] >> 4) & 0x3;
  if (!unit_start || error_or_scrambled || !(adaptation & 0x1))
    return 0;
  gsize offset = 4;
  if (adaptation & 0x2)
    offset += 1 + p[4];
  if (offset + 3 > kPacket)
    return 0;
  const guint8 *pes = p + offset;
  return pes[0] == 0 && pes[1] == 0 && pes[2] == 1 ? offset : 0;
}

} // namespace

std::optional<GstClockTime>
mpegts_first_pcr (const guint8 *data, gsize size)
{
  for (gsize at = mpegts_sync (data, size); at + kPacket <= size; at += kPacket) {
    const guint8 *p = data + at;
    if (p[0] != 0x47)
      return std::nullopt; /* lost sync */
    bool has_adaptation = (p[3] & 0x20) != 0;
    if ((p[1] & 0x80) != 0 || !has_adaptation || p[4] < 7 || (p[5] & 0x10) == 0)
      continue;
    guint64 base = (static_cast<guint64> (p[6]) << 25) | (static_cast<guint64> (p[7]) << 17)
        | (static_cast<guint64> (p[8]) << 9) | (static_cast<guint64> (p[9]) << 1) | (p[10] >> 7);
    return mpegts_to_time (base);
  }
  return std::nullopt;
}

std::optional<gsize>
mpegts_program_head (const guint8 *data, gsize size)
{
  /* tsdemux finds the packet size in four packets' worth of its largest
   * (208 bytes) before it parses any. */
  constexpr gsize kSizeDiscovery = 5;
  gsize packets = size / kPacket;
  /* Per PID of a PES started in the head: the bytes it has left to its
   * declared end (G_MAXSIZE: no length given, it ends at the next start). */
  std::map<guint, gsize> open;
  gsize head = 0;
  for (gsize i = 0; i < packets; i++) {
    const guint8 *p = data + i * kPacket;
    if (p[0] != 0x47)
      return std::nullopt;
    if (i >= kSizeDiscovery && !open.empty ())
      break; /* enough: the tables, the packets the size needs */
    guint pid = ((p[1] & 0x1f) << 8) | p[2];
    gsize offset = pes_start (p);
    if (offset != 0) {
      if (i == 0 || open.count (pid))
        return std::nullopt; /* no tables first, or a PES complete */
      if (offset + 6 > kPacket)
        return std::nullopt;
      guint length = (p[offset + 4] << 8) | p[offset + 5];
      open[pid] = length ? 6 + length : G_MAXSIZE;
    }
    auto found = open.find (pid);
    if (found != open.end ()) {
      guint adaptation = (p[3] >> 4) & 0x3;
      gsize payload = 4 + ((adaptation & 0x2) ? 1 + p[4] : 0);
      gsize bytes = (adaptation & 0x1) && payload < kPacket ? kPacket - payload : 0;
      if (found->second != G_MAXSIZE) {
        if (bytes >= found->second)
          return std::nullopt; /* this PES would be complete */
        found->second -= bytes;
      }
    }
    head = i + 1;
  }
  if (open.empty () || head < kSizeDiscovery)
    return std::nullopt;
  return head * kPacket;
}

std::optional<GstClockTime>
mpegts_first_timestamp (const guint8 *data, gsize size)
{
  for (gsize at = mpegts_sync (data, size); at + kPacket <= size; at += kPacket) {
    const guint8 *p = data + at;
    if (p[0] != 0x47)
      return std::nullopt; /* lost sync */
    gsize offset = pes_start (p);
    if (offset == 0 || offset + 14 > kPacket)
      continue;
    const guint8 *pes = p + offset;
    guint8 stream_id = pes[3];
    /* Stream ids without the optional PES header (padding, private 2, ...). */
    if (stream_id == 0xbc || stream_id == 0xbe || stream_id == 0xbf || stream_id == 0xf0 || stream_id == 0xf1
        || stream_id == 0xff || stream_id == 0xf2 || stream_id == 0xf8)
      continue;
    if ((pes[6] & 0xc0) != 0x80)
      continue;
    guint flags = pes[7] >> 6;
    auto read_ts = [] (const guint8 *b) {
      return (static_cast<guint64> ((b[0] >> 1) & 0x7) << 30) | (static_cast<guint64> (b[1]) << 22)
          | (static_cast<guint64> (b[2] >> 1) << 15) | (static_cast<guint64> (b[3]) << 7)
          | static_cast<guint64> (b[4] >> 1);
    };
    if (flags == 2) /* PTS only */
      return mpegts_to_time (read_ts (pes + 9));
    if (flags == 3) {
      if (offset + 19 > kPacket)
        continue;
      GstClockTime pts = mpegts_to_time (read_ts (pes + 9));
      GstClockTime dts = mpegts_to_time (read_ts (pes + 14));
      return (pts < dts && dts - pts < GST_SECOND) ? pts : dts;
    }
  }
  return std::nullopt;
}

} // namespace gst_offline
