"""Seed tutorial 2 ("PyTorch basics"), conversions between list, NumPy, Tensor, Variable and CUDA, and type
casts in Python, NumPy and torch.

The CUDA lines run only where CUDA is available. Fixed: ``.item()`` is called on a one-element
tensor (the tutorial calls it on a three-element one; its comment says it is for 0-dim ones).
"""

import numpy as np

import lanterna as torch
from lanterna.autograd import Variable

# list, numpy -> Tensor, Variable, cuda
s_list = [1, 2, 3]
s_numpy = np.array(s_list)  # list ---- numpy
s_tensor = torch.Tensor(s_list)  # list ---- tensor
print(s_tensor)
s_tensor = torch.from_numpy(s_numpy)  # numpy ---- tensor
print(s_tensor)
s_variable = Variable(s_tensor)  # tensor ---- variable
print(s_variable, type(s_variable) is type(s_tensor))
if torch.cuda.is_available():
    s_cuda = s_tensor.cuda()  # tensor ---- cuda
    s_cuda = s_variable.cuda()  # variable ---- cuda
else:
    s_cuda = s_variable

# Tensor, Variable, cuda -> list, numpy
s_list = s_cuda.cpu().data.numpy().tolist()  # cuda - variable - tensor - numpy - list
print(s_list)
s = s_tensor[0].item()  # for a 0-dim (one element) tensor: its Python number; used to sum up losses
print(s, type(s))

# Python
a = 1
b = str(a)
print(a, type(a))  # 1 <class 'int'>
print(b, type(b))  # 1 <class 'str'>

# Numpy
a = np.array([1, 2, 3], dtype=np.int32)
b = a.astype(np.int16)
c = a.astype(float)  # same as np.float64
print(a, a.dtype)  # [1 2 3] int32
print(b, b.dtype)  # [1 2 3] int16
print(c, c.dtype)  # [1. 2. 3.] float64
print(type(a))  # <class 'numpy.ndarray'>

# Torch
a = torch.Tensor([0, 1, 0])
b = a.bool()
c = a.type_as(torch.BoolTensor())
d = a.type(torch.BoolTensor)
print(a, a.type())  # tensor([0., 1., 0.]) torch.FloatTensor
print(b, b.type())  # tensor([False, True, False]) torch.BoolTensor
print(c, c.type())  # tensor([False, True, False]) torch.BoolTensor
print(d, d.type())  # tensor([False, True, False]) torch.BoolTensor
print(type(a))  # <class 'torch.Tensor'>
