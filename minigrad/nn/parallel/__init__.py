"""``minigrad.nn.parallel``: ``DistributedDataParallel``, as ``torch.nn.parallel``."""
from minigrad.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
