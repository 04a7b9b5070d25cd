"""Deploy-time only: Step Functions definitions generated from the procedure catalogue."""
