"""The models and data of the DDP tests, shared by the worker and the single-process reference."""

import lanterna as torch

try:  # nn.Linear once lanterna.nn has it; a two-parameter stand-in before
    from lanterna.nn import Linear
except ImportError:
    Linear = None
from lanterna.nn.modules.module import Module
from lanterna.nn.parameter import Parameter

STEPS, LOCAL_BATCH, LR = 20, 4, 0.1


class _Linear(Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        bound = 1 / n_in ** 0.5
        self.weight = Parameter(torch.empty(n_out, n_in).uniform_(-bound, bound))
        self.bias = Parameter(torch.empty(n_out).uniform_(-bound, bound))

    def forward(self, x):
        return x @ self.weight.t() + self.bias


def linear(n_in, n_out):
    return Linear(n_in, n_out) if Linear is not None else _Linear(n_in, n_out)


class MLP(Module):
    """8 -> 32 -> 32 -> 1 with tanh; ``extra`` is used only when ``use_extra`` (unused-parameter tests)."""

    def __init__(self):
        super().__init__()
        self.fc1 = linear(8, 32)
        self.fc2 = linear(32, 32)
        self.fc3 = linear(32, 1)
        self.extra = linear(32, 1)
        self.register_buffer("seen", torch.zeros(1))

    def forward(self, x, use_extra=True):
        h = self.fc2(self.fc1(x).tanh()).tanh()
        out = self.fc3(h)
        return out + self.extra(h) if use_extra else out


def make_model(seed):
    torch.manual_seed(seed)
    return MLP()


def data(world):
    """(inputs, targets) for every step: the concatenation of every rank's local batch."""
    g = torch.Generator().manual_seed(123)
    xs = torch.randn(STEPS, LOCAL_BATCH * world, 8, generator=g)
    ys = torch.randn(STEPS, LOCAL_BATCH * world, 1, generator=g)
    return xs, ys


def sgd_step(model):
    with torch.no_grad():
        for p in model.parameters():
            if p.grad is not None:
                p -= LR * p.grad


def params(model):
    return {k: v.tolist() for k, v in model.state_dict().items()}
