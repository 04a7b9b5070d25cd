"""Use cases: each function takes a command and the adapters it needs, and returns plain data."""
