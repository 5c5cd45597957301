"""The autograd API against PyTorch: the same calls, the same results, errors and messages."""

import warnings

import numpy as np
import pytest

import lanterna
from autograd_functions import _bad_grad, _bad_shape, _nontensor, _once, _saved_out, _vjp_only
from oracle_summary import summary

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")


def _norm(v):
    return summary(v, digits=5)


def _run(fn, mod):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            r = ("ok", _norm(fn(mod)))
        except Exception as e:  # noqa: BLE001 - the error itself is compared
            r = ("exc", type(e).__name__, str(e))
    return r, [str(x.message) for x in w if "jit" not in str(x.message)]


def _x(t, rg=True):
    return t.tensor([1.0, 2.0, 3.0], requires_grad=rg)


def _d(t):
    return (t.tensor([1.0, 2.0, 3.0], dtype=t.float64), t.tensor([0.5, -1.0], dtype=t.float64))


def _gen_grad_modes(t):
    @t.no_grad()
    def gen():
        yield t.is_grad_enabled()
        yield t.is_grad_enabled()

    g = gen()
    return next(g), t.is_grad_enabled(), next(g)


def _inference_nested(t):
    with t.no_grad():
        with t.inference_mode(False):
            a = (t.is_grad_enabled(), t.is_inference_mode_enabled())
    with t.inference_mode():
        with t.inference_mode(False):
            b = (t.is_grad_enabled(), t.is_inference_mode_enabled())
    return a, b


def _anomaly_nocheck(t):
    x = t.tensor([1.0, 4.0], requires_grad=True)
    with t.autograd.detect_anomaly(check_nan=False):
        s = (t.is_anomaly_enabled(), t.is_anomaly_check_nan_enabled())
        (x * float("nan")).sum().backward()
    return s, x.grad, t.is_anomaly_enabled()


