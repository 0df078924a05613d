/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "drm/license-manager.h"

#include "drm/pssh.h"
#include "http/http-request.h"
#include "util/hash.h"
#include "util/json-limits.h"
#include "util/request-error.h"

#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <memory>
#include <set>

GST_DEBUG_CATEGORY_STATIC (license_debug);
#define GST_CAT_DEFAULT license_debug

namespace gst_offline {

namespace {

constexpr const char *kMp4ProtectionScheme = "urn:mpeg:dash:mp4protection:2011";
/* A license answer is a few hundred bytes; refuse anything absurd. */
constexpr gsize kMaxAnswerBytes = 1024 * 1024;

void ensure_debug ()
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (license_debug, "offlinelicense", 0, "gst-offline license manager");
    g_once_init_leave (&once, 1);
  }
}

std::string kid_list_text (const std::vector<KeyId> &kids)
{
  std::string text;
  for (const KeyId &kid : kids)
    text += (text.empty () ? "" : ", ") + key_id_to_hex (kid);
  return text;
}

gint64 policy_field (JsonObject *object, const char *name, const std::string &url, bool *ok, GError **error)
{
  if (!json_object_has_member (object, name))
    return -1;
  JsonNode *node = json_object_get_member (object, name);
  if (JSON_NODE_HOLDS_NULL (node))
    return -1;
  if (!JSON_NODE_HOLDS_VALUE (node) || (json_node_get_value_type (node) != G_TYPE_INT64
          && json_node_get_value_type (node) != G_TYPE_DOUBLE)) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_CORRUPT,
        "the license server %s answered with a %s that is not a number", url.c_str (), name);
    *ok = false;
    return -1;
  }
  double value = json_node_get_value_type (node) == G_TYPE_INT64 ? static_cast<double> (json_node_get_int (node))
                                                                  : json_node_get_double (node);
  if (value < 0)
    return -1;  /* negative: unlimited, as absent */
  return static_cast<gint64> (MIN (value, 1e12));
}

}  // namespace

LicenseAnswer::~LicenseAnswer ()
{
  for (auto &entry : keys)
    OPENSSL_cleanse (entry.second.data (), entry.second.size ());
}

std::string base64url_encode (const guint8 *data, gsize size)
{
  g_autofree gchar *text = g_base64_encode (data, size);
  std::string result (text);
  OPENSSL_cleanse (text, strlen (text));
  for (char &c : result) {
    if (c == '+')
      c = '-';
    else if (c == '/')
      c = '_';
  }
  while (!result.empty () && result.back () == '=')
    result.pop_back ();
  return result;
}

std::optional<std::string> base64url_decode (std::string_view text)
{
  std::string normal;
  normal.reserve (text.size () + 3);
  for (char c : text) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    if (!g_ascii_isalnum (c) && c != '+' && c != '/' && c != '=')
      return std::nullopt;
    normal += c;
  }
  while (!normal.empty () && normal.back () == '=')
    normal.pop_back ();
  if (normal.size () % 4 == 1)
    return std::nullopt;
  while (normal.size () % 4 != 0)
    normal += '=';
  gsize size = 0;
  guchar *bytes = g_base64_decode (normal.c_str (), &size);
  std::string result (reinterpret_cast<const char *> (bytes), size);
  OPENSSL_cleanse (bytes, size);
  g_free (bytes);
  OPENSSL_cleanse (normal.data (), normal.size ());
  return result;
}

std::optional<KeyId> key_id_from_uuid (std::string_view text)
{
  KeyId kid {};
  gsize n = 0;
  for (gsize i = 0; i < text.size (); i++) {
    char c = text[i];
    if (c == '-')
      continue;
    int value = g_ascii_xdigit_value (c);
    if (value < 0 || n >= 32)
      return std::nullopt;
    kid[n / 2] = static_cast<guint8> ((kid[n / 2] << 4) | value);
    n++;
  }
  if (n != 32)
    return std::nullopt;
  return kid;
}

bool is_clearkey_protection (const dash::ContentProtection &protection)
{
  std::string system = protection.system_id ();
  return std::any_of (std::begin (kClearKeySystemIds), std::end (kClearKeySystemIds),
      [&] (const char *id) { return system == id; });
}

