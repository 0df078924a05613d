/* The fuzzing corpus in the ordinary test suite: every file under the
 * folders given (seed corpora, past crashes, real manifests) fed to every
 * entry point of entry-points.cpp, as the fuzz targets would. A crash, a
 * sanitizer report (in a sanitizer build), a CRITICAL or a broken parser
 * contract fails it; it names each file before running it, so the last
 * line of a failed run says which.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "entry-points.h"

#include <glib.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace {

void collect (const std::string &dir, std::vector<std::string> &files)
{
  g_autoptr (GError) error = nullptr;
  g_autoptr (GDir) handle = g_dir_open (dir.c_str (), 0, &error);
  if (!handle) {
    g_printerr ("cannot read %s: %s\n", dir.c_str (), error->message);
    exit (1);
  }
  while (const char *name = g_dir_read_name (handle)) {
    std::string path = dir + G_DIR_SEPARATOR_S + name;
    if (g_file_test (path.c_str (), G_FILE_TEST_IS_DIR))
      collect (path, files);
    else if (g_file_test (path.c_str (), G_FILE_TEST_IS_REGULAR) && g_strcmp0 (name, "README.md") != 0)
      files.push_back (path);
  }
}

}  // namespace

int main (int argc, char **argv)
{
  if (argc < 2) {
    g_printerr ("usage: %s DIR...\n", argv[0]);
    return 2;
  }
  gst_offline::fuzz::init_entries ();
  std::vector<std::string> files;
  for (int i = 1; i < argc; i++)
    collect (argv[i], files);
  std::sort (files.begin (), files.end ());
  if (files.empty ()) {
    g_printerr ("no input files\n");
    return 1;
  }
  for (const auto &path : files) {
    gchar *contents = nullptr;
    gsize size = 0;
    g_autoptr (GError) error = nullptr;
    if (!g_file_get_contents (path.c_str (), &contents, &size, &error)) {
      g_printerr ("cannot read %s: %s\n", path.c_str (), error->message);
      return 1;
    }
    std::printf ("%s\n", path.c_str ());
    std::fflush (stdout);
    for (const auto *entry = gst_offline::fuzz::kEntries; entry->name; entry++) {
      /* A copy of exactly `size` bytes, as libFuzzer gives (ASan sees reads past it). */
      std::vector<uint8_t> copy (contents, contents + size);
      gst_offline::fuzz::run_entry (*entry, copy.data (), copy.size ());
    }
    g_free (contents);
  }
  size_t entries = 0;
  for (const auto *entry = gst_offline::fuzz::kEntries; entry->name; entry++)
    entries++;
  std::printf ("%zu files, each through %zu entry points\n", files.size (), entries);
  return 0;
}
