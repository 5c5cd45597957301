"""Every collective on 2 real processes, checked against its definition for float32, float64, int64.

One job (workers/collectives_worker.py, through the launcher) runs them all; each test checks
one entry of what the ranks recorded against the definition computed here with NumPy.
"""

import numpy as np
import pytest
from dist_helpers import launch, needs_mpi, results

needs_mpi()
N = 2
DTYPES = ["float32", "float64", "int64"]


def x(r, dtype):
    return (np.arange(6).reshape(2, 3) * (r + 1) + r).astype(dtype)


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("collectives")
    proc = launch("collectives_worker.py", out, nproc=N)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return results(out, N)


def got(ranks, r, key, dtype):
    return np.array(ranks[r]["results"][key], dtype=dtype)


def check(actual, expected):
    assert actual.dtype == expected.dtype
    np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", ["SUM", "AVG", "MAX", "MIN", "PRODUCT"])
def test_all_reduce(ranks, op, dtype):
    xs = np.stack([x(r, dtype) for r in range(N)])
    expected = {"SUM": xs.sum(0), "MAX": xs.max(0), "MIN": xs.min(0), "PRODUCT": xs.prod(0),
                # AVG: the sum divided by the world size (truncated for integers, as NCCL does)
                "AVG": (xs.sum(0) / N).astype(dtype)}[op].astype(dtype)
    for r in range(N):
        check(got(ranks, r, f"all_reduce/{op}/{dtype}", dtype), expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("checked", ["1", "0"])
def test_synchronous_paths_on_noncontiguous_views(ranks, checked, dtype):
    """Checked: a blocking engine call; unchecked: a polled request. Both write through the view."""
    xs = np.stack([x(r, dtype) for r in range(N)])
    for r in range(N):
        check(got(ranks, r, f"sync_view/{checked}/all_reduce/{dtype}", dtype), (xs.sum(0) / N).astype(dtype))
        check(got(ranks, r, f"sync_view/{checked}/broadcast/{dtype}", dtype), x(1, dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_reduce_to_dst_only(ranks, dtype):
    check(got(ranks, 1, f"reduce/{dtype}", dtype), x(0, dtype) + x(1, dtype))
    check(got(ranks, 0, f"reduce/{dtype}", dtype), x(0, dtype))  # non-destination keeps its input


@pytest.mark.parametrize("dtype", DTYPES)
def test_broadcast(ranks, dtype):
    for r in range(N):
        check(got(ranks, r, f"broadcast/{dtype}", dtype), x(1, dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_all_gather(ranks, dtype):
    for r in range(N):
        check(got(ranks, r, f"all_gather/{dtype}", dtype), np.stack([x(i, dtype) for i in range(N)]))
        check(got(ranks, r, f"all_gather_into_tensor/{dtype}", dtype),
              np.concatenate([x(i, dtype) for i in range(N)]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_gather(ranks, dtype):
    check(got(ranks, 0, f"gather/{dtype}", dtype), np.stack([x(i, dtype) for i in range(N)]))
    assert ranks[1]["results"][f"gather/{dtype}"] is None


@pytest.mark.parametrize("dtype", DTYPES)
def test_scatter(ranks, dtype):
    for r in range(N):
        check(got(ranks, r, f"scatter/{dtype}", dtype), x(1, dtype) * 10 + r)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["reduce_scatter", "reduce_scatter_tensor"])
def test_reduce_scatter(ranks, kind, dtype):
    for r in range(N):
        check(got(ranks, r, f"{kind}/{dtype}", dtype), sum(x(i, dtype) + r for i in range(N)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_all_to_all_single(ranks, dtype):
    for r in range(N):
        check(got(ranks, r, f"all_to_all_single/{dtype}", dtype),
              np.concatenate([x(i, dtype) + 100 * r for i in range(N)]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_point_to_point(ranks, dtype):
    for r in range(N):
        check(got(ranks, r, f"isend_irecv/{dtype}", dtype), x((r - 1) % N, dtype))
    sender, data = ranks[1]["results"][f"recv_any/{dtype}"]
    assert sender == 0
    check(np.array(data, dtype=dtype), x(0, dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_async_work_and_noncontiguous_view(ranks, dtype):
    for r in range(N):
        done, completed, success, same, base = ranks[r]["results"][f"async_view/{dtype}"]
        assert done and completed and success and same
        check(np.array(base, dtype=dtype), x(0, dtype) + x(1, dtype))


def test_new_group(ranks):
    for r in range(N):
        assert ranks[r]["results"]["group_all/all_reduce"] == [3.0]
    assert ranks[0]["results"]["group_solo/rank"] == [-1, -1]  # not a member
    assert ranks[1]["results"]["group_solo/rank"] == [0, 1]
    assert ranks[1]["results"]["group_solo/all_reduce"] == [5.0]


def test_object_collectives(ranks):
    for r in range(N):
        res = ranks[r]["results"]
        assert res["all_gather_object"] == [{"rank": i, "text": "x" * (i + 1)} for i in range(N)]
        assert res["broadcast_object_list"] == [{"from": 1}, 10]
        assert res["scatter_object_list"] == [f"for {r}"]
    assert ranks[0]["results"]["gather_object"] == [["g", i] for i in range(N)]
    assert ranks[1]["results"]["gather_object"] is None


@pytest.mark.parametrize("case, words", [
    ("mismatch/shape", ["all_reduce", "rank 0 has float32 [2]", "rank 1 has float32 [3]"]),
    ("mismatch/dtype", ["broadcast", "rank 0 has float32 [3]", "rank 1 has float64 [3]"]),
    ("mismatch/collective", ["rank 0 called all_reduce", "rank 1 called broadcast"]),
    ("mismatch/root", ["broadcast", "src"]),
])
def test_mismatch_raises_same_error_on_every_rank(ranks, case, words):
    messages = [ranks[r]["errors"][case] for r in range(N)]
    assert messages[0] is not None and len(set(messages)) == 1
    for w in words:
        assert w in messages[0]


def test_group_usable_after_errors(ranks):
    for r in range(N):
        assert ranks[r]["results"]["after_errors"] == [2.0, 2.0]
