#!/usr/bin/python3
"""One small torch module per op family, exported by torch.onnx.export and
run through `cnnopt-run` against PyTorch (max|err| <= 1e-4 * max(1, max|ref|)).

Each case is exported at --opsets (13 by default; torch 1.13 writes 11-17).
Random weights and BatchNorm statistics; inputs at batch 2 with a dynamic
batch axis. --round-trip also prints each model with --emit=cnn and runs the
printed file with the weights written beside it: the same outputs. --only
NAME... runs some cases.
"""
import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.dont_write_bytecode = True
import e2e_lib  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


class Lambda(nn.Module):
    def __init__(self, fn, *children):
        super().__init__()
        self.fn = fn
        self.inner = nn.ModuleList(children)

    def forward(self, x):
        return self.fn(x, *self.inner)


def se(x, fc1, fc2):  # squeeze-and-excitation: broadcasting mul
    s = torch.sigmoid(fc2(F.relu(fc1(x.mean((2, 3))))))
    return x * s.view(x.size(0), -1, 1, 1)


CASES = {
    # name: (module, input shape without the batch)
    "conv": (nn.Sequential(nn.Conv2d(4, 8, 3, stride=2, padding=1),
                           nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=4, bias=False),
                           nn.Conv2d(8, 6, 1)), (4, 12, 12)),
    "conv_asymmetric_pad": (nn.Sequential(nn.ZeroPad2d((0, 1, 1, 0)), nn.Conv2d(3, 5, 2)),
                            (3, 9, 9)),
    "conv_transpose": (nn.Sequential(nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1,
                                                        output_padding=1),
                                     nn.ConvTranspose2d(6, 4, 2, stride=2, groups=2)), (4, 5, 5)),
    "batch_norm": (nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU()), (3, 10, 10)),
    "batch_norm_alone": (nn.BatchNorm2d(3), (3, 6, 6)),
    "batch_norm_1d": (nn.Sequential(nn.Flatten(), nn.Linear(48, 16), nn.BatchNorm1d(16)),
                      (3, 4, 4)),
    "instance_norm": (nn.InstanceNorm2d(4, affine=True), (4, 6, 6)),
    "layer_norm": (nn.LayerNorm([4, 6, 6]), (4, 6, 6)),
    "group_norm": (nn.GroupNorm(2, 6), (6, 5, 5)),
    "gelu": (nn.GELU(), (3, 4, 4)),
    "gelu_tanh": (nn.GELU(approximate="tanh"), (3, 4, 4)),
    "activations": (nn.Sequential(nn.LeakyReLU(0.2), nn.ReLU6(), nn.Tanh(), nn.Sigmoid(),
                                  nn.Hardsigmoid(), nn.Hardswish(), nn.SiLU(), nn.ReLU()),
                    (3, 4, 4)),
    "hardtanh": (nn.Hardtanh(-0.5, 0.75), (3, 4, 4)),
    "elu_softplus_softsign": (nn.Sequential(nn.ELU(0.7), nn.Softplus(), nn.Softsign()),
                              (3, 4, 4)),
    "prelu": (nn.Sequential(nn.PReLU(4), nn.PReLU()), (4, 5, 5)),
    "glu": (nn.GLU(dim=1), (6, 3, 3)),
    "pads": (Lambda(lambda x: F.pad(F.pad(F.pad(x, (1, 2, 0, 1)), (2, 1, 1, 1), mode="reflect"),
                                    (1, 0, 2, 1), mode="replicate")), (3, 5, 6)),
    "pixel_shuffle": (nn.PixelShuffle(2), (8, 3, 3)),
    "pow": (Lambda(lambda x: torch.pow(x, 2.0) + torch.pow(x.abs() + 1, 0.5)), (3, 4, 4)),
    "arith": (Lambda(lambda x: (x * 0.5 + 1.0) / (x.abs() + 2.0) - x), (3, 4, 4)),
    "se": (Lambda(se, nn.Linear(8, 2), nn.Linear(2, 8)), (8, 5, 5)),
    "max_pool": (nn.Sequential(nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
                               nn.MaxPool2d(2)), (3, 11, 11)),
    "avg_pool": (nn.Sequential(nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True,
                                            count_include_pad=False),
                               nn.AvgPool2d(2, padding=1)), (3, 11, 11)),
    "global_pools": (Lambda(lambda x: torch.cat([F.adaptive_avg_pool2d(x, 1),
                                                 F.adaptive_max_pool2d(x, 1)], 1)), (3, 5, 5)),
    "flatten_view_linear": (Lambda(lambda x, fc: fc(x.view(x.size(0), -1)),
                                   nn.Linear(48, 5)), (3, 4, 4)),
    "linear_3d": (nn.Linear(6, 4), (5, 6)),
    "concat": (Lambda(lambda x, conv: torch.cat([x, conv(x), x * 2], dim=1),
                      nn.Conv2d(3, 2, 1)), (3, 4, 4)),
    "upsample": (nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                               nn.Upsample(scale_factor=2, mode="bilinear",
                                           align_corners=False)), (3, 3, 4)),
    "softmax": (Lambda(lambda x: torch.softmax(x, 1) + torch.log_softmax(x, -1)), (3, 4, 4)),
    "dropout_mean": (Lambda(lambda x, d: d(x).mean((2, 3), keepdim=True) + x,
                            nn.Dropout(0.5)), (3, 4, 4)),
}


