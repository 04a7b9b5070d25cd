"""One signed submission against a fresh local stack, with tracing switched on by the caller's
environment: `python -m tests.integration.trace_submission` prints the API's answer as JSON.

test_observability.py runs it while it listens for the X-Ray segments on a UDP port. Tracing
patches botocore for the whole process and cannot be undone, so it gets a process of its own.
"""
from __future__ import annotations

import json
import uuid

from devstack.demo import Api, sample_content, signed
from devstack.stack import LocalStack


def main() -> None:
    with LocalStack(moto_port=0, api_port=0, quiet=True, pump=False, ledger=False) as stack:
        api = Api(stack.api_url)
        token = api.login("ketoan.cva")
        status, body = api.call("POST", "/v1/dossiers",
                                signed(sample_content(f"XRAY-{uuid.uuid4().hex[:8]}"),
                                       stack.pki_dir), token=token)
        print(json.dumps({"status": status, "body": body}))


if __name__ == "__main__":
    main()
