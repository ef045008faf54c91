"""The honest self-check: the question, its answers, and what is kept of them.

The question is the seed article's: is my companion use adding to a full life, or quietly
replacing the human connection I would otherwise pursue? The answers are the person's own
and private; a note is never logged and leaves the device only in an export they ask for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

QUESTION = ("Is your time with AI companions adding to a full life, or quietly replacing "
            "connection with people you would otherwise reach for?")

# The five steps, from "adds" to "replaces"; 0 is "Not sure". Stored as these numbers.
ANSWERS: dict[int, str] = {
    1: "It adds to my life",
    2: "Mostly adds",
    3: "Somewhere in between",
    4: "Some of it replaces connection",
    5: "It is replacing connection",
    0: "Not sure",
}


@dataclass(frozen=True, slots=True)
class Checkin:
    asked: datetime  # aware UTC
    answered: datetime | None = None
    answer: int | None = None  # 1..5, 0 = not sure, None = skipped
    note: str | None = None  # private
    week_seconds: int | None = None  # the week's tracked time when answered


def check_answer(answer: int) -> int:
    from widget.errors import UsageError

    if answer not in ANSWERS:
        raise UsageError("The answer is a number from 1 (it adds to my life) to 5 (it is "
                         "replacing connection), or 0 for not sure.")
    return answer
