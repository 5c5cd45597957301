"""Indexing (basic, advanced, boolean, None, Ellipsis), assignment under autograd, gather and
scatter, sorting with ties."""

import numpy as np

from optest import ErrorSpec, OpSpec, arr, iarr, make_tests

X = arr(3, 4)
X3 = arr(2, 3, 4)
V = arr(5)
IDX = np.array([2, 0, 2])
MASK = X > 0
TIES = np.array([[3.0, 1.0, 3.0, 2.0, 1.0], [0.0, 0.0, 5.0, 0.0, -1.0]], np.float32)


def S(name, fn, args, ref=None, **kw):
    return OpSpec(name, fn, args, ref=ref, **kw)


def _set(T, x, idx, v):
    y = x.clone()
    y[idx] = v
    return y


def _setref(x, idx, v):
    y = x.copy()
    y[idx] = v
    return y


SPECS = [
    # basic indexing: views
    S("int", lambda T, x: x[1], [X], lambda x: x[1]),
    S("neg_int", lambda T, x: x[-1], [X], lambda x: x[-1]),
    S("int_int", lambda T, x: x[1, 2], [X], lambda x: x[1, 2]),
    S("slice", lambda T, x: x[1:], [X], lambda x: x[1:]),
    S("full_slice", lambda T, x: x[:], [X], lambda x: x),
    S("slice_step", lambda T, x: x[::2, 1::2], [X], lambda x: x[::2, 1::2]),
    S("slice_then_int", lambda T, x: x[1:, 0], [X], lambda x: x[1:, 0]),
    S("int_then_slice", lambda T, x: x[0, 1:3], [X], lambda x: x[0, 1:3]),
    S("col", lambda T, x: x[:, 2], [X], lambda x: x[:, 2]),
    S("none", lambda T, x: x[None], [X], lambda x: x[None]),
    S("none_mid", lambda T, x: x[:, None], [X], lambda x: x[:, None]),
    S("int_none", lambda T, x: x[0, None], [X], lambda x: x[0, None]),
    S("none_int", lambda T, x: x[None, 0], [X], lambda x: x[None, 0]),
    S("ellipsis", lambda T, x: x[..., 1], [X3], lambda x: x[..., 1]),
    S("ellipsis_only", lambda T, x: x[...], [X3], lambda x: x),
    S("ellipsis_none", lambda T, x: x[0, ..., None], [X3], lambda x: x[0, ..., None]),
    S("all_full_slices", lambda T, x: x[:, :], [X], lambda x: x),
    S("slice_out_of_range", lambda T, x: x[2:10], [X], lambda x: x[2:10]),
    S("empty_slice", lambda T, x: x[3:1], [X], lambda x: x[3:1]),
    S("tensor_0d_index", lambda T, x, i: x[i], [X, np.array(1)], lambda x, i: x[1]),
    S("chained", lambda T, x: x[0][1:][0], [X3], lambda x: x[0][1:][0]),
    # advanced indexing: copies, backward accumulates repeated indices
    S("list", lambda T, x: x[[0, 2]], [X], lambda x: x[[0, 2]]),
    S("tensor_repeat", lambda T, x, i: x[i], [X, IDX], lambda x, i: x[i]),
    S("tensor_2d_index", lambda T, x, i: x[i], [V, np.array([[0, 1], [4, 4]])], lambda x, i: x[i]),
    S("two_tensors", lambda T, x, i, j: x[i, j], [X, IDX, np.array([0, 3, 3])], lambda x, i, j: x[i, j]),
    S("slice_tensor", lambda T, x, i: x[:, i], [X, np.array([3, 0])], lambda x, i: x[:, i]),
    S("int_list", lambda T, x: x[1, [0, 0, 2]], [X], lambda x: x[1, [0, 0, 2]]),
    S("neg_tensor", lambda T, x, i: x[i], [V, np.array([-1, 0])], lambda x, i: x[i]),
    S("separated_adv", lambda T, x, i: x[i, :, i], [X3, np.array([0, 1])], lambda x, i: x[i, :, i]),
    S("bool_mask", lambda T, x, m: x[m], [X, MASK], lambda x, m: x[m]),
    S("bool_row_mask", lambda T, x, m: x[m], [X, np.array([True, False, True])], lambda x, m: x[m]),
    S("bool_mask_after_slice", lambda T, x, m: x[:, m], [X, np.array([True, False, True, True])],
      lambda x, m: x[:, m]),
    S("bool_scalar_true", lambda T, x: x[True], [V], lambda x: x[None]),
    S("uint8_mask", lambda T, x, m: x[m], [V, np.array([1, 0, 1, 0, 0], np.uint8)], lambda x, m: x[m.astype(bool)]),
    S("int32_index", lambda T, x, i: x[i], [V, np.array([1, 3], np.int32)], lambda x, i: x[i]),
    # assignment, recorded by autograd (w.r.t. both the tensor and the value)
    S("setitem_int", lambda T, x, v: _set(T, x, 1, v), [X, arr(4, seed=2)], lambda x, v: _setref(x, 1, v)),
    S("setitem_slice_scalar", lambda T, x: _set(T, x, (slice(None), 1), 2.0), [X],
      lambda x: _setref(x, (slice(None), 1), 2.0)),
    S("setitem_broadcast", lambda T, x, v: _set(T, x, slice(0, 2), v), [X, arr(4, seed=3)],
      lambda x, v: _setref(x, slice(0, 2), v)),
    S("setitem_mask", lambda T, x, m: _set(T, x, m, 0.0), [X, MASK], lambda x, m: _setref(x, m, 0.0)),
    S("setitem_tensor_index", lambda T, x, i, v: _set(T, x, i, v), [V, np.array([0, 3]), arr(2, seed=4)],
      lambda x, i, v: _setref(x, i, v)),
    S("setitem_none_grad_value", lambda T, x, v: _set(T, x.detach(), 0, v), [X, arr(4, seed=5)],
      lambda x, v: _setref(x, 0, v), grad_of=[1]),
    S("setitem_int_tensor_float_value", lambda T, x: _set(T, x, 0, 2.7), [iarr(3, 2)],
      lambda x: _setref(x, 0, 2)),
    # gather / scatter family
    S("gather", lambda T, x, i: x.gather(1, i), [X, np.array([[0, 0], [3, 1], [2, 2]])],
      lambda x, i: np.take_along_axis(x, i, 1)),
    S("gather_int32", lambda T, x, i: x.gather(1, i), [X, np.array([[1], [0], [3]], np.int32)],
      lambda x, i: np.take_along_axis(x, i, 1)),
    S("gather_smaller", lambda T, x, i: T.gather(x, 0, i), [X, np.array([[2, 0]])],
      lambda x, i: np.take_along_axis(x[:, :2], i, 0)),
    S("take_along_dim", lambda T, x, i: T.take_along_dim(x, i, dim=1), [X, np.array([[0], [3], [1]])],
      lambda x, i: np.take_along_axis(x, i, 1)),
    S("take_along_dim_flat", lambda T, x, i: x.take_along_dim(i), [X, np.array([0, 11])],
      lambda x, i: x.reshape(-1)[i]),
    S("take", lambda T, x, i: T.take(x, i), [X, np.array([[0, 11], [5, 5]])], lambda x, i: x.reshape(-1)[i]),
    S("scatter", lambda T, x, i, s: x.scatter(1, i, s), [X, np.array([[0, 1], [3, 2], [1, 0]]), arr(3, 2, seed=3)],
      lambda x, i, s: _scatter_ref(x, 1, i, s)),
    S("scatter_value", lambda T, x, i: T.scatter(x, 0, i, 1.5), [X, np.array([[0, 1, 2, 0]])],
      lambda x, i: _scatter_ref(x, 0, i, np.full(i.shape, 1.5))),
    S("scatter_add", lambda T, x, i, s: x.scatter_add(0, i, s), [X, np.array([[0, 1, 0, 0], [0, 2, 2, 1]]),
                                                                  arr(2, 4, seed=3)],
      lambda x, i, s: _scatter_add_ref(x, 0, i, s)),
    S("scatter_reduce_sum", lambda T, x, i, s: x.scatter_reduce(0, i, s, "sum"),
      [V, np.array([0, 0, 4]), arr(3, seed=2)], lambda x, i, s: _scatter_add_ref(x, 0, i, s), grad=False),
    S("scatter_reduce_amax", lambda T, x, i, s: x.scatter_reduce(0, i, s, "amax", include_self=False),
      [V, np.array([0, 0, 4]), arr(3, seed=2)], grad=False),
    S("index_select", lambda T, x, i: x.index_select(1, i), [X, np.array([3, 0, 3])], lambda x, i: x[:, i]),
    S("index_select_fn", lambda T, x, i: T.index_select(x, 0, i), [X, np.array([2])], lambda x, i: x[i]),
    S("index_add", lambda T, x, i, s: x.index_add(0, i, s, alpha=2), [X, np.array([0, 2, 0]), arr(3, 4, seed=3)],
      lambda x, i, s: _index_add_ref(x, i, 2 * s)),
    S("index_fill", lambda T, x, i: x.index_fill(1, i, -1.0), [X, np.array([0, 2])],
      lambda x, i: _setref(x, (slice(None), i), -1.0)),
    S("index_copy", lambda T, x, i, s: x.index_copy(0, i, s), [X, np.array([2, 0]), arr(2, 4, seed=2)],
      lambda x, i, s: _setref(x, i, s)),
    S("index_put", lambda T, x, i, v: x.index_put((i,), v, accumulate=True), [V, np.array([0, 0, 3]), arr(3, seed=1)],
      lambda x, i, v: _index_add_ref(x, i, v)),
    S("masked_fill", lambda T, x, m: x.masked_fill(m, 0.5), [X, MASK], lambda x, m: np.where(m, 0.5, x)),
    S("masked_fill_broadcast", lambda T, x, m: T.masked_fill(x, m, -1.0), [X, np.array([True, False, False, True])],
      lambda x, m: np.where(m, -1.0, x)),
    S("masked_fill_tensor_value", lambda T, x, m, v: x.masked_fill(m, v), [X, MASK, np.array(2.0, np.float32)],
      lambda x, m, v: np.where(m, v, x)),
    S("masked_select", lambda T, x, m: x.masked_select(m), [X, MASK], lambda x, m: x[m]),
    S("masked_scatter", lambda T, x, m, s: x.masked_scatter(m, s), [X, MASK, arr(12, seed=4)],
      lambda x, m, s: _masked_scatter_ref(x, m, s)),
    S("where", lambda T, c, x, y: T.where(c, x, y), [MASK, X, arr(4, seed=6)], lambda c, x, y: np.where(c, x, y)),
    S("where_scalar", lambda T, c, x: T.where(c, x, 0.0), [MASK, X], lambda c, x: np.where(c, x, 0)),
    S("where_scalar_first", lambda T, c, x: T.where(c, 1.0, x), [MASK, X], lambda c, x: np.where(c, 1, x)),
    S("where_promote", lambda T, c, x, y: T.where(c, x, y), [MASK, X, arr(3, 4, seed=2, dtype=np.float64)],
      lambda c, x, y: np.where(c, x, y)),
    S("where_int_float_scalar", lambda T, c, x: T.where(c, x, 0.5), [MASK, iarr(3, 4)],
      lambda c, x: np.where(c, x, 0.5).astype(np.float32)),
    S("method_where", lambda T, c, x: x.where(c, -x), [MASK, X], lambda c, x: np.where(c, x, -x)),
    S("nonzero", lambda T, x: T.nonzero(x), [MASK], lambda x: np.argwhere(x)),
    S("nonzero_tuple", lambda T, x: x.nonzero(as_tuple=True), [MASK], lambda x: np.nonzero(x)),
    S("where_one_arg", lambda T, x: T.where(x), [MASK], lambda x: np.nonzero(x)),
    S("argwhere", lambda T, x: T.argwhere(x), [iarr(3, 3)], lambda x: np.argwhere(x)),
    # sorting: values are differentiable, ties keep their original order (as torch on the CPU)
    S("sort", lambda T, x: x.sort(), [X], lambda x: (np.sort(x, -1), np.argsort(x, -1))),
    S("sort_dim0_desc", lambda T, x: T.sort(x, 0, descending=True), [X],
      lambda x: (-np.sort(-x, 0), np.argsort(-x, 0))),
    S("sort_stable_ties", lambda T, x: x.sort(stable=True), [TIES], grad=False),
    S("sort_ties", lambda T, x: x.sort(dim=1), [TIES], grad=False),
    S("sort_ties_desc", lambda T, x: x.sort(dim=1, descending=True), [TIES], grad=False),
    S("sort_nan", lambda T, x: x.sort(), [np.array([2.0, np.nan, -1.0], np.float32)], grad=False),
    S("sort_int", lambda T, x: x.sort(descending=True), [iarr(2, 5)], grad=False),
    S("argsort", lambda T, x: x.argsort(1, descending=True), [X], lambda x: np.argsort(-x, 1)),
    S("msort", lambda T, x: T.msort(x), [X], lambda x: np.sort(x, 0)),
    S("topk", lambda T, x: x.topk(2), [X], lambda x: (-np.sort(-x, -1)[:, :2], np.argsort(-x, -1)[:, :2])),
    S("topk_smallest_dim0", lambda T, x: T.topk(x, 2, dim=0, largest=False), [X],
      lambda x: (np.sort(x, 0)[:2], np.argsort(x, 0)[:2])),
    S("topk_ties", lambda T, x: x.topk(3), [TIES], grad=False),
    S("topk_ties_smallest", lambda T, x: x.topk(3, largest=False), [TIES], grad=False),
    S("kthvalue", lambda T, x: x.kthvalue(2, 1), [X], lambda x: (np.sort(x, 1)[:, 1], np.argsort(x, 1)[:, 1])),
    S("topk_ties_long_row", lambda T, x: x.topk(4), [np.array([[1, 3, 3, 2, 3, 0, 3, 1, 2, 3, 3, 1, 0, 2, 3, 3, 1, 2,
                                                                3, 0]], np.float32)], grad=False),
    S("topk_ties_partial_sort", lambda T, x: x.topk(2), [(np.arange(200) % 7).astype(np.float32)], grad=False),
    S("topk_unsorted", lambda T, x: x.topk(3, sorted=False), [X], grad=False),
    S("kthvalue_ties", lambda T, x: x.kthvalue(3, 1), [TIES], grad=False),
    S("kthvalue_ties_long", lambda T, x: x.kthvalue(5), [(np.arange(23) % 4).astype(np.float32)], grad=False),
    S("kthvalue_keepdim", lambda T, x: T.kthvalue(x, 1, 0, keepdim=True), [X],
      lambda x: (np.sort(x, 0)[:1], np.argsort(x, 0)[:1])),
    S("sort_grad_ties", lambda T, x: x.sort()[0] * T.arange(3.0, device=x.device), [np.array([1.0, 1.0, 0.0], np.float32)],
      grad_expected=[[1.0, 2.0, 0.0]], grad=False),
]


