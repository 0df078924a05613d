/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "manifest/mss/manifest-parser.h"

#include "manifest/decimal-integer.h"
#include "manifest/url-reference.h"
#include "manifest/xml-document.h"

#include <gst/gst.h>
#include <gst/offline/offline-error.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <cstdarg>
#include <cstring>
#include <memory>

namespace gst_offline {
namespace mss {

namespace {

void invalid (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);
void invalid (GError **error, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree gchar *message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT, "invalid Smooth Streaming manifest: %s",
      message);
}

/* ---- Reading elements and attributes ------------------------------------ */

bool is_element (const xmlNode *node, const char *name)
{
  return node->type == XML_ELEMENT_NODE && std::strcmp (reinterpret_cast<const char *> (node->name), name) == 0;
}

std::optional<std::string> attribute (xmlNode *node, const char *name)
{
  for (xmlAttr *attr = node->properties; attr; attr = attr->next) {
    if (attr->ns || std::strcmp (reinterpret_cast<const char *> (attr->name), name) != 0)
      continue;
    XmlCharPtr value (xmlNodeGetContent (reinterpret_cast<xmlNode *> (attr)));
    return std::string (value ? reinterpret_cast<const char *> (value.get ()) : "");
  }
  return std::nullopt;
}

/* Attribute `name` of `node` as an unsigned number no larger than `max`;
 * nullopt with no error when absent. `where` names the element. */
bool number_attribute (xmlNode *node, const char *name, const std::string &where, guint64 max,
    std::optional<guint64> *out, GError **error)
{
  auto text = attribute (node, name);
  if (!text) {
    *out = std::nullopt;
    return true;
  }
  auto value = parse_decimal_integer (*text);
  if (!value || *value > max) {
    invalid (error, "%s: %s=\"%s\" is not a number%s", where.c_str (), name, text->c_str (),
        value ? " in range" : "");
    return false;
  }
  *out = value;
  return true;
}

bool guint_attribute (xmlNode *node, const char *name, const std::string &where, std::optional<guint> *out,
    GError **error)
{
  std::optional<guint64> value;
  if (!number_attribute (node, name, where, G_MAXUINT, &value, error))
    return false;
  *out = value ? std::optional<guint> (static_cast<guint> (*value)) : std::nullopt;
  return true;
}

/* The bytes `text` spells in hexadecimal (either case), or nothing. */
std::optional<std::string> hex_bytes (const std::string &text)
{
  if (text.size () % 2 != 0)
    return std::nullopt;
  std::string bytes;
  bytes.reserve (text.size () / 2);
  for (size_t i = 0; i < text.size (); i += 2) {
    if (!g_ascii_isxdigit (text[i]) || !g_ascii_isxdigit (text[i + 1]))
      return std::nullopt;
    bytes.push_back (static_cast<char> (g_ascii_xdigit_value (text[i]) << 4 | g_ascii_xdigit_value (text[i + 1])));
  }
  return bytes;
}

/* "{9A04F079-9840-4286-AB92-E65BE0885F95}" → the lower-case UUID, or "". */
std::string normalize_system_id (std::string id)
{
  if (id.size () == 38 && id.front () == '{' && id.back () == '}')
    id = id.substr (1, 36);
  if (id.size () != 36)
    return {};
  for (size_t i = 0; i < id.size (); i++) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? id[i] != '-' : !g_ascii_isxdigit (id[i]))
      return {};
    id[i] = g_ascii_tolower (id[i]);
  }
  return id;
}

/* ---- Elements ------------------------------------------------------------ */

bool parse_quality_level (xmlNode *node, const std::string &where, guint position, QualityLevel *level, GError **error)
{
  std::optional<guint> index;
  if (!guint_attribute (node, "Index", where, &index, error))
    return false;
  level->index = index.value_or (position);
  std::optional<guint64> bitrate;
  if (!number_attribute (node, "Bitrate", where, G_MAXUINT64 / 8, &bitrate, error))
    return false;
  if (!bitrate || *bitrate == 0) {
    invalid (error, "%s has no Bitrate", where.c_str ());
    return false;
  }
  level->bitrate = *bitrate;
  level->fourcc = attribute (node, "FourCC").value_or ("");
  auto codec_private_data = hex_bytes (attribute (node, "CodecPrivateData").value_or (""));
  if (!codec_private_data) {
    invalid (error, "%s: CodecPrivateData is not hexadecimal bytes", where.c_str ());
    return false;
  }
  level->codec_private_data = std::move (*codec_private_data);
  if (!guint_attribute (node, "MaxWidth", where, &level->max_width, error)
      || !guint_attribute (node, "MaxHeight", where, &level->max_height, error)
      || !guint_attribute (node, "SamplingRate", where, &level->sampling_rate, error)
      || !guint_attribute (node, "Channels", where, &level->channels, error)
      || !guint_attribute (node, "BitsPerSample", where, &level->bits_per_sample, error)
      || !guint_attribute (node, "PacketSize", where, &level->packet_size, error)
      || !guint_attribute (node, "AudioTag", where, &level->audio_tag, error))
    return false;
  for (xmlNode *child = node->children; child; child = child->next) {
    if (!is_element (child, "CustomAttributes"))
      continue;
    for (xmlNode *a = child->children; a; a = a->next) {
      if (!is_element (a, "Attribute"))
        continue;
      if (!level->custom_attributes.empty ())
        level->custom_attributes += ',';
      level->custom_attributes += attribute (a, "Name").value_or ("") + "=" + attribute (a, "Value").value_or ("");
    }
  }
  /* Version 1 manifests write Width and Height. */
  if (!level->max_width && !guint_attribute (node, "Width", where, &level->max_width, error))
    return false;
  if (!level->max_height && !guint_attribute (node, "Height", where, &level->max_height, error))
    return false;
  return true;
}

