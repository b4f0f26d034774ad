// Demo page: start a job, follow its stream with jobstream-client.js, show what arrives.
// The current job (id, URLs, token, last event id) lives in sessionStorage so that a reload
// resumes the stream after the last event this tab rendered.

import { subscribe } from "./jobstream-client.js";

const STORAGE_KEY = "jobstream.demo.job";
const API_BASE = (
  document.querySelector('meta[name="jobstream-api-base"]')?.getAttribute("content") ?? ""
).replace(/\/+$/, "");
const OTHER = "__other__";
// Defaults for the job types this page knows; others start from the server's hints or {}.
const DEFAULT_PARAMS = { "demo.count": { n: 50, interval_ms: 200 } };
// Long jobs would grow the page without bound: keep the newest entries only.
const MAX_ROWS = 500;
// The same for streamed text (kept in sessionStorage too, so a reload shows it again).
const MAX_TEXT_CHARS = 20000;

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

const ui = {
  form: /** @type {HTMLFormElement} */ ($("start-form")),
  type: /** @type {HTMLSelectElement} */ ($("job-type")),
  typeHint: $("type-hint"),
  customField: $("custom-type-field"),
  customType: /** @type {HTMLInputElement} */ ($("custom-type")),
  params: /** @type {HTMLTextAreaElement} */ ($("job-params")),
  paramsError: $("params-error"),
  start: /** @type {HTMLButtonElement} */ ($("start-button")),
  panel: $("job-panel"),
  heading: $("job-heading"),
  jobId: $("job-id"),
  badge: $("job-badge"),
  status: $("status"),
  progress: $("progress"),
  progressFill: $("progress-fill"),
  progressText: $("progress-text"),
  phase: $("phase"),
  connection: $("connection-state"),
  reconnects: $("reconnects"),
  lastEventId: $("last-event-id"),
  drop: /** @type {HTMLButtonElement} */ ($("drop-button")),
  cancel: /** @type {HTMLButtonElement} */ ($("cancel-button")),
  errorBox: $("error-box"),
  textSection: $("text-section"),
  text: $("text-output"),
  resultSection: $("result-section"),
  result: $("result"),
  itemsSection: $("items-section"),
  succeeded: $("items-succeeded"),
  failed: $("items-failed"),
  itemList: $("item-list"),
  logSection: $("log-section"),
  log: $("log"),
  eventCount: $("event-count"),
  eventList: $("event-list"),
};

/**
 * @typedef {object} StoredJob
 * @property {string} job_id
 * @property {string} events_url
 * @property {string} [status_url]
 * @property {string} token
 * @property {string} [type]
 * @property {string} lastEventId
 * @property {string} [text]      text events' deltas shown so far (demo.typewriter)
 * @property {number} [textEnd]   offset just after the last delta shown
 */

/** The last progress counts shown, for the final "n of n" text. */
let lastProgress = /** @type {{ done?: unknown, total?: unknown }} */ ({});
/** The counts shown are the current phase's, not the job's (weighted phases). */
let countsArePhase = false;

/** @type {Map<string, Record<string, unknown>>} job type -> default params */
const knownTypes = new Map(Object.entries(DEFAULT_PARAMS));
/** @type {Map<string, { description?: string, mode?: string }>} what GET /jobs/types says */
const typeInfo = new Map();

/**
 * How the job on screen is being followed.
 * @typedef {object} Following
 * @property {StoredJob} job
 * @property {AbortController} stop       aborts the subscription for good
 * @property {AbortController | null} connection  aborts only the request in flight ("Drop")
 * @property {boolean} finished
 * @property {number} reconnects
 * @property {number} events
 */

/** @type {Following | null} */
let current = null;

// ---------------------------------------------------------------- job types and the form

