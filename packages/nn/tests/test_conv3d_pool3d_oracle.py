"""PyTorch as the oracle for 3-D convolution and pooling, instance norm 3-D, affine_grid and
grid_sample: the same weights (through state dicts) and inputs give the same outputs and gradients
(second derivatives where PyTorch has them), seeded construction gives the same weights, and the
reprs and error messages are PyTorch's."""

import itertools
import re
import warnings

import numpy as np

import pytest

torch = pytest.importorskip("torch")

import lanterna as lt  # noqa: E402
import lanterna.nn as lnn  # noqa: E402
import lanterna.nn.functional as LF  # noqa: E402

pytestmark = pytest.mark.oracle
TF = torch.nn.functional
tnn = torch.nn
rng = np.random.default_rng(0)


def _np(t):
    return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else t.detach().numpy()


def _close(a, b, tol):
    assert tuple(a.shape) == tuple(b.shape), (tuple(a.shape), tuple(b.shape))
    np.testing.assert_allclose(_np(b), _np(a), rtol=tol, atol=tol)


def _pair(*arrays, grad=True):
    ts = tuple(torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays)
    ls = tuple(lt.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays)
    return ts, ls


def check_fn(t_fn, l_fn, arrays, tol=1e-10, second=True):
    """Outputs, gradients of every float input and (``second``) of a function of those gradients."""
    ts, ls = _pair(*arrays)
    t_out, l_out = t_fn(*ts), l_fn(*ls)
    t_list = t_out if isinstance(t_out, tuple) else (t_out,)
    l_list = l_out if isinstance(l_out, tuple) else (l_out,)
    for a, b in zip(t_list, l_list):
        _close(a, b, tol)
    t_first, l_first = t_list[0], l_list[0]
    t_in = [t for t in ts if t.requires_grad]
    l_in = [t for t in ls if t.requires_grad]
    g = rng.standard_normal(tuple(t_first.shape)).astype(_np(t_first).dtype)
    t_grads = torch.autograd.grad(t_first, t_in, torch.tensor(g), create_graph=second)
    l_grads = lt.autograd.grad(l_first, l_in, lt.tensor(g), create_graph=second)
    for a, b in zip(t_grads, l_grads):
        _close(a, b, tol)
    if second:
        hs = [rng.standard_normal(tuple(a.shape)).astype(_np(a).dtype) for a in t_grads]
        t_s = sum((a * torch.tensor(h)).sum() for a, h in zip(t_grads, hs))
        l_s = sum((a * lt.tensor(h)).sum() for a, h in zip(l_grads, hs))
        if not (t_s.requires_grad and l_s.requires_grad):  # gradients constant in the inputs (linear, max)
            for lib, out, ins in ((torch, t_s, t_in), (lt, l_s, l_in)):
                if out.requires_grad:
                    for b in lib.autograd.grad(out, ins, allow_unused=True):
                        assert b is None or not _np(b).any()
            return
        t_gg = torch.autograd.grad(t_s, t_in, allow_unused=True)
        l_gg = lt.autograd.grad(l_s, l_in, allow_unused=True)
        for a, b in zip(t_gg, l_gg):
            if a is None:
                assert b is None or not _np(b).any()
            else:
                _close(a, b, tol)


def check_module(make, x, tol=1e-10, seed=0, call=None):
    """Seeded construction (bit-exact weights), the same reprs and state-dict keys, and in float64 the
    same outputs and gradients of input and parameters."""
    torch.manual_seed(seed)
    tm = make(tnn)
    lt.manual_seed(seed)
    lm = make(lnn)
    assert repr(lm) == repr(tm)
    if type(tm).__name__.startswith("Lazy"):  # materialised (and initialised) by a first call
        torch.manual_seed(seed + 1)
        call_ = call or (lambda m, t: m(t))
        call_(tm, torch.tensor(x, dtype=torch.float32))
        lt.manual_seed(seed + 1)
        call_(lm, lt.tensor(x, dtype=lt.float32))
        assert type(lm).__name__ == type(tm).__name__ and repr(lm) == repr(tm)
    assert list(lm.state_dict()) == list(tm.state_dict())
    for (k, a), (_, b) in zip(tm.state_dict().items(), lm.state_dict().items()):
        if k in dict(tm.named_parameters()):
            assert np.array_equal(_np(a), _np(b)), k
        else:  # buffers: running statistics a lazy module's first call updated
            _close(a, b, 1e-6)
    call = call or (lambda m, t: m(t))
    tm, lm = tm.double(), lm.double()
    (tx,), (lx,) = _pair(x)
    t_out, l_out = call(tm, tx), call(lm, lx)
    _close(t_out, l_out, tol)
    assert repr(lm) == repr(tm)  # lazy modules have become their class
    g = rng.standard_normal(tuple(t_out.shape))
    t_out.backward(torch.tensor(g))
    l_out.backward(lt.tensor(g))
    _close(tx.grad, lx.grad, tol)
    t_params, l_params = dict(tm.named_parameters()), dict(lm.named_parameters())
    assert list(t_params) == list(l_params)
    for k in t_params:
        _close(t_params[k].grad, l_params[k].grad, tol)
    for (k, a), (_, b) in zip(tm.state_dict().items(), lm.state_dict().items()):  # running statistics
        _close(a, b, tol if k in t_params else max(tol, 1e-6))  # (a lazy module's first call ran in float32)


