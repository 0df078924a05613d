/* The test packager: see cenc-packager.h.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cenc-packager.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <stdexcept>
#include <vector>

namespace {

using Bytes = std::vector<guint8>;

const guint8 kCommonSystemId[16] = { 0x10, 0x77, 0xef, 0xec, 0xc0, 0xb2, 0x4d, 0x02, 0xac, 0xe3, 0x3c, 0x1e,
  0x52, 0xe2, 0xfb, 0x4b };
const guint8 kWidevineSystemId[16] = { 0xed, 0xef, 0x8b, 0xa9, 0x79, 0xd6, 0x4a, 0xce, 0xa3, 0xc8, 0x27, 0xdc,
  0xd5, 0x1d, 0x21, 0xed };

struct Malformed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

guint32 rd32 (const Bytes &b, size_t at)
{
  if (at + 4 > b.size ())
    throw Malformed ("read past the end of a box");
  return (guint32 (b[at]) << 24) | (guint32 (b[at + 1]) << 16) | (guint32 (b[at + 2]) << 8) | b[at + 3];
}

void wr32 (Bytes &b, size_t at, guint32 v)
{
  if (at + 4 > b.size ())
    throw Malformed ("write past the end of a box");
  b[at] = v >> 24;
  b[at + 1] = v >> 16;
  b[at + 2] = v >> 8;
  b[at + 3] = v;
}

void put8 (Bytes &b, guint8 v) { b.push_back (v); }
void put16 (Bytes &b, guint16 v) { b.push_back (v >> 8); b.push_back (v & 0xff); }
void put32 (Bytes &b, guint32 v) { for (int s = 24; s >= 0; s -= 8) b.push_back ((v >> s) & 0xff); }
void put (Bytes &b, const guint8 *p, size_t n) { b.insert (b.end (), p, p + n); }

/* A box: leaves keep their payload (everything after the 8-byte header);
 * containers keep `prefix` (the bytes before their children) and children. */
struct Box {
  std::string type;
  bool container = false;
  Bytes payload;  /* leaf payload, or a container's prefix */
  std::vector<Box> children;

  Box *child (const std::string &t)
  {
    for (auto &c : children)
      if (c.type == t)
        return &c;
    return nullptr;
  }
};

size_t container_prefix (const std::string &type)
{
  static const std::map<std::string, size_t> prefixes = {
    { "moov", 0 }, { "trak", 0 }, { "mdia", 0 }, { "minf", 0 }, { "stbl", 0 }, { "stsd", 8 },
    { "avc1", 78 }, { "mp4a", 28 }, { "moof", 0 }, { "traf", 0 },
  };
  auto it = prefixes.find (type);
  return it == prefixes.end () ? SIZE_MAX : it->second;
}

std::vector<Box> parse_boxes (const guint8 *data, size_t size)
{
  std::vector<Box> boxes;
  size_t at = 0;
  while (at < size) {
    if (size - at < 8)
      throw Malformed ("truncated box header");
    Bytes head (data + at, data + at + 8);
    size_t box_size = rd32 (head, 0);
    if (box_size == 0)
      box_size = size - at;
    if (box_size < 8 || box_size > size - at)
      throw Malformed ("bad box size");
    Box box;
    box.type.assign (reinterpret_cast<const char *> (data + at + 4), 4);
    const guint8 *body = data + at + 8;
    size_t body_size = box_size - 8;
    size_t prefix = container_prefix (box.type);
    if (prefix != SIZE_MAX && prefix <= body_size) {
      box.container = true;
      box.payload.assign (body, body + prefix);
      box.children = parse_boxes (body + prefix, body_size - prefix);
    } else {
      box.payload.assign (body, body + body_size);
    }
    boxes.push_back (std::move (box));
    at += box_size;
  }
  return boxes;
}

void serialize (const Box &box, Bytes &out)
{
  size_t start = out.size ();
  put32 (out, 0);
  put (out, reinterpret_cast<const guint8 *> (box.type.data ()), 4);
  put (out, box.payload.data (), box.payload.size ());
  for (const auto &c : box.children)
    serialize (c, out);
  wr32 (out, start, static_cast<guint32> (out.size () - start));
}

Bytes serialize (const std::vector<Box> &boxes)
{
  Bytes out;
  for (const auto &b : boxes)
    serialize (b, out);
  return out;
}

