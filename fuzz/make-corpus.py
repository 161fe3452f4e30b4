#!/usr/bin/env python3
"""Write the fuzzer's seed corpus (fuzz/corpus/) in its input encoding.

Each seed is a short, meaningful sequence (see fuzz_ioctl.c for the
decoding); libFuzzer mutates from there. Run from anywhere:
    python3 fuzz/make-corpus.py
"""
import os
import struct

OP = {"bo_create": 0, "gem_close": 1, "vm_create": 2, "vm_destroy": 3, "vm_bind": 4,
      "mmap": 6, "munmap": 7, "touch": 8, "syncobj": 9, "misc": 10, "raw": 11, "gpu": 12,
      "shrink": 13, "fault": 14, "group": 15, "prime": 16}
# Indices into fuzz_ioctl.c's tables.
SIZE = {"4K": 1, "8K": 2, "64K": 4, "1M": 5, "2M": 6, "2M+4K": 7, "4M": 8, "unaligned": 10}
VA = {"0": 0, "2M": 2, "16M": 3, "32M": 4, "64M": 5, "kernel": 8, "512M": 12, "256M": 14}
TYPE = {"map": 0, "unmap": 1, "sync_only": 2, "sparse": 3, "map_ro": 4, "map_nx_uc": 5}


def op(name, f=0):
    return bytes([(OP[name] << 1) | f])


def vm_create(f=0):
    return op("vm_create", f) + bytes([0])


def bo_create(size, f=0):
    return op("bo_create", f) + bytes([SIZE[size], 0])


def bind(vm, ops, f=0, async_=False):
    """ops: list of (type, bo, va, va_pages, size[, syncs]); syncs: list of (flag_idx, handle)."""
    sel = len(ops) | (0x80 if async_ else 0)
    out = op("vm_bind", f) + bytes([sel, vm])
    for o in ops:
        t, bo, va, pages, size = o[:5]
        tb = TYPE[t] | (0x80 if bo and t != "map" else 0)
        out += bytes([tb])
        if t == "map" or tb & 0x80:
            out += bytes([bo])
        out += bytes([VA[va], pages, SIZE[size]])
        if async_:
            syncs = o[5] if len(o) > 5 else []
            out += bytes([len(syncs)])
            for fl, h in syncs:
                out += bytes([fl, h])
    return out


def mmap(bo, pages, f=0):
    return op("mmap", f) + bytes([bo, pages - 1, 0])


def touch(idx, off, write=True):
    return op("touch") + bytes([idx]) + struct.pack("<I", off) + bytes([1 if write else 0])


def gpu(vm, va, pages, write=False, value=0x1234, f=0):
    v = (value << 1) | (1 if write else 0)
    return op("gpu", f) + bytes([vm, VA[va], pages, 0]) + struct.pack("<Q", v)


SEEDS = {
    "group-submit": vm_create() + bo_create("4K") + bind(1, [("map", 1, "32M", 0, "4K")])
    + op("syncobj") + bytes([0])
    + op("group") + bytes([0, 1, 0, 1])
    + op("group") + bytes([1, 0, VA["32M"], 0, 3, 1, 1, 3, 1])
    + op("syncobj") + bytes([4, 1, 0, 1, 2])
    + op("group") + bytes([3, 1]) + op("group") + bytes([2, 1]),
    "prime-across-files": bo_create("2M") + vm_create(1)
    + op("prime") + bytes([1, 1]) + op("prime", 1) + bytes([0, 0])
    + bind(1, [("map", 1, "64M", 0, "2M")], f=1) + gpu(1, "64M", 1, f=1),
    "bo-map-mmap-touch": vm_create() + bo_create("2M") + bind(1, [("map", 1, "32M", 0, "2M")])
    + mmap(1, 2) + touch(0, 100) + gpu(1, "32M", 0) + bind(1, [("unmap", 0, "32M", 0, "2M")])
    + op("munmap") + bytes([0, 1]) + op("gem_close") + bytes([1]),
    "sparse-two-files": vm_create(0) + vm_create(1)
    + bind(1, [("sparse", 0, "512M", 0, "4M")], f=0) + bind(1, [("sparse", 0, "512M", 0, "4M")], f=1)
    + gpu(1, "512M", 3, write=True, f=0) + gpu(1, "512M", 3, f=1)
    + bo_create("1M", 0) + bind(1, [("map", 1, "512M", 16, "1M")], f=0),
    "async-bind-syncobj": op("syncobj") + bytes([0]) + vm_create() + bo_create("4M")
    + bind(1, [("map", 1, "64M", 0, "4M", [(0, 1)])], async_=True)
    + op("syncobj") + bytes([4, 1, 0, 1, 2])
    + bind(1, [("unmap", 0, "64M", 2, "1M", [(1, 1)])], async_=True),
    "evict-restore": vm_create() + bo_create("4M") + bind(1, [("map", 1, "16M", 0, "4M")])
    + gpu(1, "16M", 5, write=True) + op("shrink") + bytes([255, 1]) + gpu(1, "16M", 5)
    + op("shrink") + bytes([255, 1]) + op("vm_destroy") + bytes([1]),
    "fault-injected-bind": vm_create() + bo_create("2M+4K") + op("fault") + bytes([3])
    + bind(1, [("map", 1, "2M", 0, "2M+4K")]) + op("fault") + bytes([0x81])
    + bind(1, [("map", 1, "2M", 0, "2M+4K")]) + gpu(1, "2M", 0),
    "multi-op-split": vm_create() + bo_create("4M") + bo_create("2M")
    + bind(1, [("map", 1, "32M", 0, "4M"), ("map", 2, "32M", 4, "1M"),
               ("unmap", 0, "32M", 40, "8K"), ("map_ro", 2, "256M", 0, "2M")]),
    "syncobj-file-roundtrip": op("syncobj") + bytes([0x50]) + op("syncobj") + bytes([7, 1, 1])
    + op("syncobj") + bytes([0]) + op("syncobj") + bytes([8, 2, 1, 0])
    + op("syncobj") + bytes([5 | 0x20, 1, 0, 2, 0, 2]),
    "exclusive-and-kernel-va": vm_create() + vm_create()
    + op("bo_create") + bytes([SIZE["2M"], 0x10, 2])
    + bind(1, [("map", 1, "32M", 0, "2M")]) + bind(2, [("map", 1, "kernel", 0, "2M")])
    + bind(2, [("map", 1, "32M", 0, "2M")]),
    "raw-ioctls": op("raw") + bytes([16, 24]) + bytes(range(24)) + op("raw") + bytes([20, 8, 5, 0, 0, 0, 0, 0, 0, 0])
    + op("misc") + bytes([3, 0, 0xc0, 2]) + op("misc") + bytes([0, 1, 2]),
}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"{len(SEEDS)} seeds written")


if __name__ == "__main__":
    main()
