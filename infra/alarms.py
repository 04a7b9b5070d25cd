"""The alarms an operator is woken by, derived from the template so a new queue, state machine or
function is watched without anyone remembering to add it.

  * a message waiting on any dead-letter queue (a consumer gave up on it);
  * a failed or timed-out execution of any state machine (a dossier left its workflow);
  * a step past its legal deadline (SlaBreaches, emitted by the product in EMF);
  * a message parked by the product itself (DeadLettered, e.g. a posting the ledger refused);
  * errors of any Lambda function.

All go to one SNS topic; the AlarmEmail parameter, when set, subscribes an address to it.
"""
from __future__ import annotations

NAMESPACE = "KBNN/DVC"                 # the product's own metrics (Embedded Metric Format)
SERVICE = {"Name": "Service", "Value": "kbnn-dvc"}
TOPIC = "OperationsAlarmTopic"
FIVE_MINUTES = 300


def is_dead_letter_queue(props: dict) -> bool:
    name = props.get("QueueName", "")
    return name.endswith("-dlq") or name.endswith("-failures")


def _alarm(description: str, namespace: str, metric: str, dimensions: list[dict], *,
           statistic: str = "Maximum", threshold: float = 1) -> dict:
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmDescription": description,
        "Namespace": namespace, "MetricName": metric, "Dimensions": dimensions,
        "Statistic": statistic, "Period": FIVE_MINUTES, "EvaluationPeriods": 1,
        "Threshold": threshold, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
        "AlarmActions": [{"Ref": TOPIC}], "OKActions": [{"Ref": TOPIC}]}}


def add(template: dict) -> None:
    resources = template["Resources"]
    new: dict[str, dict] = {}
    for logical_id, resource in resources.items():
        kind, props = resource["Type"], resource.get("Properties", {})
        if kind == "AWS::SQS::Queue" and is_dead_letter_queue(props):
            new[f"{logical_id}Alarm"] = _alarm(
                f"Messages wait on {props['QueueName']}: inspect and redrive (python -m ops.dlq)",
                "AWS/SQS", "ApproximateNumberOfMessagesVisible",
                [{"Name": "QueueName", "Value": {"Fn::GetAtt": [logical_id, "QueueName"]}}])
        elif kind == "AWS::StepFunctions::StateMachine":
            for metric in ("ExecutionsFailed", "ExecutionsTimedOut"):
                new[f"{logical_id}{metric}Alarm"] = _alarm(
                    f"{metric} on {props['StateMachineName']}: a dossier left its workflow",
                    "AWS/States", metric,
                    [{"Name": "StateMachineArn", "Value": {"Ref": logical_id}}], statistic="Sum")
        elif kind == "AWS::Serverless::Function":
            new[f"{logical_id}ErrorsAlarm"] = _alarm(
                f"{logical_id} raised errors", "AWS/Lambda", "Errors",
                [{"Name": "FunctionName", "Value": {"Ref": logical_id}}], statistic="Sum",
                threshold=5)
    new["OverdueStepsAlarm"] = _alarm(
        "A workflow step passed its legal deadline (escalated to the leader)", NAMESPACE,
        "SlaBreaches", [SERVICE], statistic="Sum")
    new["DeadLetteredAlarm"] = _alarm(
        "The product parked a message it could not process", NAMESPACE, "DeadLettered",
        [SERVICE], statistic="Sum")
    new[TOPIC] = {"Type": "AWS::SNS::Topic", "Properties": {
        "DisplayName": "KBNN DVCTT alarms"}}
    template["Parameters"]["AlarmEmail"] = {
        "Type": "String", "Default": "",
        "Description": "An address subscribed to the alarms topic (empty: subscribe later)"}
    template.setdefault("Conditions", {})["HasAlarmEmail"] = {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}
    new["OperationsAlarmEmail"] = {"Type": "AWS::SNS::Subscription", "Condition": "HasAlarmEmail",
                                   "Properties": {"TopicArn": {"Ref": TOPIC}, "Protocol": "email",
                                                  "Endpoint": {"Ref": "AlarmEmail"}}}
    resources.update(new)
