"""Login, logout, lockout and password changes."""