CASES = {
    "materialize_allow_unused_false": lambda t: t.autograd.grad(
        (_x(t) * 2).sum(), [_x(t)], materialize_grads=True, allow_unused=False),
    "materialize_create_graph": lambda t: (lambda x, y: t.autograd.grad(
        (x * x).sum(), [x, y], materialize_grads=True, create_graph=True))(_x(t), _x(t)),
    "grad_input_noreq": lambda t: (lambda x: t.autograd.grad((x * 2).sum(), [x, t.ones(3)]))(_x(t)),
    "grad_output_noreq": lambda t: (lambda x: t.autograd.grad(x.sum(), x))(_x(t, False)),
    "grad_empty_inputs": lambda t: (lambda x: t.autograd.grad((x * x).sum(), []))(_x(t)),
    "grad_dict_inputs": lambda t: (lambda x, y: t.autograd.grad((x * y * y).sum(), {"a": x, "b": y}))(_x(t), _x(t)),
    "grad_only_inputs": lambda t: (lambda x: t.autograd.grad((x * x).sum(), x, only_inputs=False))(_x(t)),
    "grad_outputs_number": lambda t: (lambda x: t.autograd.grad((x * x).sum(), x, grad_outputs=[2.0]))(_x(t)),
    "grads_batched": lambda t: (lambda x: t.autograd.grad(
        x * x, x, grad_outputs=t.eye(3), is_grads_batched=True))(_x(t)),
    "grads_batched_two": lambda t: (lambda x, y: t.autograd.grad(
        [x * y, (x ** 2).sum()], [x, y], grad_outputs=[t.eye(3), t.ones(3)], is_grads_batched=True))(_x(t), _x(t)),
    "grads_batched_bad": lambda t: (lambda x: t.autograd.grad(
        x * 2, x, grad_outputs=t.ones(3, 2), is_grads_batched=True))(_x(t)),
    "backward_inputs_empty": lambda t: (lambda x: (x * x).sum().backward(inputs=[]))(_x(t)),
    "backward_inputs_noreq": lambda t: (lambda x, z: (x * z).sum().backward(inputs=[z]))(_x(t), t.ones(3)),
    "backward_second_output_noreq": lambda t: t.autograd.backward([(_x(t) * 2).sum(), t.ones(())]),
    "fn_next_functions": lambda t: len(_nontensor(t).apply(_x(t), _x(t, False), 2)[0].grad_fn.next_functions),
    "fn_grad_for_non_tensor": lambda t: _nontensor(t).apply(_x(t), _x(t, False), 2)[0].sum().backward(),
    "fn_vjp_only": lambda t: (lambda x: (_vjp_only(t).apply(x).sum().backward(), x.grad))(_x(t)),
    "fn_bad_shape": lambda t: _bad_shape(t).apply(_x(t)).sum().backward(),
    "fn_once_create_graph": lambda t: (lambda x: t.autograd.grad(
        _once(t).apply(x).sum(), x, create_graph=True))(_x(t)),
    "fn_saved_output_modified": lambda t: (lambda y: (y.add_(1), y.sum().backward()))(_saved_out(t).apply(_x(t))),
    "fn_forward_cls": lambda t: _saved_out(t).apply(_x(t)).grad_fn._forward_cls.__name__,
    "jac_list_input": lambda t: t.autograd.functional.jacobian(lambda a, b: a * b.sum(), list(_d(t))),
    "jac_nontensor_output": lambda t: t.autograd.functional.jacobian(lambda a: 3, _d(t)[0]),
    "jac_strict": lambda t: t.autograd.functional.jacobian(lambda a, b: a * 2, _d(t), strict=True),
    "jac_const_output": lambda t: t.autograd.functional.jacobian(lambda a: t.ones(2, dtype=t.float64), _d(t)[0]),
    "jac_multi": lambda t: t.autograd.functional.jacobian(lambda a, b: (a.sum() * b, a * 2), _d(t)),
    "jac_bad_strategy": lambda t: t.autograd.functional.jacobian(lambda a: a, _d(t)[0], strategy="foo"),
    "jac_forward_novec": lambda t: t.autograd.functional.jacobian(lambda a: a, _d(t)[0], strategy="forward-mode"),
    "jac_forward": lambda t: t.autograd.functional.jacobian(
        lambda a, b: (a.sum() * b, a * 2), _d(t), vectorize=True, strategy="forward-mode"),
    "hess_nonscalar": lambda t: t.autograd.functional.hessian(lambda a: a ** 2, _d(t)[0]),
    "hess_multi": lambda t: t.autograd.functional.hessian(lambda a, b: (a ** 2).sum() * (b ** 2).sum(), _d(t)),
    "vjp_v_none": lambda t: t.autograd.functional.vjp(lambda a: a ** 2, _d(t)[0]),
    "vjp_v_badshape": lambda t: t.autograd.functional.vjp(lambda a: a ** 2, _d(t)[0], t.ones(2, dtype=t.float64)),
    "vjp_v_number": lambda t: t.autograd.functional.vjp(lambda a: a ** 2, _d(t)[0], 1.0),
    "vjp_strict": lambda t: t.autograd.functional.vjp(
        lambda a, b: a * 2, _d(t), t.ones(3, dtype=t.float64), strict=True),
    "jvp_v_none": lambda t: t.autograd.functional.jvp(lambda a: a ** 2, _d(t)[0]),
    "hvp_v_none": lambda t: t.autograd.functional.hvp(lambda a: (a ** 3).sum(), _d(t)[0]),
    "hvp_nonscalar": lambda t: t.autograd.functional.hvp(lambda a: a ** 2, _d(t)[0], t.ones(3, dtype=t.float64)),
    "hvp_multi": lambda t: t.autograd.functional.hvp(
        lambda a, b: (a ** 2).sum() * (b ** 3).sum(), _d(t), (t.ones(3, dtype=t.float64), t.ones(2, dtype=t.float64))),
    "gradcheck_bad": lambda t: t.autograd.gradcheck(
        _bad_grad(t).apply, (t.tensor([0.5, 1.5], dtype=t.float64, requires_grad=True),)),
    "gradcheck_float32_warning": lambda t: t.autograd.gradcheck(
        lambda x: x * 2, (t.tensor([1.0, 2.0], requires_grad=True),), raise_exception=False),
    "gradcheck_unknown_kwarg": lambda t: t.autograd.gradcheck(
        lambda x: x, (t.tensor([1.0], dtype=t.float64, requires_grad=True),), foo=1),
    "gradcheck_nontensor_output": lambda t: t.autograd.gradcheck(
        lambda x: 3, (t.tensor([1.0], dtype=t.float64, requires_grad=True),)),
    "no_grad_generator": _gen_grad_modes,
    "set_grad_enabled_int": lambda t: t.set_grad_enabled(1),
    "inference_mode_false_nested": _inference_nested,
    "anomaly_check_nan_false": _anomaly_nocheck,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_autograd_api_matches_torch(name):
    fn = CASES[name]
    assert _run(fn, lanterna) == _run(fn, torch)


def test_fast_gradcheck_failure_message_prefix():
    def msg(t):
        x = t.tensor([0.5, 1.5, -0.3], dtype=t.float64, requires_grad=True)
        with pytest.raises(Exception) as e:
            t.autograd.gradcheck(_bad_grad(t).apply, (x,), fast_mode=True)
        lines = str(e.value).split("\n")
        return type(e.value).__name__, lines[0], lines[4:7]  # the numbers come from random vectors

    assert msg(lanterna) == msg(torch)


def test_node_hook_results_and_detach_errors_match_torch():
    def run(T):
        out = []
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        y.grad_fn.register_prehook(lambda gos: (gos[0] * 10,))
        y.grad_fn.register_hook(lambda gis, gos: (gis[0] + 1, None))
        y.sum().backward()
        out.append(x.grad.tolist())
        out.append([None if f is None else f.name() for f, _ in (x * 3).grad_fn.next_functions])
        for f in (lambda: x[:1].detach_(), lambda: T.ones(2).register_post_accumulate_grad_hook(lambda t: None)):
            try:
                f()
                out.append(None)
            except RuntimeError as e:
                out.append(str(e))
        return out

    assert run(lanterna) == run(torch)


def test_grad_with_nested_outputs_and_intermediate_inputs_matches_torch():
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        y = a * 2
        z = y.exp()
        g1 = T.autograd.grad((y, z), a, (T.ones(2), T.ones(2)), retain_graph=True)[0]
        g2 = T.autograd.grad((z * 3).sum(), [y, a])
        return [g1.tolist()] + [g.tolist() for g in g2]

    got, want = run(lanterna), run(torch)
    assert np.allclose(np.array(got[0]), np.array(want[0])) and np.allclose(got[1], want[1]) and np.allclose(got[2], want[2])
