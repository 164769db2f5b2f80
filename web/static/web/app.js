// The booking page: city, theater and date -> movies and showtimes -> ticket types
// and seat map -> hold (with a voucher) -> pay -> tickets, plus "My bookings".
// Everything goes through the public API (api.js). Times are shown on each
// theater's clocks and amounts in the currency the API names.

import {
  ApiError,
  api,
  apiAll,
  currentUser,
  logIn,
  logOut,
  onSessionChange,
  register,
} from "./api.js";
import {
  accessibilityName,
  formatDay,
  formatName,
  formatTime,
  formatWhen,
  h,
  isoDate,
  languageName,
  listWords,
  localClock,
  money,
  plural,
  priceRange,
  titleCase,
} from "./dom.js";
import { FEATURES, SeatMap } from "./seatmap.js";

const MAX_SEATS = 10; // the API's RESERVATION_MAX_SEATS default; the API has the last word
const DAYS_SHOWN = 7;

const $ = (id) => document.getElementById(id);

const state = {
  date: isoDate(new Date()),
  movies: null, // Map id -> movie, loaded once
  theaters: null, // Map id -> theater (its timezone and currency), loaded once
  ticketTypes: null, // [ticket type], in the API's order, loaded once
  city: "",
  theater: "",
  showtime: null,
  counts: {}, // ticket type code -> how many (adult: the seats left over)
  seats: [],
  selected: new Set(),
  reservation: null,
  clockSkewMs: 0, // server time minus this browser's time
  countdownTimer: null,
  objectUrls: [],
};

// --- Messages in plain words ----------------------------------------------------

const PLAIN_WORDS = {
  network_error: "Could not reach the server. Check your connection and try again.",
  throttled: "Too many requests in a short time. Please wait a moment and try again.",
  busy: "The booking system is busy right now. Please try again in a moment.",
  showtime_closed:
    "This showtime has started or was cancelled, so it can no longer be booked.",
  cancellation_closed:
    "It is too close to the showtime to cancel this booking online. Please ask at the box office.",
  payment_declined:
    "Your payment was declined. Your seats are still held, so you can try again.",
  reservation_not_active: "This booking was already cancelled or has expired.",
  no_active_account: "Wrong username or password.",
};

const ADULT = "adult";

function plainWords(error) {
  if (!(error instanceof ApiError)) return "Something went wrong. Please try again.";
  if (PLAIN_WORDS[error.code]) return PLAIN_WORDS[error.code];
  if (error.status >= 500) {
    return "Something went wrong on our side. Please try again in a moment.";
  }
  return error.message;
}

function showNotice(text, kind = "error") {
  const notice = $("notice");
  $("notice-text").textContent = text;
  notice.dataset.kind = kind;
  notice.setAttribute("role", kind === "error" ? "alert" : "status");
  notice.hidden = false;
}

function hideNotice() {
  $("notice").hidden = true;
}

function announce(text) {
  const announcer = $("announcer");
  announcer.textContent = "";
  window.setTimeout(() => {
    announcer.textContent = text;
  }, 50);
}

/** Errors every action handles alike; returns true when it dealt with one. */
function handleCommonError(error, retry) {
  if (error instanceof ApiError && error.status === 401) {
    openAuth(
      error.code === "session_expired"
        ? "Your session has ended. Please log in again to continue."
        : "Please log in to continue.",
      retry,
    );
    return true;
  }
  showNotice(plainWords(error));
  return true;
}

// --- Views ----------------------------------------------------------------------

const VIEWS = ["browse", "seats", "checkout", "tickets", "bookings"];

function showView(name, { focus = true } = {}) {
  for (const view of VIEWS) $(`view-${view}`).hidden = view !== name;
  if (name !== "checkout") stopCountdown();
  if (name !== "tickets" && name !== "bookings") releaseObjectUrls();
  document.body.dataset.view = name;
  if (focus) {
    const heading = $(`view-${name}`).querySelector("h1");
    if (heading) heading.focus({ preventScroll: true });
    window.scrollTo({ top: 0 });
  }
}

function currentView() {
  return document.body.dataset.view;
}

// --- 1. Dates, movies and showtimes --------------------------------------------

function renderDates() {
  const today = new Date();
  const buttons = [];
  for (let offset = 0; offset < DAYS_SHOWN; offset += 1) {
    const day = new Date(today.getTime() + offset * 86_400_000);
    const value = isoDate(day);
    const name = offset === 0 ? "Today" : offset === 1 ? "Tomorrow" : formatDay(day);
    buttons.push(
      h(
        "button",
        {
          type: "button",
          class: "date-button",
          "aria-pressed": String(value === state.date),
          dataset: { date: value },
          onclick: () => chooseDate(value),
        },
        h("span", { class: "date-name" }, name),
        h("span", { class: "date-sub" }, offset < 2 ? formatDay(day) : ""),
      ),
    );
  }
  $("date-buttons").replaceChildren(...buttons);
  $("date-input").value = state.date;
}

function chooseDate(value) {
  if (!value) return;
  state.date = value;
  renderDates();
  loadShowtimes();
}

async function loadMovies() {
  if (!state.movies) {
    const movies = await apiAll("/api/movies/?page_size=100");
    state.movies = new Map(movies.map((movie) => [movie.id, movie]));
  }
  return state.movies;
}

async function loadTheaters() {
  if (!state.theaters) {
    const theaters = await apiAll("/api/theaters/?page_size=100");
    state.theaters = new Map(theaters.map((theater) => [theater.id, theater]));
    renderFilters();
  }
  return state.theaters;
}

async function loadTicketTypes() {
  if (!state.ticketTypes) state.ticketTypes = await apiAll("/api/ticket-types/?page_size=100");
  return state.ticketTypes;
}

