// The platform's HTTP/JSON API (the gateway transcodes it to the same gRPC methods), with the
// session's tokens. Errors arrive as AIP-193 JSON; ApiError keeps what a person needs to read:
// the reason (ErrorInfo), the message and the field violations (BadRequest).
import { signal } from "./signals.js";

const KEY = "rhip.session";

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.status || "";
    const details = error.details || [];
    const info = details.find((d) => (d["@type"] || "").endsWith("google.rpc.ErrorInfo")) || {};
    const bad = details.find((d) => (d["@type"] || "").endsWith("google.rpc.BadRequest")) || {};
    this.reason = info.reason || error.status || "";
    this.metadata = info.metadata || {};
    this.violations = bad.fieldViolations || [];
  }
}

// sessionStorage: a token lives as long as the tab, and other sites cannot read it.
function load() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY)) || null;
  } catch {
    return null;
  }
}

export const session = signal(load());

function save(value) {
  if (value) sessionStorage.setItem(KEY, JSON.stringify(value));
  else sessionStorage.removeItem(KEY);
  session.set(value);
}

function fromLogin(reply, region) {
  return {
    accessToken: reply.accessToken,
    refreshToken: reply.refreshToken,
    accessExpires: reply.accessTokenExpireTime,
    principal: reply.principal,
    region,
    passwordChangeRequired: !!reply.passwordChangeRequired,
  };
}

// The gateway keeps a bulkhead per cell (a few calls in flight per caller's cell) and answers
// 503 CELL_BUSY beyond it: a page that loads many small things (region labels, per-institution
// indicators) queues them here, two at a time, and retries a busy answer after a short pause.
const MAX_IN_FLIGHT = 2;
const RETRIES = 4;
let inFlight = 0;
const waiting = [];

async function slot() {
  if (inFlight >= MAX_IN_FLIGHT) await new Promise((resolve) => waiting.push(resolve));
  inFlight += 1;
}

function release() {
  inFlight -= 1;
  const next = waiting.shift();
  if (next) next();
}

async function send(method, path, body, headers) {
  for (let attempt = 0; ; attempt += 1) {
    await slot();
    try {
      return await sendOnce(method, path, body, headers);
    } catch (error) {
      const busy = error instanceof ApiError && error.status === 503 && error.reason === "CELL_BUSY";
      if (!busy || attempt >= RETRIES) throw error;
    } finally {
      release();
    }
    await new Promise((resolve) => setTimeout(resolve, 150 * (attempt + 1)));
  }
}

async function sendOnce(method, path, body, headers) {
  const response = await fetch(path, {
    method,
    headers: { ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

export async function login(username, password, region) {
  // Before a token exists the caller names its region (x-rhip-region), as over gRPC.
  const reply = await send("POST", "/identity/v1/tokens:login", { password: { username, password } }, {
    "x-rhip-region": region,
  });
  save(fromLogin(reply, region));
  return reply;
}

let refreshing = null;

export async function refresh() {
  const current = session.get();
  if (!current || !current.refreshToken) throw new ApiError(401, null);
  // One refresh at a time: parallel calls that all found the token expired share it.
  refreshing =
    refreshing ||
    send("POST", "/identity/v1/tokens:refresh", { refreshToken: current.refreshToken }, {
      "x-rhip-region": current.region,
    })
      .then((reply) => save({ ...fromLogin(reply, current.region), principal: reply.principal || current.principal }))
      .finally(() => {
        refreshing = null;
      });
  return refreshing;
}

// Signing out ends the session on the platform (SignOut): its refresh token stops refreshing and
// every service refuses its access tokens (TOKEN_REVOKED). The tab forgets them whatever the
// answer: a sign-out that could not reach the platform still leaves nothing behind here.
export async function signOut() {
  const current = session.get();
  save(null);
  if (!current || !current.refreshToken) return;
  try {
    await send("POST", "/identity/v1/tokens:signOut", { refreshToken: current.refreshToken }, {
      "x-rhip-region": current.region,
    });
  } catch {
    // Nothing more to do in the browser; the access token still expires on its own.
  }
}

export async function call(method, path, body) {
  const current = session.get();
  const auth = () => ({ Authorization: `Bearer ${session.get().accessToken}` });
  if (!current) throw new ApiError(401, null);
  try {
    return await send(method, path, body, auth());
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401 || !current.refreshToken) throw error;
    try {
      await refresh();
    } catch (failed) {
      save(null); // the refresh token is gone too: back to the sign-in page
      throw failed;
    }
    return send(method, path, body, auth());
  }
}

export const get = (path, query) => call("GET", query ? `${path}?${new URLSearchParams(clean(query))}` : path);
export const post = (path, body) => call("POST", path, body ?? {});
export const patch = (path, body) => call("PATCH", path, body);

function clean(query) {
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== ""));
}

export function newRequestId() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}
