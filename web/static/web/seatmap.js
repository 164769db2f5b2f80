// The seat map, drawn to scale: every seat is the same size, each row is centred on
// the screen's centre line (as the best-seats endpoint assumes), and a gap in the
// seat numbers stays a gap, and so does an aisle (a seat's `aisle_after`: one seat
// wide). Wheelchair spaces and companion seats carry their symbols, restricted-view
// seats a corner mark, blocked seats are greyed. It is a keyboard grid with one tab stop: the arrow keys
// move between seats, Home/End jump to the ends of a row, Space/Enter select.

import { h, money, titleCase } from "./dom.js";

const STATUS_WORDS = {
  available: "available",
  held: "held by another customer",
  sold: "sold",
  blocked: "blocked, not for sale",
};

/** What the map draws for each seat feature: symbol, class, words. */
export const FEATURES = {
  wheelchair: { symbol: "\u267F", words: "wheelchair space" },
  companion: { symbol: "C", words: "companion seat" },
  restricted_view: { symbol: null, words: "restricted view" },
};

export function seatFeatures(seat) {
  return (seat.features || []).filter((feature) => feature in FEATURES);
}

/** A seat that cannot be chosen: not available, or with no price. */
export function isUnavailable(seat) {
  return seat.status !== "available" || seat.price === null;
}

export function seatLabelText(seat, selected, currency) {
  const state = selected ? "selected" : STATUS_WORDS[seat.status] || seat.status;
  const price = seat.price === null ? "no price" : money(seat.price, currency);
  const features = seatFeatures(seat).map((feature) => `, ${FEATURES[feature].words}`);
  return `Row ${seat.row}, seat ${seat.number}${features.join("")}, ${seat.category}, ${price}, ${state}`;
}

export class SeatMap {
  /**
   * @param {HTMLElement} container
   * @param {{onToggle: (seat) => void, onBlocked: (seat) => void}} handlers
   */
  constructor(container, { onToggle, onBlocked }) {
    this.container = container;
    this.onToggle = onToggle;
    this.onBlocked = onBlocked;
    this.seats = [];
    this.selected = new Set();
    this.buttons = new Map(); // label -> button
    this.grid = []; // rows of {seat, button, x}
    this.focusLabel = null;
    this.resizeObserver = new ResizeObserver(() => this.fit());
    this.resizeObserver.observe(container);
  }

  /** `currency`: the showtime's ISO 4217 code, the seats' prices are in it. */
  render(seats, selected, currency) {
    this.currency = currency;
    const hadFocus = this.container.contains(document.activeElement);
    this.seats = seats;
    this.selected = selected;
    this.buttons.clear();
    this.grid = [];
    const rows = [];
    for (const seat of seats) {
      const last = rows[rows.length - 1];
      if (last && last.row === seat.row) last.seats.push(seat);
      else rows.push({ row: seat.row, seats: [seat] });
    }
    // Each seat's place in its row, in seats: its number, plus one per aisle before it.
    const places = new Map();
    for (const row of rows) {
      let aisles = 0;
      for (const seat of row.seats) {
        places.set(seat.label, seat.number - row.seats[0].number + aisles);
        if (seat.aisle_after && seat !== row.seats[row.seats.length - 1]) aisles += 1;
      }
    }
    const widthOf = (row) => places.get(row.seats[row.seats.length - 1].label) + 1;
    this.width = Math.max(1, ...rows.map(widthOf));

    const map = h("div", {
      class: "seat-grid",
      role: "grid",
      "aria-label": "Seat map. The screen is at the top.",
      "aria-rowcount": rows.length,
      style: { "--half-columns": 2 * this.width },
    });
    rows.forEach((row, rowIndex) => {
      // Half-seat columns centre rows of any width on the same line.
      const offset = this.width - widthOf(row);
      const gridRow = rowIndex + 1;
      const line = h("div", { class: "seat-row", role: "row", "aria-rowindex": gridRow });
      line.append(
        h(
          "div",
          { class: "row-label", role: "rowheader", style: { "grid-row": gridRow, "grid-column": 1 } },
          h("span", { class: "sr-only" }, "Row "),
          row.row,
        ),
      );
      const cells = [];
      for (const seat of row.seats) {
        const column = 2 + offset + 2 * places.get(seat.label);
        const isSelected = selected.has(seat.label);
        const unavailable = isUnavailable(seat);
        const features = seatFeatures(seat);
        const symbol = features.map((feature) => FEATURES[feature].symbol).find(Boolean);
        const classes = [
          "seat",
          `cat-${seat.category}`,
          `is-${seat.status}`,
          ...features.map((feature) => `has-${feature.replace("_", "-")}`),
          seat.aisle_after ? "aisle-after" : "",
          isSelected ? "is-selected" : "",
        ];
        const button = h(
          "button",
          {
            type: "button",
            class: classes.filter(Boolean).join(" "),
            "aria-label": seatLabelText(seat, isSelected, currency),
            "aria-pressed": unavailable ? undefined : String(isSelected),
            "aria-disabled": unavailable ? "true" : undefined,
            title: [
              seat.label,
              ...features.map((feature) => titleCase(FEATURES[feature].words)),
              titleCase(seat.category),
              seat.price === null ? "no price" : money(seat.price, currency),
              seat.status === "blocked" ? "not for sale" : "",
            ]
              .filter(Boolean)
              .join(" · "),
            tabindex: "-1",
            dataset: {
              label: seat.label,
              status: seat.status,
              category: seat.category,
              features: features.join(" "),
            },
            onclick: () => this.activate(seat),
          },
          symbol ? h("span", { class: "seat-symbol", "aria-hidden": "true" }, symbol) : String(seat.number),
        );
        this.buttons.set(seat.label, button);
        cells.push({ seat, button, x: column + 1 });
        line.append(
          h(
            "div",
            { role: "gridcell", class: "seat-cell", style: { "grid-row": gridRow, "grid-column": `${column} / span 2` } },
            button,
          ),
        );
      }
      line.append(
        h(
          "div",
          {
            class: "row-label end",
            "aria-hidden": "true",
            style: { "grid-row": gridRow, "grid-column": 2 * this.width + 2 },
          },
          row.row,
        ),
      );
      this.grid.push(cells);
      map.append(line);
    });
    map.addEventListener("keydown", (event) => this.onKey(event));
    this.container.replaceChildren(map);
    this.gridElement = map;
    if (!this.buttons.has(this.focusLabel)) this.focusLabel = this.defaultFocus();
    this.setTabStop(this.focusLabel);
    this.fit();
    if (hadFocus) this.focusSeat(this.focusLabel);
  }

