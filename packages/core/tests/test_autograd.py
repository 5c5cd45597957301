# ruff: noqa: E501  (the expected outputs are PyTorch's, verbatim)
"""Autograd: backward and grad, retain_graph, hooks, retain_grad, custom Functions, version
counters and in-place rules, views, grad modes, anomaly detection, gradcheck. ``SNIPPETS`` are
short programs with PyTorch 2.13's output (re-checked against PyTorch by the oracle suite)."""

import gc
import weakref

import numpy as np
import pytest

import lanterna as torch
from optest import run_snippet

SNIPPETS = [
    ('backward_twice', 'x = torch.ones(2, requires_grad=True); y = (x * x).sum(); y.backward(); y.backward()',
     '!! RuntimeError: Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.'),
    ('backward_twice_retain', 'x = torch.ones(2, requires_grad=True); y = (x * x).sum(); y.backward(retain_graph=True); y.backward(); out = x.grad',
     'tensor([4., 4.])'),
    ('backward_nonscalar', 'x = torch.ones(2, requires_grad=True); (x * 2).backward()',
     '!! RuntimeError: grad can be implicitly created only for scalar outputs'),
    ('backward_no_grad', 'x = torch.ones(2); x.sum().backward()',
     '!! RuntimeError: element 0 of tensors does not require grad and does not have a grad_fn'),
    ('backward_gradient', 'x = torch.ones(2, requires_grad=True); (x * 2).backward(torch.tensor([1., 3.])); out = x.grad',
     'tensor([2., 6.])'),
    ('backward_grad_shape', 'x = torch.ones(2, requires_grad=True); (x * 2).backward(torch.ones(3))',
     '!! RuntimeError: Mismatch in shape: grad_output[0] has a shape of torch.Size([3]) and output[0] has a shape of torch.Size([2]).'),
    ('grad_accum', 'x = torch.ones(2, requires_grad=True); (x*x).sum().backward(); (x*x).sum().backward(); out = x.grad',
     'tensor([4., 4.])'),
    ('grad_basic', 'x = torch.tensor([1., 2.], requires_grad=True); out = torch.autograd.grad((x**3).sum(), x)',
     '(tensor([ 3., 12.]),)'),
    ('grad_create_graph', 'x = torch.tensor([1., 2.], requires_grad=True); g, = torch.autograd.grad((x**3).sum(), x, create_graph=True); out = (g, torch.autograd.grad(g.sum(), x))',
     '(tensor([ 3., 12.], grad_fn=<MulBackward0>), (tensor([ 6., 12.]),))'),
    ('grad_unused', 'x = torch.ones(2, requires_grad=True); y = torch.ones(2, requires_grad=True); out = torch.autograd.grad((x*2).sum(), [x, y])',
     '!! RuntimeError: The differentiated Tensor at index 1 appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.'),
    ('grad_allow_unused', 'x = torch.ones(2, requires_grad=True); y = torch.ones(2, requires_grad=True); out = torch.autograd.grad((x*2).sum(), [x, y], allow_unused=True)',
     '(tensor([2., 2.]), None)'),
    ('grad_materialize', 'x = torch.ones(2, requires_grad=True); y = torch.ones(2, requires_grad=True); out = torch.autograd.grad((x*2).sum(), [x, y], materialize_grads=True)',
     '(tensor([2., 2.]), tensor([0., 0.]))'),
    ('grad_nonleaf', 'x = torch.ones(2, requires_grad=True); h = x * 3; out = torch.autograd.grad((h*h).sum(), h)',
     '(tensor([6., 6.]),)'),
    ('grad_no_accum', 'x = torch.ones(2, requires_grad=True); torch.autograd.grad((x*2).sum(), x); out = x.grad',
     'None'),
    ('grad_outputs_shape', 'x = torch.ones(2, requires_grad=True); torch.autograd.grad(x*2, x, torch.ones(3))',
     '!! RuntimeError: Mismatch in shape: grad_output[0] has a shape of torch.Size([3]) and output[0] has a shape of torch.Size([2]).'),
    ('grad_input_no_req', 'x = torch.ones(2); torch.autograd.grad(x.sum(), x)',
     '!! RuntimeError: element 0 of tensors does not require grad and does not have a grad_fn'),
    ('grad_twice', 'x = torch.ones(2, requires_grad=True); y=(x*x).sum(); torch.autograd.grad(y, x); torch.autograd.grad(y, x)',
     '!! RuntimeError: Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.'),
    ('nonleaf_grad_warn', 'x = torch.ones(2, requires_grad=True); y = x * 2; y.sum().backward(); out = y.grad',
     'None'),
    ('retain_grad', 'x = torch.ones(2, requires_grad=True); y = x * 2; y.retain_grad(); (y*y).sum().backward(); out = (y.grad, y.retains_grad, x.retains_grad)',
     '(tensor([4., 4.]), True, False)'),
    ('hook_leaf', 'x = torch.ones(2, requires_grad=True); h = x.register_hook(lambda g: g * 10); (x*3).sum().backward(); out = x.grad',
     'tensor([30., 30.])'),
    ('hook_nonleaf', 'x = torch.ones(2, requires_grad=True); y = x * 2; y.register_hook(lambda g: g + 1); (y*3).sum().backward(); out = x.grad',
     'tensor([8., 8.])'),
    ('hook_print', 'x = torch.ones(2, requires_grad=True); seen=[]; y = x * 2; y.register_hook(lambda g: seen.append(g.clone())); y.sum().backward(); out = seen',
     '[tensor([1., 1.])]'),
    ('hook_remove', 'x = torch.ones(2, requires_grad=True); h = x.register_hook(lambda g: g * 10); h.remove(); (x*3).sum().backward(); out = x.grad',
     'tensor([3., 3.])'),
    ('hook_no_grad_tensor', 'x = torch.ones(2); x.register_hook(lambda g: g)',
     "!! RuntimeError: cannot register a hook on a tensor that doesn't require gradient"),
    ('hook_two', 'x = torch.ones(2, requires_grad=True); x.register_hook(lambda g: g*2); x.register_hook(lambda g: g+1); (x*1).sum().backward(); out = x.grad',
     'tensor([3., 3.])'),
    ('leaf_inplace', 'x = torch.ones(2, requires_grad=True); x.add_(1)',
     '!! RuntimeError: a leaf Variable that requires grad is being used in an in-place operation.'),
    ('leaf_inplace_nograd', 'x = torch.ones(2, requires_grad=True)\nwith torch.no_grad(): x.mul_(2)\nout = (x, x.requires_grad, x.is_leaf)',
     '(tensor([2., 2.], requires_grad=True), True, True)'),
    ('version_error', 'x = torch.ones(2, requires_grad=True); a = x * 1; b = a.exp(); c = a * a; a.add_(1); c.sum().backward()',
     '!! RuntimeError: one of the variables needed for gradient computation has been modified by an inplace operation: [torch.FloatTensor [2]], which is output 0 of Add, is at version 1; expected version 0 instead. Hint: enable anomaly detection to find the operation that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).'),
    ('version_error_exp', 'x = torch.ones(2, requires_grad=True); a = x.exp(); b = a * 1; a.mul_(2); a.sum().backward(); out = x.grad',
     '!! RuntimeError: one of the variables needed for gradient computation has been modified by an inplace operation: [torch.FloatTensor [2]], which is output 0 of Exp, is at version 1; expected version 0 instead. Hint: enable anomaly detection to find the operation that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).'),
    ('view_shares', 'x = torch.zeros(4); v = x.view(2,2); v[0,0] = 5; out = x',
     'tensor([5., 0., 0., 0.])'),
    ('detach_shares', 'x = torch.zeros(3, requires_grad=True); d = x.detach(); d[0] = 7; out = (x, d.requires_grad)',
     '(tensor([7., 0., 0.], requires_grad=True), False)'),
    ('detach_inplace_ok', 'x = torch.zeros(3, requires_grad=True); d = x.detach(); d.zero_(); out = x',
     'tensor([0., 0., 0.], requires_grad=True)'),
    ('data_shares', 'x = torch.zeros(3, requires_grad=True); x.data[1] = 4; out = x',
     'tensor([0., 4., 0.], requires_grad=True)'),
    ('data_set', 'x = torch.zeros(3, requires_grad=True); x.data = torch.ones(2); out = (x, x.requires_grad)',
     '(tensor([1., 1.], requires_grad=True), True)'),
    ('detach_', 'x = torch.ones(2, requires_grad=True); y = x * 2; y.detach_(); out = (y.requires_grad, y.grad_fn, y.is_leaf)',
     '(False, None, True)'),
    ('setitem_grad', 'x = torch.ones(3, requires_grad=True); y = x.clone(); y[0] = x[1] * 5; y.sum().backward(); out = x.grad',
     'tensor([0., 6., 1.])'),
    ('view_inplace_grad', 'x = torch.ones(4, requires_grad=True); a = x * 2; v = a[1:3]; v.mul_(3); a.sum().backward(); out = (x.grad, a.grad_fn.name())',
     "(tensor([2., 6., 6., 2.]), 'torch::autograd::CopySlices')"),
    ('view_of_leaf_inplace', 'x = torch.ones(4, requires_grad=True); v = x[1:3]; v.mul_(3)',
     '!! RuntimeError: a view of a leaf Variable that requires grad is being used in an in-place operation.'),
    ('view_setitem_chain', 'x = torch.ones(2, 3, requires_grad=True); a = x.clone(); a[0][1] = 5.; a.sum().backward(); out = x.grad',
     'tensor([[1., 0., 1.],\n        [1., 1., 1.]])'),
    ('requires_grad_nonleaf', 'x = torch.ones(2, requires_grad=True); y = x*2; y.requires_grad_(False)',
     "!! RuntimeError: you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."),
    ('requires_grad_int', 'x = torch.ones(2, dtype=torch.long); x.requires_grad = True',
     '!! RuntimeError: only Tensors of floating point and complex dtype can require gradients'),
    ('no_grad', 'x = torch.ones(2, requires_grad=True)\nwith torch.no_grad(): y = x * 2\nout = (y.requires_grad, y.grad_fn, torch.is_grad_enabled())',
     '(False, None, True)'),
    ('no_grad_deco', 'x = torch.ones(2, requires_grad=True)\n@torch.no_grad()\ndef f(a): return a * 2\nout = f(x).requires_grad',
     'False'),
    ('no_grad_deco_bare', 'x = torch.ones(2, requires_grad=True)\n@torch.no_grad\ndef f(a): return a * 2\nout = f(x).requires_grad',
     'False'),
    ('enable_grad_in_no_grad', 'x = torch.ones(2, requires_grad=True)\nwith torch.no_grad():\n    with torch.enable_grad(): y = x * 2\nout = y.requires_grad',
     'True'),
    ('set_grad_enabled_fn', 'torch.set_grad_enabled(False); a = torch.is_grad_enabled(); torch.set_grad_enabled(True); out = (a, torch.is_grad_enabled())',
     '(False, True)'),
    ('set_grad_enabled_ctx', 'x = torch.ones(2, requires_grad=True)\nwith torch.set_grad_enabled(False): y = x * 2\nout = (y.requires_grad, torch.is_grad_enabled())',
     '(False, True)'),
    ('set_grad_enabled_deco', 'x = torch.ones(2, requires_grad=True)\n@torch.set_grad_enabled(False)\ndef f(a): return a * 2\nout = (f(x).requires_grad, torch.is_grad_enabled())',
     '(False, True)'),
    ('inference_mode_false', 'x = torch.ones(2, requires_grad=True)\nwith torch.inference_mode(False): y = x * 2\nout = y.requires_grad',
     'True'),
    ('inference_deco', '@torch.inference_mode()\ndef f(a): return a * 2\nout = f(torch.ones(2, requires_grad=True)).requires_grad',
     'False'),
    ('no_grad_exception', 'x = torch.ones(1, requires_grad=True)\ntry:\n    with torch.no_grad(): raise ValueError\nexcept ValueError: pass\nout = torch.is_grad_enabled()',
     'True'),
    ('variable', 'Variable = torch.autograd.Variable\nv = Variable(torch.ones(2), requires_grad=True); out = (v, type(v).__name__, v.requires_grad)',
     "(tensor([1., 1.], requires_grad=True), 'Tensor', True)"),
    ('variable_volatile', 'Variable = torch.autograd.Variable\nv = Variable(torch.ones(2)); out = v.requires_grad',
     'False'),
    ('anomaly_nan', 'x = torch.tensor([0.], requires_grad=True)\nwith torch.autograd.detect_anomaly():\n    y = (x / x).sum()\n    y.backward()',
     "!! RuntimeError: Function 'DivBackward0' returned nan values in its 1th output."),
    ('anomaly_sqrt', 'x = torch.tensor([0., 1.], requires_grad=True)\nwith torch.autograd.detect_anomaly():\n    y = torch.sqrt(x) * 0\n    y.sum().backward()\nout = x.grad',
     "!! RuntimeError: Function 'SqrtBackward0' returned nan values in its 0th output."),
    ('anomaly_flag', 'out = torch.is_anomaly_enabled()',
     'False'),
    ('gradcheck_ok', 'x = torch.randn(3, dtype=torch.double, requires_grad=True); out = torch.autograd.gradcheck(torch.sin, (x,))',
     'True'),
    ('gradcheck_bad', 'class F(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x): return x * 2\n    @staticmethod\n    def backward(ctx, g): return g * 3\nx = torch.randn(3, dtype=torch.double, requires_grad=True)\nout = torch.autograd.gradcheck(F.apply, (x,), raise_exception=False)',
     'False'),
    ('gradgradcheck', 'x = torch.randn(3, dtype=torch.double, requires_grad=True); out = torch.autograd.gradgradcheck(lambda t: (t**3).sum(), (x,))',
     'True'),
    ('gradcheck_no_req', 'x = torch.randn(3, dtype=torch.double); torch.autograd.gradcheck(torch.sin, (x,))',
     '!! ValueError: gradcheck expects at least one input tensor to require gradient, but none of them have requires_grad=True.'),
    ('fn_basic', 'class Sq(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n        ctx.save_for_backward(x)\n        return x * x\n    @staticmethod\n    def backward(ctx, g):\n        x, = ctx.saved_tensors\n        return 2 * x * g\nx = torch.tensor([3.], requires_grad=True); y = Sq.apply(x); y.backward(); out = (x.grad, y.grad_fn.name(), type(y.grad_fn).__name__)',
     "(tensor([6.]), 'SqBackward', 'SqBackward')"),
    ('fn_needs_input_grad', 'class F(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x, y, k):\n        ctx.k = k\n        return x * y * k\n    @staticmethod\n    def backward(ctx, g):\n        seen.append(ctx.needs_input_grad)\n        return g, None, None\nseen=[]\nx = torch.ones(2, requires_grad=True); F.apply(x, torch.ones(2), 3).sum().backward(); out = seen',
     '[(True, False, False)]'),
    ('fn_multi_out', 'class F(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n        return x * 2, x * 3\n    @staticmethod\n    def backward(ctx, g1, g2):\n        return g1 * 2 + g2 * 3\nx = torch.ones(2, requires_grad=True); a, b = F.apply(x); (a.sum()).backward(); out = x.grad',
     'tensor([2., 2.])'),
    ('fn_nondiff', 'class F(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n        i = x.argmax()\n        y = x * 2\n        ctx.mark_non_differentiable(i)\n        return y, i\n    @staticmethod\n    def backward(ctx, g, gi):\n        return g * 2\nx = torch.ones(2, requires_grad=True); y, i = F.apply(x); out = (y.requires_grad, i.requires_grad)',
     '(True, False)'),
    ('fn_nondiff_float', 'class F(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n        y = x * 2\n        z = x * 3\n        ctx.mark_non_differentiable(z)\n        return y, z\n    @staticmethod\n    def backward(ctx, g, gz):\n        seen.append(gz)\n        return g * 2\nseen = []\nx = torch.ones(2, requires_grad=True); y, z = F.apply(x); y.sum().backward(); out = (z.requires_grad, seen)',
     '(False, [tensor([0., 0.])])'),
    ('fn_wrong_count', 'class F(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x, y):\n        return x * y\n    @staticmethod\n    def backward(ctx, g):\n        return g\nx = torch.ones(2, requires_grad=True); F.apply(x, torch.ones(2)).sum().backward()',
     '!! RuntimeError: function FBackward returned an incorrect number of gradients (expected 2, got 1)'),
    ('fn_ctx_forward_no_grad', 'class F(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n        seen.append(torch.is_grad_enabled())\n        return x.clone()\n    @staticmethod\n    def backward(ctx, g): return g\nseen=[]\nF.apply(torch.ones(1, requires_grad=True)); out = seen',
     '[False]'),
    ('fn_return_input', 'class F(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x): return x\n    @staticmethod\n    def backward(ctx, g): return g * 5\nx = torch.ones(2, requires_grad=True); y = F.apply(x); y.sum().backward(); out = (x.grad, y is x)',
     '(tensor([5., 5.]), False)'),
    ('fn_setup_context', 'class F(torch.autograd.Function):\n    @staticmethod\n    def forward(x, k): return x * k\n    @staticmethod\n    def setup_context(ctx, inputs, output):\n        ctx.k = inputs[1]\n    @staticmethod\n    def backward(ctx, g): return g * ctx.k, None\nx = torch.ones(2, requires_grad=True); F.apply(x, 4.).sum().backward(); out = x.grad',
     'tensor([4., 4.])'),
    ('fn_double_backward', 'class Cube(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n        ctx.save_for_backward(x)\n        return x ** 3\n    @staticmethod\n    def backward(ctx, g):\n        x, = ctx.saved_tensors\n        return 3 * x * x * g\nx = torch.tensor([2.], requires_grad=True); g, = torch.autograd.grad(Cube.apply(x), x, create_graph=True); g.backward(); out = x.grad',
     'tensor([12.])'),
    ('fn_no_grad_inputs', 'class F(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x): return x * 2\n    @staticmethod\n    def backward(ctx, g): return g\ny = F.apply(torch.ones(2)); out = (y.requires_grad, y.grad_fn)',
     '(False, None)'),
    ('fn_saved_after_backward', 'class F(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n        ctx.save_for_backward(x)\n        return x * 2\n    @staticmethod\n    def backward(ctx, g):\n        return g * 2\nx = torch.ones(2, requires_grad=True); y = F.apply(x); y.sum().backward(); y.grad_fn.saved_tensors',
     '!! RuntimeError: Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.'),
    ('fn_once_diff', 'once_differentiable = torch.autograd.function.once_differentiable\nclass F(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x): return x * 2\n    @staticmethod\n    @once_differentiable\n    def backward(ctx, g): return g * 2\nx = torch.ones(2, requires_grad=True); y = F.apply(x); y.sum().backward(); out = x.grad',
     'tensor([2., 2.])'),
    ('fn_materialize', 'class F(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x): return x * 2, x * 3\n    @staticmethod\n    def backward(ctx, g1, g2):\n        seen.append(g2)\n        return g1\nseen=[]\nx = torch.ones(2, requires_grad=True); a, b = F.apply(x); a.sum().backward(); out = seen',
     '[tensor([0., 0.])]'),
    ('fn_mark_dirty', 'class F(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n        x.mul_(2)\n        ctx.mark_dirty(x)\n        return x\n    @staticmethod\n    def backward(ctx, g): return g * 2\nx = torch.ones(2, requires_grad=True); a = x.clone(); b = F.apply(a); b.sum().backward(); out = (x.grad, a is b)',
     '(tensor([2., 2.]), True)'),
    ('grad_fn_next', 'x = torch.ones(2, requires_grad=True); y = x * 2 + 1; out = (y.grad_fn.next_functions[0][0].name(), y.grad_fn.next_functions[0][0].next_functions[0][0].name(), type(y.grad_fn.next_functions[0][0].next_functions[0][0]).__name__)',
     "('MulBackward0', 'torch::autograd::AccumulateGrad', 'AccumulateGrad')"),
    ('grad_fn_variable', 'x = torch.ones(2, requires_grad=True); y = x * 2; out = y.grad_fn.next_functions[0][0].variable is x',
     'True'),
    ('grad_set', 'x = torch.ones(2, requires_grad=True); x.grad = torch.ones(3)',
     "!! RuntimeError: attempting to assign a gradient of size '[3]' to a tensor of size '[2]'. Please ensure that the gradient and the tensor are the same size"),
    ('grad_set_ok', 'x = torch.ones(2, requires_grad=True); x.grad = torch.full((2,), 5.); (x*1).sum().backward(); out = x.grad',
     'tensor([6., 6.])'),
    ('grad_zero', 'x = torch.ones(2, requires_grad=True); (x*2).sum().backward(); x.grad.zero_(); (x*2).sum().backward(); out = x.grad',
     'tensor([2., 2.])'),
    ('grad_none_then', 'x = torch.ones(2, requires_grad=True); (x*2).sum().backward(); x.grad = None; (x*3).sum().backward(); out = x.grad',
     'tensor([3., 3.])'),
    ('backward_inputs', 'x = torch.ones(2, requires_grad=True); y = torch.ones(2, requires_grad=True); (x*y).sum().backward(inputs=[x]); out = (x.grad, y.grad)',
     '(tensor([1., 1.]), None)'),
    ('int_output_backward', 'x = torch.ones(2, requires_grad=True); x.argmax().backward()',
     '!! RuntimeError: element 0 of tensors does not require grad and does not have a grad_fn'),
    ('backward_on_int_sum', 'x = torch.ones(2, requires_grad=True); (x > 0).sum().backward()',
     '!! RuntimeError: element 0 of tensors does not require grad and does not have a grad_fn'),
    ('graph_free_saved', 'x = torch.ones(2, requires_grad=True); y = x.exp(); z = y.sum(); z.backward(); z.backward()',
     '!! RuntimeError: Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.'),
    ('second_backward_add', 'x = torch.ones(2, requires_grad=True); y = (x + 1).sum(); y.backward(); y.backward(); out = x.grad',
     'tensor([2., 2.])'),
    ('autograd_backward_fn', 'x = torch.ones(2, requires_grad=True); torch.autograd.backward([(x*2).sum(), (x*3).sum()]); out = x.grad',
     'tensor([5., 5.])'),
    ('grad_of_grad_nonscalar', 'x = torch.tensor([1., 2.], requires_grad=True); y = x ** 2; g, = torch.autograd.grad(y, x, torch.ones(2), create_graph=True); out = (g, g.requires_grad, g.grad_fn.name())',
     "(tensor([2., 4.], grad_fn=<MulBackward0>), True, 'MulBackward0')"),
    ('hessian_vec', 'x = torch.tensor([1., 2.], requires_grad=True); y = (x**3).sum(); g, = torch.autograd.grad(y, x, create_graph=True); h, = torch.autograd.grad(g @ torch.tensor([1., 0.]), x); out = h',
     'tensor([6., 0.])'),
    ('requires_grad_prop', 'x = torch.ones(2, requires_grad=True); out = ((x*2).requires_grad, (x.detach()*2).requires_grad, torch.ones(2).requires_grad, (x > 0).requires_grad, x.long().requires_grad, x.argmax().requires_grad)',
     '(True, False, False, False, False, False)'),
    ('is_leaf', 'x = torch.ones(2, requires_grad=True); y = x*2; z = torch.ones(2); out = (x.is_leaf, y.is_leaf, z.is_leaf, z.mul(2).is_leaf, x.detach().is_leaf)',
     '(True, False, True, True, True)'),
    ('grad_of_int_input', 'x = torch.ones(2, dtype=torch.long); torch.autograd.grad(x.float().sum(), x)',
     '!! RuntimeError: element 0 of tensors does not require grad and does not have a grad_fn'),
    ('deepcopy_nonleaf', 'import copy\nx = torch.ones(2, requires_grad=True); copy.deepcopy(x * 2)',
     '!! RuntimeError: Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the moment.  If you were attempting to deepcopy a module, this may be because of a torch.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001'),
    ('deepcopy_leaf', 'import copy\nx = torch.ones(2, requires_grad=True); y = copy.deepcopy(x); out = (y, y.requires_grad, y is x)',
     '(tensor([1., 1.], requires_grad=True), True, False)'),
]


