/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "drm/pssh.h"

#include "util/big-endian.h"

#include <gst/gst.h>

namespace gst_offline {

namespace {

std::string uuid_text (const guint8 *id)
{
  static const char digits[] = "0123456789abcdef";
  std::string text;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10)
      text += '-';
    text += digits[id[i] >> 4];
    text += digits[id[i] & 0xf];
  }
  return text;
}

}  // namespace

std::optional<PsshBox> parse_pssh_box (std::string_view bytes, std::string *why)
{
  ByteReader box (reinterpret_cast<const guint8 *> (bytes.data ()), bytes.size ());
  guint32 size32 = 0;
  if (!box.u32 (&size32) || box.left () < 4) {
    *why = "only " + std::to_string (bytes.size ()) + " bytes, shorter than a box header";
    return std::nullopt;
  }
  if (std::string_view (reinterpret_cast<const char *> (box.here ()), 4) != "pssh") {
    *why = "not a pssh box";
    return std::nullopt;
  }
  box.skip (4);
  guint64 size = size32;
  if (size32 == 1 && !box.u64 (&size)) {
    *why = "the 64-bit box size is cut short";
    return std::nullopt;
  }
  if (size32 == 0)
    size = bytes.size ();  /* to the end */
  if (size != bytes.size ()) {
    *why = "the box says it has " + std::to_string (size) + " bytes, but there are " + std::to_string (bytes.size ());
    return std::nullopt;
  }

  PsshBox pssh;
  guint32 version_and_flags = 0;
  if (!box.u32 (&version_and_flags) || box.left () < 16) {
    *why = "the box ends before its system id";
    return std::nullopt;
  }
  pssh.version = static_cast<guint8> (version_and_flags >> 24);
  if (pssh.version > 1) {
    *why = "version " + std::to_string (pssh.version) + " (0 and 1 are defined)";
    return std::nullopt;
  }
  pssh.system_id = uuid_text (box.here ());
  box.skip (16);

  if (pssh.version == 1) {
    guint32 count = 0;
    if (!box.u32 (&count)) {
      *why = "the box ends before its KID count";
      return std::nullopt;
    }
    /* Checked against what is left before anything is allocated. */
    if (static_cast<guint64> (count) * 16 > box.left ()) {
      *why = std::to_string (count) + " KIDs announced, room for " + std::to_string (box.left () / 16);
      return std::nullopt;
    }
    pssh.kids.resize (count);
    for (KeyId &kid : pssh.kids) {
      std::copy (box.here (), box.here () + 16, kid.begin ());
      box.skip (16);
    }
  }

  guint32 data_size = 0;
  if (!box.u32 (&data_size)) {
    *why = "the box ends before its data size";
    return std::nullopt;
  }
  if (data_size != box.left ()) {
    *why = std::to_string (data_size) + " bytes of data announced, " + std::to_string (box.left ()) + " in the box";
    return std::nullopt;
  }
  pssh.data.assign (reinterpret_cast<const char *> (box.here ()), data_size);
  return pssh;
}

}  // namespace gst_offline
