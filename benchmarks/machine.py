"""What machine the numbers came from: CPU, cores, GPU, library versions.

A benchmark number without its machine is meaningless, so every report starts with this, and
the results folder is named after it: ``benchmarks/results/<date>_<machine-slug>/``.
"""
import datetime
import os
import platform
import re
import sys


def cpu_model():
    """The CPU's marketing name from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def gpu_info():
    """``{"name", "driver", "cuda_runtime", "memory_gb"}`` of GPU 0 via CuPy, or None without one."""
    try:
        import cupy
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return None
        props = cupy.cuda.runtime.getDeviceProperties(0)
        name = props["name"]
        driver = cupy.cuda.runtime.driverGetVersion()
        runtime = cupy.cuda.runtime.runtimeGetVersion()
        return {
            "name": name.decode() if isinstance(name, bytes) else str(name),
            "driver": f"{driver // 1000}.{driver % 1000 // 10}",
            "cuda_runtime": f"{runtime // 1000}.{runtime % 1000 // 10}",
            "memory_gb": round(props["totalGlobalMem"] / 2**30, 1),
            "cupy": cupy.__version__,
        }
    except Exception:
        return None


def _version(module_name):
    try:
        module = __import__(module_name)
        return getattr(module, "__version__", "installed")
    except Exception:
        return None


def library_versions():
    versions = {"python": platform.python_version()}
    for name in ("numpy", "numba", "minigrad", "torch", "cupy", "matplotlib"):
        version = _version(name)
        if version is not None:
            versions[name] = str(version)
    return versions


def thread_settings():
    """The BLAS/OpenMP thread variables, which change CPU matmul speed a lot."""
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_ENABLE_CUDASIM")
    return {name: os.environ[name] for name in names if name in os.environ}


def load_average():
    """The 1-minute load average (runnable processes); above the core count, timings are unreliable."""
    try:
        return round(os.getloadavg()[0], 2)
    except (OSError, AttributeError):
        return None


def machine_info():
    """Everything above in one JSON-ready dict (``slug`` names the results folder)."""
    info = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "gpu": gpu_info(),
        "versions": library_versions(),
        "threads": thread_settings(),
        "load_average_1min": load_average(),
    }
    info["slug"] = machine_slug(info)
    return info


def slugify(text):
    """'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz' -> 'intel-xeon-gold-6338-cpu-2-00ghz'."""
    text = re.sub(r"\((r|tm|c)\)", "", text.lower())
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "unknown"


def machine_slug(info):
    """'intel-xeon-processor-2c' or, with a GPU, '...-2c_nvidia-h100-80gb-hbm3'."""
    slug = f"{slugify(info['cpu'])[:40].strip('-')}-{info['cores']}c"
    if info.get("gpu"):
        slug += "_" + slugify(info["gpu"]["name"])[:30].strip("-")
    return slug


def results_folder_name(info):
    """'2026-11-28_intel-xeon-processor-2c'."""
    return f"{info['date'][:10]}_{info['slug']}"


def describe(info):
    """A few human lines for the top of the console output and the Markdown report."""
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    gpu = info["gpu"]
    gpu_line = (f"{gpu['name']} ({gpu['memory_gb']} GiB, driver {gpu['driver']}, CUDA {gpu['cuda_runtime']})"
                if gpu else "none")
    lines = [f"date: {info['date']}", f"CPU: {info['cpu']} ({info['cores']} cores)", f"GPU: {gpu_line}",
             f"versions: {versions}"]
    load = info.get("load_average_1min")
    if load is not None:
        busy = "  WARNING: the machine was busy with other work; timings are noisy" if load > info["cores"] else ""
        lines.append(f"load average at start: {load} on {info['cores']} cores{busy}")
    if info["threads"]:
        lines.append("threads: " + ", ".join(f"{k}={v}" for k, v in info["threads"].items()))
    return lines


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    print("\n".join(describe(machine_info())))