/* Appends the fragments of one `c` element: `r` of them (default 1), the
 * first at `t` or where the previous one ended (0 for the first of all). */
bool parse_chunk (xmlNode *node, const std::string &where, StreamIndex *stream, guint64 *next_start,
    guint64 *total_fragments, GError **error)
{
  std::optional<guint64> t, d, r;
  if (!number_attribute (node, "t", where, G_MAXUINT64, &t, error)
      || !number_attribute (node, "d", where, G_MAXUINT64, &d, error)
      || !number_attribute (node, "r", where, G_MAXUINT64, &r, error))
    return false;
  if (!d || *d == 0) {
    invalid (error, "%s has no duration (d)", where.c_str ());
    return false;
  }
  guint64 count = r.value_or (1);
  if (count == 0) {
    invalid (error, "%s: r=\"0\" repeats nothing", where.c_str ());
    return false;
  }
  guint64 start = t.value_or (*next_start);
  if (!stream->fragments.empty () && start < *next_start) {
    invalid (error, "%s starts at %" G_GUINT64_FORMAT ", before the previous fragment ends (%" G_GUINT64_FORMAT ")",
        where.c_str (), start, *next_start);
    return false;
  }
  if (count > kMaxFragmentsPerStream - stream->fragments.size () || count > kMaxFragments - *total_fragments) {
    invalid (error, "%s: more than %" G_GUINT64_FORMAT " fragments per StreamIndex (or %" G_GUINT64_FORMAT
        " in all) are refused", where.c_str (), kMaxFragmentsPerStream, kMaxFragments);
    return false;
  }
  if (*d > (G_MAXUINT64 - start) / count) {
    invalid (error, "%s: its fragments end past the largest time there is", where.c_str ());
    return false;
  }
  for (guint64 i = 0; i < count; i++)
    stream->fragments.push_back ({ start + i * *d, *d });
  *next_start = start + count * *d;
  *total_fragments += count;
  return true;
}

/* Reads a StreamIndex into *stream; *empty when it has no QualityLevel or
 * no fragment, which players skip (an empty text StreamIndex is common). */
bool parse_stream_index (xmlNode *node, guint position, guint64 manifest_timescale, guint64 *total_fragments,
    StreamIndex *stream, bool *empty, GError **error)
{
  std::string where = "StreamIndex " + std::to_string (position);
  stream->type_name = attribute (node, "Type").value_or ("");
  std::string type = stream->type_name;
  for (auto &c : type)
    c = g_ascii_tolower (c);
  if (type == "video")
    stream->type = StreamType::Video;
  else if (type == "audio")
    stream->type = StreamType::Audio;
  else if (type == "text")
    stream->type = StreamType::Text;
  else if (type.empty ()) {
    invalid (error, "%s has no Type", where.c_str ());
    return false;
  } else
    stream->type = StreamType::Other;
  stream->subtype = attribute (node, "Subtype").value_or ("");
  stream->name = attribute (node, "Name").value_or ("");
  stream->language = attribute (node, "Language").value_or ("");
  if (!stream->name.empty ())
    where += " (" + stream->name + ")";
  std::optional<guint64> timescale;
  if (!number_attribute (node, "TimeScale", where, G_MAXUINT64, &timescale, error))
    return false;
  if (timescale && *timescale == 0) {
    invalid (error, "%s: TimeScale=\"0\"", where.c_str ());
    return false;
  }
  stream->timescale = timescale.value_or (manifest_timescale);
  guint64 next_start = 0;
  guint levels = 0, chunks = 0;
  for (xmlNode *child = node->children; child; child = child->next) {
    if (is_element (child, "QualityLevel")) {
      QualityLevel level;
      if (!parse_quality_level (child, where + ": QualityLevel " + std::to_string (levels), levels, &level, error))
        return false;
      stream->quality_levels.push_back (std::move (level));
      levels++;
    } else if (is_element (child, "c")) {
      if (!parse_chunk (child, where + ": c " + std::to_string (chunks), stream, &next_start, total_fragments, error))
        return false;
      chunks++;
    }
  }
  *empty = stream->quality_levels.empty () || stream->fragments.empty ();
  if (*empty)
    return true;
  auto url = attribute (node, "Url");
  if (!url || url->empty ()) {
    invalid (error, "%s has no Url", where.c_str ());
    return false;
  }
  stream->url_template = *url;
  return true;
}