/** Accepts the shapes an API might use for GET /jobs/types: names, or objects with hints. */
function readJobTypes(body) {
  const list = Array.isArray(body) ? body : (body?.types ?? body?.job_types);
  if (!Array.isArray(list)) return [];
  return list
    .map((entry) => {
      if (typeof entry === "string") return { type: entry, params: undefined };
      const type = entry?.type ?? entry?.name;
      const description = typeof entry?.description === "string" ? entry.description : undefined;
      const mode = typeof entry?.mode === "string" ? entry.mode : undefined;
      const example = entry?.example ?? entry?.defaults ?? entry?.default_params;
      const schema = entry?.params_schema ?? entry?.schema;
      let params = example && typeof example === "object" ? example : undefined;
      if (!params && schema?.properties) {
        params = Object.fromEntries(
          Object.entries(schema.properties)
            .filter(([, property]) => property && "default" in property)
            .map(([name, property]) => [name, property.default]),
        );
      }
      return { type, params, description, mode };
    })
    .filter((entry) => typeof entry.type === "string" && entry.type !== "");
}

/** @param {string[]} names */
function fillTypeSelect(names) {
  const selected = ui.type.value;
  ui.type.replaceChildren(
    ...names.map((name) => new Option(name, name)),
    new Option("Other…", OTHER),
  );
  ui.type.value = names.includes(selected) ? selected : names[0] ?? OTHER;
}

async function loadJobTypes() {
  try {
    const response = await fetch(`${API_BASE}/jobs/types`, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    for (const { type, params, description, mode } of readJobTypes(await response.json())) {
      if (!knownTypes.has(type)) knownTypes.set(type, params ?? {});
      typeInfo.set(type, { description, mode });
    }
  } catch {
    // The API may not list its types; the page still works with the defaults and "Other…".
  }
}

function showParamsFor(type) {
  ui.customField.hidden = type !== OTHER;
  const params = knownTypes.get(type) ?? {};
  ui.params.value = JSON.stringify(params, null, 2);
  // Tall enough for the suggestion, without a wall of empty lines for a short one.
  const lines = ui.params.value.split("\n").length;
  ui.params.rows = Math.min(10, Math.max(4, lines + Math.ceil(ui.params.value.length / 90)));
  showTypeHint(type);
  clearParamsError();
}

/** The job type's own description (its first paragraph) and how it runs, when the API says. */
function showTypeHint(type) {
  const info = typeInfo.get(type);
  const summary = info?.description?.split(/\n\s*\n/)[0].replace(/\s+/g, " ").trim() ?? "";
  const mode =
    info?.mode === "inline"
      ? "Runs inside the stream function while you watch (inline)."
      : info?.mode === "background"
        ? "Runs in the worker function, chunk after chunk (background)."
        : "";
  // `name` in a docstring becomes <code>name</code> (odd pieces of a split on backticks).
  const pieces = summary.split("`").map((piece, index) => {
    if (index % 2 === 0) return piece;
    const code = document.createElement("code");
    code.textContent = piece;
    return code;
  });
  ui.typeHint.replaceChildren(...pieces, summary && mode ? " " : "", mode);
  ui.typeHint.hidden = ui.typeHint.textContent === "";
}

function clearParamsError() {
  ui.paramsError.hidden = true;
  ui.paramsError.textContent = "";
  ui.params.removeAttribute("aria-invalid");
}

/** @param {string} message */
function showParamsError(message) {
  ui.paramsError.textContent = message;
  ui.paramsError.hidden = false;
  ui.params.setAttribute("aria-invalid", "true");
  ui.params.focus();
}

function chosenType() {
  return ui.type.value === OTHER ? ui.customType.value.trim() : ui.type.value;
}

async function onStart(event) {
  event.preventDefault();
  clearParamsError();
  const type = chosenType();
  if (!type) {
    ui.customType.focus();
    return;
  }
  let params;
  try {
    params = JSON.parse(ui.params.value || "{}");
  } catch (error) {
    showParamsError(`Not valid JSON: ${error.message}`);
    return;
  }
  if (params === null || typeof params !== "object" || Array.isArray(params)) {
    showParamsError("Parameters must be a JSON object, like {\"n\": 50}.");
    return;
  }
  ui.start.disabled = true;
  ui.start.setAttribute("aria-busy", "true");
  try {
    const response = await fetch(`${API_BASE}/jobs`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ type, params }),
    });
    const body = await response.json().catch(() => null);
    if (response.status !== 201 || !body?.events_url || !body?.token) {
      showStartError(response.status, body);
      return;
    }
    /** @type {StoredJob} */
    const job = {
      job_id: body.job_id,
      events_url: body.events_url,
      status_url: body.status_url,
      token: body.token,
      type,
      lastEventId: "",
    };
    saveJob(job);
    follow(job, { resumed: false });
  } catch (error) {
    showPanelError(`Could not reach the API: ${error.message}`);
  } finally {
    ui.start.disabled = false;
    ui.start.removeAttribute("aria-busy");
  }
}

