#!/usr/bin/env bash
# The prepared GPU session (issue 10): everything minigrad wants to know from an NVIDIA GPU, in
# one command that fits a borrowed machine (at most 8 minutes, no package index, one archive back).
#
#     PYTHONPATH=. bash benchmarks/gpu_session.sh            # on the GPU machine, from a plain checkout
#     bash benchmarks/gpu_session.sh --dry-run --out DIR     # the same steps on the CUDA simulator, tiny sizes
#
# It installs nothing: it needs python3 with numpy, numba-cuda, cupy, pytest, hypothesis and
# matplotlib (torch is optional: the PyTorch peers). Each step runs under its own timeout, its
# output goes to its own log, and a failed step does not stop the next:
#
#   step         what                                                          timeout
#   machine      nvidia-smi, Python and library versions                        15 s
#   gpu_tests    tests/kernels and tests/test_gpu_engine.py on the GPU          160 s
#                (tests/conftest.py picks "cuda" when CuPy sees a GPU; the machine-code
#                test is left to CI, which has the assembler wheels, and this script's
#                own dry-run test to the machines without a GPU)
#   matmul       python -m kernels.matmul, n = 512 ... 4096                      50 s
#   softmax      python -m kernels.softmax on (8192, 4096), block sizes 32..1024  30 s
#   layernorm    python -m kernels.layernorm, the same                          30 s
#   losses       python -m kernels.losses (cross-entropy), the same             30 s
#   conv         python -m kernels.conv, 3x3 on (64, 64, 32, 32), the same blocks 20 s
#   pool         python -m kernels.pool, 3x3/2 max pool on (128, 64, 56, 56)     20 s
#   batchnorm    python -m kernels.batchnorm on (128, 64, 1024)                 20 s
#   crossover    python -m benchmarks crossover --device cuda                   45 s
#   models       python -m benchmarks models --device cpu,cuda (Transformer step) 45 s
#   summary      python -m benchmarks.gpu_kernels --summarize                   15 s
#                                                                    at most  480 s
#
# (A ladder runs 12-18 rungs of at most half a second of timing each, plus its start-up, the
# compiles and the float64 reference on the CPU: 10-20 s, hence 20-30 s.  benchmarks/cnn.py
# --device cuda, the digits CNN's training step against PyTorch's, would need about 30 s more
# and does not fit the 8 minutes; run it by hand when a GPU has time to spare.)
#
# Everything is packed into ONE archive, $OUT/gpu_session.tar.gz (or --out DIR; by default
# benchmarks/results/<date>_gpu_session/): steps.txt (each step's exit status and seconds),
# one log per step, ladders.jsonl (every ladder rung), crossover/ and models/ (benchmark
# reports and figures) and summary.md (the headline figures). Unpack it under benchmarks/results/.
# The exit status is 0 when every step succeeded.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PY="${PYTHON:-python3}"

dry_run=0
out="${OUT:-}"
while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) dry_run=1 ;;
        --out) out="$2"; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "error: unknown option $1 (use --dry-run, --out DIR or --help)" >&2; exit 2 ;;
    esac
    shift
done
out="${out:-benchmarks/results/$(date +%F)_gpu_session}"
mkdir -p "$out"
work="$(mktemp -d)"
run="$work/gpu_session"
mkdir -p "$run"

if [ "$dry_run" = 1 ]; then
    # The simulator, tiny shapes, a handful of tests: proves every step runs, measures nothing.
    export NUMBA_ENABLE_CUDASIM=1
    gpu=cudasim
    tests=(tests/kernels/test_kernels_launch.py "tests/test_gpu_engine.py::test_forward_matches_cpu[softmax]")
    matmul_shape=(8 17)
    row_shape=(3 40)
    conv_shape=(2 3 5 4)        # (N, C, H, W)
    pool_shape=(2 3 5 4)
    batchnorm_shape=(3 2 9)     # (N, C, L)
    blocks=(1 32)
    models_args=(--device cpu,cudasim --quick)
else
    gpu=cuda
    tests=(tests/kernels tests/test_gpu_engine.py --deselect tests/kernels/test_kernels_sass.py
           --deselect tests/kernels/test_gpu_session.py)
    matmul_shape=(512 1024 2048 4096)
    row_shape=(8192 4096)
    conv_shape=(64 64 32 32)    # (N, C, H, W)
    pool_shape=(128 64 56 56)
    batchnorm_shape=(128 64 1024)   # (N, C, L)
    blocks=(32 64 128 256 512 1024)
    models_args=(--device cpu,cuda)
fi

failures=0
step() {  # step NAME TIMEOUT_SECONDS COMMAND...: run it, log it, record its status
    local name="$1" limit="$2"
    shift 2
    local started=$SECONDS
    timeout "$limit" "$@" > "$run/$name.log" 2>&1
    local status=$?
    local took=$((SECONDS - started))
    echo "$name exit=$status seconds=$took limit=$limit" | tee -a "$run/steps.txt"
    [ "$status" = 0 ] || failures=$((failures + 1))
}

machine() {  # (run by `timeout` through bash -c, hence exported with its variables)
    if [ "$dry_run" = 1 ]; then echo "dry run: Numba's CUDA simulator, no GPU"; else nvidia-smi; fi
    "$PY" -c "import sys, numpy, numba; print('python', sys.version.split()[0], 'numpy', numpy.__version__, \
'numba', numba.__version__)"
    "$PY" -c "import cupy; print('cupy', cupy.__version__)" 2> /dev/null || echo "cupy: not importable"
    "$PY" -c "import torch; print('torch', torch.__version__, 'cuda available:', torch.cuda.is_available())" \
        2> /dev/null || echo "torch: not importable"
}
summarize() {
    "$PY" -m benchmarks.gpu_kernels --summarize "$run" > "$run/summary.md"
}
export -f machine summarize
export PY dry_run run

step machine 15 bash -c machine
step gpu_tests 160 "$PY" -m pytest -q -p no:cacheprovider "${tests[@]}"
step matmul 50 "$PY" -m kernels.matmul --shape "${matmul_shape[@]}" --json "$run/ladders.jsonl"
for family in softmax layernorm losses; do
    step "$family" 30 "$PY" -m "kernels.$family" --shape "${row_shape[@]}" --block-sizes "${blocks[@]}" \
        --json "$run/ladders.jsonl"
done
step conv 20 "$PY" -m kernels.conv --shape "${conv_shape[@]}" --block-sizes "${blocks[@]}" --json "$run/ladders.jsonl"
step pool 20 "$PY" -m kernels.pool --shape "${pool_shape[@]}" --block-sizes "${blocks[@]}" --json "$run/ladders.jsonl"
step batchnorm 20 "$PY" -m kernels.batchnorm --shape "${batchnorm_shape[@]}" --block-sizes "${blocks[@]}" \
    --json "$run/ladders.jsonl"
step crossover 45 "$PY" -m benchmarks crossover --device "$gpu" --out "$run/crossover"
step models 45 "$PY" -m benchmarks models "${models_args[@]}" --out "$run/models"
step summary 15 bash -c summarize

tar -czf "$out/gpu_session.tar.gz" -C "$work" gpu_session
rm -rf "$work"
echo "packed $out/gpu_session.tar.gz ($failures failed steps)"
[ "$failures" = 0 ]