/** The IANA zone of a theater (UTC until the theaters are loaded). */
function zoneOf(theaterId) {
  const theater = state.theaters && state.theaters.get(theaterId);
  return (theater && theater.timezone) || "UTC";
}

function renderFilters() {
  const theaters = [...state.theaters.values()];
  const cities = [...new Set(theaters.map((theater) => theater.city).filter(Boolean))].sort();
  $("city-filter").replaceChildren(
    h("option", { value: "" }, "All cities"),
    ...cities.map((city) => h("option", { value: city, selected: city === state.city }, city)),
  );
  const shown = theaters
    .filter((theater) => !state.city || theater.city === state.city)
    .sort((a, b) => a.name.localeCompare(b.name));
  if (!shown.some((theater) => String(theater.id) === state.theater)) state.theater = "";
  $("theater-filter").replaceChildren(
    h("option", { value: "" }, state.city ? `All theaters in ${state.city}` : "All theaters"),
    ...shown.map((theater) =>
      h(
        "option",
        { value: theater.id, selected: String(theater.id) === state.theater },
        `${theater.name} (${theater.city || theater.location})`,
      ),
    ),
  );
}

function chooseCity(value) {
  state.city = value;
  state.theater = "";
  renderFilters();
  loadShowtimes();
}

function chooseTheater(value) {
  state.theater = value;
  loadShowtimes();
}

function showtimesQuery() {
  const query = new URLSearchParams({ date: state.date, page_size: 100 });
  if (state.city) query.set("city", state.city);
  if (state.theater) query.set("theater", state.theater);
  return `/api/showtimes/?${query}`;
}

/** "BBFC 15", "MPA PG-13", "FSK 16" (the certificate may already name its system). */
function certificateText(movie) {
  const certificate = movie.certificate || movie.rating || "";
  if (!certificate) return "";
  const system = movie.rating_system || "";
  return system && !certificate.toUpperCase().startsWith(system.toUpperCase())
    ? `${system} ${certificate}`
    : certificate;
}

let showtimesRequest = 0;

async function loadShowtimes() {
  const box = $("showtimes");
  const request = ++showtimesRequest; // a slower answer for an older date loses
  box.setAttribute("aria-busy", "true");
  box.replaceChildren(h("p", { class: "muted loading" }, "Loading showtimes…"));
  try {
    const [movies, showtimes] = await Promise.all([
      loadMovies(),
      apiAll(showtimesQuery()),
      loadTheaters(),
    ]);
    if (request === showtimesRequest) renderShowtimes(movies, showtimes);
  } catch (error) {
    if (request !== showtimesRequest) return;
    box.replaceChildren(
      h("p", { class: "empty" }, plainWords(error)),
      h("button", { type: "button", class: "button secondary", onclick: loadShowtimes }, "Try again"),
    );
  } finally {
    if (request === showtimesRequest) box.setAttribute("aria-busy", "false");
  }
}

function renderShowtimes(movies, showtimes) {
  const box = $("showtimes");
  if (!showtimes.length) {
    const where = state.theater || state.city ? " here" : "";
    box.replaceChildren(
      h("p", { class: "empty" }, `No showtimes${where} on this date. Try another day or place.`),
    );
    return;
  }
  const byMovie = new Map();
  for (const showtime of showtimes) {
    if (!byMovie.has(showtime.movie)) byMovie.set(showtime.movie, []);
    byMovie.get(showtime.movie).push(showtime);
  }
  const now = Date.now();
  const cards = [];
  for (const [movieId, list] of byMovie) {
    const movie = movies.get(movieId) || { title: list[0].movie_title };
    const meta = [
      movie.genre && titleCase(movie.genre),
      movie.duration_minutes && `${movie.duration_minutes} min`,
      certificateText(movie),
    ].filter(Boolean);
    cards.push(
      h(
        "article",
        { class: "movie card" },
        h("h2", { class: "movie-title" }, movie.title),
        h("p", { class: "muted movie-meta" }, meta.join(" · ")),
        h(
          "ul",
          { class: "showtime-list", "aria-label": `Showtimes for ${movie.title}` },
          list.map((showtime) => {
            const started = Date.parse(showtime.starts_at) <= now;
            const soldOut = showtime.available_seats <= 0;
            const closed = showtime.is_cancelled || started || soldOut;
            const why = showtime.is_cancelled
              ? "Cancelled"
              : started
                ? "Started"
                : soldOut
                  ? "Sold out"
                  : `${plural(showtime.available_seats, "seat")} left`;
            const clock = localClock(showtime.local_starts_at);
            const zone = zoneOf(showtime.theater);
            const details = showtimeDetails(showtime);
            const prices = priceRange(showtime.price_table, showtime.currency);
            return h(
              "li",
              {},
              h(
                "button",
                {
                  type: "button",
                  class: "showtime",
                  disabled: closed,
                  dataset: { showtimeId: showtime.id },
                  "aria-label": [
                    `${clock} ${zone} time`,
                    showtime.theater_name,
                    showtime.screen_name,
                    details,
                    prices && `tickets ${prices}`,
                    why,
                  ]
                    .filter(Boolean)
                    .join(", "),
                  onclick: () => openShowtime(showtime),
                },
                h(
                  "span",
                  { class: "showtime-time" },
                  clock,
                  h("span", { class: "showtime-zone" }, zone),
                ),
                h("span", { class: "showtime-place" }, `${showtime.theater_name} · ${showtime.screen_name}`),
                h("span", { class: "showtime-details" }, details),
                h("span", { class: "showtime-price" }, prices),
                h("span", { class: "showtime-seats" }, why),
              ),
            );
          }),
        ),
      ),
    );
  }
  box.replaceChildren(...cards);
}

