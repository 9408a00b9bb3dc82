"""The bot's words made once and kept say what making them each time says: an age worded
once per span Babel words alike, and a point's fixed lines kept on its snapshot."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from babel.dates import format_timedelta

from nezlam.channels import babel_words


def babel_ago(seconds: int, lang: str) -> str:
    return format_timedelta(
        -timedelta(seconds=seconds), locale=lang, threshold=1.1, add_direction=True
    )


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_an_age_worded_from_its_span_is_what_babel_says_for_that_very_second(lang):
    draw = random.Random(20221122)
    ages = [*range(-90, 7200), *(draw.randint(-(10**6), 10**9) for _ in range(5000))]
    babel_words._AGO.clear()
    for seconds in [*ages, *reversed(ages)]:  # each span first met from either side
        assert babel_words.seconds_ago(seconds, lang) == babel_ago(seconds, lang), seconds
    assert len(babel_words._AGO) < len(ages) / 2  # kept by span, not by second
