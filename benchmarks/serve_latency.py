"""Benchmark: how fast `python -m minigrad.sentiment serve` answers, over real HTTP on 127.0.0.1.

    python benchmarks/serve_latency.py [--run RUN] [--requests 200] [--clients 1,4] [--batches 1,16,64]
                                       [--explain 30] [--json PATH]

Starts the server as its own process (``serve RUN --port 0 --quiet --threads 1``), then for each
scenario sends requests from ``clients`` threads, each on one keep-alive connection, and reports
requests/s, sentences/s and the p50 / p99 latency per request (from sending it to the last byte of the answer):

* ``POST /predict`` with 1 sentence per request, from 1 client and from several at once;
* ``POST /predict`` with a batch of sentences per request;
* ``POST /explain`` (gradient x input, occlusion, a 300-sample LIME surrogate, attention).

Beside them, ``model only``: the same batches through ``predict_proba`` in this process, with no
HTTP, so the share of the time that is the server's own can be read off.  The sentences are the
embedded corpus' test sentences (4 to 20 words).  Without ``--run`` it first trains the default model
shape (2 layers x 4 heads, d_model 64) for one epoch on the embedded corpus into a temporary folder:
latency depends on the model's shape, not on how well it was trained.

Caveat: the server computes one request at a time (one model, one lock: see api.py), so several
clients share one core's worth of model time; the numbers depend on how busy the machine is, so the
load average before and after is printed with them.
"""
import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from minigrad.sentiment import cli  # noqa: E402
from minigrad.sentiment.datasets import load_sentiment_data  # noqa: E402


def sentences() -> list:
    return list(load_sentiment_data("embedded", None, None, 0, 0.1).test.texts)


def start_server(run_dir):
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=str(REPO))
    process = subprocess.Popen([sys.executable, "-m", "minigrad.sentiment", "serve", str(run_dir), "--port", "0",
                                "--quiet", "--threads", "1"], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    found = re.search(r"at http://(127\.0\.0\.1):(\d+)/", line)
    if not found:
        process.kill()
        raise SystemExit(f"the server did not start: {line!r}")
    return process, (found.group(1), int(found.group(2)))


def send(connection, route, payload) -> float:
    """Seconds from sending one request to the last byte of its 200 answer."""
    began = time.perf_counter()
    connection.request("POST", route, json.dumps(payload), {"Content-Type": "application/json"})
    answer = connection.getresponse()
    answer.read()
    if answer.status != 200:
        raise SystemExit(f"{route} answered {answer.status}")
    return time.perf_counter() - began


def scenario(address, route, payloads, clients, warmup=5) -> dict:
    """``warmup`` requests first (not counted), then every payload, split over ``clients`` threads."""
    connection = http.client.HTTPConnection(*address, timeout=120)
    for payload in payloads[:warmup]:
        send(connection, route, payload)
    connection.close()
    latencies = [[] for _ in range(clients)]

    def client(k):
        connection = http.client.HTTPConnection(*address, timeout=120)   # one keep-alive connection per client
        try:
            latencies[k] = [send(connection, route, payload) for payload in payloads[k::clients]]
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    every = [t for share in latencies for t in share]
    if len(every) != len(payloads):
        raise SystemExit(f"{route}: {len(payloads) - len(every)} requests got no answer")
    return {"requests": len(payloads), "wall_seconds": wall, "requests_per_second": len(payloads) / wall,
            "p50_ms": 1000 * float(np.percentile(every, 50)), "p99_ms": 1000 * float(np.percentile(every, 99))}


def model_only(run_dir, batches, texts, repeats) -> dict:
    """p50 seconds of ``predict_proba`` on each batch size, in this process (no HTTP)."""
    from minigrad.sentiment.run_folder import load_run
    from minigrad.sentiment.train import predict_proba
    from threadpoolctl import threadpool_limits

    model, encoder, _ = load_run(run_dir)
    out = {}
    with threadpool_limits(1, user_api="blas"):
        for batch in batches:
            times = []
            for k in range(repeats + 3):
                chunk = [texts[(k * batch + i) % len(texts)] for i in range(batch)]
                began = time.perf_counter()
                predict_proba(model, encoder, chunk, batch_size=batch)
                if k >= 3:
                    times.append(time.perf_counter() - began)
            out[batch] = 1000 * float(np.median(times))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", default=None, help="a run folder (default: train the default shape for one epoch)")
    parser.add_argument("--requests", type=int, default=200, help="requests per /predict scenario (default 200)")
    parser.add_argument("--clients", default="1,4", help="concurrent clients for batch-1 /predict (default 1,4)")
    parser.add_argument("--batches", default="1,16,64", help="sentences per /predict request (default 1,16,64)")
    parser.add_argument("--explain", type=int, default=30, help="/explain requests (default 30)")
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    clients = [int(c) for c in args.clients.split(",")]
    batches = [int(b) for b in args.batches.split(",")]
    texts = sentences()

    with tempfile.TemporaryDirectory() as work:
        run_dir = args.run
        if run_dir is None:
            run_dir = Path(work) / "run"
            print("training the default model shape for one epoch (embedded corpus) ...", flush=True)
            status = cli.main(["train", "--data", "embedded", "--epochs", "1", "--no-progress", "--out", str(run_dir)])
            if status != 0:
                raise SystemExit(f"training the benchmark's run failed (exit status {status})")
        load_before = os.getloadavg()
        process, address = start_server(run_dir)
        rows = []
        try:
            def predict_payloads(batch, count):
                return [{"texts": [texts[(k * batch + i) % len(texts)] for i in range(batch)]} for k in range(count)]

            for n in clients:
                rows.append(("POST /predict", 1, n, scenario(address, "/predict", predict_payloads(1, args.requests), n)))
            for batch in batches:
                if batch == 1:
                    continue
                count = max(20, args.requests // 4)
                rows.append(("POST /predict", batch, 1, scenario(address, "/predict", predict_payloads(batch, count), 1)))
            if args.explain:
                payloads = [{"text": texts[k % len(texts)]} for k in range(args.explain)]
                rows.append(("POST /explain", 1, 1, scenario(address, "/explain", payloads, 1, warmup=2)))
        finally:
            process.terminate()
            process.wait(timeout=20)
        direct = model_only(run_dir, batches, texts, repeats=30)
        load_after = os.getloadavg()

    print(f"\nserve latency ({os.cpu_count()} cores; load average 1/5/15 min before "
          f"{'/'.join(f'{x:.2f}' for x in load_before)}, after {'/'.join(f'{x:.2f}' for x in load_after)})")
    print("| route | sentences/request | clients | requests/s | sentences/s | p50 ms | p99 ms | model only p50 ms |")
    print("|---|---|---|---|---|---|---|---|")
    records = []
    for route, batch, n, result in rows:
        model_ms = f"{direct[batch]:.2f}" if route == "POST /predict" and batch in direct else "-"
        print(f"| {route} | {batch} | {n} | {result['requests_per_second']:.1f} | "
              f"{batch * result['requests_per_second']:.1f} | {result['p50_ms']:.2f} | {result['p99_ms']:.2f} | "
              f"{model_ms} |")
        records.append({"route": route, "batch": batch, "clients": n, **result})
    if args.json:
        Path(args.json).write_text(json.dumps({"load_before": load_before, "load_after": load_after,
                                               "cores": os.cpu_count(), "model_only_p50_ms": direct,
                                               "scenarios": records}, indent=2))
    return records


if __name__ == "__main__":
    main()
