/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "adaptive-content.h"

#include <gst/check/gstcheck.h>

#include <algorithm>

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
run_ffmpeg (const char *dir, const std::vector<const char *> &args)
{
  std::vector<const char *> argv = { "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y" };
  argv.insert (argv.end (), args.begin (), args.end ());
  argv.push_back (nullptr);
  gchar *err = nullptr;
  gint status = 0;
  GError *error = nullptr;
  fail_unless (g_spawn_sync (dir, const_cast<gchar **> (argv.data ()), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr,
      nullptr, &err, &status, &error), "cannot run ffmpeg: %s", error ? error->message : "");
  fail_unless (g_spawn_check_wait_status (status, nullptr), "ffmpeg failed: %s", err);
  g_free (err);
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
  args.insert (args.end (), { "-c:v", "libx264", "-g", "25", "-pix_fmt", "yuv420p", "-threads", "1", "-c:a", "aac" });
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

std::vector<std::string>
list_files (const char *dir)
{
  std::vector<std::string> files;
  list_into (dir, "", &files);
  std::sort (files.begin (), files.end ());
  return files;
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
