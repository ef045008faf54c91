"""Notification logic with a fake D-Bus service: our ids only, no stacking, quiet failures."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from widget.desktop.notify import (
    ACTIONS,
    DBusNotifier,
    FallbackNotifier,
    InWindowNotifier,
    choose_notifier,
)
from widget.desktop.notify_dbus import (
    NOTIFY_SIGNATURE,
    ServiceSignal,
    notify_message,
    parse_signal,
)

TITLE = "driftcheck"
BODY = "You are at 80% of today's goal for Replika-7c1e."


class DaemonError(Exception):
    """Stands in for jeepney's DBusErrorResponse (matched by name in widget.desktop.notify)."""


DaemonError.__name__ = "DBusErrorResponse"


class FakeService:
    """A notification daemon on the other end of one connection."""

    def __init__(self, on_signal: Callable[[ServiceSignal], None], present: bool = True) -> None:
        self.on_signal = on_signal
        self.present = present
        self.calls: list[dict[str, Any]] = []
        self.next_id = 7
        self.fail_with: Exception | None = None
        self.closed = False
        self.withdrawn: list[int] = []
        self.caps = ["actions", "body"]
        self.asked_caps = 0

    def service_present(self) -> bool:
        return self.present

    def capabilities(self) -> list[str]:
        self.asked_caps += 1
        return self.caps

    def notify(self, app_name: str, replaces_id: int, title: str, body: str,
               actions: tuple[str, ...], hints: dict[str, tuple[str, Any]],
               expire_timeout: int = -1) -> int:
        if self.fail_with is not None:
            raise self.fail_with
        self.calls.append(dict(app_name=app_name, replaces_id=replaces_id, title=title,
                               body=body, actions=actions, hints=hints,
                               expire_timeout=expire_timeout))
        if replaces_id:
            return replaces_id
        self.next_id += 1
        return self.next_id

    def close_notification(self, notification_id: int) -> None:
        self.withdrawn.append(notification_id)
        self.on_signal(ServiceSignal(notification_id, "closed", 3))

    def close(self) -> None:
        self.closed = True

    def invoke(self, notification_id: int, key: str) -> None:
        self.on_signal(ServiceSignal(notification_id, key))


class Opener:
    """Opens FakeServices and remembers them, so a test can see reconnects."""

    def __init__(self, present: bool = True, refuse: bool = False) -> None:
        self.present = present
        self.refuse = refuse
        self.opened: list[FakeService] = []
        self.caps = ["actions", "body"]  # what the daemons it opens can do

    def __call__(self, on_signal: Callable[[ServiceSignal], None]) -> FakeService:
        if self.refuse:
            raise ConnectionRefusedError("no bus")
        service = FakeService(on_signal, self.present)
        service.caps = self.caps
        self.opened.append(service)
        return service

    @property
    def last(self) -> FakeService:
        return self.opened[-1]


def recorder(notifier: Any) -> list[tuple[str, str]]:
    got: list[tuple[str, str]] = []
    notifier.action.connect(lambda alert_id, key: got.append((alert_id, key)))
    return got


def test_a_notification_offers_snooze_and_not_now_quietly() -> None:
    opener = Opener()
    notifier = DBusNotifier(opener)
    assert notifier.notify("near|all|2026-11-27", TITLE, BODY)
    call = opener.last.calls[0]
    assert call["title"] == TITLE and call["body"] == BODY
    pairs = dict(zip(call["actions"][::2], call["actions"][1::2], strict=True))
    assert pairs == {"default": "Open driftcheck", "snooze": "Snooze 15 min",
                     "not-now": "Not now"}
    assert call["hints"]["urgency"] == ("y", 0)
    assert call["hints"]["desktop-entry"] == ("s", "driftcheck")
    assert call["expire_timeout"] == -1
    assert call["replaces_id"] == 0


def test_choices_come_back_for_our_alert_once() -> None:
    opener = Opener()
    notifier = DBusNotifier(opener)
    got = recorder(notifier)
    notifier.notify("near|all|2026-11-27", TITLE, BODY)
    notifier.notify("reached|all|2026-11-27", TITLE, BODY)
    service = opener.last
    near_id, reached_id = 8, 9
    service.invoke(near_id, "snooze")
    service.invoke(near_id, "closed")  # the daemon closes the message after an action
    service.invoke(reached_id, "not-now")
    assert got == [("near|all|2026-11-27", "snooze"), ("reached|all|2026-11-27", "not-now")]
    assert service.withdrawn == [near_id, reached_id], "an answered message leaves the screen"