def randomise(module, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(torch.rand(p.shape, generator=g) * 1.2 - 0.6 if "weight" in name and
                    p.dim() > 1 else torch.rand(p.shape, generator=g) + 0.25)
        for m in module.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=g) - 0.5)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)


def check(cnnopt_run, name, opset, work, round_trip):
    module, shape = CASES[name]
    randomise(module, 1)
    module.eval()
    path = os.path.join(work, f"{name}_{opset}.onnx")
    x = e2e_lib.random_input((2,) + shape, seed=3)
    with torch.no_grad():
        torch.onnx.export(module, torch.from_numpy(x), path, opset_version=opset,
                          input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "N"}})
        ref = module(torch.from_numpy(x)).numpy()
    try:
        got, secs = e2e_lib.run_cnnopt(cnnopt_run, path, {"x": x}, ["y"], work, tag=name)
        good = e2e_lib.compare(f"{name} opset {opset} ({secs:.1f}s)", got["y"], ref)
        if round_trip:  # --emit=cnn, compiled again with the weights beside it
            printed = os.path.join(work, f"{name}_{opset}.cnn")
            cnnopt = os.path.join(os.path.dirname(cnnopt_run), "cnnopt")
            proc = subprocess.run([cnnopt, path, "--emit=cnn", "-o", printed],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                print(f"FAIL {name} opset {opset}: --emit=cnn: {proc.stderr.strip()}")
                return False
            weights = printed[:-4] + ".safetensors"
            again, _ = e2e_lib.run_cnnopt(cnnopt_run, printed, {"x": x}, ["y"], work,
                                          weights=weights if os.path.exists(weights) else None,
                                          tag=name + "_cnn")
            good &= e2e_lib.compare(f"{name} opset {opset}: --emit=cnn round trip",
                                    again["y"], got["y"])
        return good
    except e2e_lib.RunError as e:
        print(f"FAIL {name} opset {opset}: {e}")
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cnnopt-run", required=True)
    ap.add_argument("--only", nargs="+", choices=sorted(CASES))
    ap.add_argument("--opsets", type=int, nargs="+", default=[13])
    ap.add_argument("--round-trip", action="store_true",
                    help="also print each model with --emit=cnn and run that")
    args = ap.parse_args()
    torch.set_num_threads(1)
    good = True
    with tempfile.TemporaryDirectory(prefix="cnnopt-onnx-ops-") as work:
        for name in args.only or CASES:
            for opset in args.opsets:
                good &= check(args.cnnopt_run, name, opset, work, args.round_trip)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
