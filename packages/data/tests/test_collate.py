"""default_collate / default_convert: PyTorch's type rules and error messages."""

import collections

import lanterna as torch
import numpy as np
import pytest
from lanterna.utils.data import default_collate, default_convert
from lanterna.utils.data._utils.collate import collate, default_collate_fn_map

Point = collections.namedtuple("Point", ["x", "y"])


def _same(t, values, dtype):
    assert isinstance(t, torch.Tensor), type(t)
    assert t.dtype == dtype, (t.dtype, dtype)
    assert t.tolist() == values


def test_collate_tensors_stacks_along_new_dim():
    out = default_collate([torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0]), torch.tensor([5.0, 6.0])])
    _same(out, [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], torch.float32)
    _same(default_collate([torch.tensor(1), torch.tensor(2)]), [1, 2], torch.int64)


def test_collate_tensors_of_different_shapes_is_stack_error():
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([torch.zeros(2), torch.zeros(3)])


def test_collate_numbers():
    _same(default_collate([0, 1, 2, 3]), [0, 1, 2, 3], torch.int64)
    _same(default_collate([0.5, 1.0]), [0.5, 1.0], torch.float64)  # float64, not the default dtype
    _same(default_collate([True, False]), [True, False], torch.bool)


def test_collate_numpy_arrays_and_scalars_keep_their_dtype():
    _same(
        default_collate([np.array([1, 2], dtype=np.int32), np.array([3, 4], dtype=np.int32)]),
        [[1, 2], [3, 4]],
        torch.int32,
    )
    _same(
        default_collate([np.zeros((2,), np.float64), np.ones((2,), np.float64)]),
        [[0.0, 0.0], [1.0, 1.0]],
        torch.float64,
    )
    _same(default_collate([np.float32(1.5), np.float32(2.5)]), [1.5, 2.5], torch.float32)
    _same(default_collate([np.float64(1.5), np.float64(2.5)]), [1.5, 2.5], torch.float64)
    _same(default_collate([np.int16(3), np.int16(4)]), [3, 4], torch.int16)
    _same(default_collate([np.bool_(True), np.bool_(False)]), [True, False], torch.bool)


def test_collate_strings_and_bytes_unchanged():
    assert default_collate(["a", "b", "c"]) == ["a", "b", "c"]
    assert default_collate([b"a", b"b"]) == [b"a", b"b"]
    assert default_collate([np.str_("a"), np.str_("b")]) == ["a", "b"]


def test_collate_string_numpy_arrays_are_rejected():
    with pytest.raises(
        TypeError,
        match="default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found <U1",
    ):
        default_collate([np.array(["a"]), np.array(["b"])])
    with pytest.raises(TypeError, match="found object"):
        default_collate([np.array([None], dtype=object)])


def test_collate_unsupported_type_message():
    with pytest.raises(
        TypeError,
        match="default_collate: batch must contain tensors, numpy arrays, numbers, "
        "dicts or lists; found <class 'NoneType'>",
    ):
        default_collate([None, None])


def test_collate_dicts_recursively():
    out = default_collate([{"A": 0, "B": {"c": 1.5}}, {"A": 100, "B": {"c": 2.5}}])
    assert list(out) == ["A", "B"]
    _same(out["A"], [0, 100], torch.int64)
    _same(out["B"]["c"], [1.5, 2.5], torch.float64)


def test_collate_keeps_mapping_type():
    od = default_collate([collections.OrderedDict(a=1), collections.OrderedDict(a=2)])
    assert type(od) is collections.OrderedDict
    _same(od["a"], [1, 2], torch.int64)


def test_collate_namedtuple_stays_namedtuple():
    out = default_collate([Point(0, 0.5), Point(1, 1.5)])
    assert type(out) is Point
    _same(out.x, [0, 1], torch.int64)
    _same(out.y, [0.5, 1.5], torch.float64)


def test_collate_tuples_and_lists_become_lists_of_columns():
    out = default_collate([(0, "a"), (2, "b")])
    assert type(out) is list and out[1] == ("a", "b")  # the column of strings is the zipped tuple
    _same(out[0], [0, 2], torch.int64)
    out = default_collate([[torch.tensor(1.0), 2], [torch.tensor(3.0), 4]])
    assert type(out) is list
    _same(out[0], [1.0, 3.0], torch.float32)
    _same(out[1], [2, 4], torch.int64)


def test_collate_typical_dataset_sample():
    batch = [(torch.full((2, 2), float(i)), i) for i in range(3)]
    x, y = default_collate(batch)
    assert tuple(x.shape) == (3, 2, 2) and x[2, 1, 1].item() == 2.0
    _same(y, [0, 1, 2], torch.int64)


def test_collate_sequences_of_unequal_size():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])


def test_collate_fn_map_is_extensible():
    class Custom:
        def __init__(self, v):
            self.v = v

    def collate_custom(batch, *, collate_fn_map=None):
        return sum(c.v for c in batch)

    assert collate([Custom(1), Custom(2)], collate_fn_map={Custom: collate_custom}) == 3
    out = collate(
        [(Custom(1), 5), (Custom(2), 6)], collate_fn_map={**default_collate_fn_map, Custom: collate_custom}
    )
    assert out[0] == 3
    _same(out[1], [5, 6], torch.int64)


def test_convert_numpy_to_tensors_keeps_structure():
    assert default_convert(0) == 0 and default_convert("s") == "s"
    _same(default_convert(np.array([0, 1])), [0, 1], torch.int64)
    _same(default_convert(np.float32(2.5)), 2.5, torch.float32)
    p = default_convert(Point(np.array(0), np.array(1)))
    assert type(p) is Point and p.x.tolist() == 0
    out = default_convert((np.array([1]), "a"))
    assert type(out) is list and out[1] == "a"
    d = default_convert({"k": [np.array([2.0])]})
    assert type(d["k"]) is list and d["k"][0].dtype == torch.float64
    t = torch.ones(2)
    assert default_convert(t) is t
    s = np.array(["x"])
    assert default_convert(s) is s


def test_convert_shares_memory_with_numpy():
    a = np.zeros(3, dtype=np.float32)
    t = default_convert(a)
    a[0] = 7.0
    assert t[0].item() == 7.0