/** "IMAX 3D · English · German subtitles · Closed captions" */
function showtimeDetails(showtime) {
  return [
    formatName(showtime.format),
    languageName(showtime.audio_language),
    showtime.subtitles && `${languageName(showtime.subtitles)} subtitles`,
    ...(showtime.accessibility || []).map(accessibilityName),
  ]
    .filter(Boolean)
    .join(" · ");
}

// --- 2. Ticket types and the seat map -------------------------------------------------

/**
 * The ticket types this showtime sells: priced in its table and allowed by its
 * film's certificate (a type whose max_age is below the film's min_age is not).
 * Returns {offered, refused, movie}.
 */
function ticketTypesFor(showtime) {
  const priced = new Set(
    Object.values(showtime.price_table || {}).flatMap((row) => Object.keys(row)),
  );
  const movie = (state.movies && state.movies.get(showtime.movie)) || {};
  const minAge = movie.min_age || 0;
  const offered = [];
  const refused = [];
  for (const type of state.ticketTypes || []) {
    if (!priced.has(type.code)) continue;
    if (type.max_age !== null && type.max_age < minAge) refused.push(type);
    else offered.push(type);
  }
  return { offered, refused, movie };
}

function ageText(type) {
  if (type.max_age !== null && type.min_age) return `ages ${type.min_age}–${type.max_age}`;
  if (type.max_age !== null) return `up to ${type.max_age}`;
  if (type.min_age) return `${type.min_age} and over`;
  return "";
}

function renderTicketCounts() {
  const showtime = state.showtime;
  const { offered, refused, movie } = ticketTypesFor(showtime);
  const rows = offered.map((type) => {
    const prices = Object.fromEntries(
      Object.entries(showtime.price_table || {})
        .filter(([, row]) => type.code in row)
        .map(([category, row]) => [category, { [type.code]: row[type.code] }]),
    );
    const hint = [ageText(type), type.requires_id && "ID required", priceRange(prices, showtime.currency)]
      .filter(Boolean)
      .join(" · ");
    const id = `count-${type.code}`;
    const field =
      type.code === ADULT
        ? h("output", { id, "aria-live": "polite" }, "0")
        : h("input", {
            id,
            type: "number",
            min: 0,
            max: MAX_SEATS,
            step: 1,
            inputmode: "numeric",
            value: state.counts[type.code] || 0,
            dataset: { ticketType: type.code },
            oninput: (event) => {
              const value = Math.max(0, Math.min(MAX_SEATS, Math.floor(Number(event.target.value) || 0)));
              state.counts[type.code] = value;
              renderSelection();
            },
          });
    return h(
      "label",
      { class: "ticket-count", dataset: { ticketType: type.code } },
      h(
        "span",
        {},
        type.name,
        type.code === ADULT ? h("small", {}, "Every seat not given another type") : null,
        hint ? h("small", {}, hint) : null,
      ),
      field,
    );
  });
  $("ticket-counts").replaceChildren(...rows);
  const note = $("ticket-note");
  if (refused.length) {
    const names = listWords(refused.map((type) => type.name));
    note.textContent = `${names} tickets are not offered: ${movie.title} is rated ${certificateText(movie)} (from age ${movie.min_age}).`;
    note.hidden = false;
  } else {
    note.hidden = true;
  }
}

/** Counts of the types other than adult that the showtime offers. */
function concessions() {
  const { offered } = ticketTypesFor(state.showtime);
  return offered
    .filter((type) => type.code !== ADULT)
    .map((type) => [type.code, state.counts[type.code] || 0])
    .filter(([, count]) => count > 0);
}

/**
 * A ticket type for every selected seat: the chosen concessions on seats whose
 * category prices them, adults on the rest. Returns {lines, problem}.
 */
function assignTickets(seats) {
  if (!state.showtime) return { lines: [], problem: null };
  const table = state.showtime.price_table || {};
  const wanted = concessions();
  const asked = wanted.reduce((sum, [, count]) => sum + count, 0);
  if (asked > seats.length) {
    const more = asked - seats.length;
    return {
      lines: [],
      problem: `You chose ${plural(asked, "ticket")}: pick ${plural(more, "more seat")}.`,
    };
  }
  const byLabel = new Map();
  for (const [code, count] of wanted) {
    for (let i = 0; i < count; i += 1) {
      // Adults first in seat order: the concessions take the last seats that fit.
      const seat = [...seats]
        .reverse()
        .find((s) => !byLabel.has(s.label) && table[s.category] && code in table[s.category]);
      if (!seat) {
        return {
          lines: [],
          problem: `There is no ${code} price for the seats you chose; choose other seats.`,
        };
      }
      byLabel.set(seat.label, code);
    }
  }
  const lines = seats.map((seat) => {
    const type = byLabel.get(seat.label) || ADULT;
    const row = table[seat.category] || {};
    return { seat, type, price: Number(row[type] !== undefined ? row[type] : seat.price) };
  });
  return { lines, problem: null };
}

const seatMap = new SeatMap($("seatmap"), {
  onToggle: toggleSeat,
  onBlocked: (seat) =>
    announce(
      `Seat ${seat.label} is ${
        { sold: "sold", blocked: "blocked and not for sale" }[seat.status] || "not available"
      }.`,
    ),
});

async function openShowtime(showtime) {
  hideNotice();
  state.showtime = showtime;
  state.selected = new Set();
  state.seats = [];
  state.counts = {};
  $("voucher-input").value = "";
  $("accessible-input").checked = false;
  $("seats-title").textContent = showtime.movie_title;
  $("seats-subtitle").textContent = [
    formatWhen(showtime.starts_at, zoneOf(showtime.theater)),
    showtime.theater_name,
    showtime.screen_name,
    showtimeDetails(showtime),
  ].join(" · ");
  $("ticket-counts").replaceChildren();
  $("seatmap").replaceChildren(h("p", { class: "muted loading" }, "Loading the seat map…"));
  showView("seats");
  try {
    await loadTicketTypes();
  } catch (error) {
    showNotice(plainWords(error));
  }
  if (state.showtime !== showtime) return;
  renderTicketCounts();
  await loadSeats();
}

