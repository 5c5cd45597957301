"""3-D convolution and pooling, instance norm 3-D, affine_grid and grid_sample: values against direct
loop definitions on small inputs, float64 gradients (and second derivatives) by finite differences,
the modules (lazy ones included) and the error messages."""

import itertools
import math

import numpy as np
import pytest

import lanterna as torch
import lanterna.nn as nn
import lanterna.nn.functional as F
from lanterna.autograd import gradcheck, gradgradcheck
from lanterna.ops import nn_conv

rng = np.random.default_rng(0)


def t64(*shape, grad=True):
    return torch.tensor(rng.standard_normal(shape), dtype=torch.float64, requires_grad=grad)


def triple(v):
    return (v,) * 3 if isinstance(v, int) else tuple(v)


# ---- direct definitions ------------------------------------------------------------------------
def conv3d_ref(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Each output voxel: the sum over its (dilated) window and its group's channels."""
    (sd, sh, sw), (pd, ph, pw), (dd, dh, dw) = triple(stride), triple(padding), triple(dilation)
    n, c, d, h, wd = x.shape
    o, cg, kd, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pd, pd), (ph, ph), (pw, pw)))
    od = (d + 2 * pd - dd * (kd - 1) - 1) // sd + 1
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, o, od, oh, ow))
    og = o // groups
    for z, y, q in itertools.product(range(od), range(oh), range(ow)):
        win = xp[
            :,
            :,
            z * sd : z * sd + dd * (kd - 1) + 1 : dd,
            y * sh : y * sh + dh * (kh - 1) + 1 : dh,
            q * sw : q * sw + dw * (kw - 1) + 1 : dw,
        ]
        for g in range(groups):
            out[:, g * og : (g + 1) * og, z, y, q] = np.einsum(
                "ncijk,ocijk->no", win[:, g * cg : (g + 1) * cg], w[g * og : (g + 1) * og]
            )
    if b is not None:
        out += b.reshape(1, -1, 1, 1, 1)
    return out


def conv_transpose3d_ref(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Every input voxel adds its weighted kernel into the output, at stride, then the padding is cut."""
    s, p, op, dl = triple(stride), triple(padding), triple(output_padding), triple(dilation)
    n, cin, d, h, wd = x.shape
    _, og, kd, kh, kw = w.shape
    cg = cin // groups
    size = [
        (i - 1) * si + di * (k - 1) + 1 + o for i, si, di, k, o in zip((d, h, wd), s, dl, (kd, kh, kw), op)
    ]
    full = np.zeros((n, og * groups, *size))
    for z, y, q in itertools.product(range(d), range(h), range(wd)):
        for g in range(groups):
            contrib = np.einsum(
                "nc,coijk->noijk", x[:, g * cg : (g + 1) * cg, z, y, q], w[g * cg : (g + 1) * cg]
            )
            full[
                :,
                g * og : (g + 1) * og,
                z * s[0] : z * s[0] + dl[0] * (kd - 1) + 1 : dl[0],
                y * s[1] : y * s[1] + dl[1] * (kh - 1) + 1 : dl[1],
                q * s[2] : q * s[2] + dl[2] * (kw - 1) + 1 : dl[2],
            ] += contrib
    out = full[:, :, p[0] : size[0] - p[0], p[1] : size[1] - p[1], p[2] : size[2] - p[2]]
    if b is not None:
        out = out + b.reshape(1, -1, 1, 1, 1)
    return out


def _out(n, k, s, p, d, ceil):
    num = n + 2 * p - d * (k - 1) - 1
    o = (-(-num // s) if ceil else num // s) + 1
    if ceil and (o - 1) * s >= n + p:
        o -= 1
    return o


def max_pool3d_ref(x, k, s=None, p=0, d=1, ceil=False):
    """Max over each window (padding never wins) and the flat D*H*W index of its first maximum."""
    k, p, d = triple(k), triple(p), triple(d)
    s = k if s is None else triple(s)
    n, c = x.shape[:2]
    size = x.shape[2:]
    outs = [_out(size[a], k[a], s[a], p[a], d[a], ceil) for a in range(3)]
    val = np.zeros((n, c, *outs))
    idx = np.zeros((n, c, *outs), dtype=np.int64)
    for cell in itertools.product(*map(range, outs)):
        best = np.full((n, c), -np.inf)
        arg = np.zeros((n, c), dtype=np.int64)
        for off in itertools.product(*map(range, k)):
            pos = [cell[a] * s[a] - p[a] + off[a] * d[a] for a in range(3)]
            if all(0 <= pos[a] < size[a] for a in range(3)):
                v = x[:, :, pos[0], pos[1], pos[2]]
                better = v > best
                best = np.where(better, v, best)
                arg = np.where(better, (pos[0] * size[1] + pos[1]) * size[2] + pos[2], arg)
        val[(slice(None), slice(None)) + cell] = best
        idx[(slice(None), slice(None)) + cell] = arg
    return val, idx


def avg_pool3d_ref(x, k, s=None, p=0, ceil=False, count_include_pad=True, divisor_override=None):
    """PyTorch's definition: the window clipped to the padded input gives the divisor (or the window
    clipped to the input, without count_include_pad)."""
    k, p = triple(k), triple(p)
    s = k if s is None else triple(s)
    n, c = x.shape[:2]
    size = x.shape[2:]
    outs = [_out(size[a], k[a], s[a], p[a], 1, ceil) for a in range(3)]
    out = np.zeros((n, c, *outs))
    for cell in itertools.product(*map(range, outs)):
        lo = [cell[a] * s[a] - p[a] for a in range(3)]
        hi = [min(lo[a] + k[a], size[a] + p[a]) for a in range(3)]
        pool = math.prod(hi[a] - lo[a] for a in range(3))
        lo = [max(v, 0) for v in lo]
        hi = [min(hi[a], size[a]) for a in range(3)]
        total = x[:, :, lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]].sum((2, 3, 4))
        div = divisor_override or (pool if count_include_pad else math.prod(hi[a] - lo[a] for a in range(3)))
        out[(slice(None), slice(None)) + cell] = total / div
    return out


def adaptive_ref(x, sizes, reduce):
    n, c = x.shape[:2]
    out = np.zeros((n, c, *sizes))
    for cell in itertools.product(*map(range, sizes)):
        sl = tuple(
            slice(math.floor(i * m / o), math.ceil((i + 1) * m / o))
            for i, m, o in zip(cell, x.shape[2:], sizes)
        )
        out[(slice(None), slice(None)) + cell] = reduce(x[(slice(None), slice(None)) + sl], axis=(2, 3, 4))
    return out


def _source_ref(coord, size, padding_mode, align_corners):
    """PyTorch's grid_sampler_compute_source_index, one coordinate at a time."""
    ix = (coord + 1) / 2 * (size - 1) if align_corners else ((coord + 1) * size - 1) / 2
    if padding_mode == "border":
        ix = min(size - 1, max(ix, 0))
    elif padding_mode == "reflection":
        lo2, hi2 = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        if lo2 == hi2:
            ix = 0.0
        else:
            lo, span = lo2 / 2, (hi2 - lo2) / 2
            v = abs(ix - lo)
            extra, flips = math.fmod(v, span), math.floor(v / span)
            ix = extra + lo if flips % 2 == 0 else span - extra + lo
        ix = min(size - 1, max(ix, 0))
    return ix


