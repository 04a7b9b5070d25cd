"""The signing tool's local helper: the web console asks it, on the loopback, to sign a dossier.

  python -m signtool serve --signer chief_accountant KEY CERT [--signer account_holder KEY CERT]
      [--port 8765] [--origin http://127.0.0.1:8000] [--password-env VAR]

A browser page cannot read a private key, and must not: the keys stay in this process, which
listens on 127.0.0.1 only and answers only pages of the origins it was told (the console's).
It signs exactly what `signtool sign` signs (the RFC 8785 bytes of the submission's content).

  GET  /signers  -> {"signers": [{"title", "subject", "algorithm"}]}
  POST /sign     {"title": "...", "submission": {"content": {...}, "signatures": [...]}}
                 -> the submission with that title's signature added (or replaced)

Errors are {"error": {"code", "message"}} with a 4xx. Nothing about the keys is ever logged or
answered; each signature is logged as the title and the content's SHA-256.
"""
from __future__ import annotations

import hashlib
import json
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from chalicelib.domain.signatures import load_certificate, signed_bytes

from . import SigningError, add_signature

MAX_BODY = 256 * 1024
ALGORITHMS = {"RSA": "RS256", "EC-P256": "ES256"}


@dataclass(frozen=True)
class Signer:
    title: str
    key_pem: bytes
    cert_pem: bytes
    password: bytes | None = None

    def public(self) -> dict:
        cert = load_certificate(self.cert_pem.decode("ascii", "replace"), "certificate")
        return {"title": self.title, "subject": cert.subject, "algorithm": ALGORITHMS[cert.key_type]}


def signer_from_files(title: str, key: Path, cert: Path, password: bytes | None = None) -> Signer:
    signer = Signer(title, Path(key).read_bytes(), Path(cert).read_bytes(), password)
    signer.public()   # an unusable certificate fails at start, not at the first signature
    return signer


class SigningHelper:
    """The helper's HTTP server on 127.0.0.1 (port 0: a free one), in a thread of its own."""

    def __init__(self, signers: list[Signer], origins: list[str], port: int = 8765,
                 log=None) -> None:
        self.signers = {s.title: s for s in signers}
        self.origins = set(origins)
        self.log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> SigningHelper:
        self._thread = threading.Thread(target=self.server.serve_forever, name="signtool-serve",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def sign(self, body: object) -> dict:
        if not isinstance(body, dict) or not isinstance(body.get("title"), str):
            raise SigningError('the request must be {"title": ..., "submission": {...}}')
        signer = self.signers.get(body["title"])
        if signer is None:
            raise LookupError(body["title"])
        signed = add_signature(body.get("submission"), signer.key_pem, signer.cert_pem, signer.title,
                               password=signer.password)
        digest = hashlib.sha256(signed_bytes(signed["content"])).hexdigest()
        self.log(f"signtool serve: signed as {signer.title}, content sha256 {digest}")
        return signed


def _handler(helper: SigningHelper):
    class Handler(BaseHTTPRequestHandler):
        server_version = "signtool"

        def log_message(self, *args) -> None:   # no access log: the helper logs what it signs
            pass

        def _cors(self) -> bool:
            origin = self.headers.get("Origin")
            if origin is None:   # not a browser page: a local program may ask
                return True
            if origin not in helper.origins:
                return False
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Vary", "Origin")
            return True

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self._cors()
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def _refuse_foreign_origin(self) -> bool:
            if self.headers.get("Origin") not in (None, *helper.origins):
                self._answer(403, {"error": {"code": "origin_not_allowed",
                                             "message": "Trang này không được phép dùng công cụ ký."}})
                return True
            return False

        def do_OPTIONS(self) -> None:   # the browser's preflight before a JSON POST
            if self._refuse_foreign_origin():
                return
            self.send_response(204)
            self._cors()
            self.send_header("Access-Control-Allow-Methods", "GET, POST")
            self.send_header("Access-Control-Allow-Headers", "Content-Type")
            if self.headers.get("Access-Control-Request-Private-Network"):
                self.send_header("Access-Control-Allow-Private-Network", "true")
            self.send_header("Access-Control-Max-Age", "600")
            self.end_headers()

        def do_GET(self) -> None:
            if self._refuse_foreign_origin():
                return
            if self.path != "/signers":
                self._answer(404, {"error": {"code": "not_found", "message": "Không có đường dẫn này."}})
                return
            self._answer(200, {"signers": [s.public() for s in helper.signers.values()]})

        def do_POST(self) -> None:
            if self._refuse_foreign_origin():
                return
            if self.path != "/sign":
                self._answer(404, {"error": {"code": "not_found", "message": "Không có đường dẫn này."}})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_BODY:
                self._answer(413, {"error": {"code": "too_large", "message": "Nội dung quá lớn."}})
                return
            try:
                self._answer(200, helper.sign(json.loads(self.rfile.read(length).decode("utf-8"))))
            except (ValueError, SigningError) as err:   # JSON errors are ValueErrors too
                self._answer(400, {"error": {"code": "cannot_sign", "message": f"Không ký được: {err}"}})
            except LookupError:
                self._answer(404, {"error": {"code": "no_such_signer",
                                             "message": "Công cụ ký không có chứng thư cho chức danh này."}})
    return Handler
