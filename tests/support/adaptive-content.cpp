/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "adaptive-content.h"

#include <gst/check/gstcheck.h>

#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace ot {

namespace {

void
list_into (const char *dir, const std::string &prefix, std::vector<std::string> *files)
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

/* Adds the first t of each StreamIndex (the earliest of its fragment files'
 * names) to ism/Manifest. */
void
add_first_times (const char *ism, const std::vector<std::string> &files)
{
  g_autofree gchar *path = g_build_filename (ism, "Manifest", nullptr);
  g_autofree gchar *raw = nullptr;
  fail_unless (g_file_get_contents (path, &raw, nullptr, nullptr));
  std::string text = raw;
  for (const char *kind : { "video", "audio" }) {
    std::string prefix = std::string ("Fragments(") + kind + "=";
    guint64 first = G_MAXUINT64;
    for (const auto &f : files) {
      size_t at = f.find (prefix);
      if (at != std::string::npos)
        first = MIN (first, g_ascii_strtoull (f.c_str () + at + prefix.size (), nullptr, 10));
    }
    fail_unless (first != G_MAXUINT64, "no %s fragments", kind);
    size_t stream = text.find (prefix + "{start time})");
    fail_unless (stream != std::string::npos, "no %s StreamIndex in %s", kind, path);
    size_t c = text.find ("<c ", stream);
    fail_unless (c != std::string::npos, "no c element for %s in %s", kind, path);
    text.insert (c + 3, "t=\"" + std::to_string (first) + "\" ");
  }
  fail_unless (g_file_set_contents (path, text.c_str (), -1, nullptr));
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
  if (!ot_spawn_sync (dir, const_cast<gchar **> (argv.data ()), nullptr,
          static_cast<GSpawnFlags> (G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL), nullptr, nullptr, nullptr, &err,
          &status, &error))
    ck_abort_msg ("cannot run %s: %s", command[0], error->message);
  fail_unless (g_spawn_check_wait_status (status, nullptr), "%s failed: %s", command[0], err);
  g_free (err);
}

void
run_ffmpeg (const char *dir, const std::vector<const char *> &args)
{
  std::vector<const char *> argv = { "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y" };
  argv.insert (argv.end (), args.begin (), args.end ());
  run_or_fail (argv, dir);
}

gint
run_without_network (const gchar *data_dir, const std::vector<const gchar *> &command, gchar **err)
{
  std::vector<const gchar *> argv = { "unshare", geteuid () == 0 ? "-n" : "-rn", "--" };
  argv.insert (argv.end (), command.begin (), command.end ());
  argv.push_back (nullptr);
  gchar **envp = g_get_environ ();
  envp = g_environ_setenv (envp, "GST_OFFLINE_DIR", data_dir, TRUE);
  gint status = 0;
  GError *error = nullptr;
  if (!ot_spawn_sync (nullptr, const_cast<gchar **> (argv.data ()), envp, G_SPAWN_SEARCH_PATH, nullptr, nullptr,
          nullptr, err, &status, &error))
    ck_abort_msg ("cannot run %s: %s", command[0], error->message);
  g_strfreev (envp);
  return g_spawn_check_wait_status (status, nullptr) ? 0 : 1;
}

std::string
read_text (const std::string &path)
{
  gchar *contents = nullptr;
  gsize size = 0;
  GError *error = nullptr;
  if (!g_file_get_contents (path.c_str (), &contents, &size, &error))
    g_error ("cannot read %s: %s", path.c_str (), error->message);
  std::string text (contents, size);
  g_free (contents);
  return text;
}

void
write_text (const std::string &path, const std::string &text)
{
  gchar *dir = g_path_get_dirname (path.c_str ());
  g_mkdir_with_parents (dir, 0755);
  g_free (dir);
  GError *error = nullptr;
  if (!g_file_set_contents (path.c_str (), text.data (), static_cast<gssize> (text.size ()), &error))
    g_error ("cannot write %s: %s", path.c_str (), error->message);
}

std::vector<std::string>
playlist_uris (const std::string &path)
{
  std::vector<std::string> uris;
  gchar **lines = g_strsplit (read_text (path).c_str (), "\n", -1);
  for (gchar **l = lines; *l; l++) {
    if (**l && **l != '#')
      uris.push_back (*l);
  }
  g_strfreev (lines);
  return uris;
}

void
make_ladder (const char *dir, const std::vector<const char *> &output, bool one_video)
{
  std::vector<const char *> args = { "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-f", "lavfi", "-i",
    "sine=frequency=440:sample_rate=44100", "-t", "6" };
  if (one_video)
    args.insert (args.end (), { "-map", "0:v", "-map", "1:a", "-s:v:0", "640x360", "-b:v:0", "800k" });
  else
    args.insert (args.end (), { "-map", "0:v", "-map", "0:v", "-map", "1:a", "-s:v:0", "320x180", "-s:v:1",
        "640x360", "-b:v:0", "200k", "-b:v:1", "800k" });
  args.insert (args.end (), { "-c:v", "libx264", "-g", "25", "-pix_fmt", "yuv420p", "-threads", "1", "-c:a", "aac",
    "-aac_pns", "0" });
  args.insert (args.end (), output.begin (), output.end ());
  run_ffmpeg (dir, args);
}

std::vector<std::string>
make_smooth (const char *dir, bool one_video)
{
  g_autofree gchar *ism = g_build_filename (dir, "movie.ism", nullptr);
  make_ladder (dir, { "-min_frag_duration", "2000000", "-f", "smoothstreaming", ism }, one_video);
  auto files = list_files (ism);
  add_first_times (ism, files);
  return files;
}

void
make_dash (const gchar *dir, const gchar *extra)
{
  g_autofree gchar *video = g_strdup_printf ("testsrc2=size=320x240:rate=25:duration=%u", kDashClipSeconds);
  g_autofree gchar *audio = g_strdup_printf ("sine=frequency=440:beep_factor=4:sample_rate=44100:duration=%u",
      kDashClipSeconds);
  std::vector<const gchar *> argv = {
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
  run_ffmpeg (dir, argv);
}

std::string
make_dash_mpd (const gchar *dir, const gchar *extra)
{
  make_dash (dir, extra);
  return read_text (std::string (dir) + "/x.mpd");
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

std::vector<std::string>
list_files (const char *dir)
{
  std::vector<std::string> files;
  list_into (dir, "", &files);
  std::sort (files.begin (), files.end ());
  return files;
}

MpdParts
split_period (const std::string &mpd)
{
  size_t start = mpd.find ("<Period");
  size_t end = mpd.find ("</Period>");
  fail_unless (start != std::string::npos && end != std::string::npos, "no Period in the MPD");
  size_t body = mpd.find ('>', start) + 1;
  end += strlen ("</Period>");
  fail_unless (body <= end && mpd.find ("<Period", body) == std::string::npos, "not one Period in the MPD");
  return { mpd.substr (0, start), mpd.substr (body, end - body), mpd.substr (end) };
}

void
copy_segments (const gchar *from, const gchar *to, const std::string &subdir)
{
  for (const auto &file : list_files (from)) {
    if (g_str_has_suffix (file.c_str (), ".m4s"))
      write_text (std::string (to) + "/" + subdir + "/" + file, read_text (std::string (from) + "/" + file));
  }
}

std::vector<std::string>
serve_dir (OtServer *server, const char *dir, const std::string &prefix)
{
  auto files = list_files (dir);
  for (const auto &file : files) {
    g_autofree gchar *local = g_build_filename (dir, file.c_str (), nullptr);
    g_free (ot_server_add_file (server, (prefix + "/" + file).c_str (), local));
  }
  return files;
}

Dirs::Dirs (const gchar *name)
    : root (ot_make_temp_dir (name)),
      made (g_build_filename (root, "made", nullptr)),
      content (g_build_filename (root, "content", nullptr)),
      data (g_build_filename (root, "data", nullptr))
{
  for (const gchar *dir : { made, content, data })
    g_mkdir_with_parents (dir, 0700);
}

Dirs::~Dirs ()
{
  g_free (root);
  g_free (made);
  g_free (content);
  g_free (data);
}

std::string
Dirs::in_content (const std::string &relative) const
{
  return std::string (content) + "/" + relative;
}

OtServer *test_server;

static void
start_test_server (void)
{
  test_server = ot_server_new ();
}

static void
stop_test_server (void)
{
  ot_server_free (test_server);
  test_server = nullptr;
}

TCase *
adaptive_tcase (const gchar *name)
{
  TCase *tc = tcase_create (name);
  ot_tcase_set_timeout (tc, 240);
  tcase_add_checked_fixture (tc, start_test_server, stop_test_server);
  return tc;
}

gchar *
serve (OtServer *server, const gchar *dir, const gchar *name, const gchar *manifest)
{
  serve_dir (server, dir, std::string ("/") + name);
  return g_strdup_printf ("%s/%s/%s", ot_server_get_base_url (server), name, manifest);
}

Cli
run (const char *data_dir, std::vector<const char *> args)
{
  args.push_back (nullptr);
  gchar *out = nullptr, *err = nullptr;
  Cli r;
  r.status = ot_run_cliv (data_dir, args.data (), &out, &err);
  r.out = out ? out : "";
  r.err = err ? err : "";
  g_free (out);
  g_free (err);
  return r;
}

void
download (const gchar *data_dir, const gchar *url, const gchar *id)
{
  Cli r = run (data_dir, { "download", url, "--id", id });
  fail_unless (r.status == 0, "download %s failed: %s", url, r.err.c_str ());
}

void
assert_verify_clean (const char *data_dir)
{
  Cli r = run (data_dir, { "verify" });
  fail_unless (r.status == 0 && r.out.empty (), "verify: %d\n%s%s", r.status, r.out.c_str (), r.err.c_str ());
}

std::string
reason_of (const Cli &r)
{
  size_t line = r.err.find ("gst-offline: ");
  fail_unless (line != std::string::npos, "no gst-offline line: %s", r.err.c_str ());
  return r.err.substr (line, r.err.find ('\n', line) - line);
}

}  // namespace ot
