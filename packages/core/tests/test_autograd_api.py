"""The autograd API: grad/backward options and errors, custom Functions, functional, gradcheck,
grad modes, anomaly mode (the behaviour PyTorch documents, checked without PyTorch)."""

import warnings

import pytest

import lanterna as torch
from autograd_functions import _bad_grad, _saved_out, _vjp_only
from lanterna.autograd import functional as AF


def x3(rg=True):
    return torch.tensor([1.0, 2.0, 3.0], requires_grad=rg)


# ---- autograd.grad / backward ----------------------------------------------------------------
def test_grad_materialize_grads_rejects_allow_unused_false():
    x, y = x3(), x3()
    with pytest.raises(ValueError, match="Expected allow_unused to be True or not passed"):
        torch.autograd.grad((x * x).sum(), [x, y], materialize_grads=True, allow_unused=False)


def test_grad_materialize_grads_zeros_follow_create_graph():
    x, y = x3(), x3()
    gx, gy = torch.autograd.grad((x * x).sum(), [x, y], materialize_grads=True, create_graph=True)
    assert gy.tolist() == [0.0, 0.0, 0.0] and gy.requires_grad


def test_grad_inputs_empty_and_not_requiring_grad():
    x = x3()
    with pytest.raises(RuntimeError, match=r"`inputs` argument to `grad\(\)` cannot be empty."):
        torch.autograd.grad((x * x).sum(), [])
    with pytest.raises(RuntimeError, match="^One of the differentiated Tensors does not require grad$"):
        torch.autograd.grad((x * 2).sum(), [x, torch.ones(3)])


def test_grad_output_checked_before_inputs():
    x = x3(rg=False)
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        torch.autograd.grad(x.sum(), x)


def test_grad_dict_inputs_return_dict():
    x, y = x3(), x3()
    r = torch.autograd.grad((x * y).sum(), {"a": x, "b": y})
    assert list(r) == ["a", "b"] and r["a"].tolist() == [1.0, 2.0, 3.0]


def test_grad_only_inputs_false_warns():
    x = x3()
    with pytest.warns(FutureWarning, match="only_inputs argument is deprecated"):
        torch.autograd.grad((x * x).sum(), x, only_inputs=False)


def test_grad_outputs_must_be_tensors_or_none():
    x = x3()
    with pytest.raises(TypeError, match="gradients can be either Tensors or None, but got float"):
        torch.autograd.grad((x * x).sum(), x, grad_outputs=[2.0])
    with pytest.raises(TypeError, match="gradients can be either Tensors or None, but got float"):
        torch.autograd.backward([(x * x).sum()], [2.0])


def test_grad_is_grads_batched():
    x = x3()
    (g,) = torch.autograd.grad(x * x, x, grad_outputs=torch.eye(3), is_grads_batched=True)
    assert g.tolist() == [[2.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 6.0]]
    x = x3()
    (g,) = torch.autograd.grad(x ** 3, x, grad_outputs=torch.eye(3), is_grads_batched=True, create_graph=True)
    (g2,) = torch.autograd.grad(g.sum(), x)
    assert g2.tolist() == [6.0, 12.0, 18.0]
    with pytest.raises(RuntimeError, match="If `is_grads_batched=True`, we interpret the first"):
        torch.autograd.grad(x * 2, x, grad_outputs=torch.ones(3, 2), is_grads_batched=True)


def test_backward_inputs_errors():
    x = x3()
    with pytest.raises(RuntimeError, match=r"`inputs` argument to `backward\(\)` cannot be empty."):
        (x * x).sum().backward(inputs=[])
    z = torch.ones(3)
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad=False"):
        (x * z).sum().backward(inputs=[z])


def test_backward_names_the_output_without_grad():
    x = x3()
    with pytest.raises(RuntimeError, match="element 1 of tensors does not require grad"):
        torch.autograd.backward([(x * x).sum(), torch.ones(())])


# ---- custom Function ---------------------------------------------------------------------------
class _Needs(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b, n):
        return a * b * n

    @staticmethod
    def backward(ctx, g):
        return g, g, None