def same_error(t_call, l_call):
    with pytest.raises(Exception) as t_info:
        t_call()
    with pytest.raises(Exception) as l_info:
        l_call()
    assert type(l_info.value).__name__ == type(t_info.value).__name__, (t_info.value, l_info.value)
    assert _sets_sorted(str(l_info.value)) == _sets_sorted(str(t_info.value))


def _sets_sorted(message):
    """The message with each printed set's items sorted: a set of strings prints in an order that
    changes from process to process (string hashing is randomised), in PyTorch as here."""
    return re.sub(r"\{([^{}]*)\}", lambda m: "{" + ", ".join(sorted(m.group(1).split(", "))) + "}", message)


def x64(*shape):
    return rng.standard_normal(shape)


# ---- convolution -------------------------------------------------------------------------------
CONV3D = [
    "nn.Conv3d(4, 6, 3)",
    "nn.Conv3d(4, 6, (3, 1, 2), stride=(1, 2, 1), padding=(1, 0, 1), dilation=2, groups=2, bias=False)",
    "nn.Conv3d(4, 6, 3, padding='same', padding_mode='reflect')",
    "nn.Conv3d(4, 6, (2, 3, 3), padding='same', dilation=(1, 1, 2), padding_mode='replicate')",
    "nn.Conv3d(4, 4, 3, padding=(1, 2, 0), padding_mode='circular', groups=4)",
    "nn.Conv3d(4, 6, 2, stride=2, padding='valid')",
    "nn.Conv3d(4, 2, (3, 5, 5), padding=(1, 2, 2))",  # few output channels: streamed im2col
    "nn.ConvTranspose3d(4, 6, 3)",
    "nn.ConvTranspose3d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)",
    "nn.ConvTranspose3d(4, 3, (2, 3, 2), stride=(2, 1, 3), padding=(0, 1, 1), dilation=(1, 2, 2), "
    "output_padding=(1, 1, 0), bias=False)",
    "nn.LazyConv3d(6, 3, padding=1)",
    "nn.LazyConvTranspose3d(6, 3, stride=2)",
]


@pytest.mark.parametrize("ctor", CONV3D)
def test_conv3d_modules(ctor):
    x = x64(2, 4, 5, 6, 7)
    check_module(lambda nn: eval(ctor, {"nn": nn}), x)
    check_module(lambda nn: eval(ctor, {"nn": nn}), x[0], seed=1)  # unbatched


def test_conv_transpose3d_output_size():
    check_module(
        lambda nn: nn.ConvTranspose3d(4, 6, 3, stride=2),
        x64(2, 4, 3, 4, 5),
        call=lambda m, t: m(t, output_size=[8, 10, 12]),
    )
    m_t, m_l = tnn.ConvTranspose3d(4, 6, 3, stride=2), lnn.ConvTranspose3d(4, 6, 3, stride=2)
    for size in ([12, 13, 20], [8, 9], (1, 6, 7, 9, 11, 2)):
        same_error(
            lambda: m_t(torch.zeros(2, 4, 3, 4, 5), output_size=size),
            lambda: m_l(lt.zeros(2, 4, 3, 4, 5), output_size=size),
        )


@pytest.mark.parametrize("nd", [2, 3])
def test_conv_transpose_output_padding_at_least_the_stride(nd):
    """Allowed below the dilation; the adjoint convolution then has room for one more output."""
    w = x64(2, 3, *(2,) * nd)
    name = f"conv_transpose{nd}d"
    kw = {"stride": 1, "dilation": 2, "output_padding": 1}
    check_fn(
        lambda x, w: getattr(TF, name)(x, w, **kw),
        lambda x, w: getattr(LF, name)(x, w, **kw),
        (x64(2, 2, *(3,) * nd), w),
    )