Box leaf (const std::string &type, Bytes payload)
{
  Box b;
  b.type = type;
  b.payload = std::move (payload);
  return b;
}

Box full_leaf (const std::string &type, guint8 version, guint32 flags, const Bytes &rest)
{
  Bytes p;
  put32 (p, (guint32 (version) << 24) | (flags & 0xffffff));
  put (p, rest.data (), rest.size ());
  return leaf (type, std::move (p));
}

Bytes read_file (const std::string &path)
{
  gchar *contents = nullptr;
  gsize length = 0;
  GError *error = nullptr;
  if (!g_file_get_contents (path.c_str (), &contents, &length, &error)) {
    std::string message = error->message;
    g_error_free (error);
    throw Malformed (message);
  }
  Bytes bytes (contents, contents + length);
  g_free (contents);
  return bytes;
}

void write_file (const std::string &path, const Bytes &bytes)
{
  GError *error = nullptr;
  if (!g_file_set_contents (path.c_str (), reinterpret_cast<const gchar *> (bytes.data ()), bytes.size (), &error)) {
    std::string message = error->message;
    g_error_free (error);
    throw Malformed (message);
  }
}

/* ---- Init segments ------------------------------------------------------- */

struct Track {
  bool video = false;
  guint nal_length_size = 4;
};

Box *find_path (std::vector<Box> &boxes, std::initializer_list<const char *> path)
{
  std::vector<Box> *level = &boxes;
  Box *found = nullptr;
  for (const char *type : path) {
    found = nullptr;
    for (auto &b : *level)
      if (b.type == type)
        found = &b;
    if (!found)
      return nullptr;
    level = &found->children;
  }
  return found;
}

/* A pssh v1 of the W3C common system listing the KID. */
Box common_pssh (const OtCencOptions &o)
{
  Bytes pssh;
  put (pssh, kCommonSystemId, 16);
  put32 (pssh, 1);
  put (pssh, o.kid.data (), 16);
  put32 (pssh, 0);
  return full_leaf ("pssh", 1, 0, pssh);
}

/* A pssh v0 of Widevine: its data is opaque to everyone but a Widevine CDM. */
Box widevine_pssh (const OtCencOptions &o)
{
  Bytes pssh;
  put (pssh, kWidevineSystemId, 16);
  Bytes data = { 0x12, 0x10 };
  put (data, o.kid.data (), 16);
  put32 (pssh, static_cast<guint32> (data.size ()));
  put (pssh, data.data (), data.size ());
  return full_leaf ("pssh", 0, 0, pssh);
}

/* A cenc:pssh element: the whole box in base64. */
std::string mpd_pssh (const Box &box)
{
  Bytes bytes = serialize ({ box });
  gchar *text = g_base64_encode (bytes.data (), bytes.size ());
  std::string element = std::string ("<cenc:pssh>") + text + "</cenc:pssh>";
  g_free (text);
  return element;
}

Track encrypt_init (const std::string &in, const std::string &out, const OtCencOptions &o)
{
  Bytes data = read_file (in);
  std::vector<Box> boxes = parse_boxes (data.data (), data.size ());
  Box *stsd = find_path (boxes, { "moov", "trak", "mdia", "minf", "stbl", "stsd" });
  if (!stsd || stsd->children.size () != 1)
    throw Malformed ("no single sample entry in " + in);
  Box &entry = stsd->children[0];
  Track track;
  if (entry.type == "avc1") {
    track.video = true;
    Box *avcc = entry.child ("avcC");
    if (!avcc || avcc->payload.size () < 5)
      throw Malformed ("no avcC in " + in);
    track.nal_length_size = (avcc->payload[4] & 3) + 1;
    entry.type = "encv";
  } else if (entry.type == "mp4a") {
    entry.type = "enca";
  } else {
    throw Malformed ("unsupported sample entry " + entry.type + " in " + in);
  }
  const bool cbcs = o.scheme == "cbcs";

  Box sinf;
  sinf.type = "sinf";
  sinf.container = true;
  Bytes frma;
  put (frma, reinterpret_cast<const guint8 *> (track.video ? "avc1" : "mp4a"), 4);
  sinf.children.push_back (leaf ("frma", frma));
  Bytes schm;
  put (schm, reinterpret_cast<const guint8 *> (o.scheme.data ()), 4);
  put32 (schm, 0x00010000);
  sinf.children.push_back (full_leaf ("schm", 0, 0, schm));
  Bytes tenc;
  put8 (tenc, 0);
  /* Version 1 carries the pattern: 1:9 for cbcs video, none (every block) for audio. */
  put8 (tenc, cbcs && track.video ? 0x19 : 0);
  put8 (tenc, 1);
  put8 (tenc, cbcs ? 0 : static_cast<guint8> (o.iv_size));
  put (tenc, o.kid.data (), 16);
  if (cbcs) {
    put8 (tenc, 16);
    put (tenc, o.constant_iv.data (), 16);
  }
  Box schi;
  schi.type = "schi";
  schi.container = true;
  schi.children.push_back (full_leaf ("tenc", cbcs ? 1 : 0, 0, tenc));
  sinf.children.push_back (std::move (schi));
  entry.children.push_back (std::move (sinf));

  Box *moov = find_path (boxes, { "moov" });
  if (o.widevine)
    moov->children.push_back (widevine_pssh (o));
  moov->children.push_back (common_pssh (o));
  write_file (out, serialize (boxes));
  return track;
}

