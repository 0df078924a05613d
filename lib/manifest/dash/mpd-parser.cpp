/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "manifest/dash/mpd-parser.h"
#include "manifest/decimal-integer.h"
#include "manifest/url-reference.h"
#include "manifest/xml-document.h"

#include "manifest/dash/xs-duration.h"

#include <gst/offline/offline-error.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <cstring>
#include <memory>
#include <unordered_set>

namespace gst_offline {
namespace dash {

namespace {

/* ---- Reading elements and attributes ------------------------------------ */

bool is_mpd_namespace (const xmlNs *ns)
{
  /* Some packagers write no namespace at all; both spellings of the 2011
   * namespace occur in the wild. */
  return !ns || !ns->href || g_ascii_strcasecmp (reinterpret_cast<const char *> (ns->href),
      "urn:mpeg:dash:schema:mpd:2011") == 0;
}

bool is_element (const xmlNode *node, const char *name)
{
  return node->type == XML_ELEMENT_NODE && is_mpd_namespace (node->ns)
      && std::strcmp (reinterpret_cast<const char *> (node->name), name) == 0;
}

std::vector<xmlNode *> children (xmlNode *node, const char *name)
{
  std::vector<xmlNode *> found;
  for (xmlNode *child = node->children; child; child = child->next)
    if (is_element (child, name))
      found.push_back (child);
  return found;
}

xmlNode *first_child (xmlNode *node, const char *name)
{
  for (xmlNode *child = node->children; child; child = child->next)
    if (is_element (child, name))
      return child;
  return nullptr;
}

/* An attribute in no namespace (`ns_any`: in any namespace, for cenc:default_KID). */
std::optional<std::string> attribute (xmlNode *node, const char *name, bool ns_any = false)
{
  for (xmlAttr *attr = node->properties; attr; attr = attr->next) {
    if (std::strcmp (reinterpret_cast<const char *> (attr->name), name) != 0)
      continue;
    if (attr->ns && !ns_any)
      continue;
    XmlCharPtr value (xmlNodeGetContent (reinterpret_cast<xmlNode *> (attr)));
    return std::string (value ? reinterpret_cast<const char *> (value.get ()) : "");
  }
  return std::nullopt;
}

bool has_xlink_href (xmlNode *node)
{
  for (xmlAttr *attr = node->properties; attr; attr = attr->next)
    if (attr->ns && attr->ns->href
        && std::strcmp (reinterpret_cast<const char *> (attr->ns->href), "http://www.w3.org/1999/xlink") == 0
        && std::strcmp (reinterpret_cast<const char *> (attr->name), "href") == 0)
      return true;
  return false;
}

std::string_view trim (std::string_view s)
{
  while (!s.empty () && g_ascii_isspace (s.front ()))
    s.remove_prefix (1);
  while (!s.empty () && g_ascii_isspace (s.back ()))
    s.remove_suffix (1);
  return s;
}

std::optional<guint64> to_uint (std::string_view s)
{
  return parse_decimal_integer (trim (s));
}

std::string quoted (std::string_view value)
{
  /* Error messages quote what was written, shortened: a hostile value must
   * not make a megabyte-long message. */
  if (value.size () > 80)
    return "'" + std::string (value.substr (0, 80)) + "...'";
  return "'" + std::string (value) + "'";
}

/* ISO/IEC 23009-4 segment encryption: whole segments encrypted with keys
 * from a key server. Downloading them would store data nothing can play. */
constexpr const char *kSegmentEncryptionScheme = "urn:mpeg:dash:sea:2012";

/* EssentialProperty schemes that do not change what a player must do with
 * the media (colour signalling the decoder reads from the stream anyway). */
bool is_understood_essential_property (std::string_view scheme)
{
  return scheme == "urn:mpeg:mpegB:cicp:TransferCharacteristics" || scheme == "urn:mpeg:mpegB:cicp:ColourPrimaries"
      || scheme == "urn:mpeg:mpegB:cicp:MatrixCoefficients" || scheme == "http://dashif.org/thumbnail_tile"
      || scheme == "http://dashif.org/guidelines/thumbnail_tile";
}

/* ---- The MPD walker ------------------------------------------------------ */

/* One Segment{Base,List,Template} element as written, every field optional
 * so that the levels can be merged. */
struct RawSegmentInfo {
  std::optional<guint64> timescale;
  std::optional<guint64> presentation_time_offset;
  std::optional<ByteRange> index_range;
  std::optional<UrlRef> initialization;
  std::optional<UrlRef> representation_index;
  std::optional<guint64> duration;
  std::optional<guint64> start_number;
  std::optional<std::vector<TimelineEntry>> timeline;
  std::optional<std::vector<SegmentUrl>> segment_urls;
  std::optional<std::string> media_template;
  std::optional<std::string> initialization_template;

