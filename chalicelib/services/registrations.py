"""Registration to use the online service (form TK01), on the same engine as payments.

A unit that has no logins yet submits the form signed by its account holder; the office's control
officer accepts or refuses it in its inbox like any dossier; on acceptance the workflow's
activation step (worker queue) creates the unit, its accounts and its users' logins (Cognito
e-mails each an invitation), and binds the signing certificate to the account holder.
"""
from __future__ import annotations

from datetime import datetime

from ..adapters import identity
from ..adapters.models import Account, Dossier, RegisteredCertificate, Unit
from ..adapters.repository import Repository
from ..adapters.workflow import Workflows
from ..config import Config
from ..domain import catalogue
from ..domain.calendar import local_date
from ..domain.changes import REMOVE
from ..domain.commands import Submit
from ..domain.errors import BadRequest, Conflict, InvalidField
from ..domain.registration import Registration, parse_registration
from . import certificates, common, dossiers, signing, system_steps


def submit(cmd: Submit, idempotency_key: str | None, *, repo: Repository, workflows: Workflows,
           config: Config, now: datetime) -> tuple[int, dict]:
    dossiers.check_idempotency_key(idempotency_key)
    if not isinstance(cmd.content, dict):
        raise BadRequest("Cần nội dung đăng ký (content) và chữ ký.", code="invalid_type",
                         field="content")
    content = cmd.content
    code = content.get("procedure")
    proc = catalogue.version_in_force(code if isinstance(code, str) else "", local_date(now))
    if not proc.without_login:
        raise InvalidField("Thủ tục này nộp qua POST /v1/dossiers.", code="wrong_endpoint",
                           field="content.procedure")
    reg = parse_registration(content.get("registration"))
    if not repo.office_exists(reg.office_id):
        raise InvalidField("Không có đơn vị KBNN này.", code="unknown_office",
                           field="content.registration.unit.office_id")
    if repo.unit(reg.unit_id) is not None:
        raise Conflict("Đơn vị đã đăng ký sử dụng dịch vụ.", code="unit_already_registered",
                       field="content.registration.unit.unit_id")
    # Whatever would make the activation fail after the office said yes is refused now.
    for i, account in enumerate(reg.accounts):
        if repo.account_owner(account.account_id) is not None:
            raise Conflict("Số tài khoản đã tồn tại.", code="account_exists",
                           field=f"content.registration.accounts[{i}].account_id")
    for i, user in enumerate(reg.users):
        if identity.username_taken(config.region, config.user_pool_id, user.username):
            raise Conflict("Tên đăng nhập đã có người dùng.", code="username_taken",
                           field=f"content.registration.users[{i}].username")
    signed = signing.verify_submission(content, cmd.signatures,
                                       required=proc.required_signers, unit_id=reg.unit_id,
                                       repo=repo, now=now, applicant=reg.signer)
    actor = {"kind": "applicant", "unit_id": reg.unit_id, "signer": reg.signer,
             "certificate": signed[0]["fingerprint"]}
    return dossiers.receive(proc, cmd.as_sent, idempotency_key, unit_id=reg.unit_id,
                            office_id=reg.office_id, content=content, signatures=signed,
                            actor=actor, repo=repo, workflows=workflows, config=config, now=now,
                            idempotency_scope=f"registration#{reg.unit_id}")


def activate(message: dict, *, repo: Repository, workflows: Workflows, config: Config,
             now: datetime) -> str:
    """The activation step. Every write is idempotent, so a redelivered message completes a
    half-done activation instead of duplicating it."""
    return system_steps.run(
        message, repo=repo, workflows=workflows,
        work=lambda d: _activate(d, parse_registration(repo.body(d).content["registration"]), repo,
                                 config, now),
        outcome=lambda d: "activated" if d.status == catalogue.REGISTERED
        else "unit_registered_meanwhile")


def _activate(dossier: Dossier, reg: Registration, repo: Repository, config: Config,
              now: datetime) -> None:
    at = common.iso(now)
    unit = Unit(f"UNIT#{reg.unit_id}", unit_id=reg.unit_id, name=reg.name,
                office_id=reg.office_id, chapter_code=reg.chapter_code, email=reg.email,
                mandatory=reg.mandatory, registered_by=dossier.dossier_id, registered_at=at)
    created = repo.create_unit(unit, [Account(f"ACCOUNT#{a.account_id}", account_id=a.account_id,
                                              unit_id=reg.unit_id, kind=a.kind,
                                              balance=a.opening_balance) for a in reg.accounts])
    if not created:   # another form for the same unit was activated first
        _end(dossier, catalogue.REFUSED, "unit_registered_meanwhile", repo, at,
             reason="Đơn vị đã được đăng ký bởi một hồ sơ khác.")
        return
    subs = {u.username: identity.create_unit_user(config.region, config.user_pool_id, u.username,
                                                  u.role, reg.unit_id, u.email)
            for u in reg.users}
    signature = repo.body(dossier).signatures[0]
    cert = certificates.parse(signature["certificate"], "certificate")
    record = RegisteredCertificate(
        cert.fingerprint, holder=f"unit#{reg.unit_id}", serial_key=f"{cert.issuer}#{cert.serial}",
        pem=cert.pem, subject=cert.subject, not_before=common.iso(cert.not_before),
        not_after=common.iso(cert.not_after), title="account_holder",
        owner_sub=subs[reg.signer], owner_username=reg.signer, status="active", registered_at=at)
    existing = repo.certificate(cert.fingerprint)
    if existing is None:
        repo.register_certificate(record, repo.unit(reg.unit_id),
                                  certificates.UNIT_TITLE_LIMITS["account_holder"])
    _end(dossier, catalogue.REGISTERED, "activated", repo, at,
         result={"activated_at": at, "users": sorted(subs),
                 "accounts": [a.account_id for a in reg.accounts]})


def _end(dossier: Dossier, status: str, action: str, repo: Repository, at: str, *,
         reason: str | None = None, result: dict | None = None) -> None:
    repo.move_dossier(
        dossier,
        {"status": status, "step": REMOVE, "updated_at": at,
         "result": {"outcome": status, **(result or {}), **({"reason": reason} if reason else {})}},
        {"at": at, "actor": common.SYSTEM_ACTOR, "action": action, "step": "activation",
         "from_status": dossier.status, "to_status": status, "reason": reason})
