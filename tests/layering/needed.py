#!/usr/bin/env python3
"""Checks what the built ELF files ask the loader for (their DT_NEEDED):

  - libxc.so needs none of the image libraries (libcurl, libarchive,
    libcrypto, libssl): what loads libxc (the Python binding, programs built
    on xc.pc) would load ~50 shared objects instead of ~12;
  - xc-image is the tool that needs libxc-image.so;
  - every other tool is the one static binary xc-tools (a link to it): no
    program interpreter, nothing for the loader to do (bench/toolload.py).

Reads the ELF itself (64-bit little-endian, as built here), no binutils.
Usage: needed.py LIBXC TOOL... Exits 1 listing every violation."""
import os
import struct
import sys

IMAGE_LIBS = ("libcurl", "libarchive", "libcrypto", "libssl", "libgnutls")
PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NULL, DT_NEEDED, DT_STRTAB = 0, 1, 5


def program_headers(data):
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    return [struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize) for i in range(phnum)]


def is_static(path):
    """No program interpreter and no dynamic section."""
    with open(path, "rb") as f:
        data = f.read()
    return not any(h[0] in (PT_INTERP, PT_DYNAMIC) for h in program_headers(data))


def needed(path):
    """The DT_NEEDED names of an ELF file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError(f"{path}: not a 64-bit little-endian ELF file")
    loads, dynamic = [], None
    for p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz in program_headers(data):
        if p_type == PT_LOAD:
            loads.append((p_vaddr, p_offset, p_filesz))
        elif p_type == PT_DYNAMIC:
            dynamic = (p_offset, p_filesz)
    if dynamic is None:
        return []  # static

    def file_offset(vaddr):
        for v, off, size in loads:
            if v <= vaddr < v + size:
                return off + vaddr - v
        raise ValueError(f"{path}: address {vaddr:#x} is in no loaded segment")

    entries, strtab = [], None
    for pos in range(dynamic[0], dynamic[0] + dynamic[1], 16):
        tag, val = struct.unpack_from("<qQ", data, pos)
        if tag == DT_NULL:
            break
        if tag == DT_STRTAB:
            strtab = file_offset(val)
        entries.append((tag, val))
    if strtab is None:
        raise ValueError(f"{path}: a dynamic section without a string table")
    names = []
    for tag, val in entries:
        if tag == DT_NEEDED:
            end = data.index(b"\0", strtab + val)
            names.append(data[strtab + val:end].decode())
    return names


def main(argv):
    if len(argv) < 2:
        sys.exit("usage: needed.py LIBXC TOOL...")
    errors = []
    libxc = needed(argv[1])
    if not any(n.startswith("libstdc++") for n in libxc):
        errors.append(f"{argv[1]}: no libstdc++ among its DT_NEEDED {libxc}: is this libxc?")
    for n in libxc:
        if n.startswith(IMAGE_LIBS):
            errors.append(f"{argv[1]} needs {n}: the image libraries belong in libxc-image.so")
    for tool in argv[2:]:
        if os.path.basename(tool) != "xc-image":
            if not is_static(tool):
                errors.append(f"{tool} is dynamically linked: every tool but xc-image is a link to the static xc-tools")
            elif os.path.basename(os.path.realpath(tool)) != "xc-tools":
                errors.append(f"{tool} is not a link to xc-tools")
            continue
        # xc-image: the one tool that loads the image library, dynamically.
        if not any(n.startswith("libxc-image") for n in needed(tool)):
            errors.append(f"{tool} does not need libxc-image.so: is this xc-image?")
    for e in errors:
        print(e)
    if not errors:
        print(f"libxc needs {' '.join(libxc)}; {len(argv) - 2} tools checked")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
