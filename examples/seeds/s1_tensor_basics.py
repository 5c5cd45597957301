"""Seed tutorial 1 ("PyTorch usage notes"), section 2: tensor dimensions, dtypes, creation and reshape.

Typos fixed: ``e.shape(1)`` -> ``e.size(0)`` (a Size is not callable; the comments give the
sizes of dims 0 and 1), ``torch.ser_default_tensor_type`` -> ``set_default_tensor_type``,
``np.array(2, 3.3)`` -> ``np.array([2, 3.3])``; ``torch.normal()`` (marked "?") is given
arguments. Uninitialised tensors (``torch.FloatTensor(2)``, ``torch.empty``) print their shape
only: their values are whatever memory held. The CUDA lines run only where CUDA is available.
``torch.manual_seed(0)`` is added: the tutorial does not seed.
"""

import numpy as np

import lanterna as torch

torch.manual_seed(0)

# 2.1 dtypes: check a tensor's type with isinstance
a = torch.tensor(1.)
print(isinstance(a, torch.FloatTensor), a.type())

# 1. dim=0 (a scalar): a loss is usually a scalar tensor
print(a.dim())  # 0
print(a.shape)  # torch.Size([])

# 2. dim=1: a vector, e.g. a bias
b = torch.tensor([1.1])
print(b)
b = torch.tensor([1.1, 2.2])
print(b)
c = torch.FloatTensor(1)  # uninitialised values
print(c.shape)
c = torch.FloatTensor(2)
print(c.shape)
d = torch.ones(2)
print(d.shape)  # torch.Size([2])

# 3. dim=2
e = torch.randn(2, 3)
print(e.shape)  # torch.Size([2, 3])
print(e.size(0))  # 2
print(e.size(1))  # 3
print(e.shape[1])  # 3
print(e.shape[0])  # 2

# 4. dim=3: an RNN input [seq len, batch, feature len]
f = torch.rand(1, 2, 3)
print(f.shape)  # torch.Size([1, 2, 3])

# 5. dim=4: images for a CNN [b, c, h, w]
g = torch.rand(2, 3, 28, 28)
print(g.numel())  # 4704 = 2*3*28*28

# 2.2 creating tensors: dtypes and the legacy type names
for dt, legacy in [(torch.float32, torch.FloatTensor), (torch.float64, torch.DoubleTensor),
                   (torch.int32, torch.IntTensor), (torch.int64, torch.LongTensor)]:
    print(dt, torch.zeros(1, dtype=dt).type(), isinstance(torch.zeros(1, dtype=dt), legacy))
print(torch.float is torch.float32, torch.double is torch.float64, torch.long is torch.int64)
torch.set_default_tensor_type(torch.FloatTensor)

print(torch.zeros([2, 4], dtype=torch.int32))
if torch.cuda.is_available():
    cuda0 = torch.device('cuda:0')
    print(torch.ones([2, 4], dtype=torch.float64, device=cuda0))
    data = torch.ones(2).cuda()  # cpu -> gpu
    print(data.cpu())  # gpu -> cpu
else:
    print(torch.ones([2, 4], dtype=torch.float64))

x = torch.ones(3)
print(x.requires_grad, x.shape)

# 1. from other types
print(torch.from_numpy(np.array([2, 3.3])))  # -> tensor([2.0000, 3.3000], dtype=torch.float64)
print(torch.tensor([2., 3.2]))  # from a list: float32 by default
print(torch.tensor([2., 3.2], dtype=torch.float64))  # or give the dtype

# 2. uninitialised tensors: torch.Tensor()/FloatTensor() take a shape (or a list of data)
print(torch.FloatTensor(2, 3, 4).shape, torch.Tensor(2, 3).dtype, torch.Tensor([1, 2]))

# 3. random initialisation
a = torch.rand(3, 3)  # 3x3, uniform in [0, 1)
print(a)
print(torch.rand_like(a))  # rand with a's shape
print(torch.randint(1, 10, [3, 3]))  # min, max, shape
print(torch.empty(7, 19).shape)  # a 7x19 matrix
print(torch.randn(3, 3))  # 3x3, each from N(0, 1)
print(torch.normal(mean=0.0, std=1.0, size=(3, 3)))
print(torch.normal(mean=torch.arange(1., 4.), std=torch.tensor([0.1, 0.01, 0.001])))
print(torch.full([2, 3], 0))  # 2x3, every element 0

# 2.3 common tensor methods
input = torch.arange(24)
print(torch.reshape(input, (1, 2, 3, 4)).shape)  # to four dimensions