  /** Show a new selection without rebuilding the map (keeps keyboard focus). */
  updateSelection(selected) {
    this.selected = selected;
    for (const seat of this.seats) {
      const button = this.buttons.get(seat.label);
      const isSelected = selected.has(seat.label);
      button.classList.toggle("is-selected", isSelected);
      button.setAttribute("aria-label", seatLabelText(seat, isSelected, this.currency));
      if (button.hasAttribute("aria-pressed")) {
        button.setAttribute("aria-pressed", String(isSelected));
      }
    }
  }

  /** Seat size from the room available: the whole hall always fits, to scale. */
  fit() {
    if (!this.gridElement) return;
    const available = this.container.clientWidth;
    const columns = this.width + 2.4; // the seats plus a row label on each side
    // Never below a comfortable tap target: a wide hall on a phone scrolls sideways.
    const size = Math.max(20, Math.min(34, Math.floor(available / columns)));
    this.gridElement.style.setProperty("--seat", `${size}px`);
  }

  defaultFocus() {
    const chosen = [...this.selected].find((label) => this.buttons.has(label));
    if (chosen) return chosen;
    const middle = this.grid[Math.floor(this.grid.length / 2)] || [];
    const centre = middle[Math.floor(middle.length / 2)];
    return centre ? centre.seat.label : null;
  }

  setTabStop(label) {
    for (const [key, button] of this.buttons) {
      button.tabIndex = key === label ? 0 : -1;
    }
    this.focusLabel = label;
  }

  focusSeat(label) {
    const button = this.buttons.get(label);
    if (!button) return;
    this.setTabStop(label);
    button.focus();
  }

  activate(seat) {
    this.setTabStop(seat.label);
    if (isUnavailable(seat)) {
      this.onBlocked(seat);
      return;
    }
    this.onToggle(seat);
  }

  position(label) {
    for (let r = 0; r < this.grid.length; r += 1) {
      const c = this.grid[r].findIndex((cell) => cell.seat.label === label);
      if (c >= 0) return [r, c];
    }
    return [0, 0];
  }

  onKey(event) {
    const [r, c] = this.position(this.focusLabel);
    const row = this.grid[r];
    let target = null;
    switch (event.key) {
      case "ArrowLeft":
        target = row[Math.max(0, c - 1)];
        break;
      case "ArrowRight":
        target = row[Math.min(row.length - 1, c + 1)];
        break;
      case "Home":
        target = event.ctrlKey ? this.grid[0][0] : row[0];
        break;
      case "End":
        target = event.ctrlKey
          ? this.grid[this.grid.length - 1].at(-1)
          : row[row.length - 1];
        break;
      case "ArrowUp":
      case "ArrowDown": {
        const next = this.grid[r + (event.key === "ArrowUp" ? -1 : 1)];
        if (next) {
          const x = row[c].x;
          target = next.reduce((best, cell) =>
            Math.abs(cell.x - x) < Math.abs(best.x - x) ? cell : best,
          );
        }
        break;
      }
      default:
        return;
    }
    event.preventDefault();
    if (target) this.focusSeat(target.seat.label);
  }
}
