/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "manifest/xml-document.h"

#include <gst/offline/offline-error.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include <string>

namespace gst_offline {

namespace {

struct XmlParserCtxtFree {
  void operator() (xmlParserCtxt *ctxt) const { xmlFreeParserCtxt (ctxt); }
};
using XmlParserCtxtPtr = std::unique_ptr<xmlParserCtxt, XmlParserCtxtFree>;

/* Set on the parser context while parsing. */
struct LoadState {
  bool saw_doctype = false;
};

void stop_at_doctype (void *ctx, const xmlChar *, const xmlChar *, const xmlChar *)
{
  auto ctxt = static_cast<xmlParserCtxtPtr> (ctx);
  static_cast<LoadState *> (ctxt->_private)->saw_doctype = true;
  xmlStopParser (ctxt);
}

void stop_at_entity_decl (void *ctx, const xmlChar *, int, const xmlChar *, const xmlChar *, xmlChar *)
{
  stop_at_doctype (ctx, nullptr, nullptr, nullptr);
}

void ignore_generic_error (void *, const char *, ...)
{
}

/* Some libxml2 messages (encoding conversion) bypass XML_PARSE_NOERROR and go
 * to the generic error handler, which prints on stderr: a library keeps
 * quiet, the GError says what went wrong. libxml2 keeps this handler per
 * thread, so other threads' parsers are not affected. */
class QuietGenericErrors {
 public:
  QuietGenericErrors () : saved_ (xmlGenericError), saved_context_ (xmlGenericErrorContext)
  {
    xmlSetGenericErrorFunc (nullptr, ignore_generic_error);
  }
  ~QuietGenericErrors () { xmlSetGenericErrorFunc (saved_context_, saved_); }
  QuietGenericErrors (const QuietGenericErrors &) = delete;
  QuietGenericErrors &operator= (const QuietGenericErrors &) = delete;

 private:
  xmlGenericErrorFunc saved_;
  void *saved_context_;
};

}  // namespace

XmlDocPtr load_xml_document (std::string_view bytes, const char *what, gsize max_size, GError **error)
{
  if (bytes.size () > max_size) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
        "invalid %s: %" G_GSIZE_FORMAT " bytes is larger than the %" G_GSIZE_FORMAT " bytes accepted", what,
        bytes.size (), max_size);
    return nullptr;
  }
  /* libxml2 wants its first initialization done by one thread. */
  static gsize initialized = 0;
  if (g_once_init_enter (&initialized)) {
    xmlInitParser ();
    g_once_init_leave (&initialized, 1);
  }
  QuietGenericErrors quiet;
  XmlParserCtxtPtr ctxt (xmlNewParserCtxt ());
  if (!ctxt) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_FAILED, "cannot create an XML parser");
    return nullptr;
  }
  LoadState state;
  ctxt->_private = &state;
  ctxt->sax->internalSubset = stop_at_doctype;
  ctxt->sax->externalSubset = stop_at_doctype;
  ctxt->sax->entityDecl = stop_at_entity_decl;
  /* No XML_PARSE_NOENT (entities stay unexpanded), no DTDLOAD/DTDATTR, no
   * network, no HUGE (libxml2's depth and size limits stay on). */
  const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
  XmlDocPtr doc (xmlCtxtReadMemory (ctxt.get (), bytes.data (), static_cast<int> (bytes.size ()), what, nullptr,
      options));
  if (state.saw_doctype) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
        "invalid %s: documents with a DOCTYPE or entity declarations are refused", what);
    return nullptr;
  }
  if (!doc || !ctxt->wellFormed) {
    const xmlError *xml_error = xmlCtxtGetLastError (ctxt.get ());
    std::string message = xml_error && xml_error->message ? xml_error->message : "not well-formed";
    while (!message.empty () && (message.back () == '\n' || message.back () == ' '))
      message.pop_back ();
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT, "invalid %s: not XML (line %d: %s)",
        what, xml_error ? xml_error->line : 0, message.c_str ());
    return nullptr;
  }
  return doc;
}

std::string
xml_node_text (xmlNode *node)
{
  XmlCharPtr content (xmlNodeGetContent (node));
  if (!content)
    return {};
  std::string text (reinterpret_cast<const char *> (content.get ()));
  size_t first = text.find_first_not_of (" \t\r\n");
  if (first == std::string::npos)
    return {};
  size_t last = text.find_last_not_of (" \t\r\n");
  return text.substr (first, last - first + 1);
}

}  // namespace gst_offline