def grid_sample_ref(x, grid, mode, padding_mode, align_corners):
    n, c = x.shape[:2]
    spatial = x.shape[2:]
    nd = len(spatial)
    out_sp = grid.shape[1:-1]
    out = np.zeros((n, c, *out_sp))
    for b in range(n):
        for cell in itertools.product(*map(range, out_sp)):
            coords = grid[(b,) + cell]
            src = [
                _source_ref(coords[nd - 1 - a], spatial[a], padding_mode, align_corners) for a in range(nd)
            ]
            if mode == "nearest":
                corners = [([round(v) for v in src], 1.0)]  # Python's round: half to even
            else:
                base = [math.floor(v) for v in src]
                corners = []
                for bits in itertools.product((0, 1), repeat=nd):
                    wgt = math.prod(
                        (src[a] - base[a]) if bits[a] else (1 - (src[a] - base[a])) for a in range(nd)
                    )
                    corners.append(([base[a] + bits[a] for a in range(nd)], wgt))
            for pos, wgt in corners:
                if all(0 <= pos[a] < spatial[a] for a in range(nd)):
                    out[(b, slice(None)) + cell] += wgt * x[(b, slice(None)) + tuple(pos)]
    return out


# ---- conv3d ------------------------------------------------------------------------------------
CONV_CASES = [
    ((2, 4, 5, 6, 5), (6, 4, 3, 2, 3), {}),
    ((2, 4, 6, 5, 7), (6, 4, 3, 3, 2), {"stride": 2, "padding": 1}),
    (
        (1, 4, 7, 6, 6),
        (6, 2, 2, 3, 3),
        {"stride": (1, 2, 3), "padding": (2, 0, 1), "dilation": (2, 1, 2), "groups": 2},
    ),
    ((2, 3, 4, 5, 6), (3, 1, 1, 3, 1), {"groups": 3, "padding": (0, 1, 0)}),
]


@pytest.mark.parametrize("xs, ws, kw", CONV_CASES)
def test_conv3d_matches_definition(xs, ws, kw):
    x, w, b = t64(*xs, grad=False), t64(*ws, grad=False), t64(ws[0], grad=False)
    got = F.conv3d(x, w, b, **kw)
    ref = conv3d_ref(x.numpy(), w.numpy(), b.numpy(), **kw)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-12, atol=1e-12)
    assert torch.conv3d(x, w, None, **kw).shape == ref.shape


