"""PyTorch as the oracle for test_error_parity.py: the same mistaken calls raise the same exception
type with the same first line of message, and the calls PyTorch accepts give the same values."""

import numpy as np
import pytest

import lanterna

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")


def _outcome(T, call):
    try:
        call(T)
    except Exception as e:  # noqa: BLE001 - the exception is what is compared
        return type(e), str(e).strip().splitlines()[0]
    return None, None


def _i(T, *shape):
    return T.ones(*shape, dtype=T.int64)


def _b(T, *shape):
    return T.ones(*shape, dtype=T.bool)


def _set(x, index, value):
    x[index] = value


MISTAKES = {
    # broadcasting
    "where": lambda T: T.where(_b(T, 2), T.ones(3), T.ones(2)),
    "where_3way": lambda T: T.where(_b(T, 2, 1), T.ones(3), T.ones(4, 2, 2)),
    "maximum": lambda T: T.maximum(T.ones(2), T.ones(3)),
    "fmin": lambda T: T.fmin(T.ones(2), T.ones(3)),
    "atan2": lambda T: T.atan2(T.ones(2), T.ones(3)),
    "atan2_": lambda T: T.ones(2).atan2_(T.ones(3)),
    "hypot": lambda T: T.hypot(T.ones(2), T.ones(3)),
    "logaddexp": lambda T: T.logaddexp(T.ones(2), T.ones(3)),
    "copysign": lambda T: T.copysign(T.ones(2), T.ones(3)),
    "xlogy": lambda T: T.xlogy(T.ones(2), T.ones(3)),
    "nextafter": lambda T: T.nextafter(T.ones(2), T.ones(3)),
    "heaviside": lambda T: T.heaviside(T.ones(2), T.ones(3)),
    "isclose": lambda T: T.isclose(T.ones(2), T.ones(3)),
    "lerp": lambda T: T.lerp(T.ones(2), T.ones(3), 0.5),
    "lerp_weight": lambda T: T.lerp(T.ones(2), T.ones(2), T.ones(3)),
    "addcmul": lambda T: T.addcmul(T.ones(2), T.ones(3), T.ones(2)),
    "addcdiv": lambda T: T.addcdiv(T.ones(2), T.ones(3), T.ones(2)),
    "clamp_tensor": lambda T: T.clamp(T.ones(2), T.ones(3)),
    "clamp_both": lambda T: T.clamp(T.ones(2), T.ones(2), T.ones(3)),
    "gcd": lambda T: T.gcd(_i(T, 2), _i(T, 3)),
    "xlog1py": lambda T: T.special.xlog1py(T.ones(2), T.ones(3)),
    "zeta": lambda T: T.special.zeta(T.ones(2), T.ones(3)),
    "broadcast_tensors": lambda T: T.broadcast_tensors(T.ones(2), T.ones(2), T.ones(3, 4)),
    "broadcast_shapes": lambda T: T.broadcast_shapes((2,), (1,), (3,)),
    "broadcast_shapes_long": lambda T: T.broadcast_shapes((2, 1), (1, 3), (4, 1, 1), (5, 1)),
    "masked_fill": lambda T: T.ones(2, 3).masked_fill(_b(T, 3, 3), 0.0),
    "masked_fill_vector": lambda T: T.ones(2, 3).masked_fill(_b(T, 2), 0.0),
    "masked_fill_": lambda T: T.ones(2, 3).masked_fill_(_b(T, 3, 3), 0.0),
    "masked_fill_grow": lambda T: T.ones(3).masked_fill_(_b(T, 2, 3), 0.0),
    "take_along_dim": lambda T: T.take_along_dim(T.ones(3, 3), T.zeros(3, 4, dtype=T.int64), 0),
    "masked_select": lambda T: T.ones(2, 3).masked_select(_b(T, 3, 3)),
    "masked_scatter": lambda T: T.ones(2, 3).masked_scatter(_b(T, 3, 3), T.ones(9)),
    "masked_scatter_": lambda T: T.ones(2, 3).masked_scatter_(_b(T, 3, 3), T.ones(9)),
    "expand": lambda T: T.ones(3, 4).expand(2, 5),
    "mse_loss": lambda T: T.nn.functional.mse_loss(T.ones(2), T.ones(3)),
    # dtypes
    "alpha_bool": lambda T: T.add(T.ones(2), T.ones(2), alpha=True),
    "alpha_float_int": lambda T: T.add(_i(T, 2), _i(T, 2), alpha=0.5),
    "alpha_float_int_sub_": lambda T: _i(T, 2).sub_(1, alpha=1.0),
    "alpha_complex": lambda T: T.add(T.ones(2), T.ones(2), alpha=1j),
    "bitwise_not_float": lambda T: T.bitwise_not(T.ones(2)),
    "matmul_bool": lambda T: _b(T, 2, 2) @ _b(T, 2, 2),
    "matmul_bool_batched": lambda T: _b(T, 2) @ _b(T, 2, 2, 2),
    "mv_bool": lambda T: T.mv(_b(T, 2, 2), _b(T, 2)),
    "dot_dtypes": lambda T: T.ones(2) @ T.ones(2, dtype=T.float64),
    "mv_dtypes": lambda T: T.mv(T.ones(2, 2, dtype=T.float64), T.ones(2)),
    "bmm_dtypes": lambda T: T.bmm(T.ones(1, 2, 2), T.ones(1, 2, 2, dtype=T.float64)),
    "matmul_dtypes_batched": lambda T: T.ones(2, 2) @ T.ones(2, 2, 2, dtype=T.float64),
    "std_int": lambda T: _i(T, 3).std(),
    "std_mean_int": lambda T: T.std_mean(_i(T, 3)),
    "index_fill_float": lambda T: T.ones(3).index_fill(0, T.tensor([0.0]), 1.0),
    "index_add_float": lambda T: T.ones(3).index_add(0, T.tensor([0.0]), T.ones(1)),
    "index_add_2d": lambda T: T.ones(3).index_add(0, T.tensor([[0]]), T.ones(1, 1)),
    "index_add_count": lambda T: T.ones(3).index_add(0, T.tensor([0]), T.ones(2)),
    "index_copy_2d": lambda T: T.ones(3).index_copy(0, T.tensor([[0]]), T.ones(1)),
    "tensor_str_dtype": lambda T: T.tensor([1.0], dtype="float"),
    "max_pool1d_int": lambda T: T.nn.functional.max_pool1d(_i(T, 1, 1, 4), 2),
    "max_pool1d_4d": lambda T: T.nn.functional.max_pool1d(T.ones(1, 1, 4, 4), 2),
    "adaptive_max_pool2d_int": lambda T: T.nn.functional.adaptive_max_pool2d(_i(T, 1, 1, 4, 4), 2),
    "repeat_interleave_size": lambda T: T.ones(3).repeat_interleave(T.tensor([1, 2])),
    "repeat_interleave_negative": lambda T: T.ones(3).repeat_interleave(-1),
    "repeat_interleave_negative_tensor": lambda T: T.ones(3).repeat_interleave(T.tensor([-1])),
    "repeat_interleave_2d": lambda T: T.ones(2).repeat_interleave(T.tensor([[1, 2]])),
    "repeat_interleave_float": lambda T: T.ones(3).repeat_interleave(T.tensor([1.0, 2.0, 3.0])),
    # shapes
    "matmul_3d_2d": lambda T: T.ones(5, 2, 4) @ T.ones(3, 6),
    "matmul_3d_1d": lambda T: T.ones(5, 2, 4) @ T.ones(3),
    "matmul_1d_3d": lambda T: T.ones(4) @ T.ones(5, 3, 6),
    "matmul_4d_3d": lambda T: T.ones(3, 5, 2, 4) @ T.ones(1, 3, 6),
    "inner": lambda T: T.inner(T.ones(2, 2), T.ones(2, 3)),
    "outer": lambda T: T.outer(T.ones(2), T.ones(3, 3)),
    "mv_dims": lambda T: T.mv(T.ones(2, 2, 3), T.ones(3)),
    "addmm_bias": lambda T: T.addmm(T.ones(3, 5), T.ones(2, 3), T.ones(3, 5)),
    "addmm_bias_1d": lambda T: T.addmm(T.ones(4), T.ones(2, 3), T.ones(3, 5)),
    "addmm_mat2_1d": lambda T: T.addmm(T.ones(2, 5), T.ones(2, 3), T.ones(3)),
    "addmv_bias": lambda T: T.addmv(T.ones(3), T.ones(2, 3), T.ones(3)),
    "addmv_2d_input": lambda T: T.addmv(T.ones(2, 2), T.ones(2, 3), T.ones(3)),
    "addbmm_sizes": lambda T: T.addbmm(T.ones(2, 5), T.ones(2, 2, 3), T.ones(2, 4, 5)),
    "addbmm_batches": lambda T: T.addbmm(T.ones(2, 5), T.ones(2, 2, 3), T.ones(3, 3, 5)),
    "addr_vec2": lambda T: T.addr(T.ones(2, 3), T.ones(2), T.ones(3, 3)),
    "tensordot": lambda T: T.tensordot(T.ones(2, 3), T.ones(4, 5), dims=1),
    "tensordot_lengths": lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 5), dims=([1], [0, 1])),
    "solve": lambda T: T.linalg.solve(T.eye(2), T.ones(2, 3, 2)),
    "einsum_output": lambda T: T.einsum("ij->k", T.ones(2, 3)),
    "einsum_repeated_output": lambda T: T.einsum("i->ii", T.ones(2)),
    "movedim": lambda T: T.ones(2, 3).movedim((0, 1), (1, 1)),
    "repeat": lambda T: T.ones(2).repeat(2, -1),
    "split": lambda T: T.ones(5).split(-1),
    "split_with_sizes": lambda T: T.ones(5).split([6, -1]),
    "unbind_0d": lambda T: T.tensor(1.0).unbind(),
    "select_0d": lambda T: T.tensor(1.0).select(0, 0),
    "kthvalue_empty": lambda T: T.ones(0).kthvalue(1),
    "avg_pool2d_1d": lambda T: T.nn.functional.avg_pool2d(T.ones(4), 2),
    "avg_pool1d_1d": lambda T: T.nn.functional.avg_pool1d(T.ones(4), 2),
    "pixel_unshuffle": lambda T: T.nn.functional.pixel_unshuffle(T.ones(4, 2), 2),
    "cat_tensor": lambda T: T.cat(T.ones(2, 2)),
    "hstack_tensor": lambda T: T.hstack(T.ones(2, 2)),
    "cat_generator": lambda T: T.cat(x for x in [T.ones(2)]),
    # indexing
    "index_0d_int": lambda T: T.tensor(1.0)[0],
    "index_0d_slice": lambda T: T.tensor(1.0)[0:1],
    "index_step_0": lambda T: T.ones(3)[::0],
    "index_step_negative": lambda T: T.ones(3)[::-1],
    "index_mask_dim1": lambda T: T.ones(2, 3)[:, _b(T, 2)],
    "index_mask_2d": lambda T: T.ones(2, 3)[_b(T, 2, 2)],
    "index_broadcast": lambda T: T.ones(3, 3, 3)[T.tensor([0, 1]), :, T.tensor([[0, 1, 2]])],
    "setitem_list": lambda T: _set(T.ones(3), slice(None), [1.0, 2.0, 3.0]),
    "setitem_str": lambda T: _set(_i(T, 3), 0, "a"),
    "setitem_none": lambda T: _set(T.ones(3), 0, None),
    "setitem_ndarray": lambda T: _set(T.ones(3), slice(None), np.ones(3)),
    "setitem_list_grad": lambda T: _set(T.ones(3, requires_grad=True).clone(), 0, [1.0]),
    # Python protocols
    "complex_multi": lambda T: complex(T.ones(2)),
    "bool_empty": lambda T: bool(T.ones(0)),
    "contains_str": lambda T: "a" in T.ones(2),
    "data_float": lambda T: setattr(T.ones(2), "data", 1.0),
}