/**
 * Reload the live seat map. Seats in the selection that someone else took
 * meanwhile are dropped from it; their labels are returned.
 */
async function loadSeats() {
  const showtime = state.showtime;
  let seats;
  try {
    seats = await api(`/api/showtimes/${showtime.id}/seats/`);
  } catch (error) {
    showNotice(plainWords(error));
    return [];
  }
  if (state.showtime !== showtime) return []; // another showtime was opened meanwhile
  state.seats = seats;
  const status = new Map(seats.map((seat) => [seat.label, seat.status]));
  const lost = [...state.selected].filter((label) => status.get(label) !== "available");
  for (const label of lost) state.selected.delete(label);
  seatMap.render(seats, state.selected, showtime.currency);
  renderLegend();
  renderBestControls();
  renderSelection();
  return lost;
}

function categoriesWithPrices() {
  const categories = new Map();
  for (const seat of state.seats) {
    if (!categories.has(seat.category)) categories.set(seat.category, seat.price);
  }
  return categories;
}

function renderLegend() {
  const swatch = (classes) => h("span", { class: `seat swatch ${classes}`, "aria-hidden": "true" });
  $("legend-status").replaceChildren(
    h("li", {}, swatch("cat-standard is-available"), "Available"),
    h("li", {}, swatch("cat-standard is-available is-selected"), "Your selection"),
    h("li", {}, swatch("is-held"), "Held by someone else"),
    h("li", {}, swatch("is-sold"), "Sold"),
    h("li", {}, swatch("is-blocked"), "Blocked, not for sale"),
  );
  // The access places and marks this hall has, each drawn as on the map.
  const present = new Set(state.seats.flatMap((seat) => seat.features || []));
  const featureSwatch = (feature) =>
    h(
      "span",
      { class: `seat swatch cat-standard is-available has-${feature.replace("_", "-")}`, "aria-hidden": "true" },
      FEATURES[feature].symbol ? h("span", { class: "seat-symbol" }, FEATURES[feature].symbol) : "",
    );
  $("legend-features").replaceChildren(
    ...Object.keys(FEATURES)
      .filter((feature) => present.has(feature))
      .map((feature) =>
        h(
          "li",
          { dataset: { feature } },
          featureSwatch(feature),
          h("span", { class: "legend-name" }, titleCase(FEATURES[feature].words)),
        ),
      ),
  );
  $("legend-features").hidden = !present.size;
  $("legend-categories").replaceChildren(
    ...[...categoriesWithPrices()].map(([category, price]) =>
      h(
        "li",
        {},
        swatch(`cat-${category} is-available`),
        h("span", { class: "legend-name" }, titleCase(category)),
        h("span", { class: "legend-price" }, price === null ? "–" : money(price, state.showtime.currency)),
      ),
    ),
  );
}

function renderBestControls() {
  const count = $("best-count");
  const previous = Number(count.value) || 2;
  count.replaceChildren(
    ...Array.from({ length: MAX_SEATS }, (_, i) =>
      h("option", { value: i + 1, selected: i + 1 === previous }, String(i + 1)),
    ),
  );
  const category = $("best-category");
  const chosen = category.value;
  category.replaceChildren(
    h("option", { value: "" }, "Any"),
    ...[...categoriesWithPrices()].map(([name, price]) =>
      h(
        "option",
        { value: name, selected: name === chosen },
        `${titleCase(name)} (${price === null ? "–" : money(price, state.showtime.currency)})`,
      ),
    ),
  );
}

function selectedSeats() {
  return state.seats.filter((seat) => state.selected.has(seat.label));
}

function ticketWords(lines) {
  const counts = new Map();
  for (const line of lines) counts.set(line.type, (counts.get(line.type) || 0) + 1);
  const names = new Map((state.ticketTypes || []).map((type) => [type.code, type.name.toLowerCase()]));
  return listWords([...counts].map(([code, count]) => `${count} ${names.get(code) || code}`));
}

function renderSelection() {
  const seats = selectedSeats();
  const { lines, problem } = assignTickets(seats);
  const adultOutput = $("count-adult");
  if (adultOutput) adultOutput.textContent = String(lines.filter((l) => l.type === ADULT).length);
  const currency = state.showtime && state.showtime.currency;
  const total = lines.reduce((sum, line) => sum + line.price, 0);
  const summary = $("selection-summary");
  if (problem) {
    summary.replaceChildren(
      seats.length ? `${plural(seats.length, "seat")}: ${listWords(seats.map((seat) => seat.label))}. ` : "",
      h("strong", { class: "selection-problem" }, problem),
    );
  } else if (!seats.length) {
    summary.replaceChildren("No seats selected yet. Pick seats on the map or use Best available.");
  } else {
    summary.replaceChildren(
      h("strong", {}, plural(seats.length, "seat")),
      `: ${listWords(seats.map((seat) => seat.label))}`,
      h("br"),
      h("span", { class: "ticket-words" }, ticketWords(lines)),
      h("br"),
      "Total ",
      h("strong", { class: "total" }, money(total, currency)),
      $("voucher-input").value.trim() ? " before the voucher" : "",
    );
  }
  const hold = $("hold-button");
  hold.disabled = !seats.length || Boolean(problem);
  hold.textContent = seats.length ? `Hold ${plural(seats.length, "seat")}` : "Hold seats";
  $("clear-button").hidden = !seats.length;
}

