/* gst-offline CLI: one function per command. Each receives the command name
 * in argv[0] and its own arguments after it, parses its own options and
 * returns the process exit status.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "cli.h"
#include "download-output.h"

#include <gst/offline/offline.h>

#include <optional>
#include <string>

namespace cli {

int command_download (Context &ctx, int argc, char **argv);
int command_inspect (Context &ctx, int argc, char **argv);
int command_list (Context &ctx, int argc, char **argv);
int command_status (Context &ctx, int argc, char **argv);
int command_pause (Context &ctx, int argc, char **argv);
int command_resume (Context &ctx, int argc, char **argv);
int command_remove (Context &ctx, int argc, char **argv);
int command_verify (Context &ctx, int argc, char **argv);
int command_play (Context &ctx, int argc, char **argv);
int command_daemon (Context &ctx, int argc, char **argv);
int command_license (Context &ctx, int argc, char **argv);
int command_export (Context &ctx, int argc, char **argv);

/* The license of download `id` in `data_dir`, or nothing when it has none
 * or it cannot be read (CommandsModule::read_license). */
std::optional<LicenseSummary> read_license (const char *data_dir, const char *id);

/* --start and --end of `command` as times (GST_CLOCK_TIME_NONE when not
 * given): seconds ("90.5") or [HH:]MM:SS[.fff]; else false with the usage
 * error printed and its status in `status`. */
bool parse_time_range (const char *command, const char *start_text, const char *end_text, GstClockTime *start,
    GstClockTime *end, int *status);

/* Adds `request` to `manager` (made with added-downloads-only) and waits,
 * with progress, until it completes (printing `ID: completed, N bytes`) or
 * fails; with `announce_id`, first says which id it got. `requested` is the
 * id for messages before the manager resolved it. Returns the exit status
 * of `download`. */
int run_download (GstOfflineDownloadManager *manager, GstOfflineDownloadRequest *request, const std::string &requested,
    bool announce_id);

}  // namespace cli