def test_conv3d_functional_float32():
    x = rng.standard_normal((2, 3, 6, 7, 8)).astype(np.float32)
    w = rng.standard_normal((5, 3, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    check_fn(
        lambda x, w, b: TF.conv3d(x, w, b, stride=2, padding=1),
        lambda x, w, b: LF.conv3d(x, w, b, stride=2, padding=1),
        (x, w, b),
        tol=2e-4,
        second=False,
    )
    check_fn(
        lambda x, w: torch.conv_transpose3d(x, w, stride=(1, 2, 2)),
        lambda x, w: lt.conv_transpose3d(x, w, stride=(1, 2, 2)),
        (x, rng.standard_normal((3, 2, 2, 2, 2)).astype(np.float32)),
        tol=2e-4,
        second=False,
    )


def test_grad_fn_names():
    x, w = lt.zeros(1, 2, 4, 4, 4, requires_grad=True), lt.zeros(2, 2, 2, 2, 2)
    names = [
        LF.conv3d(x, w).grad_fn.name(),
        LF.conv_transpose3d(x, w).grad_fn.name(),
        LF.max_pool3d(x, 2).grad_fn.name(),
        LF.avg_pool3d(x, 2).grad_fn.name(),
        LF.grid_sample(x, lt.zeros(1, 1, 1, 1, 3), align_corners=False).grad_fn.name(),
        LF.grid_sample(x[:, :, 0], lt.zeros(1, 1, 1, 2), align_corners=False).grad_fn.name(),
        LF.affine_grid(
            lt.zeros(1, 2, 3, requires_grad=True), (1, 1, 2, 2), align_corners=False
        ).grad_fn.name(),
    ]
    t = torch.zeros(1, 2, 4, 4, 4, requires_grad=True)
    tw = torch.zeros(2, 2, 2, 2, 2)
    want = [
        TF.conv3d(t, tw).grad_fn.name(),
        TF.conv_transpose3d(t, tw).grad_fn.name(),
        TF.max_pool3d(t, 2).grad_fn.name(),
        TF.avg_pool3d(t, 2).grad_fn.name(),
        TF.grid_sample(t, torch.zeros(1, 1, 1, 1, 3), align_corners=False).grad_fn.name(),
        TF.grid_sample(t[:, :, 0], torch.zeros(1, 1, 1, 2), align_corners=False).grad_fn.name(),
        TF.affine_grid(
            torch.zeros(1, 2, 3, requires_grad=True), (1, 1, 2, 2), align_corners=False
        ).grad_fn.name(),
    ]
    assert names == want


def test_conv3d_double_backward():
    kw = {"stride": (2, 1, 1), "padding": (1, 0, 1), "dilation": (1, 2, 1), "groups": 2}
    check_fn(
        lambda x, w, b: TF.conv3d(x, w, b, **kw),
        lambda x, w, b: LF.conv3d(x, w, b, **kw),
        (x64(2, 4, 5, 6, 5), x64(6, 2, 3, 2, 2), x64(6)),
    )
    kw = {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}
    check_fn(
        lambda x, w, b: TF.conv_transpose3d(x, w, b, **kw),
        lambda x, w, b: LF.conv_transpose3d(x, w, b, **kw),
        (x64(2, 4, 3, 2, 3), x64(4, 3, 3, 2, 3), x64(6)),
    )


CONV_ERRORS = [
    ("conv3d", (1, 4, 2, 2, 2), (6, 4, 3, 3, 3), {}),
    ("conv3d", (1, 4, 5, 5, 5), (6, 4, 3, 3, 3), {"stride": (1, 2)}),
    ("conv3d", (1, 4, 5, 5, 5), (6, 4, 3, 3, 3), {"padding": "same", "stride": 2}),
    ("conv3d", (1, 4, 5, 5, 5), (6, 4, 3, 3, 3), {"padding": "full"}),
    ("conv3d", (1, 4, 5, 5, 5), (6, 3, 3, 3, 3), {"groups": 2}),
    ("conv3d", (1, 4, 5, 5, 5), (5, 2, 3, 3, 3), {"groups": 2}),
    ("conv3d", (4, 5, 5, 5), (6, 3, 3, 3, 3), {}),
    ("conv_transpose3d", (1, 4, 2, 2, 2), (4, 3, 3, 3, 3), {"stride": 2, "output_padding": 2}),
    ("conv_transpose3d", (1, 4, 1, 1, 1), (4, 3, 3, 3, 3), {"padding": 2}),
    ("conv_transpose3d", (1, 5, 2, 2, 2), (4, 3, 3, 3, 3), {}),
    ("conv_transpose2d", (1, 4, 5, 5), (4, 3, 3, 3), {"stride": 2, "output_padding": 2}),
    ("conv_transpose1d", (1, 4, 5), (4, 3, 3), {"stride": 2, "output_padding": 2}),
    ("conv2d", (1, 4, 5, 5), (5, 2, 3, 3), {"groups": 2}),
    ("conv_transpose2d", (1, 4, 1, 1), (4, 3, 3, 3), {"padding": 2}),
    ("conv_transpose1d", (1, 4, 1), (4, 3, 3), {"padding": 2}),
    ("conv1d", (1, 4, 2), (3, 4, 3), {}),
]


@pytest.mark.parametrize("name, xs, ws, kw", CONV_ERRORS)
def test_conv_errors(name, xs, ws, kw):
    same_error(
        lambda: getattr(TF, name)(torch.zeros(xs), torch.zeros(ws), **kw),
        lambda: getattr(LF, name)(lt.zeros(xs), lt.zeros(ws), **kw),
    )


def test_conv3d_module_errors():
    for ctor in [
        "nn.Conv3d(4, 6, 3, stride=2, padding='same')",
        "nn.Conv3d(4, 6, 3, groups=3)",
        "nn.Conv3d(4, 6, 3, padding_mode='wrap')",
        "nn.ConvTranspose3d(4, 6, 3, padding_mode='circular')",
        "nn.Conv3d(4, 6, 3, padding='full')",
    ]:
        same_error(lambda: eval(ctor, {"nn": tnn}), lambda: eval(ctor, {"nn": lnn}))


# ---- pooling -----------------------------------------------------------------------------------
MAX3D = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {
        "kernel_size": (2, 3, 2),
        "stride": (1, 2, 2),
        "padding": (1, 1, 0),
        "dilation": (2, 1, 1),
        "ceil_mode": True,
    },
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"kernel_size": (1, 2, 2)},
]


