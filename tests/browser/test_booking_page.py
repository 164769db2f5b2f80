"""The booking page in a real browser: book, see tickets, conflicts, expiry, docs.

Each test books on its own showtime of tomorrow, so they share one server but no
seats. Screenshots go to test-output/ (not committed).
"""

import json
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from .conftest import DEMO_CUSTOMER, screenshot, tomorrow

pytestmark = pytest.mark.slow


def showtime_for(api, index: int) -> dict:
    showtimes = [s for s in api.showtimes(tomorrow()) if not s["is_cancelled"]]
    assert len(showtimes) > index, "the demo data has showtimes every day"
    return showtimes[index]


def open_showtime(page, showtime: dict) -> None:
    page.click(f"button.date-button[data-date='{tomorrow()}']")
    page.click(f"button.showtime[data-showtime-id='{showtime['id']}']")
    expect(page.locator("#seats-title")).to_have_text(showtime["movie_title"])
    expect(page.locator("button.seat").first).to_be_visible()


def seat(page, label: str):
    return page.locator(f"button.seat[data-label='{label}']")


def log_in_through_dialog(page, username: str, password: str) -> None:
    dialog = page.locator("#auth-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("#login-form [name=username]").fill(username)
    dialog.locator("#login-form [name=password]").fill(password)
    dialog.locator("#login-form button[type=submit]").click()
    expect(dialog).to_be_hidden()


SIGNS = {"USD": "$", "GBP": "£", "EUR": "€"}
DASH, MINUS = "\u2013", "\u2212"  # as the page writes a range and a discount


def money(amount, currency: str) -> str:
    """As the page shows an amount: the currency's sign, two places."""
    return f"{SIGNS[currency]}{Decimal(amount):.2f}"


def hold_through_api(api, token: str, showtime_id: int, labels: list[str]) -> dict:
    return api.call(
        "POST",
        "/api/reservations/",
        token=token,
        body={"showtime": showtime_id, "seats": labels},
        expect=201,
    )


def test_customer_books_two_seats_and_gets_tickets_with_qr_codes(new_page, api):
    showtime = showtime_for(api, 0)
    page = new_page("/")
    expect(page.locator("#browse-title")).to_have_text("What's on")
    open_showtime(page, showtime)
    expect(page.locator(".screen-marker")).to_be_visible()
    expect(page.locator("#legend-categories")).to_contain_text("Standard")
    seat(page, "B3").click()
    seat(page, "B4").click()
    expect(seat(page, "B3")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#selection-summary")).to_contain_text("2 seats: B3 and B4")
    screenshot(page, "1-seats-selected")

    page.click("#hold-button")  # not logged in yet: the dialog asks, then holds
    log_in_through_dialog(page, *DEMO_CUSTOMER)
    expect(page.locator("#view-checkout")).to_be_visible()
    expect(page.locator("#who")).to_have_text("Signed in as customer")
    expect(page.locator("#checkout-summary")).to_contain_text("B3 and B4")
    expect(page.locator("#countdown-value")).to_have_text(re.compile(r"^(9|10):\d\d$"))
    screenshot(page, "2-hold-countdown")

    page.click("#purchase-button")
    expect(page.locator("#view-tickets")).to_be_visible()
    expect(page.locator("#tickets .ticket")).to_have_count(2)
    expect(page.locator("#tickets .ticket-seat")).to_have_text(["Seat B3", "Seat B4"])
    page.wait_for_function(
        """() => [...document.querySelectorAll('#tickets img.qr-image')]
            .filter(img => img.complete && img.naturalWidth > 0
                    && img.src.startsWith('blob:')).length === 2"""
    )
    screenshot(page, "3-tickets")
    assert api.seats(showtime["id"])["B3"] == "sold"

    # Another visitor, in a separate browser context, sees both seats sold.
    other = new_page("/")
    open_showtime(other, showtime)
    for label in ("B3", "B4"):
        expect(seat(other, label)).to_have_attribute("data-status", "sold")
        expect(seat(other, label)).to_have_attribute("aria-disabled", "true")
        expect(seat(other, label)).to_have_attribute(
            "aria-label", re.compile(r"seat \d+, standard, .*, sold$")
        )
    seat(other, "B3").click(force=True)  # aria-disabled: Playwright would wait
    expect(seat(other, "B3")).not_to_have_class(re.compile("is-selected"))
    expect(other.locator("#hold-button")).to_be_disabled()
    screenshot(other, "4-second-visitor-sees-sold")

    for visitor in (page, other):
        assert visitor.js_errors == []
        assert visitor.static_failures == []


def test_seat_taken_between_map_load_and_hold_shows_the_conflict(new_page, api):
    showtime = showtime_for(api, 1)
    page = new_page("/")
    open_showtime(page, showtime)
    seat(page, "C5").click()
    seat(page, "C6").click()

    rival = api.register("rival-browser")
    hold_through_api(api, rival, showtime["id"], ["C6"])

    page.click("#hold-button")  # a new visitor: registers in the dialog, then holds
    dialog = page.locator("#auth-dialog")
    dialog.get_by_role("tab", name="Register").click()
    form = dialog.locator("#register-form")
    form.locator("[name=username]").fill("new-visitor")
    form.locator("[name=email]").fill("new-visitor@example.com")
    form.locator("[name=password]").fill("123")
    form.locator("button[type=submit]").click()
    expect(form.locator(".form-error")).to_contain_text("This password is too short.")
    form.locator("[name=password]").fill("Popcorn-Row-7!")
    form.locator("button[type=submit]").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#who")).to_have_text("Signed in as new-visitor")
    notice = page.locator("#notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(
        "Sorry, seat C6 was just taken by someone else. "
        "The seat map has been refreshed; please choose again."
    )
    expect(page.locator("#view-seats")).to_be_visible()
    expect(seat(page, "C6")).to_have_attribute("data-status", "held")
    expect(seat(page, "C5")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#selection-summary")).to_contain_text("1 seat: C5")
    screenshot(page, "5-conflict")
    assert page.js_errors == []


def test_best_available_and_keyboard_selection(new_page, api):
    showtime = showtime_for(api, 2)
    page = new_page("/")
    open_showtime(page, showtime)
    expected = api.call(
        "GET", f"/api/showtimes/{showtime['id']}/best-seats/?count=3", expect=200
    )["seats"]

    page.select_option("#best-count", "3")
    page.click("#best-button")
    for label in expected:
        expect(seat(page, label)).to_have_attribute("aria-pressed", "true")
    expect(seat(page, expected[0])).to_be_focused()

    # The map is one tab stop; arrows move, Space and Enter select.
    page.keyboard.press("ArrowLeft")
    row = expected[0].rstrip("0123456789")
    number = int(expected[0][len(row) :])
    left = f"{row}{number - 1}"
    expect(seat(page, left)).to_be_focused()
    page.keyboard.press("Space")
    expect(seat(page, left)).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    expect(page.locator("#selection-summary")).to_contain_text("5 seats")
    rows = list(
        dict.fromkeys(label.rstrip("0123456789") for label in api.seats(showtime["id"]))
    )
    focused = page.evaluate("document.activeElement.dataset.label")
    assert focused.rstrip("0123456789") == rows[rows.index(row) - 1]
    assert page.locator("button.seat[tabindex='0']").count() == 1
    screenshot(page, "6-best-and-keyboard")
    assert page.js_errors == []


def test_expired_access_token_is_refreshed_and_bookings_can_be_cancelled(new_page, api):
    showtime = showtime_for(api, 3)
    token = api.token(*DEMO_CUSTOMER)
    held = hold_through_api(api, token, showtime["id"], ["A1", "A2"])
    api.call(
        "POST", f"/api/reservations/{held['id']}/purchase/", token=token, expect=200
    )

    page = new_page("/")
    page.click("#login-button")
    log_in_through_dialog(page, *DEMO_CUSTOMER)
    before = json.loads(
        page.evaluate("sessionStorage.getItem('movie-booking.session')")
    )
    # An access token past its expiry: the page must refresh before using it.
    expired = "e30." + "eyJleHAiOjF9" + ".sig"  # payload {"exp": 1}
    page.evaluate(
        """(access) => {
            const s = JSON.parse(sessionStorage.getItem('movie-booking.session'));
            sessionStorage.setItem('movie-booking.session',
                                   JSON.stringify({...s, access}));
        }""",
        expired,
    )
    page.reload()
    page.click("#nav-bookings")
    card = page.locator(f".booking[data-code='{held['code']}']")
    expect(card).to_contain_text("Paid")
    after = json.loads(page.evaluate("sessionStorage.getItem('movie-booking.session')"))
    assert after["refresh"] != before["refresh"]  # rotated, used once
    assert after["access"] != expired

    card.get_by_role("button", name="Cancel booking").click()
    card.get_by_role("button", name="Yes, cancel it").click()
    refund = money(held["total"], held["currency"])
    expect(page.locator("#notice")).to_contain_text(
        f"Booking {held['code']} was cancelled. {refund} will be refunded."
    )
    expect(page.locator(f".booking[data-code='{held['code']}']")).to_contain_text(
        "Cancelled"
    )
    screenshot(page, "7-my-bookings")
    assert api.seats(showtime["id"])["A1"] == "available"
    assert page.js_errors == []


def test_hold_expiry_returns_to_the_map(api, browser, live):
    showtime = showtime_for(api, 4)
    context = browser.new_context(base_url=live.base_url)
    try:
        page = context.new_page()
        page.clock.install()
        page.goto("/")
        page.click("#login-button")
        log_in_through_dialog(page, *DEMO_CUSTOMER)
        open_showtime(page, showtime)
        seat(page, "D2").click()
        page.click("#hold-button")
        expect(page.locator("#view-checkout")).to_be_visible()
        page.clock.fast_forward("10:05")
        expect(page.locator("#notice")).to_contain_text(
            "Your hold expired and the seats were released. "
            "Please choose your seats again."
        )
        expect(page.locator("#view-seats")).to_be_visible()
        screenshot(page, "8-hold-expired")
    finally:
        context.close()


def test_swagger_ui_lists_operations_with_debug_off(new_page):
    page = new_page("/api/docs/")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible(timeout=20_000)
    assert operations.count() > 20
    expect(
        page.locator(".opblock-summary-path").filter(has_text="/api/check-in/")
    ).to_have_count(1)
    screenshot(page, "9-swagger", full_page=False)
    assert page.static_failures == []


# --- Selling like a cinema: zones, formats, ticket types, vouchers, currency ---------


def movies_by_id(api) -> dict[int, dict]:
    movies = api.call("GET", "/api/movies/?page_size=100", expect=200)["results"]
    return {movie["id"]: movie for movie in movies}


def london_family_showtime(api, *, avoid: set[int]) -> dict:
    """Tomorrow's first London show of a film that admits children, that no other
    test here books on."""
    movies = movies_by_id(api)
    showtimes = api.call(
        "GET", f"/api/showtimes/?city=London&date={tomorrow()}", expect=200
    )["results"]
    return next(
        s
        for s in showtimes
        if movies[s["movie"]]["min_age"] == 0
        and s["id"] not in avoid
        and s["movie"] not in avoid
    )


def used_by_the_other_tests(api) -> set[int]:
    return {showtime_for(api, index)["id"] for index in range(5)}


def price_range(table: dict, currency: str) -> str:
    amounts = [Decimal(a) for row in table.values() for a in row.values()]
    return f"{money(min(amounts), currency)}{DASH}{money(max(amounts), currency)}"


def test_showtimes_show_local_time_zone_format_and_price_range(new_page, api):
    page = new_page("/")
    expect(page.locator("#view-browse")).not_to_contain_text("UTC")
    page.click(f"button.date-button[data-date='{tomorrow()}']")
    page.select_option("#city-filter", "London")
    london = api.call(
        "GET", f"/api/showtimes/?city=London&date={tomorrow()}", expect=200
    )["results"]
    first = london[0]
    button = page.locator(f"button.showtime[data-showtime-id='{first['id']}']")
    expect(button.locator(".showtime-time")).to_have_text(
        f"{first['local_starts_at'][11:16]}Europe/London"
    )
    expect(button.locator(".showtime-price")).to_have_text(
        price_range(first["price_table"], "GBP")
    )
    expect(button).to_contain_text("Odeon Riverside")
    expect(page.locator("button.showtime")).to_have_count(len(london))

    # Berlin's IMAX 3D hall shows films in English with German subtitles, in euros.
    page.select_option("#city-filter", "Berlin")
    page.select_option("#theater-filter", label="Cine Nova (Berlin)")
    berlin = api.call(
        "GET",
        f"/api/showtimes/?city=Berlin&date={tomorrow()}&format=IMAX_3D",
        expect=200,
    )["results"][0]
    button = page.locator(f"button.showtime[data-showtime-id='{berlin['id']}']")
    expect(button.locator(".showtime-details")).to_have_text(
        "IMAX 3D · English · German subtitles"
    )
    expect(button.locator(".showtime-time")).to_contain_text("Europe/Berlin")
    expect(button.locator(".showtime-price")).to_have_text(
        price_range(berlin["price_table"], "EUR")
    )
    expect(page.locator("button.showtime:not([data-showtime-id])")).to_have_count(0)
    screenshot(page, "10-london-and-berlin-showtimes")
    assert page.js_errors == []


def test_child_and_adult_book_with_the_demo_voucher_at_a_london_theater(new_page, api):
    showtime = london_family_showtime(api, avoid=used_by_the_other_tests(api))
    page = new_page("/")
    page.click(f"button.date-button[data-date='{tomorrow()}']")
    page.select_option("#city-filter", "London")
    page.select_option("#theater-filter", label="Odeon Riverside (London)")
    open_showtime(page, showtime)
    expect(page.locator("#seats-subtitle")).to_contain_text("Europe/London")
    for code in ("adult", "child", "senior", "student"):
        expect(page.locator(f"#count-{code}")).to_have_count(1)

    page.fill("#count-child", "1")
    seat(page, "B5").click()
    seat(page, "B6").click()
    expect(page.locator("#count-adult")).to_have_text("1")
    table = showtime["price_table"]["standard"]
    adult, child = Decimal(table["adult"]), Decimal(table["child"])
    summary = page.locator("#selection-summary")
    expect(summary).to_contain_text("2 seats: B5 and B6")
    expect(summary.locator(".ticket-words")).to_have_text("1 adult and 1 child")
    expect(summary.locator(".total")).to_have_text(money(adult + child, "GBP"))

    page.fill("#voucher-input", "NOPE10")
    page.click("#hold-button")
    log_in_through_dialog(page, *DEMO_CUSTOMER)
    expect(page.locator("#notice")).to_contain_text(
        "Voucher NOPE10 cannot be used: There is no voucher with this code."
    )
    expect(page.locator("#view-seats")).to_be_visible()

    page.fill("#voucher-input", "demo10")
    page.click("#hold-button")
    expect(page.locator("#view-checkout")).to_be_visible()
    off = [(p / 10).quantize(Decimal("0.01")) for p in (adult, child)]
    lines = page.locator("#checkout-lines tbody tr")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_have_text(
        f"B5 StandardAdult{money(adult, 'GBP')}{MINUS}{money(off[0], 'GBP')}"
    )
    expect(lines.nth(1)).to_have_text(
        f"B6 StandardChild{money(child, 'GBP')}{MINUS}{money(off[1], 'GBP')}"
    )
    total = adult + child - sum(off)
    expect(page.locator("#checkout-summary [data-row=discount]")).to_have_text(
        f"{MINUS}{money(sum(off), 'GBP')} (voucher DEMO10)"
    )
    expect(page.locator("#checkout-summary [data-row=total]")).to_have_text(
        money(total, "GBP")
    )
    expect(page.locator("#purchase-button")).to_have_text(f"Pay {money(total, 'GBP')}")
    screenshot(page, "11-london-child-adult-voucher")

    page.click("#purchase-button")
    expect(page.locator("#view-tickets")).to_be_visible()
    expect(page.locator("#tickets .ticket-seat")).to_have_text(["Seat B5", "Seat B6"])
    expect(page.locator("#tickets-subtitle")).to_contain_text("Europe/London")
    token = api.token(*DEMO_CUSTOMER)
    mine = api.call("GET", "/api/reservations/", token=token, expect=200)["results"]
    paid = next(r for r in mine if r["showtime"] == showtime["id"])
    assert paid["status"] == "confirmed"
    assert paid["amount_paid"] == f"{total:.2f}"
    assert [(d["label"], d["ticket_type"]) for d in paid["seat_details"]] == [
        ("B5", "adult"),
        ("B6", "child"),
    ]
    assert (paid["voucher"], paid["currency"]) == ("DEMO10", "GBP")
    assert page.js_errors == []


def test_a_child_ticket_is_not_offered_for_a_15_rated_film(new_page, api):
    movie = api.call("GET", "/api/movies/?search=Midnight+Ferry", expect=200)[
        "results"
    ][0]
    assert (movie["rating_system"], movie["certificate"]) == ("BBFC", "15")
    showtime = api.call(
        "GET", f"/api/showtimes/?movie={movie['id']}&date={tomorrow()}", expect=200
    )["results"][0]
    page = new_page("/")
    open_showtime(page, showtime)

    expect(page.locator("#count-adult")).to_be_visible()
    expect(page.locator("#count-senior")).to_be_visible()
    expect(page.locator("#count-student")).to_be_visible()
    expect(page.locator("#count-child")).to_have_count(0)
    expect(page.locator("#ticket-note")).to_have_text(
        "Child tickets are not offered: Midnight Ferry is rated BBFC 15 (from age 15)."
    )
    screenshot(page, "12-no-child-ticket-for-a-15")
    assert page.js_errors == []


def test_a_film_rerated_after_the_page_loaded_refuses_the_child_ticket_readably(
    new_page, api
):
    avoid = used_by_the_other_tests(api)
    avoid.add(london_family_showtime(api, avoid=avoid)["movie"])
    movies = movies_by_id(api)
    showtime = next(
        s
        for s in api.showtimes(tomorrow())
        if movies[s["movie"]]["min_age"] == 0
        and s["id"] not in avoid
        and s["movie"] not in avoid
    )
    movie = movies[showtime["movie"]]
    manager = api.token("manager", "manager-pass-2026")
    page = new_page("/")
    page.click("#login-button")
    log_in_through_dialog(page, *DEMO_CUSTOMER)
    open_showtime(page, showtime)
    page.fill("#count-child", "1")
    seat(page, "A3").click()

    rerated = {"rating_system": "BBFC", "certificate": "15", "min_age": 15}
    original = {key: movie[key] for key in rerated}
    api.call(
        "PATCH", f"/api/movies/{movie['id']}/", token=manager, body=rerated, expect=200
    )
    try:
        page.click("#hold-button")
        expect(page.locator("#notice")).to_contain_text(
            "Child tickets are not allowed for this film: it is rated 15 "
            "(from age 15). The ticket choice has been updated; please choose again."
        )
        expect(page.locator("#count-child")).to_have_count(0)
        expect(page.locator("#ticket-note")).to_contain_text("rated BBFC 15")
        expect(page.locator("#view-seats")).to_be_visible()
        assert page.js_errors == []
    finally:
        api.call(
            "PATCH",
            f"/api/movies/{movie['id']}/",
            token=manager,
            body=original,
            expect=200,
        )


# --- Access places, blocked seats and aisles ------------------------------------------

SMALL_HALL = 44  # the demo's small screen: aisles after seats 2 and 8 of rows A-D,
# wheelchair spaces C2 and C9 with companion seats C1 and C10 (seed_demo)


def small_hall_showtime(api) -> dict:
    """Tomorrow's last show on a small demo screen, that no other test books on."""
    avoid = used_by_the_other_tests(api)
    avoid.add(london_family_showtime(api, avoid=avoid)["id"])
    return next(
        s
        for s in reversed(api.showtimes(tomorrow()))
        if s["capacity"] == SMALL_HALL and s["id"] not in avoid
    )


def centre_x(locator) -> float:
    box = locator.bounding_box()
    return box["x"] + box["width"] / 2


def test_access_places_blocked_seats_aisles_and_their_legend_are_drawn(new_page, api):
    showtime = small_hall_showtime(api)
    manager = api.token("manager", "manager-pass-2026")
    block = api.call(
        "POST",
        f"/api/showtimes/{showtime['id']}/blocks/",
        token=manager,
        body={"seats": ["C5"], "reason": "broken"},
        expect=201,
    )
    page = new_page("/")
    open_showtime(page, showtime)

    features = page.locator("#legend-features")
    expect(features.locator(".legend-name")).to_have_text(
        ["Wheelchair space", "Companion seat"]
    )
    expect(features.locator(".has-wheelchair")).to_have_text("\u267f")
    expect(page.locator("#legend-status")).to_contain_text("Blocked, not for sale")
    for label in ("C2", "C9"):
        expect(seat(page, label)).to_have_text("\u267f")
        expect(seat(page, label)).to_have_class(re.compile(r"\bhas-wheelchair\b"))
        expect(seat(page, label)).to_have_attribute(
            "aria-label", re.compile(rf"^Row C, seat {label[1:]}, wheelchair space, ")
        )
    for label in ("C1", "C10"):
        expect(seat(page, label)).to_have_text("C")
        expect(seat(page, label)).to_have_attribute(
            "aria-label", re.compile(r", companion seat, standard, ")
        )
    expect(seat(page, "C3")).to_have_text("3")

    blocked = seat(page, "C5")
    expect(blocked).to_have_attribute("data-status", "blocked")
    expect(blocked).to_have_attribute("aria-disabled", "true")
    expect(blocked).to_have_attribute(
        "aria-label", re.compile(r"blocked, not for sale$")
    )
    assert blocked.evaluate("b => getComputedStyle(b).borderTopStyle") == "dashed"
    blocked.click(force=True)
    expect(blocked).not_to_have_class(re.compile("is-selected"))
    expect(page.locator("#hold-button")).to_be_disabled()

    # An aisle is a gap one seat wide: B2 -> B3 is twice the step of B3 -> B4,
    # and the aisles line up from row to row.
    step = centre_x(seat(page, "B4")) - centre_x(seat(page, "B3"))
    assert step > 0
    assert centre_x(seat(page, "B3")) - centre_x(seat(page, "B2")) == pytest.approx(
        2 * step, abs=1
    )
    assert centre_x(seat(page, "B9")) - centre_x(seat(page, "B8")) == pytest.approx(
        2 * step, abs=1
    )
    assert centre_x(seat(page, "A2")) == pytest.approx(
        centre_x(seat(page, "B3")), abs=1
    )
    screenshot(page, "13-access-places-blocked-aisles")
    api.call(
        "DELETE",
        f"/api/showtimes/{showtime['id']}/blocks/{block['id']}/",
        token=manager,
        expect=204,
    )
    assert page.js_errors == []


def test_a_wheelchair_space_is_held_only_with_the_checkbox(new_page, api):
    showtime = small_hall_showtime(api)
    api.register("wheelchair-user")
    page = new_page("/")
    page.click("#login-button")
    log_in_through_dialog(page, "wheelchair-user", "Seat-Taker-2026!")
    open_showtime(page, showtime)
    checkbox = page.get_by_label("I need a wheelchair space")
    expect(checkbox).not_to_be_checked()
    notice = page.locator("#notice")

    # A companion seat alone: refused, even with the checkbox.
    checkbox.check()
    seat(page, "C1").click()
    page.click("#hold-button")
    expect(notice).to_contain_text(
        re.compile(
            r"C1 is a companion seat: until \d\d:\d\d it is sold only together "
            r"with the wheelchair space beside it, in the same booking\."
        )
    )
    expect(page.locator("#view-seats")).to_be_visible()
    checkbox.uncheck()
    page.click("#clear-button")

    # The wheelchair space and its companion without the checkbox: refused readably.
    seat(page, "C9").click()
    seat(page, "C10").click()
    page.click("#hold-button")
    expect(notice).to_contain_text(
        re.compile(
            r"C9 is a wheelchair space, kept for wheelchair users until \d\d:\d\d\. "
            r'If you need one, tick "I need a wheelchair space" and hold again\.'
        )
    )
    expect(notice).not_to_contain_text("C10")
    expect(checkbox).to_be_focused()
    expect(page.locator("#selection-summary")).to_contain_text("2 seats: C9 and C10")
    assert api.seats(showtime["id"])["C9"] == "available"
    screenshot(page, "14-wheelchair-space-refused")

    # With it: the hold says accessible, and both seats are held.
    checkbox.check()
    with page.expect_request(
        lambda r: r.url.endswith("/api/reservations/") and r.method == "POST"
    ) as sent:
        page.click("#hold-button")
    assert sent.value.post_data_json["accessible"] is True
    expect(page.locator("#view-checkout")).to_be_visible()
    expect(page.locator("#checkout-summary")).to_contain_text("C9 and C10")
    seats = api.seats(showtime["id"])
    assert (seats["C9"], seats["C10"]) == ("held", "held")
    assert page.js_errors == []


def test_best_available_with_the_checkbox_proposes_a_wheelchair_space(new_page, api):
    showtime = small_hall_showtime(api)
    page = new_page("/")
    open_showtime(page, showtime)
    page.select_option("#best-count", "2")
    page.click("#best-button")  # without the checkbox: never an access place
    expect(page.locator("button.seat.is-selected")).to_have_count(2)
    expect(page.locator("button.seat.is-selected[data-features='']")).to_have_count(2)

    page.get_by_label("I need a wheelchair space").check()
    with page.expect_request(lambda r: "/best-seats/" in r.url) as sent:
        page.click("#best-button")
    assert "accessible=1" in sent.value.url
    selected = page.locator("button.seat.is-selected")
    expect(selected.and_(page.locator(".has-wheelchair"))).to_have_count(1)
    expect(selected.and_(page.locator(".has-companion"))).to_have_count(1)
    assert page.js_errors == []
