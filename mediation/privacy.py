"""Checking and masking personal data: resident ID numbers and phone numbers (DOMAIN §6)."""

import re
from datetime import date

from mediation.models.base import local_today

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def id_number_problem(value: str) -> str | None:
    """Why an 18-digit resident ID number (GB 11643) is wrong, in Chinese; None when valid."""
    if len(value) != 18:
        return f"公民身份号码应为18位，您填写了{len(value)}位。"
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return "公民身份号码前17位应为数字，最后一位为数字或X。"
    if id_birth_date(value) is None:
        return "公民身份号码中的出生日期（第7至14位）不是有效日期。"
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != value[17]:
        return "公民身份号码校验位不正确，请核对后重新填写。"
    return None


def normalise_id_number(value: str) -> str:
    return value.strip().replace(" ", "").upper()


def id_birth_date(value: str) -> date | None:
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None
    return born if date(1900, 1, 1) <= born <= local_today() else None


def id_sex(value: str) -> str:
    """'male' or 'female' from the 17th digit (odd is male)."""
    return "male" if int(value[16]) % 2 else "female"


def phone_problem(value: str) -> str | None:
    if _MOBILE.match(value) or _LANDLINE.match(value):
        return None
    if value.startswith("1"):
        return "手机号码应为以1开头的11位数字。"
    return "请填写11位手机号码，或带区号的固定电话（如 0571-88886666）。"


def normalise_phone(value: str) -> str:
    return re.sub(r"[\s()（）]", "", value.strip())


def mask_id_number(value: str) -> str:
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """张三 → 张*; for pages shown to the public."""
    return value[:1] + "*" * (len(value) - 1) if value else value


def public_name(party) -> str:
    """A party as public pages name it, with its role: a person by the surname only; an
    organisation by the start and end of its name, so 某某物业有限公司 stays recognisable."""
    name = party.name
    if not party.is_person and len(name) > 4:
        name = name[:2] + "*" * (len(name) - 4) + name[-2:]
    else:
        name = mask_name(name)
    return f"{party.role.label} {name}"
