"""``python -m minigrad.sentiment serve RUN``: the classifier behind a JSON API and a web page.

    GET  /          the page (webpage.html): type a sentence, see the prediction, the words coloured by
                    saliency, the three explanations compared, an attention heatmap per layer and head
    GET  /health    what is served, and the limits
    POST /predict   {"texts": [...]}  -> labels and probabilities        (api.py has the exact shapes)
    POST /explain   {"text": "..."}   -> tokens, three explanations, attention weights

Python's standard library only (``http.server.ThreadingHTTPServer``): four routes of JSON in and out
need no framework, and this file shows all the request handling a learner would want to see.

A bad request never takes the server down, and never holds it:

* the body is read only with a ``Content-Length`` of at most ``max_body_bytes`` (else 411 / 413),
  as ``application/json`` (else 415); what is in it is checked by ``api.py`` (400 with the reason);
* a socket that stays silent for ``REQUEST_TIMEOUT`` seconds is closed, and at most
  ``MAX_CONNECTIONS`` connections are served at once (the next ones get 503 and are closed);
* any unexpected failure is logged and answered 500, and its connection closed; the server goes on;
* a body that a route does not read (a GET with one, a 404) closes the connection, so it is never
  taken for the next request.

Loopback only by default: the server has no authentication, so ``--host`` must be a loopback
address unless ``--allow-remote`` is given (then it warns).  On loopback it also answers only
requests whose ``Host`` is a loopback name, so that a web page elsewhere cannot reach it through
DNS rebinding; and because it accepts only ``application/json``, a browser must ask before sending
it a cross-site request, and it never says yes (there are no CORS headers).
"""
from __future__ import annotations

import ipaddress
import json
import queue
import socket
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import urlsplit

from .api import Limits, RequestError, ServedModel, decode_json
from .cli import CliError

REQUEST_TIMEOUT = 10.0          # seconds a connection may stay silent (headers, body, or between requests)
MAX_CONNECTIONS = 64
PAGE_POLICY = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
               "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'")
LOOPBACK_NAMES = ("localhost",)
_BUSY_BODY = b'{"error":"the server is busy: too many connections at once; retry shortly","status":503}'
BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
        b"Connection: close\r\nContent-Length: " + str(len(_BUSY_BODY)).encode() + b"\r\n\r\n" + _BUSY_BODY)


def page_bytes() -> bytes:
    """The web page, shipped as package data (minigrad/sentiment/webpage.html)."""
    return resources.files("minigrad.sentiment").joinpath("webpage.html").read_bytes()


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_host(host: str, allow_remote: bool, warn=print) -> None:
    """Refuse a non-loopback ``--host`` unless ``allow_remote``; with it, warn."""
    if is_loopback(host):
        return
    if not allow_remote:
        raise CliError(f"--host {host} is not a loopback address: the server has no authentication, so anyone who "
                       f"can reach {host} could use it. Serve on 127.0.0.1 (the default), or pass --allow-remote "
                       "to serve on this address anyway")
    warn(f"warning: serving on {host} (--allow-remote): anyone who can reach this address can use the model, "
         "with no authentication and no encryption")


