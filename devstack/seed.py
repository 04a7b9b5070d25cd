"""Demo data for the local stack: two treasury offices, a few units with estimate and deposit
accounts, and a user for every role.

DEMO ONLY: the shared password below exists so the README's curl lines work; `seed()` refuses to
run against anything but a loopback endpoint, so it can never land in a real user pool.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

import boto3

DEMO_PASSWORD = "Demo-only-2026"  # DEMO ONLY, local moto stack

OFFICES = [
    {"office_id": "KBNN", "name": "Kho bạc Nhà nước (Trung ương)", "parent_id": None},
    {"office_id": "KV1", "name": "Kho bạc Nhà nước Khu vực I (Hà Nội)", "parent_id": "KBNN"},
    {"office_id": "KV2", "name": "Kho bạc Nhà nước Khu vực II (TP. Hồ Chí Minh)", "parent_id": "KBNN"},
]
UNITS = [
    {"unit_id": "1012345", "name": "Trường THPT Chu Văn An", "office_id": "KV1",
     "chapter_code": "422", "email": "ketoan@chuvanan.example.vn"},
    {"unit_id": "1023456", "name": "Bệnh viện Đa khoa Đống Đa", "office_id": "KV1",
     "chapter_code": "423", "email": "taichinh@bvdongda.example.vn"},
    {"unit_id": "1034567", "name": "UBND Phường Sài Gòn", "office_id": "KV2",
     "chapter_code": "805", "email": "ketoan@phuongsaigon.example.vn"},
]
ACCOUNTS = [
    # (account, unit, kind, opening balance in đồng)
    ("9523.1.1012345", "1012345", "estimate", 2_000_000_000),
    ("3713.1.1012345", "1012345", "deposit", 150_000_000),
    ("9523.1.1023456", "1023456", "estimate", 5_000_000_000),
    ("3713.1.1023456", "1023456", "deposit", 20_000_000),
    ("9523.1.1034567", "1034567", "estimate", 800_000_000),
]


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
    DemoUser("ketoan.bvdd", "unit_accountant", unit_id="1023456"),
    DemoUser("ketoan.psg", "unit_accountant", unit_id="1034567"),
    DemoUser("kiemsoat.kv1", "control_officer", office_id="KV1"),
    DemoUser("lanhdao.kv1", "leader", office_id="KV1"),
    DemoUser("kiemsoat.kv2", "control_officer", office_id="KV2"),
    DemoUser("lanhdao.kv2", "leader", office_id="KV2"),
]


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
        ddb.put_item(TableName=table, Item=item)
    for unit in UNITS:
        ddb.put_item(TableName=table, Item={
            "pk": {"S": f"UNIT#{unit['unit_id']}"}, "unit_id": {"S": unit["unit_id"]},
            "name": {"S": unit["name"]}, "office_id": {"S": unit["office_id"]},
            "chapter_code": {"S": unit["chapter_code"]}, "email": {"S": unit["email"]},
            "mandatory": {"BOOL": True}})
    for account_id, unit_id, kind, balance in ACCOUNTS:
        ddb.put_item(TableName=table, Item={
            "pk": {"S": f"ACCOUNT#{account_id}"}, "account_id": {"S": account_id},
            "unit_id": {"S": unit_id}, "kind": {"S": kind}, "balance": {"N": str(balance)},
            "version": {"N": "1"}})

    cognito = session.client("cognito-idp", endpoint_url=endpoint_url)
    pool = env["USER_POOL_ID"]
    for user in USERS:
        attributes = [{"Name": "custom:unit_id", "Value": user.unit_id}] if user.unit_id else \
            [{"Name": "custom:office_id", "Value": user.office_id}]
        cognito.admin_create_user(UserPoolId=pool, Username=user.username,
                                  UserAttributes=attributes, MessageAction="SUPPRESS")
        cognito.admin_set_user_password(UserPoolId=pool, Username=user.username,
                                        Password=DEMO_PASSWORD, Permanent=True)
        cognito.admin_add_user_to_group(UserPoolId=pool, Username=user.username,
                                        GroupName=user.role)
