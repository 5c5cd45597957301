"""PyTorch as the oracle for test_not_a_tensor_errors.py: a top-level function given a number,
list, tuple, None or NumPy array raises the same exception type with the same message."""

import numpy as np
import pytest

import lanterna
from oracle_summary import NOT_TENSORS, raised as _raised

pytestmark = pytest.mark.oracle
torch = pytest.importorskip("torch")

UNARY = ("abs absolute acos acosh angle arccos arccosh arcsin arcsinh arctan arctanh asin asinh atan atanh ceil "
         "conj conj_physical cos cosh deg2rad erf erfc exp exp2 expm1 fix floor frac imag is_conj is_neg isfinite "
         "isinf isnan isneginf isposinf isreal log log10 log1p log2 logical_not logit neg negative positive "
         "rad2deg real reciprocal relu resolve_conj resolve_neg round rsqrt sgn sigmoid sign signbit sin sinc sinh "
         "sqrt square tan tanh trunc").split()

#: (name, arguments after the bad input, keyword arguments)
CALLS = [(name, (), {}) for name in UNARY]
CALLS += [(name, (), {}) for name in "sum mean prod std var max min argmax argmin amax amin norm all any flatten "
                                     "squeeze t zeros_like ones_like empty_like rand_like randn_like".split()]
CALLS += [("logsumexp", (0,), {}), ("cumsum", (0,), {}), ("cumprod", (0,), {}), ("reshape", ((-1,),), {}),
          ("unsqueeze", (0,), {}), ("transpose", (0, 0), {}), ("permute", ((0,),), {}), ("flip", ((0,),), {}),
          ("roll", (1,), {}), ("narrow", (0, 0, 1), {}), ("chunk", (1,), {}), ("split", (1,), {}),
          ("full_like", (2.0,), {}), ("all", (0,), {}), ("std", (0,), {"keepdim": True}), ("var", (), {"correction": 0}),
          ("amax", (), {"dim": 0}),
          ("sum", (0,), {"keepdim": True}), ("max", (0,), {}), ("min", (lanterna.ones(1),), {}),
          ("round", (), {"decimals": 1})]

BAD = {**NOT_TENSORS, "bool": True, "tuple": (1.0, 2.0), "ndarray": np.array([1.0, 2.0]),
       "np.float64": np.float64(1.0)}



@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("name, args, kwargs", CALLS, ids=[f"{n}{len(a)}{''.join(k)}" for n, a, k in CALLS])
def test_same_error_as_torch(name, args, kwargs, bad):
    torch_args = [torch.ones(1) if isinstance(a, lanterna.Tensor) else a for a in args]
    expected = _raised(getattr(torch, name), bad, *torch_args, **kwargs)
    assert _raised(getattr(lanterna, name), bad, *args, **kwargs) == expected
