"""The example device plugin: tensors and a model on the ``strict`` device.

``examples/plugins/lanterna-array-api-strict`` is a third-party-style plugin of about 100 lines
that adds the device ``strict``, whose tensors live in array-api-strict arrays. Installed, it is
found through its entry point at ``import lanterna``; then ``.to("strict")`` moves a tensor or a
whole model there, exactly as ``.to("cuda")`` would::

    pip install -e examples/plugins/lanterna-array-api-strict
    python examples/plugin_demo.py

Without the plugin this script says how to install it and exits normally.
"""

from __future__ import annotations

import lanterna as torch
import lanterna.nn as nn
from lanterna.backends import REGISTRY

INSTALL = "pip install -e examples/plugins/lanterna-array-api-strict"


def train(device, steps=20):
    """A small regression model trained on ``device``; returns its losses."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1)).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x = torch.linspace(-1, 1, 32).reshape(8, 4).to(device)
    y = x.sum(dim=1, keepdim=True) ** 2
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def main(argv=None):
    print("registered devices:", ", ".join(sorted(REGISTRY.backends)))
    if "strict" not in REGISTRY.backends:
        print("The example plugin 'lanterna-array-api-strict' is not installed (or plugin autoloading is "
              f"off: LANTERNA_DISABLE_PLUGIN_AUTOLOAD). Install it with\n    {INSTALL}\nand run this again.")
        return None
    if not torch.strict.is_available():
        reason = REGISTRY.backends["strict"].unavailable_reason()
        print(f"The 'strict' device is registered but not usable: {reason}")
        return None

    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).to("strict")
    print("x is on", x.device, "- its arrays come from", torch.strict.namespace().__name__)
    y = (x @ x.t()).relu().sum(dim=1)
    print("(x @ x.T).relu().sum(dim=1) =", y.cpu())

    strict_losses = train("strict")
    cpu_losses = train("cpu")
    print(f"loss on strict: {strict_losses[0]:.4f} -> {strict_losses[-1]:.4f}")
    print(f"loss on cpu:    {cpu_losses[0]:.4f} -> {cpu_losses[-1]:.4f}")
    same = all(abs(a - b) <= 1e-6 * max(1.0, abs(b)) for a, b in zip(strict_losses, cpu_losses))
    print("same losses on both devices:", same)
    return strict_losses, cpu_losses


if __name__ == "__main__":
    main()
