"""Errors a PyTorch user hits by mistake: the same exception type as PyTorch, with its wording.

Each case states PyTorch's message (as of 2.13); test_error_parity_oracle.py checks the same calls
against PyTorch itself where it is installed.
"""

import re

import numpy as np
import pytest

import lanterna as torch
import lanterna.nn.functional as F


def raises(exc, message):
    return pytest.raises(exc, match="^" + re.escape(message))


BCAST_2_3 = "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0"


# ---- broadcasting: NumPy's ValueError never leaks ---------------------------------------------
@pytest.mark.filterwarnings("ignore:Using a target size")
@pytest.mark.parametrize("call", [
    lambda: torch.where(torch.ones(2, dtype=torch.bool), torch.ones(3), torch.ones(2)),
    lambda: torch.where(torch.ones(2, dtype=torch.bool), torch.ones(2), torch.ones(3)),
    lambda: torch.maximum(torch.ones(2), torch.ones(3)),
    lambda: torch.minimum(torch.ones(2), torch.ones(3)),
    lambda: torch.fmax(torch.ones(2), torch.ones(3)),
    lambda: torch.fmin(torch.ones(2), torch.ones(3)),
    lambda: torch.atan2(torch.ones(2), torch.ones(3)),
    lambda: torch.ones(2).atan2_(torch.ones(3)),
    lambda: torch.hypot(torch.ones(2), torch.ones(3)),
    lambda: torch.logaddexp(torch.ones(2), torch.ones(3)),
    lambda: torch.logaddexp2(torch.ones(2), torch.ones(3)),
    lambda: torch.copysign(torch.ones(2), torch.ones(3)),
    lambda: torch.xlogy(torch.ones(2), torch.ones(3)),
    lambda: torch.nextafter(torch.ones(2), torch.ones(3)),
    lambda: torch.heaviside(torch.ones(2), torch.ones(3)),
    lambda: torch.isclose(torch.ones(2), torch.ones(3)),
    lambda: torch.lerp(torch.ones(2), torch.ones(3), 0.5),
    lambda: torch.lerp(torch.ones(2), torch.ones(2), torch.ones(3)),
    lambda: torch.addcmul(torch.ones(2), torch.ones(3), torch.ones(2)),
    lambda: torch.addcdiv(torch.ones(2), torch.ones(3), torch.ones(2)),
    lambda: torch.clamp(torch.ones(2), torch.ones(3)),
    lambda: torch.clamp(torch.ones(2), max=torch.ones(3)),
    lambda: torch.gcd(torch.ones(2, dtype=torch.int64), torch.ones(3, dtype=torch.int64)),
    lambda: torch.lcm(torch.ones(2, dtype=torch.int64), torch.ones(3, dtype=torch.int64)),
    lambda: torch.special.xlog1py(torch.ones(2), torch.ones(3)),
    lambda: torch.special.zeta(torch.ones(2), torch.ones(3)),
    lambda: torch.broadcast_tensors(torch.ones(2), torch.ones(3)),
    lambda: F.mse_loss(torch.ones(2), torch.ones(3)),
])
def test_broadcast_mismatch_is_runtime_error(call):
    with raises(RuntimeError, BCAST_2_3):
        call()


def test_broadcast_error_folds_operands_left_to_right():
    # (2,) and (2,) give (2,), which then meets (3, 4): PyTorch names size 2 against 4 at dim 1
    with raises(RuntimeError, "The size of tensor a (2) must match the size of tensor b (4) at non-singleton "
                              "dimension 1"):
        torch.broadcast_tensors(torch.ones(2), torch.ones(2), torch.ones(3, 4))


def test_broadcast_shapes_message():
    with raises(RuntimeError, "Attempting to broadcast a dimension of length 3 at -1! Mismatching argument at "
                              "index 2 had (3,); but expected shape should be broadcastable to [2]"):
        torch.broadcast_shapes((2,), (1,), (3,))


