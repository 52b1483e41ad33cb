"""Agreement, follow-up, court confirmation, deadline and archive pages."""

from flask import Blueprint

bp = Blueprint("agreements", __name__)