function toggleSeat(seat) {
  if (state.selected.has(seat.label)) {
    state.selected.delete(seat.label);
    announce(`${seat.label} removed. ${plural(state.selected.size, "seat")} selected.`);
  } else if (state.selected.size >= MAX_SEATS) {
    showNotice(`You can hold at most ${MAX_SEATS} seats in one booking.`, "info");
    return;
  } else {
    state.selected.add(seat.label);
    announce(`${seat.label} selected. ${plural(state.selected.size, "seat")} selected.`);
  }
  seatMap.updateSelection(state.selected);
  renderSelection();
}

async function bestAvailable() {
  hideNotice();
  const count = Number($("best-count").value);
  const category = $("best-category").value;
  const query = new URLSearchParams({ count });
  if (category) query.set("category", category);
  if ($("accessible-input").checked) query.set("accessible", "1");
  const button = $("best-button");
  button.disabled = true;
  try {
    const best = await api(`/api/showtimes/${state.showtime.id}/best-seats/?${query}`);
    state.selected = new Set(best.seats);
    await loadSeats(); // the endpoint read live data; show the map as fresh
    seatMap.focusSeat(best.seats[0]);
    announce(
      `Best available: ${listWords(best.seats)} in row ${best.row}, total ${money(best.total_price, best.currency)}.`,
    );
  } catch (error) {
    if (error instanceof ApiError && error.code === "no_adjacent_seats") {
      const what = category ? `${category} seats` : "seats";
      showNotice(
        `There are no ${count} ${what} together in one row any more. Try fewer seats or another category.`,
        "info",
      );
    } else {
      handleCommonError(error, bestAvailable);
    }
  } finally {
    button.disabled = false;
  }
}

async function holdSeats() {
  hideNotice();
  const seats = selectedSeats();
  const labels = seats.map((seat) => seat.label);
  if (!labels.length) return;
  const { lines, problem } = assignTickets(seats);
  if (problem) {
    showNotice(problem, "info");
    return;
  }
  const voucher = $("voucher-input").value.trim();
  if (!currentUser()) {
    openAuth(`Log in or register to hold ${listWords(labels)}.`, holdSeats);
    return;
  }
  const button = $("hold-button");
  button.disabled = true;
  button.textContent = "Holding…";
  try {
    const reservation = await api("/api/reservations/", {
      method: "POST",
      auth: true,
      body: {
        showtime: state.showtime.id,
        tickets: lines.map((line) => ({ seat: line.seat.label, ticket_type: line.type })),
        ...(voucher ? { voucher } : {}),
        ...($("accessible-input").checked ? { accessible: true } : {}),
      },
    });
    startCheckout(reservation);
  } catch (error) {
    await holdFailed(error);
  } finally {
    renderSelection();
  }
}

async function holdFailed(error) {
  if (!(error instanceof ApiError)) return handleCommonError(error, holdSeats);
  if (error.code === "seats_unavailable") {
    const taken = error.details.seats || [];
    await loadSeats();
    for (const label of taken) state.selected.delete(label);
    seatMap.updateSelection(state.selected);
    renderSelection();
    const which = taken.length ? listWords(taken) : "Some of your seats";
    const verb = taken.length === 1 ? "was" : "were";
    showNotice(
      `Sorry, ${taken.length ? `seat ${which}` : which} ${verb} just taken by someone else. ` +
        "The seat map has been refreshed; please choose again.",
    );
    return;
  }
  if (error.code === "seat_reserved_for_access") {
    showNotice(accessWords(error));
    if (!$("accessible-input").checked) $("accessible-input").focus();
    return;
  }
  if (error.code === "voucher_invalid") {
    const code = $("voucher-input").value.trim().toUpperCase();
    showNotice(`Voucher ${code} cannot be used: ${error.message} Remove it or try another code.`);
    $("voucher-input").focus();
    return;
  }
  if (["ticket_type_not_allowed", "ticket_type_unavailable"].includes(error.code)) {
    // The film's rating or the showtime's prices changed since the page loaded.
    state.movies = null;
    await loadMovies().catch(() => {});
    const fresh = await api(`/api/showtimes/${state.showtime.id}/`).catch(() => null);
    if (fresh && state.showtime && fresh.id === state.showtime.id) state.showtime = fresh;
    renderTicketCounts();
    renderSelection();
    const text = error.message.charAt(0).toUpperCase() + error.message.slice(1);
    showNotice(`${text} The ticket choice has been updated; please choose again.`);
    return;
  }
  if (error.code === "showtime_closed") {
    showNotice(plainWords(error));
    showView("browse");
    loadShowtimes();
    return;
  }
  if (["invalid", "invalid_seats", "unknown_seats"].includes(error.code)) {
    await loadSeats();
  }
  handleCommonError(error, holdSeats);
}

/** The 409 `seat_reserved_for_access` in plain words: which seats, and what to do. */
function accessWords(error) {
  const refused = (error.details && error.details.seats) || [];
  const byLabel = new Map(state.seats.map((seat) => [seat.label, seat]));
  const has = (label, feature) => ((byLabel.get(label) || {}).features || []).includes(feature);
  const wheelchair = refused.filter((label) => has(label, "wheelchair"));
  const companion = refused.filter((label) => has(label, "companion"));
  const release = error.details && error.details.release_at;
  const until = release
    ? ` until ${formatTime(release, zoneOf(state.showtime.theater))}`
    : " until shortly before the start";
  const parts = [];
  const is = (labels) => (labels.length === 1 ? "is" : "are");
  if (wheelchair.length) {
    const what = wheelchair.length === 1 ? "a wheelchair space" : "wheelchair spaces";
    parts.push(
      `${listWords(wheelchair)} ${is(wheelchair)} ${what}, kept for wheelchair users${until}. ` +
        `If you need one, tick "I need a wheelchair space" and hold again.`,
    );
  }
  if (companion.length) {
    const what = companion.length === 1 ? "a companion seat" : "companion seats";
    const them = companion.length === 1 ? "it is" : "they are";
    parts.push(
      `${listWords(companion)} ${is(companion)} ${what}:${until} ${them} sold only together ` +
        "with the wheelchair space beside it, in the same booking.",
    );
  }
  if (!parts.length) {
    const which = refused.length ? `${listWords(refused)}: ` : "";
    parts.push(`${which}${error.message}`);
  }
  return parts.join(" ");
}

