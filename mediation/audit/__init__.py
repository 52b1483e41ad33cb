"""The case timeline and its tamper check."""
