"""The op-test base: declare an op once, check it everywhere.

A test file per op family lists ``OpSpec``s (and ``ErrorSpec``s) and calls :func:`make_tests`,
which returns the test functions that pytest collects::

    SPECS = [
        OpSpec("exp", lambda T, x: T.exp(x), [arr(2, 3)], ref=np.exp),
        OpSpec("relu_kink", lambda T, x: T.relu(x), [np.array([-1.0, 0.0, 2.0], np.float32)],
               grad_expected=[[0.0, 0.0, 1.0]], grad=False),
    ]
    test_forward, test_gradcheck, test_gradgradcheck, test_errors = make_tests(SPECS, ERRORS)

``fn(T, *args)`` is written once against a module ``T``: ``lanterna`` here, ``torch`` in the oracle
tests (``test_ops_oracle.py``), which run the very same specs on PyTorch and compare values,
gradients, dtypes, shapes, ``grad_fn`` names and error messages.

For every spec and every available device the base checks:
- forward values against ``ref`` (a NumPy formula, run in float64) and/or literal ``expected``;
- gradients at chosen points against ``grad_expected`` (kinks: relu at 0, max with ties ...),
  with a gradient of ones flowing into every floating output.
On the CPU it also runs a float64 finite-difference ``gradcheck`` and a ``gradgradcheck`` (double
backward through ``create_graph``) of every floating output w.r.t. every floating array argument;
on every other device, the gradients (and second derivatives) must equal the CPU's. Backward
formulas are Tensor ops, the same on every device, so this keeps the suite fast with many devices.
"""

from __future__ import annotations

import numpy as np
import pytest

import lanterna
from lanterna.backends import REGISTRY

DEVICES = [name for name, b in REGISTRY.backends.items() if b.is_available()]


def arr(*shape, low=-2.0, high=2.0, seed=None, dtype=np.float32):
    """A deterministic random array (distinct values, no ties) of ``shape``.

    The seed defaults to one derived from the shape, so that specs are reproducible.
    """
    if seed is None:
        seed = 1 + sum((i + 3) * s for i, s in enumerate(shape))
    rng = np.random.default_rng(seed)
    a = rng.uniform(low, high, size=shape)
    if np.issubdtype(np.dtype(dtype), np.integer):
        return np.round(a).astype(dtype)
    return a.astype(dtype)


def iarr(*shape, low=0, high=5, seed=None, dtype=np.int64):
    """A deterministic random integer array in ``[low, high)``."""
    if seed is None:
        seed = 7 + sum((i + 5) * s for i, s in enumerate(shape))
    return np.random.default_rng(seed).integers(low, high, size=shape).astype(dtype)


class OpSpec:
    """One op under test: how to call it, on what, and what to expect.

    :param name: test id.
    :param fn: ``fn(T, *args)`` calls the op through module ``T`` (lanterna or torch).
    :param args: arguments; NumPy arrays become tensors (floating ones are differentiated),
        anything else is passed as is.
    :param ref: NumPy formula of the output(s), given the arrays in float64 (ints stay ints).
    :param expected: literal output value(s).
    :param grad_expected: expected gradient of each differentiated argument (a gradient of ones
        flows into each floating output) - for kinks, where finite differences are meaningless.
    :param grad, gradgrad: run the finite-difference checks (default: when anything is
        differentiable). Turn them off at kinks.
    :param grad_of: indices of the arguments to differentiate (default: floating arrays).
    :param atol, rtol: tolerances for values (float32) and for the oracle comparison.
    :param grad_fn: compare the output's ``grad_fn`` name with torch's (oracle).
    :param torch_fn: a different call for torch where the spelling differs (rare).
    """

    def __init__(self, name, fn, args, *, ref=None, expected=None, grad_expected=None, grad=None,
                 gradgrad=None, grad_of=None, atol=1e-5, rtol=1e-4, grad_fn=True, torch_fn=None,
                 oracle=True):
        self.name = name
        self.fn = fn
        self.args = list(args)
        self.ref = ref
        self.expected = expected
        self.grad_expected = grad_expected
        if grad_of is None:
            grad_of = [i for i, a in enumerate(self.args) if _is_float_array(a)]
        self.grad_of = list(grad_of)
        self.grad = bool(self.grad_of) if grad is None else grad
        self.gradgrad = self.grad if gradgrad is None else gradgrad
        self.atol = atol
        self.rtol = rtol
        self.grad_fn = grad_fn
        self.torch_fn = torch_fn or fn
        self.oracle = oracle

    def __repr__(self):
        return self.name

    # ---- building arguments --------------------------------------------------------------
    def make_args(self, T, device="cpu", float64=False, requires_grad=False):
        """The arguments as tensors of module ``T`` (lanterna or torch)."""
        out = []
        for i, a in enumerate(self.args):
            if isinstance(a, np.ndarray):
                a = a.astype(np.float64) if float64 and _is_float_array(a) else a.copy()
                if T is lanterna:
                    if a.dtype.name not in REGISTRY.backends[device].supported_dtypes:
                        pytest.skip(f"the '{device}' device does not hold {a.dtype.name}")
                    t = lanterna.tensor(a, device=device)
                else:
                    t = T.from_numpy(a)
                if requires_grad and i in self.grad_of:
                    t.requires_grad_(True)
                out.append(t)
            else:
                out.append(a)
        return out

    def float_outputs(self, T):
        """``fn`` restricted to its floating outputs (what gradients are taken of)."""

        def f(*args):
            outs = flatten(self.fn(T, *args))
            return tuple(o for o in outs if _is_tensor(o) and o.dtype.is_floating_point)

        return f


