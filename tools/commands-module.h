/* gst-offline CLI in two parts. The program links libgstoffline-core-1.0
 * alone and runs the commands that only read or change the index, or play
 * (list, status, pause, resume, play). The commands that fetch, remove,
 * verify, export or manage licenses live in a module that links
 * libgstoffline-1.0 (libsoup, libxml2 and the libraries they pull in), which
 * the program opens when one of them runs — and `list`/`status` when the
 * data directory holds licenses, which GstOfflineLicenseManager reads. So a
 * `list` does not pay for the dynamic linking of what it never uses
 * (docs/architecture.md, "Scale"). The module calls the program's own
 * functions (it is linked with -rdynamic), so every helper exists once.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "cli.h"
#include "download-output.h"

#include <optional>

namespace cli {

struct CommandsModule {
  using Run = int (*) (Context &ctx, int argc, char **argv);
  Run download;
  Run inspect;
  Run remove;
  Run verify;
  Run export_file;
  Run daemon;
  Run license;
  /* The license of the download `id`, or nothing (no license, or none
   * readable); only asked when `data_dir` has a drm.db. */
  std::optional<LicenseSummary> (*read_license) (const char *data_dir, const char *id);
};

/* The module's table, opening the module on the first call (next to the
 * program in a build tree, else where it is installed). When it cannot be
 * opened, prints why and exits with kExitFailure. */
const CommandsModule &commands_module ();

}  // namespace cli

/* The table the module exports, under this name. */
#define GST_OFFLINE_CLI_COMMANDS_SYMBOL "gst_offline_cli_commands"
