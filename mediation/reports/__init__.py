"""Statistics for the justice office (DOMAIN §5)."""
