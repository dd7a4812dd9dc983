// A long-lived process of ours gives back the page-table entries of the
// program text that only its start-up ran. The supervisor idles for its
// container's life, answering a few requests; its start (config, plan,
// cgroups, mounts, the clone) runs ~2 MB of the static binary's text, and
// every page it mapped counts in its PSS (each fault maps 16 pages around
// it) although the page cache holds one copy for all. The link puts the
// code the serving supervisor runs first (cmake/hot-text.ld, written by
// bench/hot-text.py from a sampled run), up to __xc_text_serving_end; the
// rest of the text is dropped here, once, and comes back as minor faults
// from the page cache if it ever runs again.
#pragma once

#include <cstddef>

namespace xc {

// MADV_DONTNEED of the program text past the serving code, once start-up
// is over: the bytes given back, 0 for a binary linked without the script
// (libxc.so, another linker). Private clean file pages only: nothing is
// lost but a breakpoint a debugger wrote there.
size_t releaseStartupText();

}  // namespace xc
