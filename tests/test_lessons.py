"""Every lesson notebook runs top to bottom as shipped, its stubs report "not yet solved", and with
the reference solutions written in every checker reports "correct" — all in under 90 seconds.

One execution per notebook does both jobs.  Exercise cells (code cells whose stubs ``raise
NotImplementedError``) come last in a lesson, so the notebook is executed as shipped (every stub
cell must print ``lessonNN.exerciseK: not yet solved``), and then, in the same kernel, one extra
cell per exercise in which each stub's ``def``/``class`` is replaced by the source of the same name
in ``lessons/_solutions/lessonNN.py`` (every checker must print ``lessonNN.exerciseK: correct.``).

The kernel is pinned to the interpreter running pytest: a session fixture writes a "python3"
kernelspec whose command is ``sys.executable`` into a temporary directory and puts it first on
JUPYTER_PATH.  The kernel also gets MPLBACKEND=Agg and the repository on PYTHONPATH.  The
template test (cheap, no kernel) checks each source for the shared lesson layout.
"""
import ast
import importlib.util
import json
import os
import re
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LESSONS_DIR = REPO / "lessons"
SOURCES_DIR = LESSONS_DIR / "_src"
SOLUTIONS_DIR = LESSONS_DIR / "_solutions"
NOTEBOOKS = sorted(LESSONS_DIR.glob("[0-9][0-9]_*.ipynb"))
TIME_LIMIT_S = 90
CHECK_CALL = re.compile(r"\blesson(\d\d)\.(exercise\d+)\(")


def _load_build():
    spec = importlib.util.spec_from_file_location("lesson_build", SOURCES_DIR / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    return build


def _stub_names(code):
    """Top-level functions/classes of a cell whose body (or a method's body) raises NotImplementedError."""
    names = []
    for node in ast.parse(code).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            raises = [n for n in ast.walk(node) if isinstance(n, ast.Raise) and n.exc is not None
                      and "NotImplementedError" in ast.unparse(n.exc)]
            if raises:
                names.append(node.name)
    return names


def _is_exercise(cell):
    return cell[0] == "code" and "raise NotImplementedError" in cell[1]


def _first_line(node):
    """The first line of a def/class, its decorators included."""
    return node.decorator_list[0].lineno if node.decorator_list else node.lineno


def _with_solutions(code, solutions_source):
    """``code`` with each stub definition replaced by the solution's definition of the same name."""
    source_lines = solutions_source.split("\n")
    solutions = {node.name: "\n".join(source_lines[_first_line(node) - 1:node.end_lineno])
                 for node in ast.parse(solutions_source).body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    lines = code.split("\n")
    for node in sorted((n for n in ast.parse(code).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))),
                       key=lambda n: -n.lineno):
        if node.name in _stub_names(ast.get_source_segment(code, node)):
            assert node.name in solutions, f"no reference solution for {node.name!r}"
            lines[_first_line(node) - 1:node.end_lineno] = solutions[node.name].split("\n")
    return "\n".join(lines)


def test_there_are_lessons():
    assert NOTEBOOKS, f"no notebooks found in {LESSONS_DIR}"


def test_every_notebook_matches_its_source():
    """lessons/_src/NN_name.py is the source of lessons/NN_name.ipynb: rebuilding must change nothing."""
    import nbformat
    build = _load_build()
    sources = sorted(SOURCES_DIR.glob("[0-9][0-9]_*.py"))
    assert [s.stem for s in sources] == [n.stem for n in NOTEBOOKS], "every source has a notebook and vice versa"
    for notebook in NOTEBOOKS:
        source = SOURCES_DIR / (notebook.stem + ".py")
        built = build.parse_cells(source.read_text())
        committed = nbformat.read(notebook, as_version=4).cells
        assert built == [(c.cell_type, c.source) for c in committed], \
            f"{notebook.name} differs from {source.name}: rebuild with lessons/_src/build.py"
        assert all(not c.get("outputs") for c in committed if c.cell_type == "code"), f"{notebook.name} has outputs"


