"""What a compressed model looks like before its weights are loaded: the steps recorded with it.

A compressed model's state dict only fits a model of the same *structure*: int8 layers where they
were quantized, two thin layers where one was factorized.  The steps are recorded (in order, e.g.
in a run folder's config.json) as::

    [{"method": "low-rank", "ranks": {"encoder.layers.0.linear1": 32, ...}},   # factorize
     {"method": "prune", "amount": 0.5, ...},                                  # zeros only: no new structure
     {"method": "int8", ...}]                                                  # quantize_dynamic

and ``rebuild(model, steps)`` applies them to a freshly built float model, whose weights are then
overwritten by ``load_state_dict``.
"""
from minigrad.compression.low_rank import empty_factorized
from minigrad.quantization import quantize_dynamic

METHODS = ("low-rank", "prune", "int8")


def rebuild(model, steps):
    """``model`` (changed in place, and returned) with the structure the compression ``steps`` give."""
    for step in steps:
        method = step.get("method") if isinstance(step, dict) else None
        if method == "low-rank":
            empty_factorized(model, step["ranks"])
        elif method == "int8":
            quantize_dynamic(model, inplace=True)
        elif method != "prune":
            raise ValueError(f"unknown compression step {step!r}; known methods: {', '.join(METHODS)}")
    return model


def is_quantized(steps) -> bool:
    return any(isinstance(step, dict) and step.get("method") == "int8" for step in steps)
