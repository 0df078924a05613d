/* Where offlinedrm gets content keys: a GstOfflineDrmStore, read by KID,
 * with the keys found kept for the rest of the stream.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "drm/drm-keys.h"
#include "util/handles.h"

#include <gst/offline/offline.h>

#include <map>
#include <string>
#include <variant>

namespace gst_offline {

/* Why a key may not be used. */
struct KeyRefusal {
  enum class Reason {
    NoKey,          /* the store has no key for the KID */
    StoreError,     /* the store could not be read, or its record is damaged */
    LicenseRefused, /* the license policy forbids playback (expired, window used up) */
  };
  Reason reason;
  std::string message;  /* for a person: names the KID and where it was looked for */
  std::string debug;    /* for a developer */
};

class KeySource {
 public:
  /* `store` may be NULL (no store exists): every lookup is then refused.
   * `where` names the store in messages ("the DRM store of /data/dir"). */
  KeySource (GstOfflineDrmStore *store, std::string where);
  ~KeySource ();
  KeySource (const KeySource &) = delete;
  KeySource &operator= (const KeySource &) = delete;

  std::variant<ContentKey, KeyRefusal> lookup (const KeyId &kid);

  const std::string &where () const { return where_; }

 private:
  void record_first_playback (const std::string &name, const ContentKeyRecord &record, gint64 now);

  GObjectPtr<GstOfflineDrmStore> store_;
  std::string where_;
  std::map<KeyId, ContentKey> keys_;
};

}  // namespace gst_offline
