"""`driftcheck checkin`: answer the self-check from a terminal, look back at the answers,
change or delete one.

A check-in is named by the local date it was answered on ("2026-12-04", "today",
"yesterday") or, when one day holds two, by the number `checkin history` shows beside it.
Skipped weeks are not answers, so the history leaves them out.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, timedelta, tzinfo

from widget.commands.common import open_store
from widget.core.checkin import (
    ANSWERS,
    QUESTION,
    Checkin,
    KeptCheckin,
    answer_words,
    check_answer,
    check_note,
)
from widget.errors import UsageError

ANSWER_ORDER = (1, 2, 3, 4, 5, 0)  # the five steps from "adds" to "replaces", then "Not sure"
THANKS = "Thank you for checking in. Your answer stays on this device, for you alone."
NOT_NOW = "Not now, then; nothing was kept. `driftcheck checkin` asks again whenever you like."
NO_TERMINAL = ("To check in, run `driftcheck checkin` in a terminal, which asks the question, "
               "or give the answer: `driftcheck checkin --answer N` (1 it adds to my life to "
               "5 it is replacing connection, 0 not sure).")
NOTHING_YET = ("You have not checked in yet; `driftcheck checkin` asks the question whenever "
               "you like.")


def checkin(args: argparse.Namespace) -> int:
    """Answer (from `--answer`, or asked on the terminal), or `history`, `change`, `delete`."""
    action = getattr(args, "checkin_command", None)
    if action is not None and (args.answer is not None or args.note is not None):
        raise UsageError(f"--answer and --note go with `driftcheck checkin` alone; "
                         f"`driftcheck checkin {action}` has its own.")
    if action == "history":
        return history(args)
    if action == "change":
        return change(args)
    if action == "delete":
        return delete(args)
    note = check_note(args.note)
    if args.answer is not None:
        save_answer(args, parse_answer(args.answer), note)
        print(THANKS)
        return 0
    if not on_terminal():
        raise UsageError(NO_TERMINAL)  # never waits for input nobody will type
    return ask(args, note)


def on_terminal() -> bool:
    """Whether a person can read the question and type an answer here."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def parse_answer(text: str) -> int:
    """'3' -> 3; anything else gets `check_answer`'s one sentence."""
    try:
        return check_answer(int(text.strip()))
    except ValueError:
        return check_answer(-1)  # the same sentence as any other answer out of range


def ask(args: argparse.Namespace, note: str | None = None) -> int:
    """The question on the terminal, the answers as numbers, an optional note. An empty
    answer, Ctrl-D or Ctrl-C is "Not now": nothing is kept."""
    print(QUESTION)
    print()
    for number in ANSWER_ORDER:
        print(f"  {number}  {ANSWERS[number]}")
    print()
    try:
        while True:
            typed = input('Your answer (a number; Enter for "Not now"): ').strip()
            if not typed:
                print(NOT_NOW)
                return 0
            try:
                answer = parse_answer(typed)
                break
            except UsageError:
                print("That is not one of the numbers above: 1 to 5, or 0 for not sure.")
        if note is None:
            note = check_note(input("A note, only for you (Enter for none): "))
    except (EOFError, KeyboardInterrupt):
        print()
        print(NOT_NOW)
        return 0
    save_answer(args, answer, note)
    print(THANKS)
    return 0


def save_answer(args: argparse.Namespace, answer: int, note: str | None) -> None:
    """Keep an answer given now, with this week's time, and let the tray's schedule know."""
    from widget.core import settings as S
    from widget.core.options import Options
    from widget.core.usage import usage_now, usage_window
    from widget.desktop.localzone import local_zone

    store = open_store(args)
    try:
        options = Options.from_settings(store.all_settings())
        tz = local_zone()
        now = datetime.now(UTC)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # as the store keeps it
        window = usage_window(now, tz, options.day_start_hour)
        usage = usage_now(store.intervals_overlapping(*window), now, tz, options.day_start_hour)
        store.add_checkin(Checkin(asked=now, answered=now, answer=answer, note=note,
                                  week_seconds=int(usage.week_total)))
        S.put(store, S.CHECKIN_LAST_ASKED, now)
        S.put(store, S.CHECKIN_NOT_BEFORE, None)
    finally:
        store.close()


# --- looking back ------------------------------------------------------------------------------


def answered(kept: list[KeptCheckin]) -> list[KeptCheckin]:
    """The check-ins that hold an answer, oldest first (skipped weeks left out)."""
    return [k for k in kept if k.checkin.answer is not None and k.checkin.answered is not None]


def day_of(kept: KeptCheckin, tz: tzinfo) -> date:
    """The local calendar date a check-in was answered on: what the person types to name it."""
    moment = kept.checkin.answered or kept.checkin.asked
    return moment.astimezone(tz).date()


