"""`serve`: the JSON API over real sockets on 127.0.0.1 (good, bad, concurrent and fuzzed requests), the
explanations it returns checked against the model, and the `serve` command's own errors."""
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad.sentiment import cli
from minigrad.sentiment.api import Limits
from minigrad.sentiment.explain import saliency
from minigrad.sentiment.explanations import spearman
from minigrad.sentiment.perturbation import local_surrogate, perturbation_masks
from minigrad.sentiment.run_folder import load_run
from minigrad.sentiment.serve import check_host
from minigrad.sentiment.train import predict_proba
from serve_helpers import request, running_server, train_tiny_run

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    return train_tiny_run(tmp_path_factory.mktemp("runs") / "tiny")


@pytest.fixture(scope="module")
def server(tiny_run):
    with running_server(tiny_run, request_timeout=2.0) as server:
        yield server


@pytest.fixture(scope="module")
def loaded(tiny_run):
    return load_run(tiny_run)


def raw(server, data: bytes, timeout=10.0) -> bytes:
    """Send ``data`` as it is on a fresh connection, close our side, return everything the server sent back."""
    with socket.create_connection(server.server_address[:2], timeout=timeout) as connection:
        connection.sendall(data)
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def http_bytes(method, path, body=b"", headers=None, length=True) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
        if value is not None:
            lines.append(f"{name}: {value}")
    if length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def status_and_json(answer: bytes):
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
    return status, json.loads(body[:length]), head.decode("latin-1")


# ------------------------------------------------------------------ good requests
def test_health_says_what_is_served(server, tiny_run):
    status, health = request(server.url + "/health")
    assert status == 200 and health["status"] == "ok" and health["run"] == tiny_run.name
    assert health["labels"] == ["negative", "positive"] and health["run_status"] == "complete"
    assert health["model"] == {"layers": 1, "heads": 2, "d_model": 16, "max_tokens": 64, "pooling": "cls"}
    assert health["limits"]["max_texts"] == Limits().max_texts


def test_predict_gives_the_loaded_models_probabilities(server, loaded):
    model, encoder, config = loaded
    texts = ["a joy", "the film was not good", "zzzz qqqq", " ".join(["good"] * 80)]
    status, answer = request(server.url + "/predict", {"texts": texts})
    assert status == 200 and len(answer["results"]) == len(texts)
    expected = predict_proba(model, encoder, texts)
    for result, row in zip(answer["results"], expected):
        assert result["label"] == config["label_names"][int(row.argmax())]
        assert result["probability"] == pytest.approx(row.max(), abs=1e-12)
        assert list(result["probabilities"].values()) == pytest.approx(row.tolist(), abs=1e-12)
    assert [r["truncated"] for r in answer["results"]] == [False, False, False, True]


def test_page_is_one_self_contained_html_file(server):
    with urllib_open(server.url + "/") as answer:
        page = answer.read().decode("utf-8")
        policy = answer.headers["Content-Security-Policy"]
        assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<canvas" in page and "/explain" in page
    assert "default-src 'none'" in policy                      # the browser itself refuses anything external
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "the page must load nothing external"


def urllib_open(url):
    import urllib.request
    return urllib.request.urlopen(url, timeout=20)


# ------------------------------------------------------------------ the explanations
TEXT = "the film was not good"


@pytest.fixture(scope="module")
def explained(server):
    status, answer = request(server.url + "/explain", {"text": TEXT})
    assert status == 200, answer
    return answer


def test_explain_saliency_is_explain_py_gradient_times_input(explained, loaded):
    model, encoder, config = loaded
    tokens, scores, probabilities, predicted = saliency(model, encoder, TEXT)
    assert explained["tokens"] == tokens == ["<cls>", "the", "film", "was", "not", "good"]
    assert explained["methods"]["saliency"] == pytest.approx(scores[1:].tolist(), abs=1e-7)
    assert explained["label"] == config["label_names"][predicted]
    assert explained["probability"] == pytest.approx(probabilities[predicted], abs=1e-9)
    assert sum(explained["probabilities"].values()) == pytest.approx(1.0)