function showStartError(status, body) {
  const error = body?.error;
  const known = error?.details?.known_types;
  if (error?.code === "unknown_job_type" && Array.isArray(known) && known.length) {
    for (const name of known) if (!knownTypes.has(name)) knownTypes.set(name, {});
    fillTypeSelect([...knownTypes.keys()]);
    showParamsError(`${error.message}. Known types: ${known.join(", ")}.`);
    return;
  }
  const detail = Array.isArray(error?.details)
    ? error.details.map((d) => `${(d.loc ?? []).join(".")}: ${d.msg ?? d.message ?? ""}`).join("; ")
    : "";
  const message = error?.message ?? `The API answered ${status}.`;
  showParamsError(detail ? `${message} (${detail})` : message);
}

// ---------------------------------------------------------------- session storage

/** @param {StoredJob} job */
function saveJob(job) {
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(job));
  } catch {
    // Storage full or disabled: the page works, a reload just will not resume.
  }
}

/** @returns {StoredJob | null} */
function loadJob() {
  try {
    const job = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? "null");
    if (job && typeof job.events_url === "string" && typeof job.token === "string") {
      return { ...job, lastEventId: String(job.lastEventId ?? "") };
    }
  } catch {
    // A damaged entry is ignored.
  }
  return null;
}

// ---------------------------------------------------------------- following a job

/**
 * @param {StoredJob} job
 * @param {{ resumed: boolean }} how
 */
async function follow(job, { resumed }) {
  current?.stop.abort();
  const stop = new AbortController();
  /** @type {Following} */
  const state = { job, stop, connection: null, finished: false, reconnects: 0, events: 0 };
  current = state;
  resetPanel(job);
  if (job.text) showText(job.text, true);
  announce(resumed ? `Resuming job after event ${job.lastEventId || "0"}…` : "Job started.");
  if (!resumed) ui.heading.focus();
  if (resumed) await paintSnapshot(job, stop.signal);
  if (stop.signal.aborted) return;

  // Every request goes through this fetch so "Drop connection" can abort the one in flight,
  // exactly as a network drop would: the client sees a broken body and resumes.
  const trackedFetch = (url, init = {}) => {
    const connection = new AbortController();
    const parent = init.signal;
    if (parent?.aborted) connection.abort(parent.reason);
    parent?.addEventListener("abort", () => connection.abort(parent.reason), { once: true });
    state.connection = connection;
    return fetch(url, { ...init, signal: connection.signal });
  };

  const outcome = await subscribe(job.events_url, {
    token: job.token,
    lastEventId: job.lastEventId || undefined,
    signal: stop.signal,
    fetch: trackedFetch,
    onEvent: (event) => {
      job.lastEventId = event.id;
      saveJob(job);
      render(state, event);
    },
    onOpen: ({ lastEventId }) => {
      if (state.reconnects > 0) {
        announce(`Reconnected; resumed after event ${lastEventId || "0"}.`);
      }
    },
    onStateChange: (connectionState) => {
      if (current !== state) return;
      if (connectionState === "reconnecting") {
        state.reconnects += 1;
        ui.reconnects.textContent = String(state.reconnects);
      }
      ui.connection.textContent = connectionState;
      ui.connection.dataset.state = connectionState;
      ui.drop.disabled = connectionState !== "open" || state.finished;
    },
    onError: (error, { willRetry, status }) => {
      if (current !== state || !willRetry) return;
      const why = status ? `the server answered ${status}` : "the connection was lost";
      announce(`Reconnecting: ${why}…`);
    },
  });
  if (current !== state) return;
  ui.drop.disabled = true;
  finishWith(state, outcome);
}