class ErrorSpec:
    """A call that must raise ``exc`` with a message matching the regex ``match`` - in lanterna
    and (oracle) in torch alike, so the pattern is checked against PyTorch's own text."""

    def __init__(self, name, fn, args=(), exc=RuntimeError, match=None, oracle=True):
        self.name = name
        self.fn = fn
        self.args = list(args)
        self.exc = exc
        self.match = match
        self.oracle = oracle

    def __repr__(self):
        return self.name

    def make_args(self, T, device="cpu"):
        return OpSpec.make_args(self, T, device)

    @property
    def grad_of(self):
        return []


def _is_float_array(a):
    return isinstance(a, np.ndarray) and a.dtype.kind == "f"


def _is_tensor(o):
    return hasattr(o, "dtype") and hasattr(o, "shape") and hasattr(o, "requires_grad")


def flatten(out):
    """Outputs as a flat list (tuples, lists and named tuples are unpacked)."""
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(flatten(o))
        return res
    return [out]


def to_numpy(o):
    if _is_tensor(o):
        return np.array(o.detach().cpu().numpy())
    return np.asarray(o)


def assert_close(actual, expected, atol, rtol, what=""):
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != expected {expected.shape}"
    if actual.dtype == bool or expected.dtype == bool:
        np.testing.assert_array_equal(actual, expected, err_msg=what)
    else:
        np.testing.assert_allclose(actual.astype(np.float64), expected.astype(np.float64), atol=atol,
                                   rtol=rtol, equal_nan=True, err_msg=what)


# ---- the checks ------------------------------------------------------------------------------
def check_forward(spec, device):
    args = spec.make_args(lanterna, device)
    try:
        outs = flatten(spec.fn(lanterna, *args))
    except NotImplementedError as e:
        if device == "cpu":
            raise
        pytest.skip(f"not supported on '{device}': {e}")
    for o in outs:
        if _is_tensor(o):
            assert o.device.type == device, f"output on {o.device}, expected {device}"
    if spec.ref is not None:
        np_args = [a.astype(np.float64) if _is_float_array(a) else a for a in spec.args]
        expected = flatten(spec.ref(*np_args))
        assert len(expected) == len(outs), f"{len(outs)} outputs, reference has {len(expected)}"
        for i, (o, e) in enumerate(zip(outs, expected)):
            assert_close(to_numpy(o), e, spec.atol, spec.rtol, f"output {i} vs formula")
    if spec.expected is not None:
        expected = spec.expected if isinstance(spec.expected, (tuple, list)) and len(outs) > 1 else [spec.expected]
        for i, (o, e) in enumerate(zip(outs, expected)):
            assert_close(to_numpy(o), np.asarray(e, dtype=to_numpy(o).dtype), spec.atol, spec.rtol,
                         f"output {i} vs expected")
    if spec.grad_expected is not None:
        grads = grads_of_ones(spec, lanterna, device)
        for i, (g, e) in zip(spec.grad_of, zip(grads, spec.grad_expected)):
            assert g is not None, f"no gradient reached argument {i}"
            assert_close(to_numpy(g), np.asarray(e), 1e-6, 1e-6, f"gradient of argument {i}")


