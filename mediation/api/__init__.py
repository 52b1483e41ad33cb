"""The JSON API for referring bodies and the province (/api/v1)."""