/**
 * @param {Following} state
 * @param {import("./jobstream-client.js").SubscribeResult} outcome
 */
async function finishWith(state, outcome) {
  switch (outcome.reason) {
    case "terminal":
      return; // rendered by its event
    case "no-content":
      // Nothing left after our last event: the job ended while this tab was away.
      await paintSnapshot(state.job, state.stop.signal);
      if (!state.finished) announce("The stream has ended.");
      state.finished = true;
      ui.cancel.disabled = true;
      ui.text.classList.remove("typing");
      return;
    case "http-error": {
      const message =
        outcome.status === 404
          ? "This job no longer exists (it may have expired)."
          : outcome.status === 401 || outcome.status === 403
            ? "The server refused this job's token."
            : `The stream was refused (${outcome.status}).`;
      showPanelError(outcome.error?.message ? `${message} ${outcome.error.message}` : message);
      setBadge("unknown");
      sessionStorage.removeItem(STORAGE_KEY);
      ui.cancel.disabled = true;
      return;
    }
    case "aborted":
      return;
    default:
      showPanelError("Lost the connection to the stream. Reload the page to resume.");
      ui.connection.textContent = "gave up";
  }
}

/**
 * @param {Following} state
 * @param {import("./jobstream-client.js").StreamEvent} event
 */
function render(state, event) {
  if (current !== state) return;
  state.events += 1;
  ui.lastEventId.textContent = event.id || "–";
  ui.eventCount.textContent = String(state.events);
  appendRow(ui.eventList, eventRow(event));

  const data = /** @type {Record<string, any>} */ (
    event.json && typeof event.json === "object" ? event.json : {}
  );
  switch (event.type) {
    case "progress":
      setBadge("running");
      setProgress(data.percent, data.done, data.total, false, data.phase);
      if (data.phase) setPhase(String(data.phase), String(data.phase), false);
      break;
    case "phase":
      setBadge("running");
      if (data.name) setPhase(String(data.name), phaseLabel(data), true);
      if (typeof data.percent === "number") setProgress(data.percent);
      break;
    case "log": {
      ui.logSection.hidden = false;
      const row = document.createElement("li");
      row.className = `level-${String(data.level ?? "info")}`;
      row.textContent = String(data.message ?? "");
      appendRow(ui.log, row);
      break;
    }
    case "item":
      renderItem(data);
      break;
    case "text":
      renderText(state.job, data);
      break;
    case "complete":
      state.finished = true;
      setBadge("succeeded");
      setProgress(100, lastProgress.done, lastProgress.total, true);
      if (data.items) setCounts(data.items.succeeded, data.items.failed);
      ui.resultSection.hidden = false;
      ui.result.textContent = JSON.stringify(data.result ?? null, null, 2);
      endJob("Job complete.");
      break;
    case "error":
      state.finished = true;
      setBadge("failed");
      // The message is the server's own, client-safe and complete ("The job failed: ...").
      showPanelError(String(data.message ?? "The job failed."));
      endJob("Job failed.");
      break;
    case "cancelled":
      state.finished = true;
      setBadge("cancelled");
      endJob(String(data.message ?? "The job was cancelled."));
      break;
    default:
      break; // unknown types are listed in the event stream only
  }
}

/** @param {string} message */
function endJob(message) {
  announce(message);
  ui.text.classList.remove("typing");
  ui.cancel.disabled = true;
  ui.cancel.textContent = "Cancel job";
  ui.drop.disabled = true;
}

