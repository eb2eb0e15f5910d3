"""glibc malloc settings under which gRPC's receive buffers stay warm.

gRPC (C++ and grpcio alike) reads a response into 64 KiB buffers that it
frees once the message is consumed. With glibc's defaults the freed memory
is soon trimmed off the heap (as soon as 128 KiB are free at its top), so
every message faults its buffers in anew: ~15 us per 4 KiB page, 15-30
thousand faults per 200 MB call. The settings here fix from the start
thresholds like those glibc's own dynamic ones reach after large frees, at
half their maxima (mmap above 16 MiB, trim above 32 MiB: more kept let peak
RSS grow call after call), and one arena for all threads as in the C++
binaries (core/allocator.h), so that what gRPC's threads free is reused
warm by whichever thread reads next: after the first calls, none fault.
Arrays of 16 MiB and more are still mapped and unmapped on their own.
"""

import ctypes
import platform

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8


def keep_receive_buffers_warm():
    if platform.libc_ver()[0] != "glibc":
        return
    libc = ctypes.CDLL(None)
    libc.mallopt(_M_MMAP_THRESHOLD, 16 << 20)
    libc.mallopt(_M_TRIM_THRESHOLD, 32 << 20)
    libc.mallopt(_M_ARENA_MAX, 1)