// --- 3. Checkout: the hold and its countdown -------------------------------------

function startCheckout(reservation) {
  state.reservation = reservation;
  // created_at is the server's clock a moment ago: enough to correct for a browser
  // whose clock is off, so the countdown ends when the server's hold does.
  const serverNow = Date.parse(reservation.created_at);
  if (Number.isFinite(serverNow)) state.clockSkewMs = serverNow - Date.now();
  const detail = reservation.showtime_detail;
  const currency = reservation.currency;
  $("checkout-subtitle").textContent =
    `${detail.movie_title} · ${formatWhen(detail.starts_at, zoneOf(detail.theater_id))} · ${detail.theater} · ${detail.screen}`;
  const typeNames = new Map((state.ticketTypes || []).map((type) => [type.code, type.name]));
  $("checkout-lines").tBodies[0].replaceChildren(
    ...(reservation.seat_details || []).map((line) =>
      h(
        "tr",
        { dataset: { label: line.label, ticketType: line.ticket_type } },
        h("td", {}, `${line.label} `, h("span", { class: "muted small" }, titleCase(line.category))),
        h("td", {}, typeNames.get(line.ticket_type) || titleCase(line.ticket_type)),
        h("td", { class: "amount" }, money(line.price, currency)),
        h("td", { class: "amount" }, Number(line.discount) ? `−${money(line.discount, currency)}` : "–"),
      ),
    ),
  );
  const row = (term, value, name) => [h("dt", {}, term), h("dd", { dataset: { row: name } }, value)];
  $("checkout-summary").replaceChildren(
    ...row("Seats", listWords(reservation.seats), "seats"),
    ...(reservation.voucher
      ? row(
          "Discount",
          `−${money(reservation.discount_total, currency)} (voucher ${reservation.voucher})`,
          "discount",
        )
      : []),
    ...row("Total", money(reservation.total, currency), "total"),
    ...row("Booking reference", h("code", {}, reservation.code), "code"),
  );
  $("purchase-button").disabled = false;
  $("purchase-button").textContent = `Pay ${money(reservation.total, currency)}`;
  showView("checkout");
  startCountdown();
}

function remainingMs() {
  return Date.parse(state.reservation.expires_at) - (Date.now() + state.clockSkewMs);
}

function startCountdown() {
  stopCountdown();
  let lastAnnounced = null;
  const tick = () => {
    const left = Math.max(0, remainingMs());
    const minutes = Math.floor(left / 60_000);
    const seconds = Math.floor((left % 60_000) / 1000);
    $("countdown-value").textContent = `${minutes}:${String(seconds).padStart(2, "0")}`;
    $("countdown").classList.toggle("urgent", left < 60_000);
    for (const mark of [300, 60]) {
      if (left <= mark * 1000 && left > (mark - 2) * 1000 && lastAnnounced !== mark) {
        lastAnnounced = mark;
        announce(`${plural(mark / 60, "minute")} left to pay.`);
      }
    }
    if (left <= 0) holdExpired();
  };
  tick();
  state.countdownTimer = window.setInterval(tick, 1000);
}

function stopCountdown() {
  if (state.countdownTimer) window.clearInterval(state.countdownTimer);
  state.countdownTimer = null;
}

async function holdExpired() {
  stopCountdown();
  const showtimeId = state.reservation && state.reservation.showtime;
  state.reservation = null;
  if (!state.showtime || state.showtime.id !== showtimeId) {
    showView("browse");
    showNotice("Your hold expired and the seats were released. Please choose your seats again.");
    return;
  }
  showView("seats");
  const lost = await loadSeats();
  showNotice(
    "Your hold expired and the seats were released. Please choose your seats again." +
      (lost.length ? ` ${listWords(lost)} ${lost.length === 1 ? "is" : "are"} no longer free.` : ""),
  );
}

async function purchase() {
  hideNotice();
  const reservation = state.reservation;
  const button = $("purchase-button");
  button.disabled = true;
  button.textContent = "Paying…";
  try {
    const paid = await api(`/api/reservations/${reservation.id}/purchase/`, {
      method: "POST",
      auth: true,
      body: {},
    });
    state.reservation = null;
    stopCountdown();
    showTickets(paid);
    showNotice(`Payment received. Enjoy the film!`, "success");
  } catch (error) {
    button.disabled = false;
    button.textContent = `Pay ${money(reservation.total, reservation.currency)}`;
    if (error instanceof ApiError && error.code === "hold_expired") {
      holdExpired();
    } else if (error instanceof ApiError && error.code === "reservation_not_held") {
      const fresh = await api(`/api/reservations/${reservation.id}/`, { auth: true });
      if (fresh.status === "confirmed") showTickets(fresh);
      else holdExpired();
    } else {
      handleCommonError(error, purchase);
    }
  }
}

async function releaseHold() {
  hideNotice();
  const reservation = state.reservation;
  try {
    await api(`/api/reservations/${reservation.id}/`, { method: "DELETE", auth: true });
  } catch (error) {
    if (!(error instanceof ApiError && error.code === "reservation_not_active")) {
      handleCommonError(error, releaseHold);
      return;
    }
  }
  state.reservation = null;
  showView("seats");
  await loadSeats();
  showNotice(`Seats ${listWords(reservation.seats)} released.`, "info");
}

// --- 4. Tickets with QR codes ----------------------------------------------------

