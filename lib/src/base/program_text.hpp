// A long-lived process of ours gives back the page-table entries of what
// only its start-up used. The supervisor idles for its container's life,
// answering a few requests; its start (config, plan, cgroups, mounts, the
// clone) runs ~2 MB of the static binary's text, and every page it mapped
// counts in its PSS (each fault maps 16 pages around it) although the page
// cache holds one copy for all. The link puts the code the serving
// supervisor runs first (cmake/hot-text.ld, written by bench/hot-text.py
// from a sampled run), up to __xc_text_serving_end; the rest of the text
// and the read-only data are dropped here, once, and come back as minor
// faults from the page cache if they are used again; so is the stack that
// start-up's deep calls used.
#pragma once

#include <cstddef>

namespace xc {

// MADV_DONTNEED, once start-up is over, of the program text past the
// serving code, the read-only data segment and the stack below the
// caller's frame: the bytes given back, 0 for a binary linked without the
// script (libxc.so, another linker). File pages are private and clean:
// nothing is lost but a breakpoint a debugger wrote there. The caller must
// not run signal handlers on this stack.
size_t releaseStartupPages();

}  // namespace xc