def test_conv3d_unbatched_and_padding_strings():
    x, w = t64(3, 4, 5, 6, grad=False), t64(2, 3, 3, 2, 3, grad=False)
    got = F.conv3d(x, w, padding="same", dilation=(1, 2, 1))
    ref = conv3d_ref(
        np.pad(x.numpy()[None], ((0, 0), (0, 0), (1, 1), (1, 1), (1, 1))), w.numpy(), dilation=(1, 2, 1)
    )[0]
    assert got.shape == (2, 4, 5, 6)
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        F.conv3d(x, w, padding="valid").numpy(),
        conv3d_ref(x.numpy()[None], w.numpy())[0],
        rtol=1e-12,
        atol=1e-12,
    )


@pytest.mark.parametrize("xs, ws, kw", CONV_CASES[:3])
def test_conv3d_gradients(xs, ws, kw):
    # a smaller input (batch and spatial sizes at most 4, yet no smaller than a dilated window): the
    # finite differences stay cheap
    dilation = triple(kw.get("dilation", 1))
    spatial = [max(min(s, 4), (k - 1) * d + 1) for s, k, d in zip(xs[2:], ws[2:], dilation)]
    x, w, b = t64(min(xs[0], 2), xs[1], *spatial), t64(*ws), t64(ws[0])
    assert gradcheck(lambda x, w, b: F.conv3d(x, w, b, **kw), (x, w, b))
    assert gradgradcheck(lambda x, w: F.conv3d(x, w, None, **kw), (x, w))


def test_conv3d_grad_fn_and_plain_backward_match_graph_backward():
    x, w, b = t64(2, 3, 5, 4, 6), t64(4, 3, 2, 3, 2), t64(4)
    y = F.conv3d(x, w, b, stride=(2, 1, 1), padding=1)
    assert y.grad_fn.name() == "ConvolutionBackward0"
    g = t64(*y.shape, grad=False)
    plain = torch.autograd.grad(y, (x, w, b), g, retain_graph=True)
    graph = torch.autograd.grad(y, (x, w, b), g, create_graph=True)
    for a, c in zip(plain, graph):
        np.testing.assert_allclose(a.numpy(), c.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_conv3d_streamed_matches_one_gemm(monkeypatch):
    """Few output channels stream the im2col matrix of the 2-D form block by block."""
    x, w, b = t64(2, 2, 6, 9, 8), t64(3, 2, 3, 3, 2), t64(3)

    def results():
        for t in (x, w, b):
            t.grad = None
        y = F.conv3d(x, w, b, padding=(1, 0, 1))
        gy = torch.tensor(np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)), dtype=torch.float64)
        gx, gw = torch.autograd.grad((y * gy).sum(), (x, w), create_graph=True)
        (ggw,) = torch.autograd.grad(gx.square().sum(), (w,))
        (y * gy).sum().backward()
        return [a.detach().numpy().copy() for a in (y, x.grad, w.grad, b.grad, gw, ggw)]

    monkeypatch.setattr(nn_conv, "STREAM_MAX_OUT", 0)
    whole = results()
    monkeypatch.setattr(nn_conv, "STREAM_MAX_OUT", 12)
    monkeypatch.setattr(nn_conv, "BLOCK_BYTES", 4000)
    assert nn_conv._streamed(
        nn_conv._Geometry((1, 1), (0, 1), (1, 1), 1, 3, 2), (3, 6, 3, 2), torch.zeros(12, 6, 9, 8)._data
    )
    for a, c in zip(whole, results()):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)


TRANSPOSE_CASES = [
    ((2, 4, 3, 2, 3), (4, 3, 2, 3, 2), {}),
    ((2, 4, 3, 3, 2), (4, 2, 3, 2, 3), {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}),
    (
        (1, 2, 2, 3, 2),
        (2, 3, 2, 2, 3),
        {"stride": (2, 1, 3), "padding": (1, 0, 2), "dilation": (1, 2, 2), "output_padding": (1, 1, 0)},
    ),
]


@pytest.mark.parametrize("xs, ws, kw", TRANSPOSE_CASES)
def test_conv_transpose3d_matches_definition_and_gradients(xs, ws, kw):
    x, w, b = t64(*xs), t64(*ws), t64(ws[1] * kw.get("groups", 1))
    got = F.conv_transpose3d(x, w, b, **kw)
    ref = conv_transpose3d_ref(x.detach().numpy(), w.detach().numpy(), b.detach().numpy(), **kw)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got.detach().numpy(), ref, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda x, w, b: F.conv_transpose3d(x, w, b, **kw), (x, w, b))
    assert gradgradcheck(lambda x, w: F.conv_transpose3d(x, w, None, **kw), (x, w))


