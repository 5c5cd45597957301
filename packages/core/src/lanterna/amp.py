"""``lanterna.amp`` (``torch.amp``): automatic mixed precision, accepted and run at full precision.

``autocast`` is a working context manager and decorator (``torch.is_autocast_enabled()`` reports
it), but it does not lower any op's precision: Lanterna has no bfloat16 arrays and computes each
op in the dtypes of its inputs. :class:`GradScaler` has PyTorch's full behaviour (scaling,
unscaling, skipping steps with inf/NaN gradients, growing and backing off the scale), so a
mixed-precision training loop runs unchanged and gives full-precision results.

>>> import lanterna as torch
>>> with torch.autocast("cpu"):
...     torch.is_autocast_enabled("cpu")
True
"""

from __future__ import annotations

import functools
import math
import types
import warnings

__all__ = ["GradScaler", "autocast", "custom_bwd", "custom_fwd", "is_autocast_available"]

_ENABLED: dict = {}  # device type -> whether an autocast region is active
_DTYPES: dict = {}  # device type -> the autocast dtype a region asked for


def _default_dtype(device_type):
    from . import _dtype

    return _dtype.bfloat16 if device_type == "cpu" else _dtype.float16


def is_autocast_available(device_type):
    from .backends.registry import REGISTRY

    return device_type in REGISTRY.backends


def is_autocast_enabled(device_type=None):
    return _ENABLED.get(device_type or "cuda", False)


def get_autocast_dtype(device_type):
    return _DTYPES.get(device_type, _default_dtype(device_type))


def _available(device_type):
    import lanterna

    return device_type == "cpu" or getattr(lanterna, device_type).is_available()


class autocast:
    """``torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None)``.

    Deviation: ops inside the region keep their inputs' dtypes (no float16/bfloat16 casts).
    """

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if enabled and not _available(device_type):
            warnings.warn(f"User provided device_type of '{device_type}', but {device_type.upper()} is not "
                          "available. Disabling", stacklevel=2)
            enabled = False
        self.device = device_type
        self.fast_dtype = _default_dtype(device_type) if dtype is None else dtype
        self._enabled = bool(enabled)

    def __enter__(self):
        self._prev = (_ENABLED.get(self.device, False), _DTYPES.get(self.device))
        _ENABLED[self.device] = self._enabled
        _DTYPES[self.device] = self.fast_dtype
        return self

    def __exit__(self, *exc):
        _ENABLED[self.device], dtype = self._prev
        if dtype is None:
            _DTYPES.pop(self.device, None)
        else:
            _DTYPES[self.device] = dtype
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__.__new__(self.__class__)._copy(self):
                return func(*args, **kwargs)

        return wrapper

    def _copy(self, other):
        self.device, self.fast_dtype, self._enabled = other.device, other.fast_dtype, other._enabled
        return self


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorator for ``autograd.Function.forward``: accepted, returns the function unchanged."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    return fwd


def custom_bwd(bwd=None, *, device_type):
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd


_READY, _UNSCALED, _STEPPED = 0, 1, 2


