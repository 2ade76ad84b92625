#!/usr/bin/python3
"""Structural check of a `cnnopt --emit=dot` file without Graphviz: one
digraph, braces balanced, every statement a node declaration or an edge,
every edge between declared nodes and labelled with a shape.

  check_dot.py graph.dot      exit status 0 when well formed
"""
import re
import sys

NODE = re.compile(r'^  (\w+) \[label="(?:[^"\\]|\\.)*"(?:, [\w]+=(?:"(?:[^"\\]|\\.)*"|[\w#.]+))*\];$')
EDGE = re.compile(r'^  (\w+) -> (\w+) \[label="\[(?:N|\d+)?(?:,(?:N|\d+))*\](?: residual)?"(?:, style=dashed)?\];$')


def main(path):
    lines = open(path).read().splitlines()
    problems = []
    if not re.match(r'^digraph "(?:[^"\\]|\\.)*" \{$', lines[0]) or lines[-1] != "}":
        problems.append("not one digraph { ... }")
    declared = set()
    edges = 0
    for number, line in enumerate(lines[1:-1], 2):
        if line.startswith("  rankdir=") or line.startswith("  node [") or line.startswith("  edge ["):
            continue
        node, edge = NODE.match(line), EDGE.match(line)
        if node:
            if node.group(1) in declared:
                problems.append(f"line {number}: node {node.group(1)} declared twice")
            declared.add(node.group(1))
        elif edge:
            edges += 1
            for end in edge.groups():
                if end not in declared:
                    problems.append(f"line {number}: edge names undeclared node {end}")
        else:
            problems.append(f"line {number}: not a node or edge: {line}")
    if not edges:
        problems.append("no edges")
    for p in problems:
        print(f"{path}: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
