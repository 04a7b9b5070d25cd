"""Dossier documents: uploaded to S3 through presigned URLs with a SHA-256 that S3 enforces,
checked against the signed manifest at submission, and one-time legal documents kept on file."""
from __future__ import annotations

import hashlib
import urllib.error
import urllib.request

import boto3
import pytest

from devstack.demo import sample_content
from tests.integration.flow import Flow

pytestmark = pytest.mark.integration
BIG_CONTRACT = {"number": None, "date": "2026-03-01", "value": 120_000_000}


def ask_upload(flow: Flow, data: bytes, name: str = "hoa-don.pdf", **overrides) -> tuple[int, dict]:
    body = {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
            "content_type": "application/pdf", **overrides}
    return flow.api.call("POST", "/v1/documents", body, token=flow.unit)


def put(upload: dict, data: bytes) -> int:
    request = urllib.request.Request(upload["url"], data=data, method="PUT", headers=upload["headers"])
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def submit(flow: Flow, content: dict) -> tuple[int, dict]:
    return flow.api.call("POST", "/v1/dossiers", flow.signed(content), token=flow.unit)


def test_a_dossier_carries_uploaded_files_and_the_officer_downloads_them(flow, unique):
    invoice = f"hoa don {unique('INV')}".encode()
    entry = flow.upload("payee_list", "bang-ke.pdf", invoice)
    status, d = submit(flow, sample_content(unique("DOC"), documents=[entry]))
    assert status == 201, d

    status, docs = flow.api.call("GET", f"/v1/dossiers/{d['dossier_id']}/documents",
                                 token=flow.officer)
    assert status == 200, docs
    by_kind = {item["kind"]: item for item in docs["items"]}
    assert by_kind["payee_list"]["source"] == "dossier"
    with urllib.request.urlopen(by_kind["payee_list"]["download_url"], timeout=30) as response:
        assert response.read() == invoice
    # The year's budget-estimate approval is on file for the unit: relied on, not re-sent.
    assert by_kind["estimate_approval"]["source"] == "on_file"

    status, again = ask_upload(flow, invoice)
    assert (status, again["stored"], again["upload"]) == (200, True, None)


def test_s3_refuses_bytes_that_differ_from_the_declared_hash(flow, unique):
    declared = f"hop dong {unique('C')}".encode()
    status, answer = ask_upload(flow, declared)
    assert status == 201, answer
    assert put(answer["upload"], declared + b" (sua)") == 400
    assert put(answer["upload"], declared) == 200


def test_a_file_whose_bytes_differ_from_its_manifest_hash_refuses_the_dossier(stack, flow, unique):
    signed_bytes = f"bien ban nghiem thu {unique('A')}".encode()
    digest = hashlib.sha256(signed_bytes).hexdigest()
    # Something else sits under the file's key (written around the presigned URL, so S3 had no
    # checksum to enforce): the bytes in the bucket are not the bytes the unit signed.
    boto3.client("s3", endpoint_url=stack.endpoint_url, region_name=stack.env["AWS_REGION"]).put_object(
        Bucket=stack.env["DOCUMENTS_BUCKET"], Key=f"documents/1012345/{digest}", Body=b"other bytes")
    number = unique("MISMATCH")
    status, err = submit(flow, sample_content(number, documents=[
        {"kind": "acceptance_record", "name": "nghiem-thu.pdf", "sha256": digest}]))
    assert (status, err["error"]["code"], err["error"]["field"]) == (
        422, "document_hash_mismatch", "content.documents[0].sha256"), err
    _, mine = flow.api.call("GET", "/v1/dossiers?limit=100", token=flow.unit)
    assert all(item["voucher_number"] != number for item in mine["items"])   # nothing written


def test_a_file_never_uploaded_is_refused(flow, unique):
    status, err = submit(flow, sample_content(unique("NOFILE"), documents=[
        {"kind": "payee_list", "name": "bang-ke.pdf", "sha256": "0" * 64}]))
    assert (status, err["error"]["code"]) == (422, "document_not_uploaded"), err


def test_a_contract_over_50_million_is_sent_once_and_kept_on_file(flow, unique):
    contract = {**BIG_CONTRACT, "number": unique("HD")}
    status, err = submit(flow, sample_content(unique("C1"), contract=contract))
    assert (status, err["error"]["code"], err["error"]["field"]) == (
        422, "document_required", "content.documents"), err
    assert "Hợp đồng" in err["error"]["message"]

    scan = flow.upload("contract", "hop-dong.pdf", f"hop dong {contract['number']}".encode())
    status, first = submit(flow, sample_content(unique("C1"), contract=contract, documents=[scan]))
    assert status == 201, first
    status, later = submit(flow, sample_content(unique("C2"), contract=contract))
    assert status == 201, later   # not asked for again
    _, docs = flow.api.call("GET", f"/v1/dossiers/{later['dossier_id']}/documents", token=flow.unit)
    on_file = next(i for i in docs["items"] if i["kind"] == "contract")
    assert (on_file["source"], on_file["sha256"], on_file["from_dossier"]) == (
        "on_file", scan["sha256"], first["dossier_id"])


def test_a_procedure_s_always_required_document_must_be_carried(flow, unique):
    oda = sample_content(unique("ODA"), procedure="oda_recording", payment_kind="oda_recording",
                         project={"code": "7654321", "name": "Dự án"},
                         funding={"agreement_number": "IDA-6789-VN", "lender": "IDA",
                                  "currency": "USD", "original_amount": "10.00"})
    status, err = submit(flow, oda)
    assert (status, err["error"]["code"]) == (422, "document_required"), err
    assert "nhà tài trợ" in err["error"]["message"]
    status, err = submit(flow, {**oda, "documents": [
        {"kind": "contract_scan", "name": "x.pdf", "sha256": "0" * 64}]})
    assert (status, err["error"]["field"]) == (422, "content.documents[0].kind"), err


def test_bad_upload_requests_name_the_field(flow):
    data = b"x"
    for overrides, field in (({"size": 0}, "size"),
                             ({"size": 21 * 1024 * 1024}, "size"),
                             ({"content_type": "application/x-msdownload"}, "content_type"),
                             ({"name": "../../etc/passwd"}, "name"),
                             ({"sha256": "not-a-hash"}, "sha256")):
        status, err = ask_upload(flow, data, **overrides)
        assert (status, err["error"]["field"]) == (422, field), (overrides, err)


def test_only_the_unit_uploads_and_only_those_who_may_read_the_dossier_see_its_files(
        flow, tokens, unique):
    status, err = flow.api.call("POST", "/v1/documents", {
        "name": "a.pdf", "sha256": "1" * 64, "size": 1, "content_type": "application/pdf"},
        token=flow.officer)
    assert (status, err["error"]["code"]) == (403, "role_not_allowed"), err
    status, d = submit(flow, sample_content(unique("SEE")))
    assert status == 201
    for outsider in ("kiemsoat.kv2", "ketoan.bvdd"):
        status, err = flow.api.call("GET", f"/v1/dossiers/{d['dossier_id']}/documents",
                                    token=tokens[outsider])
        assert (status, err["error"]["code"]) == (404, "dossier_not_found"), (outsider, err)