def test_masked_fill_mask_shape():
    with raises(RuntimeError, "The size of tensor a (3) must match the size of tensor b (2) at non-singleton "
                              "dimension 0"):
        torch.ones(2, 3).masked_fill(torch.ones(3, 3, dtype=torch.bool), 0.0)
    # in place, the tensor is "tensor a"
    with raises(RuntimeError, "The size of tensor a (2) must match the size of tensor b (3) at non-singleton "
                              "dimension 0"):
        torch.ones(2, 3).masked_fill_(torch.ones(3, 3, dtype=torch.bool), 0.0)
    with raises(RuntimeError, "output with shape [3] doesn't match the broadcast shape [2, 3]"):
        torch.ones(3).masked_fill_(torch.ones(2, 3, dtype=torch.bool), 0.0)


def test_masked_fill_out_of_place_broadcasts_to_a_larger_mask():
    out = torch.tensor([1.0, 2.0, 3.0]).masked_fill(torch.tensor([[True, False, False], [False, False, True]]), 0.0)
    assert out.tolist() == [[0.0, 2.0, 3.0], [1.0, 2.0, 0.0]]
    out = torch.ones(3).masked_scatter(torch.ones(2, 3, dtype=torch.bool), torch.arange(6.0))
    assert out.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_masked_select_names_the_mask_first():
    with raises(RuntimeError, "The size of tensor a (3) must match the size of tensor b (2) at non-singleton "
                              "dimension 0"):
        torch.ones(2, 3).masked_select(torch.ones(3, 3, dtype=torch.bool))


def test_expand_names_the_last_bad_dim():
    with raises(RuntimeError, "The expanded size of the tensor (5) must match the existing size (4) at "
                              "non-singleton dimension 1.  Target sizes: [2, 5].  Tensor sizes: [3, 4]"):
        torch.ones(3, 4).expand(2, 5)


# ---- dtypes ---------------------------------------------------------------------------------
def test_add_alpha_checks():
    with raises(RuntimeError, "Boolean alpha only supported for Boolean results."):
        torch.add(torch.ones(2), torch.ones(2), alpha=True)
    with raises(RuntimeError, "For integral input tensors, argument alpha must not be a floating point number."):
        torch.add(torch.ones(2, dtype=torch.int64), torch.ones(2, dtype=torch.int64), alpha=0.5)
    with raises(RuntimeError, "For integral input tensors, argument alpha must not be a floating point number."):
        torch.ones(2, dtype=torch.int64).sub_(1, alpha=1.0)
    assert torch.add(torch.ones(2, dtype=torch.int64), torch.ones(2), alpha=0.5).tolist() == [1.5, 1.5]
    assert torch.ones(2).add_(torch.ones(2), alpha=-0.5).tolist() == [0.5, 0.5]
    # a bool result scales by a bool
    r = torch.add(torch.zeros(2, dtype=torch.bool), torch.ones(2, dtype=torch.bool), alpha=2)
    assert r.dtype is torch.bool and r.tolist() == [True, True]


def test_bitwise_not_of_float_is_not_implemented():
    with raises(NotImplementedError, "\"bitwise_not_cpu\" not implemented for 'Float'"):
        torch.bitwise_not(torch.ones(2))


@pytest.mark.parametrize("call, message", [
    (lambda b: b(2, 2) @ b(2, 2), "\"addmm_impl_cpu_\" not implemented for 'Bool'"),
    (lambda b: torch.bmm(b(1, 2, 2), b(1, 2, 2)), "\"bmm\" not implemented for 'Bool'"),
    (lambda b: torch.mv(b(2, 2), b(2)), "\"addmv_impl_cpu\" not implemented for 'Bool'"),
    (lambda b: torch.dot(b(2), b(2)), "\"dot\" not implemented for 'Bool'"),
    (lambda b: b(2) @ b(2, 2, 2), "\"bmm\" not implemented for 'Bool'"),
])
def test_bool_matmul_is_not_implemented(call, message):
    with raises(NotImplementedError, message):
        call(lambda *s: torch.ones(*s, dtype=torch.bool))


