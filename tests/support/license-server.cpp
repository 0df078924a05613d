/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "license-server.h"

#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>

namespace ot {

std::string b64url (const Block &bytes)
{
  g_autofree gchar *text = g_base64_encode (bytes.data (), bytes.size ());
  std::string s (text);
  for (char &c : s)
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!s.empty () && s.back () == '=')
    s.pop_back ();
  return s;
}

std::string hex (const Block &bytes)
{
  std::string text;
  for (guint8 b : bytes) {
    gchar digits[3];
    g_snprintf (digits, sizeof digits, "%02x", b);
    text += digits;
  }
  return text;
}

LicenseServer::LicenseServer (const Block &kid, const Block &key) : keys_ { { kid, key } }
{
  g_mutex_init (&lock_);
  g_cond_init (&ready_);
  context_ = g_main_context_new ();
  loop_ = g_main_loop_new (context_, FALSE);
  g_mutex_lock (&lock_);
  thread_ = g_thread_new ("license-server", run, this);
  while (url_.empty ())
    g_cond_wait (&ready_, &lock_);
  g_mutex_unlock (&lock_);
}

LicenseServer::~LicenseServer ()
{
  g_main_loop_quit (loop_);
  g_main_context_wakeup (context_);
  g_thread_join (thread_);
  g_main_loop_unref (loop_);
  g_main_context_unref (context_);
  g_mutex_clear (&lock_);
  g_cond_clear (&ready_);
}

void LicenseServer::handle (SoupServer *, SoupServerMessage *msg, const char *, GHashTable *, gpointer data)
{
  auto self = static_cast<LicenseServer *> (data);
  if (g_strcmp0 (soup_server_message_get_method (msg), "POST") != 0) {
    soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, nullptr);
    return;
  }
  g_autoptr (GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  gsize size = 0;
  auto text = static_cast<const char *> (g_bytes_get_data (body, &size));
  g_mutex_lock (&self->lock_);
  self->posts_++;
  self->last_body_.assign (text ? text : "", size);
  self->last_headers_.clear ();
  SoupMessageHeadersIter iter;
  soup_message_headers_iter_init (&iter, soup_server_message_get_request_headers (msg));
  const char *name, *value;
  while (soup_message_headers_iter_next (&iter, &name, &value))
    self->last_headers_.emplace_back (name, value);
  LicenseAnswer answer = self->answer_;
  gint64 license_duration = self->license_duration_;
  gint64 playback_duration = self->playback_duration_;
  auto keys = self->keys_;
  g_mutex_unlock (&self->lock_);

  if (answer == LicenseAnswer::Status500) {
    soup_server_message_set_status (msg, 500, nullptr);
    return;
  }
  bool enveloped = answer == LicenseAnswer::Enveloped;
  if (enveloped && std::string (text ? text : "", size).rfind (kEnvelope, 0) != 0) {
    soup_server_message_set_status (msg, 400, nullptr);
    return;
  }
  std::string reply;
  if (answer == LicenseAnswer::Malformed) {
    reply = "{\"keys\": [ {\"kty\": \"oct\", ";
  } else {
    reply = std::string (enveloped ? kEnvelope : "") + "{\"keys\": [";
    for (gsize i = 0; answer != LicenseAnswer::MissingKid && i < keys.size (); i++) {
      Block kid = keys[i].first;
      if (answer == LicenseAnswer::OtherKid)
        kid[0] ^= 0xff;
      reply += std::string (i ? ", " : "") + "{\"kty\": \"oct\", \"kid\": \"" + b64url (kid) + "\", \"k\": \""
          + b64url (keys[i].second) + "\"}";
    }
    reply += "], \"type\": \"persistent-license\"";
    if (license_duration >= 0)
      reply += ", \"license_duration_seconds\": " + std::to_string (license_duration);
    if (playback_duration >= 0)
      reply += ", \"playback_duration_seconds\": " + std::to_string (playback_duration);
    reply += "}";
  }
  soup_server_message_set_status (msg, 200, nullptr);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, reply.data (), reply.size ());
}

gpointer LicenseServer::run (gpointer data)
{
  auto self = static_cast<LicenseServer *> (data);
  g_main_context_push_thread_default (self->context_);
  SoupServer *server = soup_server_new (nullptr, nullptr);
  soup_server_add_handler (server, "/license", handle, self, nullptr);
  g_autoptr (GError) error = nullptr;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  fail_unless (soup_server_listen (server, address, static_cast<SoupServerListenOptions> (0), &error), "%s",
      error ? error->message : "");
  GSList *uris = soup_server_get_uris (server);
  g_autofree gchar *base = g_uri_to_string (static_cast<GUri *> (uris->data));
  g_slist_free_full (uris, reinterpret_cast<GDestroyNotify> (g_uri_unref));
  g_mutex_lock (&self->lock_);
  self->url_ = base;
  if (!self->url_.empty () && self->url_.back () == '/')
    self->url_.pop_back ();
  self->url_ += "/license";
  g_cond_signal (&self->ready_);
  g_mutex_unlock (&self->lock_);
  g_main_loop_run (self->loop_);
  soup_server_disconnect (server);
  g_object_unref (server);
  g_main_context_pop_thread_default (self->context_);
  return nullptr;
}

void LicenseServer::set_answer (LicenseAnswer answer, gint64 license_duration, gint64 playback_duration)
{
  g_mutex_lock (&lock_);
  answer_ = answer;
  license_duration_ = license_duration;
  playback_duration_ = playback_duration;
  g_mutex_unlock (&lock_);
}

void LicenseServer::add_key (const Block &kid, const Block &key)
{
  g_mutex_lock (&lock_);
  keys_.emplace_back (kid, key);
  g_mutex_unlock (&lock_);
}

guint LicenseServer::posts ()
{
  g_mutex_lock (&lock_);
  guint n = posts_;
  g_mutex_unlock (&lock_);
  return n;
}

std::string LicenseServer::last_header (const char *name)
{
  g_mutex_lock (&lock_);
  std::string value;
  for (const auto &header : last_headers_) {
    if (g_ascii_strcasecmp (header.first.c_str (), name) == 0)
      value = header.second;
  }
  g_mutex_unlock (&lock_);
  return value;
}

std::string LicenseServer::last_body ()
{
  g_mutex_lock (&lock_);
  std::string body = last_body_;
  g_mutex_unlock (&lock_);
  return body;
}

}  // namespace ot
