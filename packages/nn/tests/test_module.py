"""The Module system: registration, attribute routing, iteration, modes, state dicts, conversions."""

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import lanterna as torch
import lanterna.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.fc2 = nn.Linear(4, 2)
        self.register_buffer("steps", torch.zeros(1))
        self.register_buffer("scratch", torch.ones(2), persistent=False)

    def forward(self, x):
        return self.fc2(self.bn(self.fc1(x)).relu())


# ---- registration and attribute routing -----------------------------------------------------
def test_parameters_buffers_modules_are_registered_in_order():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["fc1.weight", "fc1.bias", "bn.weight", "bn.bias",
                                                       "fc2.weight", "fc2.bias"]
    assert [n for n, _ in net.named_buffers()] == ["steps", "scratch", "bn.running_mean", "bn.running_var",
                                                    "bn.num_batches_tracked"]
    assert [n for n, _ in net.named_children()] == ["fc1", "bn", "fc2"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "bn", "fc2"]
    assert len(list(net.parameters(recurse=False))) == 0
    assert [n for n, _ in net.named_parameters(prefix="model")][0] == "model.fc1.weight"


def test_getattr_reads_the_registries_and_errors_name_the_class():
    net = Net()
    assert net.fc1 is net._modules["fc1"]
    assert net.steps is net._buffers["steps"]
    assert net.fc1.weight is net.fc1._parameters["weight"]
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'nope'"):
        net.nope


def test_setattr_routes_parameters_modules_buffers():
    m = nn.Module()
    m.p = nn.Parameter(torch.ones(2))
    m.child = nn.Linear(1, 1)
    m.register_buffer("b", torch.zeros(1))
    m.plain = 3
    assert "p" in m._parameters and "child" in m._modules and "b" in m._buffers
    assert m.__dict__["plain"] == 3
    m.b = torch.ones(3)  # reassigning a buffer keeps it a buffer
    assert m._buffers["b"].shape == (3,)
    m.p = None
    assert m._parameters["p"] is None and "p" not in [n for n, _ in m.named_parameters()]
    # a Parameter replaces a plain attribute of the same name
    m.plain = nn.Parameter(torch.zeros(1))
    assert "plain" in m._parameters and "plain" not in m.__dict__
    del m.child
    assert "child" not in m._modules


def test_setattr_errors_match_pytorch():
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"cannot assign 'torch.FloatTensor' as parameter 'weight' "
                                        r"\(torch.nn.Parameter or None expected\)"):
        m.weight = torch.ones(2, 2)
    s = nn.Sequential(nn.ReLU())
    with pytest.raises(TypeError, match=r"cannot assign 'int' as child module '0' \(torch.nn.Module or None expected\)"):
        setattr(s, "0", 3)
    bn = nn.BatchNorm1d(2)
    with pytest.raises(TypeError, match=r"cannot assign 'str' as buffer 'running_mean'"):
        bn.running_mean = "x"

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(torch.ones(1))

    with pytest.raises(AttributeError, match=r"cannot assign parameters before Module.__init__\(\) call"):
        Early()

    class EarlyModule(nn.Module):
        def __init__(self):
            self.l = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"cannot assign module before Module.__init__\(\) call"):
        EarlyModule()


def test_register_errors():
    m = nn.Module()
    with pytest.raises(KeyError) as info:
        m.register_parameter("a.b", None)
    assert info.value.args[0] == 'parameter name can\'t contain "."'
    with pytest.raises(KeyError) as info:
        m.register_buffer("", None)
    assert info.value.args[0] == 'buffer name can\'t be empty string ""'
    m.x = 1
    with pytest.raises(KeyError) as info:
        m.register_buffer("x", torch.ones(1))
    assert info.value.args[0] == "attribute 'x' already exists"
    with pytest.raises(TypeError, match="cannot assign 'torch.FloatTensor' object to parameter 'q'"):
        m.register_parameter("q", torch.ones(1))
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        m.add_module("c", 5)
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor to parameter 'r'"):
        m.register_parameter("r", _nonleaf_param(nn.Parameter(torch.ones(1))))
    with pytest.raises(TypeError, match=r"Module.__init__\(\) got an unexpected keyword argument 'foo'"):
        nn.Module(foo=1)


def _nonleaf_param(p):
    out = p * 2
    out.__class__ = nn.Parameter
    return out


def test_dir_lists_registered_names():
    net = Net()
    d = dir(net)
    for name in ("fc1", "bn", "steps", "forward", "training"):
        assert name in d
    assert all(not k[0].isdigit() for k in dir(nn.Sequential(nn.ReLU())))


