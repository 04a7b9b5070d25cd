"""Demo data for the local stack: two treasury offices, a few units with estimate and deposit
accounts, and a user for every role.

DEMO ONLY: the shared password below exists so the README's curl lines work; `seed()` refuses to
run against anything but a loopback endpoint, so it can never land in a real user pool.
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

import boto3

from chalicelib.domain.commands import RegisterCertificate
from chalicelib.domain.commands import parse as command

DEMO_PASSWORD = "Demo-only-2026"  # DEMO ONLY, local moto stack
DEMO_CERTIFICATE_AGE = timedelta(days=30)   # how long ago the demo signers registered

# Each office's working hours are its own data (the risk warnings' "outside working hours"); the
# demo offices keep the usual 07:00–18:00, KBNN's headquarters has no counter and no hours.
OFFICE_HOURS = {"start": "07:00", "end": "18:00"}
OFFICES = [
    {"office_id": "KBNN", "name": "Kho bạc Nhà nước (Trung ương)", "parent_id": None},
    {"office_id": "KV1", "name": "Kho bạc Nhà nước Khu vực I (Hà Nội)", "parent_id": "KBNN"},
    {"office_id": "KV2", "name": "Kho bạc Nhà nước Khu vực II (TP. Hồ Chí Minh)", "parent_id": "KBNN"},
    {"office_id": "KV1-CG", "name": "Phòng Giao dịch Cầu Giấy (KBNN Khu vực I)", "parent_id": "KV1"},
]
UNITS = [
    {"unit_id": "1012345", "name": "Trường THPT Chu Văn An", "office_id": "KV1",
     "chapter_code": "422", "email": "ketoan@chuvanan.example.vn"},
    {"unit_id": "1023456", "name": "Bệnh viện Đa khoa Đống Đa", "office_id": "KV1",
     "chapter_code": "423", "email": "taichinh@bvdongda.example.vn"},
    {"unit_id": "1034567", "name": "UBND Phường Sài Gòn", "office_id": "KV2",
     "chapter_code": "805", "email": "ketoan@phuongsaigon.example.vn"},
    {"unit_id": "1045678", "name": "Trường Tiểu học Dịch Vọng", "office_id": "KV1-CG",
     "chapter_code": "622", "email": "ketoan@thdichvong.example.vn"},
]
ACCOUNTS = [
    # (account, unit, kind, opening balance in đồng)
    # The unit the tests and the benchmark pay from: enough for thousands of test payments.
    ("9523.1.1012345", "1012345", "estimate", 50_000_000_000),
    ("3713.1.1012345", "1012345", "deposit", 150_000_000),
    ("9523.1.1023456", "1023456", "estimate", 5_000_000_000),
    ("3713.1.1023456", "1023456", "deposit", 20_000_000),
    ("9523.1.1034567", "1034567", "estimate", 800_000_000),
    ("9523.1.1045678", "1045678", "estimate", 600_000_000),
]

# One-time legal documents on file for demo units: (unit, component kind, reference, file name).
# The budget-estimate approvals of the years the demo and the tests pay in, and one public
# investment project (7654321) financed by one IDA loan, for the investment and ODA procedures.
DEMO_PROJECT, DEMO_LOAN = "7654321", "IDA-6789-VN"
DEMO_TOTAL_INVESTMENT, DEMO_YEAR_PLAN = 900_000_000_000, 300_000_000_000
LEGAL_DOCUMENTS = [
    *((unit["unit_id"], "estimate_approval", str(year), f"giao-du-toan-{year}.pdf")
      for unit in UNITS for year in (2025, 2026, 2027)),
    ("1012345", "investment_decision", DEMO_PROJECT, "qd-phe-duyet-du-an.pdf"),
    *(("1012345", "capital_plan", f"{DEMO_PROJECT}#{year}", f"ke-hoach-von-{year}.pdf")
      for year in (2025, 2026, 2027)),
    ("1012345", "funding_agreement", DEMO_LOAN, "hiep-dinh-vay.pdf"),
    # The project's cost-estimate summary (254/2025 Art.8 cl.1 pt.đ, Mẫu 02.b/TT), sent once.
    ("1012345", "estimate_summary", DEMO_PROJECT, "bang-thong-tin-du-toan-02b.pdf"),
]


def demo_file(name: str) -> bytes:
    """Demo-only stand-in bytes for a document (not a real PDF)."""
    return f"%PDF-1.4\n% demo document: {name}\n".encode()


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    unit_id: str | None = None
    office_id: str | None = None


USERS = [
    DemoUser("ketoan.cva", "unit_accountant", unit_id="1012345"),
    DemoUser("ktt.cva", "chief_accountant", unit_id="1012345"),
    DemoUser("chutk.cva", "account_holder", unit_id="1012345"),
    DemoUser("phanmem.cva", "unit_software", unit_id="1012345"),
    DemoUser("ketoan.bvdd", "unit_accountant", unit_id="1023456"),
    DemoUser("ktt.bvdd", "chief_accountant", unit_id="1023456"),
    DemoUser("chutk.bvdd", "account_holder", unit_id="1023456"),
    DemoUser("ketoan.psg", "unit_accountant", unit_id="1034567"),
    DemoUser("ktt.psg", "chief_accountant", unit_id="1034567"),
    DemoUser("chutk.psg", "account_holder", unit_id="1034567"),
    DemoUser("phanmem.psg", "unit_software", unit_id="1034567"),
    DemoUser("ketoan.dv", "unit_accountant", unit_id="1045678"),
    DemoUser("ktt.dv", "chief_accountant", unit_id="1045678"),
    DemoUser("chutk.dv", "account_holder", unit_id="1045678"),
    DemoUser("kiemsoat.kv1", "control_officer", office_id="KV1"),
    # A second focal-point officer of KV1: two officers may open the same task at once.
    DemoUser("kiemsoat2.kv1", "control_officer", office_id="KV1"),
    DemoUser("lanhdao.kv1", "leader", office_id="KV1"),
    DemoUser("kiemsoat.kv2", "control_officer", office_id="KV2"),
    DemoUser("lanhdao.kv2", "leader", office_id="KV2"),
    DemoUser("kiemsoat.cg", "control_officer", office_id="KV1-CG"),
    DemoUser("lanhdao.cg", "leader", office_id="KV1-CG"),
    # The National Public Service Portal's machine client: reads the status feed, nothing else.
    DemoUser("cong.dvcqg", "portal"),
]
# Units each office must have on the service (the finance department's list), as its leader
# declares them: the denominator of the participation rate (docs/reports.md).
MANDATORY_UNITS = {"KV1": 2, "KV2": 1, "KV1-CG": 1}
SIGNING_TITLES = ("chief_accountant", "account_holder")
# Chief accountants sign with ECDSA P-256 and account holders with RSA: both algorithms stay used.
KEY_TYPES = {"chief_accountant": "ec", "account_holder": "rsa"}


def signer(unit_id: str, title: str) -> DemoUser:
    return next(u for u in USERS if u.unit_id == unit_id and u.role == title)


def seed(endpoint_url: str, env: dict[str, str], region: str = "us-east-1") -> None:
    if urlparse(endpoint_url).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise RuntimeError("demo data is for the local stack only")
    session = boto3.session.Session(region_name=region, aws_access_key_id="testing",
                                    aws_secret_access_key="testing")
    ddb = session.client("dynamodb", endpoint_url=endpoint_url)
    table = env["TABLE_DIRECTORY"]
    for office in OFFICES:
        item = {"pk": {"S": f"OFFICE#{office['office_id']}"},
                "office_id": {"S": office["office_id"]}, "name": {"S": office["name"]}}
        if office["parent_id"]:
            item["parent_id"] = {"S": office["parent_id"]}
            item["working_hours"] = {"S": json.dumps(OFFICE_HOURS)}   # the counters' offices
        ddb.put_item(TableName=table, Item=item)
    for unit in UNITS:
        ddb.put_item(TableName=table, Item={
            "pk": {"S": f"UNIT#{unit['unit_id']}"}, "unit_id": {"S": unit["unit_id"]},
            "name": {"S": unit["name"]}, "office_id": {"S": unit["office_id"]},
            "chapter_code": {"S": unit["chapter_code"]}, "email": {"S": unit["email"]},
            "mandatory": {"BOOL": True}, "registered_at": {"S": "2025-01-02T01:00:00Z"}})
    for account_id, unit_id, kind, balance in ACCOUNTS:
        ddb.put_item(TableName=table, Item={
            "pk": {"S": f"ACCOUNT#{account_id}"}, "account_id": {"S": account_id},
            "unit_id": {"S": unit_id}, "kind": {"S": kind}, "balance": {"N": str(balance)},
            "version": {"N": "1"}})

    _file_legal_documents(session, endpoint_url, env)
    # The demo project in the office's register (254/2025 Art.6 cl.4-5): its total investment
    # and a capital plan for each year the demo and the tests pay in.
    ddb.put_item(TableName=table, Item={
        "pk": {"S": f"PROJECT#{DEMO_PROJECT}"}, "project_code": {"S": DEMO_PROJECT},
        "name": {"S": "Cải tạo, nâng cấp trụ sở làm việc"}, "owner_unit": {"S": "1012345"},
        "office_id": {"S": "KV1"}, "total_investment": {"N": str(DEMO_TOTAL_INVESTMENT)},
        "plans": {"S": json.dumps({str(year): {"allocated": DEMO_YEAR_PLAN}
                                   for year in (2025, 2026, 2027)})},
        "updated_at": {"S": "2025-01-02T01:00:00Z"}, "updated_by": {"S": "seed"},
        "version": {"N": "1"}})
    for office_id, count in MANDATORY_UNITS.items():
        ddb.update_item(TableName=env["TABLE_AGGREGATES"],
                        Key={"pk": {"S": f"UNITS#{office_id}"}, "sk": {"S": "-"}},
                        UpdateExpression="SET mandatory_units = :n, mandatory_units_by = :by, "
                                         "mandatory_units_at = :at",
                        ExpressionAttributeValues={":n": {"N": str(count)}, ":by": {"S": "seed"},
                                                   ":at": {"S": "2025-01-02T01:00:00Z"}})

    cognito = session.client("cognito-idp", endpoint_url=endpoint_url)
    pool = env["USER_POOL_ID"]
    for user in USERS:
        attributes = [{"Name": "custom:unit_id", "Value": user.unit_id}] if user.unit_id else \
            [{"Name": "custom:office_id", "Value": user.office_id}] if user.office_id else []
        cognito.admin_create_user(UserPoolId=pool, Username=user.username,
                                  UserAttributes=attributes, MessageAction="SUPPRESS")
        cognito.admin_set_user_password(UserPoolId=pool, Username=user.username,
                                        Password=DEMO_PASSWORD, Permanent=True)
        cognito.admin_add_user_to_group(UserPoolId=pool, Username=user.username,
                                        GroupName=user.role)


def _file_legal_documents(session: Any, endpoint_url: str, env: dict[str, str]) -> None:
    """Put each demo legal document in the bucket (content-addressed, with its checksum) and on
    file for its unit, as if an earlier dossier had brought it."""
    s3, ddb = (session.client(name, endpoint_url=endpoint_url) for name in ("s3", "dynamodb"))
    for unit_id, kind, reference, name in LEGAL_DOCUMENTS:
        body = demo_file(f"{unit_id} {kind} {reference}")
        digest = hashlib.sha256(body).digest()
        s3.put_object(Bucket=env["DOCUMENTS_BUCKET"], Key=f"documents/{unit_id}/{digest.hex()}",
                      Body=body, ContentType="application/pdf",
                      ChecksumSHA256=base64.b64encode(digest).decode())
        ddb.put_item(TableName=env["TABLE_DIRECTORY"], Item={
            "pk": {"S": f"LEGALDOC#{unit_id}#{kind}#{reference}"}, "unit_id": {"S": unit_id},
            "kind": {"S": kind}, "reference": {"S": reference}, "sha256": {"S": digest.hex()},
            "name": {"S": name}, "registered_at": {"S": "2025-01-02T01:00:00Z"}})


def trust_demo_ca(env: dict[str, str], ca_pem: str, endpoint_url: str, region: str = "us-east-1") -> None:
    """Operator configuration: the CAs whose certificates the treasury accepts."""
    ddb = boto3.session.Session(region_name=region, aws_access_key_id="testing",
                                aws_secret_access_key="testing").client("dynamodb",
                                                                        endpoint_url=endpoint_url)
    ddb.put_item(TableName=env["TABLE_DIRECTORY"], Item={
        "pk": {"S": "TRUST#bundle"}, "pems": {"S": json.dumps([ca_pem])},
        "updated_at": {"S": "2026-01-01T00:00:00Z"}})


def register_demo_certificates(pki: Any, env: dict[str, str], endpoint_url: str,
                               region: str = "us-east-1") -> None:
    """Every demo signer gets a key pair from the demo CA and registers its certificate through
    the same service a person uses, proving possession with a signature made by signtool."""
    import signtool
    from chalicelib import clock, composition
    from chalicelib.adapters.identity import Principal
    from chalicelib.services import certificates, common

    cognito = boto3.session.Session(region_name=region, aws_access_key_id="testing",
                                    aws_secret_access_key="testing").client(
        "cognito-idp", endpoint_url=endpoint_url)
    repo = composition.services().repo
    for user in USERS:
        if user.role not in SIGNING_TITLES:
            continue
        attributes = cognito.admin_get_user(UserPoolId=env["USER_POOL_ID"],
                                            Username=user.username)["UserAttributes"]
        sub = next(a["Value"] for a in attributes if a["Name"] == "sub")
        principal = Principal(sub=sub, username=user.username, roles=frozenset({user.role}),
                              unit_id=user.unit_id, office_id=None)
        # Valid for two years back: tests replay dossiers received before Decree 347/2025.
        key_path, cert_path = pki.issue(user.username, key_type=KEY_TYPES[user.role],
                                        not_before=clock.now() - timedelta(days=730))
        cert = certificates.parse(cert_path.read_text(), "certificate")
        proof = signtool.sign_content(certificates.registration_challenge(cert.fingerprint, sub),
                                      key_path.read_bytes(), cert_path.read_bytes(), user.role)
        # Registered a month ago, as a working unit's signers would be: a certificate registered
        # within the last 24 hours is itself a risk flag on every dossier it signs.
        certificates.register(principal, command(RegisterCertificate, {
            "title": user.role, "certificate": cert.pem, "proof": proof["signature"]}), repo=repo,
                              now=clock.now() - DEMO_CERTIFICATE_AGE)
        # Demo data starts where an accepted change of signature specimens (Art. 8) would leave
        # it: the same approval the workflow's apply_changes step makes.
        repo.approve_certificate(repo.certificate(cert.fingerprint), common.iso(clock.now()))