def test_other_programs_notifications_are_ignored() -> None:
    opener = Opener()
    notifier = DBusNotifier(opener)
    got = recorder(notifier)
    notifier.notify("near|all|2026-11-27", TITLE, BODY)
    opener.last.invoke(3, "default")
    opener.last.invoke(3, "closed")
    assert got == []


def test_a_message_that_goes_away_unanswered_reports_closed() -> None:
    opener = Opener()
    notifier = DBusNotifier(opener)
    got = recorder(notifier)
    notifier.notify("quiet|all|2026-11-27", TITLE, BODY)
    opener.last.invoke(8, "closed")
    assert got == [("quiet|all|2026-11-27", "closed")]


def test_the_same_alert_replaces_its_message_instead_of_stacking() -> None:
    opener = Opener()
    notifier = DBusNotifier(opener)
    got = recorder(notifier)
    notifier.notify("near|all|2026-11-27", TITLE, BODY)
    notifier.notify("near|all|2026-11-27", TITLE, "You are at 80% of today's goal.")
    notifier.notify("near|all|2026-W48", TITLE, BODY)
    calls = opener.last.calls
    assert [c["replaces_id"] for c in calls] == [0, 8, 0]
    opener.last.invoke(8, "snooze")
    assert got == [("near|all|2026-11-27", "snooze")]


def test_an_answered_alert_gets_a_fresh_message_next_time() -> None:
    opener = Opener()
    notifier = DBusNotifier(opener)
    notifier.notify("near|all|2026-11-27", TITLE, BODY)
    opener.last.invoke(8, "snooze")
    notifier.notify("near|all|2026-11-27", TITLE, BODY)
    assert opener.last.calls[1]["replaces_id"] == 0


def test_a_refused_call_returns_false_and_logs_no_text(caplog: pytest.LogCaptureFixture
                                                        ) -> None:
    opener = Opener()
    notifier = DBusNotifier(opener)
    opener.last.fail_with = DaemonError(f"bad call for {BODY}")
    with caplog.at_level(logging.DEBUG):
        assert notifier.notify("near|all|2026-11-27", TITLE, BODY) is False
    assert caplog.records, "a failure is logged"
    for record in caplog.records:
        message = record.getMessage()
        assert "Replika" not in message and BODY not in message
    # A refusal is an answer: the connection stays.
    assert len(opener.opened) == 1 and not opener.last.closed


def test_a_broken_connection_is_reopened_on_the_next_message() -> None:
    opener = Opener()
    notifier = DBusNotifier(opener)
    first = opener.last
    first.fail_with = BrokenPipeError()
    assert notifier.notify("near|all|2026-11-27", TITLE, BODY) is False
    assert first.closed
    assert notifier.notify("near|all|2026-11-27", TITLE, BODY) is True
    assert len(opener.opened) == 2
    assert opener.last.calls[0]["replaces_id"] == 0


NAMED = "<b style='color:red'>BIG</b> & R&amp;D: 80% of your goal"


def test_a_daemon_that_reads_markup_gets_the_body_escaped_and_is_asked_once() -> None:
    opener = Opener()
    notifier = DBusNotifier(opener)
    opener.last.caps = ["actions", "body", "body-markup"]
    assert notifier.notify("near|all|2026-11-27", TITLE, NAMED)
    assert notifier.notify("near|all|2026-11-28", "<i>title</i>", NAMED)
    calls = opener.last.calls
    assert calls[0]["body"] == ("&lt;b style='color:red'&gt;BIG&lt;/b&gt; &amp; R&amp;amp;D: "
                                "80% of your goal")
    assert calls[1]["title"] == "<i>title</i>", "the summary is never markup"
    assert opener.last.asked_caps == 1


def test_a_daemon_without_markup_gets_the_body_as_written() -> None:
    opener = Opener()
    notifier = DBusNotifier(opener)
    assert notifier.notify("near|all|2026-11-27", TITLE, NAMED)
    assert opener.last.calls[0]["body"] == NAMED


def test_a_new_connection_asks_its_daemon_again() -> None:
    opener = Opener()
    notifier = DBusNotifier(opener)
    assert notifier.notify("near|all|2026-11-27", TITLE, NAMED)
    assert opener.last.calls[-1]["body"] == NAMED
    opener.last.fail_with = BrokenPipeError()
    assert not notifier.notify("near|all|2026-11-27", TITLE, NAMED)
    opener.caps = ["body-markup"]  # the next daemon reads markup
    assert notifier.notify("near|all|2026-11-27", TITLE, NAMED)
    assert len(opener.opened) == 2 and opener.last.asked_caps == 1
    assert opener.last.calls[-1]["body"].startswith("&lt;b style")


def test_available_follows_the_daemon() -> None:
    assert DBusNotifier(Opener(present=True)).available()
    assert not DBusNotifier(Opener(present=False)).available()


