/* A small test packager: encrypts ffmpeg's clear fragmented-MP4 DASH output
 * (init-streamN.m4s + chunk-streamN-*.m4s, H.264 video and AAC audio) into
 * Common Encryption content GStreamer's qtdemux hands to a decryptor:
 *  - init segments: avc1/mp4a become encv/enca with sinf (frma, schm, schi/tenc)
 *    and the moov gets a pssh v1 box (W3C common system id) with the KID;
 *  - media segments: senc, saiz and saio in moof/traf, trun's data_offset and
 *    sidx's referenced_size fixed for the larger moof, the samples encrypted
 *    in mdat: 'cenc' (AES-128-CTR, per-sample IVs) or 'cbcs' (AES-128-CBC,
 *    constant IV, 1:9 pattern for video); video samples carry subsamples that
 *    leave each NAL's length and header clear;
 *  - the MPD gets mp4protection (cenc:default_KID) and ClearKey (Laurl)
 *    ContentProtection elements in each AdaptationSet;
 *  - optionally a Widevine pssh and ContentProtection (multi-DRM content), and
 *    the KID in a cenc:pssh instead of cenc:default_KID.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include <array>
#include <string>

struct OtCencOptions {
  std::string scheme = "cenc";         /* "cenc" or "cbcs" */
  std::array<guint8, 16> kid {};
  std::array<guint8, 16> key {};
  guint iv_size = 8;                   /* cenc: 8 or 16; cbcs uses a constant 16-byte IV */
  std::array<guint8, 16> constant_iv { 0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78,
                                       0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0 };
  std::string license_url;             /* the ClearKey Laurl; empty leaves it out */
  /* Multi-DRM: a Widevine pssh and ContentProtection too, listed first. */
  bool widevine = false;
  /* false: no cenc:default_KID; the MPD names the KID only in the cenc:pssh
   * (version 1) of a W3C common ContentProtection. */
  bool default_kid_in_mpd = true;
};

/* Encrypts every init-stream*.m4s and chunk-stream*.m4s of `clear_dir` into
 * `out_dir` (same names) and writes `out_dir`/manifest.mpd from
 * `clear_dir`/`mpd_name`. Returns FALSE with `error` set on malformed input. */
gboolean ot_cenc_package_dash (const gchar *clear_dir, const gchar *mpd_name, const gchar *out_dir,
    const OtCencOptions &options, GError **error);

/* The KID as a UUID string (8-4-4-4-12, lower case). */
std::string ot_cenc_kid_uuid (const std::array<guint8, 16> &kid);
