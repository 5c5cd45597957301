"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict."""

from collections import OrderedDict

import pytest

import lanterna as torch
import lanterna.nn as nn


def test_sequential_positional_and_ordered_dict():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[1], nn.ReLU) and isinstance(seq[-1], nn.Linear)
    assert seq(torch.zeros(4, 2)).shape == (4, 1)
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert named.fc is named[0] and list(named._modules) == ["fc", "act"]
    with pytest.raises(IndexError, match="index 3 is out of range"):
        seq[3]


def test_sequential_slicing_append_insert_delete():
    a, b, c = nn.ReLU(), nn.Tanh(), nn.Sigmoid()
    seq = nn.Sequential(a, b)
    seq.append(c)
    assert list(seq) == [a, b, c]
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c] and list(sub._modules) == ["1", "2"]
    del seq[0]
    assert list(seq._modules) == ["0", "1"] and list(seq) == [b, c]
    seq.insert(0, a)
    assert list(seq) == [a, b, c]
    seq[1] = nn.Identity()
    assert isinstance(seq[1], nn.Identity)
    assert seq.pop(0) is a and len(seq) == 2
    seq.add_module("extra", nn.ReLU())
    assert len(seq) == 3
    combined = nn.Sequential(a) + nn.Sequential(b)
    assert list(combined) == [a, b]
    doubled = nn.Sequential(a) * 2
    assert list(doubled) == [a, a]
    with pytest.raises(ValueError, match="add operator supports only objects of Sequential class"):
        nn.Sequential() + nn.ReLU()
    seq.extend([nn.ReLU()])
    assert len(seq) == 4


def test_module_list():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers.append(nn.ReLU())
    layers.extend([nn.Tanh()])
    layers.insert(0, nn.Sigmoid())
    assert [type(m).__name__ for m in layers] == ["Sigmoid", "Linear", "Linear", "Linear", "ReLU", "Tanh"]
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    del layers[0]
    assert type(layers[0]).__name__ == "Linear"
    layers[0] = nn.Identity()
    assert isinstance(layers[0], nn.Identity)
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable"):
        layers.extend(5)
    combined = nn.ModuleList([nn.ReLU()]) + nn.ModuleList([nn.Tanh()])
    assert len(combined) == 2


def test_module_dict():
    d = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()})
    assert list(d.keys()) == ["b", "a"] and "a" in d and len(d) == 2
    d["c"] = nn.Sigmoid()
    d.update([("e", nn.Identity())])
    assert list(d) == ["b", "a", "c", "e"]
    assert isinstance(d.pop("a"), nn.Tanh) and "a" not in d
    with pytest.raises(ValueError, match="has length 1; 2 is required"):
        d.update([("x",)])
    d.clear()
    assert len(d) == 0


def test_parameter_list():
    pl = nn.ParameterList([nn.Parameter(torch.ones(2)), torch.zeros(3)])
    assert len(pl) == 2 and isinstance(pl[1], nn.Parameter)
    pl.append(torch.ones(1))
    assert len(list(pl.parameters())) == 3
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        pl(1)


def test_parameter_dict():
    pd = nn.ParameterDict({"b": nn.Parameter(torch.ones(1)), "a": torch.zeros(2)})
    assert list(pd.keys()) == ["a", "b"]  # plain dicts are sorted, as in PyTorch
    assert isinstance(pd["a"], nn.Parameter)
    pd["c"] = torch.ones(3)
    assert len(pd) == 3 and "c" in pd
    assert pd.get("zz") is None
    assert pd.pop("c").shape == (3,)
    assert [n for n, _ in pd.named_parameters()] == ["a", "b"]
    merged = pd | nn.ParameterDict({"z": torch.ones(1)})
    assert list(merged.keys()) == ["a", "b", "z"]
    with pytest.raises(TypeError, match="cannot be used as a key as it is not a string"):
        pd[1] = torch.ones(1)
