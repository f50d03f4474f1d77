"""Build the lessons (``lessons/NN_*.ipynb``) from their sources in this folder.

Each source ``lessons/_src/NN_name.py`` is a plain Python file in the "percent" cell format:

    # %% [markdown]
    # Text of a Markdown cell, one "# " prefix per line (LaTeX welcome).
    # %%
    code_of_a_code_cell()

Run from the repository root:

    python lessons/_src/build.py            # every lesson
    python lessons/_src/build.py 09         # just lesson 09
    python lessons/_src/build.py --execute  # build, run headless, report the time of each

The notebooks are written with their outputs cleared (ready to commit); ``--execute`` runs
them in memory only and never writes outputs back.
"""
import sys
import time
from pathlib import Path

import nbformat

SOURCES = Path(__file__).resolve().parent
LESSONS = SOURCES.parent


def parse_cells(text):
    """Split a percent-format source into [(kind, source)] with kind "markdown" or "code"."""
    cells, kind, lines = [], None, []

    def flush():
        if kind is None:
            return
        body = "\n".join(lines).strip("\n")
        if kind == "markdown":
            body = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in body.split("\n"))
        if body.strip():
            cells.append((kind, body))

    for line in text.split("\n"):
        if line.startswith("# %%"):
            flush()
            kind, lines = ("markdown" if "[markdown]" in line else "code"), []
        elif kind is not None:
            lines.append(line)
    flush()
    return cells


def build(source):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    for kind, body in parse_cells(source.read_text()):
        cell = nbformat.v4.new_markdown_cell(body) if kind == "markdown" else nbformat.v4.new_code_cell(body)
        notebook.cells.append(cell)
    for index, cell in enumerate(notebook.cells):  # stable ids keep git diffs small
        cell["id"] = f"{source.stem[:2]}-{index:03d}"
    target = LESSONS / (source.stem + ".ipynb")
    nbformat.write(notebook, target)
    return target


def execute(path):
    from nbclient import NotebookClient
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(LESSONS)}}).execute()
    return time.perf_counter() - start


def main(argv):
    run = "--execute" in argv
    wanted = [a for a in argv if not a.startswith("--")] or ["[0-9][0-9]"]
    for number in wanted:
        for source in sorted(SOURCES.glob(f"{number}_*.py")):
            target = build(source)
            line = f"wrote {target.relative_to(LESSONS.parent)}"
            if run:
                line += f"  (ran green in {execute(target):.1f} s)"
            print(line, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
