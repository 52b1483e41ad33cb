"""Resident-facing pages: a party looks up their own case without an account."""
