"""Run one program twice — on minigrad as written, and on PyTorch with only its imports changed.

A program in ``programs/`` is ordinary PyTorch-style code that imports ``minigrad as torch`` (and
``minigrad.nn as nn``, ...).  ``load(name, "torch")`` reads its source, rewrites the import lines
alone (``minigrad`` -> ``torch``), and executes it as a module: the rest of the text is the same.
"""
import re
import sys
import types
from pathlib import Path

import numpy as np

PROGRAMS = Path(__file__).with_name("programs")
IMPORT_LINE = re.compile(r"^(import|from)\s+minigrad\b")


def torch_source(source: str) -> str:
    """The same program with every ``import minigrad...`` / ``from minigrad...`` line pointed at torch."""
    lines = []
    for line in source.splitlines():
        lines.append(line.replace("minigrad", "torch") if IMPORT_LINE.match(line) else line)
    return "\n".join(lines) + "\n"


def load(name: str, library: str) -> types.ModuleType:
    path = PROGRAMS / f"{name}.py"
    source = path.read_text()
    if library == "torch":
        source = torch_source(source)
    module = types.ModuleType(f"compat_{name}_{library}")
    module.__file__ = str(path)
    sys.modules[module.__name__] = module  # classes defined inside need a home module
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module


def as_numpy(value) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach()
    if hasattr(value, "cpu") and not hasattr(value, "_array"):
        value = value.cpu()
    return np.asarray(value.numpy())


def copy_state(torch_model, minigrad_model):
    """Give the minigrad model the PyTorch model's weights, key by key (the keys must agree)."""
    state = {key: as_numpy(value) for key, value in torch_model.state_dict().items()}
    minigrad_model.load_state_dict(state)


def copy_parameters(torch_params: dict, mg) -> dict:
    return {name: mg.tensor(as_numpy(p), requires_grad=p.requires_grad) for name, p in torch_params.items()}
