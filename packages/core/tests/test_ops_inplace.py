"""In-place ops: values, gradients through them (the history is rebased, views rebase their base),
and their errors. Each spec clones its input first, as in-place ops on leaves that require grad
are refused."""

import numpy as np

from optest import ErrorSpec, OpSpec, arr, iarr, make_tests

X = arr(2, 3)
Y = arr(2, 3, seed=4)
ROW = arr(3, seed=6)
POS = arr(2, 3, low=0.5, high=2.0)
MASK = X > 0


def _ip(method, *args, **kwargs):
    def fn(T, x, *rest):
        y = x.clone()
        out = getattr(y, method)(*(rest + args), **kwargs)
        assert out is y  # in-place ops return self
        return y

    return fn


def S(name, fn, args, ref=None, **kw):
    return OpSpec(name, fn, args, ref=ref, **kw)


SPECS = [
    S("add_", _ip("add_"), [X, Y], np.add),
    S("add_scalar_alpha", _ip("add_", 2.0, alpha=3), [X], lambda x: x + 6),
    S("add_broadcast", _ip("add_"), [X, ROW], np.add),
    S("sub_", _ip("sub_"), [X, Y], np.subtract),
    S("mul_", _ip("mul_"), [X, Y], np.multiply),
    S("mul_scalar", _ip("mul_", 3.0), [X], lambda x: 3 * x),
    S("div_", _ip("div_"), [X, POS], np.divide),
    S("div_floor", _ip("div_", rounding_mode="floor"), [X, POS], lambda x, y: np.floor(x / y), grad=False),
    S("pow_", _ip("pow_", 2), [X], np.square),
    S("exp_", _ip("exp_"), [X], np.exp),
    S("sigmoid_", _ip("sigmoid_"), [X], lambda x: 1 / (1 + np.exp(-x))),
    S("tanh_", _ip("tanh_"), [X], np.tanh),
    S("relu_", _ip("relu_"), [X], lambda x: np.maximum(x, 0)),
    S("abs_", _ip("abs_"), [X], np.abs),
    S("neg_", _ip("neg_"), [X], np.negative),
    S("sqrt_", _ip("sqrt_"), [POS], np.sqrt),
    S("log_", _ip("log_"), [POS], np.log),
    S("clamp_", _ip("clamp_", -0.5, 0.5), [X], lambda x: np.clip(x, -0.5, 0.5)),
    S("clamp_min_", _ip("clamp_min_", 0.0), [X], lambda x: np.maximum(x, 0)),
    S("masked_fill_", _ip("masked_fill_"), [X, MASK, 0.0], lambda x, m, v: np.where(m, v, x)),
    S("addcmul_", _ip("addcmul_", value=0.5), [X, Y, ROW], lambda x, a, b: x + 0.5 * a * b),
    S("addcdiv_", _ip("addcdiv_"), [X, Y, POS], lambda x, a, b: x + a / b),
    S("lerp_", _ip("lerp_", 0.25), [X, Y], lambda x, y: x + 0.25 * (y - x)),
    S("zero_", _ip("zero_"), [X], np.zeros_like),
    S("fill_", _ip("fill_", 2.5), [X], lambda x: np.full_like(x, 2.5)),
    S("fill_tensor", _ip("fill_"), [X, np.array(1.5, np.float32)], lambda x, v: np.full_like(x, v)),
    S("copy_", _ip("copy_"), [X, Y], lambda x, y: y),
    S("copy_broadcast", _ip("copy_"), [X, ROW], lambda x, y: np.broadcast_to(y, x.shape)),
    S("copy_cast", _ip("copy_"), [X, Y.astype(np.float64)], lambda x, y: y),
    S("copy_int_into_float", _ip("copy_"), [X, iarr(2, 3)], lambda x, y: y.astype(np.float32)),
    S("scatter_", lambda T, x, i, s: x.clone().scatter_(1, i, s), [X, np.array([[0], [2]]), arr(2, 1, seed=3)],
      lambda x, i, s: np.array([[s[0, 0], x[0, 1], x[0, 2]], [x[1, 0], x[1, 1], s[1, 0]]])),
    S("index_add_", lambda T, x, i, s: x.clone().index_add_(0, i, s), [X, np.array([1, 1]), arr(2, 3, seed=9)],
      lambda x, i, s: x + np.array([[0, 0, 0], s[0] + s[1]])),
    S("iadd_operator", lambda T, x, y: _iadd(x.clone(), y), [X, Y], np.add),
    S("imul_int", lambda T, x: _imul(x.clone(), 3), [iarr(2, 3)], lambda x: x * 3),
    S("chain_inplace", lambda T, x: x.clone().mul_(2).add_(1).exp_(), [X], lambda x: np.exp(2 * x + 1)),
    S("inplace_then_use", lambda T, x: _use_after(x), [X], lambda x: (x * 2 + 1) * x),
    # in-place on a view: the base sees the change, gradients flow through the base's new history
    S("view_mul_", lambda T, x: _view_op(x, lambda v: v.mul_(3)), [X], lambda x: _view_ref(x, lambda v: v * 3)),
    S("view_setitem", lambda T, x: _view_op(x, lambda v: v.__setitem__(0, 7.0)),
      [X], lambda x: _view_ref(x, lambda v: np.concatenate([[7.0], v[1:]]))),
    S("view_copy_", lambda T, x, y: _view_op(x, lambda v: v.copy_(y[0])), [X, Y], lambda x, y: _view_ref(x, lambda v: y[0])),
    S("split_output_no_grad", lambda T, x: _split_op(x.detach()), [X], lambda x: np.concatenate([x[:1] * 3, x[1:]]) * 2,
      grad_of=[]),
    S("setitem_chain", lambda T, x: _chain_set(x), [X], lambda x: np.array([[x[0, 0], 5.0, x[0, 2]], x[1]]) * 2),
    S("transpose_view_add_", lambda T, x: _t_view(x), [X], lambda x: (x + np.array([[1.0], [1.0], [0.0]]).T) * x),
]


