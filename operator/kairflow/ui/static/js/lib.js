// Shared by every view: Preact + htm, the JSON API (with the CSRF token on writes),
// and small formatting helpers. Values from the cluster are always rendered through
// htm (text nodes and DOM properties), never as HTML.
export {
  html, render, useState, useEffect, useMemo, useRef, useCallback, useLayoutEffect,
} from "../vendor/htm-preact.mjs";

let csrf = null;

export class ApiError extends Error {
  constructor(status, message, reason) {
    super(message);
    this.status = status;
    this.reason = reason || "";
  }
}

// Called when the API server stops taking the user's credentials (an expired or
// revoked token): the page shell shows the sign-in again instead of an error per view.
let onSignedOut = () => {};
export function whenSignedOut(callback) { onSignedOut = callback; }
export function signedOut(error) { onSignedOut(error); }

async function failure(response) {
  let message = `${response.status} ${response.statusText}`;
  let reason = "";
  try {
    const body = await response.json();
    message = body.error || message;
    reason = body.reason || "";
  } catch (_) { /* not JSON */ }
  const error = new ApiError(response.status, message, reason);
  if (error.status === 401) signedOut(error);
  return error;
}

export async function getJson(path) {
  const response = await fetch(path, { credentials: "same-origin" });
  if (!response.ok) throw await failure(response);
  return response.json();
}

export async function getText(path) {
  const response = await fetch(path, { credentials: "same-origin" });
  if (!response.ok) throw await failure(response);
  return response.text();
}

export async function session() {
  const found = await getJson("/api/session");
  csrf = found.csrf;
  return found;
}

export async function send(method, path, body) {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf || "" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw await failure(response);
  return response.status === 204 ? null : response.json();
}

export const enc = encodeURIComponent;

export function nsPath(ns) {
  return `/api/ns/${enc(ns)}`;
}

export function parseTime(text) {
  if (!text) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

export function shortTime(text) {
  const ms = parseTime(text);
  if (ms === null) return "";
  return new Date(ms).toISOString().replace("T", " ").slice(0, 16);
}

export function fullTime(text) {
  const ms = parseTime(text);
  if (ms === null) return "";
  return new Date(ms).toISOString().replace("T", " ").replace(".000Z", "Z");
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "";
  // Short tasks are common (an echo takes 0.3 s): tenths, not a misleading "0s".
  if (seconds < 9.95) return `${Math.max(0, seconds).toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, "0")}h`;
}

export function between(start, end, now) {
  const a = parseTime(start);
  if (a === null) return null;
  const b = parseTime(end) ?? now ?? Date.now();
  return (b - a) / 1000;
}

// The message a failed action shows where it happened.
export function errorText(error) {
  if (error instanceof ApiError) {
    if (error.status === 403 && error.reason !== "CSRF") return `Forbidden: ${error.message}`;
    return error.message;
  }
  return String(error && error.message ? error.message : error);
}