bool parse_protection (xmlNode *node, Manifest *manifest, GError **error)
{
  for (xmlNode *child = node->children; child; child = child->next) {
    if (!is_element (child, "ProtectionHeader"))
      continue;
    auto system = attribute (child, "SystemID");
    std::string id = normalize_system_id (system.value_or (""));
    if (id.empty ()) {
      invalid (error, "ProtectionHeader: SystemID=\"%s\" is not a UUID", system.value_or ("").c_str ());
      return false;
    }
    manifest->protection.push_back ({ id, xml_node_text (child) });
  }
  return true;
}

}  // namespace

bool Manifest::has_playready () const
{
  for (const auto &p : protection)
    if (p.system_id == kPlayReadySystemId)
      return true;
  return false;
}

std::optional<Manifest> parse_manifest (std::string_view bytes, const std::string &manifest_url, GError **error)
{
  XmlDocPtr doc = load_xml_document (bytes, "Smooth Streaming manifest", kMaxManifestSize, error);
  if (!doc)
    return std::nullopt;
  xmlNode *root = xmlDocGetRootElement (doc.get ());
  if (!root || !is_element (root, "SmoothStreamingMedia")) {
    invalid (error, "the root element is <%s>, not <SmoothStreamingMedia>",
        root ? reinterpret_cast<const char *> (root->name) : "");
    return std::nullopt;
  }
  Manifest manifest;
  manifest.url = manifest_url;
  if (auto live = attribute (root, "IsLive"); live && g_ascii_strcasecmp (live->c_str (), "true") == 0) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED, "live Smooth Streaming is not supported");
    return std::nullopt;
  }
  std::optional<guint64> timescale;
  if (!number_attribute (root, "TimeScale", "SmoothStreamingMedia", G_MAXUINT64, &timescale, error)
      || !number_attribute (root, "Duration", "SmoothStreamingMedia", G_MAXUINT64, &manifest.duration, error))
    return std::nullopt;
  if (timescale && *timescale == 0) {
    invalid (error, "SmoothStreamingMedia: TimeScale=\"0\"");
    return std::nullopt;
  }
  manifest.timescale = timescale.value_or (kDefaultTimeScale);
  guint64 total_fragments = 0;
  guint position = 0;
  for (xmlNode *child = root->children; child; child = child->next) {
    if (is_element (child, "StreamIndex")) {
      StreamIndex stream;
      bool empty = false;
      if (!parse_stream_index (child, position++, manifest.timescale, &total_fragments, &stream, &empty, error))
        return std::nullopt;
      if (!empty)
        manifest.streams.push_back (std::move (stream));
    } else if (is_element (child, "Protection")) {
      if (!parse_protection (child, &manifest, error))
        return std::nullopt;
    }
  }
  if (manifest.streams.empty ()) {
    invalid (error, "it has no StreamIndex with a QualityLevel and fragments (c elements)");
    return std::nullopt;
  }
  return manifest;
}

namespace {

/* A StreamIndex Url split once into text and placeholders, so that a
 * fragment's URL is one pass over it (replacing placeholders in place for
 * each fragment was quadratic in their number). */
struct UrlTemplate {
  enum class Kind { Text, Bitrate, StartTime, CustomAttributes };
  struct Part {
    Kind kind;
    std::string text;  /* Kind::Text: spaces already escaped */
  };
  std::vector<Part> parts;