def test_addr_takes_bools():
    b = torch.tensor([True, False])
    r = torch.addr(torch.zeros(2, 2, dtype=torch.bool), b, b)
    assert r.dtype is torch.bool and r.tolist() == [[True, False], [False, False]]


@pytest.mark.parametrize("call, message", [
    (lambda f, d: f(2) @ d(2), "dot : expected both vectors to have same dtype, but found Float and Double"),
    (lambda f, d: torch.mv(f(2, 2), d(2)), "addmv input tensors must have the same dtype, but got Double, Float, "
                                           "and Double"),
    (lambda f, d: torch.bmm(d(1, 2, 2), f(1, 2, 2)), "expected scalar type Double but found Float"),
    (lambda f, d: f(2, 2) @ d(2, 2), "expected m1 and m2 to have the same dtype, but got: float != double"),
])
def test_matmul_dtype_mismatch(call, message):
    with raises(RuntimeError, message):
        call(lambda *s: torch.ones(*s), lambda *s: torch.ones(*s, dtype=torch.float64))


def test_std_var_of_integers():
    with raises(RuntimeError, "std and var only support floating point and complex dtypes"):
        torch.ones(3, dtype=torch.int64).std()
    with raises(RuntimeError, "var_mean only support floating point and complex dtypes"):
        torch.var_mean(torch.ones(3, dtype=torch.int64))


def test_index_op_index_dtypes():
    with raises(IndexError, "index_fill_(): Expected dtype int64 for index."):
        torch.ones(3).index_fill(0, torch.tensor([0.0]), 1.0)
    with raises(IndexError, "index_fill_(): Expected dtype int64 for index."):
        torch.ones(3).index_fill(0, torch.tensor([0], dtype=torch.int32), 1.0)
    with raises(RuntimeError, "index_add_(): Expected dtype int32/int64 for index but got: Float"):
        torch.ones(3).index_add(0, torch.tensor([0.0]), torch.ones(1))
    with raises(RuntimeError, "index_add_(): Number of indices (1) should be equal to source.size(dim): (2), "
                              "for dim: 0"):
        torch.ones(3).index_add(0, torch.tensor([0]), torch.ones(2))
    with raises(IndexError, "index_copy_(): Index should have dimension 1 or 0 (got 2)"):
        torch.ones(3).index_copy(0, torch.tensor([[0]]), torch.ones(1))


def test_tensor_with_a_string_dtype():
    with raises(TypeError, "tensor(): argument 'dtype' must be torch.dtype, not str"):
        torch.tensor([1.0], dtype="float")


def test_integer_pooling_without_a_kernel():
    with raises(NotImplementedError, "\"max_pool1d_impl\" not implemented for 'Long'"):
        F.max_pool1d(torch.ones(1, 1, 4, dtype=torch.int64), 2)
    with raises(NotImplementedError, "\"adaptive_max_pool2d\" not implemented for 'Long'"):
        F.adaptive_max_pool2d(torch.ones(1, 1, 4, 4, dtype=torch.int64), 2)
    # with indices, max_pool1d has an integer kernel
    assert F.max_pool1d(torch.arange(4).reshape(1, 1, 4), 2, return_indices=True)[0].tolist() == [[[1, 3]]]


def test_repeat_interleave_counts():
    with raises(RuntimeError, "repeats must have the same size as input along dim, but got repeats.size(0) = 2 "
                              "and input.size(0) = 3"):
        torch.ones(3).repeat_interleave(torch.tensor([1, 2]))
    with raises(RuntimeError, "Repeats must be non-negative"):
        torch.ones(3).repeat_interleave(-1)
    with raises(RuntimeError, "repeats can not be negative"):
        torch.ones(3).repeat_interleave(torch.tensor([1, -1, 1]))
    with raises(NotImplementedError, "\"repeat_interleave_cpu\" not implemented for 'Float'"):
        torch.ones(3).repeat_interleave(torch.tensor([1.0, 2.0, 3.0]))


