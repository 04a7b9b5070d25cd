"""The AWS edge: PynamoDB models, Step Functions, Cognito. AWS errors become domain errors here."""
