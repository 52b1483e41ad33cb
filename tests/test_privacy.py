"""Resident ID numbers, phone numbers and masks (DOMAIN §6). Pure functions, no database."""

import pytest

from mediation.privacy import (
    id_birth_date,
    id_number_problem,
    id_sex,
    mask_id_number,
    mask_name,
    mask_phone,
    phone_problem,
)


@pytest.mark.parametrize("good", ["330109198510120033", "11010519491231002X"])
def test_valid_id_numbers(good):
    assert id_number_problem(good) is None


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("330109198510120034", "校验位不正确"),
        ("33010919851012003", "应为18位"),
        ("3301091985101200A3", "前17位应为数字"),
        ("330109198513120033", "出生日期"),
        ("330109210001010033", "出生日期"),
    ],
)
def test_invalid_id_numbers_say_why(bad, says):
    assert says in id_number_problem(bad)


def test_birth_date_and_sex_come_from_the_id_number():
    assert str(id_birth_date("330109198510120033")) == "1985-10-12"
    assert id_sex("330109198510120033") == "male"
    assert id_sex("11010519491231002X") == "female"


@pytest.mark.parametrize("good", ["13812345678", "19900001111", "0571-88886666", "01088886666"])
def test_valid_phones(good):
    assert phone_problem(good) is None


@pytest.mark.parametrize("bad", ["1381234567", "12812345678", "88886666", "138123456789"])
def test_invalid_phones(bad):
    assert phone_problem(bad)


def test_masks_keep_only_the_ends():
    assert mask_id_number("110105194912310021") == "1101**********0021"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三丰") == "张**"
