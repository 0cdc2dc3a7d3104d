"""Masking a question before it is kept: e-mail addresses, phone numbers and long digit runs."""

from __future__ import annotations

import re

# Longest text kept of one question.
MAX_TEXT = 500

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# UK and international numbers: 07700 900123, +44 20 7946 0958, (020) 7946 0958,
# +44 (0)20 7946 0958, 0161-496-0000.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?(?:\(0\)[ .-]?)?\(?\d{1,5}\)?|\(?0\d{1,4}\)?)"
    r"(?:[ .-]?\d){6,10}(?!\d)"
)
# Five or more digits, possibly in groups: card, NHS and reference numbers, postcodes' kin.
_DIGITS = re.compile(r"\d(?:[ .-]?\d){4,}")


def mask(text: str) -> str:
    """The text with e-mail addresses, phone numbers and runs of 5+ digits replaced."""
    text = _EMAIL.sub("[email]", text)
    text = _PHONE.sub("[phone]", text)
    return _DIGITS.sub("[number]", text)
