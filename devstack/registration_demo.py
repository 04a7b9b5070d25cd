"""A new unit joins the online service, over HTTP against a running `make run`:

  the account holder signs form TK01 (signtool) → the office accepts → the unit's logins exist
  → the account holder and the chief accountant log in, the chief accountant registers a
  certificate (pending) → the account holder's signed change of signature specimens (Decree
  347/2025 Art. 8) is accepted → the unit's first signed dossier is accepted, approved and paid.

Cognito e-mails new users a temporary password; the local stack has no mail, so
`accept_invitation` stands in for "open the e-mail and choose a password" (local only).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import boto3

from .demo import DEFAULT_PKI, Api, sample_content, upload, wait_for_status, wait_for_task
from .seed import DEMO_PASSWORD, demo_file
from .stack import api_url, moto_url


def tk01(unit_id: str, office_id: str = "KV1", prefix: str = "thcg") -> dict:
    return {"procedure": "service_registration", "registration": {
        "unit": {"unit_id": unit_id, "name": "Trường THCS Cầu Giấy", "office_id": office_id,
                 "chapter_code": "622", "email": f"ketoan@{prefix}.example.vn", "mandatory": True},
        "users": [
            {"username": f"chutk.{prefix}", "role": "account_holder", "full_name": "Nguyễn Văn An",
             "email": f"hieutruong@{prefix}.example.vn"},
            {"username": f"ktt.{prefix}", "role": "chief_accountant", "full_name": "Trần Thị Bình",
             "email": f"ktt@{prefix}.example.vn"},
            {"username": f"ketoan.{prefix}", "role": "unit_accountant", "full_name": "Lê Văn Cường",
             "email": f"ketoan@{prefix}.example.vn"}],
        "accounts": [{"account_id": f"9523.1.{unit_id}", "kind": "estimate",
                      "opening_balance": 300_000_000}],
        "signed_by": f"chutk.{prefix}"}}


# The codes this demo gives its new units when none is named: a unit registers once, so each
# run takes the next one (devstack.samples' new units are 19xxxxx, the seeded ones 10xxxxx).
DEMO_UNITS = range(1_800_001, 1_900_000)


class UnitTaken(Exception):
    """The office refuses the form at once: the unit, its account or a login already exists."""


def _cognito(endpoint_url: str):
    return boto3.client("cognito-idp", endpoint_url=endpoint_url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def fresh_unit(endpoint_url: str, pool_id: str) -> str:
    """The first demo unit code whose account holder has no login yet: each run registers a new
    unit (its logins are created when it is registered, and are named after its code)."""
    cognito = _cognito(endpoint_url)
    for code in DEMO_UNITS:
        try:
            cognito.admin_get_user(UserPoolId=pool_id, Username=f"chutk.u{code}")
        except cognito.exceptions.UserNotFoundException:
            return str(code)
    raise UnitTaken(f"every demo unit code {DEMO_UNITS.start}-{DEMO_UNITS.stop - 1} is taken")


def accept_invitation(endpoint_url: str, pool_id: str, username: str,
                      password: str = DEMO_PASSWORD) -> None:
    """Local stand-in for the invitation e-mail: the user sets a password (DEMO ONLY)."""
    _cognito(endpoint_url).admin_set_user_password(UserPoolId=pool_id, Username=username,
                                                   Password=password, Permanent=True)


def register_certificate(api: Api, token: str, pki_dir: Path, name: str, title: str) -> dict:
    """A signer registers the certificate in `pki_dir`, proving possession with signtool."""
    import signtool
    from chalicelib.services.certificates import parse, registration_challenge
    key, cert = (pki_dir / f"{name}.key.pem").read_bytes(), (pki_dir / f"{name}.cert.pem").read_text()
    _, me = api.call("GET", "/v1/me", token=token)
    fingerprint = parse(cert, "certificate").fingerprint
    proof = signtool.sign_content(registration_challenge(fingerprint, me["sub"]), key,
                                  cert.encode(), title)
    status, body = api.call("POST", "/v1/certificates", {"title": title, "certificate": cert,
                                                         "proof": proof["signature"]}, token=token)
    assert status == 201, body
    return body


def approve_specimens(api: Api, pki_dir: Path, *, submitter: str, holder: str,
                      fingerprints: list[str], officer: str) -> dict:
    """Art. 8: the account holder signs a change of signature specimens asking the office to
    approve pending certificates; the control officer accepts; the certificates become active."""
    import signtool
    content = {"procedure": "signature_specimens", "specimens": {"approve": fingerprints}}
    body = signtool.add_signature({"content": content}, (pki_dir / f"{holder}.key.pem").read_bytes(),
                                  (pki_dir / f"{holder}.cert.pem").read_bytes(), "account_holder")
    status, dossier = api.call("POST", "/v1/dossiers", body, token=submitter)
    assert status == 201, dossier
    task = wait_for_task(api, officer, dossier["dossier_id"])
    api.call("POST", f"/v1/tasks/{task['task_id']}/decision", {"decision": "accept"}, token=officer)
    return wait_for_status(api, officer, dossier["dossier_id"], "registered")


def register_unit(api: Api, pki_dir: Path, endpoint_url: str, pool_id: str, unit_id: str,
                  prefix: str, log=print) -> dict:
    """Steps 1-5: the unit registered, its people logged in, both signers' certificates active.
    Returns the registration's dossier id, the unit accountant's token and `sign(content)`, the
    content signed by the chief accountant and the account holder, ready to POST."""
    import signtool

    from .pki import DemoPKI
    pki = DemoPKI(pki_dir)   # the demo CA issues the new unit's signers their certificates
    for name, kind in ((f"chutk.{prefix}", "rsa"), (f"ktt.{prefix}", "ec")):
        pki.issue(name, key_type=kind)

    def keys(name):
        return (pki_dir / f"{name}.key.pem").read_bytes(), (pki_dir / f"{name}.cert.pem").read_bytes()

    form = signtool.add_signature({"content": tk01(unit_id, prefix=prefix)},
                                  *keys(f"chutk.{prefix}"), "account_holder")
    status, reg = api.call("POST", "/v1/registrations", form)
    if status == 409:
        raise UnitTaken(f"unit {unit_id} cannot register: {reg['error']['code']} "
                        f"({reg['error']['message']})")
    assert status == 201, reg
    log(f"1. TK01 for unit {unit_id} received: {reg['dossier_id']} ({reg['status']})")
    officer = api.login("kiemsoat.kv1")
    task = wait_for_task(api, officer, reg["dossier_id"])
    api.call("POST", f"/v1/tasks/{task['task_id']}/decision", {"decision": "accept"}, token=officer)
    wait_for_status(api, officer, reg["dossier_id"], "registered")
    log("2. the office accepted; the unit, its account and its users' logins now exist")

    users = [u["username"] for u in tk01(unit_id, prefix=prefix)["registration"]["users"]]
    for username in users:
        accept_invitation(endpoint_url, pool_id, username)
    holder, chief, accountant = (api.login(u) for u in users)
    _, certs = api.call("GET", "/v1/certificates", token=holder)
    log(f"3. the account holder logs in; certificates of the unit: "
        f"{[(c['owner_username'], c['title'], c['status']) for c in certs['items']]}")
    cert = register_certificate(api, chief, pki_dir, f"ktt.{prefix}", "chief_accountant")
    log(f"4. the chief accountant registered a certificate: {cert['status']}")
    approve_specimens(api, pki_dir, submitter=holder, holder=f"chutk.{prefix}",
                      fingerprints=[cert["fingerprint"]], officer=officer)
    log("5. the account holder's signed change of signature specimens (Art. 8) was accepted: "
        "the chief accountant's certificate is active")

    def sign(content: dict) -> dict:
        body = signtool.add_signature({"content": content}, *keys(f"ktt.{prefix}"),
                                      "chief_accountant")
        return signtool.add_signature(body, *keys(f"chutk.{prefix}"), "account_holder")
    return {"registration": reg["dossier_id"], "accountant": accountant, "sign": sign}


def run(api: Api, pki_dir: Path, endpoint_url: str, pool_id: str, unit_id: str,
        prefix: str, log=print) -> dict:
    unit = register_unit(api, pki_dir, endpoint_url, pool_id, unit_id, prefix, log=log)
    accountant, officer = unit["accountant"], api.login("kiemsoat.kv1")
    # Its first payment of the year carries the year's budget-estimate approval, once; later
    # dossiers find it on file.
    approval = upload(api, accountant, "estimate_approval", "giao-du-toan-2026.pdf",
                      demo_file(f"{unit_id} estimate_approval 2026"))
    content = sample_content("TK01-FIRST", 4_000_000, unit_code=unit_id, chapter_code="622",
                             account=f"9523.1.{unit_id}", documents=[approval])
    status, first = api.call("POST", "/v1/dossiers", unit["sign"](content), token=accountant)
    assert status == 201, first
    leader = api.login("lanhdao.kv1")
    for token, decision in ((officer, "accept"), (leader, "approve")):
        task = wait_for_task(api, token, first["dossier_id"])
        api.call("POST", f"/v1/tasks/{task['task_id']}/decision", {"decision": decision}, token=token)
    paid = wait_for_status(api, accountant, first["dossier_id"], "paid")
    log(f"6. the unit's first signed dossier {first['dossier_id']} is {paid['status']}")
    return {"registration": unit["registration"], "first_dossier": paid}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api", default=api_url(), help="the API (default: make run's, or KBNN_API_URL)")
    parser.add_argument("--moto", default=moto_url(), help="moto (make run's, or AWS_ENDPOINT_URL)")
    parser.add_argument("--pki", type=Path, default=DEFAULT_PKI)
    parser.add_argument("--unit", help="the new unit's 7-digit code (default: the next demo "
                                       f"code not yet registered, from {DEMO_UNITS.start})")
    args = parser.parse_args()
    pool = _cognito(args.moto).list_user_pools(MaxResults=10)["UserPools"][0]["Id"]
    try:
        unit = args.unit or fresh_unit(args.moto, pool)
        run(Api(args.api), args.pki, args.moto, pool, unit, f"u{unit}")
    except UnitTaken as exc:
        hint = "; leave out --unit to register a new one" if args.unit else ""
        print(f"registration_demo: {exc}{hint}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
