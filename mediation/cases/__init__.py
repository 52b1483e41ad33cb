"""Case intake, the case list and the case page."""
