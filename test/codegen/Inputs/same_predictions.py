"""Compares two outputs of examples/infer.c-style programs ("image i: class c
(logit v)" per line): the same classes, logits within 1e-4 (the printed
precision; the two sides may fold batch norms with differently rounded
arithmetic). Exit 1 with the first difference."""
import re
import sys


def predictions(path):
    pattern = re.compile(r"image (\d+): class (\d+) \(logit (-?[0-9.]+)\)")
    with open(path) as f:
        return [pattern.match(line).groups() for line in f if line.strip()]


a, b = predictions(sys.argv[1]), predictions(sys.argv[2])
if len(a) != len(b):
    sys.exit(f"{len(a)} predictions against {len(b)}")
for (image, klass, logit), (image2, klass2, logit2) in zip(a, b):
    if image != image2 or klass != klass2 or abs(float(logit) - float(logit2)) > 1.5e-4:
        sys.exit(f"image {image}: class {klass} (logit {logit}) against class {klass2} (logit {logit2})")
print(f"{len(a)} predictions agree")
