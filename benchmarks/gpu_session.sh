#!/usr/bin/env bash
# The prepared GPU run (issue 3): on a machine with an NVIDIA GPU, from the repository root,
#
#     bash benchmarks/gpu_session.sh
#
# 1. runs the kernel and GPU-engine tests on the hardware (tests/conftest.py picks "cuda" when
#    CuPy sees a GPU, so nothing is simulated),
# 2. times the matmul ladder (naive, tiled, register-blocked, cuBLAS) up to 4096^2 in float32, the
#    softmax / cross-entropy / layer-norm kernels on (8192 x 4096), the CPU-vs-GPU crossover, and the
#    ops and models suites (Transformer training step) on the CPU and on the GPU in one process,
# 3. leaves everything in benchmarks/results/<date>_gpu/ to be committed.
#
# Not run yet: no GPU was available when it was written. Its parts (the same tests and suites)
# run on the CUDA simulator in CI.
set -uo pipefail
cd "$(dirname "$0")/.."
out="benchmarks/results/$(date +%F)_gpu"
mkdir -p "$out"
python -m pip install --quiet -e ".[dev,gpu]"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/gpu.txt"
python -m pytest -q -p no:cacheprovider tests/kernels tests/test_gpu_engine.py 2>&1 | tee "$out/gpu_tests.log"
python -m benchmarks kernels crossover models ops --device cpu,cuda --threads 1 --out "$out" 2>&1 | tee "$out/benchmarks.log"
