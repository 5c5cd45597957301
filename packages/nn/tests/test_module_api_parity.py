"""Module system and nn.utils details matched to PyTorch 2.13: ``Module.to``'s argument parsing,
conversions of trainable parameters, ``Unflatten``'s arguments, gradient-norm orders,
``parameters_to_vector`` on a tensor, ``pad_sequence`` dtypes/broadcasting, conv weight memory
formats, ``DataParallel`` without an accelerator. Expected values are PyTorch's."""

import pytest

import lanterna as torch
import lanterna.nn as nn


def _dtypes(m):
    return {k: v.dtype for k, v in m.state_dict().items()}


# ---- Module.to ------------------------------------------------------------------------------
def _net():
    return nn.Sequential(nn.Linear(1, 1), nn.BatchNorm1d(1))


@pytest.mark.parametrize(
    "args, kwargs",
    [
        (("cpu", torch.float64, True), {}),  # device, dtype, non_blocking
        ((torch.float64, True), {}),  # dtype, non_blocking
        ((torch.zeros(1, dtype=torch.float64), True), {}),  # tensor, non_blocking
        ((None, torch.float64), {}),
        ((), {"dtype": torch.float64, "device": "cpu", "non_blocking": False}),
        ((torch.float64,), {"memory_format": torch.channels_last}),
    ],
)
def test_to_accepts_pytorch_overloads(args, kwargs):
    m = _net()
    assert m.to(*args, **kwargs) is m
    d = _dtypes(m)
    assert d["0.weight"] == torch.float64 and d["1.running_mean"] == torch.float64
    assert d["1.num_batches_tracked"] == torch.int64  # integer buffers keep their dtype


@pytest.mark.parametrize(
    "args, kwargs, got",
    [
        ((torch.float64, torch.float32), {}, "(torch.dtype, torch.dtype)"),
        (("cpu",), {"device": "cpu"}, "(str, device=str)"),
        (("cpu",), {"non_blocking": "x"}, "(str, non_blocking=str)"),
        ((torch.zeros(1),), {"dtype": torch.float32}, "(Tensor, dtype=torch.dtype)"),
        ((), {"foo": 1}, "(foo=int, )"),
        (([1],), {}, "(list)"),
    ],
)
def test_to_rejects_argument_combinations_pytorch_rejects(args, kwargs, got):
    with pytest.raises(TypeError) as e:
        _net().to(*args, **kwargs)
    msg = str(e.value)
    assert msg.startswith(f"to() received an invalid combination of arguments - got {got}, but expected one of:")
    assert " * (Tensor tensor, bool non_blocking = False, bool copy = False" in msg


@pytest.mark.parametrize("args, kwargs", [((torch.float64,), {"copy": True}), (("cpu",), {"copy": False})])
def test_to_rejects_copy(args, kwargs):
    with pytest.raises(RuntimeError, match=r"^\.to\(\) does not accept copy argument$"):
        _net().to(*args, **kwargs)


def test_to_integer_dtype_or_tensor_is_a_type_error():
    for arg in (torch.int32, torch.zeros(1, dtype=torch.int64)):
        with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex dtypes"):
            _net().to(arg)


def test_type_to_integer_refuses_trainable_parameters():
    with pytest.raises(RuntimeError, match="data set to a tensor that requires gradients must be floating point"):
        nn.Linear(1, 1).type(torch.int32)
    m = nn.Linear(1, 1).requires_grad_(False)
    m.type(torch.int32)
    assert m.weight.dtype == torch.int32 and isinstance(m.weight, nn.Parameter)


# ---- Unflatten ------------------------------------------------------------------------------
def test_unflatten_checks_only_the_sizes_at_construction():
    assert repr(nn.Unflatten("a", (2, 3))) == "Unflatten(dim=a, unflattened_size=(2, 3))"
    nn.Unflatten(1.0, (2, 3))  # dim is checked by Tensor.unflatten at forward time
    with pytest.raises(TypeError, match="unflattened_size must be tuple of ints, but found element of type tuple"):
        nn.Unflatten("features", (("C", 2), ("H", 3)))
    assert nn.Unflatten(-1, [2, -1])(torch.zeros(3, 8)).shape == (3, 2, 4)


# ---- gradient norms -------------------------------------------------------------------------
def test_total_norm_of_order_minus_inf_is_the_smallest_magnitude():
    ts = [torch.tensor([3.0, -4.0]), torch.tensor([-2.0, 7.0])]
    assert nn.utils.get_total_norm(ts, "-inf").item() == 2.0
    assert nn.utils.get_total_norm(ts, float("inf")).item() == 7.0
    assert nn.utils.get_total_norm(ts, 1).item() == 16.0


def test_clip_grad_norm_minus_inf_scales_by_the_smallest_magnitude():
    p = nn.Parameter(torch.zeros(2))
    p.grad = torch.tensor([3.0, -4.0])
    total = nn.utils.clip_grad_norm_([p], 1.5, norm_type="-inf")
    assert total.item() == 3.0
    coef = 1.5 / (3.0 + 1e-6)
    assert p.grad.tolist() == pytest.approx([3.0 * coef, -4.0 * coef])