def _iadd(y, other):
    y += other
    return y


def _imul(y, other):
    y *= other
    return y


def _use_after(x):
    a = x.clone()
    b = a * 2
    b.add_(1)
    return b * x


def _view_op(x, op):
    a = x * 1.0  # a non-leaf base
    v = a[1]
    r = op(v)
    assert r is None or r is v
    return a * 2


def _view_ref(x, f):
    a = x.copy()
    a[1] = f(a[1])
    return a * 2


def _split_op(x):
    a = x * 1.0
    a.split(1)[0].mul_(3)
    return a * 2


def _unbind_op(x):
    a = x * 1.0
    a.unbind(0)[1].add_(1)
    return a * x


def _chain_set(x):
    a = x.clone()
    a[0][1] = 5.0  # __setitem__ on the view a[0]
    return a * 2


def _t_view(x):
    a = x.clone()
    at = a.t()
    at[:2].add_(1.0)  # rows 0..1 of the transpose: columns 0..1 of a
    return a * x


ERRORS = [
    ErrorSpec("leaf_requires_grad", lambda T, x: x.requires_grad_().add_(1), [X],
              match="a leaf Variable that requires grad is being used in an in-place operation."),
    ErrorSpec("view_of_leaf", lambda T, x: x.requires_grad_()[0].mul_(2), [X],
              match="a view of a leaf Variable that requires grad is being used in an in-place operation."),
    ErrorSpec("cast_error", lambda T, x: x.add_(1.5), [iarr(2, 3)],
              match="result type Float can't be cast to the desired output type Long"),
    ErrorSpec("int_div_", lambda T, x: x.div_(2), [iarr(2, 3)],
              match="result type Float can't be cast to the desired output type Long"),
    ErrorSpec("broadcast_into", lambda T, x, y: x.add_(y), [ROW, X],
              match=r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"),
    ErrorSpec("copy_size", lambda T, x, y: x.copy_(y), [X, arr(4)],
              match=r"The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1"),
    ErrorSpec("saved_modified", lambda T, x: _saved_modified(x), [X],
              match=r"one of the variables needed for gradient computation has been modified by an inplace operation: "
                    r"\[torch(\.\w+)?\.FloatTensor \[2, 3\]\], which is output 0 of Add, is at version 1; expected version 0"),
    ErrorSpec("output_modified", lambda T, x: _output_modified(x), [X],
              match=r"modified by an inplace operation: \[torch(\.\w+)?\.FloatTensor \[2, 3\]\], which is output 0 of Exp"),
    ErrorSpec("split_output_inplace", lambda T, x: _split_op(x.requires_grad_()), [X],
              match="Output 0 of Split is a view and is being modified inplace. This view is the output of a function "
                    "that returns multiple views."),
    ErrorSpec("unbind_output_inplace", lambda T, x: _unbind_op(x.requires_grad_()), [X],
              match="Output 1 of Unbind is a view and is being modified inplace"),
    ErrorSpec("fill_non_scalar", lambda T, x, v: x.fill_(v), [X, arr(2)],
              match="fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions."),
]


def _saved_modified(x):
    x = x.requires_grad_()
    a = x * 1
    b = a * a
    a.add_(1)
    b.sum().backward()


def _output_modified(x):
    x = x.requires_grad_()
    a = x.exp()
    a.mul_(2)
    a.sum().backward()


test_forward, test_gradcheck, test_gradgradcheck, test_gradients_match_cpu, test_errors = make_tests(SPECS, ERRORS)
