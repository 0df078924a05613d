/* Persistent ClearKey licenses: which KIDs a DASH download needs, the W3C EME
 * ClearKey exchange with a license server (a JSON request of base64url KIDs,
 * a JWK Set answer with an optional policy), and how a license is kept: each
 * key by KID in the DRM store with its policy (drm-keys.h), and one key-set
 * record per download that lists its KIDs and license server, named by the
 * download's key_set_id. Keys are never logged, in hex or base64.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "drm/drm-keys.h"
#include "index/download-record.h"
#include "manifest/dash/mpd-model.h"

#include <gst/offline/offline-drm-store.h>
#include <libsoup/soup.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gst_offline {

class Database;

/* What one download needs a license for, and where it gets it. */
struct LicenseRequest {
  std::string download_id;
  std::string license_url;
  std::vector<KeyId> kids;
  std::vector<std::string> headers;  /* the download's, 'K: V' */
};

/* The keys and policy a license server answered with. Wipes the keys. */
struct LicenseAnswer {
  std::vector<std::pair<KeyId, ContentKey>> keys;
  gint64 license_duration_s = -1;
  gint64 playback_duration_s = -1;

  LicenseAnswer () = default;
  LicenseAnswer (const LicenseAnswer &) = delete;
  LicenseAnswer &operator= (const LicenseAnswer &) = delete;
  LicenseAnswer (LicenseAnswer &&) = default;
  LicenseAnswer &operator= (LicenseAnswer &&) = default;
  ~LicenseAnswer ();
};

/* The key-set record of a download: what its license covers. No keys. */
struct KeySet {
  std::string download_id;
  std::string license_url;
  std::vector<KeyId> kids;
};

/* The DRM store name of a download's key set ("key-set:<sha256 of the id>"),
 * which is also what its key_set_id holds. */
std::string key_set_store_name (const std::string &download_id);

/* base64url without padding, as ClearKey writes KIDs and keys. */
std::string base64url_encode (const guint8 *data, gsize size);
/* Decodes base64url (or base64), with or without padding; nullopt if malformed. */
std::optional<std::string> base64url_decode (std::string_view text);
/* A KID from a cenc:default_KID UUID (dashes optional) or 32 hex digits. */
std::optional<KeyId> key_id_from_uuid (std::string_view text);

/* Whether a ContentProtection is one of the two ClearKey systems. */
bool is_clearkey_protection (const dash::ContentProtection &protection);

/* The license a download of these Representations needs: their
 * cenc:default_KIDs and the KIDs of their version 1 cenc:pssh boxes, and
 * the license server (`record.license_url`, else the first ClearKey Laurl).
 * An empty `kids` when nothing is protected. An error: UNSUPPORTED for
 * protected content that has no license server, CORRUPT for a malformed pssh. */
std::optional<LicenseRequest> dash_license_request (const std::vector<const dash::Representation *> &representations,
    const DownloadRecord &record, GError **error);

/* The JSON body of a license request: {"kids": [...], "type": "persistent-license"}. */
std::string license_request_body (const std::vector<KeyId> &kids);
/* Reads a JWK Set answer; every requested KID must be in it. Errors name the
 * license URL and never hold key material. */
std::optional<LicenseAnswer> parse_license_answer (std::string_view body, const LicenseRequest &request, GError **error);

/* POSTs the request with `session` on the thread-default main context and
 * calls `done` there once, with the answer or an error. */
void fetch_license_async (SoupSession *session, const LicenseRequest &request, GCancellable *cancellable,
    std::function<void (std::optional<LicenseAnswer> answer, const GError *error)> done);
/* The same, blocking. */
std::optional<LicenseAnswer> fetch_license (SoupSession *session, const LicenseRequest &request,
    GCancellable *cancellable, GError **error);

/* Keeps a license: each key with its policy (acquired now), the key set, and
 * the download's key_set_id in the index (`index_db` may be null). Replaces
 * what an earlier license of the download stored. */
bool store_license (GstOfflineDrmStore *store, Database *index_db, const LicenseRequest &request,
    const LicenseAnswer &answer, GError **error);

/* The key set named `name`; NOT_FOUND if the store has none. */
std::optional<KeySet> load_key_set (GstOfflineDrmStore *store, const std::string &name, GError **error);

/* What a download's license allows now: the most restrictive of its keys.
 * NOT_FOUND when it has no license (no key set, or a key released). */
std::optional<LicenseStatus> license_status_of (GstOfflineDrmStore *store, const std::string &key_set_name,
    GError **error);

/* Forgets a download's license: its keys (except those another download's
 * key set still lists), its key set, and its key_set_id (`index_db` may be
 * null). Releasing what is not there is not an error. */
bool release_license (GstOfflineDrmStore *store, Database *index_db, const std::string &download_id,
    const std::string &key_set_name, GError **error);

/* The default store of a data directory if drm.db exists there (a reader
 * creates nothing); null without error if it does not. */
GstOfflineDrmStore *open_existing_drm_store (const std::string &data_dir, GError **error);

}  // namespace gst_offline