function renderItem(data) {
  ui.itemsSection.hidden = false;
  const row = document.createElement("li");
  row.className = data.ok ? "ok" : "failed";
  const mark = document.createElement("span");
  mark.className = "mark";
  mark.textContent = data.ok ? "✓" : "✗";
  mark.setAttribute("aria-label", data.ok ? "succeeded" : "failed");
  const key = document.createElement("span");
  key.className = "key";
  key.textContent = String(data.key ?? "");
  row.append(mark, " ", key);
  if (!data.ok && data.reason) {
    const reason = document.createElement("span");
    reason.className = "reason";
    reason.textContent = ` — ${data.reason}`;
    row.append(reason);
  }
  appendRow(ui.itemList, row);
  if (typeof data.succeeded === "number" && typeof data.failed === "number") {
    setCounts(data.succeeded, data.failed);
  } else {
    const [ok, failed] = [Number(ui.succeeded.textContent), Number(ui.failed.textContent)];
    setCounts(ok + (data.ok ? 1 : 0), failed + (data.ok ? 0 : 1));
  }
}

/**
 * A `text` event {delta, offset}: append the delta. Offsets count code points of the whole text,
 * so a delta already (partly) shown is skipped and a gap (text never received) is marked.
 * @param {StoredJob} job
 * @param {Record<string, any>} data
 */
function renderText(job, data) {
  const delta = Array.from(typeof data.delta === "string" ? data.delta : "");
  const shownEnd = job.textEnd ?? 0;
  const offset = Number.isInteger(data.offset) ? data.offset : shownEnd;
  const end = offset + delta.length;
  if (end <= shownEnd) return;
  let piece = delta.slice(Math.max(0, shownEnd - offset)).join("");
  if (offset > shownEnd) piece = `[…]${piece}`;
  job.textEnd = end;
  job.text = ((job.text ?? "") + piece).slice(-MAX_TEXT_CHARS);
  showText(piece, false);
  saveJob(job);
}

/**
 * @param {string} text
 * @param {boolean} replace
 */
function showText(text, replace) {
  ui.textSection.hidden = false;
  if (replace) ui.text.textContent = text;
  else ui.text.append(text);
  if (ui.text.textContent && ui.text.textContent.length > MAX_TEXT_CHARS) {
    ui.text.textContent = ui.text.textContent.slice(-MAX_TEXT_CHARS);
  }
  if (!current?.finished) ui.text.classList.add("typing");
}

/** "process (2 of 3)" for a job with declared phases, else the name alone. */
function phaseLabel(data) {
  const name = String(data.name);
  return Number.isInteger(data.index) && Number.isInteger(data.count) && data.count > 1
    ? `${name} (${data.index + 1}/${data.count})`
    : name;
}

function setCounts(succeeded, failed) {
  ui.itemsSection.hidden = false;
  ui.succeeded.textContent = String(succeeded ?? 0);
  ui.failed.textContent = String(failed ?? 0);
}

/** @param {import("./jobstream-client.js").StreamEvent} event */
function eventRow(event) {
  const row = document.createElement("li");
  row.dataset.eventId = event.id;
  row.dataset.eventType = event.type;
  const id = document.createElement("span");
  id.className = "event-id";
  id.textContent = `#${event.id}`;
  const type = document.createElement("span");
  type.className = "event-type";
  type.textContent = event.type;
  const data = document.createElement("code");
  data.textContent = event.data;
  row.append(id, " ", type, " ", data);
  return row;
}

/**
 * @param {HTMLElement} list
 * @param {HTMLElement} row
 */
function appendRow(list, row) {
  // Follow the newest row unless the reader has scrolled up to look at older ones.
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 4;
  list.append(row);
  while (list.childElementCount > MAX_ROWS) list.firstElementChild?.remove();
  if (atBottom) list.scrollTop = list.scrollHeight;
}

