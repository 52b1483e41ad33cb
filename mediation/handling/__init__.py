"""Mediators relations and recusals, risk and police reports, transfers and joint acceptance."""
