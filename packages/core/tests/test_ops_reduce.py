"""Reductions: dims (int, tuple, negative), keepdim, dtypes, ties and zeros at the kinks."""

import numpy as np

from optest import ErrorSpec, OpSpec, arr, iarr, make_tests

X = arr(2, 3)
X3 = arr(2, 3, 2)
IN = iarr(2, 3, low=-3, high=4)
BOOL = np.array([[True, False, True], [False, False, True]])
TIES = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], np.float32)
ZEROS = np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0]], np.float32)


def R(name, fn, args, ref=None, **kw):
    return OpSpec(name, fn, args, ref=ref, **kw)


def _lse(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    r = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return r if keepdims else np.squeeze(r, axis=axis)


SPECS = [
    R("sum", lambda T, x: x.sum(), [X], np.sum),
    R("sum_dim", lambda T, x: x.sum(1), [X], lambda x: x.sum(1)),
    R("sum_neg_dim_keepdim", lambda T, x: T.sum(x, -1, keepdim=True), [X3], lambda x: x.sum(-1, keepdims=True)),
    R("sum_tuple", lambda T, x: x.sum((0, 2)), [X3], lambda x: x.sum((0, 2))),
    R("sum_axis_kw", lambda T, x: x.sum(axis=0), [X], lambda x: x.sum(0)),
    R("sum_dtype", lambda T, x: x.sum(dtype=T.float64), [X], np.sum),
    R("sum_int", lambda T, x: x.sum(), [IN.astype(np.int32)], lambda x: x.sum().astype(np.int64)),
    R("sum_bool", lambda T, x: x.sum(0), [BOOL], lambda x: x.sum(0)),
    R("sum_zero_dim", lambda T, x: x.sum(0), [np.array(2.0, np.float32)], lambda x: x),
    R("sum_empty", lambda T, x: x.sum(), [np.zeros((0, 2), np.float32)], expected=0.0),
    R("nansum", lambda T, x: T.nansum(x), [np.array([1.0, np.nan, 2.0], np.float32)], expected=3.0),
    R("mean", lambda T, x: x.mean(), [X], np.mean),
    R("mean_dim", lambda T, x: x.mean(1), [X], lambda x: x.mean(1)),
    R("mean_tuple_keepdim", lambda T, x: x.mean((-1, 0), keepdim=True), [X3], lambda x: x.mean((0, 2), keepdims=True)),
    R("mean_dtype_int", lambda T, x: x.mean(dtype=T.float32), [IN], lambda x: x.mean()),
    R("nanmean", lambda T, x: T.nanmean(x), [np.array([1.0, np.nan, 2.0], np.float32)], expected=1.5, grad=False),
    R("prod", lambda T, x: x.prod(), [X], np.prod),
    R("prod_dim", lambda T, x: x.prod(1, keepdim=True), [X], lambda x: x.prod(1, keepdims=True)),
    R("prod_int", lambda T, x: x.prod(0), [IN], lambda x: x.prod(0)),
    R("prod_one_zero", lambda T, x: x.prod(1), [ZEROS], lambda x: x.prod(1)),
    R("prod_zeros_all", lambda T, x: x.prod(), [ZEROS], np.prod),
    R("var", lambda T, x: x.var(), [X], lambda x: x.var(ddof=1)),
    R("var_dim_unbiased_false", lambda T, x: x.var(1, unbiased=False), [X], lambda x: x.var(1)),
    R("var_correction", lambda T, x: T.var(x, dim=(0, 1), correction=0, keepdim=True), [X],
      lambda x: x.var(keepdims=True)),
    R("std", lambda T, x: x.std(), [X], lambda x: x.std(ddof=1)),
    R("std_dim", lambda T, x: x.std(0, keepdim=True), [X3], lambda x: x.std(0, ddof=1, keepdims=True)),
    R("std_correction2", lambda T, x: x.std(1, correction=2), [X3], lambda x: x.std(1, ddof=2)),
    R("var_single", lambda T, x: x.var(), [np.array([2.0], np.float32)], expected=np.nan, grad=False),
    R("var_mean", lambda T, x: T.var_mean(x, 1), [X], lambda x: (x.var(1, ddof=1), x.mean(1))),
    R("std_mean", lambda T, x: T.std_mean(x), [X], lambda x: (x.std(ddof=1), x.mean())),
    R("max_all", lambda T, x: x.max(), [X], np.max),
    R("min_all", lambda T, x: T.min(x), [X], np.min),
    R("max_dim", lambda T, x: x.max(1), [X], lambda x: (x.max(1), x.argmax(1))),
    R("max_dim_keepdim", lambda T, x: T.max(x, dim=-1, keepdim=True), [X3],
      lambda x: (x.max(-1, keepdims=True), x.argmax(-1)[..., None])),
    R("min_dim", lambda T, x: x.min(0), [X], lambda x: (x.min(0), x.argmin(0))),
    R("max_int_dim", lambda T, x: x.max(0), [IN], lambda x: (x.max(0), x.argmax(0))),
    R("amax", lambda T, x: x.amax(1), [X], lambda x: x.max(1)),
    R("amax_tuple", lambda T, x: T.amax(x, (0, 2), keepdim=True), [X3], lambda x: x.max((0, 2), keepdims=True)),
    R("amin", lambda T, x: T.amin(x, 0), [X], lambda x: x.min(0)),
    R("aminmax", lambda T, x: T.aminmax(x, dim=1), [X], lambda x: (x.min(1), x.max(1))),
    R("argmax", lambda T, x: x.argmax(), [X], np.argmax),
    R("argmax_dim", lambda T, x: x.argmax(1, keepdim=True), [X], lambda x: x.argmax(1)[:, None]),
    R("argmin_dim", lambda T, x: T.argmin(x, dim=0), [X], lambda x: x.argmin(0)),
    R("argmax_ties", lambda T, x: x.argmax(1), [TIES], expected=[1, 0]),
    R("argmax_nan", lambda T, x: x.argmax(), [np.array([1.0, np.nan, 3.0], np.float32)], expected=1),
    R("max_nan", lambda T, x: x.max(), [np.array([1.0, np.nan, 3.0], np.float32)], expected=np.nan, grad=False),
    R("logsumexp", lambda T, x: x.logsumexp(1), [X], lambda x: _lse(x, 1)),
    R("logsumexp_tuple", lambda T, x: T.logsumexp(x, (0, 1), keepdim=True), [X], lambda x: _lse(x, (0, 1), True)),
    R("logsumexp_big", lambda T, x: T.logsumexp(x, 0), [np.array([1000.0, 1000.0], np.float32)],
      expected=1000.6931471805599),
    R("logsumexp_neginf", lambda T, x: T.logsumexp(x, 0), [np.array([-np.inf, -np.inf], np.float32)],
      expected=-np.inf, grad=False),
    R("norm", lambda T, x: x.norm(), [X], lambda x: np.sqrt((x * x).sum())),
    R("norm_dim", lambda T, x: x.norm(dim=1), [X], lambda x: np.sqrt((x * x).sum(1))),
    R("norm_p1", lambda T, x: T.norm(x, p=1, dim=0), [X], lambda x: np.abs(x).sum(0)),
    R("norm_p3", lambda T, x: x.norm(3), [X], lambda x: (np.abs(x) ** 3).sum() ** (1 / 3)),
    R("norm_inf", lambda T, x: x.norm(float("inf")), [X], lambda x: np.abs(x).max()),
    R("norm_keepdim", lambda T, x: x.norm(2, 1, True), [X], lambda x: np.sqrt((x * x).sum(1, keepdims=True))),
    R("norm_fro_dims", lambda T, x: x.norm("fro", dim=(0, 1)), [X], lambda x: np.sqrt((x * x).sum())),
    R("linalg_vector_norm", lambda T, x: T.linalg.vector_norm(x, ord=2, dim=1), [X],
      lambda x: np.sqrt((x * x).sum(1))),
    R("all", lambda T, x: x.all(), [BOOL], np.all),
    R("all_dim", lambda T, x: T.all(x, 1), [BOOL], lambda x: x.all(1)),
    R("any_dim_keepdim", lambda T, x: x.any(0, keepdim=True), [BOOL], lambda x: x.any(0, keepdims=True)),
    R("any_float", lambda T, x: x.any(), [X], np.any),
    R("all_uint8", lambda T, x: x.all(), [np.array([1, 2], np.uint8)], expected=True),
    R("cumsum", lambda T, x: x.cumsum(1), [X], lambda x: x.cumsum(1)),
    R("cumsum_int", lambda T, x: T.cumsum(x, dim=0), [IN.astype(np.int32)], lambda x: x.cumsum(0).astype(np.int64)),
    R("cumprod", lambda T, x: x.cumprod(-1), [X], lambda x: x.cumprod(-1)),
    R("cumprod_zero", lambda T, x: x.cumprod(1), [ZEROS], lambda x: x.cumprod(1)),
    R("cummax", lambda T, x: T.cummax(x, 1), [X],
      lambda x: (np.maximum.accumulate(x, 1), _cumarg(x, np.greater_equal))),
    R("logcumsumexp", lambda T, x: T.logcumsumexp(x, 1), [X], lambda x: np.logaddexp.accumulate(x, 1)),
    R("count_nonzero", lambda T, x: T.count_nonzero(x), [IN], lambda x: np.count_nonzero(x)),
    R("count_nonzero_dim", lambda T, x: x.count_nonzero(1), [IN], lambda x: np.count_nonzero(x, 1)),
    R("median", lambda T, x: x.median(), [arr(7)], lambda x: np.sort(x)[3]),
    R("median_even", lambda T, x: x.median(), [arr(2, 3)], lambda x: np.sort(x.ravel())[2]),
    R("median_dim", lambda T, x: x.median(1), [arr(2, 5)],
      lambda x: (np.sort(x, 1)[:, 2], np.argsort(x, 1)[:, 2])),
    R("median_dim_ties", lambda T, x: x.median(1), [np.array([[1.0, 2.0, 2.0, 2.0, 3.0], [0.0, 0.0, 0.0, 0.0, 1.0]],
                                                              np.float32)], grad=False),
    R("mode_ties_long", lambda T, x: T.mode(x), [(np.arange(40) % 5 * (np.arange(40) % 3)).astype(np.float32)],
      grad=False),
    R("mode", lambda T, x: T.mode(x, 1), [np.array([[1.0, 2.0, 2.0], [3.0, 1.0, 3.0]], np.float32)],
      expected=([2.0, 3.0], [2, 2]), grad=False),
    # kinks: ties split evenly for full reductions and amax; max(dim) picks the returned index
    R("max_all_ties", lambda T, x: x.max(), [TIES], grad_expected=[[[0, 0.5, 0.5], [0, 0, 0]]], grad=False),
    R("amax_ties", lambda T, x: x.amax(1), [TIES], grad_expected=[[[0, 0.5, 0.5], [0.5, 0.5, 0]]], grad=False),
    R("min_all_ties", lambda T, x: x.min(), [np.array([1.0, 1.0, 2.0], np.float32)],
      grad_expected=[[0.5, 0.5, 0]], grad=False),
    R("max_dim_ties", lambda T, x: x.max(1), [TIES], grad_expected=[[[0, 1, 0], [1, 0, 0]]], grad=False),
    R("min_dim_ties", lambda T, x: x.min(0), [np.array([[1.0, 2.0], [1.0, 2.0]], np.float32)],
      grad_expected=[[[1, 1], [0, 0]]], grad=False),
    R("prod_grad_zero", lambda T, x: x.prod(1), [ZEROS], grad_expected=[[[0, 3, 0], [0, 0, 0]]], grad=False),
    R("norm_at_zero", lambda T, x: x.norm(), [np.zeros(3, np.float32)], grad_expected=[[0, 0, 0]], grad=False),
]


def _cumarg(x, cmp):
    idx = np.zeros(x.shape, np.int64)
    for r in range(x.shape[0]):
        best = 0
        for c in range(x.shape[1]):
            if cmp(x[r, c], x[r, best]):
                best = c
            idx[r, c] = best
    return idx


ERRORS = [
    ErrorSpec("dim_out_of_range", lambda T, x: x.sum(5), [X], IndexError,
              r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 5\)"),
    ErrorSpec("mean_int", lambda T, x: x.mean(), [IN],
              match=r"mean\(\): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: Long"),
    ErrorSpec("dim_repeated", lambda T, x: x.sum((0, 0)), [X], match="dim 0 appears multiple times in the list of dims"),
    ErrorSpec("max_empty", lambda T, x: x.max(), [np.zeros((0,), np.float32)],
              match=r"max\(\): Expected reduction dim to be specified for input.numel\(\) == 0"),
    ErrorSpec("max_dim_empty", lambda T, x: x.max(0), [np.zeros((0, 3), np.float32)], IndexError,
              r"max\(\): Expected reduction dim 0 to have non-zero size"),
    ErrorSpec("argmax_empty", lambda T, x: x.argmax(), [np.zeros((0,), np.float32)], IndexError,
              r"argmax\(\): Expected reduction dim to be specified for input.numel\(\) == 0"),
    ErrorSpec("argmax_dim_out_of_range", lambda T, x: x.argmax(2), [X], IndexError, "Dimension out of range"),
]

test_forward, test_gradcheck, test_gradgradcheck, test_gradients_match_cpu, test_errors = make_tests(SPECS, ERRORS)
