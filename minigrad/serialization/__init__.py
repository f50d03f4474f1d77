"""``mg.save`` / ``mg.load``: state dicts (and other nested data) in safetensors files, never pickle.

Why not pickle (what ``torch.save`` uses)?  Loading a pickle runs whatever code the file asks for,
so a downloaded checkpoint could take over your machine.  minigrad writes **safetensors**, the
field's standard weight format (Hugging Face's ``safetensors`` library): a JSON header and raw
tensor bytes, nothing executable.  Other tools read minigrad's files directly::

    mg.save(model.state_dict(), "model.safetensors")
    state = safetensors.torch.load_file("model.safetensors")      # in PyTorch: the same names and values
    torch_model.load_state_dict(state)

What can be saved: Tensors (Parameters come back as Parameters), NumPy arrays of bool, integer,
float or complex64 dtype, dicts (keys: str, int, float, bool or None), lists, tuples, and plain
``int``/``float``/``str``/``bool``/``None`` -- exactly what ``module.state_dict()`` and
``optimizer.state_dict()`` contain.  Each tensor is stored under the dotted path of keys that
leads to it (``"state.0.exp_avg"``); the nesting and every non-tensor value go into the
file's metadata (``tree.py``), with a SHA-256 per tensor.

``load`` reads both minigrad formats, telling them apart by their first bytes (not by the file
name): safetensors (``safetensors_file.py``), and the ``.mg``/``.mgz`` zips minigrad wrote
before (``legacy.py``), so old checkpoints and run folders still load.  A plain safetensors
file from another tool loads as a ``{name: Tensor}`` dict.  Whatever the file holds, loading it
never runs code and costs time and memory bounded by the file's size; a truncated, bit-flipped,
crafted or foreign file is a ``ValueError`` that names it and what is wrong.
"""
import os

from minigrad.serialization import legacy, safetensors_file
from minigrad.serialization.tree import encode

__all__ = ["save", "load"]


def save(obj, path) -> None:
    """Save ``obj`` (a state dict, an optimizer state dict, or nested dicts/lists of Tensors,
    arrays and plain values) to ``path`` as safetensors.  The file is written atomically: a
    crash mid-save never leaves a half-written file under ``path``."""
    path = os.fspath(path)
    tree, arrays = encode(obj, allowed_dtype=safetensors_file.refuse_dtype)
    temporary = path + ".tmp"
    try:
        safetensors_file.write(temporary, tree, arrays)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def load(path, map_location="cpu"):
    """Load what :func:`save` wrote (or an old ``.mg`` file, or any safetensors file).  Tensors are
    placed on ``map_location`` (``"cpu"`` by default; ``None`` puts each back on the device it was
    saved from).  Never unpickles anything; raises ``ValueError`` naming ``path`` if the file is
    not a minigrad or safetensors file, is truncated or corrupted, or its contents were altered."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such file: {path!r}")
    if os.path.isdir(path):
        raise ValueError(f"{path!r} is a folder, not a minigrad file")
    if map_location is not None:
        from minigrad.backends import check_device
        map_location = check_device(map_location)
    with open(path, "rb") as file:
        prefix = file.read(9)
    if legacy.looks_like_legacy(prefix):
        return legacy.read(path, map_location)
    if safetensors_file.looks_like_safetensors(prefix):
        return safetensors_file.read(path, map_location)
    raise ValueError(f"{path!r} is not a minigrad file: it is neither safetensors (what mg.save writes) nor an "
                     "old minigrad .mg zip (it may be truncated, or written by something else, e.g. a pickle)")
