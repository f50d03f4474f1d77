"""The one exception type for bad data files.

``DataError`` is a ``ValueError`` whose message always says *where* (the file
and, when the problem is on one line, the line number), *what* went wrong and,
when there is an obvious one, *how to fix it*::

    DataError: data/train.tsv, line 17: expected 2 tab-separated columns
    (sentence, label) but found 3. Fix: remove the stray tab inside the sentence.
"""
from __future__ import annotations

from pathlib import Path


class DataError(ValueError):
    """A problem with the contents of a data file.

    Attributes ``path``, ``line`` (1-based, or ``None`` for whole-file problems),
    ``problem`` and ``fix`` hold the parts of the message separately for code
    that wants them.
    """

    def __init__(self, path: str | Path, problem: str, line: int | None = None, fix: str | None = None):
        self.path = Path(path)
        self.line = line
        self.problem = problem
        self.fix = fix
        where = f"{self.path}" if line is None else f"{self.path}, line {line}"
        message = f"{where}: {problem}"
        if fix:
            message += f" Fix: {fix}"
        super().__init__(message)
