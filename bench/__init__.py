"""Happy-path benchmark on the local stack: AWS calls, state transitions and latency per
dossier, against the budgets in DESIGN.md ("Cost and speed"). Run with `make bench`."""
