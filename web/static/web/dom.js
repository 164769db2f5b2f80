// Small DOM and formatting helpers. Text from the API only ever goes in through
// textContent (never innerHTML), so a movie title cannot inject markup.

/** h("button", {class: "x", onclick: fn}, "text", child) -> an element. */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (name === "style" && typeof value === "object") {
      for (const [key, v] of Object.entries(value)) element.style.setProperty(key, v);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// Amounts come with an ISO 4217 code (a showtime's or reservation's `currency`);
// Intl picks the sign, so nothing here knows one.
const moneyFormats = new Map();

export function money(amount, currency) {
  const value = Number(amount);
  if (!Number.isFinite(value)) return "–";
  if (!currency) return value.toFixed(2);
  if (!moneyFormats.has(currency)) {
    moneyFormats.set(
      currency,
      new Intl.NumberFormat("en", { style: "currency", currency, currencyDisplay: "symbol" }),
    );
  }
  return moneyFormats.get(currency).format(value);
}

/** "£6.00–£19.50": the cheapest and dearest ticket of a price table. */
export function priceRange(table, currency) {
  const amounts = Object.values(table || {})
    .flatMap((row) => Object.values(row))
    .map(Number)
    .filter(Number.isFinite);
  if (!amounts.length) return "";
  const low = Math.min(...amounts);
  const high = Math.max(...amounts);
  return low === high
    ? money(low, currency)
    : `${money(low, currency)}–${money(high, currency)}`;
}

// Times are shown on the theater's clocks: every formatter takes its IANA zone.
const formats = new Map();

function formatIn(zone, options) {
  const key = `${zone}|${JSON.stringify(options)}`;
  if (!formats.has(key)) {
    formats.set(key, new Intl.DateTimeFormat("en-GB", { timeZone: zone || "UTC", ...options }));
  }
  return formats.get(key);
}

const TIME = { hour: "2-digit", minute: "2-digit" };
const DAY = { weekday: "short", day: "numeric", month: "short" };
const LONG_DAY = { weekday: "long", day: "numeric", month: "long" };

export const formatTime = (iso, zone) => formatIn(zone, TIME).format(new Date(iso));
/** A date button's label: its YYYY-MM-DD (or Date) is a calendar day, not an instant. */
export const formatDay = (day) => formatIn("UTC", DAY).format(new Date(day));
export const formatLongDay = (iso, zone) => formatIn(zone, LONG_DAY).format(new Date(iso));
export const formatWhen = (iso, zone) =>
  `${formatLongDay(iso, zone)}, ${formatTime(iso, zone)}${zone ? ` ${zone}` : ""}`;

/** "13:00" from a local ISO time such as 2026-03-08T13:00:00+00:00 (already local). */
export const localClock = (localIso) => localIso.slice(11, 16);

const languageNames = new Intl.DisplayNames(["en"], { type: "language" });

/** "English" for "en"; the code itself when the browser does not know it. */
export function languageName(code) {
  if (!code) return "";
  try {
    return languageNames.of(code) || code;
  } catch {
    return code;
  }
}

const FORMAT_NAMES = {
  "2D": "2D",
  "3D": "3D",
  IMAX: "IMAX",
  IMAX_3D: "IMAX 3D",
  "4DX": "4DX",
  DOLBY_CINEMA: "Dolby Cinema",
};

export const formatName = (value) => FORMAT_NAMES[value] || value || "";

const ACCESSIBILITY_NAMES = {
  closed_captions: "Closed captions",
  audio_description: "Audio description",
  relaxed: "Relaxed screening",
};

export const accessibilityName = (value) => ACCESSIBILITY_NAMES[value] || value;

/** "A1, A2 and A3" */
export function listWords(items) {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

export function plural(count, one, many = `${one}s`) {
  return `${count} ${count === 1 ? one : many}`;
}

export function titleCase(word) {
  return word ? word[0].toUpperCase() + word.slice(1) : word;
}

/** YYYY-MM-DD of a Date, in UTC. */
export function isoDate(date) {
  return date.toISOString().slice(0, 10);
}