@pytest.mark.parametrize("name,code,expected", SNIPPETS, ids=[s[0] for s in SNIPPETS])
def test_snippet(name, code, expected):
    assert run_snippet(torch, code) == expected


def test_backward_frees_saved_tensors():
    x = torch.ones(1000, requires_grad=True)
    y = x.exp()
    z = (y * y).sum()
    ref = weakref.ref(z.grad_fn)
    node = z.grad_fn.next_functions[0][0]  # MulBackward0 saved y twice
    z.backward()
    assert node._saved is not None and len(node._saved) == 0  # released
    del z, y
    gc.collect()
    assert ref() is None


def test_retain_graph_keeps_saved_tensors():
    x = torch.ones(3, requires_grad=True)
    z = (x.exp() * x).sum()
    z.backward(retain_graph=True)
    z.backward()
    assert torch.allclose(x.grad, 2 * 2 * np.e * torch.ones(3))


def test_long_chain_no_recursion_limit():
    x = torch.ones(1, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.backward()
    assert x.grad.item() > 1


def test_higher_order_gradients():
    x = torch.tensor([0.5, 1.5], dtype=torch.float64, requires_grad=True)
    y = (x.sin() * x.exp()).sum()
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), x, create_graph=True)
    (t,) = torch.autograd.grad(h.sum(), x)
    xs = x.detach().numpy()
    # d/dx [sin x e^x] = e^x (sin x + cos x); second: 2 e^x cos x; third: 2 e^x (cos x - sin x)
    np.testing.assert_allclose(g.detach().numpy(), np.exp(xs) * (np.sin(xs) + np.cos(xs)))
    np.testing.assert_allclose(h.detach().numpy(), 2 * np.exp(xs) * np.cos(xs))
    np.testing.assert_allclose(t.numpy(), 2 * np.exp(xs) * (np.cos(xs) - np.sin(xs)))