def history(args: argparse.Namespace) -> int:
    from widget.core.text import printable
    from widget.desktop.localzone import local_zone

    tz = local_zone()
    store = open_store(args)
    try:
        kept = answered(store.checkin_history())
    finally:
        store.close()
    if args.json:
        from widget.commands.common import print_json

        print_json([_as_json(k, tz, args.notes) for k in kept])
        return 0
    if not kept:
        print(NOTHING_YET)
        return 0
    print("Your check-ins, oldest first:")
    width = max([3] + [len(str(k.id)) for k in kept])
    print(f"  {'No.':>{width}}  {'Date':<20}  Answer")
    for k in kept:
        moment = (k.checkin.answered or k.checkin.asked).astimezone(tz)
        line = (f"  {k.id:>{width}}  {moment:%a %Y-%m-%d %H:%M}  "
                f"{answer_words(k.checkin.answer)}")
        if k.checkin.note and not args.notes:
            line += "  (with a note)"
        print(line)
        if k.checkin.note and args.notes:
            for text in k.checkin.note.splitlines() or [""]:
                print(f"  {'':>{width}}  {'':<20}  | {printable(text)}")
    if not args.notes and any(k.checkin.note for k in kept):
        print("Notes stay hidden; `driftcheck checkin history --notes` shows them.")
    print("`driftcheck checkin change DATE N` changes an answer; `driftcheck checkin delete "
          "DATE` removes one (DATE as shown, or its number).")
    return 0


def _as_json(k: KeptCheckin, tz: tzinfo, notes: bool) -> dict[str, object]:
    c = k.checkin
    entry: dict[str, object] = {
        "id": k.id, "date": day_of(k, tz).isoformat(), "asked": c.asked.isoformat(),
        "answered": None if c.answered is None else c.answered.isoformat(),
        "answer": c.answer, "answer_words": answer_words(c.answer),
        "week_seconds": c.week_seconds}
    if notes:
        entry["note"] = c.note
    return entry


def find(kept: list[KeptCheckin], which: str, today: date, tz: tzinfo) -> KeptCheckin:
    """The one answered check-in `which` names: a date ("2026-12-04", "today", "yesterday")
    or the number `history` shows; UsageError with a sentence otherwise."""
    from widget.core.text import printable

    text = which.strip().lower()
    weekday, _, rest = text.partition(" ")
    if len(weekday) == 3 and weekday.isalpha() and rest:  # "Fri 2026-12-04", as history shows
        text = rest.strip()
    if text.isascii() and text.isdigit():
        number = text.lstrip("0") or "0"  # compared as text: no 5,000-digit int is made
        for k in kept:
            if str(k.id) == number:
                return k
        raise UsageError("There is no check-in with that number; `driftcheck checkin "
                         "history` lists them.")
    if text in ("today", "yesterday"):
        day = today if text == "today" else today - timedelta(days=1)
    else:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise UsageError(f"'{printable(which)}' is not a date like 2026-12-04, 'today', "
                             "'yesterday' or a number from `driftcheck checkin history`.") from None
    on_day = [k for k in kept if day_of(k, tz) == day]
    if not on_day:
        raise UsageError(f"There is no check-in on {day:%a %Y-%m-%d}; `driftcheck checkin "
                         "history` lists them.")
    if len(on_day) > 1:
        numbers = ", ".join(f"{k.id} ({answer_words(k.checkin.answer)})" for k in on_day)
        raise UsageError(f"{day:%a %Y-%m-%d} holds {len(on_day)} check-ins, numbered "
                         f"{numbers}; give the number of the one you mean instead of the date.")
    return on_day[0]


def change(args: argparse.Namespace) -> int:
    from widget.desktop.localzone import local_zone

    answer = parse_answer(args.answer_value)
    note = check_note(args.note_value)  # checked before the store is opened
    tz = local_zone()
    store = open_store(args)
    try:
        kept = find(answered(store.checkin_history()), args.which,
                    datetime.now(UTC).astimezone(tz).date(), tz)
        new_note = None if args.no_note else (note if args.note_value is not None
                                              else kept.checkin.note)
        store.change_checkin(kept.id, answer, new_note)
    finally:
        store.close()
    print(f"The check-in of {day_of(kept, tz):%a %Y-%m-%d} now says: {answer_words(answer)}.")
    return 0


def delete(args: argparse.Namespace) -> int:
    from widget.desktop.localzone import local_zone

    tz = local_zone()
    store = open_store(args)
    try:
        kept = find(answered(store.checkin_history()), args.which,
                    datetime.now(UTC).astimezone(tz).date(), tz)
        store.delete_checkin(kept.id)
    finally:
        store.close()
    print(f"Deleted the check-in of {day_of(kept, tz):%a %Y-%m-%d} "
          f"({answer_words(kept.checkin.answer)}), and its note if it had one.")
    return 0