/* ---- Media segments -------------------------------------------------------- */

struct Range {
  size_t clear;
  size_t encrypted;
};

/* cenc: AES-128-CTR, one keystream across the encrypted ranges of a sample. */
void encrypt_cenc (guint8 *sample, const std::vector<Range> &ranges, const guint8 *key, const guint8 iv[16])
{
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  int len = 0;
  if (EVP_EncryptInit_ex (ctx, EVP_aes_128_ctr (), nullptr, key, iv) != 1)
    throw Malformed ("EVP_EncryptInit_ex failed");
  size_t at = 0;
  for (const auto &r : ranges) {
    at += r.clear;
    if (r.encrypted && EVP_EncryptUpdate (ctx, sample + at, &len, sample + at, static_cast<int> (r.encrypted)) != 1)
      throw Malformed ("EVP_EncryptUpdate failed");
    at += r.encrypted;
  }
  EVP_CIPHER_CTX_free (ctx);
}

/* cbcs: AES-128-CBC over the `crypt` blocks of every crypt+skip group, the
 * chain over the encrypted blocks only, restarting at every range; a
 * trailing partial block stays clear. crypt 0 (no pattern): every block. */
void encrypt_cbcs (guint8 *sample, const std::vector<Range> &ranges, const guint8 *key, const guint8 iv[16],
    guint crypt, guint skip)
{
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  int len = 0;
  size_t at = 0;
  for (const auto &r : ranges) {
    at += r.clear;
    if (EVP_EncryptInit_ex (ctx, EVP_aes_128_cbc (), nullptr, key, iv) != 1)
      throw Malformed ("EVP_EncryptInit_ex failed");
    EVP_CIPHER_CTX_set_padding (ctx, 0);
    size_t blocks = r.encrypted / 16;
    for (size_t b = 0; b < blocks;) {
      size_t run = crypt == 0 ? blocks : std::min<size_t> (crypt, blocks - b);
      guint8 *p = sample + at + b * 16;
      if (EVP_EncryptUpdate (ctx, p, &len, p, static_cast<int> (run * 16)) != 1)
        throw Malformed ("EVP_EncryptUpdate failed");
      b += run + (crypt == 0 ? 0 : skip);
    }
    at += r.encrypted;
  }
  EVP_CIPHER_CTX_free (ctx);
}

/* The subsamples of an AVC sample: each VCL NAL's length and header byte (and
 * the bytes that do not fill a 16-byte block) clear, the rest encrypted;
 * other NALs clear. */
