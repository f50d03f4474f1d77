"""Every kernel must also compile with Numba's real CUDA compiler, not only run on the simulator."""
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).with_name("gpu_compile_check.py")


def test_every_kernel_compiles_for_a_real_gpu():
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0")
    result = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=300)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert report.count("ok    ") == 78, report  # 39 kernels x 2 dtypes
