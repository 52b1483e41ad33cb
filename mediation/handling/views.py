"""Handling pages: relations and recusals, risk and police reports, transfers, joint cases."""

from flask import Blueprint

bp = Blueprint("handling", __name__)