def test_after_close_nothing_is_sent() -> None:
    opener = Opener()
    notifier = DBusNotifier(opener)
    notifier.close()
    notifier.close()
    assert opener.last.closed
    assert notifier.notify("near|all|2026-11-27", TITLE, BODY) is False
    assert not notifier.available()
    assert len(opener.opened) == 1


def test_in_window_message_answers_once() -> None:
    shown: list[tuple[str, str]] = []
    window = InWindowNotifier(lambda title, body: shown.append((title, body)))
    got = recorder(window)
    assert window.notify("near|all|2026-11-27", TITLE, BODY)
    assert shown == [(TITLE, BODY)]
    window.respond("snooze")
    window.respond("not-now")
    assert got == [("near|all|2026-11-27", "snooze")]


def test_fallback_shows_in_the_window_when_the_daemon_fails() -> None:
    opener = Opener()
    shown: list[tuple[str, str]] = []
    chain = FallbackNotifier(DBusNotifier(opener), InWindowNotifier(
        lambda title, body: shown.append((title, body))))
    got = recorder(chain)
    assert chain.notify("near|all|2026-11-27", TITLE, BODY)
    assert shown == []
    opener.last.fail_with = DaemonError()
    assert chain.notify("reached|all|2026-11-27", TITLE, BODY)
    assert shown == [(TITLE, BODY)]
    chain.respond("not-now")
    opener.last.invoke(8, "snooze")
    assert got == [("reached|all|2026-11-27", "not-now"), ("near|all|2026-11-27", "snooze")]


def test_an_answer_elsewhere_retires_the_mirrored_window_message() -> None:
    opener = Opener()
    chain = FallbackNotifier(DBusNotifier(opener), InWindowNotifier(lambda t, b: None),
                             mirror=True)
    got = recorder(chain)
    chain.notify("near|all|2026-11-27", TITLE, BODY)
    opener.last.invoke(8, "default")
    chain.respond("snooze")  # the window's button no longer speaks for the answered alert
    assert got == [("near|all|2026-11-27", "default")]


def test_choose_prefers_the_desktop_service_on_linux() -> None:
    chosen = choose_notifier(None, lambda t, b: None, platform="linux", open_backend=Opener())
    assert isinstance(chosen, FallbackNotifier)
    assert isinstance(chosen.primary, DBusNotifier)


def test_choose_uses_the_window_without_a_daemon_or_tray() -> None:
    absent = Opener(present=False)
    assert isinstance(choose_notifier(None, lambda t, b: None, platform="linux",
                                      open_backend=absent), InWindowNotifier)
    assert absent.last.closed
    assert isinstance(choose_notifier(None, lambda t, b: None, platform="linux",
                                      open_backend=Opener(refuse=True)), InWindowNotifier)
    assert isinstance(choose_notifier(None, lambda t, b: None, platform="win32"),
                      InWindowNotifier)


def test_the_notify_call_has_the_daemons_exact_signature() -> None:
    msg = notify_message("driftcheck", 0, TITLE, BODY, ACTIONS, {"urgency": ("y", 0)})
    assert msg.header.fields[8] == NOTIFY_SIGNATURE == "susssasa{sv}i"
    assert msg.body[0] == "driftcheck" and msg.body[3:5] == (TITLE, BODY)
    # Serialises: an int that went out as int32 would be the QtDBus bug all over again.
    assert msg.serialise(serial=1)


def test_signals_from_the_daemon_are_parsed() -> None:
    from jeepney import new_signal

    from widget.desktop.notify_dbus import NOTIFICATIONS

    invoked = new_signal(NOTIFICATIONS, "ActionInvoked", "us", (8, "snooze"))
    closed = new_signal(NOTIFICATIONS, "NotificationClosed", "uu", (8, 2))
    other = new_signal(NOTIFICATIONS, "ActivationToken", "us", (8, "x"))
    assert parse_signal(invoked) == ServiceSignal(8, "snooze")
    assert parse_signal(closed) == ServiceSignal(8, "closed", 2)
    assert parse_signal(other) is None


def test_withdrawing_a_message_the_daemon_already_closed_is_not_a_problem(
        caplog: pytest.LogCaptureFixture) -> None:
    opener = Opener()
    notifier = DBusNotifier(opener)
    got = recorder(notifier)
    notifier.notify("near|all|2026-11-27", TITLE, BODY)
    service = opener.last

    def already_gone(notification_id: int) -> None:
        raise DaemonError()

    service.close_notification = already_gone  # type: ignore[method-assign]
    with caplog.at_level(logging.WARNING):
        service.invoke(8, "not-now")
    assert got == [("near|all|2026-11-27", "not-now")]
    assert not caplog.records and not service.closed