@pytest.mark.parametrize("kw", MAX3D)
def test_max_pool3d(kw):
    x = x64(2, 3, 5, 6, 7)
    check_fn(
        lambda t: TF.max_pool3d(t, return_indices=True, **kw),
        lambda t: LF.max_pool3d(t, return_indices=True, **kw),
        (x,),
    )
    check_fn(lambda t: TF.max_pool3d(t, **kw), lambda t: LF.max_pool3d(t, **kw), (x[0],))
    check_module(lambda nn: nn.MaxPool3d(**kw), x)


def test_max_pool3d_ties_and_nans():
    x = np.zeros((1, 2, 4, 4, 4))
    x[0, 1, 1, 2, 3] = np.nan
    x[0, 1, 3, 3, 3] = np.nan
    (tx,), (lx,) = _pair(x)
    t_out, t_idx = TF.max_pool3d(tx, 2, return_indices=True)
    l_out, l_idx = LF.max_pool3d(lx, 2, return_indices=True)
    np.testing.assert_array_equal(_np(l_out), _np(t_out))
    np.testing.assert_array_equal(_np(l_idx), _np(t_idx))


def test_max_unpool3d():
    x = x64(2, 3, 4, 6, 4)
    t_y, t_i = TF.max_pool3d(torch.tensor(x), 2, return_indices=True)
    l_y, l_i = LF.max_pool3d(lt.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(_np(l_i), _np(t_i))
    for kw in ({}, {"output_size": (5, 7, 5)}, {"output_size": (2, 3, 4, 7, 5)}):
        check_fn(
            lambda y: TF.max_unpool3d(y, t_i, 2, **kw),
            lambda y: LF.max_unpool3d(y, l_i, 2, **kw),
            (_np(t_y),),
        )
    tm, lm = tnn.MaxUnpool3d(2), lnn.MaxUnpool3d(2)
    assert repr(lm) == repr(tm)
    _close(tm(t_y, t_i), lm(l_y, l_i), 0)
    for kw in ({"output_size": (7, 5, 5)}, {"output_size": (5, 5)}):
        same_error(lambda: TF.max_unpool3d(t_y, t_i, 2, **kw), lambda: LF.max_unpool3d(l_y, l_i, 2, **kw))
    bad_t, bad_l = t_i.clone(), l_i.clone()
    bad_t[1, 2, 0, 1, 1] = 500
    bad_l[1, 2, 0, 1, 1] = 500
    same_error(lambda: TF.max_unpool3d(t_y, bad_t, 2), lambda: LF.max_unpool3d(l_y, bad_l, 2))
    same_error(
        lambda: TF.max_unpool3d(t_y[0, 0], t_i[0, 0], 2), lambda: LF.max_unpool3d(l_y[0, 0], l_i[0, 0], 2)
    )
    same_error(lambda: TF.max_unpool3d(t_y, t_i[0], 2), lambda: LF.max_unpool3d(l_y, l_i[0], 2))
    same_error(lambda: TF.max_unpool3d(t_y, t_i.float(), 2), lambda: LF.max_unpool3d(l_y, l_i.float(), 2))


AVG3D = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
    {"kernel_size": (2, 3, 2), "stride": (1, 2, 2), "padding": (1, 1, 0), "ceil_mode": True},
    {
        "kernel_size": (2, 3, 2),
        "stride": (1, 2, 2),
        "padding": (1, 1, 0),
        "ceil_mode": True,
        "count_include_pad": False,
    },
    {"kernel_size": 3, "stride": 2, "padding": 1, "divisor_override": 5},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
]


