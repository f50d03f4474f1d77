"""The served classifier's API without the HTTP: request checks and answers (``serve.py`` adds the sockets).

    POST /predict  {"texts": ["a joy", "so dull"]}
                   -> {"results": [{"label": "positive", "probability": 0.93,
                                    "probabilities": {"negative": 0.07, "positive": 0.93}, "truncated": false}, ...]}
    POST /explain  {"text": "not bad at all", "samples": 300, "seed": 0}      (samples, seed optional)
                   -> explanations.explain_sentence(...): tokens, saliency / occlusion / lime, agreement, attention
    GET  /health   -> {"status": "ok", "run": ..., "labels": [...], "model": {...}, "limits": {...}}

Every way a request can be wrong raises ``RequestError(status, message)``; the message names the
problem and the fix, and ``serve.py`` answers it as ``{"error": message, "status": status}``.
Bounded work: a body of at most ``max_body_bytes``, at most ``max_texts`` texts of at most
``max_chars`` characters each (longer token sequences are cut to the model's positions and marked
``"truncated"``), at most ``max_samples`` LIME samples.

One model, one lock: minigrad's "record the graph?" switch (``mg.no_grad``) and the attention
capture are settings of the whole process, so requests compute one at a time.  The threads of
``ThreadingHTTPServer`` still read, check and answer requests side by side.
"""
from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path


