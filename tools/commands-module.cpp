/* Opens the commands module (commands-module.h) of the program.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "commands-module.h"

#include <gmodule.h>

#include <cstdlib>

namespace cli {

namespace {

constexpr const char *kModuleName = "gst-offline-commands.so";

/* Next to the program when it runs from its build tree; else the installed
 * module (GST_OFFLINE_CLI_MODULE_DIR). */
std::string
module_path ()
{
  g_autofree gchar *program = g_file_read_link ("/proc/self/exe", nullptr);
  if (program) {
    g_autofree gchar *dir = g_path_get_dirname (program);
    g_autofree gchar *beside = g_build_filename (dir, kModuleName, nullptr);
    if (g_file_test (beside, G_FILE_TEST_EXISTS))
      return beside;
  }
  g_autofree gchar *installed = g_build_filename (GST_OFFLINE_CLI_MODULE_DIR, kModuleName, nullptr);
  return installed;
}

}  // namespace

const CommandsModule &
commands_module ()
{
  static const CommandsModule *commands = nullptr;
  if (commands)
    return *commands;
  std::string path = module_path ();
  /* Never closed: its types stay registered until the process ends. */
  GModule *module = g_module_open (path.c_str (), G_MODULE_BIND_LAZY);
  gpointer symbol = nullptr;
  if (!module || !g_module_symbol (module, GST_OFFLINE_CLI_COMMANDS_SYMBOL, &symbol) || !symbol) {
    fail ("cannot load the commands of the tool from %s: %s", path.c_str (), g_module_error ());
    exit (kExitFailure);
  }
  g_module_make_resident (module);
  commands = static_cast<const CommandsModule *> (symbol);
  return *commands;
}

}  // namespace cli