@pytest.mark.parametrize("kw", AVG3D)
def test_avg_pool3d(kw):
    x = x64(2, 3, 5, 6, 7)
    check_fn(lambda t: TF.avg_pool3d(t, **kw), lambda t: LF.avg_pool3d(t, **kw), (x,))
    check_fn(lambda t: TF.avg_pool3d(t, **kw), lambda t: LF.avg_pool3d(t, **kw), (x[0],))
    check_module(lambda nn: nn.AvgPool3d(**kw), x)


def test_lp_pool3d():
    x = np.abs(x64(2, 3, 4, 5, 6)) + 0.1
    check_fn(lambda t: TF.lp_pool3d(t, 2, 2), lambda t: LF.lp_pool3d(t, 2, 2), (x,), second=False)
    check_module(lambda nn: nn.LPPool3d(3, (2, 1, 2), stride=1), x)


@pytest.mark.parametrize("size", [2, (3, 4, 5), (1, 1, 1), (5, 6, 7), (2, None, 3), (4, 5, 3)])
def test_adaptive_pool3d(size):
    x = x64(2, 3, 5, 6, 7)
    check_fn(lambda t: TF.adaptive_avg_pool3d(t, size), lambda t: LF.adaptive_avg_pool3d(t, size), (x,))
    check_fn(
        lambda t: TF.adaptive_max_pool3d(t, size, return_indices=True),
        lambda t: LF.adaptive_max_pool3d(t, size, return_indices=True),
        (x,),
    )
    check_fn(
        lambda t: TF.adaptive_max_pool3d_with_indices(t, size),
        lambda t: LF.adaptive_max_pool3d_with_indices(t, size),
        (x[0],),
    )
    check_module(lambda nn: nn.AdaptiveAvgPool3d(size), x)
    check_module(lambda nn: nn.AdaptiveMaxPool3d(size), x)
    assert repr(lnn.AdaptiveMaxPool3d(size, return_indices=True)) == repr(
        tnn.AdaptiveMaxPool3d(size, return_indices=True)
    )


