// The supervisor's release of its start-up text: only read-only, private,
// unwritten mappings of the executable go, and the program runs on with its
// data intact.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <string>

#include "base/fsutil.hpp"
#include "base/program_text.hpp"

namespace xc {
namespace {

const char* kSmaps =
    "00400000-00401000 r--p 00000000 fe:00 77                               /usr/libexec/xc/xc-supervisor\n"
    "Size:                  4 kB\n"
    "Anonymous:             0 kB\n"
    "00401000-00753000 r-xp 00001000 fe:00 77                               /usr/libexec/xc/xc-supervisor\n"
    "Rss:                3164 kB\n"
    "Anonymous:             0 kB\n"
    "00806000-00816000 r--p 00405000 fe:00 77                               /usr/libexec/xc/xc-supervisor\n"
    "Anonymous:             8 kB\n"
    "00816000-0081a000 rw-p 00415000 fe:00 77                               /usr/libexec/xc/xc-supervisor\n"
    "Anonymous:            16 kB\n"
    "7f0000000000-7f0000001000 r-xs 00000000 fe:00 77                       /usr/libexec/xc/xc-supervisor\n"
    "Anonymous:             0 kB\n"
    "7f0000002000-7f0000003000 r-xp 00000000 fe:01 77                       /other/fs/same-inode\n"
    "Anonymous:             0 kB\n"
    "0e691000-0e6b3000 rw-p 00000000 00:00 0                                [heap]\n"
    "Anonymous:            64 kB\n";

TEST(ProgramText, OnlyUnwrittenPrivateReadOnlyMappingsOfTheProgramAreDropped) {
    auto maps = parseSmaps(kSmaps);
    ASSERT_EQ(maps.size(), 7u);
    EXPECT_EQ(maps[1].start, 0x401000ul);
    EXPECT_EQ(maps[1].end, 0x753000ul);
    EXPECT_EQ(maps[1].rssKb, 3164u);
    EXPECT_EQ(maps[2].anonymousKb, 8u);
    std::vector<bool> dropped;
    for (const auto& m : maps) dropped.push_back(droppableText(m, 0xfe, 0, 77));
    // the ELF header and the text; not the RELRO page with relocated copies,
    // the data, a shared mapping, another file with the same inode, the heap
    EXPECT_EQ(dropped, (std::vector<bool>{true, true, false, false, false, false, false}));
}

int g_written = 41;

size_t textRssKb() {
    struct stat self;
    auto smaps = readFile("/proc/self/smaps");
    if (::stat("/proc/self/exe", &self) < 0 || !smaps) return 0;
    size_t total = 0;
    for (const auto& m : parseSmaps(*smaps))
        if (droppableText(m, major(self.st_dev), minor(self.st_dev), self.st_ino)) total += m.rssKb;
    return total;
}

TEST(ProgramText, TheRunningProgramLosesItsTextPagesAndRunsOnWithItsData) {
    g_written += 1;  // a private copy of a data page: it must survive
    size_t before = textRssKb();
    ASSERT_GT(before, 64u) << "the test program's text should be mapped in";
    auto dropped = dropProgramTextPages();
    ASSERT_TRUE(dropped) << dropped.error().message();
    EXPECT_GT(*dropped, before * 1024 / 2);
    size_t after = textRssKb();
    EXPECT_LT(after, before / 2) << "text RSS " << before << " kB before, " << after << " kB after";
    EXPECT_EQ(g_written, 42);
    // Code runs on (it faults back in from the page cache).
    EXPECT_EQ(std::to_string(12345), "12345");
}

// Maps every page of the text in again (as start-up did in the supervisor).
void mapAllText() {
    auto text = programText();
    ASSERT_TRUE(text);
    volatile unsigned char sum = 0;
    for (const auto& m : *text)
        for (unsigned long a = m.start; a < m.end; a += 4096) sum = sum + *reinterpret_cast<const unsigned char*>(a);
}

TEST(ProgramText, IdleReleaseWaitsForTheIdleSpellAndOnlyOncePerBurst) {
    mapAllText();
    IdleTextRelease idle(std::chrono::milliseconds(200));
    EXPECT_EQ(idle.timeoutMs(-1), -1) << "nothing ran yet: nothing to drop, no wake-up";
    EXPECT_EQ(idle.timeoutMs(50), 50);
    idle.touched();
    int t = idle.timeoutMs(-1);
    EXPECT_GT(t, 150);
    EXPECT_LE(t, 201);
    EXPECT_EQ(idle.timeoutMs(20), 20) << "an earlier deadline of the caller wins";
    size_t mapped = textRssKb();
    ASSERT_TRUE(idle.maybeRelease());
    EXPECT_GE(textRssKb(), mapped / 2) << "released before the idle spell was over";
    ::usleep(220 * 1000);
    ASSERT_TRUE(idle.maybeRelease());
    EXPECT_LT(textRssKb(), mapped / 2) << "not released after the idle spell";
    EXPECT_EQ(idle.timeoutMs(-1), -1) << "released: no more wake-ups until work is done again";
}

}  // namespace
}  // namespace xc