std::optional<LicenseRequest> dash_license_request (const std::vector<const dash::Representation *> &representations,
    const LicenseSource &record, GError **error)
{
  ensure_debug ();
  LicenseRequest request;
  request.download_id = record.download_id;
  request.headers = record.headers;
  std::optional<std::string> laurl;
  bool clearkey = false;
  std::set<std::string> other_systems;
  auto add_kid = [&] (const KeyId &kid) {
    if (std::find (request.kids.begin (), request.kids.end (), kid) == request.kids.end ())
      request.kids.push_back (kid);
  };
  for (const dash::Representation *rep : representations) {
    for (const dash::ContentProtection &protection : rep->content_protections) {
      if (protection.default_kid) {
        auto kid = key_id_from_uuid (*protection.default_kid);
        if (!kid) {
          g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
              "Representation '%s' has a cenc:default_KID '%s' that is not a UUID", rep->id.c_str (),
              protection.default_kid->c_str ());
          return std::nullopt;
        }
        add_kid (*kid);
      }
      /* A version 1 pssh lists the KIDs too (whatever its system: a KID
       * names a content key, not a DRM system). */
      for (const std::string &box : protection.pssh) {
        std::string why;
        auto pssh = parse_pssh_box (box, &why);
        if (!pssh) {
          g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_CORRUPT,
              "Representation '%s' has a cenc:pssh that is not a valid pssh box: %s", rep->id.c_str (), why.c_str ());
          return std::nullopt;
        }
        std::for_each (pssh->kids.begin (), pssh->kids.end (), add_kid);
      }
      if (is_clearkey_protection (protection)) {
        clearkey = true;
        if (protection.license_url && !laurl)
          laurl = protection.license_url;
      } else if (!protection.system_id ().empty ()) {
        other_systems.insert (protection.system_id ());
      } else if (protection.scheme_id_uri != kMp4ProtectionScheme && protection.license_url && !laurl) {
        laurl = protection.license_url;
      }
    }
  }
  if (request.kids.empty ()) {
    if (clearkey) {
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
          "%s is protected with ClearKey but names no KID (no cenc:default_KID, no version 1 cenc:pssh), "
          "so there is no license to ask for",
          record.uri.c_str ());
      return std::nullopt;
    }
    return request;  /* clear content */
  }
  if (record.license_url)
    request.license_url = *record.license_url;
  else if (laurl)
    request.license_url = *laurl;
  if (request.license_url.empty ()) {
    std::string systems;
    for (const auto &s : other_systems)
      systems += (systems.empty () ? "" : ", ") + s;
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
        "%s is protected (KID %s) but names no ClearKey license server%s%s: give one with --license-url",
        record.uri.c_str (), kid_list_text (request.kids).c_str (), systems.empty () ? "" : "; other DRM systems: ",
        systems.c_str ());
    return std::nullopt;
  }
  GST_INFO ("download %s needs a license for %" G_GSIZE_FORMAT " KIDs (%s) from %s", record.download_id.c_str (),
      request.kids.size (), kid_list_text (request.kids).c_str (), request.license_url.c_str ());
  return request;
}

std::string license_request_body (const std::vector<KeyId> &kids)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "kids");
  json_builder_begin_array (builder);
  for (const KeyId &kid : kids)
    json_builder_add_string_value (builder, base64url_encode (kid.data (), kid.size ()).c_str ());
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "persistent-license");
  json_builder_end_object (builder);
  g_autoptr (JsonNode) root = json_builder_get_root (builder);
  g_autofree gchar *text = json_to_string (root, FALSE);
  return text;
}

