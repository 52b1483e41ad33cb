"""An appointment as an iCalendar file (RFC 5545), written here rather than with a library:
CRLF line ends, lines folded at 75 octets without splitting a character, TEXT values
escaped, times in Asia/Shanghai with its VTIMEZONE (China has kept UTC+8 without daylight
saving since 1991), a stable UID and a SEQUENCE that grows with every change, so a
calendar that imported the session updates it instead of adding a second one."""

from datetime import UTC, datetime

from mediation.models import Appointment, AppointmentStatus
from mediation.models.base import LOCAL_TZ, utcnow

PRODID = "-//mediation//人民调解案件管理//ZH"
TZID = "Asia/Shanghai"
VTIMEZONE = [
    "BEGIN:VTIMEZONE",
    f"TZID:{TZID}",
    "BEGIN:STANDARD",
    "DTSTART:19700101T000000",
    "TZOFFSETFROM:+0800",
    "TZOFFSETTO:+0800",
    "TZNAME:CST",
    "END:STANDARD",
    "END:VTIMEZONE",
]
STATUS = {
    AppointmentStatus.SCHEDULED: "CONFIRMED",
    AppointmentStatus.HELD: "CONFIRMED",
    AppointmentStatus.CANCELLED: "CANCELLED",
}


def escape(text: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and line breaks escaped."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """A content line folded so no line is longer than 75 octets (RFC 5545 3.1): a break and
    one space before each continuation, never inside a UTF-8 character."""
    out, current, size = [], "", 0
    for char in line:
        width = len(char.encode())
        limit = 75 if not out else 74  # a continuation starts with its space
        if size + width > limit:
            out.append(current)
            current, size = "", 0
        current += char
        size += width
    out.append(current)
    return "\r\n ".join(out)


def _local(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y%m%dT%H%M%S")


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def uid(appointment: Appointment, host: str) -> str:
    return f"appointment-{appointment.id}@{host or 'mediation.local'}"


def event_lines(appointment: Appointment, host: str) -> list[str]:
    case = appointment.case
    description = [
        f"案件：{case.number}（{case.category.label}）",
        f"调委会：{case.committee.name}",
        f"调解员：{'、'.join(m.name for m in appointment.mediators)}",
        f"通知当事人：{'、'.join(p.name for p in appointment.parties)}",
    ]
    if appointment.invited:
        description.append(f"邀请参加：{appointment.invited}")
    if appointment.cancel_reason:
        description.append(f"已取消：{appointment.cancel_reason}")
    return [
        "BEGIN:VEVENT",
        f"UID:{uid(appointment, host)}",
        f"DTSTAMP:{_utc(utcnow())}",
        f"CREATED:{_utc(appointment.created_at)}",
        f"LAST-MODIFIED:{_utc(appointment.updated_at)}",
        f"SEQUENCE:{max(appointment.version - 1, 0)}",
        f"DTSTART;TZID={TZID}:{_local(appointment.starts_at)}",
        f"DTEND;TZID={TZID}:{_local(appointment.ends_at)}",
        f"SUMMARY:{escape(f'调解：{case.number}')}",
        f"LOCATION:{escape(appointment.place)}",
        f"DESCRIPTION:{escape(chr(10).join(description))}",
        f"STATUS:{STATUS[appointment.status]}",
        "END:VEVENT",
    ]


def calendar_file(appointments: list[Appointment], host: str) -> bytes:
    """The VCALENDAR with one VEVENT per appointment, as the bytes to download."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", *VTIMEZONE]  # fmt: skip
    for appointment in appointments:
        lines += event_lines(appointment, host)
    lines.append("END:VCALENDAR")
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode()
