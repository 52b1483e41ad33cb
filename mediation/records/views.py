"""Record pages: mediation sessions, investigations, attachments, invited participants."""

from flask import Blueprint

bp = Blueprint("records", __name__)