std::optional<LicenseAnswer> parse_license_answer (std::string_view body, const LicenseRequest &request, GError **error)
{
  const std::string &url = request.license_url;
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) json_error = nullptr;
  if (body.size () > kMaxAnswerBytes
      || !json_parser_load_bounded (parser, body, &json_error)) {
    /* The parser's message may quote the text: keep it out of the error. */
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_CORRUPT,
        "the license server %s answered with something that is not JSON (%" G_GSIZE_FORMAT " bytes)", url.c_str (),
        body.size ());
    return std::nullopt;
  }
  JsonNode *root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_CORRUPT,
        "the license server %s answered with JSON that is not an object", url.c_str ());
    return std::nullopt;
  }
  JsonObject *object = json_node_get_object (root);
  JsonNode *keys_node = json_object_get_member (object, "keys");
  if (!keys_node || !JSON_NODE_HOLDS_ARRAY (keys_node)) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_CORRUPT,
        "the license server %s answered without a \"keys\" array (not a JWK Set)", url.c_str ());
    return std::nullopt;
  }
  LicenseAnswer answer;
  bool ok = true;
  answer.license_duration_s = policy_field (object, "license_duration_seconds", url, &ok, error);
  if (ok)
    answer.playback_duration_s = policy_field (object, "playback_duration_seconds", url, &ok, error);
  if (!ok)
    return std::nullopt;

  JsonArray *keys = json_node_get_array (keys_node);
  for (guint i = 0; i < json_array_get_length (keys); i++) {
    JsonNode *node = json_array_get_element (keys, i);
    if (!JSON_NODE_HOLDS_OBJECT (node))
      continue;
    JsonObject *jwk = json_node_get_object (node);
    const gchar *kty = json_object_get_string_member_with_default (jwk, "kty", "oct");
    const gchar *kid_text = json_object_get_string_member_with_default (jwk, "kid", nullptr);
    const gchar *k_text = json_object_get_string_member_with_default (jwk, "k", nullptr);
    if (g_strcmp0 (kty, "oct") != 0 || !kid_text || !k_text)
      continue;
    auto kid_bytes = base64url_decode (kid_text);
    auto key_bytes = base64url_decode (k_text);
    if (!kid_bytes || kid_bytes->size () != 16 || !key_bytes || key_bytes->size () != 16) {
      if (key_bytes)
        OPENSSL_cleanse (key_bytes->data (), key_bytes->size ());
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_CORRUPT,
          "the license server %s answered with key %u that is not a 16-byte kid and a 16-byte AES key in base64url",
          url.c_str (), i);
      return std::nullopt;
    }
    KeyId kid;
    ContentKey key;
    std::copy (kid_bytes->begin (), kid_bytes->end (), kid.begin ());
    std::copy (key_bytes->begin (), key_bytes->end (), key.begin ());
    OPENSSL_cleanse (key_bytes->data (), key_bytes->size ());
    answer.keys.emplace_back (kid, key);
    OPENSSL_cleanse (key.data (), key.size ());
  }
  /* ClearKey has no integrity check: a key the content does not name is the
   * only sign of a license for other content. Every KID of the content must
   * have its key; keys for other KIDs besides them are allowed (a server may
   * answer with all the keys of a title) and are not stored. */
  std::vector<KeyId> missing, others;
  for (const KeyId &wanted : request.kids) {
    if (std::none_of (answer.keys.begin (), answer.keys.end (), [&] (const auto &entry) { return entry.first == wanted; }))
      missing.push_back (wanted);
  }
  for (const auto &entry : answer.keys) {
    if (std::find (request.kids.begin (), request.kids.end (), entry.first) == request.kids.end ())
      others.push_back (entry.first);
  }
  if (!missing.empty ()) {
    std::string given = others.empty () ? std::string ("it has no other key")
                                        : "its keys are for KID " + kid_list_text (others);
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND,
        "the license server %s answered without a key for KID %s of the content (%s): a license for other content?",
        url.c_str (), kid_list_text (missing).c_str (), given.c_str ());
    return std::nullopt;
  }
  if (!others.empty ())
    GST_INFO ("the license from %s also has keys for KIDs %s, which the content does not use: not kept", url.c_str (),
        kid_list_text (others).c_str ());
  return answer;
}

namespace {

/* The largest license answer read: a JWK Set of many keys is a few KiB. */
constexpr gsize kMaxLicenseAnswerBytes = 4 * 1024 * 1024;

/* Owns a GBytes. */
struct GBytesHolder {
  GBytes *bytes = nullptr;
  GBytesHolder () = default;
  GBytesHolder (const GBytesHolder &) = delete;
  GBytesHolder &operator= (const GBytesHolder &) = delete;
  ~GBytesHolder () { reset (nullptr); }
  void reset (GBytes *b)
  {
    if (bytes)
      g_bytes_unref (bytes);
    bytes = b;
  }
  GBytes *get () const { return bytes; }
};

void cleanse_bytes (GBytes *bytes)
{
  if (!bytes)
    return;
  gsize size = 0;
  gpointer data = const_cast<gpointer> (g_bytes_get_data (bytes, &size));
  if (data)
    OPENSSL_cleanse (data, size);
}

/* The POST of a license request: the ClearKey JSON, or what the
 * application's wrap hook made of it. */
std::optional<HttpRequest> license_http_request (const LicenseRequest &request, const LicenseHooks &hooks,
    GBytesHolder *body, GError **error)
{
  g_autoptr (GUri) uri = g_uri_parse (request.license_url.c_str (), G_URI_FLAGS_NONE, nullptr);
  const char *scheme = uri ? g_uri_get_scheme (uri) : nullptr;
  if (!scheme || (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)) {
    g_propagate_error (error, request_error_new (GST_OFFLINE_ERROR_INVALID_ARGUMENT, request.license_url, 0,
        "the license URL '%s' is not an http(s) URL", request.license_url.c_str ()));
    return std::nullopt;
  }
  HttpRequest http;
  http.method = "POST";
  http.url = request.license_url;
  http.headers = request.headers;
  http.secret = true;
  http.max_size = kMaxLicenseAnswerBytes;
  http.what = "license request";
  std::string json = license_request_body (request.kids);
  g_autoptr (GBytes) bytes = g_bytes_new (json.data (), json.size ());
  g_autoptr (GBytes) wrapped = hooks.wrap ? hooks.wrap (request.download_id, bytes) : nullptr;
  if (wrapped) {
    GST_DEBUG ("the application wrapped the license request of %s", request.download_id.c_str ());
    body->reset (g_bytes_ref (wrapped));
    http.body_type = "application/octet-stream";
  } else {
    http.headers.push_back ("Accept: application/json");
    body->reset (g_bytes_ref (bytes));
    http.body_type = "application/json";
  }
  http.body = body->get ();
  GST_DEBUG ("POST %s: license request for %" G_GSIZE_FORMAT " KIDs", request.license_url.c_str (),
      request.kids.size ());
  return http;
}

std::optional<LicenseAnswer> read_answer (HttpResponse *response, const LicenseRequest &request,
    const LicenseHooks &hooks, const GError *request_error, GError **error)
{
  if (!response) {
    g_propagate_error (error, g_error_copy (request_error));
    return std::nullopt;
  }
  g_autoptr (GBytes) body = g_bytes_new_static (response->body.data (), response->body.size ());
  g_autoptr (GBytes) unwrapped = hooks.unwrap ? hooks.unwrap (request.download_id, body) : nullptr;
  if (unwrapped)
    GST_DEBUG ("the application unwrapped the license answer of %s", request.download_id.c_str ());
  GBytes *json = unwrapped ? unwrapped : body;
  gsize size = 0;
  auto data = static_cast<const char *> (g_bytes_get_data (json, &size));
  auto answer = parse_license_answer (std::string_view (data ? data : "", size), request, error);
  cleanse_bytes (unwrapped);
  if (answer)
    GST_INFO ("license from %s: %" G_GSIZE_FORMAT " keys, license duration %" G_GINT64_FORMAT
        " s, playback duration %" G_GINT64_FORMAT " s", request.license_url.c_str (), answer->keys.size (),
        answer->license_duration_s, answer->playback_duration_s);
  return answer;
}

}  // namespace

