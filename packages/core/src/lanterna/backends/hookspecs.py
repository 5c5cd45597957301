"""Every hook a Lanterna plugin can implement, in one place (like pytest's ``hookspec.py``).

A plugin is a module listed under the ``lanterna.backends`` entry-point group. Core loads the
group once, at ``import lanterna``, and calls these hooks on every plugin, its own CPU backend
included. Hooks are for discovery and registration only; no hook is ever called per op.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("lanterna")


@hookspec
def lanterna_register_backends(registry) -> None:
    """Register the device backends this plugin provides.

    Called once per plugin while ``import lanterna`` runs, before any kernel registration.
    Call ``registry.register_backend(backend)`` with one :class:`lanterna.backends.Backend` per
    device type. Registering a device name that another plugin already registered is an error
    that names both plugins.

    :param registry: the :class:`lanterna.backends.Registry` to register into.
    """


@hookspec
def lanterna_register_kernels(registry) -> None:
    """Register or override named kernels for an existing device type.

    Called once per plugin after every plugin's ``lanterna_register_backends``, so a plugin may
    accelerate a device that another plugin defines (or the built-in CPU device) without
    defining a device of its own. Call ``registry.register_kernel(device_type, name, fn)``.

    :param registry: the :class:`lanterna.backends.Registry` to register into.
    """


@hookspec
def lanterna_register_comm_backends(registry) -> None:
    """Register communication backends for ``lanterna.distributed`` (e.g. ``mpi``, ``nccl``).

    Called lazily, the first time ``lanterna.distributed`` needs its list of communication
    backends. Call ``registry.register_comm_backend(name, factory, devices)``.

    :param registry: the :class:`lanterna.backends.Registry` to register into.
    """
