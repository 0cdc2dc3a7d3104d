"""`reveal`: what hides a word is undone before any check reads the message."""

from __future__ import annotations

import pytest

from bot.core.text import reveal


@pytest.mark.parametrize(
    "hidden",
    [
        pytest.param("sui\u200bcide", id="zero-width space"),
        pytest.param("sui\u200ccide", id="zero-width non-joiner"),
        pytest.param("sui\u200dcide", id="zero-width joiner"),
        pytest.param("sui\u2060cide", id="word joiner"),
        pytest.param("sui\ufeffcide", id="byte order mark"),
        pytest.param("sui\u00adcide", id="soft hyphen"),
        pytest.param("sui\u200fcide", id="right-to-left mark"),
        pytest.param("sui\u202ecide", id="right-to-left override"),
        pytest.param("s\u200bu\u00adi\u200ec\u2066ide", id="several"),
    ],
)
def test_invisible_characters_inside_a_word_are_removed(hidden: str) -> None:
    assert reveal(f"thinking about {hidden} again") == "thinking about suicide again"


@pytest.mark.parametrize(
    ("hidden", "word"),
    [
        pytest.param("\u0455uicide", "suicide", id="cyrillic dze"),
        pytest.param("k\u0456ll", "kill", id="cyrillic i"),
        pytest.param("d\u0456\u0435", "die", id="cyrillic i and e"),
        pytest.param("\u043everd\u043ese", "overdose", id="cyrillic o"),
        pytest.param("\u0455\u03c5\u0456\u0441\u0456d\u0435", "suicide", id="greek and cyrillic"),
        pytest.param("\uff53\uff55\uff49\uff43\uff49\uff44\uff45", "suicide", id="full width"),
    ],
)
def test_look_alike_letters_from_other_scripts_become_latin(hidden: str, word: str) -> None:
    revealed = reveal(f"i want {hidden}")
    assert revealed == f"i want {word}"
    assert revealed.isascii()


@pytest.mark.parametrize(
    ("hidden", "revealed"),
    [
        ("s u i c i d e", "suicide"),
        ("k.i.l.l", "kill"),
        ("d-i-e", "die"),
        ("d_i_e", "die"),
        ("k*i*l*l", "kill"),
        ("i want to k i l l myself", "i want to kill myself"),
    ],
)
def test_letters_spaced_out_are_joined(hidden: str, revealed: str) -> None:
    assert reveal(hidden) == revealed


@pytest.mark.parametrize(
    ("hidden", "revealed"),
    [
        ("k1ll mys3lf", "kill myself"),
        ("su1c1de", "suicide"),
        ("0verd0se", "0verdose"),  # only between two letters: a leading 0 stays
        ("k!ll", "kill"),
        ("m@ke it st0p", "make it stop"),
        ("$elf harm", "$elf harm"),
        ("hate my5elf", "hate myself"),
    ],
)
def test_digits_and_signs_between_letters_become_letters(hidden: str, revealed: str) -> None:
    assert reveal(hidden) == revealed


@pytest.mark.parametrize(
    ("held", "revealed"),
    [
        ("diiiiie", "diie"),
        ("i want to dieeeeee", "i want to diee"),
        ("sooooo tired", "soo tired"),
        ("killlll", "kill"),
    ],
)
def test_letters_held_down_are_cut_to_two(held: str, revealed: str) -> None:
    assert reveal(held) == revealed


@pytest.mark.parametrize(
    "ordinary",
    [
        "16 sessions at 3pm",
        "covid19",
        "I'm fine, thanks!",
        "Can DIT help with bereavement?",
        "is it 4 or 5 sessions",
        "call 01234 567890",
        "a b",
        "my 2nd session",
        "see you at 10:30!",
        "need help!!",
        "A1 results",
        "book a session",
        "I lost 3 friends",
        "C'est la vie, à bientôt",
        "Ich möchte wissen, wie lange die Therapie dauert.",
        "😢 feeling rubbish today",
    ],
)
def test_ordinary_text_and_numbers_are_left_alone(ordinary: str) -> None:
    assert reveal(ordinary) == ordinary


def test_the_tricks_are_undone_together() -> None:
    assert reveal("i w4nt to k \u0456 l\u200b l mys3lf, diiiie") == "i want to kill myself, diie"


def test_letters_spaced_across_several_words_are_split_back_into_known_words() -> None:
    from bot.core.text import segment

    vocabulary = frozenset({"kill", "my", "self", "myself", "want", "to", "die", "i"})
    assert reveal("k i l l m y s e l f", vocabulary) == "kill myself"
    assert reveal("i w a n t t o d i e", vocabulary) == "i want to die"
    assert segment("therapist", vocabulary | {"the", "rapist", "therapist"}) == "therapist"
    assert segment("xyzzy", vocabulary) == "xyzzy"  # no split: left as it was