/**
 * @param {unknown} percent null/undefined when the amount of work is unknown
 * @param {unknown} [done]
 * @param {unknown} [total]
 * @param {boolean} [complete]
 * @param {unknown} [phase] the progress event's phase
 */
function setProgress(percent, done, total, complete = false, phase = undefined) {
  if (typeof done === "number") lastProgress = { done, total };
  if (typeof percent !== "number" || !Number.isFinite(percent)) {
    // Indeterminate: ARIA says leave aria-valuenow out.
    ui.progress.removeAttribute("aria-valuenow");
    ui.progress.dataset.indeterminate = "true";
    const text = typeof done === "number" ? `${done} done` : "working…";
    ui.progress.setAttribute("aria-valuetext", text);
    ui.progressText.textContent = text;
    return;
  }
  delete ui.progress.dataset.indeterminate;
  const clamped = Math.min(100, Math.max(0, percent));
  // Floor, so 99.6% never shows as 100 before the job has really finished.
  const whole = complete ? 100 : Math.floor(clamped);
  ui.progress.setAttribute("aria-valuenow", String(whole));
  ui.progressFill.style.width = `${complete ? 100 : clamped}%`;
  let text = `${whole}%`;
  if (typeof done === "number" && typeof total === "number") {
    // With weighted phases, done/total count the current phase and percent the whole job.
    const own = total > 0 ? (100 * done) / total : 100;
    if (!complete) countsArePhase = Boolean(phase) && Math.abs(own - clamped) > 0.5;
    if (countsArePhase) {
      text = complete ? "100%" : `${phase}: ${done} of ${total} · ${whole}% overall`;
    } else {
      text = `${done} of ${total} (${whole}%)`;
    }
  } else if (typeof done === "number") {
    text = complete ? `${done} done (100%)` : `${whole}%`;
  }
  ui.progress.setAttribute("aria-valuetext", text);
  ui.progressText.textContent = text;
}

/**
 * @param {string} name
 * @param {string} label what to show, e.g. "process (2 of 3)"
 * @param {boolean} speak announce it (phase events), or only show it (progress events)
 */
function setPhase(name, label, speak) {
  // A progress event names the phase only: keep the richer label of its phase event.
  if (ui.phase.dataset.name === name && !speak) return;
  if (ui.phase.textContent === label) return;
  ui.phase.dataset.name = name;
  ui.phase.textContent = label;
  if (speak) announce(`Phase: ${label}`);
}

/** @param {string} status */
function setBadge(status) {
  ui.badge.textContent = status;
  ui.badge.dataset.status = status;
}

/** @param {string} message */
function announce(message) {
  ui.status.textContent = message;
}

/** @param {string} message */
function showPanelError(message) {
  ui.panel.hidden = false;
  ui.errorBox.textContent = message;
  ui.errorBox.hidden = false;
}

/** @param {StoredJob} job */
function resetPanel(job) {
  ui.panel.hidden = false;
  ui.jobId.textContent = job.job_id;
  setBadge("queued");
  ui.status.textContent = "";
  lastProgress = {};
  countsArePhase = false;
  // No animated slide back from the previous job's bar.
  ui.progressFill.style.transition = "none";
  setProgress(0);
  void ui.progressFill.offsetWidth;
  ui.progressFill.style.transition = "";
  ui.phase.textContent = "–";
  delete ui.phase.dataset.name;
  ui.connection.textContent = "–";
  ui.reconnects.textContent = "0";
  ui.lastEventId.textContent = job.lastEventId || "–";
  ui.drop.disabled = true;
  ui.cancel.disabled = false;
  ui.cancel.textContent = "Cancel job";
  ui.errorBox.hidden = true;
  ui.errorBox.textContent = "";
  ui.resultSection.hidden = true;
  ui.result.textContent = "";
  ui.textSection.hidden = true;
  ui.text.textContent = "";
  ui.text.classList.remove("typing");
  ui.itemsSection.hidden = true;
  setCounts(0, 0);
  ui.itemsSection.hidden = true;
  ui.itemList.replaceChildren();
  ui.logSection.hidden = true;
  ui.log.replaceChildren();
  ui.eventCount.textContent = "0";
  ui.eventList.replaceChildren();
}

