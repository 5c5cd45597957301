"""``lanterna.cuda.*`` functions beyond the ones every device module has.

(``is_available``, ``device_count``, ``current_device``, ``set_device``, ``synchronize``,
``manual_seed`` and ``manual_seed_all`` come from core's device module and call the Backend.)
Memory functions answer 0 and ``empty_cache`` does nothing until CUDA has been used, as in
PyTorch.
"""

from __future__ import annotations


def functions(backend) -> dict:
    def _index(device=None):
        if device is None:
            return backend.current_device()
        from .backend import _index as index_of

        return index_of(device)

    def _stats():
        return backend._memory  # None until CuPy is loaded

    def memory_allocated(device=None):
        """Bytes held by tensors on ``device`` (CuPy's memory pool, in use)."""
        s = _stats()
        return 0 if s is None else s.memory_allocated(_index(device))

    def max_memory_allocated(device=None):
        """Peak of :func:`memory_allocated` since start or ``reset_peak_memory_stats``."""
        s = _stats()
        return 0 if s is None else s.max_memory_allocated(_index(device))

    def memory_reserved(device=None):
        """Bytes CuPy's memory pool holds on ``device`` (in use or cached)."""
        s = _stats()
        return 0 if s is None else s.memory_reserved(_index(device))

    def max_memory_reserved(device=None):
        s = _stats()
        return 0 if s is None else s.max_memory_reserved(_index(device))

    def reset_peak_memory_stats(device=None):
        s = _stats()
        if s is not None:
            s.reset_peak(_index(device))

    def empty_cache():
        """Give cached, unused GPU memory back to the driver (CuPy's pools)."""
        s = _stats()
        if s is not None:
            s.empty_cache()

    def mem_get_info(device=None):
        """``(free, total)`` bytes of the device, from the driver."""
        cp = backend.cupy
        with cp.cuda.Device(_index(device)):
            return cp.cuda.runtime.memGetInfo()

    def get_device_properties(device=None):
        cp = backend.cupy
        return _Properties(cp.cuda.runtime.getDeviceProperties(_index(device)))

    def get_device_name(device=None):
        """The GPU's name, e.g. ``'NVIDIA H100 80GB HBM3'``."""
        return get_device_properties(device).name

    def get_device_capability(device=None):
        p = get_device_properties(device)
        return (p.major, p.minor)

    class device:
        """``with lanterna.cuda.device(1):`` runs the block with GPU 1 as the current device."""

        def __init__(self, device):
            self.idx = -1 if device is None else _index(device)
            self._prev = None

        def __enter__(self):
            if self.idx >= 0:
                self._prev = backend.current_device()
                backend.set_device(self.idx)
            return self

        def __exit__(self, *exc):
            if self._prev is not None:
                backend.set_device(self._prev)
            return False

    return {
        "memory_allocated": memory_allocated, "max_memory_allocated": max_memory_allocated,
        "memory_reserved": memory_reserved, "max_memory_reserved": max_memory_reserved,
        "memory_cached": memory_reserved, "reset_peak_memory_stats": reset_peak_memory_stats,
        "reset_max_memory_allocated": reset_peak_memory_stats, "empty_cache": empty_cache,
        "mem_get_info": mem_get_info, "get_device_properties": get_device_properties,
        "get_device_name": get_device_name, "get_device_capability": get_device_capability,
        "device": device, "is_bf16_supported": lambda including_emulation=True: False,
        "unavailable_reason": backend.unavailable_reason,
    }


class _Properties:
    """The few fields of ``torch.cuda.get_device_properties`` people read."""

    def __init__(self, props):
        name = props["name"]
        self.name = name.decode() if isinstance(name, bytes) else str(name)
        self.major = int(props["major"])
        self.minor = int(props["minor"])
        self.total_memory = int(props["totalGlobalMem"])
        self.multi_processor_count = int(props["multiProcessorCount"])

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // (1 << 20)}MB, "
                f"multi_processor_count={self.multi_processor_count})")