def test_explain_occlusion_is_the_probability_lost_without_each_word(explained, loaded):
    model, encoder, config = loaded
    target = config["label_names"].index(explained["label"])
    words = TEXT.split()
    shorter = [" ".join(words[:i] + words[i + 1:]) for i in range(len(words))]
    full, *without = predict_proba(model, encoder, [TEXT] + shorter)[:, target]
    assert explained["methods"]["occlusion"] == pytest.approx([full - p for p in without], abs=1e-9)


def test_explain_lime_is_seeded_and_fits_the_models_probabilities(server, explained):
    lime = explained["methods"]["lime"]
    assert len(lime) == 5 and explained["lime"]["samples"] == 300 and explained["lime"]["seed"] == 0
    assert 0.0 <= explained["lime"]["r2"] <= 1.0
    again = request(server.url + "/explain", {"text": TEXT})[1]
    assert again["methods"]["lime"] == lime                   # same seed, same samples, same weights
    other = request(server.url + "/explain", {"text": TEXT, "seed": 1, "samples": 64})[1]
    assert other["methods"]["lime"] != lime and other["lime"]["samples"] == 64
    for pair, rho in explained["agreement"].items():
        assert pair in ("saliency~occlusion", "saliency~lime", "occlusion~lime") and -1 <= rho <= 1


def test_explain_attention_is_every_layer_and_head(explained, loaded):
    model, encoder, _ = loaded
    ids, mask = encoder.batch([encoder.encode(TEXT)])
    with mg.no_grad():
        _, expected = model.attention_weights(mg.tensor(ids), mg.tensor(mask))
    attention = np.asarray(explained["attention"])
    assert attention.shape == (1, 2, 6, 6)                      # layers, heads, query, key
    np.testing.assert_allclose(attention, np.stack([w.numpy()[0] for w in expected]), atol=5e-5)
    np.testing.assert_allclose(attention.sum(axis=-1), 1.0, atol=1e-3)


def test_local_surrogate_recovers_a_linear_model_exactly():
    rng = np.random.default_rng(3)
    weights, intercept = rng.normal(size=7), 0.3
    fit = local_surrogate(lambda keep: intercept + keep @ weights, 7, samples=100, seed=5)
    np.testing.assert_allclose(fit.weights, weights, atol=1e-10)
    assert fit.intercept == pytest.approx(intercept) and fit.r2 == pytest.approx(1.0)
    both = local_surrogate(lambda keep: (keep[:, 0] & keep[:, 1]).astype(float), 4, samples=200, seed=0)
    assert both.r2 < 0.99 and both.weights[0] > 0 and both.weights[1] > 0   # an interaction: a line fits less well
    assert local_surrogate(lambda keep: np.full(len(keep), 0.5), 0).weights.shape == (0,)


def test_perturbation_masks_keep_the_sentence_first_and_drop_at_least_one_word_after():
    masks = perturbation_masks(6, 50, np.random.default_rng(0))
    assert masks[0].all() and (masks[1:].sum(axis=1) < 6).all()
    assert (masks == perturbation_masks(6, 50, np.random.default_rng(0))).all()
    assert not (masks == perturbation_masks(6, 50, np.random.default_rng(1))).all()


def test_spearman_rank_correlation():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 45]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(4.5 / np.sqrt(4.5 * 5))   # ties: average ranks
    assert spearman([1, 1, 1], [1, 2, 3]) is None and spearman([1], [2]) is None


