"""Every lesson notebook runs, top to bottom, without an error, in under 90 seconds.

Each ``lessons/*.ipynb`` is executed headless with nbclient in a fresh kernel.  The kernel is
pinned to the interpreter running pytest: a session fixture writes a "python3" kernelspec whose
command is ``sys.executable`` into a temporary directory and puts it first on JUPYTER_PATH.  The
kernel also gets MPLBACKEND=Agg (plots render off-screen) and the repository on PYTHONPATH (so
``import minigrad`` finds this checkout even when it is not pip-installed).  Before the
notebook's own cells, one injected cell asserts that the kernel really is this interpreter.
"""
import json
import os
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

REPO = Path(__file__).resolve().parents[1]
LESSONS_DIR = REPO / "lessons"
NOTEBOOKS = sorted(LESSONS_DIR.glob("*.ipynb"))
TIME_LIMIT_S = 90


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


def test_there_are_lessons():
    assert NOTEBOOKS, f"no notebooks found in {LESSONS_DIR}"


def _first_error(nb):
    for number, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return number, cell.source, f"{output['ename']}: {output['evalue']}"
    return None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, kernel_environment):
    nb = nbformat.read(path, as_version=4)
    check = nbformat.v4.new_code_cell(
        "import sys\n"
        f"assert sys.executable == {sys.executable!r}, "
        f"f'kernel runs {{sys.executable}}, tests run {sys.executable}'\n"
        "import matplotlib\n"
        "assert matplotlib.get_backend().lower() == 'agg', matplotlib.get_backend()")
    nb.cells.insert(0, check)
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
    assert elapsed < TIME_LIMIT_S, f"{path.name} took {elapsed:.1f} s; a lesson must finish in under {TIME_LIMIT_S} s"
    print(f"{path.name}: {elapsed:.1f} s")


def test_every_notebook_matches_its_source():
    """lessons/_src/NN_name.py is the source of lessons/NN_name.ipynb: rebuilding must change nothing."""
    import importlib.util

    import nbformat

    lessons = Path(__file__).resolve().parents[1] / "lessons"
    spec = importlib.util.spec_from_file_location("lesson_build", lessons / "_src" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    notebooks = sorted(lessons.glob("[0-9][0-9]_*.ipynb"))
    assert [n.name[:2] for n in notebooks] == list(build.ALL_LESSONS)
    for notebook in notebooks:
        source = lessons / "_src" / (notebook.stem + ".py")
        assert source.exists(), f"{notebook.name} has no source {source.name} in lessons/_src/"
        built = [(kind, body) for kind, body in build.parse_cells(source.read_text())]
        committed = [(c.cell_type, c.source) for c in nbformat.read(notebook, as_version=4).cells]
        assert built == committed, f"{notebook.name} differs from {source.name}: rebuild with lessons/_src/build.py"
        assert all(not c.get("outputs") for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code")
