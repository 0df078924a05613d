/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "dash-content.h"

#include <gst/check/gstcheck.h>

#include <algorithm>

namespace ot {

namespace {

void
list_into (const gchar *dir, const std::string &prefix, std::vector<std::string> *files)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, nullptr);
  fail_unless (handle != nullptr, "cannot list %s", dir);
  while (const gchar *name = g_dir_read_name (handle)) {
    g_autofree gchar *path = g_build_filename (dir, name, nullptr);
    if (g_file_test (path, G_FILE_TEST_IS_DIR))
      list_into (path, prefix + name + "/", files);
    else
      files->push_back (prefix + name);
  }
}

}  // namespace

void
run_or_fail (const std::vector<const gchar *> &command, const gchar *dir)
{
  std::vector<const gchar *> argv (command);
  argv.push_back (nullptr);
  gchar *err = nullptr;
  gint status = 0;
  GError *error = nullptr;
  if (!g_spawn_sync (dir, const_cast<gchar **> (argv.data ()), nullptr,
          static_cast<GSpawnFlags> (G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL), nullptr, nullptr, nullptr, &err,
          &status, &error))
    ck_abort_msg ("cannot run %s: %s", command[0], error->message);
  fail_unless (g_spawn_check_wait_status (status, nullptr), "%s failed: %s", command[0], err);
  g_free (err);
}

void
make_dash (const gchar *dir, const gchar *extra)
{
  g_autofree gchar *video = g_strdup_printf ("testsrc2=size=320x240:rate=25:duration=%u", kDashClipSeconds);
  g_autofree gchar *audio = g_strdup_printf ("sine=frequency=440:beep_factor=4:sample_rate=44100:duration=%u",
      kDashClipSeconds);
  std::vector<const gchar *> argv = {
    "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
    "-f", "lavfi", "-i", video, "-f", "lavfi", "-i", audio,
    "-map", "0:v", "-map", "1:a",
    "-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0",
    "-pix_fmt", "yuv420p", "-threads", "1",
    "-c:a", "aac", "-aac_pns", "0", "-b:a", "64k", "-ac", "2",
    "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
    "-seg_duration", "2",
  };
  g_auto (GStrv) extra_args = g_strsplit (extra ? extra : "", " ", -1);
  for (gchar **arg = extra_args; *arg; arg++) {
    if (**arg)
      argv.push_back (*arg);
  }
  argv.push_back ("-f");
  argv.push_back ("dash");
  argv.push_back ("x.mpd");
  run_or_fail (argv, dir);
}

std::vector<std::string>
list_files (const gchar *dir)
{
  std::vector<std::string> files;
  list_into (dir, "", &files);
  std::sort (files.begin (), files.end ());
  return files;
}

gchar *
serve_dir (OtServer *server, const gchar *dir, const gchar *name, const gchar *manifest)
{
  for (const auto &file : list_files (dir)) {
    g_autofree gchar *local = g_build_filename (dir, file.c_str (), nullptr);
    g_autofree gchar *path = g_strdup_printf ("/%s/%s", name, file.c_str ());
    g_free (ot_server_add_file (server, path, local));
  }
  return g_strdup_printf ("%s/%s/%s", ot_server_get_base_url (server), name, manifest);
}

void
download (const gchar *data_dir, const gchar *url, const gchar *id)
{
  gchar *out = nullptr, *err = nullptr;
  gint status = ot_run_cli (data_dir, &out, &err, "download", url, "--id", id, nullptr);
  fail_unless (status == 0, "download %s failed: %s", url, err);
  g_free (out);
  g_free (err);
}

std::vector<std::string>
dash_segment_files (const gchar *dir, guint stream, OtServer *server, const gchar *name)
{
  g_autofree gchar *init_name = g_strdup_printf ("init-stream%u.m4s", stream);
  g_autofree gchar *chunk_prefix = g_strdup_printf ("chunk-stream%u-", stream);
  /* ffmpeg numbers chunks with five digits: names sort by number. */
  std::vector<std::string> parts { init_name };
  for (const auto &file : list_files (dir)) {
    if (!g_str_has_prefix (file.c_str (), chunk_prefix))
      continue;
    if (server) {
      g_autofree gchar *path = g_strdup_printf ("/%s/%s", name, file.c_str ());
      if (ot_server_get_request_count (server, path) == 0)
        continue;
    }
    parts.push_back (file);
  }
  fail_unless (parts.size () > 1, "no segments of stream %u in %s", stream, dir);
  return parts;
}

void
concatenate (const gchar *dir, const std::vector<std::string> &parts, const gchar *path)
{
  GString *bytes = g_string_new (nullptr);
  for (const auto &part : parts) {
    g_autofree gchar *file = g_build_filename (dir, part.c_str (), nullptr);
    g_autoptr (GBytes) data = ot_read_file (file);
    gsize size;
    const gchar *p = static_cast<const gchar *> (g_bytes_get_data (data, &size));
    g_string_append_len (bytes, p, size);
  }
  fail_unless (g_file_set_contents (path, bytes->str, bytes->len, nullptr), "cannot write %s", path);
  g_string_free (bytes, TRUE);
}

gchar *
dash_reference (const gchar *dir, guint stream, OtServer *server, const gchar *name)
{
  g_autofree gchar *file_name = g_strdup_printf ("reference-%u.mp4", stream);
  gchar *path = g_build_filename (dir, "..", file_name, nullptr);
  concatenate (dir, dash_segment_files (dir, stream, server, name), path);
  return path;
}

}  // namespace ot
