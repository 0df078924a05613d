/* A program run without network while the test goes on (a player, the
 * test's decoder), its output read as it writes it.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/check/gstcheck.h>

#include "test-support.h"

#include <sys/types.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace ot {

/* A program run with GST_OFFLINE_DIR `data` under `unshare -rn` (no
 * network) while the test goes on, its standard output and error read
 * line by line as it writes them. */
class Running {
 public:
  Running (const gchar *data, std::vector<const gchar *> command,
      const std::vector<std::pair<const gchar *, const gchar *>> &env = {})
  {
    std::vector<const gchar *> argv = { "unshare", geteuid () == 0 ? "-n" : "-rn", "--" };
    argv.insert (argv.end (), command.begin (), command.end ());
    argv.push_back (nullptr);
    gchar **envp = g_environ_setenv (g_get_environ (), "GST_OFFLINE_DIR", data, TRUE);
    for (const auto &[name, value] : env)
      envp = g_environ_setenv (envp, name, value, TRUE);
    g_autoptr (GError) error = nullptr;
    gint out = -1, err = -1;
    gboolean spawned = g_spawn_async_with_pipes (nullptr, const_cast<gchar **> (argv.data ()), envp,
        static_cast<GSpawnFlags> (G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD), nullptr, nullptr, &pid_, nullptr,
        &out, &err, &error);
    g_strfreev (envp);
    fail_unless (spawned, "cannot run %s: %s", command[0], error ? error->message : "");
    out_ = fdopen (out, "r");
    err_ = fdopen (err, "r");
    fail_unless (out_ && err_);
  }
  ~Running ()
  {
    if (pid_) {
      kill (pid_, SIGKILL);
      ot_wait_pid (pid_);
    }
    if (out_)
      fclose (out_);
    if (err_)
      fclose (err_);
  }
  Running (const Running &) = delete;
  Running &operator= (const Running &) = delete;

  /* The next line of its stdout (`on_stderr`: stderr), kept with all it
   * said there; false once that stream has ended. (The other stream is not
   * read meanwhile: for programs that write little there.) */
  bool next_line (bool on_stderr, std::string *line)
  {
    gchar block[4096];
    if (!fgets (block, sizeof block, on_stderr ? err_ : out_))
      return false;
    *line = block;
    (on_stderr ? err_said_ : out_said_) += block;
    return true;
  }

  /* Reads lines of its stdout (`on_stderr`: stderr) until one holds
   * `needle`; fails the test if it ends first. */
  void wait_line (bool on_stderr, const std::string &needle)
  {
    std::string line;
    while (next_line (on_stderr, &line))
      if (line.find (needle) != std::string::npos)
        return;
    ck_abort_msg ("it ended before saying '%s':\n%s", needle.c_str (), said (on_stderr).c_str ());
  }

  /* All it wrote on stdout (`on_stderr`: stderr) so far. */
  const std::string &said (bool on_stderr) const { return on_stderr ? err_said_ : out_said_; }

  /* Waits for its end; returns its exit status (as ot_run_cli) with all it
   * wrote on stdout and stderr. */
  gint finish (std::string *out, std::string *err)
  {
    for (auto [stream, said] : { std::make_pair (out_, &out_said_), std::make_pair (err_, &err_said_) }) {
      gchar block[65536];
      size_t n;
      while ((n = fread (block, 1, sizeof block, stream)) > 0)
        said->append (block, n);
    }
    gint status = ot_wait_pid (pid_);
    pid_ = 0;
    *out = out_said_;
    *err = err_said_;
    return status;
  }

 private:
  GPid pid_ = 0;
  FILE *out_ = nullptr;
  FILE *err_ = nullptr;
  std::string out_said_, err_said_;
};

}  // namespace ot