def test_gradcheck_detects_wrong_gradient():
    class Wrong(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return g  # should be 2 x g

    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    assert not torch.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False)
    with pytest.raises(torch.autograd.GradcheckError, match="Jacobian mismatch"):
        torch.autograd.gradcheck(Wrong.apply, (x,))


def test_custom_function_gradcheck_and_gradgradcheck():
    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.save_for_backward(x)
            ctx.k = k
            return k * x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * ctx.k * x * x * g, None

    x = torch.tensor([0.3, -1.2], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: Cube.apply(t, 2.0), (x,))
    assert torch.autograd.gradgradcheck(lambda t: Cube.apply(t, 2.0), (x,))


def test_functional_jacobian_and_hessian():
    x = torch.tensor([1.0, 2.0])
    j = torch.autograd.functional.jacobian(lambda t: t ** 3, x)
    np.testing.assert_allclose(j.numpy(), np.diag([3.0, 12.0]))
    h = torch.autograd.functional.hessian(lambda t: (t ** 3).sum(), x)
    np.testing.assert_allclose(h.numpy(), np.diag([6.0, 12.0]))
    _, vjp = torch.autograd.functional.vjp(lambda t: t * t, x, torch.ones(2))
    np.testing.assert_allclose(vjp.numpy(), [2.0, 4.0])
    _, jvp = torch.autograd.functional.jvp(lambda t: t * t, x, torch.tensor([1.0, 0.0]))
    np.testing.assert_allclose(jvp.numpy(), [2.0, 0.0])


