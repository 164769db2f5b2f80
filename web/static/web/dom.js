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

export const CURRENCY = "$";

export function money(amount) {
  const value = Number(amount);
  return `${CURRENCY}${Number.isFinite(value) ? value.toFixed(2) : "–"}`;
}

// The API filters showtimes by UTC date, so the page shows UTC throughout.
const timeFormat = new Intl.DateTimeFormat("en-GB", {
  timeZone: "UTC",
  hour: "2-digit",
  minute: "2-digit",
});
const dayFormat = new Intl.DateTimeFormat("en-GB", {
  timeZone: "UTC",
  weekday: "short",
  day: "numeric",
  month: "short",
});
const longDayFormat = new Intl.DateTimeFormat("en-GB", {
  timeZone: "UTC",
  weekday: "long",
  day: "numeric",
  month: "long",
});

export const formatTime = (iso) => timeFormat.format(new Date(iso));
export const formatDay = (iso) => dayFormat.format(new Date(iso));
export const formatLongDay = (iso) => longDayFormat.format(new Date(iso));
export const formatWhen = (iso) => `${formatLongDay(iso)}, ${formatTime(iso)}`;

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
