"""How big a model is: numbers stored, numbers that are not zero, and bytes of its state dict."""


def state_bytes(state_dict) -> int:
    """The bytes of every tensor in ``state_dict`` (int8 tensors count one byte per number)."""
    return sum(tensor.numel() * tensor.element_size() for tensor in state_dict.values())


def parameter_count(model) -> int:
    """Numbers in the state dict (parameters and buffers: int8 weights count too)."""
    return sum(tensor.numel() for tensor in model.state_dict().values())


def nonzero_count(model) -> int:
    return sum(int(tensor.count_nonzero().item()) for tensor in model.state_dict().values())
