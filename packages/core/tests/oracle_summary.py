"""A comparable summary of a result of Lanterna or PyTorch, for the oracle tests that run the same
function in both libraries and compare what comes back."""


def rounded(x, digits=5):
    x = float(x)
    return "nan" if x != x else round(x, digits)


def summary(v, digits=5):
    """Nested containers of ``("T", shape, dtype name, rounded values, requires_grad)`` per tensor."""
    if hasattr(v, "detach") and hasattr(v, "shape") and hasattr(v, "requires_grad"):
        return ("T", tuple(v.shape), str(v.dtype).split(".")[-1],
                [rounded(x, digits) for x in v.detach().reshape(-1).tolist()], bool(v.requires_grad))
    if isinstance(v, (tuple, list)):
        return (type(v).__name__, [summary(x, digits) for x in v])
    if isinstance(v, dict):
        return {k: summary(x, digits) for k, x in v.items()}
    return v


#: the non-tensor inputs the "must be Tensor" error tests hand to every function
NOT_TENSORS = {"float": 1.5, "int": 2, "list": [1.0, 2.0], "None": None}


def raised(fn, *args, **kwargs):
    """``(exception type, message)`` of a call that must fail."""
    import pytest

    with pytest.raises(Exception) as info:
        fn(*args, **kwargs)
    return type(info.value), str(info.value)
