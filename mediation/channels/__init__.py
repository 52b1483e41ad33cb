"""Public doors in (no account): the home page and the online application (当事人申请)."""