class GradScaler:
    """``torch.amp.GradScaler``: PyTorch's dynamic loss scaling (see the module docstring)."""

    def __init__(self, device="cuda", init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        self._device = device
        if enabled and not _available(device):
            warnings.warn(f"torch.{device}.amp.GradScaler is enabled, but {device.upper()} is not available.  "
                          "Disabling.", stacklevel=2)
            enabled = False
        self._enabled = enabled
        if enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
        self._init_scale, self._scale = init_scale, None
        self._growth_factor, self._backoff_factor = growth_factor, backoff_factor
        self._growth_interval, self._init_growth_tracker, self._growth_tracker = growth_interval, 0, None
        self._per_optimizer_states: dict = {}

    def is_enabled(self):
        return self._enabled

    def _lazy_init(self):
        if self._scale is None:
            self._scale = float(self._init_scale)
            self._growth_tracker = self._init_growth_tracker

    def _state(self, optimizer):
        return self._per_optimizer_states.setdefault(id(optimizer), {"stage": _READY, "found_inf": None})

    def scale(self, outputs):
        """Multiply a tensor (or the tensors of a list, tuple or dict) by the scale factor."""
        if not self._enabled:
            return outputs
        self._lazy_init()
        from ._tensor import Tensor

        def apply(value):
            if isinstance(value, Tensor):
                return value * self._scale
            if isinstance(value, (list, tuple)):
                return type(value)(apply(v) for v in value)
            if isinstance(value, dict):
                return {k: apply(v) for k, v in value.items()}
            raise ValueError("outputs must be a Tensor or an iterable of Tensors")

        return apply(outputs)

    def unscale_(self, optimizer):
        """Divide the optimizer's gradients by the scale, in place, and record whether any is inf/NaN."""
        if not self._enabled:
            return
        if self._scale is None:
            raise AssertionError("Attempted unscale_ but _scale is None.  This may indicate your script did "
                                 "not use scaler.scale(loss or outputs) earlier in the iteration.")
        state = self._state(optimizer)
        if state["stage"] is _UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")
        if state["stage"] is _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        import lanterna

        inv_scale = float(lanterna.tensor(1.0 / self._scale, dtype=lanterna.float32))
        found = False
        with lanterna.no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    if not bool(lanterna.isfinite(p.grad).all()):
                        found = True
                    p.grad.mul_(inv_scale)
        state["found_inf"] = found
        state["stage"] = _UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """``optimizer.step()`` unless the (unscaled) gradients hold an inf or NaN; returns its result."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        state = self._state(optimizer)
        if state["stage"] is _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] is _READY:
            self.unscale_(optimizer)
        result = None if state["found_inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = _STEPPED
        return result

    def update(self, new_scale=None):
        """Back the scale off after a skipped step, grow it after ``growth_interval`` good ones."""
        if not self._enabled:
            return
        self._lazy_init()
        if new_scale is not None:
            self._scale = float(new_scale)
        else:
            found = [s["found_inf"] for s in self._per_optimizer_states.values() if s["found_inf"] is not None]
            if not found:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(found):
                self._scale *= self._backoff_factor
                self._growth_tracker = 0
            else:
                successful = self._growth_tracker + 1
                if successful == self._growth_interval:
                    grown = self._scale * self._growth_factor
                    if math.isfinite(grown):
                        self._scale = grown
                    successful = 0
                self._growth_tracker = successful
        self._per_optimizer_states = {}

    def get_scale(self):
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else self._scale

    def get_growth_factor(self):
        return self._growth_factor

    def set_growth_factor(self, new_factor):
        self._growth_factor = new_factor

    def get_backoff_factor(self):
        return self._backoff_factor

    def set_backoff_factor(self, new_factor):
        self._backoff_factor = new_factor

    def get_growth_interval(self):
        return self._growth_interval

    def set_growth_interval(self, new_interval):
        self._growth_interval = new_interval

    def state_dict(self):
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._init_growth_tracker if self._growth_tracker is None else self._growth_tracker}

    def load_state_dict(self, state_dict):
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved from a disabled "
                               "instance of GradScaler.")
        self._init_scale = float(state_dict["scale"])
        self._scale = self._init_scale
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._init_growth_tracker = self._growth_tracker = int(state_dict["_growth_tracker"])


def device_amp(device_type):
    """The ``torch.<device>.amp`` module: ``autocast`` and ``GradScaler`` bound to ``device_type``."""
    mod = types.ModuleType(f"lanterna.{device_type}.amp", f"``torch.{device_type}.amp``: see lanterna.amp.")

    class _autocast(autocast):
        def __init__(self, enabled=True, dtype=None, cache_enabled=True):
            super().__init__(device_type, dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)

    class _GradScaler(GradScaler):
        def __init__(self, init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                     enabled=True):
            super().__init__(device_type, init_scale, growth_factor, backoff_factor, growth_interval, enabled)

    _autocast.__name__ = _autocast.__qualname__ = "autocast"
    _GradScaler.__name__ = _GradScaler.__qualname__ = "GradScaler"
    mod.autocast, mod.GradScaler = _autocast, _GradScaler
    mod.custom_fwd = functools.partial(custom_fwd, device_type=device_type)
    mod.custom_bwd = functools.partial(custom_bwd, device_type=device_type)
    return mod
