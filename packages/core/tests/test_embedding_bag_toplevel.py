"""``lanterna.embedding_bag``: the top-level ATen form returning (output, offset2bag, bag_size, max_indices)."""

import pytest

import lanterna

W = [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.0], [8.0, 9.0], [10.0, 11.0]]
IDX = [1, 2, 4, 5, 4, 3]
OFFS = [0, 2, 2, 5]  # bags: [1, 2], [], [4, 5, 4], [3]


def _call(mode, **kw):
    w = lanterna.tensor(W, requires_grad=True)
    return w, lanterna.embedding_bag(w, lanterna.tensor(IDX), lanterna.tensor(OFFS), False, mode, **kw)


def test_mean_output_and_aux():
    _, (out, offset2bag, bag_size, max_indices) = _call(1)
    assert sum(out.tolist(), []) == pytest.approx([3.0, 4.0, 0.0, 0.0, 26 / 3, 29 / 3, 6.0, 7.0])
    assert offset2bag.tolist() == [0, 0, 2, 2, 2, 3]
    assert bag_size.tolist() == [2, 0, 3, 1]
    assert max_indices.tolist() == [2, 0, 3, 1]


def test_max_indices_point_at_weight_rows():
    _, (out, _, _, max_indices) = _call(2)
    assert out.tolist() == [[4.0, 5.0], [0.0, 0.0], [10.0, 11.0], [6.0, 7.0]]
    assert max_indices.shape == (4, 2)
    assert max_indices.tolist() == [[2, 2], [0, 0], [5, 5], [3, 3]]


def test_sum_gradient_counts_lookups():
    w, (out, offset2bag, bag_size, _) = _call(0)
    out.sum().backward()
    # row r receives one per lookup of r
    assert w.grad.tolist() == [[0, 0], [1, 1], [1, 1], [1, 1], [2, 2], [1, 1]]
    assert offset2bag.numel() == 0  # the float32 sum kernel leaves it empty
    assert bag_size.tolist() == [0, 0, 0, 0]


def test_padding_idx_leaves_rows_out_of_counts():
    _, (out, _, bag_size, _) = _call(1, padding_idx=4)
    assert out.tolist() == [[3.0, 4.0], [0.0, 0.0], [10.0, 11.0], [6.0, 7.0]]
    assert bag_size.tolist() == [2, 0, 1, 1]


def test_int32_indices_give_int32_aux():
    w = lanterna.tensor(W)
    aux = lanterna.embedding_bag(w, lanterna.tensor(IDX).int(), lanterna.tensor(OFFS).int(), False, 2)[1:]
    assert [t.dtype for t in aux] == [lanterna.int32] * 3


def test_bad_mode_and_arguments():
    w, i, o = lanterna.tensor(W), lanterna.tensor(IDX), lanterna.tensor(OFFS)
    with pytest.raises(RuntimeError, match="`mode` must be sum, mean, or max"):
        lanterna.embedding_bag(w, i, o, False, 3)
    with pytest.raises(TypeError, match="mode"):
        lanterna.embedding_bag(w, i, o, False, "sum")
    with pytest.raises(TypeError, match="offsets"):
        lanterna.embedding_bag(w, i, None)
    with pytest.raises(RuntimeError, match="per_sample_weights only supported with mode='sum'"):
        lanterna.embedding_bag(w, i, o, False, 1, False, lanterna.ones(6))
