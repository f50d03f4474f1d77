"""Automatic differentiation: the graph (``Function``), the backward pass, and ``gradcheck``."""
from minigrad.autograd.function import Function, Op, Context
from minigrad.autograd.grad_mode import no_grad, enable_grad, is_grad_enabled, inference_mode, set_grad_enabled
from minigrad.autograd.gradcheck import gradcheck
from minigrad.autograd.engine import backward, grad
from minigrad.autograd.capture import capture_step

__all__ = ["Function", "Op", "Context", "no_grad", "enable_grad", "is_grad_enabled", "inference_mode",
           "set_grad_enabled", "gradcheck", "backward", "grad", "capture_step"]
