#!/usr/bin/python3
"""check_aot.py NAME WEIGHTS IN.f32 OUT.f32 BATCH: compares the output a C
program computed from cnnopt's object with PyTorch's reference on the same
weights and input (written here: IN.f32, WEIGHTS)."""
import os
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "models"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "e2e"))
import e2e_lib  # noqa: E402
import reference_models  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

mode, name, weights, inputs, batch = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[6])
shape = (batch,) + tuple(reference_models.REFERENCES[name][2])
x = np.random.RandomState(7).randn(*shape).astype(np.float32)
if mode == "prepare":
    e2e_lib.write_safetensors(weights, reference_models.random_state_dict(name))
    x.tofile(inputs)
    sys.exit(0)
model = reference_models.build_reference(name)
model.load_state_dict(reference_models.random_state_dict(name))
with torch.no_grad():
    ref = model(torch.from_numpy(x)).numpy()
ours = np.fromfile(sys.argv[5], dtype=np.float32).reshape(ref.shape)
sys.exit(0 if e2e_lib.compare(f"{name} batch {batch} (C program, AOT object)", ours, ref) else 1)
