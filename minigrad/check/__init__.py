"""``minigrad.check``: the answer checkers for the exercises at the end of each lesson.

Every lesson notebook ``lessons/NN_*.ipynb`` has a module ``minigrad.check.lessonNN`` with one
function per exercise.  The notebook ships each exercise as a *stub* (a function whose body is
``raise NotImplementedError``) followed by its checker call::

    from minigrad.check import lesson05
    lesson05.exercise1(my_backward)      # prints what it verified, or raises ExerciseFailed

A checker runs your code on inputs it makes itself (seeded, so a failure repeats), compares it
with a reference (NumPy, ``mg.autograd.gradcheck``, or minigrad's own op), and on a mismatch
raises ``ExerciseFailed`` naming the input, what you returned, what was expected, and a hint.
While your function still raises ``NotImplementedError`` it prints ``lessonNN.exerciseK: not yet
solved ...`` and returns False, so a notebook with unsolved exercises still runs top to bottom.

The lesson modules are *not* imported here: ``import minigrad.check`` stays cheap, and
``check.lesson05`` (or ``from minigrad.check import lesson05``) loads only the one you ask for.
"""
import ast
import functools
import importlib
import importlib.util
import inspect
import os
import textwrap
from pathlib import Path


class ExerciseFailed(AssertionError):
    """An exercise answer is wrong; the message says where and how to fix it."""


def passed(name, what):
    """Print the success line every checker ends with, and return True."""
    print(f"{name}: correct. {what}")
    return True


_PACKAGE_DIR = Path(__file__).resolve().parents[1]     # .../minigrad


def _raised_by_learner(error):
    """True when the innermost frame of ``error`` is outside the minigrad package: the learner's stub."""
    tb = error.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    filename = os.path.abspath(tb.tb_frame.f_code.co_filename)
    return not filename.startswith(str(_PACKAGE_DIR) + os.sep)


def _is_compiled_stub(answer):
    """True for a ``@cuda.jit`` kernel whose body is only ``raise NotImplementedError`` (plus a docstring).

    A kernel cannot be run to find out: on a GPU an exception inside it is not raised on the host.
    """
    function = getattr(answer, "py_func", None)
    if function is None:
        return False
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return False
    body = [node for node in tree.body[0].body
            if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
    return (len(body) == 1 and isinstance(body[0], ast.Raise) and body[0].exc is not None
            and "NotImplementedError" in ast.unparse(body[0].exc))


def _not_solved(name, answer):
    what = getattr(answer, "__name__", None) or getattr(getattr(answer, "py_func", None), "__name__", "your answer")
    print(f"{name}: not yet solved. `{what}` still raises NotImplementedError: replace that line "
          "with your code and run the cell again.")
    return False


def exercise(name):
    """Decorate the checker of exercise ``name`` ("lesson05.exercise1").

    If the learner's code raises ``NotImplementedError`` itself (the shipped stub), the checker prints
    ``name: not yet solved`` and returns False instead of failing.  A ``NotImplementedError`` raised
    inside minigrad (an op a device lacks, say) is a real error and propagates.
    """
    def decorate(checker):
        @functools.wraps(checker)
        def run(answer, *args, **kwargs):
            if _is_compiled_stub(answer):
                return _not_solved(name, answer)
            try:
                return checker(answer, *args, **kwargs)
            except NotImplementedError as stub:
                if not _raised_by_learner(stub):
                    raise
                return _not_solved(name, answer)
        return run
    return decorate


def reference_solutions(lesson):
    """The reference solutions of lesson ``lesson`` (a number or "05"), as a module.

    They live in the repository, outside the notebooks and outside this package, in
    ``lessons/_solutions/lessonNN.py``; the tests use them.  Raises FileNotFoundError when this
    minigrad is not a checkout of the repository.
    """
    number = f"{int(lesson):02d}"
    path = _PACKAGE_DIR.parent / "lessons" / "_solutions" / f"lesson{number}.py"
    if not path.exists():
        raise FileNotFoundError(f"no reference solutions at {path}: they ship with the repository, not the package")
    spec = importlib.util.spec_from_file_location(f"lesson{number}_solutions", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def __getattr__(name):
    # ``check.lesson05`` without an explicit import: load the submodule on first use.
    if name.startswith("lesson"):
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as missing:
            if missing.name == f"{__name__}.{name}":
                raise AttributeError(f"minigrad.check has no module {name!r} (one module per lesson: "
                                     "lesson01, lesson02, ...)") from None
            raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
