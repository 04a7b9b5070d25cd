"""Everything that runs in Lambda: the pure domain, the use cases, and the AWS adapters."""