function releaseObjectUrls() {
  for (const url of state.objectUrls) URL.revokeObjectURL(url);
  state.objectUrls = [];
}

async function loadQr(img, code) {
  try {
    // The QR endpoint needs the Authorization header, so an <img src> cannot
    // fetch it: fetch it here and show it through an object URL.
    const response = await api(`/api/tickets/${encodeURIComponent(code)}/qr.svg`, {
      auth: true,
      raw: true,
      headers: { Accept: "image/svg+xml" },
    });
    const url = URL.createObjectURL(await response.blob());
    state.objectUrls.push(url);
    img.src = url;
    img.closest(".qr").classList.remove("loading");
  } catch (error) {
    img.closest(".qr").replaceChildren(h("p", { class: "small" }, plainWords(error)));
  }
}

function ticketCards(reservation) {
  return reservation.tickets.map((ticket) => {
    const img = h("img", {
      class: "qr-image",
      alt: `QR code for seat ${ticket.seat}`,
      width: 164,
      height: 164,
    });
    loadQr(img, ticket.code);
    return h(
      "article",
      { class: `ticket card${ticket.is_void ? " is-void" : ""}`, dataset: { code: ticket.code } },
      h("div", { class: "qr loading" }, img),
      h(
        "div",
        { class: "ticket-body" },
        h("p", { class: "ticket-seat" }, `Seat ${ticket.seat}`),
        h("p", { class: "muted small" }, reservation.showtime_detail.movie_title),
        h(
          "p",
          { class: "muted small" },
          formatWhen(reservation.showtime_detail.starts_at, zoneOf(reservation.showtime_detail.theater_id)),
        ),
        h("p", { class: "ticket-code small" }, ticket.code),
        ticket.is_void ? h("p", { class: "badge badge-cancelled" }, "Cancelled") : null,
        ticket.checked_in_at ? h("p", { class: "badge" }, "Used") : null,
      ),
    );
  });
}

function showTickets(reservation) {
  releaseObjectUrls();
  const detail = reservation.showtime_detail;
  $("tickets-subtitle").textContent =
    `${detail.movie_title} · ${formatWhen(detail.starts_at, zoneOf(detail.theater_id))} · ${detail.theater} · ${detail.screen} · booking ${reservation.code}`;
  $("tickets").replaceChildren(...ticketCards(reservation));
  showView("tickets");
}

// --- 5. My bookings ----------------------------------------------------------------

const STATUS_NAMES = {
  held: "Held, not paid",
  confirmed: "Paid",
  cancelled: "Cancelled",
  expired: "Expired",
};

async function openBookings() {
  hideNotice();
  if (!currentUser()) {
    openAuth("Log in to see your bookings.", openBookings);
    return;
  }
  showView("bookings");
  const box = $("bookings");
  box.replaceChildren(h("p", { class: "muted loading" }, "Loading your bookings…"));
  try {
    const [page] = await Promise.all([
      api("/api/reservations/?page_size=50", { auth: true }),
      loadTheaters(),
      loadTicketTypes(),
    ]);
    renderBookings(page.results);
  } catch (error) {
    box.replaceChildren();
    handleCommonError(error, openBookings);
  }
}

function renderBookings(reservations) {
  const box = $("bookings");
  if (!reservations.length) {
    box.replaceChildren(h("p", { class: "empty" }, "You have no bookings yet."));
    return;
  }
  const now = Date.now();
  box.replaceChildren(
    ...reservations.map((reservation) => {
      const detail = reservation.showtime_detail;
      const upcoming = Date.parse(detail.starts_at) > now;
      const holdLive =
        reservation.status === "held" && Date.parse(reservation.expires_at) > now;
      const status = holdLive || reservation.status !== "held" ? reservation.status : "expired";
      const actions = h("div", { class: "actions" });
      if (holdLive) {
        actions.append(
          h("button", { type: "button", class: "button primary", onclick: () => startCheckout(reservation) }, "Continue to payment"),
        );
      }
      if (status === "confirmed") {
        actions.append(
          h("button", { type: "button", class: "button secondary", onclick: () => showTickets(reservation) }, "Show tickets"),
        );
      }
      if ((holdLive || status === "confirmed") && upcoming) {
        actions.append(
          h("button", { type: "button", class: "button ghost danger", onclick: () => confirmCancel(reservation, actions) }, "Cancel booking"),
        );
      }
      return h(
        "article",
        { class: "booking card", dataset: { code: reservation.code, status } },
        h(
          "div",
          { class: "booking-head" },
          h("h2", { class: "booking-title" }, detail.movie_title),
          h("span", { class: `badge badge-${status}` }, STATUS_NAMES[status] || status),
        ),
        h(
          "p",
          { class: "muted" },
          `${formatWhen(detail.starts_at, zoneOf(detail.theater_id))} · ${detail.theater} · ${detail.screen}`,
        ),
        h(
          "p",
          {},
          `Seats ${listWords(reservation.seats)} · ${money(reservation.total, reservation.currency)} · reference `,
          h("code", {}, reservation.code),
          reservation.refund_amount && status === "cancelled"
            ? ` · refunded ${money(reservation.refund_amount, reservation.currency)}`
            : "",
        ),
        actions,
      );
    }),
  );
}

function confirmCancel(reservation, actions) {
  const question = h(
    "div",
    { class: "confirm", role: "group", "aria-label": "Confirm cancellation" },
    h("p", {}, `Cancel booking ${reservation.code} for ${listWords(reservation.seats)}?`),
    h("button", { type: "button", class: "button danger", onclick: () => cancelBooking(reservation) }, "Yes, cancel it"),
    h("button", { type: "button", class: "button ghost", onclick: () => openBookings() }, "Keep it"),
  );
  actions.replaceChildren(question);
  question.querySelector("button").focus();
}

