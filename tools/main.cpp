/* gst-offline: the command line over the gst-offline library.
 *
 *   gst-offline [--dir DIR] COMMAND [OPTIONS] [ARGS]
 *
 * docs/cli.md is the specification of every command and of the output.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cli.h"
#include "commands-module.h"
#include "commands.h"

#include <gst/gst.h>

#include <clocale>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

using ModuleRun = cli::CommandsModule::Run cli::CommandsModule::*;

struct Command {
  const char *name;
  const char *arguments;
  const char *summary;
  /* In this program, or else in the commands module (commands-module.h). */
  int (*run) (cli::Context &ctx, int argc, char **argv);
  ModuleRun module_run;
};

const Command kCommands[] = {
    {"download", "URL", "Download a file or stream into the cache and wait for it", nullptr,
        &cli::CommandsModule::download},
    {"inspect", "URL", "List the tracks a URL offers (what --video/--audio/--text choose from)", nullptr,
        &cli::CommandsModule::inspect},
    {"list", "", "List the downloads", cli::command_list, nullptr},
    {"status", "ID", "Show the state, progress and failure of one download", cli::command_status, nullptr},
    {"pause", "ID|--all", "Stop a download and keep it stopped (in any process)", cli::command_pause, nullptr},
    {"resume", "ID|--all", "Let a paused download carry on", cli::command_resume, nullptr},
    {"remove", "ID|--all", "Delete a download's data and its index entry", nullptr, &cli::CommandsModule::remove},
    {"verify", "[ID]", "Check the integrity of the index and the cache (--repair: fetch what is damaged again)",
        nullptr, &cli::CommandsModule::verify},
    {"play", "ID", "Play a download from the cache with playbin, offline", cli::command_play, nullptr},
    {"export", "ID FILE", "Write a download into one MP4 or Matroska file (remuxed, decrypted if licensed)",
        nullptr, &cli::CommandsModule::export_file},
    {"daemon", "", "Run the download queue in the foreground (for service managers)", nullptr,
        &cli::CommandsModule::daemon},
    {"license", "CMD ARG", "The license of a protected download: CMD is status, renew, release, register (ID) or acquire (URL)",
        nullptr, &cli::CommandsModule::license},
};

std::string
commands_description ()
{
  std::string text = "Commands:\n";
  for (const Command &c : kCommands) {
    g_autofree gchar *usage = g_strdup_printf ("%s %s", c.name, c.arguments);
    g_autofree gchar *line = g_strdup_printf ("  %-18s %s\n", g_strstrip (usage), c.summary);
    text += line;
  }
  text += "\nRun 'gst-offline COMMAND --help' for the options of a command.\n"
          "Exit status: 0 success, 1 failure, 2 usage error.";
  return text;
}

/* The index of the command in argv: the first argument that is neither a
 * global option nor the value of one. argc if there is none. */
int
find_command (int argc, char **argv)
{
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (g_str_equal (arg, "--"))
      return i + 1;
    if (g_str_equal (arg, "--dir")) {
      i++;
      continue;
    }
    if (arg[0] != '-' || arg[1] == '\0')
      return i;
  }
  return argc;
}

/* Parses the options before the command: --dir, --version, --help. */
int
parse_global_options (cli::Context &ctx, int argc, char **argv)
{
  gboolean version = FALSE;
  const GOptionEntry entries[] = {
      cli::dir_option_entry (ctx),
      {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", nullptr},
      {},
  };
  GOptionContext *context = g_option_context_new ("COMMAND [OPTION…] [ARGUMENT…]");
  g_option_context_set_summary (context,
      "Download files and adaptive streams into a local cache and play them back offline.");
  std::string description = commands_description ();
  g_option_context_set_description (context, description.c_str ());
  g_option_context_add_main_entries (context, entries, nullptr);

  g_autoptr (GError) error = nullptr;
  gboolean ok = g_option_context_parse (context, &argc, &argv, &error);
  g_option_context_free (context);
  if (!ok)
    return cli::usage_error (nullptr, "%s", error->message);
  /* Only options can be here: find_command() stopped at the first word. */
  if (argc > 1)
    return cli::usage_error (nullptr, "unexpected argument '%s'", argv[1]);
  if (version) {
    printf ("gst-offline %s\n", GST_OFFLINE_VERSION);
    exit (cli::kExitSuccess);
  }
  return cli::kExitSuccess;
}

}  // namespace

int
main (int argc, char **argv)
{
  /* A file-size limit (ulimit -f) must become a write error the library
   * reports, not a signal that kills the process mid-write. */
  signal (SIGXFSZ, SIG_IGN);
  setlocale (LC_ALL, "");
  /* Numbers in output are parsed by scripts: always a decimal point. */
  setlocale (LC_NUMERIC, "C");
  g_set_prgname ("gst-offline");
  int command_index = find_command (argc, argv);
  /* Commands that only read or change the index build no pipeline and start
   * no manager: they leave GStreamer uninitialised (reading its plugin
   * registry costs more processor time than listing ten thousand
   * downloads). The library initialises it itself where it needs it. */
  static const char *const kIndexOnly[] = { "list", "status", "pause", "resume" };
  bool index_only = false;
  for (const char *name : kIndexOnly)
    index_only = index_only || (command_index < argc && g_str_equal (argv[command_index], name));
  if (!index_only)
    gst_init (nullptr, nullptr);

  cli::Context ctx;
  int status = parse_global_options (ctx, command_index, argv);
  if (status != cli::kExitSuccess)
    return status;
  if (command_index >= argc)
    return cli::usage_error (nullptr, "no command given");

  const char *name = argv[command_index];
  for (const Command &c : kCommands) {
    if (g_str_equal (c.name, name)) {
      ctx.resolve_dir ();
      auto run = c.run ? c.run : cli::commands_module ().*c.module_run;
      return run (ctx, argc - command_index, argv + command_index);
    }
  }
  return cli::usage_error (nullptr, "unknown command '%s'", name);
}