def test_total_norm_keeps_each_tensors_dtype_until_stacking():
    half = torch.tensor([3.0, 4.0], dtype=torch.float16)
    f64 = torch.tensor([12.0], dtype=torch.float64)
    total = nn.utils.get_total_norm([half, f64])
    assert total.dtype == torch.float64 and total.item() == 13.0


# ---- parameters_to_vector -------------------------------------------------------------------
def test_parameters_to_vector_iterates_a_tensor_by_its_first_dim():
    v = nn.utils.parameters_to_vector(torch.arange(6.0).reshape(2, 3))
    assert v.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        nn.utils.parameters_to_vector(torch.tensor(1.0))


# ---- pad_sequence ---------------------------------------------------------------------------
def test_pad_sequence_takes_the_first_sequences_dtype():
    pad = nn.utils.rnn.pad_sequence
    out = pad([torch.tensor([1, 2]), torch.tensor([1.5])])
    assert out.dtype == torch.int64 and out.tolist() == [[1, 1], [2, 0]]
    out = pad([torch.tensor([1.5]), torch.tensor([1, 2])])
    assert out.dtype == torch.float32 and out.tolist() == [[1.5, 1.0], [0.0, 2.0]]


def test_pad_sequence_broadcasts_to_the_first_sequences_trailing_dims():
    a = torch.ones(2, 3, requires_grad=True)
    b = torch.full((1, 1), 5.0, requires_grad=True)
    out = nn.utils.rnn.pad_sequence([a, b], batch_first=True, padding_side="left", padding_value=-1.0)
    assert out.tolist() == [[[1.0] * 3, [1.0] * 3], [[-1.0] * 3, [5.0] * 3]]
    (out * torch.arange(12.0).reshape(2, 2, 3)).sum().backward()
    assert a.grad.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert b.grad.tolist() == [[9.0 + 10.0 + 11.0]]


@pytest.mark.parametrize(
    "second, msg",
    [
        (torch.ones(1, 3), "output with shape [1, 1] doesn't match the broadcast shape [1, 3]"),
        (torch.ones(1, 3, 1), "output with shape [1, 3] doesn't match the broadcast shape [1, 3, 3]"),
    ],
)
def test_pad_sequence_rejects_what_copy_would(second, msg):
    first = torch.ones(2, 1) if second.dim() == 2 else torch.ones(2, 3)
    with pytest.raises(RuntimeError) as e:
        nn.utils.rnn.pad_sequence([first, second])
    assert str(e.value) == msg


def test_pad_sequence_size_mismatch_names_the_dimension():
    with pytest.raises(RuntimeError) as e:
        nn.utils.rnn.pad_sequence([torch.ones(2, 3, 4), torch.ones(1, 2, 4)])
    assert str(e.value) == "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1"


# ---- memory formats -------------------------------------------------------------------------
def test_convert_conv_weight_memory_format_keeps_parameters():
    m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Sequential(nn.ConvTranspose2d(2, 1, 2)), nn.Linear(1, 1))
    before = [(p, p.detach().clone()) for p in m.parameters()]
    assert nn.utils.convert_conv2d_weight_memory_format(m, torch.channels_last) is m
    after = list(m.parameters())
    for (p, values), q in zip(before, after):
        assert p is q and q.requires_grad and torch.equal(q, values)
    conv3 = nn.Conv3d(1, 1, 1)
    assert nn.utils.convert_conv3d_weight_memory_format(conv3, torch.contiguous_format) is conv3


# ---- DataParallel ---------------------------------------------------------------------------
def test_data_parallel_without_accelerator_forwards_to_the_module():
    if torch.accelerator.is_available():
        pytest.skip("an accelerator is present: DataParallel places the module there")
    inner = nn.Linear(2, 1)
    dp = nn.DataParallel(inner)
    assert dp.module is inner and dp.device_ids == []
    assert list(dp.state_dict()) == ["module.weight", "module.bias"]
    assert repr(dp) == "DataParallel(\n  (module): Linear(in_features=2, out_features=1, bias=True)\n)"
    x = torch.ones(3, 2)
    assert torch.equal(dp(x), inner(x))
    with pytest.raises(RuntimeError, match="device type could not be determined"):
        nn.parallel.data_parallel(inner, x)


# ---- PyTorch's module-level names -----------------------------------------------------------
def test_module_module_exports_pytorchs_hook_machinery():
    import lanterna.nn.modules.module as M

    assert M._global_forward_hooks is M.register_module_forward_hook.__globals__["_global_forward_hooks"]
    h = M.register_module_forward_hook(lambda mod, inp, out: None)
    try:
        assert len(M._global_forward_hooks) == 1
    finally:
        h.remove()
    assert isinstance(h, M.RemovableHandle) and M._EXTRA_STATE_KEY_SUFFIX == "_extra_state"
    m = nn.Linear(2, 1)
    x = torch.ones(1, 2)
    assert torch.equal(m._wrapped_call_impl(x), m(x)) and torch.equal(m._slow_forward(x), m(x))
