/* The model of a DASH MPD (ISO/IEC 23009-1), as parse_mpd() builds it:
 * every URL already resolved against the BaseURLs above it, every attribute a
 * Representation inherits from its AdaptationSet already copied down, and
 * the Segment{Base,List,Template} information of Period, AdaptationSet and
 * Representation merged into one SegmentInfo per Representation.
 * expand_segments() (segment-index.h) turns that into the flat segment list.
 * Times are nanoseconds unless a field says it counts timescale ticks.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include <optional>
#include <string>
#include <vector>

namespace gst_offline {
namespace dash {

/* Bytes first..last of a resource, both included (as in an HTTP Range). */
struct ByteRange {
  guint64 first = 0;
  guint64 last = 0;

  guint64 length () const { return last - first + 1; }
  bool operator== (const ByteRange &other) const { return first == other.first && last == other.last; }
};

struct Fraction {
  guint numerator = 0;
  guint denominator = 1;
};

/* A DescriptorType element: Role, Accessibility, AudioChannelConfiguration, ... */
struct Descriptor {
  std::string scheme_id_uri;
  std::optional<std::string> value;
  std::optional<std::string> id;
};

struct ContentProtection {
  std::string scheme_id_uri;
  std::optional<std::string> value;
  /* cenc:default_KID as written (a UUID string, e.g. "10000000-1000-1000-1000-100000000001"). */
  std::optional<std::string> default_kid;
  /* cenc:pssh: each one base64-decoded into the whole 'pssh' box. */
  std::vector<std::string> pssh;
  /* ClearKey license server URL (dashif:Laurl, clearkey:Laurl, ck:Laurl),
   * resolved against the BaseURL of the element holding it. */
  std::optional<std::string> license_url;
  /* The element itself as standalone XML (namespace declarations copied in):
   * the payload of the GstProtection event when `value` is absent. */
  std::string xml;

  /* The lower-case UUID of a "urn:uuid:..." scheme (the DRM system id), or empty. */
  std::string system_id () const;
};

/* An Initialization or RepresentationIndex element (URLType). */
struct UrlRef {
  std::optional<std::string> source_url;  /* relative as written; resolved at expansion */
  std::optional<ByteRange> range;
};

struct SegmentUrl {
  std::optional<std::string> media;
  std::optional<ByteRange> media_range;
};

struct TimelineEntry {
  std::optional<guint64> t;
  guint64 d = 0;
  gint64 r = 0;  /* -1: repeat up to the next S@t or the end of the Period */
};

enum class SegmentKind { None, Base, List, Template };

/* SegmentBase/SegmentList/SegmentTemplate of one Representation after
 * inheritance: a field absent at the Representation takes the value of the
 * same element at the AdaptationSet, then at the Period. */
struct SegmentInfo {
  SegmentKind kind = SegmentKind::None;
  /* SegmentBaseType */
  guint64 timescale = 1;
  guint64 presentation_time_offset = 0;
  std::optional<ByteRange> index_range;
  std::optional<UrlRef> initialization;
  std::optional<UrlRef> representation_index;
  /* MultipleSegmentBaseType */
  std::optional<guint64> duration;
  guint64 start_number = 1;
  std::optional<std::vector<TimelineEntry>> timeline;
  /* SegmentList */
  std::vector<SegmentUrl> segment_urls;
  /* SegmentTemplate */
  std::optional<std::string> media_template;
  std::optional<std::string> initialization_template;
};

struct Representation {
  std::string id;
  guint64 bandwidth = 0;
  /* Inherited from the AdaptationSet when absent here. */
  std::string mime_type;
  std::string codecs;
  std::optional<guint> width;
  std::optional<guint> height;
  std::optional<Fraction> frame_rate;
  std::optional<Fraction> sar;
  std::optional<guint> audio_sampling_rate;
  std::optional<std::string> audio_channel_configuration;  /* the value of the first one */
  /* The AdaptationSet's ContentProtection elements followed by the Representation's own. */
  std::vector<ContentProtection> content_protections;
  /* Absolute URL from the BaseURLs of MPD, Period, AdaptationSet and Representation. */
  std::string base_url;
  /* True when this Representation or its AdaptationSet has a BaseURL element:
   * a Representation without segment information is then one whole file. */
  bool has_own_base_url = false;
  SegmentInfo segments;
  /* The scheme of an EssentialProperty the parser does not understand, or
   * empty: a player must then ignore the Representation (5.8.4.8). */
  std::string unsupported_essential_property;
};

enum class ContentType { Unknown, Video, Audio, Text, Image };

/* How a text track is carried. */
enum class TextFormat { None, WebVttFile, TtmlFile, Mp4Wvtt, Mp4Stpp };

struct AdaptationSet {
  std::optional<std::string> id;
  /* @contentType, else derived from mimeType/codecs of the set and its Representations. */
  ContentType content_type = ContentType::Unknown;
  std::string mime_type;
  std::string codecs;
  std::optional<std::string> lang;
  std::vector<Descriptor> roles;
  std::vector<Descriptor> accessibility;
  std::vector<std::string> labels;
  std::vector<ContentProtection> content_protections;
  std::optional<Fraction> frame_rate;
  std::optional<Fraction> par;
  std::string base_url;
  std::vector<Representation> representations;
  /* As Representation::unsupported_essential_property, for the whole set
   * (trick-mode sets carry http://dashif.org/guidelines/trickmode). */
  std::string unsupported_essential_property;
};

struct Period {
  std::optional<std::string> id;
  /* Presentation time of the Period's start, from @start or derived from the
   * previous Period (the first one starts at 0). */
  guint64 start = 0;
  /* From @duration, else the next Period's start, else the MPD's duration;
   * absent when none of them says. */
  std::optional<guint64> duration;
  std::string base_url;
  std::vector<AdaptationSet> adaptation_sets;
};

struct Mpd {
  /* "static", or "dynamic" (live) when the parser was asked to accept it. */
  std::string type = "static";
  /* Of a dynamic MPD (5.3.1.2): the wall-clock time of the presentation's
   * start (microseconds since the Unix epoch), how far back its segments
   * stay available, how often it must be fetched again, and how far behind
   * the live edge a player should play; all nanoseconds but the first. */
  std::optional<gint64> availability_start_time_us;
  std::optional<guint64> time_shift_buffer_depth;
  std::optional<guint64> minimum_update_period;
  std::optional<guint64> suggested_presentation_delay;
  /* Of a dynamic MPD: where a client takes the time from (5.8.4.11:
   * UTCTiming, in document order, the preferred first). */
  std::vector<Descriptor> utc_timings;
  std::optional<guint64> media_presentation_duration;  /* nanoseconds */
  std::optional<guint64> min_buffer_time;              /* nanoseconds */
  std::string profiles;
  std::string manifest_url;
  /* Absolute: the manifest URL resolved with the MPD's first BaseURL. */
  std::string base_url;
  std::vector<Period> periods;

  /* The whole presentation: mediaPresentationDuration, else the end of the last Period. */
  std::optional<guint64> duration () const;
  bool is_dynamic () const { return type == "dynamic"; }
};

const char *content_type_name (ContentType type);
/* Text carriage of a Representation (TextFormat::None when it is not text). */
TextFormat text_format (const AdaptationSet &set, const Representation &representation);

}  // namespace dash
}  // namespace gst_offline