def grads_of_ones(spec, T, device="cpu"):
    """Gradients of every differentiated argument when ones flow into each floating output."""
    args = spec.make_args(T, device, requires_grad=True)
    outs = spec.float_outputs(T)(*args)
    inputs = [args[i] for i in spec.grad_of]
    grads = T.autograd.grad(list(outs), inputs, grad_outputs=[T.ones_like(o) for o in outs],
                            allow_unused=True)
    return [g if g is not None else T.zeros_like(x) for g, x in zip(grads, inputs)]


def check_gradcheck(spec, device):
    args = spec.make_args(lanterna, device, float64=True, requires_grad=True)
    assert lanterna.autograd.gradcheck(spec.float_outputs(lanterna), tuple(args))


def check_gradgradcheck(spec, device):
    args = spec.make_args(lanterna, device, float64=True, requires_grad=True)
    assert lanterna.autograd.gradgradcheck(spec.float_outputs(lanterna), tuple(args))


def check_gradients_match_cpu(spec, device):
    """First and second derivatives on ``device`` equal the CPU's (float64, random weights)."""
    results = []
    for dev in ("cpu", device):
        args = spec.make_args(lanterna, dev, float64=True, requires_grad=True)
        try:
            outs = spec.float_outputs(lanterna)(*args)
        except NotImplementedError as e:
            pytest.skip(f"not supported on '{device}': {e}")
        inputs = [args[i] for i in spec.grad_of]
        rng = np.random.default_rng(0)
        gos = [lanterna.tensor(rng.standard_normal(tuple(o.shape)), device=dev) for o in outs]
        grads = lanterna.autograd.grad(list(outs), inputs, gos, create_graph=spec.gradgrad, allow_unused=True)
        row = [to_numpy(g) if g is not None else None for g in grads]
        if spec.gradgrad:
            live = [(g, x) for g, x in zip(grads, inputs) if g is not None and g.requires_grad]
            if live:
                second = lanterna.autograd.grad([g.sum() for g, _ in live], [x for _, x in live],
                                                allow_unused=True)
                row += [to_numpy(g) if g is not None else None for g in second]
        results.append(row)
    for i, (c, d) in enumerate(zip(*results)):
        assert (c is None) == (d is None), f"gradient {i}: present on one device only"
        if c is not None:
            assert_close(d, c, 1e-9, 1e-7, f"gradient {i} on '{device}' vs cpu")


def check_error(spec, device):
    args = spec.make_args(lanterna, device)
    with pytest.raises(spec.exc, match=spec.match):
        spec.fn(lanterna, *args)


