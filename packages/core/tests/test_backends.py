"""The backend registry: plugin discovery, failures that only warn, duplicates, the autoload
switch, clear errors for missing or unavailable devices, and a cheap hot path.

Plugins here are in-process fakes: modules built on the fly, served by a monkeypatched
``registry._iter_entry_points``; a few subprocess tests use a real (temporary) distribution.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest

import lanterna
from lanterna.backends import (
    AUTOLOAD_ENV,
    Backend,
    BackendUnavailable,
    DuplicateDeviceError,
    PluginWarning,
    Registry,
    hookimpl,
)
from lanterna.backends import registry as registry_mod
from lanterna.backends.registry import EntryPoint, load_plugins


# ---- fakes ---------------------------------------------------------------------------------
class FakeBackend(Backend):
    """A NumPy-backed device under another name."""

    def __init__(self, name, available=True):
        super().__init__()
        self.name = name
        self._available = available

    def is_available(self):
        return self._available

    def unavailable_reason(self):
        return f"the '{self.name}' device needs the fake driver"

    def load_xp(self):
        return np

    def from_numpy(self, array, index):
        return np.array(array)

    def to_numpy(self, array):
        return np.array(array)


def plugin_module(name, *, device=None, raise_in=None, kernels=None):
    """A plugin module registering ``device`` (and kernels), optionally raising in a hook."""
    mod = types.ModuleType(name)

    @hookimpl
    def lanterna_register_backends(registry):
        if device:
            registry.register_backend(FakeBackend(device))
        if raise_in == "backends":
            raise ValueError(f"{name} is broken")

    @hookimpl
    def lanterna_register_kernels(registry):
        for (dev, kname), fn in (kernels or {}).items():
            registry.register_kernel(dev, kname, fn)
        if raise_in == "kernels":
            raise ValueError(f"{name} kernels are broken")

    mod.lanterna_register_backends = lanterna_register_backends
    mod.lanterna_register_kernels = lanterna_register_kernels
    return mod


class FakeEntryPoint:
    def __init__(self, name, module=None, error=None):
        self.name, self.value, self.dist = name, f"{name}_pkg.plugin", f"{name}-pkg"
        self._module, self._error = module, error

    def load(self):
        if self._error is not None:
            raise self._error
        return self._module


@pytest.fixture
def fake_plugins(monkeypatch):
    """Serve the given fake entry points to ``load_plugins``; return a loader for a fresh registry."""
    monkeypatch.delenv(AUTOLOAD_ENV, raising=False)

    def load(*eps):
        monkeypatch.setattr(registry_mod, "_iter_entry_points", lambda group=None: list(eps))
        reg = load_plugins(Registry())
        reg.plugin_manager.check_pending()  # every hookimpl matches a hookspec
        return reg

    return load


# ---- discovery and failures ------------------------------------------------------------------
def test_cpu_and_a_plugin_device_register(fake_plugins):
    reg = fake_plugins(FakeEntryPoint("good", plugin_module("good", device="fake")))
    assert set(reg.backends) == {"cpu", "fake"}
    assert reg.owner("fake") == "good" and reg.owner("cpu") == "cpu"
    assert reg.get("fake").name == "fake"


def test_plugin_failing_at_import_warns_naming_it_and_others_still_load(fake_plugins):
    with pytest.warns(PluginWarning, match=r"plugin 'broken' \(broken_pkg.plugin, from distribution "
                                           r"'broken-pkg'\) failed to import: ImportError\('no numpy 3'\)"):
        reg = fake_plugins(FakeEntryPoint("broken", error=ImportError("no numpy 3")),
                           FakeEntryPoint("good", plugin_module("good", device="fake")))
    assert set(reg.backends) == {"cpu", "fake"}


def test_plugin_failing_in_registration_warns_and_is_rolled_back(fake_plugins):
    with pytest.warns(PluginWarning, match="plugin 'bad' failed in lanterna_register_backends: "
                                           "ValueError\\('bad is broken'\\)"):
        reg = fake_plugins(FakeEntryPoint("bad", plugin_module("bad", device="half", raise_in="backends")),
                           FakeEntryPoint("good", plugin_module("good", device="fake")))
    assert "half" not in reg.backends  # what it registered before raising is undone
    assert set(reg.backends) == {"cpu", "fake"}


def test_plugin_failing_in_kernel_registration_only_warns(fake_plugins):
    with pytest.warns(PluginWarning, match="plugin 'k' failed in lanterna_register_kernels"):
        reg = fake_plugins(FakeEntryPoint("k", plugin_module("k", raise_in="kernels")))
    assert set(reg.backends) == {"cpu"}


def test_plugin_with_a_wrong_hook_signature_is_skipped_with_a_warning(fake_plugins):
    mod = types.ModuleType("wrong")

    @hookimpl
    def lanterna_register_backends(registry, extra):  # 'extra' is not in the hookspec
        raise AssertionError("must not be called")

    mod.lanterna_register_backends = lanterna_register_backends
    with pytest.warns(PluginWarning, match="plugin 'wrong' could not be registered"):
        reg = fake_plugins(FakeEntryPoint("wrong", mod))
    assert set(reg.backends) == {"cpu"}


def test_hookimpl_may_take_fewer_arguments_than_the_spec(fake_plugins):
    mod = types.ModuleType("noargs")
    calls = []

    @hookimpl
    def lanterna_register_backends():
        calls.append(1)

    mod.lanterna_register_backends = lanterna_register_backends
    fake_plugins(FakeEntryPoint("noargs", mod))
    assert calls == [1]


def test_two_plugins_claiming_one_device_error_naming_both(fake_plugins):
    with pytest.warns(PluginWarning, match="device 'twin' is registered twice: by plugin 'first' and "
                                           "by plugin 'second'"):
        reg = fake_plugins(FakeEntryPoint("first", plugin_module("first", device="twin")),
                           FakeEntryPoint("second", plugin_module("second", device="twin")))
    # import goes on (cpu works); using the ambiguous device is the error, naming both plugins
    assert "twin" not in reg.backends and "cpu" in reg.backends
    with pytest.raises(DuplicateDeviceError, match="by plugin 'first' and by plugin 'second'"):
        reg.get("twin")


def test_registering_a_device_twice_directly_raises():
    reg = Registry()
    reg.current_plugin = "a"
    reg.register_backend(FakeBackend("dev"))
    reg.current_plugin = "b"
    with pytest.raises(DuplicateDeviceError, match="by plugin 'a' and by plugin 'b'"):
        reg.register_backend(FakeBackend("dev"))


def test_a_backend_needs_a_name():
    with pytest.raises(ValueError, match="no device name"):
        Registry().register_backend(FakeBackend(""))


def test_kernel_only_plugin_overrides_a_cpu_kernel(fake_plugins):
    fn = lambda out, index, values: None  # noqa: E731
    reg = fake_plugins(FakeEntryPoint("fast", plugin_module("fast", kernels={("cpu", "index_add"): fn})))
    assert reg.backends["cpu"].kernels["index_add"] is fn


def test_kernel_for_an_unknown_device_warns(fake_plugins):
    with pytest.warns(PluginWarning, match="registers kernel 'k' for unknown device 'nowhere'"):
        fake_plugins(FakeEntryPoint("odd", plugin_module("odd", kernels={("nowhere", "k"): print})))


def test_autoload_switch_skips_entry_points(monkeypatch):
    def boom(group=None):
        raise AssertionError("entry points must not be read")

    monkeypatch.setattr(registry_mod, "_iter_entry_points", boom)
    monkeypatch.setenv(AUTOLOAD_ENV, "1")
    reg = load_plugins(Registry())
    assert set(reg.backends) == {"cpu"}


def test_comm_backends_load_lazily_once(fake_plugins):
    mod = types.ModuleType("comm")
    calls = []

    @hookimpl
    def lanterna_register_comm_backends(registry):
        calls.append(1)
        registry.register_comm_backend("fakecomm", object, devices=("cpu",))

    mod.lanterna_register_comm_backends = lanterna_register_comm_backends
    reg = fake_plugins(FakeEntryPoint("comm", mod))
    assert calls == []
    assert reg.load_comm_backends()["fakecomm"] == (object, ("cpu",))
    reg.load_comm_backends()
    assert calls == [1]


# ---- errors for missing and unavailable devices ----------------------------------------------
def test_unknown_device_names_the_package_that_provides_it():
    reg = load_plugins(Registry()) if False else Registry()
    reg.register_backend(FakeBackend("cpu"))
    with pytest.raises(BackendUnavailable, match="no backend for device type 'cuda': install the "
                                                 "'lanterna-cuda' package"):
        reg.get("cuda")
    with pytest.raises(RuntimeError, match="device type 'tpu9': install the plugin that provides it "
                                           r"\(registered devices: cpu\)"):
        reg.get("tpu9")


def test_unavailable_device_says_why_and_is_a_runtime_and_assertion_error():
    reg = Registry()
    reg.register_backend(FakeBackend("ghost", available=False))
    with pytest.raises(RuntimeError, match="needs the fake driver") as info:
        reg.get("ghost")
    assert isinstance(info.value, AssertionError)  # as PyTorch's "not compiled with CUDA"


def test_moving_to_a_device_without_plugin_is_one_clear_error():
    if "cuda" in lanterna.backends.REGISTRY.backends and lanterna.cuda.is_available():
        pytest.skip("a GPU is available here")
    with pytest.raises(RuntimeError, match="cuda") as info:
        lanterna.ones(2).cuda()
    assert "Traceback" not in str(info.value)


def test_xp_is_lazy_checked_and_then_a_plain_attribute():
    b = FakeBackend("lazy")
    assert "xp" not in b.__dict__
    assert b.xp is np
    assert b.__dict__["xp"] is np  # the hot path is an instance attribute lookup from now on
    with pytest.raises(BackendUnavailable, match="needs the fake driver"):
        FakeBackend("off", available=False).xp


def test_cpu_backend_hot_path():
    cpu = lanterna.backends.REGISTRY.backends["cpu"]
    assert cpu.__dict__["xp"] is np
    assert lanterna.ones(2)._backend is cpu


def test_base_generator_is_a_host_stream_per_index_seeded_like_the_cpu():
    b = FakeBackend("rngdev")
    b.manual_seed(7)
    lanterna.manual_seed(7)
    got = b.generator(0).normal((5,), np.float32)
    want = lanterna.randn(5).numpy()
    np.testing.assert_array_equal(got, want)
    assert b.generator(0) is b.generator(0)


def test_device_module_exposes_backend_module_functions(monkeypatch):
    b = FakeBackend("modtest")
    b.module_functions = lambda: {"answer": lambda: 42}
    monkeypatch.setitem(lanterna.backends.REGISTRY.backends, "modtest", b)
    from lanterna._lazy import DeviceModule

    mod = DeviceModule("modtest")
    assert mod.is_available() and mod.device_count() == 1 and mod.answer() == 42


# ---- entry point discovery ---------------------------------------------------------------------
def _write_dist(root, dist, version, group_lines):
    info = root / f"{dist}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "entry_points.txt").write_text(
        "[console_scripts]\nx = y:z\n\n[lanterna.backends]\n" + "\n".join(group_lines)
        + "\n\n[other]\na = b\n")
    return info


def test_entry_points_are_read_from_dist_info(tmp_path, monkeypatch):
    _write_dist(tmp_path / "a", "my_plugin", "1.0", ["mydev = my_plugin.plugin", "other = my_plugin.x:attr"])
    _write_dist(tmp_path / "b", "my_plugin", "0.9", ["shadowed = my_plugin.old"])  # later on the path
    monkeypatch.setattr(sys, "path", [str(tmp_path / "a"), str(tmp_path / "b"), str(tmp_path / "missing")])
    eps = registry_mod._iter_entry_points()
    assert [(e.name, e.value, e.dist) for e in eps] == [
        ("mydev", "my_plugin.plugin", "my-plugin"), ("other", "my_plugin.x:attr", "my-plugin")]


def test_entry_point_load_resolves_attributes():
    ep = EntryPoint("x", "lanterna.backends.registry:Registry")
    assert ep.load() is Registry


def test_installed_plugins_are_found():
    names = {e.name for e in registry_mod._iter_entry_points()}
    try:
        from importlib.metadata import entry_points
    except ImportError:  # pragma: no cover
        pytest.skip("no importlib.metadata")
    assert names == {e.name for e in entry_points(group="lanterna.backends")}


# ---- end to end: a real broken distribution, in a fresh interpreter ----------------------------
def _run(code, tmp_path, env_extra=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path)] + sys.path)
    env.pop(AUTOLOAD_ENV, None)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True,
                          text=True, timeout=60)


def test_import_lanterna_survives_a_broken_installed_plugin(tmp_path):
    _write_dist(tmp_path, "broken_plugin", "1.0", ["brokendev = broken_plugin_mod"])
    (tmp_path / "broken_plugin_mod.py").write_text("raise RuntimeError('this plugin is broken')\n")
    r = _run("import lanterna; print(sorted(lanterna.backends.REGISTRY.backends)); "
             "print(lanterna.ones(2).sum().item())", tmp_path)
    assert r.returncode == 0, r.stderr
    assert "PluginWarning" in r.stderr and "'brokendev'" in r.stderr and "this plugin is broken" in r.stderr
    assert "2.0" in r.stdout


def test_autoload_env_var_in_a_fresh_interpreter(tmp_path):
    _write_dist(tmp_path, "broken_plugin", "1.0", ["brokendev = broken_plugin_mod"])
    (tmp_path / "broken_plugin_mod.py").write_text("raise RuntimeError('imported')\n")
    r = _run("import lanterna; print(sorted(lanterna.backends.REGISTRY.backends))", tmp_path,
             {AUTOLOAD_ENV: "1"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "['cpu']" and "imported" not in r.stderr


def test_import_lanterna_imports_no_array_library_of_a_plugin(tmp_path):
    r = _run("import sys, lanterna; print(sorted(m for m in ('cupy', 'array_api_strict', "
             "'importlib.metadata') if m in sys.modules))", tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


# ---- pin_memory goes to the accelerator ---------------------------------------------------------
class FakeAccelerator(FakeBackend):
    is_accelerator = True

    def __init__(self):
        super().__init__("fakegpu")
        self.pinned = []

    def pin_memory(self, array):
        out = np.array(array)
        self.pinned.append(id(out))
        return out

    def is_pinned(self, array):
        return id(array) in self.pinned


def test_pin_memory_without_an_accelerator_raises_like_pytorch(monkeypatch):
    from lanterna.backends.registry import REGISTRY, accelerator

    for name, b in list(REGISTRY.backends.items()):
        if b.is_accelerator:
            monkeypatch.delitem(REGISTRY.backends, name)
    assert accelerator() is None
    x = lanterna.ones(3)
    assert not x.is_pinned()
    with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available"):
        x.pin_memory()


def test_pin_memory_uses_the_accelerator_backend(monkeypatch):
    from lanterna.backends.registry import REGISTRY, accelerator

    for name, b in list(REGISTRY.backends.items()):
        if b.is_accelerator:
            monkeypatch.delitem(REGISTRY.backends, name)
    gpu = FakeAccelerator()
    monkeypatch.setitem(REGISTRY.backends, "fakegpu", gpu)
    assert accelerator() is gpu and accelerator("fakegpu") is gpu
    x = lanterna.arange(4.0)
    p = x.pin_memory()
    assert p is not x and p.is_pinned() and not x.is_pinned() and lanterna.equal(p, x)
    assert p.pin_memory() is p  # already pinned
    with pytest.raises(RuntimeError, match="only dense CPU tensors can be pinned"):
        x.to("fakegpu").pin_memory()
