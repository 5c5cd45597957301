"""Seed tutorial 1 ("PyTorch usage notes"), section 8: nn.Module, nn.Sequential, parameters, save/load,
train/eval.

Typos fixed: ``nn.MaxPool`` -> ``nn.MaxPool2d``, ``net.stat_dict()`` -> ``net.state_dict()``;
the elided layers (``...``) are left out. The device is CUDA only where it is available, and the
checkpoint is saved before it is loaded (the tutorial loads first), in a temporary folder (or
``$LANTERNA_EXAMPLES_OUT``). ``torch.manual_seed(0)`` is added.
"""

import os
import tempfile

import lanterna as torch
import lanterna.nn as nn

OUT = os.environ.get("LANTERNA_EXAMPLES_OUT") or tempfile.mkdtemp(prefix="lanterna-examples-")
torch.manual_seed(0)


# 8.1 containers: many layers in one nn.Sequential, no forward() wiring per layer
class ConvNet(nn.Module):
    def __init__(self):
        super(ConvNet, self).__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 32, 5, 1, 1),
            nn.MaxPool2d(2, 2),
            nn.ReLU(True),
            nn.BatchNorm2d(32),

            nn.Conv2d(32, 64, 3, 1, 1),
            nn.ReLU(True),
            nn.BatchNorm2d(64),
        )

    def forward(self, x):
        return self.net(x)


conv_net = ConvNet()
print(conv_net)
out = conv_net(torch.randn(2, 1, 28, 28))
print(out.shape, abs(out.mean().item()) < 1e-4, round(out.std().item(), 3))  # batch-normalised


# 8.2 parameter management: modules nest in modules
class BasicNet(nn.Module):
    def __init__(self):
        super(BasicNet, self).__init__()
        self.net = nn.Linear(4, 3)

    def forward(self, x):
        return self.net(x)


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.net = nn.Sequential(
            BasicNet(),
            nn.ReLU(),
            nn.Linear(3, 2)
        )

    def forward(self, x):
        return self.net(x)


device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
net = Net()
net.to(device)
print(net)
print([(name, tuple(p.shape)) for name, p in net.named_parameters()])
print(sum(p.numel() for p in net.parameters()))

# save/load
ckpt = os.path.join(OUT, 'ckpt.mdl')
torch.save(net.state_dict(), ckpt)
# train...
net.load_state_dict(torch.load(ckpt))
print(net(torch.ones(1, 4, device=device)))

# train/test: layers such as dropout behave differently
net.train()  # train
print(net.training, net.net[0].training)
net.eval()  # test
print(net.training, net.net[0].training)
