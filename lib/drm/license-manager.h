/* Persistent ClearKey licenses: which KIDs a DASH download needs, the W3C EME
 * ClearKey exchange with a license server (a JSON request of base64url KIDs,
 * a JWK Set answer with an optional policy, both passed through the
 * application's hooks), and keeping the answer as the download's license
 * (license-store.h). Keys are never
 * logged, in hex or base64.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "drm/drm-keys.h"
#include "drm/license-store.h"
#include "manifest/dash/mpd-model.h"

#include <gst/offline/offline-drm-store.h>
#include <gst/offline/offline-license-manager.h>
#include <libsoup/soup.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gst_offline {

/* What of a download its license depends on: the download it belongs to,
 * its manifest's URI (for errors), the headers its requests carry and the
 * license server it names (else its manifest's). */
struct LicenseSource {
  std::string download_id;
  std::string uri;
  std::vector<std::string> headers;  /* 'K: V' */
  std::optional<std::string> license_url;
};

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

/* How an application takes part in the exchange with a license server that
 * does not speak plain ClearKey JSON: `wrap` turns the ClearKey request into
 * the body to POST, `unwrap` the server's answer into a ClearKey JWK Set.
 * Each returns a new GBytes, or null to leave the bytes as they are. */
struct LicenseHooks {
  std::function<GBytes *(const std::string &download_id, GBytes *request)> wrap;
  std::function<GBytes *(const std::string &download_id, GBytes *answer)> unwrap;
};

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
    const LicenseSource &record, GError **error);

/* The JSON body of a license request: {"kids": [...], "type": "persistent-license"}. */
std::string license_request_body (const std::vector<KeyId> &kids);
/* Reads a JWK Set answer; every requested KID must be in it. Errors name the
 * license URL and never hold key material. */
std::optional<LicenseAnswer> parse_license_answer (std::string_view body, const LicenseRequest &request, GError **error);

/* POSTs the request (http-request.h: the shared session) from the
 * thread-default main context and calls `done` there once, with the answer
 * or an error that carries the license URL and the HTTP status. */
void fetch_license_async (const LicenseRequest &request, const LicenseHooks &hooks, GCancellable *cancellable,
    std::function<void (std::optional<LicenseAnswer> answer, const GError *error)> done);
/* The same, blocking. */
std::optional<LicenseAnswer> fetch_license (const LicenseRequest &request, const LicenseHooks &hooks,
    GCancellable *cancellable, GError **error);

/* Keeps the answer as the license of the request's download (acquired now,
 * its playback window not started), replacing the one it had. */
bool store_license (GstOfflineDrmStore *store, const LicenseRequest &request, const LicenseAnswer &answer,
    GError **error);

/* Forgets a download's license. Releasing what is not there is not an
 * error. Other downloads' licenses, even for the same KIDs, stay as they are. */
bool release_license (GstOfflineDrmStore *store, const std::string &download_id, GError **error);

/* The DRM store of a license manager (transfer none): the application's,
 * else the data directory's drm.db, opened at first use, and created then
 * if `create`; null without error when it is not and there is none. */
GstOfflineDrmStore *license_manager_store (GstOfflineLicenseManager *licenses, bool create, GError **error);

/* The application's hooks of a license manager: its wrap-request and
 * unwrap-response signals. */
LicenseHooks license_manager_hooks (GstOfflineLicenseManager *licenses);

}  // namespace gst_offline
