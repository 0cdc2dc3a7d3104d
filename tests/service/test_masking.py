"""Masking: contact details and long numbers never reach the records."""

from __future__ import annotations

import pytest

from bot.service.masking import mask


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("write to jo.bloggs+dit@nhs.net please", "write to [email] please"),
        ("my mobile is 07700 900123", "my mobile is [phone]"),
        ("call +44 20 7946 0958 now", "call [phone] now"),
        ("or +44 (0)20 7946 0958", "or [phone]"),
        ("(020) 7946 0958 is the office", "[phone] is the office"),
        ("ring 0161-496-0000", "ring [phone]"),
        ("07700900123", "[phone]"),
        ("my nhs number is 943 476 5919", "my nhs number is [number]"),
        ("reference 1234567", "reference [number]"),
        ("postcode digits 12345", "postcode digits [number]"),
    ],
)
def test_mask_replaces_contact_details_and_long_numbers(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize(
    "text", ["is it 16 sessions?", "I started in 2024", "call 999", "what about 1 or 2 a week"]
)
def test_mask_keeps_short_numbers(text: str) -> None:
    assert mask(text) == text
