/* The parser entry points of gst-offline as the fuzzers and the replay test
 * call them: bytes from a hostile server in, nothing out. Each one runs a
 * parser the way the downloader or cachesrc does (parse, then list the
 * tracks, expand the segments...) and aborts when a parser breaks its
 * contract: an error without a message, or a result and an error at once.
 * Crashes, hangs, leaks and undefined behaviour are left to the sanitizers.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <cstddef>
#include <cstdint>

namespace gst_offline {
namespace fuzz {

using EntryPoint = void (*) (const uint8_t *data, size_t size);

struct Entry {
  const char *name;  /* also the folder of its corpus and dictionary */
  EntryPoint run;
};

/* Every entry point, ending with {nullptr, nullptr}. */
extern const Entry kEntries[];

/* Runs `entry` on the bytes (contract failures name it). */
void run_entry (const Entry &entry, const uint8_t *data, size_t size);

/* The entry named `name`, or nullptr. */
const Entry *find_entry (const char *name);

/* Once per process, before the first entry runs: GStreamer, quiet logs,
 * warnings and criticals made fatal. */
void init_entries ();

}  // namespace fuzz
}  // namespace gst_offline