def _scatter_ref(x, dim, i, s):
    y = x.copy()
    for pos in np.ndindex(*i.shape):
        tgt = list(pos)
        tgt[dim] = i[pos]
        y[tuple(tgt)] = s[pos]
    return y


def _scatter_add_ref(x, dim, i, s):
    y = x.copy()
    for pos in np.ndindex(*i.shape):
        tgt = list(pos)
        tgt[dim] = i[pos]
        y[tuple(tgt)] += s[pos]
    return y


def _index_add_ref(x, i, s):
    y = x.copy()
    np.add.at(y, i, s)
    return y


def _masked_scatter_ref(x, m, s):
    y = x.copy()
    y[m] = s[: m.sum()]
    return y


ERRORS = [
    ErrorSpec("index_out_of_bounds", lambda T, x: x[5], [X], IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    ErrorSpec("index_out_of_bounds_dim1", lambda T, x: x[:, 7], [X], IndexError,
              "index 7 is out of bounds for dimension 1 with size 4"),
    ErrorSpec("too_many_indices", lambda T, x: x[0, 0, 0], [X], IndexError, "too many indices for tensor of dimension 2"),
    ErrorSpec("tensor_index_oob", lambda T, x, i: x[i], [V, np.array([5])], IndexError,
              "index 5 is out of bounds for dimension 0 with size 5"),
    ErrorSpec("float_index", lambda T, x, i: x[i], [V, np.array([1.0])], IndexError,
              "tensors used as indices must be long, int, byte or bool tensors"),
    ErrorSpec("mask_shape", lambda T, x, m: x[m], [X, np.array([True, False])], IndexError,
              r"The shape of the mask \[2\] at index 0 does not match the shape of the indexed tensor \[3, 4\] at index 0"),
    ErrorSpec("gather_dtype", lambda T, x, i: x.gather(0, i), [X, np.array([[0]], np.int16)],
              match=r"gather\(\): Expected dtype int32/int64 for index"),
    ErrorSpec("take_dtype", lambda T, x, i: T.take(x, i), [X, np.array([0], np.int32)],
              match=r"take\(\): Expected a long tensor for index, but got Int"),
    ErrorSpec("gather_ndim", lambda T, x, i: x.gather(0, i), [X, np.array([0])],
              match="Index tensor must have the same number of dimensions as input tensor"),
    ErrorSpec("index_select_oob", lambda T, x, i: x.index_select(0, i), [X, np.array([3])], IndexError,
              "index out of range in self"),
    ErrorSpec("masked_fill_float_mask", lambda T, x: x.masked_fill(x, 0.0), [X],
              match="masked_fill_ only supports boolean masks, but got mask with dtype float"),
    ErrorSpec("topk_k", lambda T, x: x.topk(5), [X], match="selected index k out of range"),
    ErrorSpec("setitem_shape", lambda T, x, v: x.__setitem__(0, v), [X, arr(3)],
              match=r"The expanded size of the tensor \(4\) must match the existing size \(3\) at non-singleton dimension 0"),
    ErrorSpec("setitem_adv_shape", lambda T, x, v: x.__setitem__([0, 1], v), [X, arr(3)],
              match=r"shape mismatch: value tensor of shape \[3\] cannot be broadcast to indexing result of shape \[2, 4\]"),
]



def _set_select_then_adv(x, v):
    y = x.copy()
    y[0][:, [1, 2]] = v  # PyTorch selects first, then indexes the view
    return y


# integers are selects applied before advanced indices (NumPy broadcasts them with the arrays)
SPECS += [
    S("int_slice_list", lambda T, x: x[0, :, [1, 2]], [X3], lambda x: x[0][:, [1, 2]]),
    S("int_ellipsis_tensor", lambda T, x, i: x[1, ..., i], [X3, np.array([3, 0, 3])], lambda x, i: x[1][..., i]),
    S("tensor_0d_slice_list", lambda T, x, i: x[i, :, [0, 2]], [X3, np.array(1)], lambda x, i: x[1][:, [0, 2]]),
    S("int_none_mask", lambda T, x, m: x[0, None, m], [X3, X3[0] > 0], lambda x, m: x[0][None, m]),
    S("empty_list", lambda T, x: x[[]], [X], lambda x: x[np.array([], np.int64)]),
    S("empty_list_dim1", lambda T, x: x[:, []], [X], lambda x: x[:, np.array([], np.int64)]),
    S("setitem_int_slice_list", lambda T, x, v: _set(T, x, (0, slice(None), [1, 2]), v), [X3, arr(3, 2, seed=7)],
      _set_select_then_adv),
]

ERRORS += [
    ErrorSpec("float_slice_bound", lambda T, x: x[0:2.5], [X], TypeError,
              "slice indices must be integers or None or have an __index__ method"),
    ErrorSpec("negative_step_too_many", lambda T, x: x[::-1, 0, 0], [X], IndexError,
              "too many indices for tensor of dimension 2"),
    ErrorSpec("negative_step", lambda T, x: x[::-1], [X], ValueError, "step must be greater than zero"),
    ErrorSpec("setitem_adv_dtype", lambda T, x, v: x.__setitem__([0, 1], v), [X, arr(4, dtype=np.float64)],
              match="Index put requires the source and destination dtypes match, got Float for the destination "
                    "and Double for the source."),
    ErrorSpec("setitem_adv_dtype_shape_first", lambda T, x, v: x.__setitem__([0, 1], v), [X, arr(3, dtype=np.float64)],
              match=r"shape mismatch: value tensor of shape \[3\] cannot be broadcast to indexing result of shape \[2, 4\]"),
    ErrorSpec("index_put_dtype", lambda T, x, i, v: x.index_put((i,), v), [V, np.array([0]), arr(1, dtype=np.float64)],
              match="Index put requires the source and destination dtypes match"),
    ErrorSpec("setitem_uint8_mask_scalar", lambda T, x, m: x.__setitem__(m, 1.0), [V, np.array([1, 0, 1, 0, 0], np.uint8)],
              match="masked_fill_ only supports boolean masks, but got mask with dtype unsigned char"),
]

test_forward, test_gradcheck, test_gradgradcheck, test_gradients_match_cpu, test_errors = make_tests(SPECS, ERRORS)
