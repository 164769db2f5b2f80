"""Fixtures for the outbox tests: a subscriber that records what it was given."""

import pytest

from events import services


class Recorder:
    """Subscribes to every type ("*") and records (type, id, data) per call."""

    name = "tests.recorder"

    def __init__(self):
        self.calls = []
        self.fail = 0  # fail this many calls first

    def __call__(self, event):
        if self.fail:
            self.fail -= 1
            raise RuntimeError("subscriber down")
        self.calls.append((event.type, str(event.id), event.data))

    @property
    def types(self):
        return [type_ for type_, _, _ in self.calls]


@pytest.fixture
def recorder():
    recorder = Recorder()
    services.subscribe("*", recorder, name=Recorder.name)
    yield recorder
    services.unsubscribe("*", Recorder.name)
