/* Where offlinedrm gets content keys: the license of the download being
 * played, in a GstOfflineDrmStore, through the library's public
 * gst_offline_drm_store_lookup_key() (which judges the license's policy),
 * with the keys found kept for the rest of the stream.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "offlinedrm/key-types.h"
#include "util/handles.h"

#include <gst/offline/offline.h>

#include <map>
#include <string>
#include <variant>

namespace gst_offline {

/* Why a key may not be used. */
struct KeyRefusal {
  enum class Reason {
    NoKey,          /* no license, or no key for the KID in it */
    StoreError,     /* the store could not be read, or its license is damaged */
    LicenseRefused, /* the license policy forbids playback (expired, window used up) */
  };
  Reason reason;
  std::string message;  /* for a person: names the download, the KID and the store */
  std::string debug;    /* for a developer */
};

/* 32 lower-case hex digits, as a KID is named in messages and to the store. */
std::string kid_hex (const KeyId &kid);

class KeySource {
 public:
  /* `store` may be NULL (no store exists): every lookup is then refused.
   * `where` names the store in messages ("the DRM store of /data/dir"). */
  KeySource (GstOfflineDrmStore *store, std::string download_id, std::string where);
  ~KeySource ();
  KeySource (const KeySource &) = delete;
  KeySource &operator= (const KeySource &) = delete;

  std::variant<ContentKey, KeyRefusal> lookup (const KeyId &kid);

  const std::string &download_id () const { return download_id_; }
  const std::string &where () const { return where_; }

 private:
  GObjectPtr<GstOfflineDrmStore> store_;
  std::string download_id_;
  std::string where_;
  std::map<KeyId, ContentKey> keys_;
};

}  // namespace gst_offline
