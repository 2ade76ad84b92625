#!/usr/bin/python3
"""Converts a PyTorch checkpoint (torch.save of a state_dict, of a model, or
of a dict holding one under "state_dict" / "model") into a .safetensors file
for cnnopt's --weights. Runs with Debian's python3-torch alone: the
safetensors module is not needed.

  /usr/bin/python3 tools/pt2safetensors.py model.pt model.safetensors
  /usr/bin/python3 tools/pt2safetensors.py ckpt.pth w.safetensors --strip-prefix module.

Floating-point tensors are written as F32, integer ones (num_batches_tracked)
as I64, each under its state_dict name; other entries (optimizer state,
epoch counters) are left out and listed. torch.load runs the code a pickle
holds: convert only checkpoints you trust.
"""

import argparse
import json
import os
import struct
import sys

import torch


def find_state_dict(obj):
    """The state_dict inside what torch.load returned."""
    if isinstance(obj, torch.nn.Module):
        return obj.state_dict()
    if isinstance(obj, dict):
        for key in ("state_dict", "model_state_dict", "model"):
            inner = obj.get(key)
            if isinstance(inner, torch.nn.Module):
                return inner.state_dict()
            if isinstance(inner, dict) and any(torch.is_tensor(v) for v in inner.values()):
                return inner
        return obj
    raise SystemExit(f"error: the checkpoint holds a {type(obj).__name__}, not a state_dict")


def write_safetensors(path, tensors):
    """Writes `tensors` ({name: tensor}) in order, through a temporary file."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        if t.is_floating_point():
            t, dtype = t.to(torch.float32), "F32"
        else:
            t, dtype = t.to(torch.int64), "I64"
        raw = t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    temporary = path + ".tmp"
    with open(temporary, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)
    os.replace(temporary, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", help="a file written by torch.save")
    ap.add_argument("output", help="the .safetensors file to write")
    ap.add_argument("--strip-prefix", default="",
                    help="remove this prefix from every name (e.g. 'module.' of DataParallel)")
    args = ap.parse_args()
    try:
        obj = torch.load(args.checkpoint, map_location="cpu")
    except Exception as e:  # torch.load raises many kinds
        print(f"error: {args.checkpoint}: cannot load it with torch.load: {e}", file=sys.stderr)
        return 1
    state = find_state_dict(obj)
    tensors, skipped = {}, []
    for name, value in state.items():
        if not torch.is_tensor(value):
            skipped.append(name)
            continue
        if args.strip_prefix and name.startswith(args.strip_prefix):
            name = name[len(args.strip_prefix):]
        tensors[name] = value
    if not tensors:
        print(f"error: {args.checkpoint}: no tensors found", file=sys.stderr)
        return 1
    write_safetensors(args.output, tensors)
    print(f"wrote {len(tensors)} tensors to {args.output}"
          + (f" (left out: {', '.join(skipped)})" if skipped else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
