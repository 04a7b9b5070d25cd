"""The chaos run: dossiers pushed through every procedure while AWS calls fail, then the invariants (`make chaos`)."""
