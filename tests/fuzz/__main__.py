"""`python -m tests.fuzz` (`make fuzz`): fuzz every documented operation on a fresh local stack."""
import sys

from .runner import main

sys.exit(main())