@pytest.mark.filterwarnings("ignore:Using a target size")
@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_matches_torch(name):
    call = MISTAKES[name]
    t_type, t_msg = _outcome(torch, call)
    l_type, l_msg = _outcome(lanterna, call)
    assert t_type is not None, "the oracle accepted the call"
    assert l_type is not None, f"lanterna accepted what PyTorch refuses with {t_type.__name__}: {t_msg}"
    assert issubclass(l_type, t_type), f"{l_type.__name__}: {l_msg}  !=  {t_type.__name__}: {t_msg}"
    assert l_msg == t_msg


def _values(r):
    if isinstance(r, (tuple, list)):
        return [_values(x) for x in r]
    if hasattr(r, "detach"):
        return (r.detach().numpy().tolist(), str(r.dtype), tuple(r.shape), r.requires_grad)
    return r


ACCEPTED = {
    "max_bool_dim": lambda T: tuple(T.tensor([[False, True, True], [False, False, False]]).max(1)),
    "min_bool_dim": lambda T: tuple(T.min(T.tensor([[False, True], [True, True]]), 0)),
    "scatter_add_empty_index": lambda T: T.ones(3, 3).scatter_add(1, T.zeros(0, dtype=T.int64), T.ones(3)),
    "scatter_empty_index": lambda T: T.ones(3, 3).scatter(0, T.zeros(0, dtype=T.int64), T.ones(2, 2, 2)),
    "scatter_reduce_empty_index": lambda T: T.ones(2, 2).scatter_reduce(1, T.zeros(0, dtype=T.int64), T.ones(3),
                                                                        "amax"),
    "scatter_add_0d": lambda T: T.tensor(1.0).scatter_add(0, T.zeros(1, dtype=T.int64), T.ones(1)),
    "scatter_0d": lambda T: T.tensor(1.0).scatter(0, T.zeros(1, dtype=T.int64), T.full((1,), 5.0)),
    "scatter_reduce_0d": lambda T: T.tensor(2.0).scatter_reduce(0, T.zeros(1, dtype=T.int64), T.full((1,), 3.0),
                                                                "prod"),
    "gather_0d": lambda T: T.tensor(3.0).gather(0, T.zeros(1, dtype=T.int64)),
    "gather_0d_0d": lambda T: T.tensor(3.0).gather(0, T.tensor(0)),
    "masked_fill_larger_mask": lambda T: T.arange(3.0).masked_fill(T.tensor([[True, False, False]] * 2), -1.0),
    "masked_scatter_larger_mask": lambda T: T.zeros(3).masked_scatter(_b(T, 2, 3), T.arange(6.0)),
    "add_alpha_bool_result": lambda T: T.add(_b(T, 2), _b(T, 2), alpha=2),
    "add_alpha_float": lambda T: T.add(_i(T, 2), T.ones(2), alpha=0.5),
    "addr_bool": lambda T: T.addr(_b(T, 2, 2), T.tensor([True, False]), T.tensor([False, True])),
    "norm_positional_dtype": lambda T: T.norm(T.tensor([[3.0, 4.0]]), 2, 1, True, None, T.float64),
    "tensor_norm_positional_dtype": lambda T: T.tensor([[3.0, 4.0]]).norm(2, 1, True, T.float64),
    "max_pool1d_int_indices": lambda T: T.nn.functional.max_pool1d(T.arange(4).reshape(1, 1, 4), 2,
                                                                   return_indices=True),
    "adaptive_avg_pool2d_0": lambda T: T.nn.functional.adaptive_avg_pool2d(T.ones(1, 2, 4, 4, requires_grad=True), 0),
    "adaptive_max_pool2d_0": lambda T: T.nn.functional.adaptive_max_pool2d(T.ones(1, 2, 4, 4, requires_grad=True), 0),
    "slogdet_requires_grad": lambda T: [t.requires_grad for t in T.linalg.slogdet(
        T.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True))],
    "repeat_interleave_counts": lambda T: T.arange(3.0).repeat_interleave(T.tensor([1, 0, 2])),
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted_call_matches_torch(name):
    assert _values(ACCEPTED[name](lanterna)) == _values(ACCEPTED[name](torch))


def test_is_shared_after_share_memory_matches_torch():
    for T in (torch, lanterna):
        x = T.ones(3)
        assert not x.is_shared()
        x.share_memory_()
        assert x.is_shared()
