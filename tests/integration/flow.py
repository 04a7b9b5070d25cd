"""Steps of the payment workflow driven through the public HTTP API, for the integration tests."""
from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

from devstack.demo import Api, sample_content, signed, upload
from tests.conftest import eventually


def get_page(api: Api, path: str, token: str) -> tuple[int, dict[str, str], str]:
    """GET what the API answers as a page (text/html), as a browser does: status, headers and
    the page (or the JSON error) as text."""
    request = urllib.request.Request(api.base + path)
    request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read().decode("utf-8")


class Flow:
    def __init__(self, api: Api, tokens: dict[str, str], pki_dir: Path, unit: str = "ketoan.cva",
                 officer: str = "kiemsoat.kv1", leader: str = "lanhdao.kv1") -> None:
        self.api, self.tokens, self.pki_dir = api, tokens, pki_dir
        self.unit, self.officer, self.leader = tokens[unit], tokens[officer], tokens[leader]

    def signed(self, content: dict) -> dict:
        return signed(content, self.pki_dir, content["voucher"]["payer"]["unit_code"])

    def submit(self, number: str, amount: int = 1_000_000, **payer) -> dict:
        status, body = self.api.call("POST", "/v1/dossiers",
                                     self.signed(sample_content(number, amount, **payer)),
                                     token=self.unit)
        assert status == 201, body
        return body

    def upload(self, kind: str, name: str, data: bytes) -> dict:
        """A file of the unit, uploaded; its manifest entry."""
        return upload(self.api, self.unit, kind, name, data)

    def task(self, token: str, dossier_id: str, *, kind: str = "decision") -> dict:
        def probe():
            cursor = ""
            while True:  # inboxes outgrow one page over a test session
                _, inbox = self.api.call("GET", f"/v1/tasks?state=open&limit=200{cursor}",
                                         token=token)
                match = next((t for t in inbox["items"]
                              if t["dossier_id"] == dossier_id and t["kind"] == kind), None)
                if match or not inbox.get("next_cursor"):
                    return match
                cursor = f"&cursor={inbox['next_cursor']}"
        return eventually(probe)

    def decide(self, token: str, dossier_id: str, decision: str, reason: str | None = None,
               ) -> tuple[int, dict]:
        """Decide the dossier's open task. An overdue step can expire between reading the inbox
        and deciding (its replacement then appears): like an officer, take the new task."""
        body = {"decision": decision} if reason is None else {"decision": decision, "reason": reason}
        for _ in range(5):
            task = self.task(token, dossier_id)
            status, answer = self.api.call("POST", f"/v1/tasks/{task['task_id']}/decision", body,
                                           token=token)
            if (status, answer.get("error", {}).get("code")) != (409, "task_expired"):
                return status, answer
            eventually(lambda: self.task(token, dossier_id)["task_id"] != task["task_id"])
        return status, answer

    def dossier(self, dossier_id: str, token: str | None = None) -> dict:
        status, body = self.api.call("GET", f"/v1/dossiers/{dossier_id}", token=token or self.unit)
        assert status == 200, body
        return body

    def reaches(self, dossier_id: str, status: str, timeout: float = 60) -> dict:
        # Generous: the ledger's round trip and the event pump share two cores with the suite.
        last: dict = {}

        def probe():
            last.update(self.dossier(dossier_id))
            return last["status"] == status and dict(last)
        try:
            return eventually(probe, timeout=timeout)
        except AssertionError:
            raise AssertionError(f"{dossier_id} stayed {last.get('status')} at step "
                                 f"{last.get('step')} (result {last.get('result')}), "
                                 f"not {status}") from None

    def balance(self, account: str) -> int:
        status, body = self.api.call("GET", f"/v1/accounts/{account}", token=self.unit)
        assert status == 200, body
        return body["balance"]