# ------------------------------------------------------------------ bad requests
LONG = json.dumps({"texts": ["a" * 2001]}).encode()
BAD_REQUESTS = [
    # (what, request bytes, status, a phrase the error must contain)
    ("no content type", http_bytes("POST", "/predict", b'{"texts":["a"]}', {"Content-Type": None}), 415,
     "application/json"),
    ("form content type", http_bytes("POST", "/predict", b'{"texts":["a"]}',
                                     {"Content-Type": "application/x-www-form-urlencoded"}), 415, "application/json"),
    ("latin-1 charset", http_bytes("POST", "/predict", b'{"texts":["a"]}',
                                   {"Content-Type": "application/json; charset=latin-1"}), 415, "UTF-8"),
    ("not UTF-8", http_bytes("POST", "/predict", b'{"texts":["caf\xe9"]}'), 400, "not UTF-8 (byte 14 is 0xe9)"),
    ("empty body", http_bytes("POST", "/predict", b""), 400, "the body is empty"),
    ("broken JSON", http_bytes("POST", "/predict", b'{"texts": ["a"'), 400, "not valid JSON"),
    ("NaN", http_bytes("POST", "/predict", b'{"texts": [NaN]}'), 400, "NaN is not valid JSON"),
    ("deep nesting", http_bytes("POST", "/predict", b"[" * 200_000), 400, "nests too deeply"),
    ("array body", http_bytes("POST", "/predict", b'["a joy"]'), 400, "must be a JSON object, got an array"),
    ("texts a string", http_bytes("POST", "/predict", b'{"texts": "a joy"}'), 400, "must be a list of strings"),
    ("no texts", http_bytes("POST", "/predict", b'{}'), 400, "needs \"texts\""),
    ("text for texts", http_bytes("POST", "/predict", b'{"text": "a joy"}'), 400, "goes in a list"),
    ("empty list", http_bytes("POST", "/predict", b'{"texts": []}'), 400, "empty list"),
    ("a number", http_bytes("POST", "/predict", b'{"texts": ["a", 1]}'), 400, "texts[1] must be a string, got a number"),
    ("blank text", http_bytes("POST", "/predict", b'{"texts": ["  \\n"]}'), 400, "texts[0] is empty"),
    ("lone surrogate", http_bytes("POST", "/predict", b'{"texts": ["a \\ud800 b"]}'), 400, "lone surrogate"),
    ("too many texts", http_bytes("POST", "/predict", json.dumps({"texts": ["a"] * 65}).encode()), 400,
     "the limit is 64"),
    ("too long a text", http_bytes("POST", "/predict", LONG), 400, "2,001 characters; the limit is 2,000"),
    ("explain a list", http_bytes("POST", "/explain", b'{"texts": ["a"]}'), 400, "takes one sentence"),
    ("explain nothing", http_bytes("POST", "/explain", b'{"text": ""}'), 400, "\"text\" is empty"),
    ("too few samples", http_bytes("POST", "/explain", b'{"text": "a", "samples": 5}'), 400, "between 16 and 1,000"),
    ("samples a string", http_bytes("POST", "/explain", b'{"text": "a", "samples": "300"}'), 400, "whole number"),
    ("seed true", http_bytes("POST", "/explain", b'{"text": "a", "seed": true}'), 400, "whole number, got true/false"),
    ("unknown route", http_bytes("GET", "/predictions"), 404, "no such page"),
    ("GET predict", http_bytes("GET", "/predict"), 405, "answers POST, not GET"),
    ("POST health", http_bytes("POST", "/health", b"{}"), 405, "answers GET, not POST"),
    ("PUT", http_bytes("PUT", "/predict", b"{}"), 501, "Unsupported method"),
    ("bad length", http_bytes("POST", "/predict", b"", {"Content-Length": "ten"}, length=False), 400,
     "not a whole number of bytes"),
    ("no length", http_bytes("POST", "/predict", b"", length=False), 411, "Content-Length header is required"),
    ("chunked", http_bytes("POST", "/predict", b"", {"Transfer-Encoding": "chunked"}, length=False), 411, "chunked"),
    ("huge body", http_bytes("POST", "/predict", b"", {"Content-Length": str(50 << 20)}, length=False), 413,
     "the limit is 1,048,576"),
    ("short body", http_bytes("POST", "/predict", b"", {"Content-Length": "40"}, length=False) + b'{"texts"', 400,
     "ended after 8 of the 40 bytes"),
    ("foreign host", http_bytes("GET", "/health", headers={"Host": "attacker.example"}).replace(
        b"Host: 127.0.0.1\r\n", b"", 1), 403, "not a loopback name"),
    ("open bracket host", http_bytes("GET", "/health").replace(b"Host: 127.0.0.1", b"Host: [::1", 1), 403,
     "not a loopback name"),
    ("open bracket path", http_bytes("GET", "http://[oops/health"), 400, "not a valid URL path"),
    ("garbage", b"\x16\x03\x01\x02\x00hello\r\n\r\n", 400, "Bad request syntax"),
    ("HTTP/0.9", b"GET /health\r\n", 400, "HTTP/0.9 requests are not accepted"),
]


@pytest.mark.parametrize("data, status, phrase", [case[1:] for case in BAD_REQUESTS],
                         ids=[case[0] for case in BAD_REQUESTS])
