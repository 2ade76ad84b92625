#!/usr/bin/python3
"""Checks `cnnopt --print-stats --json` of a model against its PyTorch reference.

The reference module runs one sample of its input size; the JSON's
`total_params` must equal the module's trainable parameter count, its last
layer's shape the output shape (batch -1 for the run-time batch), and the
MAC total must equal the MACs of every Conv2d/ConvTranspose2d/Linear layer
measured with forward hooks.

  check_stats.py --cnnopt cnnopt --reference resnet18
Exit status 0 on a match, 1 otherwise.
"""

import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_models  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def torch_macs(model, input_shape):
    import torch
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        if isinstance(module, torch.nn.Conv2d):
            w = module.weight
            total += output[0].numel() * w.shape[1] * w.shape[2] * w.shape[3]
        elif isinstance(module, torch.nn.ConvTranspose2d):
            w = module.weight
            total += inputs[0][0].numel() * w.shape[1] * w.shape[2] * w.shape[3]
        elif isinstance(module, torch.nn.Linear):
            total += output[0].numel() * module.in_features

    for m in model.modules():
        m.register_forward_hook(hook)
    with torch.no_grad():
        out = model.eval()(torch.randn(1, *input_shape))
    return total, list(out.shape)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cnnopt", required=True)
    ap.add_argument("--reference", required=True)
    args = ap.parse_args()
    file_name, builder, input_shape = reference_models.REFERENCES[args.reference]
    model = reference_models.build_reference(args.reference)
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    macs, out_shape = torch_macs(model, input_shape)

    run = subprocess.run([args.cnnopt, os.path.join(REPO_ROOT, "models", file_name),
                          "--print-stats", "--json"], capture_output=True, text=True)
    if run.returncode != 0:
        print(run.stderr)
        return 1
    stats = json.loads(run.stdout)
    problems = []
    if stats["total_params"] != params:
        problems.append(f"total_params {stats['total_params']} != torch {params}")
    if stats["total_macs"] != macs:
        problems.append(f"total_macs {stats['total_macs']} != torch {macs}")
    last = stats["layers"][-1]["shape"]
    if last[1:] != out_shape[1:]:
        problems.append(f"output shape {last} != torch {out_shape}")
    for p in problems:
        print(f"{args.reference}: {p}")
    if not problems:
        print(f"{args.reference}: {params} parameters, {macs} MACs, output {out_shape} match")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