POOL_ERRORS = [
    ("max_pool3d", (2, 3, 6, 6, 6), ((2, 2),), {}),
    ("max_pool3d", (2, 3, 6, 6, 6), (2,), {"stride": (2, 2)}),
    ("max_pool3d", (2, 3, 6, 6, 6), (2,), {"padding": (1, 1)}),
    ("max_pool3d", (2, 3, 6, 6, 6), (2,), {"dilation": (1, 1)}),
    ("avg_pool3d", (2, 3, 6, 6, 6), ((2, 2),), {}),
    ("avg_pool3d", (2, 3, 6, 6, 6), (2,), {"stride": (2, 2)}),
    ("avg_pool3d", (2, 3, 6, 6, 6), (2,), {"padding": (1, 1)}),
    ("max_pool3d", (2, 3, 6, 6, 6), (2,), {"padding": 2}),
    ("avg_pool3d", (2, 3, 6, 6, 6), (2,), {"padding": 2}),
    ("max_pool3d", (2, 3, 6, 6, 6), (2,), {"padding": 2, "dilation": 3}),
    ("max_pool3d", (2, 3, 6, 6, 6), (2,), {"padding": -1}),
    ("max_pool3d", (2, 3, 6, 6, 6), (2,), {"stride": 0}),
    ("max_pool3d", (2, 3, 6, 6, 6), (2,), {"dilation": 0}),
    ("max_pool3d", (1, 2, 4, 5, 5), ((2, 0, 2),), {"stride": 1}),
    ("avg_pool3d", (1, 2, 4, 5, 5), ((2, 0, 2),), {"stride": 1}),
    ("max_pool3d", (1, 1, 1, 1, 1), (2,), {}),
    ("max_pool3d", (1, 1, 1, 1), (2,), {}),
    ("avg_pool3d", (1, 1, 1, 1, 1), (2,), {}),
    ("avg_pool3d", (2, 3, 1, 6, 6), (2,), {"padding": 1}),
    ("max_pool3d", (1, 4, 5), (2,), {}),
    ("avg_pool3d", (1, 4, 5), (2,), {}),
    ("max_pool3d", (2, 0, 6, 6, 6), (2,), {}),
    ("avg_pool3d", (2, 3, 0, 6, 6), (2,), {}),
    ("avg_pool3d", (2, 3, 6, 6, 6), (2,), {"divisor_override": 0}),
    ("max_pool2d", (2, 3, 6, 6), (2,), {"padding": 2, "dilation": 3}),
    ("max_pool2d", (2, 3, 6, 6), (2,), {"dilation": 0}),
    ("max_pool2d", (2, 3, 6, 6), ((2, 2, 2),), {}),
    ("avg_pool2d", (2, 3, 6, 6), (2,), {"stride": (2, 2, 2)}),
    ("max_pool2d", (2, 0, 6, 6), (2,), {}),
    ("adaptive_avg_pool3d", (4, 5), (2,), {}),
    ("adaptive_max_pool3d", (4, 5), (2,), {}),
    ("adaptive_avg_pool3d", (4, 5), ((2, 2, 2),), {}),
    ("adaptive_avg_pool3d", (1, 2, 3, 4, 5), ((2, 3),), {}),
    ("adaptive_max_pool3d", (1, 2, 3, 4, 5), ((2, 3),), {}),
    ("adaptive_avg_pool3d", (1, 2, 0, 4, 5), (2,), {}),
    ("adaptive_max_pool3d", (1, 2, 0, 4, 5), (2,), {}),
    ("adaptive_avg_pool3d", (1, 2, 3, 4, 5), ((2, -1, 1),), {}),
]


@pytest.mark.parametrize("name, xs, args, kw", POOL_ERRORS)
def test_pool_errors(name, xs, args, kw):
    same_error(
        lambda: getattr(TF, name)(torch.zeros(xs), *args, **kw),
        lambda: getattr(LF, name)(lt.zeros(xs), *args, **kw),
    )


def test_pool3d_empty_batch():
    for name in ("max_pool3d", "avg_pool3d"):
        a, b = getattr(TF, name)(torch.zeros(0, 3, 6, 6, 6), 2), getattr(LF, name)(lt.zeros(0, 3, 6, 6, 6), 2)
        assert tuple(a.shape) == tuple(b.shape)
    for name in ("adaptive_avg_pool3d", "adaptive_max_pool3d"):
        a, b = getattr(TF, name)(torch.zeros(0, 3, 6, 6, 6), 2), getattr(LF, name)(lt.zeros(0, 3, 6, 6, 6), 2)
        assert tuple(a.shape) == tuple(b.shape)
        a, b = (
            getattr(TF, name)(torch.zeros(1, 3, 6, 6, 6), (2, None, 0)),
            getattr(LF, name)(lt.zeros(1, 3, 6, 6, 6), (2, None, 0)),
        )
        assert tuple(a.shape) == tuple(b.shape)


# ---- instance norm ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "ctor",
    [
        "nn.InstanceNorm3d(3)",
        "nn.InstanceNorm3d(3, affine=True)",
        "nn.InstanceNorm3d(3, eps=1e-3, momentum=0.3, affine=True, track_running_stats=True)",
        "nn.LazyInstanceNorm3d()",
        "nn.LazyInstanceNorm3d(affine=False, track_running_stats=False)",
    ],
)
def test_instance_norm3d(ctor):
    x = x64(2, 3, 3, 4, 5)
    check_module(lambda nn: eval(ctor, {"nn": nn}), x)
    check_module(lambda nn: eval(ctor, {"nn": nn}), x[0])
    tm, lm = eval(ctor, {"nn": tnn}).double(), eval(ctor, {"nn": lnn}).double()
    tm(torch.tensor(x)), lm(lt.tensor(x))
    tm.eval(), lm.eval()
    _close(tm(torch.tensor(x)), lm(lt.tensor(x)), 1e-10)
    same_error(lambda: tm(torch.zeros(3, 4, 5)), lambda: lm(lt.zeros(3, 4, 5)))