# ---- shapes ---------------------------------------------------------------------------------
@pytest.mark.parametrize("a, b, message", [
    ((5, 2, 4), (3, 6), "mat1 and mat2 shapes cannot be multiplied (10x4 and 3x6)"),
    ((5, 2, 4), (3,), "size mismatch, got input (10), mat (10x4), vec (3)"),
    ((4,), (5, 3, 6), "Expected size for first two dimensions of batch2 tensor to be: [5, 4] but got: [5, 3]."),
    ((3, 5, 2, 4), (1, 3, 6), "Expected size for first two dimensions of batch2 tensor to be: [15, 4] but got: "
                              "[15, 3]."),
])
def test_matmul_inner_size_mismatch_names_the_folded_product(a, b, message):
    with raises(RuntimeError, message):
        torch.ones(*a) @ torch.ones(*b)


@pytest.mark.parametrize("call, message", [
    (lambda: torch.inner(torch.ones(2), torch.ones(3)),
     "inner() the last dimension must match on both input tensors but got shapes [2] and [3]"),
    (lambda: torch.outer(torch.ones(2, 2), torch.ones(3)), "outer: Expected 1-D argument self, but got 2-D"),
    (lambda: torch.mv(torch.ones(2, 3), torch.ones(3, 1)), "vector + matrix @ vector expected, got 1, 2, 2"),
    (lambda: torch.addmm(torch.ones(3, 5), torch.ones(2, 3), torch.ones(3, 5)),
     "The expanded size of the tensor (2) must match the existing size (3) at non-singleton dimension 0.  "
     "Target sizes: [2, 5].  Tensor sizes: [3, 5]"),
    (lambda: torch.addmm(torch.ones(5), torch.ones(3), torch.ones(3, 5)), "mat1 must be a matrix, got 1-D tensor"),
    (lambda: torch.addmv(torch.ones(3), torch.ones(2, 3), torch.ones(3)),
     "size mismatch, got input (3), mat (2x3), vec (3)"),
    (lambda: torch.addbmm(torch.ones(2, 5), torch.ones(2, 2, 3), torch.ones(2, 4, 5)),
     "Incompatible matrix sizes for bmm (2x3 and 4x5)"),
    (lambda: torch.addbmm(torch.ones(2, 5), torch.ones(2, 2, 3), torch.ones(3, 3, 5)),
     "batch1 and batch2 must have same number of batches, got 2 and 3"),
    (lambda: torch.addr(torch.ones(2, 3), torch.ones(2, 2), torch.ones(3)),
     "addr: Expected 1-D argument vec1, but got 2-D"),
    (lambda: torch.tensordot(torch.ones(2, 3), torch.ones(4, 5), dims=1),
     "contracted dimensions need to match, but first has size 3 in dim -1 and second has size 4 in dim 0"),
    (lambda: torch.tensordot(torch.ones(2, 3), torch.ones(3, 5), dims=([1], [0, 1])),
     "both dimension lists should have same length"),
    (lambda: torch.linalg.solve(torch.eye(2), torch.ones(3)),
     "linalg.solve: Incompatible shapes of A and B for the equation AX = B (2x2 and 3x1)"),
    (lambda: torch.einsum("ij->k", torch.ones(2, 3)),
     "einsum(): output subscript k does not appear in the equation for any input operand"),
    (lambda: torch.ones(2, 3).movedim((0, 0), (0, 1)), "movedim: repeated dim in `source` ([0, 0])"),
    (lambda: torch.ones(2, 3).movedim((0, 1), (1, 1)), "movedim: repeated dim in `destination` ([1, 1])"),
    (lambda: torch.ones(2).repeat(2, -1), "Trying to create tensor with negative dimension -2: [2, -2]"),
    (lambda: torch.ones(2).tile(-1), "Trying to create tensor with negative dimension -2: [-2]"),
    (lambda: torch.ones(5).split(-1), "split expects split_size be non-negative, but got split_size=-1"),
    (lambda: torch.ones(5).split([6, -1]),
     "split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes=[6, -1]"),
    (lambda: F.pixel_shuffle(torch.ones(4, 2), 2),
     "pixel_shuffle expects input to have at least 3 dimensions, but got input with 2 dimension(s)"),
    (lambda: F.max_pool1d(torch.ones(1, 1, 4, 4), 2),
     "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:"
     "[1, 1, 4, 4]"),
])
def test_shape_mistakes_raise_runtime_error(call, message):
    with raises(RuntimeError, message):
        call()


