/* gst-offline CLI: what every command shares — exit codes, the data
 * directory, error reporting and option parsing.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include <string>

namespace cli {

/* Exit status, as documented in docs/cli.md. */
constexpr int kExitSuccess = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
/* Stopped by SIGINT/SIGTERM (128 + SIGINT, as shells report it). */
constexpr int kExitInterrupted = 130;

/* State shared by every command: the global options. */
struct Context {
  /* --dir, or NULL until resolved. */
  gchar *dir_option = nullptr;
  /* The data directory in effect (after Context::resolve_dir). */
  std::string data_dir;

  ~Context () { g_free (dir_option); }
  void resolve_dir ();
};

/* The option every command accepts too, so `gst-offline list --dir X` works. */
GOptionEntry dir_option_entry (Context &ctx);

/* Prints `gst-offline: <message>` on stderr; returns kExitFailure. */
int fail (const char *format, ...) G_GNUC_PRINTF (1, 2);
/* Prints `gst-offline: <message>` and a hint to `--help` of `command`
 * (NULL: the tool); returns kExitUsage. */
int usage_error (const char *command, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* Parses the options of one command. `entries` is terminated by an entry with
 * a NULL long_name; the shared --dir option is added. On success, `argc`/`argv`
 * hold the command name followed by its positional arguments.
 * Returns kExitSuccess, kExitUsage after printing the reason, or kExitFailure
 * when the data directory in effect exists and is not a directory. */
int parse_command_options (Context &ctx, const char *command, const char *parameters,
    const char *summary, const GOptionEntry *entries, int *argc, char ***argv);

/* Checks the number of positional arguments left by parse_command_options()
 * (not counting the command name itself); `missing` names what is expected
 * ("URL", "ID"). Returns kExitSuccess or kExitUsage. */
int expect_arguments (const char *command, int argc, char **argv, int min, int max, const char *missing);

}  // namespace cli
