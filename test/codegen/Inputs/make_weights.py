#!/usr/bin/python3
"""Writes random weights for a reference model as .safetensors: make_weights.py NAME OUT"""
import os
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "models"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "e2e"))
import e2e_lib  # noqa: E402
import reference_models  # noqa: E402

import torch  # noqa: E402

torch.manual_seed(0)
state = {}
for name, value in reference_models.build_reference(sys.argv[1]).state_dict().items():
    if name.endswith("num_batches_tracked"):
        state[name] = value
    elif name.endswith("running_var"):
        state[name] = torch.rand(value.shape) + 0.5
    else:
        state[name] = torch.randn(value.shape) * 0.3
e2e_lib.write_safetensors(sys.argv[2], state)
