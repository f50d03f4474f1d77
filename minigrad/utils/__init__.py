"""``minigrad.utils``: helpers at PyTorch's paths (``minigrad.utils.data`` is ``torch.utils.data``)."""
from minigrad.utils import data

__all__ = ["data"]
