// A small file system of a test's own on a loop device: an image file
// under /var/tmp, made by mkfs, attached with LOOP_CONFIGURE (autoclear,
// so the device goes with the mount) and mounted on a new directory.
// Everything goes when the object does, also after a failed assertion.
#pragma once

#include <string>
#include <vector>

namespace xcit {

class LoopFs {
public:
    LoopFs() = default;
    LoopFs(const LoopFs&) = delete;
    LoopFs& operator=(const LoopFs&) = delete;
    ~LoopFs() { remove(); }

    // An image of `bytes`, `mkfs` (its argv, the image path appended) run
    // on it, mounted as `type`. "" on success, else what failed.
    std::string make(const std::string& type, const std::vector<std::string>& mkfs, long long bytes);
    // Unmounts and removes the image and the mount point; false if the
    // unmount failed (something is left mounted).
    bool remove();

    const std::string& dir() const { return mnt_; }
    bool mounted() const { return mounted_; }

private:
    std::string mnt_, image_;
    bool mounted_ = false;
};

}  // namespace xcit