@pytest.mark.parametrize("call, message", [
    (lambda: torch.tensor(1.0).unbind(), "Dimension specified as 0 but tensor has no dimensions"),
    (lambda: torch.tensor(1.0).select(0, 0), "select() cannot be applied to a 0-dim tensor."),
    (lambda: torch.ones(0).kthvalue(1), "kthvalue(): Expected reduction dim 0 to have non-zero size."),
    (lambda: F.avg_pool2d(torch.ones(4, 4), 2),
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
])
def test_shape_mistakes_raise_index_error(call, message):
    with raises(IndexError, message):
        call()


@pytest.mark.parametrize("value, name", [(torch.ones(2, 2), "Tensor"), (5, "int")])
def test_cat_of_a_lone_tensor(value, name):
    with raises(TypeError, f"cat(): argument 'tensors' (position 1) must be tuple of Tensors, not {name}"):
        torch.cat(value)
    with raises(TypeError, f"stack(): argument 'tensors' (position 1) must be tuple of Tensors, not {name}"):
        torch.stack(value)


# ---- indexing -------------------------------------------------------------------------------
def test_indexing_a_0d_tensor():
    with raises(IndexError, "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` "
                            "in C++ to convert a 0-dim tensor to a number"):
        torch.tensor(1.0)[0]
    with raises(IndexError, "slice() cannot be applied to a 0-dim tensor."):
        torch.tensor(1.0)[0:1]


def test_index_messages():
    with raises(ValueError, "slice step cannot be zero"):
        torch.ones(3)[::0]
    with raises(IndexError, "The shape of the mask [2] at index 0 does not match the shape of the indexed tensor "
                            "[2, 3] at index 1"):
        torch.ones(2, 3)[:, torch.ones(2, dtype=torch.bool)]
    with raises(IndexError, "shape mismatch: indexing tensors could not be broadcast together with shapes [2], [3]"):
        torch.ones(3, 3)[torch.tensor([0, 1]), torch.tensor([0, 1, 2])]


@pytest.mark.parametrize("value, name", [([1.0, 2.0, 3.0], "list"), ((1.0,), "tuple"), ("a", "str"),
                                         (None, "NoneType"), (np.ones(3), "numpy.ndarray")])
def test_assigning_a_non_tensor_sequence(value, name):
    x = torch.ones(3)
    with raises(TypeError, f"can't assign a {name} to a torch.FloatTensor"):
        x[:] = value
    assert x.tolist() == [1.0, 1.0, 1.0]


# ---- Python protocols -------------------------------------------------------------------------
def test_python_protocols():
    with raises(ValueError, "only one element tensors can be converted to Python scalars"):
        complex(torch.ones(2))
    with raises(RuntimeError, "Boolean value of Tensor with no values is ambiguous"):
        bool(torch.ones(0))
    with raises(RuntimeError, "Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                              "<class 'str'>."):
        "a" in torch.ones(2)  # noqa: B015
    with raises(TypeError, "Variable data has to be a tensor, but got float"):
        torch.ones(2).data = 1.0


# ---- accepted calls that used to fail ---------------------------------------------------------
def test_max_min_along_a_dim_take_bools():
    x = torch.tensor([[False, True, True], [False, False, False]])
    assert x.max(1).values.tolist() == [True, False] and x.max(1).indices.tolist() == [1, 0]
    assert x.min(1).values.tolist() == [False, False] and x.min(1).indices.tolist() == [0, 0]
    assert torch.max(x, 0).values.dtype is torch.bool


def test_scatter_with_an_empty_index_ignores_src_shape():
    x = torch.ones(3, 3)
    assert torch.equal(x.scatter_add(1, torch.zeros(0, dtype=torch.int64), torch.ones(3)), x)
    assert torch.equal(x.scatter(1, torch.zeros(0, dtype=torch.int64), torch.ones(3)), x)
    assert torch.equal(x.scatter_reduce(1, torch.zeros(0, dtype=torch.int64), torch.ones(3), "sum"), x)


def test_scatter_gather_on_0d_tensors():
    i = torch.zeros(1, dtype=torch.int64)
    x = torch.tensor(1.0, requires_grad=True)
    s = torch.tensor([2.0, 3.0], requires_grad=True)
    y = x.scatter_add(0, i, s[:1])
    assert y.shape == () and y.item() == 3.0 and y.grad_fn.name() == "ScatterAddBackward0"
    y.backward()
    assert x.grad.item() == 1.0 and s.grad.tolist() == [1.0, 0.0]
    assert torch.tensor(1.0).scatter(0, i, torch.tensor([5.0])).item() == 5.0
    assert torch.tensor(1.0).scatter_(0, i, 7.0).item() == 7.0
    assert torch.tensor(2.0).scatter_reduce(0, i, torch.tensor([3.0]), "prod").item() == 6.0
    assert torch.tensor(3.0).gather(0, i).tolist() == [3.0]
    assert torch.tensor(3.0).gather(0, torch.tensor(0)).item() == 3.0


def test_slogdet_sign_shares_the_node():
    x = torch.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
    sign, logabs = torch.linalg.slogdet(x)
    assert sign.requires_grad and sign.grad_fn is logabs.grad_fn
    assert (sign.output_nr, logabs.output_nr) == (0, 1)
    sign.sum().backward(retain_graph=True)
    assert x.grad is None  # a real sign carries no gradient
    logabs.backward()
    # d log|det X| / dX = X^-T
    assert np.allclose(x.grad.numpy(), np.linalg.inv(np.array([[2.0, 1.0], [1.0, 3.0]])).T)


def test_adaptive_pool_to_zero_size_stays_in_the_graph():
    x = torch.ones(1, 2, 4, 4, requires_grad=True)
    for y in (F.adaptive_avg_pool2d(x, 0), F.adaptive_avg_pool3d(x.unsqueeze(2), 0), F.adaptive_avg_pool1d(x[0], 0)):
        assert y.requires_grad and y.numel() == 0


def test_norm_positional_order_matches_torch():
    x = torch.tensor([[3.0, 4.0], [6.0, 8.0]])
    # torch.norm(input, p, dim, keepdim, out, dtype)
    r = torch.norm(x, 2, 1, False, None, torch.float64)
    assert r.dtype is torch.float64 and r.tolist() == [5.0, 10.0]
    out = torch.empty(2)
    assert torch.norm(x, 1, 0, False, out) is out and out.tolist() == [9.0, 12.0]
    # Tensor.norm(p, dim, keepdim, dtype)
    assert x.norm(2, 1, True, torch.float64).dtype is torch.float64


def test_share_memory_and_is_shared():
    x = torch.arange(6.0).reshape(2, 3)
    assert not x.is_shared()
    assert x.share_memory_() is x and x.is_shared() and x[1].is_shared()
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert not (x + 1).is_shared()