async function cancelBooking(reservation) {
  hideNotice();
  try {
    await api(`/api/reservations/${reservation.id}/`, { method: "DELETE", auth: true });
    const fresh = await api(`/api/reservations/${reservation.id}/`, { auth: true });
    const refund =
      Number(fresh.refund_amount) > 0
        ? ` ${money(fresh.refund_amount, fresh.currency)} will be refunded.`
        : "";
    await openBookings();
    showNotice(`Booking ${reservation.code} was cancelled.${refund}`, "success");
  } catch (error) {
    handleCommonError(error, () => cancelBooking(reservation));
    if (!(error instanceof ApiError && error.status === 401)) await openBookings().catch(() => {});
  }
}

// --- Log in and register ---------------------------------------------------------

let afterAuth = null;

function openAuth(reason, then) {
  afterAuth = then || null;
  $("auth-reason").textContent = reason || "";
  selectTab("login");
  for (const form of [$("login-form"), $("register-form")]) {
    form.querySelector(".form-error").hidden = true;
  }
  const dialog = $("auth-dialog");
  if (!dialog.open) dialog.showModal();
  $("login-form").elements.username.focus();
}

function selectTab(name) {
  const login = name === "login";
  $("tab-login").setAttribute("aria-selected", String(login));
  $("tab-register").setAttribute("aria-selected", String(!login));
  $("tab-login").tabIndex = login ? 0 : -1;
  $("tab-register").tabIndex = login ? -1 : 0;
  $("login-form").hidden = !login;
  $("register-form").hidden = login;
  $("auth-title").textContent = login ? "Log in" : "Create an account";
}

function formError(form, error) {
  const box = form.querySelector(".form-error");
  let text = plainWords(error);
  if (error instanceof ApiError && error.code === "invalid" && Object.keys(error.fields).length) {
    text = Object.entries(error.fields)
      .map(([field, messages]) => `${titleCase(field.replace("_", " "))}: ${[].concat(messages).join(" ")}`)
      .join(" ");
  }
  box.textContent = text;
  box.hidden = false;
}

async function submitAuth(event, action) {
  event.preventDefault();
  const form = event.currentTarget;
  const submit = form.querySelector("button[type=submit]");
  const values = Object.fromEntries(new FormData(form));
  form.querySelector(".form-error").hidden = true;
  submit.disabled = true;
  try {
    await action(values);
    form.reset();
    const next = afterAuth;
    afterAuth = null;
    $("auth-dialog").close();
    if (next) await next();
  } catch (error) {
    formError(form, error);
  } finally {
    submit.disabled = false;
  }
}

function renderSession(user) {
  $("who").hidden = !user;
  $("who").textContent = user ? `Signed in as ${user.username}` : "";
  $("login-button").hidden = Boolean(user);
  $("logout-button").hidden = !user;
  $("nav-bookings").hidden = !user;
}

// --- Wiring ------------------------------------------------------------------------

function wire() {
  $("notice-close").addEventListener("click", hideNotice);
  $("date-input").addEventListener("change", (event) => chooseDate(event.target.value));
  $("city-filter").addEventListener("change", (event) => chooseCity(event.target.value));
  $("theater-filter").addEventListener("change", (event) => chooseTheater(event.target.value));
  $("voucher-input").addEventListener("input", () => renderSelection());
  $("back-to-showtimes").addEventListener("click", () => {
    hideNotice();
    showView("browse");
    loadShowtimes();
  });
  $("bookings-back").addEventListener("click", () => {
    hideNotice();
    showView("browse");
    loadShowtimes();
  });
  $("best-button").addEventListener("click", bestAvailable);
  $("hold-button").addEventListener("click", holdSeats);
  $("clear-button").addEventListener("click", () => {
    state.selected.clear();
    seatMap.updateSelection(state.selected);
    renderSelection();
  });
  $("purchase-button").addEventListener("click", purchase);
  $("release-button").addEventListener("click", releaseHold);
  $("tickets-to-bookings").addEventListener("click", openBookings);
  $("tickets-to-browse").addEventListener("click", () => {
    hideNotice();
    showView("browse");
    loadShowtimes();
  });
  $("nav-bookings").addEventListener("click", openBookings);
  $("login-button").addEventListener("click", () => openAuth("", null));
  $("logout-button").addEventListener("click", async () => {
    await logOut();
    if (["checkout", "tickets", "bookings"].includes(currentView())) {
      showView("browse");
      loadShowtimes();
    }
    showNotice("You are logged out.", "info");
  });
  $("tab-login").addEventListener("click", () => selectTab("login"));
  $("tab-register").addEventListener("click", () => selectTab("register"));
  for (const tab of [$("tab-login"), $("tab-register")]) {
    tab.addEventListener("keydown", (event) => {
      if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
        const next = tab.id === "tab-login" ? "register" : "login";
        selectTab(next);
        $(`tab-${next}`).focus();
      }
    });
  }
  $("login-form").addEventListener("submit", (event) =>
    submitAuth(event, ({ username, password }) => logIn(username.trim(), password)),
  );
  $("register-form").addEventListener("submit", (event) =>
    submitAuth(event, ({ username, email, password }) =>
      register(username.trim(), email.trim(), password),
    ),
  );
  $("auth-dialog").addEventListener("close", () => {
    afterAuth = null;
  });
  // Coming back to the tab: the seats may have changed meanwhile.
  document.addEventListener("visibilitychange", async () => {
    if (document.visibilityState !== "visible" || currentView() !== "seats") return;
    const lost = await loadSeats();
    if (lost.length) {
      showNotice(
        `${listWords(lost)} ${lost.length === 1 ? "was" : "were"} just taken by someone else and removed from your selection.`,
      );
    }
  });
  onSessionChange(renderSession);
}

wire();
renderSession(currentUser());
renderDates();
showView("browse", { focus: false });
loadShowtimes();
