"""Investigation and mediation session records."""
