"""Custom autograd Functions built for a given library (Lanterna or PyTorch), shared by the autograd
API tests and their PyTorch-oracle twins: ``factory(lib)`` returns the Function class."""


def _once(t):
    class O(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        @t.autograd.function.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g

    return O


def _saved_out(t):
    class _Exp(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            r = x.exp()
            ctx.save_for_backward(r)
            return r

        @staticmethod
        def backward(ctx, g):
            (r,) = ctx.saved_tensors
            return g * r

    return _Exp


def _nontensor(t):
    class N(t.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, n):
            return a * b * n, 5

        @staticmethod
        def backward(ctx, g, _):
            return g, g, g

    return N


def _vjp_only(t):
    class V(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 3

        @staticmethod
        def vjp(ctx, g):
            return g * 3

    return V


def _bad_shape(t):
    class B(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g[:2]

    return B


def _bad_grad(t):
    class B(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    return B
