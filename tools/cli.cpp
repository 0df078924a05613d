/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cli.h"

#include <gst/offline/offline.h>

#include <cstdarg>
#include <cstdio>
#include <vector>

namespace cli {

namespace {

constexpr const char *kDirDescription =
    "The data directory (default: $GST_OFFLINE_DIR, else ~/.local/share/gst-offline)";

/* The reason of a failure is one line: messages from libraries may hold
 * newlines, which would break scripts reading stderr line by line. */
void
print_reason (const char *format, va_list args)
{
  g_autofree gchar *message = g_strdup_vprintf (format, args);
  for (gchar *c = message; *c; c++) {
    if (*c == '\n' || *c == '\r')
      *c = ' ';
  }
  g_strchomp (message);
  fprintf (stderr, "gst-offline: %s\n", message);
  fflush (stderr);
}

}  // namespace

void
Context::resolve_dir ()
{
  if (dir_option && *dir_option) {
    data_dir = dir_option;
  } else {
    g_autofree gchar *dir = gst_offline_get_default_data_dir ();
    data_dir = dir;
  }
}

GOptionEntry
dir_option_entry (Context &ctx)
{
  return GOptionEntry{"dir", 0, 0, G_OPTION_ARG_FILENAME, &ctx.dir_option, kDirDescription, "DIR"};
}

int
fail (const char *format, ...)
{
  va_list args;
  va_start (args, format);
  print_reason (format, args);
  va_end (args);
  return kExitFailure;
}

int
usage_error (const char *command, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  print_reason (format, args);
  va_end (args);
  fprintf (stderr, "Try 'gst-offline%s%s --help' for more information.\n",
      command ? " " : "", command ? command : "");
  return kExitUsage;
}

int
parse_command_options (Context &ctx, const char *command, const char *parameters,
    const char *summary, const GOptionEntry *entries, int *argc, char ***argv)
{
  /* A --dir given after the command wins over one given before it. Parsed
   * into its own string: GOption would leak a value it replaces. */
  gchar *dir = nullptr;
  std::vector<GOptionEntry> all;
  for (const GOptionEntry *e = entries; e && e->long_name; e++)
    all.push_back (*e);
  all.push_back (GOptionEntry{"dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, kDirDescription, "DIR"});
  all.push_back (GOptionEntry{});

  /* The usage line reads `gst-offline COMMAND [OPTION…] PARAMETERS`. */
  g_autofree gchar *prgname = g_strdup_printf ("gst-offline %s", command);
  g_set_prgname (prgname);

  GOptionContext *context = g_option_context_new (parameters);
  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, all.data (), nullptr);

  g_autoptr (GError) error = nullptr;
  gboolean ok = g_option_context_parse (context, argc, argv, &error);
  g_option_context_free (context);
  g_set_prgname ("gst-offline");

  if (!ok) {
    g_free (dir);
    return usage_error (command, "%s", error->message);
  }
  if (dir) {
    g_free (ctx.dir_option);
    ctx.dir_option = dir;
  }
  /* "--" is left in place by GOption when it ends the options. */
  for (int i = 1; i < *argc; i++) {
    if (g_str_equal ((*argv)[i], "--")) {
      for (int j = i; j + 1 < *argc; j++)
        (*argv)[j] = (*argv)[j + 1];
      (*argc)--;
      break;
    }
  }
  ctx.resolve_dir ();
  /* A data directory that is a file would be "empty" to every reader and
   * unusable to every writer: say so rather than list nothing. */
  if (g_file_test (ctx.data_dir.c_str (), G_FILE_TEST_EXISTS) && !g_file_test (ctx.data_dir.c_str (), G_FILE_TEST_IS_DIR))
    return fail ("the data directory %s is not a directory", ctx.data_dir.c_str ());
  return kExitSuccess;
}

int
expect_arguments (const char *command, int argc, char **argv, int min, int max, const char *missing)
{
  int count = argc - 1;
  if (count < min)
    return usage_error (command, "%s: missing %s", command, missing);
  if (count > max)
    return usage_error (command, "%s: unexpected argument '%s'", command, argv[max + 1]);
  return kExitSuccess;
}

}  // namespace cli
