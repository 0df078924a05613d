/* The entry of the commands module (commands-module.h): the table the
 * program looks up when it first needs one of these commands.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "commands-module.h"
#include "commands.h"

#include <gmodule.h>

extern "C" {

G_MODULE_EXPORT extern const cli::CommandsModule gst_offline_cli_commands;

const cli::CommandsModule gst_offline_cli_commands = {
    cli::command_download,
    cli::command_inspect,
    cli::command_remove,
    cli::command_verify,
    cli::command_export,
    cli::command_daemon,
    cli::command_license,
    cli::read_license,
};

}
