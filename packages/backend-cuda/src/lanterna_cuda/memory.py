"""GPU memory statistics for ``lanterna.cuda.memory_allocated`` and friends, from CuPy's pool.

CuPy keeps no peak statistics, so a CuPy memory hook counts bytes handed out and given back by
the default memory pool and records the high-water mark. The hook is installed when the CUDA
backend loads, in the thread that loads it (CuPy's hooks are per thread): allocations made by
other threads are not counted in the peak.
"""

from __future__ import annotations


class MemoryStats:
    """Allocated/reserved bytes per device, current and peak."""

    def __init__(self, cupy):
        self._cupy = cupy
        self.allocated: dict = {}
        self.peak_allocated: dict = {}
        self.peak_reserved: dict = {}
        self._hook = _make_hook(cupy, self)
        self._hook.__enter__()  # stays active for the life of the process

    def _pool(self):
        return self._cupy.get_default_memory_pool()

    def _on_malloc(self, device_id, mem_size):
        n = self.allocated.get(device_id, 0) + mem_size
        self.allocated[device_id] = n
        if n > self.peak_allocated.get(device_id, 0):
            self.peak_allocated[device_id] = n

    def _on_free(self, device_id, mem_size):
        self.allocated[device_id] = max(self.allocated.get(device_id, 0) - mem_size, 0)

    def _on_alloc(self, device_id):
        total = self._pool().total_bytes()  # (called while allocating on device_id: the current one)
        if total > self.peak_reserved.get(device_id, 0):
            self.peak_reserved[device_id] = total

    def memory_allocated(self, index):
        with self._cupy.cuda.Device(index):
            return int(self._pool().used_bytes())

    def max_memory_allocated(self, index):
        return max(self.peak_allocated.get(index, 0), self.memory_allocated(index))

    def memory_reserved(self, index):
        with self._cupy.cuda.Device(index):
            return int(self._pool().total_bytes())

    def max_memory_reserved(self, index):
        return max(self.peak_reserved.get(index, 0), self.memory_reserved(index))

    def reset_peak(self, index):
        self.allocated[index] = self.memory_allocated(index)
        self.peak_allocated[index] = self.allocated[index]
        self.peak_reserved[index] = self.memory_reserved(index)

    def empty_cache(self):
        self._pool().free_all_blocks()
        self._cupy.get_default_pinned_memory_pool().free_all_blocks()


def _make_hook(cupy, stats):
    from cupy.cuda import memory_hook

    class _PeakHook(memory_hook.MemoryHook):
        name = "lanterna_peak_memory"

        def malloc_postprocess(self, device_id, size, mem_size, mem_ptr, pmem_id):
            if mem_ptr:
                stats._on_malloc(device_id, mem_size)

        def free_postprocess(self, device_id, mem_size, mem_ptr, pmem_id):
            stats._on_free(device_id, mem_size)

        def alloc_postprocess(self, device_id, mem_size, mem_ptr):
            if mem_ptr:
                stats._on_alloc(device_id)

    return _PeakHook()