def test_a_bad_request_gets_a_clear_json_error(server, data, status, phrase):
    got, answer, head = status_and_json(raw(server, data))
    assert (got, answer["status"]) == (status, status), answer
    assert phrase in answer["error"], answer["error"]
    if status == 405:
        assert re.search(r"Allow: (GET|POST)", head)


def test_keep_alive_goes_on_after_an_error_that_read_its_body_and_stops_after_an_unread_body(server):
    good = http_bytes("POST", "/predict", b'{"texts": ["a joy"]}')
    plain = http_bytes("POST", "/predict", b'{"texts": ["a joy"]}', {"Content-Type": "text/plain"})
    answers = re.findall(rb"HTTP/1\.1 (\d{3}) ", raw(server, good + plain + good))
    assert answers == [b"200", b"415", b"200"]                 # three answers on one connection
    with_body = http_bytes("GET", "/health", b"hello")        # a GET's body is never read ...
    answer = raw(server, with_body + http_bytes("GET", "/health"))
    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", answer) == [b"200"] and b"Connection: close" in answer
    # ... so the connection ends there, instead of reading "hello" as the next request


# ------------------------------------------------------------------ many requests
def test_concurrent_requests_get_the_same_answers_as_one_at_a_time(server):
    jobs = [("/predict", {"texts": ["a joy", "dull and slow", "not bad"][: 1 + k % 3]}) for k in range(6)]
    jobs += [("/explain", {"text": text, "samples": 32}) for text in ("not bad at all", "a dull film", "superb")]
    expected = [request(server.url + path, payload) for path, payload in jobs]
    assert all(status == 200 for status, _ in expected)
    results, errors = {}, []

    def client(worker):
        connection = http.client.HTTPConnection(*server.server_address[:2], timeout=30)  # one keep-alive connection
        try:
            for step in range(len(jobs)):
                index = (worker + step) % len(jobs)
                path, payload = jobs[index]
                connection.request("POST", path, json.dumps(payload), {"Content-Type": "application/json"})
                answer = connection.getresponse()
                results[worker, step] = (index, answer.status, json.loads(answer.read()))
        except Exception as error:  # noqa: BLE001 -- reported below
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(worker,)) for worker in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and len(results) == 6 * len(jobs)
    for index, status, answer in results.values():
        assert (status, answer) == expected[index]


def mutations(rng: random.Random):
    """Malformed requests, drawn at random: garbage bytes, damaged JSON, odd JSON values, lying lengths,
    odd header lines, request targets and Host values."""
    good = json.dumps({"texts": ["a joy", "not good"]}).encode()
    values = [None, True, 0, -1, 1.5, 1e308, "", "x", [], {}, [[]], {"texts": None}, ["a"] * 3, "\u00e9\u4e2d\U0001f600"]
    odd = ["[", "]", "//", "[::1", "%", "?", "#", "@", ":", "..", "\\", " ", "*", "\x7f", "127.0.0.1", "localhost"]
    for case in range(180):
        kind = case % 6
        if kind == 0:
            yield bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
        elif kind == 1:
            body = bytearray(good)
            for _ in range(rng.randrange(1, 6)):
                position = rng.randrange(len(body))
                operation = rng.randrange(3)
                if operation == 0:
                    body[position] = rng.randrange(256)
                elif operation == 1:
                    del body[position]
                else:
                    body.insert(position, rng.randrange(256))
            yield http_bytes("POST", rng.choice(["/predict", "/explain"]), bytes(body))
        elif kind == 2:
            key = rng.choice(["texts", "text", "samples", "seed", "x"])
            payload = {key: rng.choice(values)} if rng.random() < 0.7 else rng.choice(values)
            yield http_bytes("POST", rng.choice(["/predict", "/explain"]), json.dumps(payload).encode())
        elif kind == 3:
            length = rng.choice([0, 1, len(good) - 3, len(good) + 7, 10 ** 12])
            yield http_bytes("POST", "/predict", b"", {"Content-Length": str(length)}, length=False) + good
        elif kind == 4:
            line = bytes(rng.randrange(32, 127) for _ in range(rng.randrange(0, 60)))
            yield http_bytes("POST", "/predict", good).replace(b"Host:", line + b"\r\nHost:", 1)
        else:
            target = "/" + "".join(rng.choice(odd) for _ in range(rng.randrange(0, 6)))
            host = "".join(rng.choice(odd) for _ in range(rng.randrange(0, 4)))
            yield http_bytes(rng.choice(["GET", "POST"]), target, good).replace(
                b"Host: 127.0.0.1", b"Host: " + host.encode("latin-1"), 1)