@pytest.mark.parametrize("source", sorted(SOURCES_DIR.glob("[0-9][0-9]_*.py")), ids=lambda p: p.stem)
def test_lesson_follows_the_template(source):
    """One layout for every lesson (lessons/README.md, "Adding a lesson")."""
    number = source.stem[:2]
    cells = _load_build().parse_cells(source.read_text())
    text = source.read_text()
    first = cells[0][1]
    assert cells[0][0] == "markdown" and first.startswith(f"# Lesson {number} — "), "title: '# Lesson NN — ...'"
    assert "**What you will learn**" in first and "**What this lesson assumes:**" in first
    assert "sys.path" not in text, "no sys.path hack: run from the repository (minigrad is pip-installed -e)"
    assert not re.search(r"\.data\[", text), \
        "lessons read tensors with .numpy() and change them with ops under no_grad, never through .data[...]"
    headings = [i for i, (kind, body) in enumerate(cells) if kind == "markdown" and "## Exercises" in body]
    mistakes = [i for i, (kind, body) in enumerate(cells) if kind == "markdown" and "> **Common mistakes**" in body]
    assert len(headings) == 1 and len(mistakes) == 1, "one '## Exercises' cell and one '> **Common mistakes**' box"
    assert mistakes[0] < headings[0], "the common-mistakes box comes before the exercises"
    exercise_cells = [i for i, cell in enumerate(cells) if _is_exercise(cell)]
    assert exercise_cells and exercise_cells[0] > headings[0]
    after = [cells[i] for i in range(headings[0], len(cells))]
    assert all(kind == "markdown" or _is_exercise((kind, body)) for kind, body in after), \
        "after '## Exercises' only exercise cells and Markdown (a notebook runs the same with or without solutions)"
    checks = [m.groups() for i in exercise_cells for m in CHECK_CALL.finditer(cells[i][1])]
    assert all(n == number for n, _ in checks), f"exercise cells call lesson{number}.exerciseK"
    assert len({k for _, k in checks}) >= 3, "at least three exercises"
    assert cells[-1][0] == "markdown" and (cells[-1][1].startswith("**Next:**") or "**Next:**" in cells[-1][1])
    solutions = (SOLUTIONS_DIR / f"lesson{number}.py").read_text()
    for i in exercise_cells:
        for function in ast.walk(ast.parse(cells[i][1])):
            if isinstance(function, ast.FunctionDef) and _stub_names(ast.unparse(function)):
                assert "Hint" in (ast.get_docstring(function) or ""), \
                    f"stub {function.name!r} states its task, signature and a hint in its docstring"
        _with_solutions(cells[i][1], solutions)          # every stub has a solution


@pytest.fixture(scope="session")
def kernel_environment(tmp_path_factory):
    """A "python3" kernelspec that runs *this* interpreter, first on JUPYTER_PATH for the session."""
    jupyter_dir = tmp_path_factory.mktemp("jupyter")
    spec_dir = jupyter_dir / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    python_path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (minigrad tests)",
        "language": "python",
        "env": {"MPLBACKEND": "Agg", "PYTHONPATH": python_path},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    saved = {name: os.environ.get(name) for name in ("JUPYTER_PATH", "MPLBACKEND")}
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        p for p in (str(jupyter_dir), os.environ.get("JUPYTER_PATH", "")) if p)
    os.environ["MPLBACKEND"] = "Agg"
    yield jupyter_dir
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _stdout(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def _first_error(nb):
    for number, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return number, cell.source, f"{output['ename']}: {output['evalue']}"
    return None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_with_stubs_then_solutions(path, kernel_environment):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    number = path.name[:2]
    nb = nbformat.read(path, as_version=4)
    solutions = (SOLUTIONS_DIR / f"lesson{number}.py").read_text()
    stub_cells = [c for c in nb.cells if _is_exercise((c.cell_type, c.source))]
    solved_cells = [nbformat.v4.new_code_cell(_with_solutions(c.source, solutions)) for c in stub_cells]
    nb.cells.insert(0, nbformat.v4.new_code_cell(
        "import sys\n"
        f"assert sys.executable == {sys.executable!r}, f'kernel runs {{sys.executable}}, tests run {sys.executable}'\n"
        "import matplotlib\n"
        "assert matplotlib.get_backend().lower() == 'agg', matplotlib.get_backend()"))
    nb.cells.extend(solved_cells)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=120,
                                     resources={"metadata": {"path": str(LESSONS_DIR)}})
    start = time.perf_counter()
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as error:
        failure = _first_error(nb)
        where = f"cell {failure[0] - 1} of {path.name} (counting from 0, code and markdown):\n{failure[1]}\n" if failure else ""
        pytest.fail(f"{path.name} failed in {where}\n{error}", pytrace=False)
    elapsed = time.perf_counter() - start
    assert _first_error(nb) is None
    for stub, solved in zip(stub_cells, solved_cells):
        for lesson, name in CHECK_CALL.findall(stub.source):
            assert f"lesson{lesson}.{name}: not yet solved" in _stdout(stub), \
                f"{path.name}: the shipped stub of {name} did not report 'not yet solved':\n{_stdout(stub)}"
            assert f"lesson{lesson}.{name}: correct." in _stdout(solved), \
                f"{path.name}: the reference solution of {name} did not pass:\n{_stdout(solved)}"
    assert elapsed < TIME_LIMIT_S, f"{path.name} took {elapsed:.1f} s; a lesson must finish in under {TIME_LIMIT_S} s"
    print(f"{path.name}: {elapsed:.1f} s")
