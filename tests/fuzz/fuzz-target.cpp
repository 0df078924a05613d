/* One libFuzzer target: the entry point named by FUZZ_ENTRY (a meson
 * define per executable) of entry-points.cpp.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "entry-points.h"

#include <cstdlib>

namespace {

const gst_offline::fuzz::Entry *entry;

}  // namespace

extern "C" int LLVMFuzzerInitialize (int *, char ***)
{
  gst_offline::fuzz::init_entries ();
  entry = gst_offline::fuzz::find_entry (FUZZ_ENTRY);
  if (!entry)
    abort ();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  gst_offline::fuzz::run_entry (*entry, data, size);
  return 0;
}
