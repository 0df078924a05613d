/* A ClearKey license server on 127.0.0.1 for the tests: it answers a W3C
 * ClearKey license request (POST) with one key in a JWK Set, with the
 * policy fields gst-offline reads, or with the faults a test asks for. It
 * runs in its own thread, so the test thread and child processes can use it.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include <array>
#include <string>
#include <utility>
#include <vector>

struct _SoupServer;
struct _SoupServerMessage;

namespace ot {

using Block = std::array<guint8, 16>;

/* Base64url without padding, as JWK and the license request write KIDs and keys. */
std::string b64url (const Block &bytes);
/* Lower-case hex, as gst-offline's messages name KIDs. */
std::string hex (const Block &bytes);

/* Keys: the keys served; MissingKid: none; OtherKid: each key under another
 * KID (its first byte inverted), as a server for other content would;
 * Enveloped: the keys, for a request that is kEnvelope followed by the
 * ClearKey request (400 otherwise), answered as kEnvelope followed by the
 * JWK Set: a server that does not speak plain ClearKey JSON. */
enum class LicenseAnswer { Keys, Status500, Malformed, MissingKid, OtherKid, Enveloped };
inline constexpr const char *kEnvelope = "ENVELOPE:";

class LicenseServer {
 public:
  /* Serves the key `key` of `kid` at url(). */
  LicenseServer (const Block &kid, const Block &key);
  /* Serves the key of one more KID. */
  void add_key (const Block &kid, const Block &key);
  ~LicenseServer ();
  LicenseServer (const LicenseServer &) = delete;
  LicenseServer &operator= (const LicenseServer &) = delete;

  const std::string &url () const { return url_; }
  /* How the next requests are answered; durations in seconds, -1: not sent. */
  void set_answer (LicenseAnswer answer, gint64 license_duration = -1, gint64 playback_duration = -1);
  guint posts ();
  std::string last_body ();
  /* A header of the last request ("" if it had none). */
  std::string last_header (const char *name);

 private:
  static gpointer run (gpointer data);
  static void handle (_SoupServer *server, _SoupServerMessage *msg, const char *path, GHashTable *query, gpointer data);

  /* Under `lock_`. */
  std::vector<std::pair<Block, Block>> keys_;
  GThread *thread_ = nullptr;
  GMainContext *context_ = nullptr;
  GMainLoop *loop_ = nullptr;
  std::string url_;
  GMutex lock_;
  GCond ready_;
  /* Under `lock_`. */
  LicenseAnswer answer_ = LicenseAnswer::Keys;
  gint64 license_duration_ = -1;
  gint64 playback_duration_ = -1;
  guint posts_ = 0;
  std::string last_body_;
  std::vector<std::pair<std::string, std::string>> last_headers_;
};

}  // namespace ot