def test_hooks_order_and_removal_on_nonleaf():
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    calls = []
    h1 = y.register_hook(lambda g: calls.append("a") or g * 3)
    y.register_hook(lambda g: calls.append("b"))
    y.sum().backward()
    assert calls == ["a", "b"] and x.grad.tolist() == [6.0, 6.0]
    h1.remove()
    x.grad = None
    z = x * 2
    z.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_grad_mode_decorators_preserve_function_metadata():
    @torch.no_grad()
    def f(a):
        """doc"""
        return a * 2

    assert f.__name__ == "f" and f.__doc__ == "doc"
    assert torch.is_grad_enabled()


def test_inference_mode_flag():
    assert not torch.is_inference_mode_enabled()
    with torch.inference_mode():
        assert torch.is_inference_mode_enabled() and not torch.is_grad_enabled()
    with torch.no_grad():
        assert not torch.is_inference_mode_enabled()


def test_ops_with_a_number_save_nothing_that_inplace_could_break():
    # as in PyTorch: x * 2 and x / 2 need not the input, so changing it later is fine; x ** 2 does
    x = torch.ones(2, requires_grad=True)
    a = x.clone()
    b = a * 2 + a / 4
    a.add_(1)
    b.sum().backward()
    assert x.grad.tolist() == [2.25, 2.25]
    a = x.clone()
    c = a ** 2
    a.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        c.sum().backward()
