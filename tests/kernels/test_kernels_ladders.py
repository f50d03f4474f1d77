"""The ladders behind ``python -m kernels.<family>``: every version x block size is checked against
the CPU backend's formula (here on the simulator: correctness only, tiny shapes)."""
import json

import numpy as np
import pytest
from numba.core import config

from kernels import _ladder, batchnorm, conv, layernorm, losses, matmul, pool, softmax

FAMILIES = {"matmul": matmul, "softmax": softmax, "layernorm": layernorm, "losses": losses, "conv": conv,
            "pool": pool, "batchnorm": batchnorm}
#: Tiny shapes for the simulator: (n, n) sizes for matmul, (rows, cols), (N, C, H, W) images, (N, C, L).
SHAPES = {"matmul": ["5", "17"], "conv": ["2", "3", "5", "4"], "pool": ["2", "3", "5", "4"],
          "batchnorm": ["3", "2", "9"]}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_rung_of_every_ladder_is_checked_and_right(family, tmp_path, capsys):
    module = FAMILIES[family]
    shape = SHAPES.get(family, ["3", "40"])
    out = tmp_path / "ladder.jsonl"
    assert module.main(["--shape", *shape, "--block-sizes", "1", "32", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    records = [json.loads(line) for line in out.read_text().splitlines()]
    versions = module.versions.names
    blocks = [None] if family == "matmul" else [1, 32]
    per_size = len(versions) * len(blocks)
    assert len(records) == per_size * (2 if family == "matmul" else 1)
    assert {(r["version"], r["block_size"]) for r in records} == {(v, b) for v in versions for b in blocks}
    assert all(r["ok"] and r["max_error"] < 1e-4 for r in records), records
    assert all(version in printed for version in versions) and "FAIL" not in printed
    if config.ENABLE_CUDASIM:
        assert "correctness only" in printed and all(r["seconds"] is None for r in records)  # and says so
    else:
        assert "fastest:" in printed and all(r["seconds"] > 0 for r in records)


def test_a_wrong_rung_fails_the_ladder(monkeypatch, capsys):
    # The check must be able to fail: a "fused" softmax that is off by 1e-3 is reported, exit status 1.
    real = softmax.softmax_forward

    def off_by_a_little(x, *, version=None, block_size=256):
        y = real(x, version=version, block_size=block_size)
        return y + 1e-3 if version == "fused" else y

    monkeypatch.setattr(softmax, "softmax_forward", off_by_a_little)
    assert softmax.main(["--shape", "2", "9", "--block-sizes", "4"]) == 1
    line = [row for row in capsys.readouterr().out.splitlines() if row.strip().startswith("fused")][0]
    assert "FAIL" in line


def test_max_error_treats_nan_and_inf_as_equal_to_themselves():
    reference = np.array([1.0, np.nan, np.inf, -np.inf])
    assert _ladder.max_error(np.array([1.0, np.nan, np.inf, -np.inf]), reference) == 0.0
    assert _ladder.max_error(np.array([1.0, 0.0, np.inf, -np.inf]), reference) == np.inf  # 0 where NaN belongs
    assert _ladder.max_error(np.array([1.0, np.nan, np.inf, np.inf]), reference) == np.inf
    assert _ladder.max_error((np.ones(2), np.zeros(1)), (np.ones(2), np.full(1, 0.5))) == 0.5
