"""PyTorch as the oracle for test_module_api.py: the same module code must give the same hook
arguments, warnings, error messages and state dict keys."""

import warnings
from collections import OrderedDict

import pytest

torch = pytest.importorskip("torch")

import lanterna as lt  # noqa: E402

pytestmark = pytest.mark.oracle


def _fmt(x):
    """Hook arguments as comparable data: tensors become (shape, values), None stays None."""
    if x is None:
        return None
    if isinstance(x, (tuple, list)):
        return tuple(_fmt(v) for v in x)
    return (tuple(x.shape), x.detach().double().flatten().tolist())


def _run(lib, body):
    """``body(lib)``'s result and its warnings (category name, message)."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            out = body(lib)
        except Exception as e:  # the error itself is what is compared
            out = (type(e).__name__, str(e))
    return out, [(x.category.__name__, str(x.message)) for x in w]


def _same(body):
    assert _run(lt, body) == _run(torch, body)


def _two_out(lib):
    class TwoOut(lib.nn.Module):
        def forward(self, a, b):
            return a * 2, b * 3

    return TwoOut()


def test_full_backward_hooks_unused_output():
    def body(lib):
        m = _two_out(lib)
        seen = []
        m.register_full_backward_pre_hook(lambda mod, go: seen.append(("pre", _fmt(go))))
        m.register_full_backward_hook(lambda mod, gi, go: seen.append(("hook", _fmt(gi), _fmt(go))))
        a = lib.ones(2, requires_grad=True)
        b = lib.ones(2, requires_grad=True)
        o1, _ = m(a, b)
        o1.sum().backward()
        return seen, _fmt(a.grad), _fmt(b.grad)

    _same(body)


def test_full_backward_hooks_non_tensor_and_no_grad_inputs():
    def body(lib):
        class M(lib.nn.Module):
            def forward(self, a, b, c, k):
                return a * k, b * c

        m = M()
        seen = []
        m.register_full_backward_hook(lambda mod, gi, go: seen.append((_fmt(gi), _fmt(go))))
        a = lib.ones(2, requires_grad=True)
        b = lib.ones(2, requires_grad=True)
        o1, o2 = m(a, b, lib.full((2,), 2.0), 3)
        (o1.sum() + o2.sum()).backward()
        return seen

    _same(body)


def test_full_backward_hooks_without_input_grads_warn():
    def body(lib):
        lin = lib.nn.Linear(3, 2)
        lin.weight.data.fill_(1.0)
        seen = []
        lin.register_full_backward_pre_hook(lambda mod, go: seen.append(_fmt(go)))
        lin.register_full_backward_hook(lambda mod, gi, go: seen.append((_fmt(gi), _fmt(go))))
        lin(lib.ones(1, 3)).sum().backward()
        return seen

    _same(body)


def test_full_backward_pre_hook_replaces_grad_output():
    def body(lib):
        m = _two_out(lib)
        m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 10, None))
        a = lib.ones(2, requires_grad=True)
        b = lib.ones(2, requires_grad=True)
        o1, _ = m(a, b)
        o1.sum().backward()
        return _fmt(a.grad), _fmt(b.grad)

    _same(body)


@pytest.mark.parametrize("case", ["linear", "relu_leaf", "relu_nonleaf", "two_out", "list_out", "int_arg"])
def test_legacy_backward_hook_warnings_and_arguments(case):
    def body(lib):
        nn = lib.nn

        class ListOut(nn.Module):
            def forward(self, a):
                return [a * 2]

        class IntArg(nn.Module):
            def forward(self, a, k):
                return a * k

        class TwoOut(nn.Module):
            def forward(self, a):
                return a * 2, a * 3

        x = lib.ones(2, 3, requires_grad=True)
        m, inputs = {
            "linear": lambda: (nn.Linear(3, 2), (x,)),
            "relu_leaf": lambda: (nn.ReLU(), (x,)),
            "relu_nonleaf": lambda: (nn.ReLU(), (x * 1,)),
            "two_out": lambda: (TwoOut(), (x,)),
            "list_out": lambda: (ListOut(), (x,)),
            "int_arg": lambda: (IntArg(), (x, 3)),
        }[case]()
        seen = []
        m.register_backward_hook(lambda mod, gi, go: seen.append(([g is None for g in gi], _fmt(go))))
        out = m(*inputs)
        (out[0] if isinstance(out, (tuple, list)) else out).sum().backward()
        return seen

    _same(body)


def test_state_dict_positional_args():
    def body(lib):
        d = OrderedDict()
        out = lib.nn.Linear(1, 1).state_dict(d, "x.")
        return out is d, list(d)

    _same(body)


@pytest.mark.parametrize("value", ["module", "tensor", "int"])
def test_setattr_parameter_errors(value):
    def body(lib):
        lin = lib.nn.Linear(1, 1)
        make = {"module": lambda: lib.nn.ReLU(), "tensor": lambda: lib.ones(1), "int": lambda: 3}
        lin.weight = make[value]()

    _same(body)


def test_parameter_of_integer_tensor():
    def body(lib):
        p = lib.nn.Parameter(lib.ones(2, dtype=lib.int64), requires_grad=False)
        return repr(p), lib.nn.Parameter(lib.ones(2, dtype=lib.int64))

    _same(body)


def test_load_state_dict_errors_and_result():
    def body(lib):
        nn = lib.nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(2, 3)
                self.register_buffer("np", lib.zeros(2), persistent=False)
                self.register_buffer("p", lib.ones(2))
                self.seq = nn.Sequential(nn.Linear(3, 3), nn.ReLU())

        n = Net()
        sd = n.state_dict()
        meta = dict(sd._metadata)
        keys = list(sd)
        ok = repr(n.load_state_dict(sd))
        del sd["fc.weight"]
        sd["extra"] = lib.zeros(1)
        loose = n.load_state_dict(sd, strict=False)
        sd["seq.0.bias"] = lib.zeros(5)
        try:
            n.load_state_dict(sd)
        except RuntimeError as e:
            err = str(e)
        return keys, meta, ok, repr(loose), loose.missing_keys, loose.unexpected_keys, err

    _same(body)