def test_conv_transpose3d_is_the_adjoint_of_conv3d():
    x, w = t64(2, 3, 5, 6, 4, grad=False), t64(4, 3, 3, 2, 2, grad=False)
    kw = {"stride": (2, 1, 2), "padding": (1, 1, 0), "dilation": (1, 2, 1)}
    y = F.conv3d(x, w, **kw)
    g = t64(*y.shape, grad=False)
    lhs = float((y * g).sum())
    size = [
        (i - 1) * s - 2 * p + d * (k - 1) + 1
        for i, s, p, d, k in zip(y.shape[2:], kw["stride"], kw["padding"], kw["dilation"], w.shape[2:])
    ]
    op = tuple(a - b for a, b in zip(x.shape[2:], size))
    rhs = float((F.conv_transpose3d(g, w, output_padding=op, **kw) * x).sum())
    assert abs(lhs - rhs) < 1e-9 * max(1, abs(lhs))


def test_conv3d_errors():
    x, w = torch.zeros(1, 4, 2, 2, 2), torch.zeros(6, 4, 3, 3, 3)
    with pytest.raises(
        RuntimeError,
        match=r"Calculated padded input size per channel: \(2 x 2 x 2\). Kernel size: "
        r"\(3 x 3 x 3\). Kernel size can't be greater than actual input size",
    ):
        F.conv3d(x, w)
    with pytest.raises(
        RuntimeError, match=r"expected stride to be a single integer value or a list of 3 values"
    ):
        F.conv3d(torch.zeros(1, 4, 5, 5, 5), w, stride=(1, 2))
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided convolutions"):
        F.conv3d(torch.zeros(1, 4, 5, 5, 5), w, padding="same", stride=2)
    with pytest.raises(
        RuntimeError,
        match=r"Given groups=2, weight of size \[6, 3, 3, 3, 3\], expected "
        r"input\[1, 4, 5, 5, 5\] to have 6 channels, but got 4 channels instead",
    ):
        F.conv3d(torch.zeros(1, 4, 5, 5, 5), torch.zeros(6, 3, 3, 3, 3), groups=2)
    with pytest.raises(
        RuntimeError,
        match=r"output padding must be smaller than either stride or dilation, but got "
        r"output_padding_depth: 2 output_padding_height: 2",
    ):
        F.conv_transpose3d(torch.zeros(1, 4, 2, 2, 2), torch.zeros(4, 3, 3, 3, 3), stride=2, output_padding=2)
    with pytest.raises(
        RuntimeError,
        match=r"Given input size per channel: \(1 x 1 x 1\). Calculated output size "
        r"per channel: \(-1 x -1 x -1\). Output size is too small",
    ):
        F.conv_transpose3d(torch.zeros(1, 4, 1, 1, 1), torch.zeros(4, 3, 3, 3, 3), padding=2)


# ---- Conv3d modules --------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv3d_padding_modes(mode):
    m = nn.Conv3d(2, 3, (3, 2, 3), padding=(1, 1, 2), padding_mode=mode).double()
    x = t64(2, 2, 4, 5, 6, grad=False)
    want = F.conv3d(F.pad(x, (2, 2, 1, 1, 1, 1), mode=mode), m.weight, m.bias)
    np.testing.assert_allclose(m(x).detach().numpy(), want.detach().numpy(), rtol=1e-12)
    assert f"padding_mode={mode}" in repr(m)


def test_conv3d_module_shapes_state_and_repr():
    m = nn.Conv3d(4, 6, (3, 1, 2), stride=(1, 2, 1), padding=(1, 0, 1), dilation=2, groups=2, bias=False)
    assert repr(m) == (
        "Conv3d(4, 6, kernel_size=(3, 1, 2), stride=(1, 2, 1), padding=(1, 0, 1), "
        "dilation=(2, 2, 2), groups=2, bias=False)"
    )
    assert list(m.state_dict()) == ["weight"] and m.weight.shape == (6, 2, 3, 1, 2)
    m = nn.Conv3d(3, 5, 3, padding="same")
    assert m(torch.zeros(2, 3, 4, 5, 6)).shape == (2, 5, 4, 5, 6)
    assert m(torch.zeros(3, 4, 5, 6)).shape == (5, 4, 5, 6)
    t = nn.ConvTranspose3d(4, 6, 3, stride=2, output_padding=1, groups=2)
    assert (
        repr(t)
        == "ConvTranspose3d(4, 6, kernel_size=(3, 3, 3), stride=(2, 2, 2), output_padding=(1, 1, 1), "
        "groups=2)"
    )
    assert t.weight.shape == (4, 3, 3, 3, 3) and t.bias.shape == (6,)
    t = nn.ConvTranspose3d(4, 6, 3, stride=2)
    x = torch.zeros(2, 4, 5, 6, 7)
    assert t(x).shape == (2, 6, 11, 13, 15)
    assert t(x, output_size=[12, 14, 16]).shape == (2, 6, 12, 14, 16)
    with pytest.raises(
        ValueError,
        match=r"requested an output size of \[12, 13, 20\], but valid sizes range from "
        r"\[11, 13, 15\] to \[12, 14, 16\]",
    ):
        t(x, output_size=[12, 13, 20])
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose3d'):
        nn.ConvTranspose3d(4, 6, 3, padding_mode="reflect")