std::vector<Range> avc_ranges (const guint8 *sample, size_t size, guint nal_length_size)
{
  std::vector<Range> ranges;
  size_t at = 0, clear = 0;
  while (at < size) {
    if (size - at < nal_length_size)
      throw Malformed ("truncated NAL length");
    size_t nal = 0;
    for (guint i = 0; i < nal_length_size; i++)
      nal = (nal << 8) | sample[at + i];
    if (nal == 0 || nal > size - at - nal_length_size)
      throw Malformed ("bad NAL length");
    guint type = sample[at + nal_length_size] & 0x1f;
    size_t rest = nal - 1;
    size_t encrypted = (type >= 1 && type <= 5) ? rest / 16 * 16 : 0;
    clear += nal_length_size + nal - encrypted;
    if (encrypted) {
      while (clear > 0xffff) {
        ranges.push_back ({ 0xffff, 0 });
        clear -= 0xffff;
      }
      ranges.push_back ({ clear, encrypted });
      clear = 0;
    }
    at += nal_length_size + nal;
  }
  while (clear > 0) {
    size_t c = std::min<size_t> (clear, 0xffff);
    ranges.push_back ({ c, 0 });
    clear -= c;
  }
  return ranges;
}

void encrypt_segment (const std::string &in, const std::string &out, const Track &track, const OtCencOptions &o,
    guint64 *iv_counter)
{
  Bytes data = read_file (in);
  std::vector<Box> boxes = parse_boxes (data.data (), data.size ());
  const bool cbcs = o.scheme == "cbcs";
  const size_t iv_size = cbcs ? 0 : o.iv_size;

  /* Where the moof and the mdat payload sit in the original file. */
  size_t offset = 0, moof_at = SIZE_MAX, mdat_payload_at = SIZE_MAX, moof_size = 0;
  Box *moof = nullptr, *mdat = nullptr, *sidx = nullptr;
  for (auto &b : boxes) {
    Bytes one;
    serialize (b, one);
    if (b.type == "moof") {
      moof = &b;
      moof_at = offset;
      moof_size = one.size ();
    } else if (b.type == "mdat") {
      mdat = &b;
      mdat_payload_at = offset + 8;
    } else if (b.type == "sidx") {
      sidx = &b;
    }
    offset += one.size ();
  }
  if (!moof || !mdat)
    throw Malformed ("no moof or mdat in " + in);
  Box *traf = moof->child ("traf");
  Box *tfhd = traf ? traf->child ("tfhd") : nullptr;
  Box *trun = traf ? traf->child ("trun") : nullptr;
  if (!tfhd || !trun || traf->child ("senc"))
    throw Malformed ("unexpected traf in " + in);

  /* tfhd: the default sample size; the data offset is relative to the moof. */
  guint32 tf_flags = rd32 (tfhd->payload, 0) & 0xffffff;
  if (!(tf_flags & 0x020000) || (tf_flags & 0x000001))
    throw Malformed ("tfhd is not default-base-is-moof in " + in);
  size_t at = 8;
  if (tf_flags & 0x02) at += 4;
  if (tf_flags & 0x08) at += 4;
  guint32 default_size = (tf_flags & 0x10) ? rd32 (tfhd->payload, at) : 0;

  /* trun: the sample sizes and the data offset. */
  Bytes &tr = trun->payload;
  guint32 tr_flags = rd32 (tr, 0) & 0xffffff;
  guint32 count = rd32 (tr, 4);
  if (!(tr_flags & 0x1))
    throw Malformed ("trun without data_offset in " + in);
  gint32 data_offset = static_cast<gint32> (rd32 (tr, 8));
  at = 12 + ((tr_flags & 0x4) ? 4 : 0);
  std::vector<size_t> sizes;
  for (guint32 i = 0; i < count; i++) {
    if (tr_flags & 0x100) at += 4;
    guint32 sz = default_size;
    if (tr_flags & 0x200) {
      sz = rd32 (tr, at);
      at += 4;
    }
    if (tr_flags & 0x400) at += 4;
    if (tr_flags & 0x800) at += 4;
    sizes.push_back (sz);
  }

  /* Encrypt the samples in place; collect the senc entries. */
  size_t sample_at = moof_at + data_offset;
  if (sample_at < mdat_payload_at)
    throw Malformed ("samples before the mdat in " + in);
  size_t in_mdat = sample_at - mdat_payload_at;
  Bytes senc_entries;
  std::vector<guint8> info_sizes;
  for (size_t sz : sizes) {
    if (in_mdat + sz > mdat->payload.size ())
      throw Malformed ("sample beyond the mdat in " + in);
    guint8 *sample = mdat->payload.data () + in_mdat;
    std::vector<Range> ranges = track.video ? avc_ranges (sample, sz, track.nal_length_size)
                                            : std::vector<Range> { { 0, sz } };
    size_t entry_start = senc_entries.size ();
    guint8 iv[16] = { 0 };
    if (cbcs) {
      memcpy (iv, o.constant_iv.data (), 16);
      encrypt_cbcs (sample, ranges, o.key.data (), iv, track.video ? 1 : 0, track.video ? 9 : 0);
    } else {
      guint64 n = (*iv_counter)++;
      for (int i = 0; i < 8; i++)
        iv[i] = static_cast<guint8> ((n >> (56 - 8 * i)) ^ (0xa5 + i));
      if (iv_size == 16)
        for (int i = 8; i < 12; i++)
          iv[i] = static_cast<guint8> (0x30 + i); /* the low 4 bytes count blocks from 0 */
      encrypt_cenc (sample, ranges, o.key.data (), iv);
      put (senc_entries, iv, iv_size);
    }
    if (track.video) {
      put16 (senc_entries, static_cast<guint16> (ranges.size ()));
      for (const auto &r : ranges) {
        put16 (senc_entries, static_cast<guint16> (r.clear));
        put32 (senc_entries, static_cast<guint32> (r.encrypted));
      }
    }
    size_t info = senc_entries.size () - entry_start;
    if (info > 0xff)
      throw Malformed ("too many subsamples in " + in);
    info_sizes.push_back (static_cast<guint8> (info));
    in_mdat += sz;
  }

  /* saiz, saio (patched below) and senc at the end of the traf. */
  Bytes saiz;
  bool same = std::all_of (info_sizes.begin (), info_sizes.end (), [&] (guint8 s) { return s == info_sizes[0]; });
  put8 (saiz, same && !info_sizes.empty () && info_sizes[0] ? info_sizes[0] : 0);
  put32 (saiz, count);
  if (!(same && !info_sizes.empty () && info_sizes[0]))
    put (saiz, info_sizes.data (), info_sizes.size ());
  traf->children.push_back (full_leaf ("saiz", 0, 0, saiz));
  Bytes saio;
  put32 (saio, 1);
  put32 (saio, 0);
  traf->children.push_back (full_leaf ("saio", 0, 0, saio));
  Bytes senc;
  put32 (senc, count);
  put (senc, senc_entries.data (), senc_entries.size ());
  traf->children.push_back (full_leaf ("senc", 0, track.video ? 0x2 : 0, senc));

  Bytes new_moof;
  serialize (*moof, new_moof);
  gint64 delta = static_cast<gint64> (new_moof.size ()) - static_cast<gint64> (moof_size);
  wr32 (tr, 8, static_cast<guint32> (data_offset + delta));
  /* The senc's first entry: the senc is the last box of the moof. */
  size_t senc_box_size = 8 + traf->children.back ().payload.size ();
  size_t entries_in_moof = new_moof.size () - senc_box_size + 16;
  Bytes &saio_payload = traf->children[traf->children.size () - 2].payload;
  wr32 (saio_payload, 8, static_cast<guint32> (entries_in_moof));
  if (traf != &moof->children.back ())
    throw Malformed ("the traf is not the moof's last box in " + in);

  if (sidx) {
    /* The first reference covers moof + mdat: it grows by the same delta. */
    Bytes &s = sidx->payload;
    size_t ref = (s.at (0) == 0 ? 4 + 8 + 8 : 4 + 8 + 16) + 4;
    guint32 word = rd32 (s, ref);
    wr32 (s, ref, (word & 0x80000000u) | ((word & 0x7fffffffu) + static_cast<guint32> (delta)));
  }
  write_file (out, serialize (boxes));
}