/**
 * GET the job's status so a resumed page shows where the job stands before new events arrive.
 * @param {StoredJob} job
 * @param {AbortSignal} signal
 */
async function paintSnapshot(job, signal) {
  const url = job.status_url ?? `${API_BASE}/jobs/${encodeURIComponent(job.job_id)}`;
  try {
    const response = await fetch(url, {
      headers: { Authorization: `Bearer ${job.token}`, Accept: "application/json" },
      signal,
    });
    if (!response.ok) return;
    const snapshot = await response.json();
    if (current?.job !== job || current.events > 0) return; // live events are newer
    const progress = snapshot.progress;
    if (progress && typeof progress === "object") {
      setProgress(progress.percent, progress.done, progress.total, false, progress.phase);
      if (progress.phase) setPhase(String(progress.phase), String(progress.phase), false);
    }
    if (typeof snapshot.status === "string") setBadge(snapshot.status);
    if (snapshot.status === "succeeded") {
      setProgress(100, lastProgress.done, lastProgress.total, true);
      ui.resultSection.hidden = false;
      ui.result.textContent = JSON.stringify(snapshot.result ?? null, null, 2);
    }
    if (snapshot.status === "failed" && snapshot.error) showPanelError(String(snapshot.error));
    if (["succeeded", "failed", "cancelled"].includes(snapshot.status)) {
      current.finished = true;
      ui.cancel.disabled = true;
      ui.text.classList.remove("typing");
      announce(`Job ${snapshot.status}.`);
    }
  } catch {
    // The snapshot is a nicety; the stream carries the truth.
  }
}

// ---------------------------------------------------------------- buttons

function onDrop() {
  if (!current?.connection) return;
  announce("Connection dropped on purpose; the client will resume…");
  current.connection.abort(new DOMException("dropped from the demo page", "AbortError"));
}

async function onCancel() {
  if (!current) return;
  const { job } = current;
  ui.cancel.disabled = true;
  ui.cancel.textContent = "Cancelling…";
  try {
    const response = await fetch(
      `${API_BASE}/jobs/${encodeURIComponent(job.job_id)}/cancel`,
      { method: "POST", headers: { Authorization: `Bearer ${job.token}`, Accept: "application/json" } },
    );
    if (response.status === 202 || response.ok) {
      // The stream may already have delivered `cancelled` (and said so) while this POST was out.
      if (current?.job === job && !current.finished) {
        announce("Cancellation requested; waiting for the job to stop…");
      }
      return;
    }
    const body = await response.json().catch(() => null);
    showPanelError(body?.error?.message ?? `Cancel failed (${response.status}).`);
  } catch (error) {
    showPanelError(`Cancel failed: ${error.message}`);
  }
  if (current?.job === job && !current.finished) {
    ui.cancel.disabled = false;
    ui.cancel.textContent = "Cancel job";
  }
}

// ---------------------------------------------------------------- start-up

async function main() {
  ui.form.addEventListener("submit", onStart);
  ui.type.addEventListener("change", () => showParamsFor(ui.type.value));
  ui.drop.addEventListener("click", onDrop);
  ui.cancel.addEventListener("click", onCancel);

  fillTypeSelect([...knownTypes.keys()]);
  showParamsFor(ui.type.value);
  const saved = loadJob();
  if (saved) follow(saved, { resumed: true });

  await loadJobTypes();
  const before = ui.params.value;
  fillTypeSelect([...knownTypes.keys()]);
  // Refresh the suggested params only if the user has not started editing them.
  if (before === JSON.stringify(knownTypes.get(ui.type.value) ?? {}, null, 2)) {
    showParamsFor(ui.type.value);
  }
}

main();
