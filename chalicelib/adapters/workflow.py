"""The Step Functions gateway: start an execution named after its dossier, answer a task token.

Execution names make the start idempotent (a retried submission that finds its execution already
running is fine), and an expired or unknown token becomes the domain's TaskExpired. Anything else
AWS answers once botocore's retries are spent (throttling, 5xx, a timeout) becomes
WorkflowUnavailable: the caller has committed its change with a delivery marker
(services/delivery.py), and the sweeper delivers it later.
"""
from __future__ import annotations

import json

from ..domain.errors import Conflict
from . import aws


class TaskExpired(Conflict):
    code = "task_expired"
    message = "Nhiệm vụ đã hết hạn hoặc đã được xử lý; hồ sơ đã được chuyển lại vào hộp việc."


class WorkflowUnavailable(Exception):
    """Step Functions did not take the start or the answer (retries spent); deliver it later."""


class Workflows:
    def __init__(self, region: str) -> None:
        self._region = region

    @property
    def _sfn(self):
        return aws.client("stepfunctions", self._region)

    def start(self, state_machine_arn: str, name: str, payload: dict) -> None:
        from botocore.exceptions import BotoCoreError, ClientError
        sfn = self._sfn
        try:
            sfn.start_execution(stateMachineArn=state_machine_arn, name=name,
                                input=json.dumps(payload, separators=(",", ":")))
        except sfn.exceptions.ExecutionAlreadyExists:
            pass
        except (ClientError, BotoCoreError) as exc:
            raise WorkflowUnavailable("StartExecution") from exc

    def complete(self, token: str, output: dict) -> None:
        from botocore.exceptions import BotoCoreError, ClientError
        sfn = self._sfn
        try:
            sfn.send_task_success(taskToken=token, output=json.dumps(output, separators=(",", ":")))
        except (sfn.exceptions.TaskTimedOut, sfn.exceptions.InvalidToken,
                sfn.exceptions.TaskDoesNotExist) as exc:
            raise TaskExpired() from exc
        except (ClientError, BotoCoreError) as exc:
            raise WorkflowUnavailable("SendTaskSuccess") from exc
