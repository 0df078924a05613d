/* What tests of whole downloads share: a DASH asset of random segments
 * served by OtServer, and the CLI run to its end or read line by line as it
 * runs (so that a test waits on what it prints, never on a clock).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "test-support.h"

#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>

#include <csignal>
#include <string>
#include <vector>
#include <sys/wait.h>
#include <unistd.h>

namespace ot {

constexpr guint kAssetSegments = 40;
constexpr gsize kAssetSegmentSize = 16 * 1024;

/* A DASH asset of kAssetSegments segments of random bytes whose MPD announces
 * four times their real bitrate (a poor estimate, as manifests give), each
 * segment served at `rate` bytes per second so that progress comes in steps. */
struct SegmentedAsset {
  OtServer *server = nullptr;
  gchar *dir = nullptr;
  gchar *data_dir = nullptr;
  std::string mpd;
  guint64 bytes = 0;

  SegmentedAsset (const char *name, guint64 rate)
  {
    dir = ot_make_temp_dir (name);
    data_dir = g_build_filename (dir, "data", nullptr);
    server = ot_server_new ();
    GRand *rand = g_rand_new_with_seed (11);
    auto serve = [&] (const std::string &file, const std::string &contents) {
      std::string local = std::string (dir) + "/" + file;
      fail_unless (g_file_set_contents (local.c_str (), contents.data (), (gssize) contents.size (), nullptr));
      g_autofree gchar *url = ot_server_add_file (server, ("/" + file).c_str (), local.c_str ());
      if (rate && file != "manifest.mpd")
        ot_server_set_rate (server, ("/" + file).c_str (), rate);
      return std::string (url);
    };
    auto random_bytes = [&] (gsize size) {
      std::string b (size, '\0');
      for (auto &c : b)
        c = (char) g_rand_int (rand);
      return b;
    };
    serve ("init.mp4", random_bytes (1024));
    bytes = 1024;
    for (guint i = 1; i <= kAssetSegments; i++) {
      g_autofree gchar *file = g_strdup_printf ("seg-%03u.m4s", i);
      serve (file, random_bytes (kAssetSegmentSize));
      bytes += kAssetSegmentSize;
    }
    g_rand_free (rand);
    g_autofree gchar *text = g_strdup_printf (
        "<?xml version=\"1.0\"?>\n"
        "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\" mediaPresentationDuration=\"PT%uS\" "
        "minBufferTime=\"PT1S\" profiles=\"urn:mpeg:dash:profile:isoff-live:2011\">\n"
        " <Period id=\"0\" start=\"PT0S\">\n"
        "  <AdaptationSet contentType=\"video\" mimeType=\"video/mp4\">\n"
        "   <SegmentTemplate timescale=\"1\" duration=\"1\" startNumber=\"1\" initialization=\"init.mp4\" "
        "media=\"seg-$Number%%03d$.m4s\"/>\n"
        "   <Representation id=\"v\" codecs=\"avc1.64000d\" bandwidth=\"%" G_GSIZE_FORMAT "\" width=\"320\" height=\"180\"/>\n"
        "  </AdaptationSet>\n"
        " </Period>\n"
        "</MPD>\n",
        kAssetSegments, kAssetSegmentSize * 8 * 4);
    mpd = serve ("manifest.mpd", text);
  }
  ~SegmentedAsset ()
  {
    ot_server_free (server);
    g_free (data_dir);
    g_free (dir);
  }
};

/* The CLI's output of `args` (in `data_dir`), which must exit 0. */
inline std::string cli (const char *data_dir, std::vector<const gchar *> args)
{
  args.push_back (nullptr);
  gchar *out = nullptr, *err = nullptr;
  gint status = ot_run_cliv (data_dir, args.data (), &out, &err);
  fail_unless_equals_int (status, 0);
  std::string text = out ? out : "";
  g_free (out);
  g_free (err);
  return text;
}

inline JsonObject *parse_object (const std::string &text, JsonParser *parser)
{
  fail_unless (json_parser_load_from_data (parser, text.c_str (), -1, nullptr), "not JSON: %s", text.c_str ());
  JsonNode *root = json_parser_get_root (parser);
  if (JSON_NODE_HOLDS_ARRAY (root))
    return json_array_get_object_element (json_node_get_array (root), 0);
  return json_node_get_object (root);
}

/* A process of the CLI whose stdout we read line by line as it comes. */
struct CliProcess {
  GPid pid = 0;
  GIOChannel *out = nullptr;

  CliProcess (const char *data_dir, std::vector<const gchar *> args)
  {
    const char *program = g_getenv ("GST_OFFLINE_CLI");
    fail_unless (program != nullptr, "GST_OFFLINE_CLI is not set");
    std::vector<const gchar *> argv = { program, "--dir", data_dir };
    argv.insert (argv.end (), args.begin (), args.end ());
    argv.push_back (nullptr);
    gint out_fd = -1;
    g_autoptr (GError) error = nullptr;
    fail_unless (g_spawn_async_with_pipes (nullptr, (gchar **) argv.data (), nullptr, G_SPAWN_DO_NOT_REAP_CHILD,
        nullptr, nullptr, &pid, nullptr, &out_fd, nullptr, &error), "%s", error ? error->message : "");
    out = g_io_channel_unix_new (out_fd);
    g_io_channel_set_close_on_unref (out, TRUE);
  }
  ~CliProcess ()
  {
    if (pid)
      kill (pid, SIGKILL), wait ();
    g_io_channel_unref (out);
  }
  /* Reads lines (blocking) until one contains `wanted`; fails on EOF or
   * on a line containing `forbidden`. Returns the line. */
  std::string read_until (const char *wanted, const char *forbidden = nullptr)
  {
    for (;;) {
      gchar *line = nullptr;
      GIOStatus status = g_io_channel_read_line (out, &line, nullptr, nullptr, nullptr);
      fail_unless (status == G_IO_STATUS_NORMAL, "the CLI ended before printing '%s'", wanted);
      std::string text = line;
      g_free (line);
      if (forbidden)
        fail_if (text.find (forbidden) != std::string::npos, "the CLI printed '%s'", text.c_str ());
      if (text.find (wanted) != std::string::npos)
        return text;
    }
  }
  /* Its exit status as ot_wait_pid() gives it (128 + signal if killed). */
  int wait ()
  {
    int status = ot_wait_pid (pid);
    pid = 0;
    return status;
  }
};

}  // namespace ot