std::string hex_kid (const std::array<guint8, 16> &kid)
{
  std::string text;
  for (guint8 b : kid) {
    gchar digits[3];
    g_snprintf (digits, sizeof digits, "%02x", b);
    text += digits;
  }
  return text;
}

void write_mpd (const std::string &in, const std::string &out, const OtCencOptions &o)
{
  Bytes raw = read_file (in);
  std::string mpd (raw.begin (), raw.end ());
  size_t root = mpd.find ("<MPD");
  if (root == std::string::npos)
    throw Malformed ("no MPD element in " + in);
  mpd.insert (root + 4, " xmlns:cenc=\"urn:mpeg:cenc:2013\" xmlns:dashif=\"https://dashif.org/CPS\"");
  std::string protection =
      "\n<ContentProtection schemeIdUri=\"urn:mpeg:dash:mp4protection:2011\" value=\"" + o.scheme + "\""
      + (o.default_kid_in_mpd ? " cenc:default_KID=\"" + ot_cenc_kid_uuid (o.kid) + "\"" : std::string ()) + "/>";
  if (o.widevine)
    protection += "\n<ContentProtection schemeIdUri=\"urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed\" value=\"Widevine\">"
        + mpd_pssh (widevine_pssh (o)) + "</ContentProtection>";
  if (!o.default_kid_in_mpd)
    protection += "\n<ContentProtection schemeIdUri=\"urn:uuid:1077efec-c0b2-4d02-ace3-3c1e52e2fb4b\">"
        + mpd_pssh (common_pssh (o)) + "</ContentProtection>";
  protection +=
      "\n<ContentProtection schemeIdUri=\"urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e\" value=\"ClearKey1.0\">"
      + (o.license_url.empty () ? std::string () : "<dashif:Laurl Lic_type=\"EME-1.0\">" + o.license_url + "</dashif:Laurl>")
      + "</ContentProtection>";
  size_t at = 0, sets = 0;
  while ((at = mpd.find ("<AdaptationSet", at)) != std::string::npos) {
    size_t end = mpd.find ('>', at);
    if (end == std::string::npos)
      throw Malformed ("unterminated AdaptationSet in " + in);
    mpd.insert (end + 1, protection);
    at = end + 1 + protection.size ();
    sets++;
  }
  if (!sets)
    throw Malformed ("no AdaptationSet in " + in);
  write_file (out, Bytes (mpd.begin (), mpd.end ()));
}

}  // namespace