  /* `child`'s fields where present, else ours. */
  RawSegmentInfo merged_with (const RawSegmentInfo &child) const
  {
    RawSegmentInfo m = *this;
    auto take = [] (auto &to, const auto &from) {
      if (from)
        to = from;
    };
    take (m.timescale, child.timescale);
    take (m.presentation_time_offset, child.presentation_time_offset);
    take (m.index_range, child.index_range);
    take (m.initialization, child.initialization);
    take (m.representation_index, child.representation_index);
    take (m.duration, child.duration);
    take (m.start_number, child.start_number);
    take (m.timeline, child.timeline);
    take (m.segment_urls, child.segment_urls);
    take (m.media_template, child.media_template);
    take (m.initialization_template, child.initialization_template);
    return m;
  }
};

/* The segment elements found at one level (Period, AdaptationSet or Representation). */
struct SegmentLevel {
  std::optional<RawSegmentInfo> base;
  std::optional<RawSegmentInfo> list;
  std::optional<RawSegmentInfo> templ;

  bool empty () const { return !base && !list && !templ; }
};

class MpdParser {
 public:
  MpdParser (std::string manifest_url, Dynamic dynamic, GError **error)
      : manifest_url_ (std::move (manifest_url)), dynamic_ (dynamic), error_ (error) {}

  std::optional<Mpd> parse (xmlNode *root);

 private:
  bool fail (const std::string &where, const std::string &what, GstOfflineError code = GST_OFFLINE_ERROR_INVALID_ARGUMENT)
  {
    if (where.empty ())
      g_set_error (error_, GST_OFFLINE_ERROR, code, "invalid MPD: %s", what.c_str ());
    else if (code == GST_OFFLINE_ERROR_UNSUPPORTED)
      g_set_error (error_, GST_OFFLINE_ERROR, code, "unsupported MPD: %s: %s", where.c_str (), what.c_str ());
    else
      g_set_error (error_, GST_OFFLINE_ERROR, code, "invalid MPD: %s: %s", where.c_str (), what.c_str ());
    return false;
  }

  bool get_uint (xmlNode *node, const char *name, const std::string &where, std::optional<guint64> &out);
  bool get_uint32 (xmlNode *node, const char *name, const std::string &where, std::optional<guint> &out);
  bool get_duration (xmlNode *node, const char *name, const std::string &where, std::optional<guint64> &out);
  bool get_range (xmlNode *node, const char *name, const std::string &where, std::optional<ByteRange> &out);
  bool get_fraction (xmlNode *node, const char *name, char separator, bool ratio_only,
      const std::string &where, std::optional<Fraction> &out);
  bool resolve (const std::string &base, xmlNode *parent, const std::string &where, std::string &out,
      bool *has_own = nullptr);
  bool resolve_url (const std::string &base, const std::string &reference, const std::string &where,
      std::string &out);

  bool parse_period (xmlNode *node, size_t index, const std::string &mpd_base, Period &period,
      std::optional<guint64> &start);
  bool parse_adaptation_set (xmlNode *node, const std::string &where, const std::string &period_base,
      const SegmentLevel &period_segments, AdaptationSet &set);
  bool parse_representation (xmlNode *node, const std::string &where, const AdaptationSet &set,
      xmlNode *set_node, bool set_has_base_url, const std::optional<std::string> &set_channels,
      const SegmentLevel &period_segments, const SegmentLevel &set_segments, Representation &rep);
  bool parse_segment_level (xmlNode *node, const std::string &where, SegmentLevel &level);
  bool parse_segment_info (xmlNode *node, const std::string &where, bool is_list, bool is_template,
      RawSegmentInfo &info);
  bool parse_url_ref (xmlNode *node, const std::string &where, UrlRef &ref);
  bool parse_descriptor (xmlNode *node, const std::string &where, Descriptor &descriptor);
  bool parse_content_protection (xmlNode *node, const std::string &where, const std::string &base,
      ContentProtection &protection);
  bool merge_segments (const std::string &where, const SegmentLevel &period, const SegmentLevel &set,
      const SegmentLevel &rep, SegmentInfo &out);

  bool charge (const Representation &rep, const std::string &where);
  /* The first EssentialProperty scheme of `node` this parser does not
   * understand into *unsupported (ISO/IEC 23009-1 5.8.4.8: the element is
   * then to be ignored); segment encryption is an error. */
  bool check_essential_properties (xmlNode *node, const std::string &where, std::string *unsupported);