def test_the_server_survives_a_fuzz_of_malformed_requests(server):
    allowed = {200, 400, 403, 404, 405, 411, 413, 414, 415, 431, 501, 505}
    seen = set()
    for number, data in enumerate(mutations(random.Random(15))):
        answer = raw(server, data)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 "), (number, data[:200], answer[:300])
        statuses = {int(s) for s in re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)}
        assert statuses <= allowed, (number, data[:200], answer[:300])
        seen.update(statuses)
        if number % 40 == 0:
            assert request(server.url + "/health")[0] == 200
    assert {200, 400, 413} <= seen                     # the fuzz reached the model, the checks and the size limit
    status, answer = request(server.url + "/predict", {"texts": ["a joy"]})
    assert status == 200 and answer["results"][0]["label"] in ("negative", "positive")


def test_a_silent_client_is_dropped_and_connections_are_bounded(tiny_run):
    with running_server(tiny_run, request_timeout=1.5, max_connections=2) as server:
        address = server.server_address[:2]
        silent = [socket.create_connection(address, timeout=5) for _ in range(2)]     # both slots taken
        try:
            silent[0].sendall(b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{")
            for _ in range(2):
                extra = raw(server, http_bytes("GET", "/health"))
                assert extra.startswith(b"HTTP/1.1 503 ") and b"too many connections" in extra
            for connection in silent:                                 # closed by the server after its 1.5 s
                assert connection.recv(100) == b""
        finally:
            for connection in silent:
                connection.close()
        assert request(server.url + "/health")[0] == 200


# ------------------------------------------------------------------ the command
def test_serve_refuses_a_non_loopback_host_and_a_bad_port(tiny_run, capsys):
    assert cli.main(["serve", str(tiny_run), "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --host 0.0.0.0 is not a loopback address") and "--allow-remote" in err
    assert len(err.splitlines()) == 1
    assert cli.main(["serve", str(tiny_run), "--port", "70000"]) == 2
    assert "must be a TCP port from 0 to 65535" in capsys.readouterr().err
    warnings = []
    check_host("0.0.0.0", allow_remote=True, warn=warnings.append)
    assert "anyone who can reach this address" in warnings[0]
    for host in ("127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"):
        check_host(host, allow_remote=False)


def test_serve_says_when_the_port_is_taken_or_the_run_is_missing(tiny_run, tmp_path, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["serve", str(tiny_run), "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: cannot serve on 127.0.0.1:{port}:") and "--port 0" in err
    assert cli.main(["serve", str(tmp_path / "nothing")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_serve_command_answers_until_ctrl_c(tiny_run):
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=str(REPO))
    process = subprocess.Popen([sys.executable, "-m", "minigrad.sentiment", "serve", str(tiny_run), "--port", "0",
                                "--quiet"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        line = process.stdout.readline()
        url = re.search(r"at (http://127\.0\.0\.1:\d+)/", line).group(1)
        assert request(url + "/health")[1]["run"] == tiny_run.name
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0 and out.strip() == "stopped", (out, err)


def test_latency_benchmark_runs_and_reports_every_scenario(tiny_run, tmp_path):
    out = tmp_path / "latency.json"
    completed = subprocess.run([sys.executable, "benchmarks/serve_latency.py", "--run", str(tiny_run), "--requests",
                                "12", "--clients", "1,2", "--batches", "1,4", "--explain", "3", "--json", str(out)],
                               cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True, text=True,
                               timeout=300)
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    figures = json.loads(out.read_text())
    scenarios = [(s["route"], s["batch"], s["clients"]) for s in figures["scenarios"]]
    assert scenarios == [("POST /predict", 1, 1), ("POST /predict", 1, 2), ("POST /predict", 4, 1),
                         ("POST /explain", 1, 1)]
    for s in figures["scenarios"]:
        assert s["requests_per_second"] > 0 and 0 < s["p50_ms"] <= s["p99_ms"]
    assert set(figures["model_only_p50_ms"]) == {"1", "4"} and "| POST /explain | 1 | 1 |" in completed.stdout
