"""Local stack: moto in-process, resources from infra/, and an SQS event pump."""
