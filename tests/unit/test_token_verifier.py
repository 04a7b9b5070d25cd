"""The token verifier's guards, against a real JWKS served over HTTP on loopback: a forged `kid`
cannot make every request a JWKS fetch, and a verified token is not verified again until it
expires."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.adapters.identity import TokenVerifier
from chalicelib.domain.errors import Unauthenticated

pytestmark = pytest.mark.unit
ISSUER, AUDIENCE = "https://issuer.example", "client-1"


@pytest.fixture(scope="module")
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks(key):
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()
    fetches: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            fetches.append(time.time())
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/jwks.json", fetches
    server.shutdown()


def token(key, kid="k1", **claims) -> str:
    now = int(time.time())
    body = {"sub": "u1", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 3600,
            "token_use": "id", "cognito:groups": ["control_officer"], **claims}
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


def test_a_forged_kid_refreshes_the_keys_at_most_once_a_cooldown(key, jwks):
    url, fetches = jwks
    clock = [1000.0]
    verifier = TokenVerifier(ISSUER, AUDIENCE, url, clock=lambda: clock[0])
    verifier.verify(token(key))
    fetched = len(fetches)
    for _ in range(20):
        with pytest.raises(Unauthenticated):
            verifier.verify(token(key, kid="forged"))
    assert len(fetches) == fetched + 1
    clock[0] += TokenVerifier.REFRESH_COOLDOWN_SECONDS + 1
    with pytest.raises(Unauthenticated):
        verifier.verify(token(key, kid="forged"))
    assert len(fetches) == fetched + 2


def test_a_verified_token_is_answered_from_the_cache_until_it_expires(key, jwks):
    url, _ = jwks
    clock = [time.time()]
    verifier = TokenVerifier(ISSUER, AUDIENCE, url, clock=lambda: clock[0])
    decoded = []
    original = verifier._verify
    verifier._verify = lambda t: decoded.append(t) or original(t)
    good = token(key)
    assert verifier.verify(good).roles == {"control_officer"}
    assert verifier.verify(good).username == "u1"
    assert len(decoded) == 1
    clock[0] += 3601                       # past the token's exp: not served from the cache
    verifier.verify(good)
    assert len(decoded) == 2


def test_a_token_with_a_tampered_claim_is_refused_even_after_the_real_one_was_cached(key, jwks):
    url, _ = jwks
    verifier = TokenVerifier(ISSUER, AUDIENCE, url)
    good = token(key)
    verifier.verify(good)
    header, payload, signature = good.split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    claims["cognito:groups"] = ["leader"]
    forged = ".".join([header, jwt.utils.base64url_encode(json.dumps(claims).encode()).decode(),
                       signature])
    with pytest.raises(Unauthenticated):
        verifier.verify(forged)
