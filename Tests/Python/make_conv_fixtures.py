"""Reference values for Tests/ReverieCoreTests/ConvolutionTests.swift.

Inputs are closed-form so the Swift test rebuilds them without a data file:
element i (row-major) of x is sin(0.37·i) and of the weight cos(0.11·i) − 0.3,
both evaluated in float64 and then rounded to float32. The script prints the
outputs of PyTorch's CPU conv2d and conv_transpose2d in float32, ready to paste.

    pip install torch && python Tests/Python/make_conv_fixtures.py
"""
import numpy as np
import torch
import torch.nn.functional as F


def closed_form(shape, scale, shift, fn):
    i = np.arange(int(np.prod(shape)), dtype=np.float64)
    return torch.from_numpy((fn(scale * i) + shift).astype(np.float32).reshape(shape))


def show(name, y):
    values = ", ".join(f"{v:.9g}" for v in y.flatten().tolist())
    print(f"// {name}: shape {list(y.shape)}, torch {torch.__version__}")
    print(f"[{values}]")


x = closed_form((1, 2, 5, 4), 0.37, 0.0, np.sin)
w = closed_form((3, 2, 3, 2), 0.11, -0.3, np.cos)
show("conv2d x(1,2,5,4) w(3,2,3,2) stride 2 padding 1", F.conv2d(x, w, stride=2, padding=1))

x = closed_form((1, 2, 3, 2), 0.37, 0.0, np.sin)
w = closed_form((2, 3, 3, 2), 0.11, -0.3, np.cos)
show("conv_transpose2d x(1,2,3,2) w(2,3,3,2) stride 2 padding 1 output_padding 1",
     F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1))
