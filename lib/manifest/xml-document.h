/* Loading an XML manifest (an MPD, a Smooth Streaming manifest) safely:
 * no network, no entity expansion, no DTD; a DOCTYPE or an entity
 * declaration stops the parser at once (so "billion laughs" and external
 * entities are harmless); libxml2's own depth and size limits stay on.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

#include <memory>
#include <string>
#include <string_view>

namespace gst_offline {

struct XmlDocFree {
  void operator() (xmlDoc *doc) const { xmlFreeDoc (doc); }
};
using XmlDocPtr = std::unique_ptr<xmlDoc, XmlDocFree>;

struct XmlNodeFree {
  void operator() (xmlNode *node) const { xmlFreeNode (node); }
};
using XmlNodePtr = std::unique_ptr<xmlNode, XmlNodeFree>;

struct XmlBufferFree {
  void operator() (xmlBuffer *buffer) const { xmlBufferFree (buffer); }
};
using XmlBufferPtr = std::unique_ptr<xmlBuffer, XmlBufferFree>;

struct XmlCharFree {
  void operator() (xmlChar *text) const { xmlFree (text); }
};
using XmlCharPtr = std::unique_ptr<xmlChar, XmlCharFree>;

/* Parses `bytes`, at most `max_size` of them. Errors are INVALID_ARGUMENT,
 * "invalid <what>: ...", `what` naming the document ("MPD"). */
XmlDocPtr load_xml_document (std::string_view bytes, const char *what, gsize max_size, GError **error);

/* The text content of `node` without leading and trailing blanks. */
std::string xml_node_text (xmlNode *node);

}  // namespace gst_offline
