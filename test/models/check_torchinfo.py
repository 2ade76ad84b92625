#!/usr/bin/python3
"""Checks the torchinfo summary of `cnnopt --print-stats --json` against its
PyTorch reference, computed here by torchinfo 1.8's rules (torchinfo itself
is not installed): forward hooks on every leaf module of the reference
(a module without children), one forward pass of a batch-1 input.

  - total / trainable params: model.parameters() (each tensor once)
  - mult-adds (LayerInfo.calculate_macs): per parameter named weight or bias,
    numel x batch x output pixels for a module whose class name holds
    "Conv", numel x batch otherwise
  - forward/backward bytes (ModelStatistics): 2 x the output bytes of every
    leaf module that holds parameters
  - params bytes: the leaf modules' parameters' bytes
  - input bytes: the input tensor's bytes; torchinfo's sys.getsizeof of its
    storage adds Python's object overhead, which must not change the MB it
    prints (2 decimals)

  check_torchinfo.py --cnnopt cnnopt --reference resnet18
Exit status 0 on a match, 1 otherwise.
"""

import argparse
import json
import math
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_models  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def torchinfo_summary(model, x):
    import torch
    totals = {"total_mult_adds": 0, "forward_backward_bytes": 0, "params_bytes": 0}
    leaves = [m for m in model.modules() if not list(m.children())]

    def hook(module, inputs, output):
        size = list(output.size())
        params = list(module.named_parameters())
        for name, p in params:
            if name in ("weight", "bias"):
                if "Conv" in type(module).__name__:
                    totals["total_mult_adds"] += p.numel() * math.prod(size[:1] + size[2:])
                else:
                    totals["total_mult_adds"] += size[0] * p.numel()
            elif "weight" in name or "bias" in name:
                totals["total_mult_adds"] += math.prod(size[:2]) * p.numel()
        if params:
            totals["forward_backward_bytes"] += 2 * output.element_size() * output.numel()

    for m in leaves:
        totals["params_bytes"] += sum(p.element_size() * p.numel() for p in m.parameters())
        m.register_forward_hook(hook)
    with torch.no_grad():
        model.eval()(x)
    totals["total_params"] = sum(p.numel() for p in model.parameters())
    totals["trainable_params"] = sum(p.numel() for p in model.parameters() if p.requires_grad)
    totals["non_trainable_params"] = totals["total_params"] - totals["trainable_params"]
    totals["input_bytes"] = x.element_size() * x.numel()
    totals["estimated_total_bytes"] = (totals["input_bytes"] + totals["forward_backward_bytes"]
                                       + totals["params_bytes"])
    totals["batch"] = x.shape[0]
    return totals, sys.getsizeof(x.storage())


def main():
    import torch
    ap = argparse.ArgumentParser()
    ap.add_argument("--cnnopt", required=True)
    ap.add_argument("--reference", required=True)
    args = ap.parse_args()
    file_name, _, input_shape = reference_models.REFERENCES[args.reference]
    model = reference_models.build_reference(args.reference)
    expected, storage_bytes = torchinfo_summary(model, torch.randn(1, *input_shape))

    run = subprocess.run([args.cnnopt, os.path.join(REPO_ROOT, "models", file_name),
                          "--print-stats", "--json"], capture_output=True, text=True)
    if run.returncode != 0:
        print(run.stderr)
        return 1
    summary = json.loads(run.stdout)["summary"]
    problems = [f"{key} {summary.get(key)} != torchinfo's {value}"
                for key, value in expected.items() if summary.get(key) != value]
    if f"{summary['input_bytes'] / 1e6:0.2f}" != f"{storage_bytes / 1e6:0.2f}":
        problems.append(f"input size {summary['input_bytes']} B prints differently from "
                        f"torchinfo's {storage_bytes} B")
    for p in problems:
        print(f"{args.reference}: {p}")
    if not problems:
        print(f"{args.reference}: torchinfo summary matches: " +
              ", ".join(f"{k} {v}" for k, v in sorted(expected.items())))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
