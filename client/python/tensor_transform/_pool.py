"""Memory for results, reused warm once the arrays holding it are freed.

A new 200 MB result in fresh memory costs the kernel a page fault and the
zeroing of every page before the response can land in it: ~0.1 s with
transparent huge pages (NumPy's default for large arrays) on our 2-core
machine, as much as the rest of the call, and ~0.7 s with 4 KiB pages. The
C++ client reuses one result buffer; here the memory of a freed result goes
back to its Client's pool and the next result of the same size takes it.

A result array's memory belongs to an _Owner that the array and all of its
views keep alive; the memory returns to the pool only when the last of them
is gone, so a kept view never sees its data overwritten.
"""

import threading
import weakref

import numpy as np

POOL_FROM_BYTES = 8 << 20  # smaller results are plain np.empty arrays
_GRANULE = 2 << 20         # a huge page: sizes round up to it


class _Owner:
    """Exposes a pool block to NumPy; gives it back when freed."""

    def __init__(self, block, pool):
        self._block = block
        self._pool = weakref.ref(pool)
        self.__array_interface__ = {
            "shape": block.shape, "typestr": "|u1", "version": 3,
            "data": (block.ctypes.data, False)}

    def __del__(self):
        pool = self._pool()
        if pool is not None:
            pool.give_back(self._block)


class ResultPool:
    """Freed results' memory, at most `limit_bytes` of it kept, oldest
    dropped first. Thread-safe."""

    def __init__(self, limit_bytes):
        self._limit = limit_bytes
        self._free = []  # blocks (uint8 arrays), oldest first
        # Reentrant: a block can come back (an _Owner freed by the garbage
        # collector) while this thread holds the lock.
        self._lock = threading.RLock()

    def empty(self, shape, dtype):
        """An uninitialised C-contiguous array, from the pool if large."""
        dtype = np.dtype(dtype)
        nbytes = int(np.prod(shape)) * dtype.itemsize
        if nbytes < POOL_FROM_BYTES or nbytes > self._limit:
            return np.empty(shape, dtype)
        size = -(-nbytes // _GRANULE) * _GRANULE
        block = self._take(size)
        if block is None:
            block = np.empty(size, np.uint8)
        memory = np.asarray(_Owner(block, self))
        return memory[:nbytes].view(dtype).reshape(shape)

    def _take(self, size):
        with self._lock:
            for i, block in enumerate(self._free):
                if block.size == size:
                    return self._free.pop(i)
        return None

    def give_back(self, block):
        with self._lock:
            self._free.append(block)
            kept = sum(b.size for b in self._free)
            while kept > self._limit:
                kept -= self._free.pop(0).size

    def clear(self):
        with self._lock:
            self._free.clear()
