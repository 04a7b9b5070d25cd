"""The documents bucket: content-addressed files of each unit, uploaded by the unit's own client
through presigned URLs and read by officers the same way; the API never carries file bytes.

An object's key is `documents/<unit>/<sha256 hex>`. The presigned PUT signs the
`x-amz-checksum-sha256` header, so S3 refuses bytes whose SHA-256 differs from the declared one
(BadDigest). When reading back, S3's stored checksum is trusted if present; an object stored
without one (moto keeps none) is hashed from its bytes: a file is never taken on its key's word.
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from . import aws

UPLOAD_SECONDS = 900
DOWNLOAD_SECONDS = 300


@dataclass(frozen=True)
class StoredFile:
    size: int
    sha256: str      # hex, as stored by S3 or computed from the bytes


class DocumentStore:
    def __init__(self, bucket: str, region: str) -> None:
        self.bucket, self.region = bucket, region

    @property
    def _s3(self) -> Any:
        return aws.client("s3", self.region)

    @staticmethod
    def key(unit_id: str, sha256: str) -> str:
        return f"documents/{unit_id}/{sha256}"

    def upload_url(self, unit_id: str, sha256: str, content_type: str) -> tuple[str, dict[str, str]]:
        """A presigned PUT and the headers the uploader must send with it."""
        checksum = base64.b64encode(bytes.fromhex(sha256)).decode()
        url = self._s3.generate_presigned_url("put_object", ExpiresIn=UPLOAD_SECONDS, Params={
            "Bucket": self.bucket, "Key": self.key(unit_id, sha256),
            "ContentType": content_type, "ChecksumSHA256": checksum})
        return url, {"Content-Type": content_type, "x-amz-checksum-sha256": checksum}

    def download_url(self, unit_id: str, sha256: str, name: str) -> str:
        return self._s3.generate_presigned_url("get_object", ExpiresIn=DOWNLOAD_SECONDS, Params={
            "Bucket": self.bucket, "Key": self.key(unit_id, sha256),
            "ResponseContentDisposition": f"attachment; filename=\"{name}\""})

    def stored(self, unit_id: str, sha256: str) -> StoredFile | None:
        """What the bucket holds under the file's key, with its true SHA-256; None if nothing."""
        from botocore.exceptions import ClientError
        key = self.key(unit_id, sha256)
        try:
            head = self._s3.head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        checksum = head.get("ChecksumSHA256")
        if checksum and "-" not in checksum:   # a multipart checksum is of parts, not the file
            return StoredFile(int(head["ContentLength"]), base64.b64decode(checksum).hex())
        body = self._s3.get_object(Bucket=self.bucket, Key=key)["Body"]
        digest = hashlib.sha256()
        for chunk in iter(lambda: body.read(1 << 20), b""):
            digest.update(chunk)
        return StoredFile(int(head["ContentLength"]), digest.hexdigest())