def test_lazy_conv3d_modules():
    m = nn.LazyConv3d(6, 3, padding=1)
    assert repr(m) == "LazyConv3d(0, 6, kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=(1, 1, 1))"
    assert m(torch.zeros(2, 4, 3, 4, 5)).shape == (2, 6, 3, 4, 5)
    assert type(m) is nn.Conv3d and m.weight.shape == (6, 4, 3, 3, 3) and m.in_channels == 4
    t = nn.LazyConvTranspose3d(6, 2, stride=2)
    assert t(torch.zeros(4, 3, 4, 5)).shape == (6, 6, 8, 10)
    assert type(t) is nn.ConvTranspose3d and t.weight.shape == (4, 6, 2, 2, 2)


# ---- pooling -----------------------------------------------------------------------------------
MAX_CASES = [
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
]


@pytest.mark.parametrize("kw", MAX_CASES)
def test_max_pool3d_matches_definition(kw):
    x = t64(2, 3, 5, 6, 7)
    y, idx = F.max_pool3d(x, return_indices=True, **kw)
    ref, ref_idx = max_pool3d_ref(
        x.detach().numpy(),
        kw["kernel_size"],
        kw.get("stride"),
        kw.get("padding", 0),
        kw.get("dilation", 1),
        kw.get("ceil_mode", False),
    )
    np.testing.assert_array_equal(y.detach().numpy(), ref)
    np.testing.assert_array_equal(idx.numpy(), ref_idx)
    assert y.grad_fn.name() == "MaxPool3DWithIndicesBackward0"
    small = t64(1, 2, 4, 5, 4)
    assert gradcheck(lambda t: F.max_pool3d(t, **kw), (small,))
    assert gradgradcheck(lambda t: F.max_pool3d(t, **kw), (small,))


def test_max_pool3d_unbatched_unpool_and_module():
    x = t64(3, 4, 4, 6, grad=False)
    y, idx = F.max_pool3d(x, 2, return_indices=True)
    assert y.shape == (3, 2, 2, 3) and idx.shape == (3, 2, 2, 3)
    back = F.max_unpool3d(y, idx, 2)
    dense = np.zeros(x.shape)
    flat = dense.reshape(3, -1)
    np.put_along_axis(flat, idx.numpy().reshape(3, -1), y.numpy().reshape(3, -1), axis=1)
    np.testing.assert_array_equal(back.numpy(), dense)
    assert F.max_unpool3d(y[None], idx[None], 2, output_size=(5, 5, 7)).shape == (1, 3, 5, 5, 7)
    m, u = nn.MaxPool3d(2, return_indices=True), nn.MaxUnpool3d(2)
    assert repr(m) == "MaxPool3d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(u) == "MaxUnpool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0))"
    yy, ii = m(x[None])
    np.testing.assert_array_equal(u(yy, ii).numpy()[0], dense)
    with pytest.raises(
        ValueError, match=r'invalid output_size "\(7, 5, 5\)" \(dim 0 must be between 2 and 6\)'
    ):
        F.max_unpool3d(y, idx, 2, output_size=(7, 5, 5))
    with pytest.raises(
        RuntimeError, match=r"Found an invalid max index: 9600 \(output volumes are of size 4x4x6\)"
    ):
        F.max_unpool3d(y, idx * 0 + 9600, 2)
    with pytest.raises(
        RuntimeError,
        match="Input to max_unpooling3d should be a 4d or 5d Tensor, but got a tensor with 3 dimensions.",
    ):
        F.max_unpool3d(y[0], idx[0], 2)
    xs = t64(1, 2, 4, 4, 4)
    yg, ig = F.max_pool3d(xs, 2, return_indices=True)
    assert gradcheck(lambda t: F.max_unpool3d(t, ig, 2), (yg.detach().requires_grad_(True),))


AVG_CASES = [
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
]


@pytest.mark.parametrize("kw", AVG_CASES)
def test_avg_pool3d_matches_definition(kw):
    x = t64(2, 3, 5, 6, 7)
    y = F.avg_pool3d(x, **kw)
    ref = avg_pool3d_ref(
        x.detach().numpy(),
        kw["kernel_size"],
        kw.get("stride"),
        kw.get("padding", 0),
        kw.get("ceil_mode", False),
        kw.get("count_include_pad", True),
        kw.get("divisor_override"),
    )
    np.testing.assert_allclose(y.detach().numpy(), ref, rtol=1e-12, atol=1e-14)
    assert y.grad_fn.name() == "AvgPool3DBackward0"
    small = t64(1, 2, 4, 5, 4)
    assert gradcheck(lambda t: F.avg_pool3d(t, **kw), (small,))
    assert gradgradcheck(lambda t: F.avg_pool3d(t, **kw), (small,))


