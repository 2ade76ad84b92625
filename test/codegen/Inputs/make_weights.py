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

e2e_lib.write_safetensors(sys.argv[2], reference_models.random_state_dict(sys.argv[1]))