  std::string render (const std::string &bitrate, const std::string &time, const std::string &custom) const
  {
    std::string out;
    for (const Part &part : parts) {
      switch (part.kind) {
        case Kind::Text: out += part.text; break;
        case Kind::Bitrate: out += bitrate; break;
        case Kind::StartTime: out += time; break;
        case Kind::CustomAttributes: out += custom; break;
      }
    }
    return out;
  }
};

std::optional<UrlTemplate> compile_url_template (const std::string &url, GError **error)
{
  static const std::pair<std::string_view, UrlTemplate::Kind> kPlaceholders[] = {
    { "{bitrate}", UrlTemplate::Kind::Bitrate }, { "{Bitrate}", UrlTemplate::Kind::Bitrate },
    { "{start time}", UrlTemplate::Kind::StartTime }, { "{start_time}", UrlTemplate::Kind::StartTime },
    { "{CustomAttributes}", UrlTemplate::Kind::CustomAttributes },
  };
  UrlTemplate templ;
  std::string text;
  std::string_view rest = url;
  while (!rest.empty ()) {
    bool matched = false;
    for (const auto &[name, kind] : kPlaceholders) {
      if (rest.substr (0, name.size ()) == name) {
        templ.parts.push_back ({ UrlTemplate::Kind::Text, std::move (text) });
        templ.parts.push_back ({ kind, {} });
        text.clear ();
        rest.remove_prefix (name.size ());
        matched = true;
        break;
      }
    }
    if (matched)
      continue;
    char c = rest.front ();
    if (c == '{' || c == '}') {
      std::string shown = url.size () > 200 ? url.substr (0, 200) + "..." : url;
      invalid (error, "StreamIndex Url \"%s\" has a placeholder other than {bitrate}, {start time} and {CustomAttributes}",
          shown.c_str ());
      return std::nullopt;
    }
    /* Spaces are not allowed in a URI reference. */
    if (c == ' ')
      text += "%20";
    else
      text += c;
    rest.remove_prefix (1);
  }
  templ.parts.push_back ({ UrlTemplate::Kind::Text, std::move (text) });
  return templ;
}

std::optional<std::string> resolve_fragment (const Manifest &manifest, const std::string &path, GError **error)
{
  std::string why;
  auto resolved = resolve_url_reference (manifest.url, path, &why);
  if (!resolved) {
    std::string shown = path.size () > 200 ? path.substr (0, 200) + "..." : path;
    invalid (error, "cannot resolve fragment URL \"%s\" against %s: %s", shown.c_str (), manifest.url.c_str (),
        why.c_str ());
  }
  return resolved;
}

}  // namespace

std::optional<std::string> fragment_url (const Manifest &manifest, const StreamIndex &stream, const QualityLevel &level,
    guint64 start, GError **error)
{
  auto templ = compile_url_template (stream.url_template, error);
  if (!templ)
    return std::nullopt;
  return resolve_fragment (manifest,
      templ->render (std::to_string (level.bitrate), std::to_string (start), level.custom_attributes), error);
}

bool expand_fragments (const Manifest &manifest, const StreamIndex &stream, const QualityLevel &level,
    const FragmentFn &each, GError **error)
{
  auto templ = compile_url_template (stream.url_template, error);
  if (!templ)
    return false;
  const std::string bitrate = std::to_string (level.bitrate);
  /* The list's size is known before a single URL is made: a 2 KiB Url
   * repeated by r="1000000" is refused, not allocated. A start time adds
   * at most 20 digits to the URL of start 0. */
  auto first_url = resolve_fragment (manifest, templ->render (bitrate, "0", level.custom_attributes), error);
  if (!first_url)
    return false;
  guint64 url_size = first_url->size ();
  guint64 per_fragment = sizeof (FragmentRef) + url_size + 20;
  if (stream.fragments.size () > kMaxFragmentListBytes / per_fragment) {
    invalid (error, "StreamIndex%s%s: %" G_GSIZE_FORMAT " fragment URLs of about %" G_GUINT64_FORMAT
        " bytes would take more than the %" G_GUINT64_FORMAT " MiB allowed for a fragment list",
        stream.name.empty () ? "" : " ", stream.name.c_str (), stream.fragments.size (), url_size,
        kMaxFragmentListBytes >> 20);
    return false;
  }
  for (const Fragment &f : stream.fragments) {
    auto url = resolve_fragment (manifest, templ->render (bitrate, std::to_string (f.start), level.custom_attributes),
        error);
    if (!url)
      return false;
    FragmentRef ref;
    ref.url = std::move (*url);
    ref.start_ns = gst_util_uint64_scale (f.start, GST_SECOND, stream.timescale);
    ref.duration_ns = gst_util_uint64_scale (f.start + f.duration, GST_SECOND, stream.timescale) - ref.start_ns;
    if (!each (std::move (ref), error))
      return false;
  }
  return true;
}

std::optional<std::vector<FragmentRef>> expand_fragments (const Manifest &manifest, const StreamIndex &stream,
    const QualityLevel &level, GError **error)
{
  std::vector<FragmentRef> refs;
  refs.reserve (stream.fragments.size ());
  bool ok = expand_fragments (manifest, stream, level, [&refs] (FragmentRef &&ref, GError **) {
    refs.push_back (std::move (ref));
    return true;
  }, error);
  if (!ok)
    return std::nullopt;
  return refs;
}

}  // namespace mss
}  // namespace gst_offline