def test_avg_and_lp_pool3d_modules():
    m = nn.AvgPool3d(
        (2, 1, 2), stride=2, padding=(1, 0, 1), ceil_mode=True, count_include_pad=False, divisor_override=3
    )
    assert repr(m) == "AvgPool3d(kernel_size=(2, 1, 2), stride=2, padding=(1, 0, 1))"
    x = t64(2, 3, 4, 5, 5, grad=False)
    want = avg_pool3d_ref(x.numpy(), (2, 1, 2), 2, (1, 0, 1), True, False, 3)
    np.testing.assert_allclose(m(x).numpy(), want, rtol=1e-12)
    p = nn.LPPool3d(2, 2)
    want = np.sqrt(avg_pool3d_ref(x.numpy() ** 2, 2) * 8)
    np.testing.assert_allclose(p(x).numpy(), want, rtol=1e-12)


@pytest.mark.parametrize("sizes", [(2, 2, 2), (3, 4, 5), (1, 1, 1), (5, 6, 7), (2, None, 3)])
def test_adaptive_pool3d_matches_definition(sizes):
    x = t64(2, 3, 5, 6, 7)
    full = tuple(x.shape[2 + i] if s is None else s for i, s in enumerate(sizes))
    avg = F.adaptive_avg_pool3d(x, sizes)
    np.testing.assert_allclose(
        avg.detach().numpy(), adaptive_ref(x.detach().numpy(), full, np.mean), rtol=1e-12
    )
    mx, idx = F.adaptive_max_pool3d(x, sizes, return_indices=True)
    np.testing.assert_array_equal(mx.detach().numpy(), adaptive_ref(x.detach().numpy(), full, np.max))
    flat = x.detach().numpy().reshape(2, 3, -1)
    np.testing.assert_array_equal(
        np.take_along_axis(flat, idx.numpy().reshape(2, 3, -1), 2).reshape(mx.shape), mx.detach().numpy()
    )
    small = t64(1, 2, 3, 4, 5)
    small_sizes = tuple(min(s or 9, m) for s, m in zip(sizes, (3, 4, 5)))
    assert gradcheck(lambda t: F.adaptive_avg_pool3d(t, small_sizes), (small,))
    assert gradcheck(lambda t: F.adaptive_max_pool3d(t, small_sizes), (small,))


def test_adaptive_pool3d_modules_and_unbatched():
    x = t64(3, 4, 5, 6, grad=False)
    assert nn.AdaptiveAvgPool3d((2, None, 3))(x).shape == (3, 2, 5, 3)
    y, i = nn.AdaptiveMaxPool3d(2, return_indices=True)(x)
    assert y.shape == i.shape == (3, 2, 2, 2)
    assert repr(nn.AdaptiveAvgPool3d((2, None, 3))) == "AdaptiveAvgPool3d(output_size=(2, None, 3))"
    y2, i2 = F.adaptive_max_pool3d_with_indices(x, 2)
    np.testing.assert_array_equal(i2.numpy(), i.numpy())


def test_pool3d_errors():
    x = torch.zeros(2, 3, 6, 6, 6)
    cases = [
        (
            lambda: F.max_pool3d(x, (2, 2)),
            "max_pool3d: kernel_size must either be a single int, or a tuple of three ints",
        ),
        (
            lambda: F.max_pool3d(x, 2, stride=(2, 2)),
            "max_pool3d: stride must either be omitted, a single int, or a tuple of three ints",
        ),
        (
            lambda: F.avg_pool3d(x, (2, 2)),
            "avg_pool3d: kernel_size must be a single int, or a tuple of three ints",
        ),
        (
            lambda: F.max_pool3d(x, 2, padding=2),
            "pad should be at most half of effective kernel size, but got pad=2, "
            "kernel_size=2 and dilation=1",
        ),
        (
            lambda: F.max_pool3d(x, 2, padding=2, dilation=3),
            "pad should be smaller than or equal to half of kernel size, but got kT: 2 kW: 2 kH: 2 padT: 2 "
            "padW: 2 padH: 2",
        ),
        (
            lambda: F.max_pool3d(torch.zeros(1, 1, 1, 1, 1), 2),
            "Given input size: (1x1x1x1). Calculated output size: (1x0x0x0). Output size is too small",
        ),
        (
            lambda: F.avg_pool3d(torch.zeros(2, 3, 1, 6, 6), 2, padding=1),
            "input image (T: 1 H: 6 W: 6) smaller than kernel size (kT: 2 kH: 2 kW: 2)",
        ),
        (
            lambda: F.max_pool3d(torch.zeros(1, 4, 5), 2),
            "non-empty 4D or 5D (batch mode) tensor expected for input",
        ),
        (
            lambda: F.max_pool3d(x, 2, dilation=0),
            "dilation should be greater than zero, but got dilationT: 0 dilationH: 0 dilationW: 0",
        ),
        (lambda: F.avg_pool3d(x, 2, divisor_override=0), "divisor must be not zero"),
        (
            lambda: F.adaptive_avg_pool3d(torch.zeros(4, 5, 6), 2),
            "adaptive_avg_pool3d(): Expected 4D or 5D tensor, but got [4, 5, 6]",
        ),
    ]
    for fn, message in cases:
        with pytest.raises(RuntimeError) as info:
            fn()
        assert str(info.value) == message
    assert F.max_pool3d(torch.zeros(0, 3, 6, 6, 6), 2).shape == (0, 3, 3, 3, 3)