def test_function_next_functions_only_for_tensor_args():
    y = _Needs.apply(x3(), x3(rg=False), 2)
    assert len(y.grad_fn.next_functions) == 2 and y.grad_fn.next_functions[1] == (None, 0)


def test_function_gradient_for_non_tensor_input_errors():
    class E(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g, g

    with pytest.raises(RuntimeError, match="returned a gradient different than None at position 2, but the "
                                           "corresponding forward input was not a Variable"):
        E.apply(x3(), 2).sum().backward()


def test_function_vjp_only_and_both_rejected():
    V = _vjp_only(torch)
    x = x3()
    V.apply(x).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0, 3.0]

    class B(V):
        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="Implementing both 'backward' and 'vjp'"):
        B.apply(x3()).sum().backward()


def test_function_non_tensor_output():
    class N(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, 5

        @staticmethod
        def backward(ctx, g, _):
            assert _ is None
            return g * 2

    x = x3()
    a, n = N.apply(x)
    a.sum().backward()
    assert n == 5 and x.grad.tolist() == [2.0, 2.0, 2.0]


def test_function_mark_dirty_leaf_and_version():
    class I(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad has been used in an in-place"):
        I.apply(x3())
    a = x3()
    b = a.clone()
    assert I.apply(b) is b and b._version_count == 2


def test_function_save_for_backward_checks_type():
    class S(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x * 2

    with pytest.raises(TypeError, match="save_for_backward can only save variables, but argument 1 is of type int"):
        S.apply(x3())


_Exp = _saved_out(torch)  # saves its output (exp's result)


def test_function_saved_output_modified_names_the_function():
    y = _Exp.apply(x3())
    y.add_(1)
    with pytest.raises(RuntimeError, match="which is output 0 of _Exp, is at version 1; expected version 0"):
        y.sum().backward()


def test_function_saved_tensors_freed_after_backward():
    y = _Exp.apply(x3())
    y.sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.grad_fn.saved_tensors


def test_function_bad_gradient_shape_message():
    class Bad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g[:2]

    with pytest.raises(RuntimeError, match=r"returned an invalid gradient at index 0 - got \[2\] but expected "
                                           r"shape compatible with \[3\]"):
        Bad.apply(x3()).sum().backward()


def test_once_differentiable():
    class O(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        @torch.autograd.function.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g

    x = x3()
    (g,) = torch.autograd.grad(O.apply(x).sum(), x, create_graph=True)
    assert not g.requires_grad  # computed without a graph
    (g,) = torch.autograd.grad(O.apply(x), x, grad_outputs=torch.ones(3, requires_grad=True), create_graph=True)
    with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was marked with "
                                           "@once_differentiable"):
        g.sum().backward()


def test_function_instantiation_warns_and_forward_cls():
    with pytest.warns(DeprecationWarning, match="should not be instantiated"):
        _Exp()
    assert _Exp.apply(x3()).grad_fn._forward_cls is _Exp
    assert hasattr(torch.autograd.Function, "jvp") and hasattr(torch.autograd.Function, "vmap")


# ---- functional ------------------------------------------------------------------------------
def test_functional_refuses_lists_and_non_tensors():
    x = torch.ones(3)
    with pytest.raises(TypeError, match="The inputs given to jacobian must be either a Tensor or a tuple"):
        AF.jacobian(lambda a: a, [x])
    with pytest.raises(TypeError, match="The outputs of the user-provided function given to jacobian"):
        AF.jacobian(lambda a: [a], x)
    with pytest.raises(TypeError, match="The v given to vjp must be either a Tensor or a tuple"):
        AF.vjp(lambda a: a, x, 1.0)


def test_functional_v_none_rules():
    x = torch.ones(3)
    with pytest.raises(RuntimeError, match="The vector v can only be None if the user-provided function returns"):
        AF.vjp(lambda a: a * 2, x)
    with pytest.raises(RuntimeError, match="The vector v can only be None if the input to the user-provided"):
        AF.jvp(lambda a: a * 2, x)
    with pytest.raises(RuntimeError, match=r"v has invalid size: should be torch.Size\(\[3\]\)"):
        AF.vjp(lambda a: a * 2, x, torch.ones(2))


def test_functional_strict_and_constant_outputs():
    x, y = torch.ones(3), torch.ones(2)
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is independent of input 1"):
        AF.jacobian(lambda a, b: a * 2, (x, y), strict=True)
    assert AF.jacobian(lambda a: torch.ones(2), x).shape == (2, 3)


def test_functional_structures():
    x, y = torch.ones(3), torch.ones(2)
    j = AF.jacobian(lambda a: (a * 2, a.sum()), x)
    assert isinstance(j, tuple) and [t.shape for t in j] == [(3, 3), (3,)]
    j = AF.jacobian(lambda a: a * 2, (x,))
    assert isinstance(j, tuple) and len(j) == 1
    h = AF.hessian(lambda a, b: (a ** 2).sum() * (b ** 2).sum(), (x, y))
    assert [[t.shape for t in row] for row in h] == [[(3, 3), (3, 2)], [(2, 3), (2, 2)]]
    with pytest.raises(RuntimeError, match="should contain a single element"):
        AF.hessian(lambda a: a, x)
    j = AF.jacobian(lambda a, b: (a * b.sum(),), (x, y), vectorize=True, strategy="forward-mode")
    assert isinstance(j, list) and isinstance(j[0], list)
    with pytest.raises(NotImplementedError, match="only implemented for `vectorize=True`"):
        AF.jacobian(lambda a: a, x, strategy="forward-mode")
    with pytest.raises(AssertionError, match="Expected strategy to be either"):
        AF.jacobian(lambda a: a, x, strategy="foo")


# ---- gradcheck -------------------------------------------------------------------------------
def _bad():
    return _bad_grad(torch).apply  # backward returns 3g for 2x: a wrong gradient


def _d():
    return torch.tensor([0.5, 1.5, -0.3], dtype=torch.float64, requires_grad=True)


def test_gradcheck_messages_and_options():
    with pytest.raises(torch.autograd.GradcheckError, match=r"numerical:tensor\(\[\[2\.0000, 0\.0000, 0\.0000\],"):
        torch.autograd.gradcheck(_bad(), (_d(),))
    with pytest.raises(torch.autograd.GradcheckError, match="computed \nin fast mode"):
        torch.autograd.gradcheck(_bad(), (_d(),), fast_mode=True)
    assert torch.autograd.gradcheck(_bad(), (_d(),), fast_mode=True, raise_exception=False) is False
    assert torch.autograd.gradcheck(lambda x: x.sin(), (_d(),), fast_mode=True)
    with pytest.raises(TypeError):
        torch.autograd.gradcheck(lambda x: x, (_d(),), foo=1)
    with pytest.raises(AttributeError):
        torch.autograd.gradcheck(lambda x: 3, (_d(),))


def test_gradcheck_names_the_failing_output():
    with pytest.raises(torch.autograd.GradcheckError, match="mismatch for output 1 with respect to input 0"):
        torch.autograd.gradcheck(lambda x: (x * 2, _bad()(x)), (_d(),))


# ---- grad modes / anomaly --------------------------------------------------------------------
def test_no_grad_decorates_generators():
    @torch.no_grad()
    def gen():
        yield torch.is_grad_enabled()
        yield torch.is_grad_enabled()

    g = gen()
    assert next(g) is False and torch.is_grad_enabled() and next(g) is False

    @torch.no_grad
    def gen2():
        yield torch.is_grad_enabled()

    assert list(gen2()) == [False]


def test_no_grad_on_class_warns():
    with pytest.warns(FutureWarning, match="Decorating classes is deprecated"):
        @torch.no_grad()
        class C:
            def __init__(self):
                self.v = torch.is_grad_enabled()
    assert C().v is False


def test_set_grad_enabled_requires_bool():
    with pytest.raises(TypeError, match="must be bool, not int"):
        torch.set_grad_enabled(1)


def test_inference_mode_false_enables_grad():
    with torch.no_grad():
        with torch.inference_mode(False):
            assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()
    with torch.inference_mode():
        with torch.inference_mode(False):
            assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()
        assert torch.is_inference_mode_enabled() and not torch.is_grad_enabled()


def test_anomaly_check_nan_false():
    x = torch.tensor([0.0, 4.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.autograd.detect_anomaly(check_nan=False):
            assert torch.is_anomaly_enabled() and not torch.is_anomaly_check_nan_enabled()
            (x.sqrt() * 0).sum().backward()  # NaN gradient, no error
    assert not torch.is_anomaly_enabled() and torch.is_anomaly_check_nan_enabled()
    with torch.autograd.set_detect_anomaly(True, check_nan=False):
        assert torch.is_anomaly_enabled()
    assert not torch.is_anomaly_enabled()


def test_detect_anomaly_is_not_a_decorator():
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        d = torch.autograd.detect_anomaly()
    with pytest.raises(TypeError):
        d(lambda: None)


def test_node_hooks_see_and_replace_whole_gradient_tuples():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    seen = []

    def pre(grad_outputs):
        seen.append(("pre", type(grad_outputs).__name__, len(grad_outputs)))
        return (grad_outputs[0] * 10,)

    def post(grad_inputs, grad_outputs):
        seen.append(("post", grad_outputs[0].tolist(), len(grad_inputs)))  # the number 3 is an input too
        return (grad_inputs[0] + 1, None)

    y.grad_fn.register_prehook(pre)
    y.grad_fn.register_hook(post)
    y.sum().backward()
    assert seen == [("pre", "tuple", 1), ("post", [10.0, 10.0], 2)]
    assert x.grad.tolist() == [31.0, 31.0]
    w = torch.tensor([1.0], requires_grad=True) * 2
    w.grad_fn.register_hook(lambda gi, go: (gi[0], gi[0], gi[0]))
    with pytest.raises(RuntimeError, match=r"incorrect number of values \(got 3, but expected 2\)"):
        w.sum().backward()


def test_legacy_module_backward_hook_can_replace_grad_input():
    lin = torch.nn.Linear(2, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lin.register_backward_hook(lambda m, gi, go: tuple(None if g is None else g * 0 for g in gi))
    inp = torch.ones(1, 2, requires_grad=True)
    lin(inp).sum().backward()
    assert inp.grad.abs().sum().item() == 0 and lin.bias.grad.tolist() == [0.0]


def test_detach_in_place_and_post_accumulate_hooks_refuse_like_torch():
    x = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="Can't detach views in-place. Use detach\\(\\) instead. If you are using"):
        x[:2].detach_()
    with pytest.raises(RuntimeError, match="Can't detach views in-place"):
        torch.ones(3)[:2].detach_()  # any view, as in PyTorch, even outside autograd
    torch.ones(3)[:2].detach().detach_()  # a detached tensor is not a view
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        torch.ones(2).register_post_accumulate_grad_hook(lambda t: None)


def test_grad_runs_only_the_graph_between_outputs_and_inputs():
    calls = []

    class Twice(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            calls.append("Twice")
            return g * 2

    x = torch.ones(3, requires_grad=True)
    out = Twice.apply(x) * 3
    (g,) = torch.autograd.grad((out * 2).sum(), out, retain_graph=True)
    assert g.tolist() == [2.0, 2.0, 2.0] and calls == []  # nothing below `out` ran
    gx = torch.autograd.grad((out * 2).sum(), [out, x])[1]
    assert gx.tolist() == [12.0, 12.0, 12.0] and calls == ["Twice"]


def test_an_output_reachable_from_another_output_counts_once():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    y = a * 2
    z = y.exp()
    (g,) = torch.autograd.grad((y, z), a, (torch.ones(2), torch.ones(2)))
    assert torch.allclose(g, 2 + 2 * (a * 2).exp().detach())


def test_broadcast_gradients_with_an_empty_dim_sum_to_zeros():
    b = torch.ones(1, requires_grad=True)
    (torch.ones(0, 1) + b).sum().backward()
    assert b.grad.tolist() == [0.0]
    c = torch.ones(2, 1, requires_grad=True)
    (torch.ones(2, 0) * c).sum().backward()
    assert c.grad.tolist() == [[0.0], [0.0]]
