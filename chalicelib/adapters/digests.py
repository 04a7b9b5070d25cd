"""The audit digests in the documents bucket, under `audit-digests/` (domain/digests.py).

Every version of a day's digest is read through ListObjectVersions and fetched by its version
id: a delete marker (which anyone allowed to delete can add, lock or not) hides the latest
version from a plain GetObject but not from this. Each PUT asks for its own retention; the
bucket has no default rule, so the units' uploaded documents are not locked.
"""
from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from ..domain import digests
from ..domain.calendar import to_utc_iso
from . import aws


class DigestStore:
    def __init__(self, bucket: str, region: str) -> None:
        self.bucket, self.region = bucket, region

    @property
    def _s3(self) -> Any:
        return aws.client("s3", self.region)

    def versions(self, day: str) -> tuple[list[digests.StoredDigest], bool]:
        """Every stored version of the day's digest, oldest first, and whether a delete marker
        hides the latest one (someone tried to remove it; the locked versions stay)."""
        key = digests.key(day)
        found: list[dict] = []
        hidden = False
        for page in self._s3.get_paginator("list_object_versions").paginate(Bucket=self.bucket,
                                                                            Prefix=key):
            found += [v for v in page.get("Versions", []) if v["Key"] == key]
            hidden |= any(m["Key"] == key and m.get("IsLatest") for m in page.get("DeleteMarkers", []))
        # S3 lists a key's versions newest first.
        return [self._read(day, key, v["VersionId"]) for v in reversed(found)], hidden

    def _read(self, day: str, key: str, version_id: str) -> digests.StoredDigest:
        answer = self._s3.get_object(Bucket=self.bucket, Key=key, VersionId=version_id)
        data = answer["Body"].read()
        until = answer.get("ObjectLockRetainUntilDate")
        try:
            body = json.loads(data)
        except ValueError:
            body = {}
        return digests.StoredDigest(
            day=day, version_id=version_id, sha256=hashlib.sha256(data).hexdigest(),
            body=body if isinstance(body, dict) else {}, lock_mode=answer.get("ObjectLockMode"),
            retain_until=to_utc_iso(until) if isinstance(until, datetime) else until)

    def put(self, day: str, data: bytes, *, lock_mode: str, retain_until: datetime) -> str:
        """Store a version of the day's digest, locked until `retain_until`; its version id."""
        checksum = base64.b64encode(hashlib.sha256(data).digest()).decode()
        answer = self._s3.put_object(
            Bucket=self.bucket, Key=digests.key(day), Body=data, ContentType="application/json",
            # S3 takes a lock only with an integrity check (Content-MD5 or an SDK checksum).
            ChecksumAlgorithm="SHA256", ChecksumSHA256=checksum,
            ObjectLockMode=lock_mode, ObjectLockRetainUntilDate=retain_until.astimezone(UTC))
        return answer.get("VersionId", "")
