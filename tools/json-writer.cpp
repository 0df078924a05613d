/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "json-writer.h"

#include <cstring>

namespace cli {

void
JsonWriter::newline_and_indent ()
{
  out_ += '\n';
  out_.append (2 * (level_ + has_values_.size ()), ' ');
}

/* A value (or a member's name) in the open container: after the comma of
 * the one before, on a line of its own. */
void
JsonWriter::before_value ()
{
  if (after_member_) {
    after_member_ = false;
    return;
  }
  if (has_values_.empty ())
    return;
  if (has_values_.back ())
    out_ += ',';
  has_values_.back () = true;
  newline_and_indent ();
}

JsonWriter &
JsonWriter::begin_object ()
{
  before_value ();
  out_ += '{';
  has_values_.push_back (false);
  return *this;
}

JsonWriter &
JsonWriter::end_object ()
{
  bool any = has_values_.back ();
  has_values_.pop_back ();
  if (any)
    newline_and_indent ();
  out_ += '}';
  return *this;
}

JsonWriter &
JsonWriter::begin_array ()
{
  before_value ();
  out_ += '[';
  has_values_.push_back (false);
  return *this;
}

JsonWriter &
JsonWriter::end_array ()
{
  return end_object ().replace_last (']');
}

JsonWriter &
JsonWriter::member (const char *name)
{
  before_value ();
  append_string (name);
  out_ += " : ";
  after_member_ = true;
  return *this;
}

JsonWriter &
JsonWriter::string (const char *value)
{
  if (!value)
    return null ();
  before_value ();
  append_string (value);
  return *this;
}

JsonWriter &
JsonWriter::integer (gint64 value)
{
  before_value ();
  out_ += std::to_string (value);
  return *this;
}

JsonWriter &
JsonWriter::number (double value)
{
  before_value ();
  gchar buffer[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_dtostr (buffer, sizeof buffer, value);
  out_ += buffer;
  /* As json-glib: a double always shows that it is one. */
  if (!strpbrk (buffer, ".eEnN"))
    out_ += ".0";
  return *this;
}

JsonWriter &
JsonWriter::boolean (bool value)
{
  before_value ();
  out_ += value ? "true" : "false";
  return *this;
}

JsonWriter &
JsonWriter::null ()
{
  before_value ();
  out_ += "null";
  return *this;
}

JsonWriter &
JsonWriter::replace_last (char c)
{
  out_.back () = c;
  return *this;
}

/* RFC 8259: quotation mark, reverse solidus and control characters escaped,
 * the rest (UTF-8) as it is. */
void
JsonWriter::append_string (const char *value)
{
  out_ += '"';
  for (const char *c = value; *c; c++) {
    switch (*c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\b': out_ += "\\b"; break;
      case '\f': out_ += "\\f"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      case '\t': out_ += "\\t"; break;
      default:
        if (static_cast<guchar> (*c) < 0x20) {
          gchar escaped[8];
          g_snprintf (escaped, sizeof escaped, "\\u%04x", static_cast<guchar> (*c));
          out_ += escaped;
        } else {
          out_ += *c;
        }
    }
  }
  out_ += '"';
}

}  // namespace cli
