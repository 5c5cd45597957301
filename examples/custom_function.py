"""Custom autograd Functions, as in PyTorch's "Defining new autograd functions" tutorial: fit
``y = sin(x)`` with ``a + b * P3(c + d * x)``, where ``P3`` (the Legendre polynomial of degree 3)
is a ``torch.autograd.Function`` with a hand-written backward, checked with ``gradcheck``.

    python examples/custom_function.py [--steps N]
"""

from __future__ import annotations

import argparse
import math

import lanterna as torch


class LegendrePolynomial3(torch.autograd.Function):
    """P3(x) = (5x^3 - 3x) / 2, with its derivative 1.5 (5x^2 - 1) written by hand."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


class Exp(torch.autograd.Function):
    """exp(x), saving its output for the backward (d exp(x) / dx = exp(x)): PyTorch's docs example."""

    @staticmethod
    def forward(ctx, input):
        result = input.exp()
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        (result,) = ctx.saved_tensors
        return grad_output * result


def check_gradients():
    """Compare both hand-written backwards with finite differences, in float64."""
    x = torch.randn(6, dtype=torch.float64, requires_grad=True)
    ok_p3 = torch.autograd.gradcheck(LegendrePolynomial3.apply, (x,))
    ok_exp = torch.autograd.gradcheck(Exp.apply, (x,))
    print(f"gradcheck: LegendrePolynomial3 {ok_p3}, Exp {ok_exp}")
    return ok_p3 and ok_exp


def fit(steps: int = 2000, learning_rate: float = 5e-6):
    """Fit sin(x) on [-pi, pi] by plain gradient descent; return the coefficients and losses."""
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    # the weights; this initialisation is close enough to the answer to converge
    a = torch.full((), 0.0, requires_grad=True)
    b = torch.full((), -1.0, requires_grad=True)
    c = torch.full((), 0.0, requires_grad=True)
    d = torch.full((), 0.3, requires_grad=True)
    P3 = LegendrePolynomial3.apply
    losses = []
    for t in range(steps):
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        if t % 100 == 99:
            print(t, loss.item())
        loss.backward()
        with torch.no_grad():  # update the weights outside the graph
            for w in (a, b, c, d):
                w -= learning_rate * w.grad
                w.grad = None
    print(f"Result: y = {a.item()} + {b.item()} * P3({c.item()} + {d.item()} x)")
    return (a.item(), b.item(), c.item(), d.item()), losses


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000, help="gradient descent steps (default 2000)")
    args = parser.parse_args(argv)
    ok = check_gradients()
    coefficients, losses = fit(args.steps)
    return ok, coefficients, losses


if __name__ == "__main__":
    main()