void fetch_license_async (const LicenseRequest &request, const LicenseHooks &hooks, GCancellable *cancellable,
    std::function<void (std::optional<LicenseAnswer> answer, const GError *error)> done)
{
  ensure_debug ();
  g_autoptr (GError) error = nullptr;
  auto body = std::make_shared<GBytesHolder> ();
  auto http = license_http_request (request, hooks, body.get (), &error);
  if (!http) {
    done (std::nullopt, error);
    return;
  }
  http_request_async (std::move (*http), cancellable,
      [request, hooks, body, done = std::move (done)] (HttpResponse *response, const GError *request_error) {
        g_autoptr (GError) answer_error = nullptr;
        auto answer = read_answer (response, request, hooks, request_error, &answer_error);
        done (std::move (answer), answer_error);
      });
}

std::optional<LicenseAnswer> fetch_license (const LicenseRequest &request, const LicenseHooks &hooks,
    GCancellable *cancellable, GError **error)
{
  ensure_debug ();
  GBytesHolder body;
  auto http = license_http_request (request, hooks, &body, error);
  if (!http)
    return std::nullopt;
  g_autoptr (GError) request_error = nullptr;
  auto response = http_request (std::move (*http), cancellable, &request_error);
  return read_answer (response ? &*response : nullptr, request, hooks, request_error, error);
}

bool store_license (GstOfflineDrmStore *store, const LicenseRequest &request, const LicenseAnswer &answer,
    GError **error)
{
  ensure_debug ();
  LicenseRecord record;
  record.download_id = request.download_id;
  record.license_url = request.license_url;
  record.headers = request.headers;
  record.policy.acquired_at_ms = license_now_ms ();
  record.policy.license_duration_s = answer.license_duration_s;
  record.policy.playback_duration_s = answer.playback_duration_s;
  record.policy.first_played_at_ms = -1;
  for (const KeyId &kid : request.kids) {
    auto found = std::find_if (answer.keys.begin (), answer.keys.end (),
        [&] (const auto &entry) { return entry.first == kid; });
    if (found != answer.keys.end ())  /* parse_license_answer() checked; defensive */
      record.put (kid_key_name (kid), found->second);
  }
  if (!save_license (store, record, error))
    return false;
  GST_INFO ("stored the license of download %s: %" G_GSIZE_FORMAT " keys", request.download_id.c_str (),
      record.keys.size ());
  return true;
}

bool release_license (GstOfflineDrmStore *store, const std::string &download_id, GError **error)
{
  ensure_debug ();
  if (store && !remove_license (store, download_id, error))
    return false;
  GST_INFO ("released the license of download %s", download_id.c_str ());
  return true;
}

}  // namespace gst_offline