class RequestError(Exception):
    """A request the client must fix; ``status`` is the HTTP status to answer (4xx)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 1 << 20      # 64 texts x 2,000 characters, even all written as \uXXXX escapes
    max_texts: int = 64                # per /predict request (also the batch the model runs at once)
    max_chars: int = 2000              # per text
    max_samples: int = 1000            # LIME perturbations per /explain request
    default_samples: int = 300

    @classmethod
    def for_texts(cls, max_texts: int, max_chars: int) -> "Limits":
        """Limits for other text bounds; the body limit grows with them (6 bytes per \\uXXXX-escaped character)."""
        return cls(max_texts=max_texts, max_chars=max_chars,
                   max_body_bytes=max(cls.max_body_bytes, 6 * max_texts * max_chars + 65536))


# ------------------------------------------------------------------ reading a request
def _no_constants(name):
    raise ValueError(f"{name} is not valid JSON (write a number or a string)")


def decode_json(body: bytes):
    """The JSON value in ``body``: it must be UTF-8, valid JSON (no NaN/Infinity) and an object."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RequestError(400, f"the body is not UTF-8 (byte {error.start} is {body[error.start]:#04x}); "
                                "send the JSON encoded as UTF-8") from None
    if not text.strip():
        raise RequestError(400, "the body is empty; send a JSON object such as {\"texts\": [\"a joy\"]}")
    try:
        payload = json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as error:
        raise RequestError(400, f"the body is not valid JSON: {error.msg} at line {error.lineno} column "
                                f"{error.colno}") from None
    except ValueError as error:
        raise RequestError(400, f"the body is not valid JSON: {error}") from None
    except RecursionError:
        raise RequestError(400, "the body is not valid JSON here: it nests too deeply") from None
    if not isinstance(payload, dict):
        raise RequestError(400, f"the body must be a JSON object, got {_json_type(payload)}; e.g. "
                                "{\"texts\": [\"a joy\"]}")
    return payload


def _json_type(value) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "true/false", type(None): "null",
             int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


def _only_keys(payload: dict, allowed: tuple, route: str, hint: str = ""):
    unknown = sorted(set(payload) - set(allowed))
    if unknown:
        raise RequestError(400, f"{route}: unknown field(s) {', '.join(map(repr, unknown))}; the fields are "
                                f"{', '.join(map(repr, allowed))}{hint}")


def check_text(text, what: str, limits: Limits) -> str:
    """A non-empty string of at most ``max_chars`` characters, valid Unicode (no lone surrogates)."""
    if not isinstance(text, str):
        raise RequestError(400, f"{what} must be a string, got {_json_type(text)}")
    if not text.strip():
        raise RequestError(400, f"{what} is empty; send a sentence with words in it")
    if len(text) > limits.max_chars:
        raise RequestError(400, f"{what} has {len(text):,} characters; the limit is {limits.max_chars:,} "
                                "(split it into sentences)")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise RequestError(400, f"{what} is not valid Unicode (it holds a lone surrogate, an escape "
                                "\\ud800-\\udfff without its pair)") from None
    return text


def check_predict(payload: dict, limits: Limits) -> list:
    """The texts of a /predict request: ``{"texts": [1..max_texts strings]}``."""
    _only_keys(payload, ("texts",), "/predict", hint=" (one sentence too goes in a list: {\"texts\": [\"...\"]})"
               if "text" in payload else "")
    if "texts" not in payload:
        raise RequestError(400, "/predict needs \"texts\": a list of sentences, e.g. {\"texts\": [\"a joy\"]}")
    texts = payload["texts"]
    if not isinstance(texts, list):
        raise RequestError(400, f"\"texts\" must be a list of strings, got {_json_type(texts)}")
    if not texts:
        raise RequestError(400, "\"texts\" is an empty list; send at least one sentence")
    if len(texts) > limits.max_texts:
        raise RequestError(400, f"\"texts\" has {len(texts):,} sentences; the limit is {limits.max_texts} per "
                                "request (send several requests)")
    return [check_text(text, f"texts[{i}]", limits) for i, text in enumerate(texts)]


def _whole_number(payload, name, low, high, default):
    value = payload.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestError(400, f"\"{name}\" must be a whole number, got {_json_type(value)}")
    if not low <= value <= high:
        raise RequestError(400, f"\"{name}\" must be between {low:,} and {high:,}, got {value:,}")
    return value


def check_explain(payload: dict, limits: Limits) -> tuple:
    """``(text, samples, seed)`` of an /explain request: ``{"text": "...", "samples": N, "seed": S}``."""
    _only_keys(payload, ("text", "samples", "seed"), "/explain",
               hint=" (/explain takes one sentence: {\"text\": \"...\"})" if "texts" in payload else "")
    if "text" not in payload:
        raise RequestError(400, "/explain needs \"text\": one sentence, e.g. {\"text\": \"not bad at all\"}")
    text = check_text(payload["text"], "\"text\"", limits)
    samples = _whole_number(payload, "samples", 16, limits.max_samples, limits.default_samples)
    seed = _whole_number(payload, "seed", 0, 2 ** 32 - 1, 0)
    return text, samples, seed


# ------------------------------------------------------------------ answering
class ServedModel:
    """A run folder loaded once (eval mode), answering predict / explain / health under one lock."""

    def __init__(self, run_dir, device="cpu", limits: Limits = Limits()):
        from .commands import _load

        self.run_dir = Path(run_dir)
        self.model, self.encoder, self.config = _load(run_dir, device)
        self.device, self.limits = device, limits
        self.label_names = list(self.config["label_names"])
        self.lock = threading.Lock()

    def _truncated(self, text) -> bool:
        return len(self.encoder.split(text)) > self.encoder.max_len - 1

    def predict(self, payload: dict) -> dict:
        from .train import predict_proba

        texts = check_predict(payload, self.limits)
        with self.lock:
            rows = predict_proba(self.model, self.encoder, texts, batch_size=self.limits.max_texts,
                                 device=self.device)
        results = []
        for text, row in zip(texts, rows):
            best = int(row.argmax())
            results.append({"label": self.label_names[best], "probability": float(row[best]),
                            "probabilities": {name: float(p) for name, p in zip(self.label_names, row)},
                            "truncated": self._truncated(text)})
        return {"results": results}

    def explain(self, payload: dict) -> dict:
        from .explanations import explain_sentence

        text, samples, seed = check_explain(payload, self.limits)
        with self.lock:
            return explain_sentence(self.model, self.encoder, text, self.label_names, samples, seed, self.device)

    def health(self) -> dict:
        model = self.config["model"]
        return {"status": "ok", "run": self.run_dir.name, "run_status": self.config["status"],
                "labels": self.label_names, "tokenizer": self.encoder.kind,
                "model": {"layers": model["n_layers"], "heads": model["n_heads"], "d_model": model["d_model"],
                          "max_tokens": self.encoder.max_len, "pooling": model["pooling"]},
                "limits": asdict(self.limits), "device": self.device}
