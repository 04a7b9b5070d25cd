"""Command line for the signing tool:

  python -m signtool sign --in dossier.json --key key.pem --cert cert.pem --title chief_accountant \
      [--out signed.json] [--password-env VAR]
  python -m signtool verify --in signed.json
  python -m signtool serve --signer chief_accountant key.pem cert.pem [--signer TITLE KEY CERT]
      [--port 8765] [--origin http://127.0.0.1:8000]   (the web console's local helper: serve.py)

`verify` checks only the maths of each signature against its embedded certificate; whether the
certificate is trusted, valid and registered is the server's decision. Exit codes: 0 success,
1 a signature does not verify, 2 unusable input.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from chalicelib.domain.errors import InvalidField
from chalicelib.domain.signatures import load_certificate, signed_bytes, verify_signature

from . import SigningError, add_signature

ALGORITHMS = {"RSA": "RS256", "EC-P256": "ES256"}


class UsageError(Exception):
    pass


def _read_json(path: str) -> object:
    try:
        raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        return json.loads(raw.decode("utf-8"))
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        # Only the position is reported, never the text: the file might be a key by mistake.
        where = f"line {err.lineno} column {err.colno}" if isinstance(err, json.JSONDecodeError) else "?"
        raise UsageError(f"{path} is not UTF-8 JSON (at {where})") from None


def _read_bytes(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as err:
        raise UsageError(f"cannot read the {what} file {path}: {err.strerror}") from None


def _sign(args: argparse.Namespace) -> int:
    document = _read_json(args.input)
    # A submission is {"content": {...}, ...}; anything else is taken as bare content.
    if isinstance(document, dict) and isinstance(document.get("content"), dict):
        submission = document
    elif isinstance(document, dict):
        submission = {"content": document}
    else:
        raise UsageError("the input must be a JSON object")
    password = None
    if args.password_env:
        if args.password_env not in os.environ:
            raise UsageError(f"environment variable {args.password_env} is not set")
        password = os.environ[args.password_env].encode("utf-8")
    signed = add_signature(submission, _read_bytes(args.key, "key"), _read_bytes(args.cert, "certificate"),
                           args.title, password=password)
    text = json.dumps(signed, ensure_ascii=False, indent=2) + "\n"
    if args.out:
        try:
            Path(args.out).write_text(text, encoding="utf-8")
        except OSError as err:
            raise UsageError(f"cannot write {args.out}: {err.strerror}") from None
    else:
        sys.stdout.buffer.write(text.encode("utf-8"))
    return 0


def _verify(args: argparse.Namespace) -> int:
    document = _read_json(args.input)
    if not isinstance(document, dict) or not isinstance(document.get("content"), dict):
        raise UsageError('the input must be a submission with a "content" object')
    signatures = document.get("signatures")
    if not isinstance(signatures, list) or not signatures:
        print("no signatures", file=sys.stderr)
        return 1
    try:
        data = signed_bytes(document["content"])
    except ValueError as err:
        raise UsageError(f"the content cannot be canonicalised (RFC 8785): {err}") from None
    failed = 0
    for index, entry in enumerate(signatures):
        entry = entry if isinstance(entry, dict) else {}
        title = entry.get("title", f"#{index}")
        try:
            cert = load_certificate(entry.get("certificate"), "certificate")
            verify_signature(cert, data, entry.get("signature"), "signature")
            if entry.get("algorithm") != ALGORITHMS[cert.key_type]:
                raise InvalidField("algorithm does not match the key", code="algorithm_mismatch")
        except InvalidField as err:
            failed += 1
            print(f"FAIL {title}: {err.code} ({err.message})")
            continue
        print(f"OK   {title}: {cert.subject} serial={cert.serial} {entry['algorithm']}")
    return 1 if failed else 0


def _serve(args: argparse.Namespace) -> int:
    import threading

    from .serve import SigningHelper, signer_from_files
    password = None
    if args.password_env:
        if args.password_env not in os.environ:
            raise UsageError(f"environment variable {args.password_env} is not set")
        password = os.environ[args.password_env].encode("utf-8")
    try:
        signers = [signer_from_files(title, Path(key), Path(cert), password)
                   for title, key, cert in args.signer]
    except OSError as err:
        raise UsageError(f"cannot read a key or certificate: {err.strerror}") from None
    helper = SigningHelper(signers, args.origin or ["http://127.0.0.1:8000", "http://localhost:8000"],
                           port=args.port).start()
    print(f"signtool serve: {helper.url} for {', '.join(sorted(helper.origins))}; "
          f"titles {', '.join(s.title for s in signers)} (Ctrl-C stops)", file=sys.stderr, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        helper.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m signtool", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sign = commands.add_parser("sign", help="add a signature to a dossier")
    sign.add_argument("--in", dest="input", required=True, help="dossier JSON ('-' for stdin)")
    sign.add_argument("--key", required=True, help="PEM private key")
    sign.add_argument("--cert", required=True, help="PEM certificate of that key")
    sign.add_argument("--title", required=True, help="e.g. chief_accountant, account_holder")
    sign.add_argument("--out", help="output file (default: stdout)")
    sign.add_argument("--password-env", help="environment variable holding the key's password")
    verify = commands.add_parser("verify", help="check the signatures' maths")
    verify.add_argument("--in", dest="input", required=True, help="signed submission JSON")
    serve = commands.add_parser("serve", help="the web console's signing helper on 127.0.0.1")
    serve.add_argument("--signer", nargs=3, action="append", required=True,
                       metavar=("TITLE", "KEY", "CERT"), help="a title and its PEM key and certificate")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--origin", action="append",
                       help="a page origin allowed to ask (default: the local console's)")
    serve.add_argument("--password-env", help="environment variable holding the keys' password")
    args = parser.parse_args(argv)
    try:
        return {"sign": _sign, "verify": _verify, "serve": _serve}[args.command](args)
    except (UsageError, SigningError) as err:
        print(f"signtool: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