# ---- the oracle ------------------------------------------------------------------------------
def check_against_torch(spec, torch):
    """Run ``spec`` in lanterna and torch on the same inputs; compare everything observable."""
    if isinstance(spec, ErrorSpec):
        with pytest.raises(spec.exc, match=spec.match):
            spec.fn(torch, *spec.make_args(torch))
        return
    largs = spec.make_args(lanterna, requires_grad=True)
    targs = spec.make_args(torch, requires_grad=True)
    lout = spec.fn(lanterna, *largs)
    tout = spec.torch_fn(torch, *targs)
    if type(tout).__module__ == "torch.return_types":
        assert repr(type(lout).__name__) == repr(type(tout).__name__), "return type differs"
    louts, touts = flatten(lout), flatten(tout)
    assert len(louts) == len(touts), f"{len(louts)} outputs, torch has {len(touts)}"
    for i, (lo, to) in enumerate(zip(louts, touts)):
        if not _is_tensor(to):
            assert type(lo) is type(to) and lo == to, f"output {i}: {lo!r} != torch {to!r}"
            continue
        assert _is_tensor(lo), f"output {i} is {type(lo).__name__}, torch gives a tensor"
        assert repr(lo.dtype) == str(to.dtype), f"output {i}: dtype {lo.dtype} != torch {to.dtype}"
        assert tuple(lo.shape) == tuple(to.shape), f"output {i}: shape {tuple(lo.shape)} != {tuple(to.shape)}"
        assert_close(to_numpy(lo), to_numpy(to), spec.atol, spec.rtol, f"output {i} vs torch")
        assert lo.requires_grad == to.requires_grad, f"output {i}: requires_grad differs from torch"
        if spec.grad_fn and to.grad_fn is not None:
            assert lo.grad_fn is not None and lo.grad_fn.name() == to.grad_fn.name(), \
                f"output {i}: grad_fn {lo.grad_fn and lo.grad_fn.name()} != torch {to.grad_fn.name()}"
    if not spec.grad_of:
        return
    lf = [o for o in louts if _is_tensor(o) and o.requires_grad]
    tf = [o for o in touts if _is_tensor(o) and o.requires_grad]
    if not tf:
        return
    rng = np.random.default_rng(0)
    gos = [rng.standard_normal(tuple(o.shape)).astype(to_numpy(o).dtype) for o in tf]
    lg = lanterna.autograd.grad(lf, [largs[i] for i in spec.grad_of], [lanterna.tensor(g) for g in gos],
                                allow_unused=True)
    tg = torch.autograd.grad(tf, [targs[i] for i in spec.grad_of], [torch.from_numpy(g) for g in gos],
                             allow_unused=True)
    for i, mine, t in zip(spec.grad_of, lg, tg):
        if t is None:
            assert mine is None or not to_numpy(mine).any(), f"argument {i}: torch gives no gradient"
            continue
        assert mine is not None, f"argument {i}: no gradient, torch gives one"
        assert repr(mine.dtype) == str(t.dtype), f"gradient {i}: dtype {mine.dtype} != torch {t.dtype}"
        assert_close(to_numpy(mine), to_numpy(t), spec.atol * 10, spec.rtol * 10, f"gradient of argument {i}")


# ---- test generation ---------------------------------------------------------------------------
def make_tests(specs, errors=()):
    """The test functions of a family file: forward, gradcheck, gradgradcheck, device gradients, errors."""
    specs = list(specs)
    _check_unique(specs + list(errors))
    by_grad = [s for s in specs if s.grad]
    by_gradgrad = [s for s in specs if s.gradgrad]

    def params(items):
        return [pytest.param(s, id=s.name) for s in items]

    @pytest.mark.parametrize("device", DEVICES)
    @pytest.mark.parametrize("spec", params(specs))
    def test_forward(spec, device):
        check_forward(spec, device)

    @pytest.mark.parametrize("spec", params(by_grad))
    def test_gradcheck(spec):
        check_gradcheck(spec, "cpu")

    @pytest.mark.parametrize("spec", params(by_gradgrad))
    def test_gradgradcheck(spec):
        check_gradgradcheck(spec, "cpu")

    others = [d for d in DEVICES if d != "cpu"]
    no_other = pytest.param("none", marks=pytest.mark.skip(reason="no device besides the CPU"))

    @pytest.mark.parametrize("device", others or [no_other])
    @pytest.mark.parametrize("spec", params(by_grad))
    def test_gradients_match_cpu(spec, device):
        check_gradients_match_cpu(spec, device)

    @pytest.mark.parametrize("device", DEVICES)
    @pytest.mark.parametrize("spec", params(errors))
    def test_errors(spec, device):
        check_error(spec, device)

    return test_forward, test_gradcheck, test_gradgradcheck, test_gradients_match_cpu, test_errors


def _check_unique(items):
    names = [s.name for s in items]
    dup = {n for n in names if names.count(n) > 1}
    assert not dup, f"duplicate spec names: {sorted(dup)}"


# ---- snippets: short programs whose printed result must be PyTorch's -------------------------
def run_snippet(T, code):
    """Run ``code`` with ``torch`` bound to module ``T``; return what it shows: the ``repr`` of a
    single expression (or of the variable ``out``), or ``"!! <error type>: <message>"``."""
    import warnings

    env = {"torch": T, "np": np}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                compiled = compile(code, "<snippet>", "eval")
            except SyntaxError:
                exec(compile(code, "<snippet>", "exec"), env)
                return repr(env.get("out"))
            return repr(eval(compiled, env))
    except Exception as e:  # noqa: BLE001 - the error is the observable result
        return f"!! {type(e).__name__}: {e}"
