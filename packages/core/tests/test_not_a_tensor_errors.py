"""Top-level functions given something other than a tensor (a number, list, tuple, None, NumPy
array) raise PyTorch's TypeError, ``exp(): argument 'input' (position 1) must be Tensor, not float``,
instead of leaking an AttributeError from inside the op."""

import re

import numpy as np
import pytest

import lanterna

#: PyTorch's unary math functions (aliases included: their own name is in the message)
UNARY = ("abs absolute acos acosh angle arccos arccosh arcsin arcsinh arctan arctanh asin asinh atan atanh ceil "
         "conj conj_physical cos cosh deg2rad erf erfc exp exp2 expm1 fix floor frac imag is_conj is_neg isfinite "
         "isinf isnan isneginf isposinf isreal log log10 log1p log2 logical_not logit neg negative positive "
         "rad2deg real reciprocal relu resolve_conj resolve_neg round rsqrt sgn sigmoid sign signbit sin sinc sinh "
         "sqrt square tan tanh trunc").split()

#: name -> the arguments after the bad input, for functions whose message is "must be Tensor"
CALLS = {name: () for name in UNARY}
CALLS.update({name: () for name in "sum mean prod max min argmax argmin amax amin flatten squeeze t zeros_like "
                                   "ones_like empty_like rand_like randn_like".split()})
CALLS.update(logsumexp=(0,), cumsum=(0,), cumprod=(0,), reshape=((-1,),), unsqueeze=(0,), transpose=(0, 0),
             permute=((0,),), flip=((0,),), roll=(1,), chunk=(1,), full_like=(2.0,))

#: bad input -> the name PyTorch's message gives its type
BAD = [(1.5, "float"), (2, "int"), (True, "bool"), ([1.0, 2.0], "list"), ((1.0, 2.0), "tuple"),
       (None, "NoneType"), (np.array([1.0, 2.0]), "numpy.ndarray")]
BAD_IDS = [name for _, name in BAD]


@pytest.mark.parametrize("bad, type_name", BAD, ids=BAD_IDS)
@pytest.mark.parametrize("name", sorted(CALLS))
def test_must_be_tensor(name, bad, type_name):
    message = f"{name}(): argument 'input' (position 1) must be Tensor, not {type_name}"
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        getattr(lanterna, name)(bad, *CALLS[name])


@pytest.mark.parametrize("bad, type_name", BAD, ids=BAD_IDS)
@pytest.mark.parametrize("name", ["std", "var", "all", "any"])
def test_invalid_combination(name, bad, type_name):
    # these have several overloads in PyTorch, so its parser lists them all
    with pytest.raises(TypeError) as info:
        getattr(lanterna, name)(bad)
    lines = str(info.value).splitlines()
    assert lines[0] == (f"{name}() received an invalid combination of arguments - got ({type_name}), "
                        "but expected one of:")
    assert len(lines) == 4 and all(line.startswith(" * (Tensor input") for line in lines[1:])


def test_invalid_combination_lists_the_arguments_given():
    with pytest.raises(TypeError, match=re.escape("all() received an invalid combination of arguments - "
                                                  "got (list, int), but expected one of:")):
        lanterna.all([True], 0)
    with pytest.raises(TypeError, match=re.escape("std() received an invalid combination of arguments - "
                                                  "got (float, correction=int), but")):
        lanterna.std(1.5, correction=0)


@pytest.mark.parametrize("bad, type_name, shown", [
    (1.5, "float", "float"), (None, "NoneType", "NoneType"), (np.array([1.0]), "numpy.ndarray", "numpy.ndarray"),
    ([1.0, 2.0], "list", "list of [float, float]"), ((1, True), "tuple", "tuple of (int, bool)")])
def test_narrow(bad, type_name, shown):
    # PyTorch marks each mismatched argument of each overload, a sequence with its items' types
    expected = (f"narrow() received an invalid combination of arguments - got ({type_name}, int, int, int), "
                "but expected one of:\n"
                " * (Tensor input, int dim, Tensor start, int length)\n"
                f"      didn't match because some of the arguments have invalid types: (!{shown}!, int, !int!, int)\n"
                " * (Tensor input, int dim, int start, int length)\n"
                f"      didn't match because some of the arguments have invalid types: (!{shown}!, int, int, int)\n")
    with pytest.raises(TypeError) as info:
        lanterna.narrow(bad, 0, 0, 1)
    assert str(info.value) == expected


@pytest.mark.parametrize("bad, type_name", BAD, ids=BAD_IDS)
@pytest.mark.parametrize("name, attr", [("norm", "layout"), ("split", "split")])
def test_python_level_functions(name, attr, bad, type_name):
    # torch.norm and torch.split are Python functions in PyTorch: a non-tensor fails on an attribute
    with pytest.raises(AttributeError, match=f"^'{re.escape(type_name)}' object has no attribute '{attr}'$"):
        getattr(lanterna, name)(bad, 1)


@pytest.mark.parametrize("value, type_name", [(np.float64(1.0), "numpy.float64"), (np.int64(3), "numpy.int64"),
                                              (1 + 2j, "complex"), ("abc", "str"), (object(), "object")])
def test_type_names_follow_python_tp_name(value, type_name):
    with pytest.raises(TypeError, match=re.escape(f"must be Tensor, not {type_name}") + "$"):
        lanterna.exp(value)


def test_python_class_is_named_without_its_module():
    class Custom:
        pass

    with pytest.raises(TypeError, match=r"sum\(\): argument 'input' \(position 1\) must be Tensor, not Custom$"):
        lanterna.sum(Custom())


@pytest.mark.parametrize("name, expected", [("absolute", [1.0, 2.0]), ("negative", [1.0, -2.0]),
                                            ("fix", [-1.0, 2.0]), ("arcsinh", [-0.8813736, 1.4436355]),
                                            ("arctan", [-0.7853982, 1.1071488])])
def test_aliases_still_compute(name, expected):
    out = getattr(lanterna, name)(lanterna.tensor([-1.0, 2.0]))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    assert getattr(lanterna, name).__name__ == name


def test_methods_unaffected():
    x = lanterna.tensor([[1.0, -4.0]])
    assert x.abs().tolist() == [[1.0, 4.0]]
    assert x.absolute().neg().tolist() == [[-1.0, -4.0]]
    assert x.sum().item() == -3.0
    assert x.narrow(1, 0, 1).tolist() == [[1.0]]
    assert [p.tolist() for p in lanterna.split(x, 1, 1)] == [[[1.0]], [[-4.0]]]