std::string ot_cenc_kid_uuid (const std::array<guint8, 16> &kid)
{
  std::string h = hex_kid (kid);
  return h.substr (0, 8) + "-" + h.substr (8, 4) + "-" + h.substr (12, 4) + "-" + h.substr (16, 4) + "-" + h.substr (20);
}

gboolean ot_cenc_package_dash (const gchar *clear_dir, const gchar *mpd_name, const gchar *out_dir,
    const OtCencOptions &options, GError **error)
{
  try {
    if (options.scheme != "cenc" && options.scheme != "cbcs")
      throw Malformed ("unknown scheme " + options.scheme);
    if (options.scheme == "cenc" && options.iv_size != 8 && options.iv_size != 16)
      throw Malformed ("cenc IVs are 8 or 16 bytes");
    GDir *dir = g_dir_open (clear_dir, 0, nullptr);
    if (!dir)
      throw Malformed (std::string ("cannot open ") + clear_dir);
    std::vector<std::string> names;
    while (const gchar *name = g_dir_read_name (dir))
      names.push_back (name);
    g_dir_close (dir);
    std::sort (names.begin (), names.end ());
    auto path = [] (const gchar *d, const std::string &n) {
      gchar *p = g_build_filename (d, n.c_str (), nullptr);
      std::string s (p);
      g_free (p);
      return s;
    };
    std::map<std::string, Track> tracks;  /* by stream number */
    for (const auto &name : names) {
      if (g_str_has_prefix (name.c_str (), "init-stream") && g_str_has_suffix (name.c_str (), ".m4s")) {
        std::string stream = name.substr (11, name.size () - 11 - 4);
        tracks[stream] = encrypt_init (path (clear_dir, name), path (out_dir, name), options);
      }
    }
    guint64 iv_counter = 1;
    for (const auto &name : names) {
      if (!g_str_has_prefix (name.c_str (), "chunk-stream"))
        continue;
      size_t dash = name.find ('-', 12);
      std::string stream = name.substr (12, dash == std::string::npos ? 0 : dash - 12);
      auto track = tracks.find (stream);
      if (track == tracks.end ())
        throw Malformed ("no init segment for " + name);
      encrypt_segment (path (clear_dir, name), path (out_dir, name), track->second, options, &iv_counter);
    }
    write_mpd (path (clear_dir, mpd_name), path (out_dir, "manifest.mpd"), options);
  } catch (const std::exception &e) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s", e.what ());
    return FALSE;
  }
  return TRUE;
}
