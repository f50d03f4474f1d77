"""What the `serve` tests share: a tiny trained run folder, and a server on a free loopback port in a thread."""
import contextlib
import json
import threading
import urllib.error
import urllib.request

from minigrad.sentiment import cli
from minigrad.sentiment.api import Limits, ServedModel
from minigrad.sentiment.serve import make_server

# one epoch on 300 sentences, 1 layer of 2 heads: trained in ~2 s, and the weights are a trained model's
TINY = ["--max-train", "300", "--epochs", "1", "--d-model", "16", "--heads", "2", "--layers", "1", "--no-progress"]


def train_tiny_run(folder):
    assert cli.main(["train", "--data", "embedded", "--out", str(folder)] + TINY) == 0
    return folder


@contextlib.contextmanager
def running_server(run_dir, limits=Limits(), **options):
    """A ``serve.Server`` for ``run_dir`` on 127.0.0.1:<free port>, serving in a thread; yields it."""
    server = make_server(ServedModel(run_dir, limits=limits), "127.0.0.1", 0, log_requests=False, **options)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def request(url, payload=None, *, method=None, timeout=20):
    """``(status, JSON answer)`` of a GET (no payload) or a JSON POST; 4xx/5xx answers are returned too."""
    data = None if payload is None else json.dumps(payload).encode("utf-8")
    headers = {} if payload is None else {"Content-Type": "application/json"}
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
