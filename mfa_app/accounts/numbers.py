"""Phone numbers: parsing national or international input to E.164, and masking for display."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType
from phonenumbers.geocoder import country_name_for_number

from mfa_app.accounts.errors import AccountError

SMS_CAPABLE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
_MAX_INPUT = 64


def parse_phone(raw: str, default_region: str) -> str:
    """The E.164 form of `raw`, or form_param_format_invalid when it is not a valid number that
    can receive SMS."""
    if len(raw) > _MAX_INPUT:
        raise _invalid()
    try:
        number = phonenumbers.parse(raw, (default_region or "").upper() or None)
    except NumberParseException:
        raise _invalid() from None
    if not phonenumbers.is_valid_number(number):
        raise _invalid()
    if phonenumbers.number_type(number) not in SMS_CAPABLE_TYPES:
        raise AccountError(
            "form_param_format_invalid",
            "This number can't receive text messages. Enter a mobile number.",
        )
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def region_of(e164: str) -> str:
    return phonenumbers.region_code_for_number(phonenumbers.parse(e164)) or ""


def mask(e164: str) -> str:
    """ "+14155552671" -> "+1 *** *** 2671": the country code and the last four digits."""
    international = phonenumbers.format_number(phonenumbers.parse(e164), PhoneNumberFormat.INTERNATIONAL)
    country, _, rest = international.partition(" ")
    digits_seen = 0
    total = sum(ch.isdigit() for ch in rest)
    masked = []
    for ch in rest:
        if ch.isdigit():
            digits_seen += 1
            masked.append(ch if digits_seen > total - 4 else "*")
        else:
            masked.append(" ")
    return f"{country} {''.join(masked)}"


def _invalid() -> AccountError:
    return AccountError(
        "form_param_format_invalid",
        "Enter a valid phone number, with its country code if it is not from your region.",
    )


def preview(raw: str, default_region: str) -> str:
    """The number as it will be stored, formatted for reading ("" while it is not valid yet)."""
    try:
        number = phonenumbers.parse(raw[:_MAX_INPUT], (default_region or "").upper() or None)
    except NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


@lru_cache(maxsize=4096)
def display(e164: str) -> str:
    """A stored number as people read it; formatted once per process (every refresh of the
    manage page shows the same numbers)."""
    return phonenumbers.format_number(phonenumbers.parse(e164), PhoneNumberFormat.INTERNATIONAL)


# Regions phonenumbers' geocoder has no English name for.
_NAMES = {
    "AC": "Ascension Island",
    "BL": "Saint Barthélemy",
    "EH": "Western Sahara",
    "MF": "Saint Martin",
    "TA": "Tristan da Cunha",
    "XK": "Kosovo",
}


def _name(region: str) -> str:
    example = phonenumbers.example_number(region)
    return (country_name_for_number(example, "en") if example else "") or _NAMES.get(region, region)


def regions() -> list[tuple[str, str]]:
    """Every region phonenumbers knows, as (ISO code, "United Kingdom (+44)"), sorted by name."""
    named = [(region, _name(region)) for region in phonenumbers.SUPPORTED_REGIONS]
    return [
        (region, f"{name} (+{phonenumbers.country_code_for_region(region)})")
        for region, name in sorted(named, key=lambda pair: pair[1])
    ]


def region_typed(raw: str, current: str) -> str:
    """The region a number typed with its calling code ("+44 …") belongs to; `current` when it
    has none, or when `current` shares that calling code (+1: the US, Canada…)."""
    if not raw.strip().startswith("+"):
        return current
    try:
        calling_code = phonenumbers.parse(raw[:_MAX_INPUT], None).country_code
    except NumberParseException:
        return current
    if calling_code is None or calling_code == phonenumbers.country_code_for_region(current):
        return current
    return phonenumbers.region_code_for_country_code(calling_code) or current


def region_from_accept_language(header: str, fallback: str) -> str:
    """The region of the browser's first language that names one ("en-GB" -> "GB")."""
    for part in header.split(","):
        tag = part.split(";")[0].strip()
        _, _, region = tag.partition("-")
        if region.upper() in phonenumbers.SUPPORTED_REGIONS:
            return region.upper()
    return fallback
