"""Template filters and globals: local time, masks and the labels of enum values."""

from datetime import date, datetime
from decimal import Decimal

from flask import Flask
from flask_login import current_user

from mediation import access, workflow
from mediation.models.base import LOCAL_TZ, local_today, utcnow
from mediation.privacy import mask_id_number, mask_phone


def local_datetime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(LOCAL_TZ).strftime(fmt) if value else ""


def cn_date(value: date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def money(value: Decimal | None) -> str:
    """An amount in yuan as documents and pages write it: 1,500.00; none as —."""
    return "—" if value is None else f"{value:,.2f}"


def init_app(app: Flask) -> None:
    app.add_template_filter(money, "money")
    app.add_template_filter(local_datetime, "local")
    app.add_template_filter(cn_date, "cn_date")
    app.add_template_filter(mask_id_number, "mask_id")
    app.add_template_filter(mask_phone, "mask_phone")

    @app.context_processor
    def globals_():
        return {
            "access": access,
            "workflow": workflow,  # templates ask its state groups, never list states
            # The user itself, not flask_login's proxy: a page asks it dozens of times.
            "user": current_user._get_current_object(),
            "now": utcnow(),
            "today": local_today(),
        }
