"""Regenerate docs/seat-map.png, the README's picture of the booking page's seat map.

    .venv/bin/python scripts/screenshot_seat_map.py [output.png]

Starts the project under gunicorn on a throwaway database with the demo data (debug
off, static files collected), sells and holds a few seats through the API, opens
tomorrow's first showtime on a mid-sized screen in Debian's headless Chromium
(/usr/bin/chromium), picks two seats with "Best available" and photographs the
seat map and its side panel.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.conftest import (  # noqa: E402
    CHROMIUM,
    SEED,
    Api,
    launch,
    tomorrow,
)
from tests.live import live_gunicorn  # noqa: E402

SOLD = ["D6", "D7", "D8", "E7", "E8", "F5", "F6", "F9", "F10", "G7", "G8", "J3", "J4"]
HELD = ["C6", "C7", "E3", "E4"]


def book(api: Api, token: str, showtime_id: int, labels: list[str]) -> dict:
    return api.call(
        "POST",
        "/api/reservations/",
        token=token,
        body={"showtime": showtime_id, "seats": labels},
        expect=201,
    )


def main(output: Path) -> None:
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with live_gunicorn(collectstatic=True, workers=2, seed=SEED) as (server, _):
        api = Api(server)
        showtimes = api.showtimes(tomorrow())
        showtime = next(
            (s for s in showtimes if s["capacity"] == 120), showtimes[0]
        )  # the 14-seat-wide screens with premium and recliner rows
        buyer = api.register("screenshot-buyer")
        for labels in (SOLD[:7], SOLD[7:]):
            sold = book(api, buyer, showtime["id"], labels)
            api.call(
                "POST",
                f"/api/reservations/{sold['id']}/purchase/",
                token=buyer,
                body={},
                expect=200,
            )
        book(api, api.register("screenshot-holder"), showtime["id"], HELD)
        with sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page(
                base_url=server.base_url,
                viewport={"width": 1240, "height": 900},
                device_scale_factor=1,
            )
            page.goto("/")
            page.click(f"button.date-button[data-date='{tomorrow()}']")
            page.click(f"button.showtime[data-showtime-id='{showtime['id']}']")
            page.wait_for_selector("button.seat[data-label='A1']")
            page.select_option("#best-count", "2")
            page.click("#best-button")
            page.wait_for_selector("button.seat.is-selected")
            page.mouse.move(0, 0)
            output.parent.mkdir(parents=True, exist_ok=True)
            box = page.locator("#view-seats").bounding_box()
            margin = 16
            page.screenshot(
                path=str(output),
                clip={
                    "x": box["x"] - margin,
                    "y": box["y"] - margin,
                    "width": box["width"] + 2 * margin,
                    "height": box["height"] + 2 * margin,
                },
            )
            browser.close()
    print(
        f"Wrote {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}"
    )


if __name__ == "__main__":
    main(
        Path(sys.argv[1]).resolve()
        if len(sys.argv) > 1
        else ROOT / "docs" / "seat-map.png"
    )