def test_instance_norm3d_feature_mismatch():
    same_error(
        lambda: tnn.InstanceNorm3d(4, affine=True)(torch.zeros(2, 3, 2, 2, 2)),
        lambda: lnn.InstanceNorm3d(4, affine=True)(lt.zeros(2, 3, 2, 2, 2)),
    )


# ---- affine_grid / grid_sample --------------------------------------------------------------
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 5), (2, 3, 3, 4, 5), (2, 1, 1, 4, 1)])
def test_affine_grid(size, align_corners):
    theta = x64(2, 2, 3) if len(size) == 4 else x64(2, 3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_fn(
            lambda t: TF.affine_grid(t, size, align_corners=align_corners),
            lambda t: LF.affine_grid(t, size, align_corners=align_corners),
            (theta,),
            tol=1e-12,
        )
        check_fn(
            lambda t: torch.affine_grid_generator(t, size, align_corners),
            lambda t: lt.affine_grid_generator(t, size, align_corners),
            (theta,),
            tol=1e-12,
            second=False,
        )


def test_affine_grid_float32_and_warnings():
    theta = rng.standard_normal((3, 2, 3)).astype(np.float32)
    check_fn(
        lambda t: TF.affine_grid(t, (3, 1, 7, 9), align_corners=False),
        lambda t: LF.affine_grid(t, (3, 1, 7, 9), align_corners=False),
        (theta,),
        tol=1e-6,
        second=False,
    )
    for call in (
        lambda F, m: F.affine_grid(m.zeros(2, 2, 3), (2, 3, 4, 5)),
        lambda F, m: F.affine_grid(m.zeros(2, 2, 3), (2, 3, 1, 5), align_corners=True),
        lambda F, m: F.grid_sample(m.zeros(1, 1, 2, 2), m.zeros(1, 1, 1, 2)),
    ):
        with warnings.catch_warnings(record=True) as t_w:
            warnings.simplefilter("always")
            call(TF, torch)
        with warnings.catch_warnings(record=True) as l_w:
            warnings.simplefilter("always")
            call(LF, lt)
        assert [str(w.message) for w in l_w] == [str(w.message) for w in t_w]


AFFINE_ERRORS = [
    ((2, 2, 3), (2, 3, 4)),
    ((2, 2, 3), (2, 3, 4, 5, 6)),
    ((2, 3, 4), (2, 3, 4, 5)),
    ((2, 2, 3), (2, 3, 0, 5)),
    ((2, 2, 3), (3, 3, 4, 5)),
]


@pytest.mark.parametrize("ts, size", AFFINE_ERRORS)
def test_affine_grid_errors(ts, size):
    same_error(
        lambda: TF.affine_grid(torch.zeros(ts), size, align_corners=False),
        lambda: LF.affine_grid(lt.zeros(ts), size, align_corners=False),
    )
    same_error(
        lambda: TF.affine_grid(torch.zeros(ts, dtype=torch.int32), size, align_corners=False),
        lambda: LF.affine_grid(lt.zeros(ts, dtype=lt.int32), size, align_corners=False),
    )


@pytest.mark.parametrize(
    "nd, mode, padding_mode, align_corners",
    list(
        itertools.product([2, 3], ["bilinear", "nearest"], ["zeros", "border", "reflection"], [False, True])
    ),
)
def test_grid_sample(nd, mode, padding_mode, align_corners):
    x = x64(2, 3, *(3, 4, 5)[-nd:])
    grid = rng.uniform(-1.6, 1.6, (2, *(2, 3, 4)[-nd:], nd))
    kw = {"mode": mode, "padding_mode": padding_mode, "align_corners": align_corners}
    check_fn(lambda a, g: TF.grid_sample(a, g, **kw), lambda a, g: LF.grid_sample(a, g, **kw), (x, grid))
    check_fn(
        lambda a, g: torch.grid_sampler(
            a,
            g,
            0 if mode == "bilinear" else 1,
            ["zeros", "border", "reflection"].index(padding_mode),
            align_corners,
        ),
        lambda a, g: lt.grid_sampler(
            a,
            g,
            0 if mode == "bilinear" else 1,
            ["zeros", "border", "reflection"].index(padding_mode),
            align_corners,
        ),
        (x, grid),
        second=False,
    )


def test_grid_sample_float32_extreme_points_and_unit_sizes():
    x = rng.standard_normal((2, 3, 5, 6)).astype(np.float32)
    grid = np.concatenate(
        [
            rng.uniform(-3, 3, (2, 4, 5, 2)),
            np.array([-1.0, 1.0, 0.0, 1e4, -1e4])[None, None, :, None].repeat(2, 0).repeat(2, 3),
        ],
        1,
    ).astype(np.float32)
    for mode, pm, ac in itertools.product(
        ["bilinear", "nearest"], ["zeros", "border", "reflection"], [False, True]
    ):
        kw = {"mode": mode, "padding_mode": pm, "align_corners": ac}
        check_fn(
            lambda a, g: TF.grid_sample(a, g, **kw),
            lambda a, g: LF.grid_sample(a, g, **kw),
            (x, grid),
            tol=1e-4,
            second=False,
        )
    one = x64(1, 2, 1, 1, 3)
    g3 = rng.uniform(-2, 2, (1, 2, 3, 2, 3))
    for pm, ac in itertools.product(["zeros", "border", "reflection"], [False, True]):
        kw = {"padding_mode": pm, "align_corners": ac}
        check_fn(
            lambda a, g: TF.grid_sample(a, g, **kw),
            lambda a, g: LF.grid_sample(a, g, **kw),
            (one, g3),
            second=False,
        )


GRID_ERRORS = [
    ((2, 3, 4, 5), (2, 6, 7, 3), {}),
    ((2, 3, 4, 5), (3, 6, 7, 2), {}),
    ((3, 4, 5), (6, 7, 2), {}),
    ((2, 3, 4, 5), (2, 6, 7, 2, 2), {}),
    ((2, 3, 4), (2, 5, 1), {}),
    ((2, 3, 4, 5, 6), (2, 5, 1, 3), {}),
    ((2, 3, 4, 5, 6), (2, 5, 1, 3, 3, 1), {}),
    ((1, 1, 0, 3), (1, 2, 2, 2), {}),
    ((2, 3, 4, 5), (2, 6, 7, 2), {"mode": "area"}),
    ((2, 3, 4, 5), (2, 6, 7, 2), {"padding_mode": "wrap"}),
    ((1, 1, 2, 3, 4), (1, 2, 2, 2, 3), {"mode": "bicubic"}),
]


@pytest.mark.parametrize("xs, gs, kw", GRID_ERRORS)
def test_grid_sample_errors(xs, gs, kw):
    same_error(
        lambda: TF.grid_sample(torch.zeros(xs), torch.zeros(gs), align_corners=False, **kw),
        lambda: LF.grid_sample(lt.zeros(xs), lt.zeros(gs), align_corners=False, **kw),
    )
    same_error(
        lambda: TF.grid_sample(
            torch.zeros(2, 3, 4, 5), torch.zeros(2, 6, 7, 2, dtype=torch.float64), align_corners=False
        ),
        lambda: LF.grid_sample(
            lt.zeros(2, 3, 4, 5), lt.zeros(2, 6, 7, 2, dtype=lt.float64), align_corners=False
        ),
    )


def test_spatial_transformer_step():
    """A localisation net (Conv3d, pooling, Linear) predicting theta; one SGD step in both libraries."""

    def make(nn):
        return nn.Sequential(
            nn.Conv3d(1, 4, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool3d(2),
            nn.InstanceNorm3d(4),
            nn.AdaptiveAvgPool3d(1),
            nn.Flatten(),
            nn.Linear(4, 6),
        )

    torch.manual_seed(0)
    tm = make(tnn).double()
    lt.manual_seed(0)
    lm = make(lnn).double()
    vol, target = x64(2, 1, 4, 6, 6), x64(2, 1, 6, 6)
    results = []
    for lib, F, m in ((torch, TF, tm), (lt, LF, lm)):
        opt = lib.optim.SGD(m.parameters(), lr=0.1)
        v = lib.tensor(vol)
        theta = m(v).reshape(2, 2, 3) + lib.tensor([[1.0, 0, 0], [0, 1.0, 0]], dtype=lib.float64)
        grid = F.affine_grid(theta, (2, 1, 6, 6), align_corners=False)
        loss = F.mse_loss(F.grid_sample(v.mean(2), grid, align_corners=False), lib.tensor(target))
        opt.zero_grad()
        loss.backward()
        opt.step()
        results.append([float(loss)] + [_np(p) for p in m.parameters()])
    assert abs(results[0][0] - results[1][0]) < 1e-12
    for a, b in zip(results[0][1:], results[1][1:]):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)
