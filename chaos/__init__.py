"""The chaos run (`make chaos`): dossiers through every procedure while AWS calls fail, then
the invariants."""