# ------------------------------------------------------------------ the request handler
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"            # keep-alive: a client may send many requests on one connection
    server_version = "minigrad-serve"
    # TCP_NODELAY: the headers and the body are two writes; with Nagle's algorithm the second waited for the
    # client's delayed ACK, ~40 ms per answer (measured: 44 ms for a 0.6 ms prediction)
    disable_nagle_algorithm = True

    def setup(self):
        self.timeout = self.server.request_timeout   # the socket's timeout: a silent client is dropped
        super().setup()

    # --- answering
    def _send(self, status: int, body: bytes, content_type: str, extra_headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-store")
        for name, value in extra_headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status: int, payload: dict, extra_headers=()):
        body = json.dumps(payload, allow_nan=False, separators=(",", ":")).encode("utf-8")
        self._send(status, body, "application/json", extra_headers)

    def parse_request(self):
        """http.server's parsing, minus HTTP/0.9 (a bare "GET /" line, answered without a status line)."""
        if not super().parse_request():
            return False
        if self.request_version == "HTTP/0.9":
            self.send_error(400, "HTTP/0.9 requests are not accepted; send an HTTP/1.0 or HTTP/1.1 request line")
            return False
        return True

    def send_error(self, code, message=None, explain=None):
        """http.server's own errors (a malformed request line, a header too long, ...), as JSON too."""
        self.close_connection = True
        if self.request_version == "HTTP/0.9":   # the request line was not understood: answer as HTTP/1.1
            self.request_version = "HTTP/1.1"
        try:
            self._send_json(code, {"error": message or self.responses.get(code, ("error",))[0], "status": code})
        except OSError:
            pass

    def log_message(self, format, *args):
        if self.server.log_requests:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    # --- the routes
    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")

    def _route(self, method):
        routes = {"/": {"GET": self._page}, "/health": {"GET": self._health},
                  "/predict": {"POST": self._predict}, "/explain": {"POST": self._explain}}
        try:
            self._check_host_header()
            path = self._path()
            action = routes.get(path, {}).get(method)
            if action not in (self._predict, self._explain) and self._announces_body():
                self.close_connection = True     # a body nobody reads must not be taken for the next request
            if path not in routes:
                raise RequestError(404, f"no such page: {path}; the routes are GET /, GET /health, POST /predict, "
                                        "POST /explain")
            if action is None:
                allowed = ", ".join(routes[path])
                self._send_json(405, {"error": f"{path} answers {allowed}, not {method}", "status": 405},
                                [("Allow", allowed)])
                return
            action()
            return
        except RequestError as error:
            status, message = error.status, error.message
        except (TimeoutError, ConnectionError):                   # the client stopped sending, or went away
            self.close_connection = True
            return
        except Exception as error:  # noqa: BLE001 -- one request failed; the server must go on
            traceback.print_exc(file=sys.stderr)
            self.close_connection = True
            status, message = 500, f"internal error: {type(error).__name__}: {error}"
        try:
            self._send_json(status, {"error": message, "status": status})
        except OSError:                                           # the client is gone: nobody to tell
            self.close_connection = True

    def _path(self) -> str:
        try:
            return urlsplit(self.path).path
        except ValueError:                                        # e.g. "http://[oops/": a bracket left open
            self.close_connection = True
            raise RequestError(400, f"the path {self.path[:100]!r} is not a valid URL path") from None

    def _announces_body(self) -> bool:
        return "Transfer-Encoding" in self.headers or self.headers.get("Content-Length", "0").strip() != "0"

    def _check_host_header(self):
        host = self.headers.get("Host")
        if self.server.allow_remote or host is None:
            return
        try:
            name = urlsplit("//" + host).hostname or ""
        except ValueError:                                        # e.g. "[::1" without its bracket
            name = ""
        if not is_loopback(name):
            self.close_connection = True
            raise RequestError(403, f"Host {host[:100]!r} is not a loopback name: this server answers only requests "
                                    "addressed to localhost / 127.0.0.1 / [::1] (start it with --allow-remote "
                                    "to serve other names)")

    def _page(self):
        self._send(200, self.server.page, "text/html; charset=utf-8", [("Content-Security-Policy", PAGE_POLICY)])

    def _health(self):
        self._send_json(200, self.server.served.health())

    def _predict(self):
        self._send_json(200, self.server.served.predict(self._json_body()))

    def _explain(self):
        self._send_json(200, self.server.served.explain(self._json_body()))

    def _json_body(self) -> dict:
        """The request's JSON object, after the HTTP-level checks (length, size, type)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            raise RequestError(411, "chunked bodies are not accepted; send the body with a Content-Length")
        length = self.headers.get("Content-Length")
        if length is None:
            self.close_connection = True
            raise RequestError(411, "a Content-Length header is required")
        if not length.strip().isdigit():
            self.close_connection = True
            raise RequestError(400, f"Content-Length {length!r} is not a whole number of bytes")
        length, limit = int(length), self.server.served.limits.max_body_bytes
        if length > limit:
            self.close_connection = True                          # the body stays unread
            raise RequestError(413, f"the body has {length:,} bytes; the limit is {limit:,} (send fewer or "
                                    "shorter texts per request)")
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True
            raise RequestError(400, f"the body ended after {len(body):,} of the {length:,} bytes announced")
        content_type = self.headers.get("Content-Type", "")
        media_type, _, parameters = content_type.partition(";")
        charset = parameters.strip().lower().replace(" ", "")
        if media_type.strip().lower() != "application/json" or charset not in ("", "charset=utf-8"):
            raise RequestError(415, f"Content-Type {content_type or '(none)'!r} is not accepted; send the body as "
                                    "Content-Type: application/json (UTF-8)")
        return decode_json(body)


# ------------------------------------------------------------------ the server
class Server(ThreadingHTTPServer):
    """``ThreadingHTTPServer`` (one thread per connection) with at most ``MAX_CONNECTIONS`` at once."""

    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address, served: ServedModel, allow_remote=False, log_requests=True,
                 max_connections=MAX_CONNECTIONS, request_timeout=REQUEST_TIMEOUT):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.served, self.allow_remote, self.log_requests = served, allow_remote, log_requests
        self.request_timeout = request_timeout
        self.page = page_bytes()
        self.connections = threading.BoundedSemaphore(max_connections)
        self.refused = queue.Queue(maxsize=max_connections)
        super().__init__(address, Handler)
        threading.Thread(target=self._refuse_forever, name="refuse-over-limit", daemon=True).start()

    def process_request(self, request, client_address):
        if not self.connections.acquire(blocking=False):      # over the limit: answered 503 by _refuse_forever
            try:
                self.refused.put_nowait(request)
            except queue.Full:
                self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.connections.release()

    def _refuse_forever(self):
        """Answer 503 to each connection over the limit, then close it gently: read what the client sent
        (for at most a second), so that the close is a FIN and not a reset, which can destroy the answer
        before the client reads it."""
        while (request := self.refused.get()) is not None:
            try:
                request.settimeout(1.0)
                request.sendall(BUSY)
                request.shutdown(socket.SHUT_WR)
                deadline = time.monotonic() + 1.0
                while time.monotonic() < deadline and request.recv(65536):
                    pass
            except OSError:
                pass
            finally:
                request.close()

    def server_close(self):
        super().server_close()
        self.refused.put(None)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def make_server(served: ServedModel, host="127.0.0.1", port=8000, **options) -> Server:
    """A server bound to ``host:port`` (port 0: any free one, see ``server.url``); call ``serve_forever``.
    ``options``: ``allow_remote``, ``log_requests``, ``max_connections``, ``request_timeout``."""
    return Server((host, port), served, **options)


# ------------------------------------------------------------------ the command
def serve_command(args, out=print) -> None:
    """``serve RUN``: load the run once, serve until Ctrl-C."""
    from .commands import check_device

    check_host(args.host, args.allow_remote, warn=lambda line: print(line, file=sys.stderr))
    device = check_device(args.device)
    limits = Limits.for_texts(args.max_texts, args.max_chars)
    served = ServedModel(args.run_dir, device, limits)
    try:
        server = make_server(served, args.host, args.port, allow_remote=args.allow_remote,
                             log_requests=not args.quiet)
    except OSError as error:
        reason = error.strerror or str(error)
        raise CliError(f"cannot serve on {args.host}:{args.port}: {reason}; choose another --port "
                       "(--port 0 picks a free one) or --host") from None
    out(f"serving {args.run_dir} ({', '.join(served.label_names)}) at {server.url}/  "
        "(POST /predict, POST /explain, GET /health); Ctrl-C stops")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        out("stopped")
    finally:
        server.server_close()
