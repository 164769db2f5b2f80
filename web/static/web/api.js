// The public API, as any third-party front end would use it: JSON over fetch, JWT
// access tokens in the Authorization header, refreshed when they expire.
//
// Refresh tokens rotate and are single-use: the server accepts each one once. So
// every caller that needs a fresh access token waits for the same refresh request
// (`refreshing` below) instead of starting its own with the same refresh token.

const STORAGE_KEY = "movie-booking.session";
const EXPIRY_MARGIN_MS = 30_000; // refresh a little before the token runs out

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `The server answered ${status}.`);
    this.status = status;
    this.code = error.code || (status === 0 ? "network_error" : "error");
    this.fields = error.fields || {};
    this.details = error.details || {};
  }
}

let session = loadSession();
let refreshing = null;
const listeners = new Set();

function loadSession() {
  try {
    return JSON.parse(sessionStorage.getItem(STORAGE_KEY)) || null;
  } catch {
    return null;
  }
}

function saveSession(next) {
  session = next;
  if (next) {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  } else {
    sessionStorage.removeItem(STORAGE_KEY);
  }
  for (const listener of listeners) listener(currentUser());
}

/** Called with the user ({username}) or null whenever the session changes. */
export function onSessionChange(listener) {
  listeners.add(listener);
}

export function currentUser() {
  return session ? { username: session.username } : null;
}

function tokenExpiry(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload)).exp * 1000;
  } catch {
    return 0;
  }
}

async function send(path, { method = "GET", body, token, headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (token) init.headers.Authorization = `Bearer ${token}`;
  try {
    return await fetch(path, init);
  } catch {
    throw new ApiError(0, {
      error: { message: "Could not reach the server. Check your connection and try again." },
    });
  }
}

async function parse(response) {
  if (response.status === 204) return null;
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

async function refreshAccess() {
  if (!refreshing) {
    const refresh = session && session.refresh;
    refreshing = (async () => {
      if (!refresh) throw new ApiError(401, null);
      const response = await send("/api/auth/token/refresh/", {
        method: "POST",
        body: { refresh },
      });
      const tokens = await parse(response);
      saveSession({ ...session, access: tokens.access, refresh: tokens.refresh });
    })()
      .catch((error) => {
        if (error.status === 401 || error.status === 400) {
          saveSession(null);
          throw new ApiError(401, {
            error: {
              code: "session_expired",
              message: "Your session has ended. Please log in again.",
            },
          });
        }
        throw error;
      })
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

async function accessToken() {
  if (!session) return null;
  if (tokenExpiry(session.access) - Date.now() < EXPIRY_MARGIN_MS) {
    await refreshAccess();
  }
  return session && session.access;
}

/**
 * One API call. With `auth: true` it sends the access token (refreshing it first
 * when it is about to expire, and once more if the server still says 401).
 * Returns the response object when `raw` is set, else the parsed JSON body.
 */
export async function api(path, { auth = false, raw = false, ...options } = {}) {
  let token = auth ? await accessToken() : null;
  if (auth && !token) {
    throw new ApiError(401, {
      error: { code: "not_authenticated", message: "Please log in first." },
    });
  }
  let response = await send(path, { ...options, token });
  if (auth && response.status === 401) {
    await refreshAccess();
    token = session && session.access;
    response = await send(path, { ...options, token });
  }
  if (raw) {
    if (!response.ok) await parse(response);
    return response;
  }
  return parse(response);
}

/** Every item of a paginated list, following `next` links. */
export async function apiAll(path, options) {
  const items = [];
  let url = path;
  while (url) {
    const page = await api(url, options);
    if (Array.isArray(page)) return page;
    items.push(...page.results);
    url = page.next ? new URL(page.next).pathname + new URL(page.next).search : null;
  }
  return items;
}

export async function logIn(username, password) {
  const tokens = await api("/api/auth/token/", {
    method: "POST",
    body: { username, password },
  });
  saveSession({ username, access: tokens.access, refresh: tokens.refresh });
}

export async function register(username, email, password) {
  await api("/api/auth/register/", {
    method: "POST",
    body: { username, email, password },
  });
  await logIn(username, password);
}

export async function logOut() {
  try {
    // A refresh may rotate the tokens first; blacklist the newest refresh token.
    await accessToken();
    if (session) {
      await api("/api/auth/logout/", {
        method: "POST",
        auth: true,
        body: { refresh: session.refresh },
      });
    }
  } catch {
    // The tokens are forgotten here whatever the server says.
  }
  saveSession(null);
}
