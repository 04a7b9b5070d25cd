"""Payee lists kept beside the dossier, in the documents bucket.

A 5,000-line payroll is 0.5–1 MB of JSON; a DynamoDB item holds 400 KB. So the list a unit signs
is written as its own object, content-addressed: `documents/<unit>/payee-lists/<sha256>.json`
holds `content.payee_list` as compact JSON (keys sorted), and the dossier's body keeps a reference with
that SHA-256 (docs/payee-lists.md). Writing the same list twice writes the same bytes under the
same key, so a retried submission is harmless; S3 checks the SHA-256 it is sent
(`ChecksumSHA256`) and every read checks it again, so a list is never taken on its key's word.
"""
from __future__ import annotations

import base64
import hashlib
from typing import Any

from . import aws


class PayeeListCorrupt(Exception):
    """The object under a list's key is not the list the dossier references."""


class PayeeListObjects:
    def __init__(self, bucket: str, region: str) -> None:
        self.bucket, self.region = bucket, region

    @property
    def _s3(self) -> Any:
        return aws.client("s3", self.region)

    @staticmethod
    def key(unit_id: str, sha256: str) -> str:
        return f"documents/{unit_id}/payee-lists/{sha256}.json"

    def put(self, unit_id: str, sha256: str, data: bytes) -> str:
        """Write the list's bytes under their own hash (idempotent); returns the key."""
        key = self.key(unit_id, sha256)
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=data,
                            ContentType="application/json",
                            ChecksumSHA256=base64.b64encode(bytes.fromhex(sha256)).decode())
        return key

    def get(self, key: str, sha256: str) -> bytes:
        """The list's bytes, checked against the hash the dossier holds."""
        data = self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise PayeeListCorrupt(key)
        return data