def test_max_pool2d_still_takes_its_fast_path_and_empty_batches():
    x = t64(2, 3, 6, 8)
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    ref, ref_idx = max_pool3d_ref(x.detach().numpy()[:, :, None], (1, 2, 2))
    np.testing.assert_array_equal(y.detach().numpy(), ref[:, :, 0])
    np.testing.assert_array_equal(idx.numpy(), ref_idx[:, :, 0])
    assert F.max_pool2d(torch.zeros(0, 3, 4, 4), 2).shape == (0, 3, 2, 2)
    assert F.avg_pool2d(torch.zeros(0, 3, 4, 4), 2).shape == (0, 3, 2, 2)


# ---- instance norm -----------------------------------------------------------------------------
def test_instance_norm3d():
    x = t64(2, 3, 3, 4, 5)
    m = nn.InstanceNorm3d(3, affine=True).double()
    with torch.no_grad():
        m.weight.copy_(torch.tensor([1.0, 2.0, -0.5], dtype=torch.float64))
        m.bias.copy_(torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64))
    a = x.detach().numpy()
    mean = a.mean((2, 3, 4), keepdims=True)
    var = a.var((2, 3, 4), keepdims=True)
    want = (a - mean) / np.sqrt(var + 1e-5) * np.array([1.0, 2.0, -0.5]).reshape(1, 3, 1, 1, 1) + np.array(
        [0.0, 0.5, 1.0]
    ).reshape(1, 3, 1, 1, 1)
    np.testing.assert_allclose(m(x).detach().numpy(), want, rtol=1e-10, atol=1e-12)
    assert m(x[0]).shape == (3, 3, 4, 5)
    assert (
        repr(m)
        == "InstanceNorm3d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=False)"
    )
    assert gradcheck(lambda t: m(t), (t64(1, 3, 2, 3, 2),))
    with pytest.raises(ValueError, match=r"expected 4D or 5D input \(got 3D input\)"):
        m(torch.zeros(3, 4, 5))
    lazy = nn.LazyInstanceNorm3d()
    assert lazy(torch.zeros(2, 4, 3, 3, 3)).shape == (2, 4, 3, 3, 3)
    assert type(lazy) is nn.InstanceNorm3d and lazy.num_features == 4 and lazy.running_mean.shape == (4,)


# ---- affine_grid / grid_sample ---------------------------------------------------------------
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_matches_definition(align_corners):
    theta = t64(2, 2, 3)
    grid = F.affine_grid(theta, (2, 1, 3, 4), align_corners=align_corners)

    def axis(n):
        r = np.linspace(-1, 1, n) if n > 1 else np.zeros(1)
        return r if align_corners or n <= 1 else r * (n - 1) / n

    ys, xs = np.meshgrid(axis(3), axis(4), indexing="ij")
    base = np.stack([xs, ys, np.ones_like(xs)], -1)  # (H, W, 3)
    want = np.einsum("hwk,njk->nhwj", base, theta.detach().numpy())
    np.testing.assert_allclose(grid.detach().numpy(), want, rtol=1e-12, atol=1e-14)
    assert grid.grad_fn.name() == "AffineGridGeneratorBackward0"
    assert gradcheck(lambda t: F.affine_grid(t, (2, 1, 3, 4), align_corners=align_corners), (theta,))
    theta3 = t64(1, 3, 4)
    g3 = F.affine_grid(theta3, (1, 2, 2, 3, 4), align_corners=align_corners)
    assert g3.shape == (1, 2, 3, 4, 3)
    zs, ys, xs = np.meshgrid(axis(2), axis(3), axis(4), indexing="ij")
    base3 = np.stack([xs, ys, zs, np.ones_like(xs)], -1)
    np.testing.assert_allclose(
        g3.detach().numpy(),
        np.einsum("dhwk,njk->ndhwj", base3, theta3.detach().numpy()),
        rtol=1e-12,
        atol=1e-14,
    )
    assert gradcheck(lambda t: F.affine_grid(t, (1, 2, 2, 3, 4), align_corners=align_corners), (theta3,))


SAMPLE_CASES = list(
    itertools.product([2, 3], ["bilinear", "nearest"], ["zeros", "border", "reflection"], [False, True])
)


