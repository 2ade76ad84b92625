"""Writes tiny.onnx into argv[1]: examples/cmake's TinyNet in torch, with the
weights examples/cmake/main.c sets (conv 0.1, fc rows 0.1, 0.2, 0.3)."""
import os
import sys

import torch
import torch.nn as nn


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.fc = nn.Linear(2, 3)

    def forward(self, x):
        c = torch.relu(self.conv(x))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(c, 1), 1))


model = TinyNet().eval()
with torch.no_grad():
    model.conv.weight.fill_(0.1)
    model.conv.bias.fill_(0.1)
    model.fc.weight.copy_(torch.tensor([[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]]))
    model.fc.bias.zero_()
    torch.onnx.export(model, torch.zeros(2, 1, 4, 4), os.path.join(sys.argv[1], "tiny.onnx"),
                      input_names=["x"], output_names=["y"], opset_version=13,
                      dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
