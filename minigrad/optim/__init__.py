"""``minigrad.optim``: optimizers (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta) and learning-rate schedules."""
from minigrad.optim import lr_scheduler
from minigrad.optim.adam import Adam, AdamW
from minigrad.optim.optimizer import Optimizer
from minigrad.optim.sgd import SGD
from minigrad.optim.rmsprop import RMSprop
from minigrad.optim.adagrad import Adagrad
from minigrad.optim.adadelta import Adadelta

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "lr_scheduler"]
__all__ += ["RMSprop", "Adagrad", "Adadelta"]