@pytest.mark.parametrize("nd, mode, padding_mode, align_corners", SAMPLE_CASES)
def test_grid_sample_matches_definition(nd, mode, padding_mode, align_corners):
    x = t64(2, 3, *(3, 4, 5)[-nd:])
    grid = torch.tensor(
        rng.uniform(-1.7, 1.7, (2, *(2, 3, 2)[-nd:], nd)), dtype=torch.float64, requires_grad=True
    )
    y = F.grid_sample(x, grid, mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    ref = grid_sample_ref(x.detach().numpy(), grid.detach().numpy(), mode, padding_mode, align_corners)
    np.testing.assert_allclose(y.detach().numpy(), ref, rtol=1e-12, atol=1e-13)
    assert y.grad_fn.name() == f"GridSampler{nd}DBackward0"
    fn = lambda a, g: F.grid_sample(a, g, mode=mode, padding_mode=padding_mode, align_corners=align_corners)  # noqa: E731
    if nd == 3:  # smaller, for the finite differences
        x = t64(1, 2, 2, 3, 3)
        grid = torch.tensor(rng.uniform(-1.7, 1.7, (1, 2, 2, 1, 3)), dtype=torch.float64, requires_grad=True)
        y = fn(x, grid)
    if mode == "bilinear":
        assert gradcheck(fn, (x, grid))
        assert gradgradcheck(fn, (x, grid))
    else:  # piecewise constant in the grid: its gradient is zero, as in PyTorch
        assert gradcheck(lambda a: fn(a, grid.detach()), (x,))
        gx, gg = torch.autograd.grad(y.sum(), (x, grid))
        assert gg.shape == grid.shape and not gg.numpy().any()


def test_grid_sample_borders_count_as_outside_for_the_gradient():
    x = t64(1, 1, 3, 3)
    grid = torch.tensor([[[[-1.0, 1.0], [1.0, 0.25]]]], dtype=torch.float64, requires_grad=True)
    y = F.grid_sample(x, grid, padding_mode="border", align_corners=True)
    (gg,) = torch.autograd.grad(y.sum(), (grid,))
    assert gg[0, 0, 0, 0] == 0 and gg[0, 0, 0, 1] == 0 and gg[0, 0, 1, 0] == 0 and gg[0, 0, 1, 1] != 0


def test_grid_sample_and_affine_grid_errors_and_warnings():
    x = torch.zeros(2, 3, 4, 5)
    with pytest.raises(
        ValueError, match="expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: 'area'"
    ):
        F.grid_sample(x, torch.zeros(2, 6, 7, 2), mode="area", align_corners=False)
    with pytest.raises(
        ValueError, match="expected padding_mode to be 'zeros', 'border', or 'reflection', but got: 'wrap'"
    ):
        F.grid_sample(x, torch.zeros(2, 6, 7, 2), padding_mode="wrap", align_corners=False)
    with pytest.raises(
        RuntimeError,
        match=r"grid_sampler\(\): expected grid to have size 2 in last dimension, but "
        r"got grid with sizes \[2, 6, 7, 3\]",
    ):
        F.grid_sample(x, torch.zeros(2, 6, 7, 3), align_corners=False)
    with pytest.raises(RuntimeError, match=r"expected grid and input to have same batch size"):
        F.grid_sample(x, torch.zeros(3, 6, 7, 2), align_corners=False)
    with pytest.raises(
        RuntimeError,
        match=r"grid_sampler\(\): expected 5D input and grid with same number of "
        r"dimensions",
    ):
        F.grid_sample(torch.zeros(2, 3, 4, 5, 6), torch.zeros(2, 5, 1, 3), align_corners=False)
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior has changed"):
        F.grid_sample(x, torch.zeros(2, 6, 7, 2))
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior has changed"):
        F.affine_grid(torch.zeros(2, 2, 3), (2, 3, 4, 5))
    with pytest.raises(
        ValueError,
        match=r"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
        r"\(2, 3, 4, 5, 6\)",
    ):
        F.affine_grid(torch.zeros(2, 2, 3), (2, 3, 4, 5, 6), align_corners=False)
    with pytest.raises(NotImplementedError, match="affine_grid only supports 4D and 5D sizes"):
        F.affine_grid(torch.zeros(2, 2, 3), (2, 3, 4), align_corners=False)
    with pytest.raises(ValueError, match=r"Expected non-zero, positive output size. Got \(2, 3, 0, 5\)"):
        F.affine_grid(torch.zeros(2, 2, 3), (2, 3, 0, 5), align_corners=False)


def test_spatial_transformer_trains():
    """affine_grid + grid_sample + Conv3d in one graph: the loss goes down."""
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv3d(1, 2, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(2, 6)
    )
    with torch.no_grad():
        net[-1].weight.zero_()
        net[-1].bias.copy_(torch.tensor([1.0, 0, 0, 0, 1, 0]))
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    vol = torch.randn(2, 1, 4, 6, 6)
    target = torch.randn(2, 1, 6, 6)
    losses = []
    for _ in range(5):
        theta = net(vol).reshape(2, 2, 3)
        grid = F.affine_grid(theta, (2, 1, 6, 6), align_corners=False)
        out = F.grid_sample(vol.mean(2), grid, align_corners=False)
        loss = F.mse_loss(out, target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < losses[0]
