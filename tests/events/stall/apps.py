"""Subscribe the stalling handler in every process that loads the test settings."""

import os
import time
from pathlib import Path

from django.apps import AppConfig


def stall_once(event) -> None:
    """Record the call; the first one writes a marker and then hangs (to be killed)."""
    directory = Path(os.environ["STALL_DIR"])
    with open(directory / "calls", "a") as calls:
        calls.write(f"{os.getpid()} {event.id}\n")
    marker = directory / "stalling"
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        time.sleep(120)


class StallConfig(AppConfig):
    name = "tests.events.stall"
    label = "stall"

    def ready(self) -> None:
        from events.services import subscribe

        subscribe("reservation.held", stall_once, name="tests.stall")
