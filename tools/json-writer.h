/* gst-offline CLI: JSON written as it is produced, laid out as json-glib's
 * pretty generator lays it out (two spaces a level, "name" : value), so
 * that `list --json` of ten thousand downloads builds no tree and keeps
 * nothing but the text of the object at hand.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include <string>
#include <vector>

namespace cli {

class JsonWriter {
 public:
  /* Output goes to `out`, appended; `level` is the indentation of the value
   * written first (a value inside an array already open elsewhere). */
  explicit JsonWriter (std::string &out, guint level = 0) : out_ (out), level_ (level) {}

  JsonWriter &begin_object ();
  JsonWriter &end_object ();
  JsonWriter &begin_array ();
  JsonWriter &end_array ();
  /* The name of the next member of the open object. */
  JsonWriter &member (const char *name);

  JsonWriter &string (const char *value);  /* null when `value` is NULL */
  JsonWriter &integer (gint64 value);
  JsonWriter &number (double value);
  JsonWriter &null ();
  JsonWriter &boolean (bool value);

 private:
  JsonWriter &replace_last (char c);
  void before_value ();
  void newline_and_indent ();
  void append_string (const char *value);

  std::string &out_;
  guint level_;
  /* Per open container: whether it holds a value yet. */
  std::vector<bool> has_values_;
  bool after_member_ = false;
};

}  // namespace cli