  std::string manifest_url_;
  Dynamic dynamic_;
  GError **error_;
  guint64 model_bytes_ = 0;
};

/* What inheritance copies into each Representation: an AdaptationSet's
 * megabyte of ContentProtection or SegmentTimeline repeated in a hundred
 * thousand one-line Representations must not turn 64 MiB of XML into
 * terabytes of model. */
bool MpdParser::charge (const Representation &rep, const std::string &where)
{
  guint64 bytes = sizeof (Representation) + rep.id.size () + rep.mime_type.size () + rep.codecs.size ()
      + rep.base_url.size ();
  for (const auto &cp : rep.content_protections) {
    bytes += sizeof (ContentProtection) + cp.scheme_id_uri.size () + cp.xml.size ()
        + cp.value.value_or ("").size () + cp.license_url.value_or ("").size ();
    for (const auto &pssh : cp.pssh)
      bytes += pssh.size ();
  }
  const SegmentInfo &info = rep.segments;
  if (info.timeline)
    bytes += info.timeline->size () * sizeof (TimelineEntry);
  for (const auto &url : info.segment_urls)
    bytes += sizeof (SegmentUrl) + url.media.value_or ("").size ();
  bytes += info.media_template.value_or ("").size () + info.initialization_template.value_or ("").size ();
  model_bytes_ += bytes;
  if (model_bytes_ > kMaxModelBytes)
    return fail (where, "the MPD expands to more than " + std::to_string (kMaxModelBytes >> 20)
        + " MiB of Representations");
  return true;
}

bool MpdParser::check_essential_properties (xmlNode *node, const std::string &where, std::string *unsupported)
{
  for (const char *kind : { "EssentialProperty", "SupplementalProperty" }) {
    for (xmlNode *property : children (node, kind)) {
      std::string scheme = attribute (property, "schemeIdUri").value_or ("");
      if (scheme == kSegmentEncryptionScheme)
        return fail (where + " > " + kind, std::string ("segment encryption (") + kSegmentEncryptionScheme
            + ") is not supported", GST_OFFLINE_ERROR_UNSUPPORTED);
      if (std::strcmp (kind, "EssentialProperty") == 0 && unsupported->empty ()
          && !is_understood_essential_property (scheme))
        *unsupported = scheme.empty () ? "(no schemeIdUri)" : scheme;
    }
  }
  return true;
}

bool MpdParser::get_uint (xmlNode *node, const char *name, const std::string &where, std::optional<guint64> &out)
{
  auto text = attribute (node, name);
  if (!text)
    return true;
  out = to_uint (*text);
  if (!out)
    return fail (where, std::string ("@") + name + " " + quoted (*text) + " is not a non-negative integer that fits in 64 bits");
  return true;
}

bool MpdParser::get_uint32 (xmlNode *node, const char *name, const std::string &where, std::optional<guint> &out)
{
  std::optional<guint64> value;
  if (!get_uint (node, name, where, value))
    return false;
  if (value && *value > G_MAXUINT)
    return fail (where, std::string ("@") + name + " " + std::to_string (*value) + " is too large");
  if (value)
    out = static_cast<guint> (*value);
  return true;
}

bool MpdParser::get_duration (xmlNode *node, const char *name, const std::string &where, std::optional<guint64> &out)
{
  auto text = attribute (node, name);
  if (!text)
    return true;
  g_autoptr (GError) local = nullptr;
  out = parse_xs_duration (*text, &local);
  if (!out)
    return fail (where, std::string ("@") + name + ": " + local->message);
  return true;
}

bool MpdParser::get_range (xmlNode *node, const char *name, const std::string &where, std::optional<ByteRange> &out)
{
  auto text = attribute (node, name);
  if (!text)
    return true;
  std::string_view s = trim (*text);
  size_t dash = s.find ('-');
  std::optional<guint64> first, last;
  if (dash != std::string_view::npos) {
    first = to_uint (s.substr (0, dash));
    last = to_uint (s.substr (dash + 1));
  }
  if (!first || !last)
    return fail (where, std::string ("@") + name + " " + quoted (*text) + " is not a byte range 'first-last'");
  if (*last < *first)
    return fail (where, std::string ("@") + name + " " + quoted (*text) + " ends before it starts");
  out = ByteRange { *first, *last };
  return true;
}

bool MpdParser::get_fraction (xmlNode *node, const char *name, char separator, bool ratio_only,
    const std::string &where, std::optional<Fraction> &out)
{
  auto text = attribute (node, name);
  if (!text)
    return true;
  std::string_view s = trim (*text);
  size_t sep = s.find (separator);
  std::optional<guint64> numerator, denominator;
  if (sep == std::string_view::npos && !ratio_only) {
    numerator = to_uint (s);
    denominator = 1;
  } else if (sep != std::string_view::npos) {
    numerator = to_uint (s.substr (0, sep));
    denominator = to_uint (s.substr (sep + 1));
  }
  if (!numerator || !denominator || *denominator == 0 || *numerator > G_MAXINT || *denominator > G_MAXINT)
    return fail (where, std::string ("@") + name + " " + quoted (*text) + " is not a valid "
        + (ratio_only ? "ratio" : "frame rate"));
  out = Fraction { static_cast<guint> (*numerator), static_cast<guint> (*denominator) };
  return true;
}

bool MpdParser::resolve_url (const std::string &base, const std::string &reference, const std::string &where,
    std::string &out)
{
  std::string why;
  auto resolved = resolve_url_reference (base, reference, &why);
  if (!resolved)
    return fail (where, "URL " + quoted (reference) + " cannot be resolved against " + quoted (base) + ": " + why);
  out = std::move (*resolved);
  return true;
}

/* The first BaseURL of `parent` resolved against `base` (further ones are
 * alternatives a player may fail over to; a download uses one source). */
bool MpdParser::resolve (const std::string &base, xmlNode *parent, const std::string &where, std::string &out,
    bool *has_own)
{
  xmlNode *base_url = first_child (parent, "BaseURL");
  if (has_own)
    *has_own = base_url != nullptr;
  if (!base_url) {
    out = base;
    return true;
  }
  return resolve_url (base, xml_node_text (base_url), where + " > BaseURL", out);
}

bool MpdParser::parse_url_ref (xmlNode *node, const std::string &where, UrlRef &ref)
{
  ref.source_url = attribute (node, "sourceURL");
  return get_range (node, "range", where, ref.range);
}

bool MpdParser::parse_segment_info (xmlNode *node, const std::string &where, bool is_list, bool is_template,
    RawSegmentInfo &info)
{
  if (has_xlink_href (node))
    return fail (where, "remote (xlink) elements are not supported", GST_OFFLINE_ERROR_UNSUPPORTED);
  if (!get_uint (node, "timescale", where, info.timescale)
      || !get_uint (node, "presentationTimeOffset", where, info.presentation_time_offset)
      || !get_range (node, "indexRange", where, info.index_range))
    return false;
  if (info.timescale && *info.timescale == 0)
    return fail (where, "@timescale is 0");
  if (xmlNode *init = first_child (node, "Initialization")) {
    UrlRef ref;
    if (!parse_url_ref (init, where + " > Initialization", ref))
      return false;
    info.initialization = ref;
  }
  if (xmlNode *index = first_child (node, "RepresentationIndex")) {
    UrlRef ref;
    if (!parse_url_ref (index, where + " > RepresentationIndex", ref))
      return false;
    info.representation_index = ref;
  }
  if (!is_list && !is_template)
    return true;

  if (!get_uint (node, "duration", where, info.duration) || !get_uint (node, "startNumber", where, info.start_number))
    return false;
  if (info.duration && *info.duration == 0)
    return fail (where, "@duration is 0");
  if (xmlNode *timeline = first_child (node, "SegmentTimeline")) {
    std::vector<TimelineEntry> entries;
    for (xmlNode *s : children (timeline, "S")) {
      std::string s_where = where + " > SegmentTimeline > S[" + std::to_string (entries.size ()) + "]";
      TimelineEntry entry;
      std::optional<guint64> d;
      if (!get_uint (s, "t", s_where, entry.t) || !get_uint (s, "d", s_where, d))
        return false;
      if (!d)
        return fail (s_where, "@d is missing");
      if (*d == 0)
        return fail (s_where, "@d is 0");
      entry.d = *d;
      if (auto r = attribute (s, "r")) {
        std::string_view text = trim (*r);
        if (text == "-1") {
          entry.r = -1;
        } else {
          auto value = to_uint (text);
          if (!value || *value > static_cast<guint64> (G_MAXINT64))
            return fail (s_where, "@r " + quoted (*r) + " is neither -1 nor a non-negative integer");
          entry.r = static_cast<gint64> (*value);
        }
      }
      entries.push_back (entry);
    }
    info.timeline = std::move (entries);
  }

  if (is_list) {
    std::vector<SegmentUrl> urls;
    for (xmlNode *u : children (node, "SegmentURL")) {
      SegmentUrl url;
      url.media = attribute (u, "media");
      if (!get_range (u, "mediaRange", where + " > SegmentURL[" + std::to_string (urls.size ()) + "]", url.media_range))
        return false;
      urls.push_back (std::move (url));
    }
    info.segment_urls = std::move (urls);
  } else {
    info.media_template = attribute (node, "media");
    info.initialization_template = attribute (node, "initialization");
  }
  return true;
}

bool MpdParser::parse_segment_level (xmlNode *node, const std::string &where, SegmentLevel &level)
{
  if (xmlNode *e = first_child (node, "SegmentBase")) {
    level.base.emplace ();
    if (!parse_segment_info (e, where + " > SegmentBase", false, false, *level.base))
      return false;
  }
  if (xmlNode *e = first_child (node, "SegmentList")) {
    level.list.emplace ();
    if (!parse_segment_info (e, where + " > SegmentList", true, false, *level.list))
      return false;
  }
  if (xmlNode *e = first_child (node, "SegmentTemplate")) {
    level.templ.emplace ();
    if (!parse_segment_info (e, where + " > SegmentTemplate", false, true, *level.templ))
      return false;
  }
  return true;
}

/* ISO/IEC 23009-1 5.3.9.1: an element at a lower level inherits the
 * attributes and child elements of the same element at the levels above.
 * Which kind applies is decided by the lowest level that has one. */
bool MpdParser::merge_segments (const std::string &where, const SegmentLevel &period, const SegmentLevel &set,
    const SegmentLevel &rep, SegmentInfo &out)
{
  const SegmentLevel *deciding = !rep.empty () ? &rep : !set.empty () ? &set : !period.empty () ? &period : nullptr;
  if (!deciding) {
    out.kind = SegmentKind::None;
    return true;
  }
  std::optional<RawSegmentInfo> SegmentLevel::*member;
  if (deciding->templ) {
    out.kind = SegmentKind::Template;
    member = &SegmentLevel::templ;
  } else if (deciding->list) {
    out.kind = SegmentKind::List;
    member = &SegmentLevel::list;
  } else {
    out.kind = SegmentKind::Base;
    member = &SegmentLevel::base;
  }
  RawSegmentInfo merged;
  for (const SegmentLevel *level : { &period, &set, &rep })
    if (level->*member)
      merged = merged.merged_with (*(level->*member));

  out.timescale = merged.timescale.value_or (1);
  out.presentation_time_offset = merged.presentation_time_offset.value_or (0);
  out.index_range = merged.index_range;
  out.initialization = merged.initialization;
  out.representation_index = merged.representation_index;
  out.duration = merged.duration;
  out.start_number = merged.start_number.value_or (1);
  out.timeline = merged.timeline;
  out.segment_urls = merged.segment_urls.value_or (std::vector<SegmentUrl> ());
  out.media_template = merged.media_template;
  out.initialization_template = merged.initialization_template;
  if (out.kind == SegmentKind::Template && !out.media_template)
    return fail (where, "SegmentTemplate has no @media");
  return true;
}

bool MpdParser::parse_descriptor (xmlNode *node, const std::string &where, Descriptor &descriptor)
{
  auto scheme = attribute (node, "schemeIdUri");
  if (!scheme)
    return fail (where, "@schemeIdUri is missing");
  descriptor.scheme_id_uri = *scheme;
  descriptor.value = attribute (node, "value");
  descriptor.id = attribute (node, "id");
  return true;
}

bool MpdParser::parse_content_protection (xmlNode *node, const std::string &where, const std::string &base,
    ContentProtection &protection)
{
  auto scheme = attribute (node, "schemeIdUri");
  if (!scheme)
    return fail (where, "@schemeIdUri is missing");
  if (*scheme == kSegmentEncryptionScheme)
    return fail (where, std::string ("segment encryption (") + kSegmentEncryptionScheme + ") is not supported",
        GST_OFFLINE_ERROR_UNSUPPORTED);
  protection.scheme_id_uri = *scheme;
  protection.value = attribute (node, "value");
  protection.default_kid = attribute (node, "default_KID", true);
  for (xmlNode *child = node->children; child; child = child->next) {
    if (child->type != XML_ELEMENT_NODE)
      continue;
    const char *name = reinterpret_cast<const char *> (child->name);
    if (std::strcmp (name, "pssh") == 0) {
      std::string text = xml_node_text (child);
      std::string compact;
      for (char c : text) {
        if (g_ascii_isspace (c))
          continue;
        if (!g_ascii_isalnum (c) && c != '+' && c != '/' && c != '=')
          return fail (where + " > pssh", "the content is not base64");
        compact += c;
      }
      if (compact.empty () || compact.size () % 4 != 0)
        return fail (where + " > pssh", "the content is not base64");
      gsize size = 0;
      g_autofree guchar *decoded = g_base64_decode (compact.c_str (), &size);
      protection.pssh.emplace_back (reinterpret_cast<const char *> (decoded), size);
    } else if (g_ascii_strcasecmp (name, "Laurl") == 0) {
      /* dashif:Laurl (DASH-IF IOP), clearkey:Laurl and ck:Laurl (older drafts) */
      std::string url = xml_node_text (child);
      if (!url.empty () && !protection.license_url) {
        std::string resolved;
        if (!resolve_url (base, url, where + " > Laurl", resolved))
          return false;
        protection.license_url = resolved;
      }
    }
  }
  /* A copy without a parent declares the namespaces it uses itself, so the
   * text stands alone for an XML parser downstream. */
  XmlNodePtr copy (xmlDocCopyNode (node, node->doc, 1));
  XmlBufferPtr buffer (xmlBufferCreate ());
  if (!copy || !buffer || xmlNodeDump (buffer.get (), node->doc, copy.get (), 0, 0) < 0)
    return fail (where, "the element cannot be serialized", GST_OFFLINE_ERROR_FAILED);
  protection.xml.assign (reinterpret_cast<const char *> (xmlBufferContent (buffer.get ())),
      static_cast<size_t> (xmlBufferLength (buffer.get ())));
  return true;
}

ContentType content_type_from (std::string_view mime, std::string_view codecs)
{
  if (mime.substr (0, 6) == "video/")
    return ContentType::Video;
  if (mime.substr (0, 6) == "audio/")
    return ContentType::Audio;
  if (mime.substr (0, 5) == "text/" || mime == "application/ttml+xml")
    return ContentType::Text;
  if (mime.substr (0, 6) == "image/")
    return ContentType::Image;
  if (mime == "application/mp4" && (codecs.substr (0, 4) == "stpp" || codecs.substr (0, 4) == "wvtt"))
    return ContentType::Text;
  return ContentType::Unknown;
}

bool MpdParser::parse_representation (xmlNode *node, const std::string &where, const AdaptationSet &set,
    xmlNode *set_node, bool set_has_base_url, const std::optional<std::string> &set_channels,
    const SegmentLevel &period_segments, const SegmentLevel &set_segments, Representation &rep)
{
  auto id = attribute (node, "id");
  if (!id || trim (*id).empty ())
    return fail (where, "a Representation has no @id");
  rep.id = *id;
  std::string here = where + " > Representation " + quoted (rep.id);
  if (has_xlink_href (node))
    return fail (here, "remote (xlink) elements are not supported", GST_OFFLINE_ERROR_UNSUPPORTED);
  if (!check_essential_properties (node, here, &rep.unsupported_essential_property))
    return false;
  std::optional<guint64> bandwidth;
  if (!get_uint (node, "bandwidth", here, bandwidth))
    return false;
  /* Mandatory, yet missing on sidecar text Representations in the wild:
   * players take 0 (it only ranks Representations). */
  rep.bandwidth = bandwidth.value_or (0);

  rep.mime_type = attribute (node, "mimeType").value_or (set.mime_type);
  rep.codecs = attribute (node, "codecs").value_or (set.codecs);
  std::optional<guint> width, height, set_width, set_height;
  if (!get_uint32 (node, "width", here, width) || !get_uint32 (node, "height", here, height)
      || !get_uint32 (set_node, "width", here, set_width) || !get_uint32 (set_node, "height", here, set_height))
    return false;
  rep.width = width ? width : set_width;
  rep.height = height ? height : set_height;
  std::optional<Fraction> frame_rate, sar, set_sar;
  if (!get_fraction (node, "frameRate", '/', false, here, frame_rate) || !get_fraction (node, "sar", ':', true, here, sar)
      || !get_fraction (set_node, "sar", ':', true, here, set_sar))
    return false;
  rep.frame_rate = frame_rate ? frame_rate : set.frame_rate;
  rep.sar = sar ? sar : set_sar;
  /* audioSamplingRate may be "min max"; the first is the rate. */
  auto rate = attribute (node, "audioSamplingRate");
  if (!rate)
    rate = attribute (set_node, "audioSamplingRate");
  if (rate) {
    std::string_view text = trim (*rate);
    auto value = to_uint (text.substr (0, text.find (' ')));
    if (!value || *value > G_MAXUINT)
      return fail (here, "@audioSamplingRate " + quoted (*rate) + " is not a valid rate");
    rep.audio_sampling_rate = static_cast<guint> (*value);
  }
  if (xmlNode *channels = first_child (node, "AudioChannelConfiguration"))
    rep.audio_channel_configuration = attribute (channels, "value");
  else
    rep.audio_channel_configuration = set_channels;

  bool has_own = false;
  if (!resolve (set.base_url, node, here, rep.base_url, &has_own))
    return false;
  rep.has_own_base_url = has_own || set_has_base_url;

  rep.content_protections = set.content_protections;
  for (xmlNode *cp : children (node, "ContentProtection")) {
    ContentProtection protection;
    if (!parse_content_protection (cp, here + " > ContentProtection", rep.base_url, protection))
      return false;
    rep.content_protections.push_back (std::move (protection));
  }

  SegmentLevel rep_segments;
  if (!parse_segment_level (node, here, rep_segments))
    return false;
  return merge_segments (here, period_segments, set_segments, rep_segments, rep.segments) && charge (rep, here);
}

bool MpdParser::parse_adaptation_set (xmlNode *node, const std::string &where, const std::string &period_base,
    const SegmentLevel &period_segments, AdaptationSet &set)
{
  set.id = attribute (node, "id");
  std::string here = where + " > AdaptationSet";
  if (set.id)
    here += " " + quoted (*set.id);
  if (has_xlink_href (node))
    return fail (here, "remote (xlink) elements are not supported", GST_OFFLINE_ERROR_UNSUPPORTED);
  if (!check_essential_properties (node, here, &set.unsupported_essential_property))
    return false;
  set.mime_type = attribute (node, "mimeType").value_or ("");
  set.codecs = attribute (node, "codecs").value_or ("");
  set.lang = attribute (node, "lang");
  if (!get_fraction (node, "frameRate", '/', false, here, set.frame_rate)
      || !get_fraction (node, "par", ':', true, here, set.par))
    return false;
  for (xmlNode *role : children (node, "Role")) {
    set.roles.emplace_back ();
    if (!parse_descriptor (role, here + " > Role", set.roles.back ()))
      return false;
  }
  for (xmlNode *acc : children (node, "Accessibility")) {
    set.accessibility.emplace_back ();
    if (!parse_descriptor (acc, here + " > Accessibility", set.accessibility.back ()))
      return false;
  }
  for (xmlNode *label : children (node, "Label"))
    set.labels.push_back (xml_node_text (label));

  bool has_base_url = false;
  if (!resolve (period_base, node, here, set.base_url, &has_base_url))
    return false;
  for (xmlNode *cp : children (node, "ContentProtection")) {
    ContentProtection protection;
    if (!parse_content_protection (cp, here + " > ContentProtection", set.base_url, protection))
      return false;
    set.content_protections.push_back (std::move (protection));
  }

  SegmentLevel set_segments;
  if (!parse_segment_level (node, here, set_segments))
    return false;
  /* Read once for the set: looking it up among the set's children for each
   * Representation was quadratic (20 000 Representations took 22 s). */
  std::optional<std::string> set_channels;
  if (xmlNode *channels = first_child (node, "AudioChannelConfiguration"))
    set_channels = attribute (channels, "value");
  std::unordered_set<std::string> ids;
  for (xmlNode *rep_node : children (node, "Representation")) {
    Representation rep;
    if (!parse_representation (rep_node, here, set, node, has_base_url, set_channels, period_segments, set_segments,
            rep))
      return false;
    if (!ids.insert (rep.id).second)
      return fail (here, "two Representations have the id " + quoted (rep.id));
    set.representations.push_back (std::move (rep));
  }

  auto content_type = attribute (node, "contentType");
  if (content_type) {
    static const std::pair<const char *, ContentType> kTypes[] = {
      { "video", ContentType::Video }, { "audio", ContentType::Audio },
      { "text", ContentType::Text }, { "image", ContentType::Image },
    };
    for (const auto &[name, type] : kTypes)
      if (*content_type == name)
        set.content_type = type;
  }
  if (set.content_type == ContentType::Unknown)
    set.content_type = content_type_from (set.mime_type, set.codecs);
  for (size_t i = 0; set.content_type == ContentType::Unknown && i < set.representations.size (); i++)
    set.content_type = content_type_from (set.representations[i].mime_type, set.representations[i].codecs);
  return true;
}

bool MpdParser::parse_period (xmlNode *node, size_t index, const std::string &mpd_base, Period &period,
    std::optional<guint64> &start)
{
  period.id = attribute (node, "id");
  std::string here = "Period " + (period.id ? quoted (*period.id) : "#" + std::to_string (index + 1));
  if (has_xlink_href (node))
    return fail (here, "remote (xlink) Periods are not supported", GST_OFFLINE_ERROR_UNSUPPORTED);
  if (!get_duration (node, "start", here, start) || !get_duration (node, "duration", here, period.duration))
    return false;
  if (!resolve (mpd_base, node, here, period.base_url))
    return false;
  SegmentLevel period_segments;
  if (!parse_segment_level (node, here, period_segments))
    return false;
  for (xmlNode *set_node : children (node, "AdaptationSet")) {
    AdaptationSet set;
    if (!parse_adaptation_set (set_node, here, period.base_url, period_segments, set))
      return false;
    period.adaptation_sets.push_back (std::move (set));
  }
  return true;
}

std::optional<Mpd> MpdParser::parse (xmlNode *root)
{
  if (!root || !is_element (root, "MPD")) {
    fail ({}, std::string ("the root element is <") + (root ? reinterpret_cast<const char *> (root->name) : "")
        + ">, not <MPD>");
    return std::nullopt;
  }
  Mpd mpd;
  mpd.manifest_url = manifest_url_;
  auto type = attribute (root, "type");
  if (type && *type != "static" && *type != "dynamic") {
    fail ("MPD", "@type " + quoted (*type) + " is neither 'static' nor 'dynamic'");
    return std::nullopt;
  }
  if (type && *type == "dynamic") {
    if (dynamic_ == Dynamic::Refuse) {
      fail ("MPD", "a live (dynamic) MPD can only be recorded (gst-offline download), not read here",
          GST_OFFLINE_ERROR_UNSUPPORTED);
      return std::nullopt;
    }
    mpd.type = "dynamic";
    auto start = attribute (root, "availabilityStartTime");
    if (!start) {
      fail ("MPD", "a dynamic MPD has no @availabilityStartTime");
      return std::nullopt;
    }
    mpd.availability_start_time_us = parse_xs_date_time (*start);
    if (!mpd.availability_start_time_us) {
      fail ("MPD", "@availabilityStartTime " + quoted (*start) + " is not an xs:dateTime");
      return std::nullopt;
    }
    for (xmlNode *timing : children (root, "UTCTiming")) {
      mpd.utc_timings.emplace_back ();
      if (!parse_descriptor (timing, "MPD > UTCTiming", mpd.utc_timings.back ()))
        return std::nullopt;
    }
    if (!get_duration (root, "timeShiftBufferDepth", "MPD", mpd.time_shift_buffer_depth)
        || !get_duration (root, "minimumUpdatePeriod", "MPD", mpd.minimum_update_period)
        || !get_duration (root, "suggestedPresentationDelay", "MPD", mpd.suggested_presentation_delay))
      return std::nullopt;
  }
  mpd.profiles = attribute (root, "profiles").value_or ("");
  if (!get_duration (root, "mediaPresentationDuration", "MPD", mpd.media_presentation_duration)
      || !get_duration (root, "minBufferTime", "MPD", mpd.min_buffer_time)
      || !resolve (manifest_url_, root, "MPD", mpd.base_url))
    return std::nullopt;

  std::vector<std::optional<guint64>> starts;
  size_t index = 0;
  for (xmlNode *node : children (root, "Period")) {
    Period period;
    std::optional<guint64> start;
    if (!parse_period (node, index++, mpd.base_url, period, start))
      return std::nullopt;
    mpd.periods.push_back (std::move (period));
    starts.push_back (start);
  }
  if (mpd.periods.empty ()) {
    fail ("MPD", "there is no Period");
    return std::nullopt;
  }

  /* 5.3.2.1: a Period without @start begins where the previous one ends;
   * without @duration it ends where the next begins (or the MPD ends). */
  for (size_t i = 0; i < mpd.periods.size (); i++) {
    Period &period = mpd.periods[i];
    std::string where = "Period " + (period.id ? quoted (*period.id) : "#" + std::to_string (i + 1));
    if (starts[i]) {
      period.start = *starts[i];
    } else if (i == 0) {
      period.start = 0;
    } else {
      const Period &previous = mpd.periods[i - 1];
      if (!previous.duration) {
        fail (where, "it has no @start and the previous Period has no known duration");
        return std::nullopt;
      }
      if (*previous.duration > G_MAXUINT64 - previous.start) {
        fail (where, "its start overflows");
        return std::nullopt;
      }
      period.start = previous.start + *previous.duration;
    }
    if (i > 0 && period.start < mpd.periods[i - 1].start) {
      fail (where, "it starts before the previous Period");
      return std::nullopt;
    }
    if (i > 0 && !mpd.periods[i - 1].duration)
      mpd.periods[i - 1].duration = period.start - mpd.periods[i - 1].start;
  }
  Period &last = mpd.periods.back ();
  if (!last.duration && mpd.media_presentation_duration) {
    if (*mpd.media_presentation_duration < last.start) {
      fail ("MPD", "@mediaPresentationDuration ends before the last Period starts");
      return std::nullopt;
    }
    last.duration = *mpd.media_presentation_duration - last.start;
  }
  return mpd;
}

}  // namespace

std::optional<Mpd> parse_mpd (std::string_view bytes, const std::string &manifest_url, GError **error,
    Dynamic dynamic)
{
  g_autoptr (GUri) uri = g_uri_parse (manifest_url.c_str (), G_URI_FLAGS_NONE, nullptr);
  if (!uri) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
        "the manifest URL '%s' is not an absolute URI", manifest_url.c_str ());
    return std::nullopt;
  }
  XmlDocPtr doc = load_xml_document (bytes, "MPD", kMaxMpdSize, error);
  if (!doc)
    return std::nullopt;
  MpdParser parser (manifest_url, dynamic, error);
  return parser.parse (xmlDocGetRootElement (doc.get ()));
}

}  // namespace dash
}  // namespace gst_offline
