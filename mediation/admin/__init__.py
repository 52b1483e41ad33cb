"""Administration of accounts and of the organisation tree."""
