"""torch.distributed names Lanterna lacked: HashStore, PrefixStore, Store, reduce_op, distributed_c10d."""

from datetime import timedelta

import pytest

import lanterna.distributed as dist


def test_hashstore_set_get_add_and_counts():
    s = dist.HashStore()
    assert isinstance(s, dist.Store)
    s.set("a", "x")
    s.set("b", b"y")
    assert s.get("a") == b"x" and s.get("b") == b"y"
    assert s.add("n", 2) == 2 and s.add("n", 3) == 5 and s.get("n") == b"5"
    assert s.num_keys() == 3
    assert s.check(["a", "n"]) and not s.check(["a", "zz"])
    assert s.delete_key("a") is True and s.delete_key("a") is False
    assert s.num_keys() == 2
    with pytest.raises(ValueError):
        s.add("b", 1)  # not an integer
    with pytest.raises(TypeError):
        s.set("k", 1)


def test_hashstore_compare_set():
    s = dist.HashStore()
    s.set("a", "x")
    assert s.compare_set("a", "x", "z") == b"z" and s.get("a") == b"z"
    assert s.compare_set("a", "q", "w") == b"z" and s.get("a") == b"z"
    assert s.compare_set("new", "", "v") == b"v" and s.get("new") == b"v"
    assert s.compare_set("missing", "x", "v") == b"x" and not s.check(["missing"])


def test_hashstore_wait_and_get_time_out():
    s = dist.HashStore()
    assert s.timeout == timedelta(seconds=300)
    s.set_timeout(timedelta(seconds=0.05))
    with pytest.raises(dist.DistStoreError, match="Wait timeout"):
        s.get("missing")
    with pytest.raises(dist.DistStoreError, match="Wait timeout"):
        s.wait(["missing"], timedelta(seconds=0.05))
    s.set("there", "1")
    s.wait(["there"])


def test_prefixstore_over_hashstore():
    base = dist.HashStore()
    p = dist.PrefixStore("pre", base)
    assert isinstance(p, dist.Store) and p.underlying_store is base
    p.set("k", "v")
    assert base.get("pre/k") == b"v" and p.get("k") == b"v"
    assert p.add("c", 1) == 1 and base.get("pre/c") == b"1"
    assert p.check(["k"]) and not p.check(["pre/k"])
    base.set("other", "o")
    assert p.num_keys() == 3  # counts the underlying store, as torch
    assert p.compare_set("k", "v", "w") == b"w"
    assert p.delete_key("k") and not base.check(["pre/k"])


def test_reduce_op_is_deprecated_alias():
    with pytest.warns(FutureWarning, match="reduce_op` is deprecated"):
        assert dist.reduce_op.SUM == dist.ReduceOp.SUM


def test_distributed_c10d_names_without_a_group():
    c10d = dist.distributed_c10d
    assert c10d.is_initialized() is False and dist.is_initialized() is False
    assert c10d.GroupMember is dist.GroupMember and c10d.ProcessGroup is dist.ProcessGroup
    assert c10d.get_rank is dist.get_rank
    assert dist.get_pg_count() == 0
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        c10d._get_default_group()