def test_get_submodule_parameter_buffer():
    outer = nn.Sequential(OrderedDict([("block", Net())]))
    assert outer.get_submodule("block.fc2") is outer.block.fc2
    assert outer.get_parameter("block.fc1.bias") is outer.block.fc1.bias
    assert outer.get_buffer("block.bn.running_var") is outer.block.bn.running_var
    with pytest.raises(AttributeError, match="Net has no attribute `nope`"):
        outer.get_submodule("block.nope")
    with pytest.raises(AttributeError, match="`steps` is not an nn.Parameter"):
        outer.get_parameter("block.steps")
    outer.set_submodule("block.fc2", nn.Identity())
    assert isinstance(outer.block.fc2, nn.Identity)


def test_shared_parameters_and_modules_are_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.modules())) == 2
    assert len(list(seq.named_parameters(remove_duplicate=False))) == 4


# ---- modes, gradients, apply ------------------------------------------------------------------
def test_train_eval_propagate_and_require_bool():
    net = Net()
    assert net.training and net.bn.training
    assert net.eval() is net
    assert not net.training and not net.bn.training
    net.train()
    assert net.bn.training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train("yes")


def test_requires_grad_and_zero_grad():
    net = Net()
    net(torch.randn(4, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_apply_visits_children_first():
    seen = []
    nn.Sequential(nn.Linear(1, 1), nn.ReLU()).apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Sequential"]


def test_module_without_forward_and_modulelist_call_raise():
    with pytest.raises(NotImplementedError, match=r'Module \[ModuleList\] is missing the required "forward" function'):
        nn.ModuleList([nn.ReLU()])(torch.ones(1))


# ---- conversions: same Parameter objects, floating tensors only ------------------------------
def test_to_double_keeps_parameter_identity_and_grads():
    net = Net()
    w = net.fc1.weight
    net(torch.randn(4, 3)).sum().backward()
    assert net.double() is net
    assert net.fc1.weight is w and w.dtype == torch.float64 and w.grad.dtype == torch.float64
    assert net.bn.num_batches_tracked.dtype == torch.int64  # integer buffers keep their dtype
    assert net.bn.running_mean.dtype == torch.float64
    net.to(torch.float32)
    assert w.dtype == torch.float32
    net.to("cpu", torch.float64)
    assert w.dtype == torch.float64
    net.float()
    net.to(torch.zeros(1, dtype=torch.float64))
    assert w.dtype == torch.float64 and isinstance(w, nn.Parameter) and w.requires_grad
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex dtypes, but got "
                                        "desired dtype=torch.int64"):
        net.to(torch.int64)
    assert net.cpu() is net


def test_half_and_type():
    lin = nn.Linear(2, 2).half()
    assert lin.weight.dtype == torch.float16
    lin.type(torch.float64)
    assert lin.weight.dtype == torch.float64


# ---- state dicts ----------------------------------------------------------------------------
def test_state_dict_keys_values_and_metadata():
    net = Net()
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == ["steps", "fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "bn.running_mean",
                        "bn.running_var", "bn.num_batches_tracked", "fc2.weight", "fc2.bias"]
    assert "scratch" not in sd  # non-persistent
    assert not sd["fc1.weight"].requires_grad and sd["fc1.weight"].grad_fn is None
    assert sd._metadata[""] == {"version": 1} and sd._metadata["bn"] == {"version": 2}
    kept = net.state_dict(keep_vars=True)
    assert kept["fc1.weight"] is net.fc1.weight
    # detached values share storage with the parameters
    sd["fc1.bias"][0] = 42.0
    assert float(net.fc1.bias[0]) == 42.0
    assert list(net.state_dict(prefix="m."))[0] == "m.steps"


def test_load_state_dict_roundtrip_copies_values():
    a, b = Net(), Net()
    result = b.load_state_dict(a.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (na, pa), (nb, pb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert na == nb and np.array_equal(pa.numpy(), pb.numpy())
    w = b.fc1.weight
    b.load_state_dict(a.state_dict())
    assert b.fc1.weight is w  # copied in place


def test_load_state_dict_errors_name_keys_and_shapes():
    net = Net()
    sd = net.state_dict()
    del sd["fc2.bias"]
    sd["extra"] = torch.ones(1)
    sd["fc1.weight"] = torch.ones(5, 5)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    msg = str(info.value)
    assert msg.startswith("Error(s) in loading state_dict for Net:\n\t")
    assert 'Missing key(s) in state_dict: "fc2.bias". ' in msg
    assert 'Unexpected key(s) in state_dict: "extra". ' in msg
    assert ("size mismatch for fc1.weight: copying a param with shape torch.Size([5, 5]) from checkpoint, the shape "
            "in current model is torch.Size([4, 3]).") in msg
    # non-strict: key mismatches are returned, shape mismatches still raise
    del sd["fc1.weight"]
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["fc1.weight", "fc2.bias"] and result.unexpected_keys == ["extra"]
    sd["fc1.bias"] = torch.ones(7)
    with pytest.raises(RuntimeError, match="size mismatch for fc1.bias"):
        net.load_state_dict(sd, strict=False)
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        net.load_state_dict([1, 2])


def test_load_state_dict_strict_reports_missing_and_unexpected():
    lin = nn.Linear(2, 2)
    res = lin.load_state_dict({"weight": torch.zeros(2, 2), "junk": torch.ones(1)}, strict=False)
    assert res.missing_keys == ["bias"] and res.unexpected_keys == ["junk"]
    assert repr(res) == "_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=['junk'])"


def test_load_state_dict_assign_replaces_tensors():
    lin = nn.Linear(2, 2)
    new_w = torch.ones(2, 2)
    lin.load_state_dict({"weight": new_w, "bias": torch.zeros(2)}, assign=True)
    assert isinstance(lin.weight, nn.Parameter) and lin.weight.requires_grad
    assert float(lin.weight.sum()) == 4.0


def test_extra_state_roundtrip():
    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.value = 1

        def get_extra_state(self):
            return {"value": self.value}

        def set_extra_state(self, state):
            self.value = state["value"]

    a, b = WithExtra(), WithExtra()
    a.value = 7
    sd = a.state_dict()
    assert sd["_extra_state"] == {"value": 7}
    b.load_state_dict(sd)
    assert b.value == 7


def test_state_dict_hooks():
    lin = nn.Linear(1, 1)
    calls = []
    lin.register_state_dict_pre_hook(lambda m, prefix, keep: calls.append("pre"))
    lin.register_state_dict_post_hook(lambda m, sd, prefix, meta: calls.append("post"))
    lin.register_load_state_dict_post_hook(lambda m, keys: calls.append(("load", list(keys.missing_keys))))
    lin.register_load_state_dict_pre_hook(lambda m, sd, prefix, *rest: calls.append("load_pre"))
    sd = lin.state_dict()
    lin.load_state_dict(sd)
    assert calls == ["pre", "post", "load_pre", ("load", [])]


# ---- copying and pickling ---------------------------------------------------------------------
def test_deepcopy_copies_parameters_and_drops_grads():
    net = Net()
    net(torch.randn(4, 3)).sum().backward()
    clone = copy.deepcopy(net)
    assert clone.fc1.weight is not net.fc1.weight
    assert isinstance(clone.fc1.weight, nn.Parameter) and clone.fc1.weight.requires_grad
    assert np.array_equal(clone.fc1.weight.detach().numpy(), net.fc1.weight.detach().numpy())
    assert clone.fc1.weight.grad is None  # as PyTorch's Parameter.__deepcopy__
    with torch.no_grad():
        clone.fc1.weight.add_(1.0)
    assert not np.array_equal(clone.fc1.weight.detach().numpy(), net.fc1.weight.detach().numpy())
    shared = nn.Linear(2, 2)
    seq = copy.deepcopy(nn.Sequential(shared, shared))
    assert seq[0] is seq[1]


def test_pickle_roundtrip():
    net = Net().eval()
    clone = pickle.loads(pickle.dumps(net))
    x = torch.randn(2, 3)
    assert np.allclose(clone(x).detach().numpy(), net(x).detach().numpy())
    assert isinstance(clone.fc1.weight, nn.Parameter)


# ---- Parameter and Buffer ---------------------------------------------------------------------
def test_parameter_basics():
    p = nn.Parameter(torch.tensor([1.0, 2.0]))
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert str(p) == repr(p)
    assert p.requires_grad and p.is_leaf
    assert type(p * 2) is torch.Tensor and type(p.detach()) is torch.Tensor and type(p.data) is torch.Tensor
    assert repr(nn.Parameter(torch.ones(1), requires_grad=False)) == "Parameter containing:\ntensor([1.])"
    assert nn.Parameter().shape == (0,)
    base = torch.zeros(2)
    q = nn.Parameter(base)
    with torch.no_grad():
        q.add_(1)
    assert float(base.sum()) == 2.0  # shares storage
    # PyTorch's Parameter words it unlike Tensor.requires_grad_ ("only Tensors of floating point dtype")
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can require"):
        nn.Parameter(torch.tensor([1, 2]))


def test_buffer_marker():
    b = nn.Buffer(torch.ones(2), persistent=False)
    assert isinstance(b, nn.Buffer) and isinstance(b, torch.Tensor)
    m = nn.Module()
    m.buf = b
    assert "buf" in m._buffers and "buf" in m._non_persistent_buffers_set
    assert list(m.state_dict()) == []
    assert not isinstance(torch.ones(1), nn.Buffer)
