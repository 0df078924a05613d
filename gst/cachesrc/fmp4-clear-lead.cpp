/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fmp4-clear-lead.h"

#include "util/big-endian.h"

#include <functional>

namespace gst_offline {

namespace {

constexpr guint32
fourcc (const char (&s)[5])
{
  return (guint32 (guint8 (s[0])) << 24) | (guint32 (guint8 (s[1])) << 16) | (guint32 (guint8 (s[2])) << 8)
      | guint32 (guint8 (s[3]));
}

struct Box {
  guint32 type;
  const guint8 *start; /* its header */
  gsize size;          /* the whole box */
};

/* The boxes of [data, data + length): false unless they fill it exactly
 * with 32-bit sizes (the boxes this rewrites are small). */
bool
split_boxes (const guint8 *data, gsize length, std::vector<Box> *boxes)
{
  gsize offset = 0;
  while (offset < length) {
    if (length - offset < 8)
      return false;
    guint32 size = read_u32_be (data + offset);
    if (size < 8 || size > length - offset)
      return false;
    boxes->push_back ({ read_u32_be (data + offset + 4), data + offset, size });
    offset += size;
  }
  return true;
}

void
put_u32 (std::vector<guint8> &out, guint32 value)
{
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back (static_cast<guint8> (value >> shift));
}

void
set_u32 (std::vector<guint8> &out, gsize at, guint32 value)
{
  for (int i = 0; i < 4; i++)
    out[at + i] = static_cast<guint8> (value >> (24 - 8 * i));
}

/* Appends `box` to `out` with its first `fixed` payload bytes as they are
 * and each child box written by `child` (which appends it, changed or
 * not), then sets its size. */
bool
rewrite_container (const Box &box, gsize fixed, const std::function<bool (const Box &, std::vector<guint8> &)> &child,
    std::vector<guint8> &out)
{
  if (box.size < 8 + fixed)
    return false;
  std::vector<Box> children;
  if (!split_boxes (box.start + 8 + fixed, box.size - 8 - fixed, &children))
    return false;
  gsize at = out.size ();
  out.insert (out.end (), box.start, box.start + 8 + fixed);
  for (const Box &c : children) {
    if (!child (c, out))
      return false;
  }
  gsize size = out.size () - at;
  if (size > G_MAXUINT32)
    return false;
  set_u32 (out, at, static_cast<guint32> (size));
  return true;
}

bool
copy_box (const Box &box, std::vector<guint8> &out)
{
  out.insert (out.end (), box.start, box.start + box.size);
  return true;
}

/* sinf { frma (format), schm ('cenc' 1.0), schi { tenc (not protected) } } */
void
put_sinf (std::vector<guint8> &out, guint32 format)
{
  put_u32 (out, 8 + 12 + 20 + 8 + 32);
  put_u32 (out, fourcc ("sinf"));
  put_u32 (out, 12);
  put_u32 (out, fourcc ("frma"));
  put_u32 (out, format);
  put_u32 (out, 20);
  put_u32 (out, fourcc ("schm"));
  put_u32 (out, 0); /* version 0, no flags */
  put_u32 (out, fourcc ("cenc"));
  put_u32 (out, 0x00010000);
  put_u32 (out, 8 + 32);
  put_u32 (out, fourcc ("schi"));
  put_u32 (out, 32);
  put_u32 (out, fourcc ("tenc"));
  put_u32 (out, 0); /* version 0, no flags */
  /* reserved, reserved, default_isProtected = 0, default_Per_Sample_IV_Size = 0 */
  put_u32 (out, 0);
  out.insert (out.end (), 16, 0); /* default_KID: none */
}

bool
is_protected_entry (guint32 type)
{
  return type == fourcc ("encv") || type == fourcc ("enca") || type == fourcc ("enct") || type == fourcc ("encs");
}

/* The handler type of a mdia payload's hdlr, or 0. */
guint32
handler_of (const Box &mdia)
{
  std::vector<Box> children;
  if (!split_boxes (mdia.start + 8, mdia.size - 8, &children))
    return 0;
  for (const Box &c : children) {
    /* header, version and flags, pre_defined, then handler_type */
    if (c.type == fourcc ("hdlr") && c.size >= 20)
      return read_u32_be (c.start + 16);
  }
  return 0;
}

bool
rewrite_stsd (const Box &stsd, guint32 handler, std::vector<guint8> &out)
{
  guint32 protected_type = handler == fourcc ("vide") ? fourcc ("encv") : fourcc ("enca");
  /* version and flags, entry_count, then the sample entries */
  return rewrite_container (stsd, 8, [&] (const Box &entry, std::vector<guint8> &o) {
    if (is_protected_entry (entry.type))
      return copy_box (entry, o);
    gsize at = o.size ();
    copy_box (entry, o);
    set_u32 (o, at + 4, protected_type);
    put_sinf (o, entry.type);
    set_u32 (o, at, static_cast<guint32> (o.size () - at));
    return true;
  }, out);
}

bool
rewrite_trak (const Box &trak, std::vector<guint8> &out)
{
  return rewrite_container (trak, 0, [] (const Box &mdia, std::vector<guint8> &o) {
    if (mdia.type != fourcc ("mdia"))
      return copy_box (mdia, o);
    guint32 handler = handler_of (mdia);
    if (handler != fourcc ("vide") && handler != fourcc ("soun"))
      return copy_box (mdia, o);
    return rewrite_container (mdia, 0, [handler] (const Box &minf, std::vector<guint8> &o2) {
      if (minf.type != fourcc ("minf"))
        return copy_box (minf, o2);
      return rewrite_container (minf, 0, [handler] (const Box &stbl, std::vector<guint8> &o3) {
        if (stbl.type != fourcc ("stbl"))
          return copy_box (stbl, o3);
        return rewrite_container (stbl, 0, [handler] (const Box &stsd, std::vector<guint8> &o4) {
          return stsd.type == fourcc ("stsd") ? rewrite_stsd (stsd, handler, o4) : copy_box (stsd, o4);
        }, o3);
      }, o2);
    }, o);
  }, out);
}

} // namespace

std::optional<std::vector<guint8>>
fmp4_init_as_clear_lead (const std::vector<guint8> &init)
{
  std::vector<Box> boxes;
  if (!split_boxes (init.data (), init.size (), &boxes))
    return std::nullopt;
  std::vector<guint8> out;
  out.reserve (init.size () + 2 * 80);
  bool had_moov = false;
  for (const Box &box : boxes) {
    if (box.type != fourcc ("moov")) {
      copy_box (box, out);
      continue;
    }
    had_moov = true;
    bool ok = rewrite_container (box, 0, [] (const Box &trak, std::vector<guint8> &o) {
      return trak.type == fourcc ("trak") ? rewrite_trak (trak, o) : copy_box (trak, o);
    }, out);
    if (!ok)
      return std::nullopt;
  }
  if (!had_moov)
    return std::nullopt;
  return out;
}

} // namespace gst_offline
