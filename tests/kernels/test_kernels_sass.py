"""Every kernel compiled to real sm_90 machine code, and its resources checked against what its
launcher can ask for (python -m kernels.sass; the committed table is kernels/SASS.md)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kernels import sass

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_machine_code_fits_every_launch_and_has_no_stray_fp64(dtype, tmp_path):
    out = tmp_path / "sass.json"
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0")
    run = subprocess.run([sys.executable, "-m", "kernels.sass", "--dtype", dtype, "--json", str(out)], cwd=REPO,
                         env=env, capture_output=True, text=True, timeout=600)
    assert out.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    records = json.loads(out.read_text())["records"]
    assert sass.check(records) == []
    assert run.returncode == 0, run.stderr[-3000:]
    assert all(r["dtype"] == dtype and r["registers"] > 0 and r["instructions"] > 0 for r in records)
    # The committed table is the live compile's (run `python -m kernels.sass --write` after changing a kernel).
    live = {(r["kernel"], r["dtype"]) for r in records}
    committed = {pair for pair in sass.committed_kernels() if pair[1] == dtype}
    assert live == committed, "kernels/SASS.md is stale: regenerate it with python -m kernels.sass --write"
    if dtype == "float32":
        assert sum(r["fp64"] for r in records) == 0


def _record(**changes):
    record = dict(family="f", kernel="k", dtype="float32", registers=32, threads_allowed=1024, max_threads=1024,
                  static_shared=0, dynamic_shared=0, spill_stores=0, spill_loads=0, stack=0, instructions=100,
                  fp64=0, ftz_atomics=0, fp64_justified=False)
    return dict(record, **changes)


def test_each_rule_catches_what_it_is_for():
    assert sass.check([_record()]) == []
    assert "allow only 896" in sass.check([_record(registers=72, threads_allowed=896)])[0]
    assert "shared memory" in sass.check([_record(static_shared=40000, dynamic_shared=10000)])[0]
    assert "spills" in sass.check([_record(spill_stores=8)])[0]
    assert "float64 instructions in a float32 kernel" in sass.check([_record(fp64=3)])[0]
    assert sass.check([_record(fp64=3, fp64_justified=True)]) == []  # a documented float64 accumulator
    assert sass.check([_record(fp64=3, dtype="float64")]) == []
    assert "flush subnormals" in sass.check([_record(ftz_atomics=1)])[0]


def test_sass_instruction_counting():
    text = "\n".join([
        "        /*0000*/                   LDC R1, c[0x0][0x28] ;",
        "        /*0010*/                   DADD R2, R4, R6 ;",
        "        /*0020*/               @!P0 DFMA R2, R4, R6, R8 ;",
        "        /*0030*/                   F2F.F64.F32 R4, R3 ;",
        "        /*0040*/                   F2F.F16.F32 R4, R3 ;",
        "        /*0050*/                   MUFU.RCP64H R5, R3 ;",
        "        /*0060*/                   DEPBAR.LE SB0, 0x0 ;",
        "        /*0070*/                   REDG.E.ADD.F32.FTZ.RN.STRONG.GPU desc[UR4][R2.64], R5 ;",
    ])
    assert sass.count_instructions(text) == (8, 4, 1)


def test_every_kernel_file_is_in_the_check():
    # A file of kernels left out of sass.FAMILIES would never be compiled to machine code nor listed in SASS.md.
    with_kernels = {path.stem for path in (REPO / "kernels").glob("[a-z]*.py")
                    if "@cuda.jit\ndef" in path.read_text()}
    assert with_kernels == set(sass.FAMILIES)
