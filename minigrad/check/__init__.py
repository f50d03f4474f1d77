"""``minigrad.check``: the answer checkers for the exercises at the end of each lesson.

Every lesson notebook ``lessons/NN_*.ipynb`` has a module ``minigrad.check.lessonNN`` with one
function per exercise.  You write your answer in the notebook, then hand it to the checker::

    from minigrad.check import lesson05
    lesson05.exercise1(my_backward)      # prints what it verified, or raises ExerciseFailed

A checker runs your code on inputs it makes itself (seeded, so a failure repeats), compares it
with a reference (NumPy, ``mg.autograd.gradcheck``, or minigrad's own op), and on a mismatch
raises ``ExerciseFailed`` naming the input, what you returned, what was expected, and a hint.

The lesson modules are *not* imported here: ``import minigrad.check`` stays cheap, and
``check.lesson05`` (or ``from minigrad.check import lesson05``) loads only the one you ask for.
"""
import importlib


class ExerciseFailed(AssertionError):
    """An exercise answer is wrong; the message says where and how to fix it."""


def passed(name, what):
    """Print the success line every checker ends with, and return True."""
    print(f"{name}: correct. {what}")
    return True


def __getattr__(name):
    # ``check.lesson05`` without an explicit import: load the submodule on first use.
    if name.startswith("lesson"):
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as missing:
            if missing.name == f"{__name__}.{name}":
                raise AttributeError(f"minigrad.check has no module {name!r} (lessons are lesson01 .. lesson12 and lesson15)") from None
            raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
