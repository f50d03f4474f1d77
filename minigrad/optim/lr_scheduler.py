"""Learning-rate schedules: change ``lr`` in every param group as training goes on.

Usage, as in PyTorch::

    scheduler = CosineAnnealingLR(optimizer, T_max=1000)
    for batch in data:
        ...
        optimizer.step()
        scheduler.step()          # once per step (or per epoch: your choice of unit)

Every schedule here is written in *closed form*: ``lr_at(epoch)`` computes the
learning rate for a given step count directly from the starting learning rate
(``base_lr``), instead of nudging the previous value.  Creating a scheduler
already applies ``lr_at(0)``.
"""
import math


class LRScheduler:
    """Base class.  Subclasses define ``lr_at(epoch, group)``: the lr of param group number
    ``group`` after ``epoch`` steps, computed from ``self.base_lrs[group]``."""

    def __init__(self, optimizer, last_epoch: int = -1):
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            # The first scheduler on an optimizer remembers the lr the user chose.
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def lr_at(self, epoch: int, group: int) -> float:
        raise NotImplementedError(f"{type(self).__name__} must define lr_at(epoch, group)")

    def get_lr(self) -> list:
        """The learning rate of every group at ``self.last_epoch``."""
        return [self.lr_at(self.last_epoch, group) for group in range(len(self.base_lrs))]

    def step(self):
        """Advance one step and write the new learning rates into the optimizer."""
        self.last_epoch += 1
        self._last_lr = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr

    def get_last_lr(self) -> list:
        """The learning rates the last ``step()`` set, one per param group."""
        return list(self._last_lr)

    def state_dict(self) -> dict:
        """Every attribute except the optimizer (and functions, which cannot be saved)."""
        return {key: value for key, value in self.__dict__.items()
                if key != "optimizer" and not callable(value) and key not in self._unsaved}

    def load_state_dict(self, state_dict: dict):
        self.__dict__.update(state_dict)

    _unsaved = ("lr_lambdas", "schedulers")


class LambdaLR(LRScheduler):
    """``lr = base_lr * lr_lambda(epoch)``; ``lr_lambda`` may be one function or one per group."""

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1):
        groups = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != groups:
                raise ValueError(f"got {len(lr_lambda)} lr_lambdas for {groups} param groups")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * groups
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch: int, group: int) -> float:
        return self.base_lrs[group] * self.lr_lambdas[group](epoch)


class StepLR(LRScheduler):
    """``lr = base_lr * gamma ** (epoch // step_size)``: divide by ``1/gamma`` every ``step_size`` steps."""

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        if step_size <= 0:
            raise ValueError(f"step_size must be a positive integer, got {step_size}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch: int, group: int) -> float:
        return self.base_lrs[group] * self.gamma ** (epoch // self.step_size)


class LinearLR(LRScheduler):
    """Scale ``base_lr`` by a factor that moves linearly from ``start_factor`` to ``end_factor``
    over ``total_iters`` steps, then stays at ``end_factor``::

        lr = base_lr * (start_factor + (end_factor - start_factor) * min(epoch, total_iters) / total_iters)

    With ``start_factor`` small and ``end_factor = 1`` this is a linear warm-up.
    """

    def __init__(self, optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5,
                 last_epoch: int = -1):
        if not 0 < start_factor <= 1 or not 0 <= end_factor <= 1:
            raise ValueError(f"start_factor must be in (0, 1] and end_factor in [0, 1], "
                             f"got {start_factor} and {end_factor}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch: int, group: int) -> float:
        progress = min(epoch, self.total_iters) / self.total_iters if self.total_iters > 0 else 1.0
        return self.base_lrs[group] * (self.start_factor + (self.end_factor - self.start_factor) * progress)


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from ``base_lr`` down to ``eta_min`` over ``T_max`` steps::

        lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2
    """

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        if T_max <= 0:
            raise ValueError(f"T_max must be a positive integer, got {T_max}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch: int, group: int) -> float:
        return self.eta_min + (self.base_lrs[group] - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2


class SequentialLR(LRScheduler):
    """Run ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]`` (restarted at its
    epoch 0) until ``milestones[1]``, and so on.

    Example, 100 warm-up steps then cosine decay over the next 900::

        SequentialLR(opt, [LinearLR(opt, 0.01, 1.0, 100), CosineAnnealingLR(opt, 900)], milestones=[100])
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch: int = -1):
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"{len(schedulers)} schedulers need {len(schedulers) - 1} milestones, "
                             f"got {len(milestones)}")
        if list(milestones) != sorted(milestones):
            raise ValueError(f"milestones must increase, got {milestones}")
        for scheduler in schedulers:
            if scheduler.optimizer is not optimizer:
                raise ValueError("every scheduler in SequentialLR must drive the same optimizer")
        self.schedulers = list(schedulers)
        self.milestones = list(milestones)
        super().__init__(optimizer, last_epoch)

    def _active(self, epoch: int):
        """The scheduler in charge at ``epoch`` and the epoch count it sees (from its own start)."""
        start = 0
        for scheduler, milestone in zip(self.schedulers, self.milestones):
            if epoch < milestone:
                return scheduler, epoch - start
            start = milestone
        return self.schedulers[-1], epoch - start

    def lr_at(self, epoch: int, group: int) -> float:
        scheduler, local_epoch = self._active(epoch)
        return scheduler.lr_at(local_epoch, group)


def warmup_cosine(optimizer, warmup_steps: int, total_steps: int, start_factor: float = 0.01,
                  eta_min: float = 0.0) -> SequentialLR:
    """Linear warm-up from ``start_factor * lr`` to ``lr`` over ``warmup_steps``, then cosine decay
    to ``eta_min`` at ``total_steps``: the usual schedule for training Transformers."""
    if not 0 < warmup_steps < total_steps:
        raise ValueError(f"need 0 < warmup_steps < total_steps, got {warmup_steps} and {total_steps}")
    warmup = LinearLR(optimizer, start_factor=start_factor, end_factor=1.0, total_iters=warmup_steps)
    decay = CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps, eta_min=eta_min)
    return SequentialLR(optimizer, [warmup, decay], milestones=[warmup_steps])
