r"""Every kernel compiled to sm_90 machine code (SASS) without a GPU, and what the code costs.

    python -m kernels.sass                    # compile all kernels x {float32, float64}, print, check
    python -m kernels.sass --write            # ... and rewrite kernels/SASS.md (the committed table)
    python -m kernels.sass --dtype float32 --json out.json

The simulator runs a kernel as Python, so it knows nothing of what a GPU charges for it.  This
script takes each kernel the whole way a GPU driver would, offline:

    Python --Numba--> NVVM IR --NVVM--> PTX (compute_90) --ptxas -v--> sm_90 cubin --nvdisasm--> SASS

(the tools come from the ``sass`` extra: ``numba-cuda[cu12]``, ``nvidia-cuda-nvcc-cu12`` for
NVVM, libdevice and ptxas, ``nvidia-cuda-nvrtc-cu12`` which Numba asks which architectures
exist, ``nvidia-cuda-nvdisasm``).  From ``ptxas -v`` and the SASS it reads, per kernel:

    registers   32-bit registers per thread.  A block's threads share 65,536 registers
                (handed out per warp in units of 256), so a kernel using more than 64
                cannot run 1024 threads per block -- ``threads (regs)`` is the most it can.
    spills      bytes of registers spilled to (slow, off-chip) local memory.  Must be 0.
    stack       bytes of per-thread local memory (arrays the compiler could not keep in registers).
    smem        static shared memory; ``+ dyn`` the dynamic shared memory the launcher asks
                for at its largest block.  Together at most 48 KiB.
    fp64        SASS instructions doing float64 arithmetic, compares or conversions (DADD,
                DMUL, DFMA, DSETP, DMNMX, F2F/I2F/F2I to or from F64, MUFU.RCP64H/RSQ64H).
                A float32 kernel must have none: most GPUs run float64 at 1/32 to 1/64 of
                float32's rate, and exp/tanh/erf in float64 are long software routines.
                A stray Python float literal (``0.0``, ``1.0``) is enough to cause it, since
                Numba types it float64; a deliberate float64 accumulator must say so in its
                kernel's docstring with a line starting ``fp64:``.
    ftz atomics float32 atomic adds that flush subnormal results to zero (RED/ATOM ...FTZ).

``check()`` turns those into the rules the tests enforce (tests/kernels/test_kernels_sass.py):
the largest block each launcher can choose (``KernelLaunch.max_threads``, declared in each
kernel file's ``kernel_launches``) must fit the registers and the shared memory, nothing
spills, no unjustified fp64 in float32 kernels, no flushing atomics.

Compiling "for the current device" needs a device; there is none, so a stand-in with compute
capability 9.0 answers (a Numba internal: ``numba.cuda.dispatcher.get_current_device``).
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

COMPUTE_CAPABILITY = (9, 0)
ARCH = "sm_90"
TABLE = Path(__file__).with_name("SASS.md")
FAMILIES = ("activations", "reduce", "softmax", "losses", "layernorm", "embedding", "optim", "matmul", "conv", "pool",
            "batchnorm", "quantized")
FP64_OPCODES = {"DADD", "DMUL", "DFMA", "DSETP", "DSET", "DMNMX", "DMMA"}
CONVERSIONS = {"F2F", "F2I", "I2F", "FRND", "MUFU"}
FP64_MODIFIERS = {"F64", "RCP64H", "RSQ64H"}
ATOMICS = {"ATOM", "ATOMG", "RED", "REDG", "ATOMS"}
INSTRUCTION = re.compile(r"^\s*/\*[0-9a-f]+\*/\s+(?:@!?U?P[T0-9]+\s+)?([A-Z][A-Z0-9_.]*)")


# ---------------------------------------------------------------------------
# Finding the tools
# ---------------------------------------------------------------------------
def find_tool(name):
    """Path of ``ptxas`` or ``nvdisasm``: from the NVIDIA wheels (nvidia/*/bin), else the PATH."""
    try:
        import nvidia

        for root in nvidia.__path__:
            for candidate in sorted(Path(root).glob(f"*/bin/{name}")):
                return str(candidate)
    except ImportError:
        pass
    found = shutil.which(name)
    if found:
        return found
    raise FileNotFoundError(f"{name} not found: install the machine-code tools with "
                            f"pip install -e '.[sass]' (or '.[dev]', which includes them).")


def toolchain():
    """Versions of the tools that produced the table (register counts can change with them)."""
    import numba_cuda

    def version(tool):
        out = subprocess.run([find_tool(tool), "--version"], capture_output=True, text=True).stdout
        match = re.search(r"release ([\d.]+), V([\d.]+)", out)
        return match.group(2) if match else "?"

    return {"numba-cuda": numba_cuda.__version__, "ptxas": version("ptxas"), "nvdisasm": version("nvdisasm")}


# ---------------------------------------------------------------------------
# Compiling one kernel
# ---------------------------------------------------------------------------
def _stand_in_device():
    import numba.cuda.dispatcher as dispatcher

    class StandInDevice:
        compute_capability = COMPUTE_CAPABILITY

    dispatcher.get_current_device = lambda: StandInDevice()


def ptx_for(spec):
    from numba import cuda

    ptx, _ = cuda.compile_ptx(spec.kernel.py_func, spec.signature, cc=COMPUTE_CAPABILITY)
    return ptx


def assemble(ptx, folder, stem):
    """ptxas -v then nvdisasm on one PTX module: (ptxas report, SASS text)."""
    ptx_file, cubin = Path(folder) / f"{stem}.ptx", Path(folder) / f"{stem}.cubin"
    ptx_file.write_text(ptx)
    report = subprocess.run([find_tool("ptxas"), "-v", "--gpu-name", ARCH, str(ptx_file), "-o", str(cubin)],
                            capture_output=True, text=True, check=True)
    sass = subprocess.run([find_tool("nvdisasm"), "-c", str(cubin)], capture_output=True, text=True, check=True)
    return report.stdout + report.stderr, sass.stdout


def _number(pattern, text):
    match = re.search(pattern, text)
    return int(match.group(1)) if match else 0


def count_instructions(sass):
    """(all instructions, fp64 instructions, flushing float atomics) in SASS text."""
    total = fp64 = ftz_atomics = 0
    for line in sass.splitlines():
        match = INSTRUCTION.match(line)
        if not match:
            continue
        opcode, *modifiers = match.group(1).split(".")
        total += 1
        if opcode in FP64_OPCODES or (opcode in CONVERSIONS and FP64_MODIFIERS & set(modifiers)):
            fp64 += 1
        if opcode in ATOMICS and "FTZ" in modifiers and "F32" in modifiers:
            ftz_atomics += 1
    return total, fp64, ftz_atomics


def resources(spec, family, dtype, report, sass):
    from kernels._launch import max_threads_for_registers

    registers = _number(r"Used (\d+) registers", report)
    instructions, fp64, ftz_atomics = count_instructions(sass)
    return dict(
        family=family, kernel=spec.name, dtype=dtype, registers=registers,
        threads_allowed=max_threads_for_registers(registers), max_threads=spec.max_threads,
        static_shared=_number(r"(\d+) bytes smem", report), dynamic_shared=spec.dynamic_shared_bytes,
        spill_stores=_number(r"(\d+) bytes spill stores", report), spill_loads=_number(r"(\d+) bytes spill loads",
                                                                                      report),
        stack=_number(r"(\d+) bytes stack frame", report), instructions=instructions, fp64=fp64,
        ftz_atomics=ftz_atomics, fp64_justified="fp64:" in (spec.kernel.py_func.__doc__ or ""),
    )


def compile_all(dtypes=("float32", "float64")):
    """Compile every kernel of every family for each dtype; one resource dict per kernel x dtype.

    Numba compiles in this process, one kernel after another; ptxas and nvdisasm run in
    threads meanwhile, so the assembler never waits for the next kernel's Python.
    """
    import importlib

    if "numba.cuda" in sys.modules:
        from numba.core import config

        if config.ENABLE_CUDASIM:
            raise RuntimeError("this process runs Numba's CUDA simulator; compile in a new one: python -m kernels.sass")
    os.environ["NUMBA_ENABLE_CUDASIM"] = "0"  # machine code needs the real compiler, not the simulator
    _stand_in_device()
    specs = []
    for family in FAMILIES:
        module = importlib.import_module(f"kernels.{family}")
        for dtype in dtypes:
            specs += [(family, dtype, spec) for spec in module.kernel_launches(dtype)]
    with tempfile.TemporaryDirectory() as folder, concurrent.futures.ThreadPoolExecutor(4) as pool:
        jobs = []
        for number, (family, dtype, spec) in enumerate(specs):
            jobs.append(pool.submit(assemble, ptx_for(spec), folder, f"k{number}"))
        return [resources(spec, family, dtype, *job.result()) for (family, dtype, spec), job in zip(specs, jobs)]


# ---------------------------------------------------------------------------
# The rules
# ---------------------------------------------------------------------------
def check(records):
    """Every broken rule, as a sentence naming the kernel (an empty list when all is well)."""
    from kernels._launch import MAX_SHARED_BYTES_PER_BLOCK

    problems = []
    for r in records:
        name = f"{r['kernel']} ({r['dtype']})"
        if r["max_threads"] > r["threads_allowed"]:
            problems.append(f"{name}: its launcher can choose {r['max_threads']} threads per block, but "
                            f"{r['registers']} registers per thread allow only {r['threads_allowed']}")
        if r["static_shared"] + r["dynamic_shared"] > MAX_SHARED_BYTES_PER_BLOCK:
            problems.append(f"{name}: {r['static_shared']} + {r['dynamic_shared']} bytes of shared memory "
                            f"exceed {MAX_SHARED_BYTES_PER_BLOCK}")
        if r["spill_stores"] or r["spill_loads"]:
            problems.append(f"{name}: spills {r['spill_stores']} bytes of registers to local memory")
        if r["dtype"] == "float32" and r["fp64"] and not r["fp64_justified"]:
            problems.append(f"{name}: {r['fp64']} float64 instructions in a float32 kernel, and its docstring "
                            "has no 'fp64:' line saying why")
        if r["ftz_atomics"]:
            problems.append(f"{name}: {r['ftz_atomics']} float32 atomics that flush subnormals to zero")
    return problems


# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------
COLUMNS = ("family", "kernel", "dtype", "registers", "threads (regs)", "launcher max", "smem + dyn",
           "spills", "stack", "fp64", "ftz atomics", "instructions")


def table_rows(records):
    for r in records:
        yield (r["family"], r["kernel"], r["dtype"], r["registers"], r["threads_allowed"], r["max_threads"],
               f"{r['static_shared']} + {r['dynamic_shared']}", r["spill_stores"] + r["spill_loads"], r["stack"],
               r["fp64"], r["ftz_atomics"], r["instructions"])


def markdown(records, tools):
    float32 = [r for r in records if r["dtype"] == "float32"]
    lines = [
        "# sm_90 machine code of every kernel",
        "",
        "Generated by `python -m kernels.sass --write` (do not edit by hand; the test",
        "`tests/kernels/test_kernels_sass.py` compiles everything again and checks the rules).",
        f"Toolchain: numba-cuda {tools['numba-cuda']}, ptxas {tools['ptxas']}, nvdisasm {tools['nvdisasm']}; "
        f"target {ARCH} (an H100 / H200). What the columns mean: the docstring of `kernels/sass.py`.",
        "",
        f"{len(records)} kernel builds; float32 builds: {sum(r['fp64'] for r in float32)} fp64 instructions, "
        f"{sum(r['spill_stores'] + r['spill_loads'] for r in records)} bytes of spills in all, "
        f"most registers {max(r['registers'] for r in records)} per thread.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in table_rows(records)]
    problems = check(records)
    lines += ["", "Rules broken: " + ("none." if not problems else ""), *[f"- {p}" for p in problems], ""]
    return "\n".join(lines)


def committed_kernels(path=TABLE):
    """(kernel, dtype) pairs listed in the committed table."""
    pairs = set()
    for line in path.read_text().splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == len(COLUMNS) and cells[2] in ("float32", "float64"):
            pairs.add((cells[1], cells[2]))
    return pairs


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m kernels.sass", description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", choices=("float32", "float64"), help="only this dtype (default: both)")
    parser.add_argument("--write", action="store_true", help=f"rewrite {TABLE.name} beside this file")
    parser.add_argument("--json", help="write the resource records to this file")
    args = parser.parse_args(argv)
    if args.write and args.dtype:
        parser.error("--write needs both dtypes")
    records = compile_all((args.dtype,) if args.dtype else ("float32", "float64"))
    tools = toolchain()
    text = markdown(records, tools)
    print(text)
    if args.write:
        TABLE.write_text(text)
        print(f"wrote {TABLE}")
    if args.json:
        Path(args.json).write_text(json.dumps({"toolchain": tools, "records": records}, indent=1))
    return 1 if check(records) else 0


if __name__ == "__main__":
    sys.exit(main())
