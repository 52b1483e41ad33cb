"""The mediation agreement, follow-up visits, court confirmation, deadlines, closing and archive."""
