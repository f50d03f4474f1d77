"""Every launch goes through kernels._launch.launch: the GPU's limits, CuPy's stream, no host sync."""
import ast
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from kernels import _launch

KERNELS = Path(_launch.__file__).parent


@pytest.mark.parametrize("registers, threads", [(32, 1024), (64, 1024), (65, 896), (72, 896), (156, 384),
                                                (255, 256)])
def test_register_arithmetic(registers, threads):
    # 72 registers (the old cross_entropy_kernel) -> 2,304 per warp -> 28 warps: a 1024-thread block fails.
    assert _launch.max_threads_for_registers(registers) == threads


def test_launches_over_a_hardware_limit_name_it():
    with pytest.raises(ValueError, match="2048 threads; a block holds 1 to 1024"):
        _launch.check_launch(1, 2048)
    with pytest.raises(ValueError, match="70000 blocks along y; the GPU allows 1 to 65535"):
        _launch.check_launch((1, 70000), 32)
    with pytest.raises(ValueError, match="49153 bytes of shared memory"):
        _launch.check_launch(1, 32, 48 * 1024 + 1)
    _launch.check_launch((2**31 - 1, 65535, 65535), (32, 32), 48 * 1024)  # the largest legal launch


def test_grid_pieces_cover_every_block_once():
    assert _launch.grid_pieces(5, 1) == [(0, 5)]
    pieces = _launch.grid_pieces(200_000, 1)
    assert [count for _, count in pieces] == [65535, 65535, 65535, 3395]
    assert [first for first, _ in pieces] == [0, 65535, 131070, 196605]


class _RecordingKernel:
    """Stands in for a Numba kernel: remembers the launch configuration and the arguments."""

    def __getitem__(self, configuration):
        self.configuration = configuration
        return self

    def __call__(self, *args):
        self.args = args


@pytest.fixture
def fake_cupy(monkeypatch):
    """A stand-in for CuPy (current stream at address 0x1234) and for Numba's stream and array calls."""
    cupy = types.ModuleType("cupy")

    class ndarray:  # noqa: N801 (CuPy's name)
        pass

    cupy.ndarray = ndarray
    current = {"ptr": 0x1234}
    cupy.cuda = types.SimpleNamespace(get_current_stream=lambda: types.SimpleNamespace(ptr=current["ptr"]))
    calls = []
    numba_cuda = types.SimpleNamespace(
        as_cuda_array=lambda a, sync=True: calls.append(("view", a, sync)) or ("view of", a),
        external_stream=lambda ptr: calls.append(("stream", ptr)) or ("stream at", ptr),
    )
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    monkeypatch.setattr(_launch, "cuda", numba_cuda)
    monkeypatch.setattr(_launch, "_external_streams", {})
    return types.SimpleNamespace(array=ndarray(), calls=calls, current=current)


def test_cupy_arguments_launch_on_cupys_stream_without_a_host_sync(fake_cupy):
    kernel, host = _RecordingKernel(), np.zeros(3)
    _launch.launch(kernel, 4, 32, fake_cupy.array, host, 2.5, shared_bytes=128)
    assert kernel.configuration == (4, 32, ("stream at", 0x1234), 128)
    assert kernel.args == (("view of", fake_cupy.array), host, 2.5)  # NumPy arrays and scalars pass as they are
    assert ("view", fake_cupy.array, False) in fake_cupy.calls  # sync=False: Numba must not wait on the host
    assert not [c for c in fake_cupy.calls if c[0] == "view" and c[2]]


def test_the_default_stream_is_stream_0_and_streams_are_reused(fake_cupy):
    kernel = _RecordingKernel()
    fake_cupy.current["ptr"] = 0
    _launch.launch(kernel, 1, 1, fake_cupy.array)
    assert kernel.configuration[2] == 0
    fake_cupy.current["ptr"] = 0x99
    for _ in range(3):
        _launch.launch(kernel, 1, 1, fake_cupy.array)
    assert [c for c in fake_cupy.calls if c[0] == "stream"] == [("stream", 0x99)]  # wrapped once, then cached


def test_numpy_arguments_launch_on_stream_0_unchanged():
    kernel, x = _RecordingKernel(), np.ones(2)
    _launch.launch(kernel, (2, 3), (8, 4), x, 7)
    assert kernel.configuration == ((2, 3), (8, 4), 0, 0) and kernel.args == (x, 7)


def test_every_kernel_launch_in_the_package_goes_through_launch():
    # A direct launch is a call of a subscript, kernel[grid, block](...): only _launch.py may write one.
    direct = []
    for path in sorted(KERNELS.glob("*.py")):
        if path.name == "_launch.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Subscript):
                direct.append(f"{path.name}:{node.lineno}")
    assert direct == []
