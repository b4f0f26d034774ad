// Demo page: start a job, follow it with the package's job stream (jobstream-client.js), and
// render the job's derived view. The current job (id, URLs, token) lives in sessionStorage; a
// reload replays the job's log from its first event, so the page rebuilds the whole view (items,
// counts, log, text, result), not only what arrives after the reload. Why replay rather than
// keep the view in storage: the server's replay costs what it reads (docs/benchmarks.md), the
// log is the one source of truth, and a stored copy of the view could not outgrow sessionStorage
// or disagree with the job after this page's code changes.

import {
  createJobsApi,
  createJobStream,
  isFinished,
  tokenRefresher,
} from "./jobstream-client.js";

/** @typedef {import("./jobstream-client.js").JobView} JobView */
/** @typedef {import("./jobstream-client.js").StreamEvent} StreamEvent */
/** @typedef {import("./jobstream-client.js").JobStream} JobStream */

const STORAGE_KEY = "jobstream.demo.job";
// Who the page is signed in as: {"caller": name} (a dev issuer caller) or {"token": jwt} (pasted).
const CALLER_KEY = "jobstream.demo.caller";
const NOBODY = "";
const OTHER = "__other__";
// The raw event list would grow the page without bound: keep the newest rows only (the view
// caps its items and log the same way).
const MAX_ROWS = 500;

/**
 * @typedef {object} StoredJob
 * @property {string} job_id
 * @property {string} events_url
 * @property {string} [status_url]
 * @property {string} token  The view token (minutes; refreshed before it expires).
 * @property {string | null} [control_token]  ApiAuth none: what refreshes it and cancels. Kept in
 *   this tab's sessionStorage only, never in a URL.
 * @property {string} [type]
 */

/**
 * @typedef {object} JobTypeHint
 * @property {string} type
 * @property {Record<string, unknown> | undefined} params
 * @property {string} [description]
 * @property {string} [mode]
 */

/**
 * How the job on screen is being followed.
 * @typedef {object} Following
 * @property {StoredJob} job
 * @property {JobStream} stream
 * @property {AbortController | null} connection  aborts only the request in flight ("Drop")
 * @property {number} reconnects
 * @property {number} events       events received by this page load
 * @property {JobView} shown       the view last rendered
 * @property {number | null} replayUntil  after a reload: the last event id the job had then (the
 *   page says "live" once it has shown it); null when not replaying
 */

/** @param {Document} doc */
function findElements(doc) {
  /** @param {string} id */
  const $ = (id) => {
    const element = doc.getElementById(id);
    if (!element) throw new Error(`demo page: #${id} is missing from index.html`);
    return element;
  };
  return {
    signin: $("signin"),
    devCallerField: $("dev-caller-field"),
    devCaller: /** @type {HTMLSelectElement} */ ($("dev-caller")),
    accessToken: /** @type {HTMLInputElement} */ ($("access-token")),
    signinStatus: $("signin-status"),
    signinError: $("signin-error"),
    form: /** @type {HTMLFormElement} */ ($("start-form")),
    type: /** @type {HTMLSelectElement} */ ($("job-type")),
    typeHint: $("type-hint"),
    customField: $("custom-type-field"),
    customType: /** @type {HTMLInputElement} */ ($("custom-type")),
    typeError: $("type-error"),
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
}

/** @typedef {ReturnType<typeof findElements>} Elements */

/**
 * @param {unknown} error
 * @returns {string}
 */
const messageOf = (error) => (error instanceof Error ? error.message : String(error));

/**
 * Accepts the shapes an API might use for GET /jobs/types: names, or objects with hints.
 * @param {any} body
 * @returns {JobTypeHint[]}
 */
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
      if (!params && schema?.properties) params = suggestedParams(schema, schema);
      return { type, params, description, mode };
    })
    .filter((entry) => typeof entry.type === "string" && entry.type !== "");
}

/**
 * The `sub` claim of a JWT, read without checking it (the API checks it): to say who the page is
 * signed in as. Null when the text is not a JWT.
 * @param {string} token
 * @returns {string | null}
 */
function subjectOf(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(payload));
    return typeof claims?.sub === "string" ? claims.sub : null;
  } catch {
    return null;
  }
}

/**
 * The params to suggest for a JSON Schema (a job type's pydantic model): each property's first
 * example, else its default, and for a required property with neither a valid value made from
 * its type and bounds. So the suggestion is accepted as it stands, required fields included.
 * @param {any} schema  the object schema
 * @param {any} root    the whole schema, where `$ref`s point
 * @returns {Record<string, unknown>}
 */
function suggestedParams(schema, root) {
  const required = new Set(Array.isArray(schema?.required) ? schema.required : []);
  /** @type {Record<string, unknown>} */
  const params = {};
  for (const [name, raw] of Object.entries(schema?.properties ?? {})) {
    const property = resolved(raw, root);
    if (Array.isArray(property.examples) && property.examples.length > 0) {
      params[name] = property.examples[0];
    } else if ("default" in property) {
      params[name] = property.default;
    } else if (required.has(name)) {
      params[name] = validValue(property, root);
    }
  }
  return params;
}

/**
 * A property's own schema: `$ref` followed (pydantic puts nested models in `$defs`), and of an
 * `anyOf` (an optional field) the first branch that is not null.
 * @param {any} property
 * @param {any} root
 * @returns {any}
 */
function resolved(property, root) {
  let schema = property && typeof property === "object" ? property : {};
  const ref = typeof schema.$ref === "string" ? schema.$ref.match(/^#\/\$defs\/(.+)$/) : null;
  if (ref) schema = { ...root?.$defs?.[ref[1]], ...schema, $ref: undefined };
  if (Array.isArray(schema.anyOf)) {
    const branch = schema.anyOf.find((/** @type {any} */ b) => b?.type !== "null");
    if (branch) schema = { ...resolved(branch, root), ...schema, anyOf: undefined };
  }
  return schema;
}

/**
 * The smallest value a schema accepts, as far as its type and bounds say.
 * @param {any} schema
 * @param {any} root
 * @returns {unknown}
 */
function validValue(schema, root) {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if ("const" in schema) return schema.const;
  switch (schema.type) {
    case "integer":
    case "number": {
      const step = schema.type === "integer" ? 1 : 0.5;
      const low =
        typeof schema.minimum === "number"
          ? schema.minimum
          : typeof schema.exclusiveMinimum === "number"
            ? schema.exclusiveMinimum + step
            : 1;
      return typeof schema.maximum === "number" ? Math.min(low, schema.maximum) : low;
    }
    case "string":
      return "x".repeat(Math.max(1, schema.minLength ?? 1));
    case "boolean":
      return false;
    case "array":
      return [];
    case "object":
      return suggestedParams(schema, root);
    default:
      return null;
  }
}

/**
 * "process (2/3)" for a job with declared phases, else the name alone.
 * @param {import("./jobstream-client.js").Phase | null} phase
 * @returns {string}
 */
function phaseLabel(phase) {
  if (!phase) return "–";
  return phase.index !== null && phase.count !== null && phase.count > 1
    ? `${phase.name} (${phase.index + 1}/${phase.count})`
    : phase.name;
}

/**
 * The progress bar's numbers and words for a view.
 * @param {JobView} view
 * @returns {{ now: number | null, width: number, text: string }}
 */
function progressOf(view) {
  const { percent, done, total } = view;
  const complete = view.status === "succeeded";
  if (percent === null) {
    // Indeterminate: ARIA says leave aria-valuenow out.
    return { now: null, width: 0, text: done !== null ? `${done} done` : "working…" };
  }
  const clamped = Math.min(100, Math.max(0, percent));
  // Floor, so 99.6% never shows as 100 before the job has really finished.
  const whole = complete ? 100 : Math.floor(clamped);
  let text = `${whole}%`;
  if (done !== null && total !== null) {
    // With weighted phases, done/total count the current phase and percent the whole job.
    const own = total > 0 ? (100 * done) / total : 100;
    const countsArePhase = view.phase !== null && Math.abs(own - clamped) > 0.5;
    if (countsArePhase) {
      text = complete ? "100%" : `${view.phase?.name}: ${done} of ${total} · ${whole}% overall`;
    } else {
      text = `${done} of ${total} (${whole}%)`;
    }
  } else if (done !== null && complete) {
    text = `${done} done (100%)`;
  }
  return { now: whole, width: complete ? 100 : clamped, text };
}

/**
 * Keep a list's rows in step with an append-only, capped list of entries: append the new ones,
 * drop rows whose entries fell off the front. Rows carry their entry's event id.
 * @template {{ id: string }} T
 * @param {HTMLElement} list
 * @param {T[]} entries
 * @param {T[]} before  the entries the rows show now
 * @param {(entry: T) => HTMLElement} makeRow
 */
function syncRows(list, entries, before, makeRow) {
  if (entries === before) return;
  const last = before.length ? before[before.length - 1] : undefined;
  let from = last === undefined ? 0 : entries.lastIndexOf(last) + 1;
  if (last !== undefined && from === 0) {
    list.replaceChildren(); // not a continuation (a new job): start over
    from = 0;
  }
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 4;
  for (const entry of entries.slice(from)) {
    const row = makeRow(entry);
    row.dataset.eventId = entry.id;
    list.append(row);
  }
  while (list.childElementCount > entries.length) list.firstElementChild?.remove();
  // Follow the newest row unless the reader has scrolled up to look at older ones.
  if (atBottom) list.scrollTop = list.scrollHeight;
}

/** @param {import("./jobstream-client.js").Item} item */
function itemRow(item) {
  const row = document.createElement("li");
  row.className = item.ok ? "ok" : "failed";
  const mark = document.createElement("span");
  mark.className = "mark";
  mark.textContent = item.ok ? "✓" : "✗";
  mark.setAttribute("aria-label", item.ok ? "succeeded" : "failed");
  const key = document.createElement("span");
  key.className = "key";
  key.textContent = item.key;
  row.append(mark, " ", key);
  if (item.reason) {
    const reason = document.createElement("span");
    reason.className = "reason";
    reason.textContent = ` — ${item.reason}`;
    row.append(reason);
  }
  return row;
}

/** @param {import("./jobstream-client.js").LogLine} line */
function logRow(line) {
  const row = document.createElement("li");
  row.className = `level-${line.level}`;
  row.textContent = line.message;
  return row;
}

/** @param {StreamEvent} event */
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

/** The page: its elements, the job types it knows and the job it follows. */
class DemoPage {
  /**
   * @param {Elements} ui
   * @param {{ apiBase: string, storage: Storage }} options
   */
  constructor(ui, { apiBase, storage }) {
    this.ui = ui;
    this.apiBase = apiBase;
    this.storage = storage;
    /** @type {Map<string, Record<string, unknown>>} job type -> suggested params: exactly the
     * types GET /jobs/types lists (the page offers no type of its own) */
    this.knownTypes = new Map();
    /** @type {Map<string, { description?: string, mode?: string }>} what GET /jobs/types says */
    this.typeInfo = new Map();
    /** @type {Following | null} */
    this.current = null;
    /** The caller's access token (a JWT) sent to the jobs API, or "" when signed out. */
    this.accessToken = "";
    /** @type {Map<string, string>} the dev issuer's callers: name -> access token */
    this.devCallers = new Map();
    /** True once the user has picked a type themselves: a later list keeps their choice. */
    this.typeChosen = false;
    /** Settles once the first list of job types is in (a start pressed before waits for it). */
    this.typesListed = Promise.resolve();
  }

  async run() {
    const { ui } = this;
    ui.form.addEventListener("submit", (event) => this.onStart(event));
    ui.type.addEventListener("change", () => {
      this.typeChosen = true;
      this.showParamsFor(ui.type.value);
    });
    ui.drop.addEventListener("click", () => this.onDrop());
    ui.cancel.addEventListener("click", () => this.onCancel());
    ui.devCaller.addEventListener("change", () => this.signInAs(ui.devCaller.value));
    ui.accessToken.addEventListener("change", () => this.useToken(ui.accessToken.value.trim()));

    const saved = this.loadJob();
    if (saved) this.follow(saved, { resumed: true });
    this.typesListed = this.loadDevCallers().then(() => this.refreshJobTypes());
    await this.typesListed;
  }

  // -------------------------------------------------------------- who is calling

  /** `make run` with its dev issuer offers example callers; anywhere else this is a 404. */
  async loadDevCallers() {
    const { ui } = this;
    /** @type {{ caller?: string, token?: string }} */
    let saved = {};
    try {
      saved = JSON.parse(this.storage.getItem(CALLER_KEY) ?? "{}") ?? {};
    } catch {
      // A damaged entry: signed out.
    }
    try {
      const response = await fetch(`${this.apiBase}/dev/callers`, {
        headers: { Accept: "application/json" },
      });
      const body = response.ok ? await response.json() : null;
      for (const caller of Array.isArray(body?.callers) ? body.callers : []) {
        if (typeof caller?.name === "string" && typeof caller?.access_token === "string") {
          this.devCallers.set(caller.name, caller.access_token);
        }
      }
    } catch {
      // No dev issuer here: a deployed API, or one without caller authentication.
    }
    if (this.devCallers.size > 0) {
      ui.devCaller.replaceChildren(
        ...[...this.devCallers.keys()].map((name) => new Option(name, name)),
        new Option("nobody (no token)", NOBODY),
      );
      ui.devCallerField.hidden = false;
      ui.signin.hidden = false;
      const name = saved.caller ?? [...this.devCallers.keys()][0];
      if (saved.token) this.useToken(saved.token, { refresh: false });
      else this.signInAs(this.devCallers.has(name) ? name : NOBODY, { refresh: false });
    } else if (saved.token) {
      ui.signin.hidden = false;
      this.useToken(saved.token, { refresh: false });
    }
  }

  /**
   * @param {string} name  one of the dev issuer's callers, or NOBODY
   * @param {{ refresh?: boolean }} [options]
   */
  signInAs(name, { refresh = true } = {}) {
    this.ui.devCaller.value = name;
    this.ui.accessToken.value = this.devCallers.get(name) ?? "";
    this.setAccessToken(this.ui.accessToken.value, { caller: name }, refresh);
  }

  /**
   * A token pasted (or restored): the dev caller select, if any, then says whose it is.
   * @param {string} token
   * @param {{ refresh?: boolean }} [options]
   */
  useToken(token, { refresh = true } = {}) {
    this.ui.accessToken.value = token;
    const caller = [...this.devCallers].find(([, known]) => known === token)?.[0];
    if (this.devCallers.size > 0) this.ui.devCaller.value = caller ?? NOBODY;
    this.setAccessToken(token, caller ? { caller } : { token }, refresh);
  }

  /**
   * @param {string} token
   * @param {{ caller?: string, token?: string }} saved  what a reload restores
   * @param {boolean} refresh  list the job types again, as this caller
   */
  setAccessToken(token, saved, refresh) {
    const { ui } = this;
    this.accessToken = token;
    ui.signinError.hidden = true;
    ui.accessToken.removeAttribute("aria-invalid");
    const who = token ? subjectOf(token) : null;
    ui.signinStatus.textContent = !token
      ? "Signed out: the API will refuse to start jobs."
      : who
        ? `Signed in as ${who}.`
        : "Using the access token above (it does not look like a JWT).";
    try {
      this.storage.setItem(CALLER_KEY, JSON.stringify(token ? saved : {}));
    } catch {
      // Storage full or disabled: a reload signs out.
    }
    if (refresh) void this.refreshJobTypes();
  }

  /**
   * The API refused the caller (401): said in the sign-in card, which is shown if it was not.
   * @param {string} message
   */
  showSigninError(message) {
    const { ui } = this;
    ui.signin.hidden = false;
    ui.signinError.textContent = message;
    ui.signinError.hidden = false;
    const field = ui.devCallerField.hidden ? ui.accessToken : ui.devCaller;
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }

  /** Offer what GET /jobs/types lists; keep what the user typed unless it was our suggestion. */
  async refreshJobTypes() {
    const { ui } = this;
    const suggestion = this.suggestionFor(ui.type.value);
    const problem = await this.loadJobTypes();
    // Read after the wait: what the user typed (or chose) meanwhile is theirs and stays, and so
    // does a field they are in (its text may be on its way: a paste, an input method).
    const untouched =
      ui.params.ownerDocument.activeElement !== ui.params &&
      (ui.params.value === "" || ui.params.value === suggestion);
    this.fillTypeSelect([...this.knownTypes.keys()]);
    if (untouched) this.showParamsFor(ui.type.value);
    else this.showTypeHint(ui.type.value);
    if (problem) {
      ui.typeHint.textContent = problem;
      ui.typeHint.hidden = false;
    }
  }

  /** @param {string} type */
  suggestionFor(type) {
    return JSON.stringify(this.knownTypes.get(type) ?? {}, null, 2);
  }

  // -------------------------------------------------------------- job types and the form

  /** @param {string[]} names */
  fillTypeSelect(names) {
    const { type } = this.ui;
    const selected = type.value;
    type.replaceChildren(...names.map((name) => new Option(name, name)), new Option("Other…", OTHER));
    // "Other…" stays chosen if the user chose it (not when it was all there was to show).
    const keepOther =
      selected === OTHER && (this.typeChosen || this.ui.customType.value.trim() !== "");
    type.value = names.includes(selected) || keepOther ? selected : (names[0] ?? OTHER);
  }

  /**
   * Replace the known types with the API's list; a message when there is none to show.
   * @returns {Promise<string | null>}
   */
  async loadJobTypes() {
    let response;
    try {
      response = await fetch(`${this.apiBase}/jobs/types`, {
        headers: { Accept: "application/json", ...this.callerHeaders() },
      });
    } catch (error) {
      return `Could not list the job types: ${messageOf(error)}. Name one under “Other…”.`;
    }
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      const why = body?.error?.message ?? `the API answered ${response.status}`;
      if (response.status === 401) {
        this.showSigninError(`Sign in to use this API: ${why}.`);
        this.knownTypes.clear();
        return "Sign in (above) to see the job types this API runs.";
      }
      return `Could not list the job types (${why}). Name one under “Other…”.`;
    }
    const types = readJobTypes(await response.json().catch(() => null));
    this.knownTypes.clear();
    this.typeInfo.clear();
    for (const { type, params, description, mode } of types) {
      this.knownTypes.set(type, params ?? {});
      this.typeInfo.set(type, { description, mode });
    }
    return types.length === 0 ? "This API runs no job types (see its JobRegistry)." : null;
  }

  /**
   * Headers that say who is calling: the access token, when signed in.
   * @returns {Record<string, string>}
   */
  callerHeaders() {
    return this.accessToken ? { Authorization: `Bearer ${this.accessToken}` } : {};
  }

  /** @param {string} type */
  showParamsFor(type) {
    const { ui } = this;
    ui.customField.hidden = type !== OTHER;
    ui.params.value = this.suggestionFor(type);
    // Tall enough for the suggestion, without a wall of empty lines for a short one.
    const lines = ui.params.value.split("\n").length;
    ui.params.rows = Math.min(10, Math.max(4, lines + Math.ceil(ui.params.value.length / 90)));
    this.showTypeHint(type);
    this.clearParamsError();
  }

  /**
   * The job type's own description (its first paragraph) and how it runs, when the API says.
   * @param {string} type
   */
  showTypeHint(type) {
    const info = this.typeInfo.get(type);
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
    this.ui.typeHint.replaceChildren(...pieces, summary && mode ? " " : "", mode);
    this.ui.typeHint.hidden = this.ui.typeHint.textContent === "";
  }

  /** @param {string} message  said next to the job type: the type, not the params, is wrong */
  showTypeError(message) {
    const { ui } = this;
    ui.typeError.textContent = message;
    ui.typeError.hidden = false;
    const field = ui.type.value === OTHER ? ui.customType : ui.type;
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }

  clearTypeError() {
    const { ui } = this;
    ui.typeError.hidden = true;
    ui.typeError.textContent = "";
    ui.type.removeAttribute("aria-invalid");
    ui.customType.removeAttribute("aria-invalid");
  }

  clearParamsError() {
    this.ui.paramsError.hidden = true;
    this.ui.paramsError.textContent = "";
    this.ui.params.removeAttribute("aria-invalid");
  }

  /** @param {string} message */
  showParamsError(message) {
    this.ui.paramsError.textContent = message;
    this.ui.paramsError.hidden = false;
    this.ui.params.setAttribute("aria-invalid", "true");
    this.ui.params.focus();
  }

  chosenType() {
    const { ui } = this;
    return ui.type.value === OTHER ? ui.customType.value.trim() : ui.type.value;
  }

  /** @param {SubmitEvent} event */
  async onStart(event) {
    const { ui } = this;
    event.preventDefault();
    // The select is empty until the API has listed its types: a start pressed sooner waits.
    await this.typesListed;
    this.clearParamsError();
    this.clearTypeError();
    const type = this.chosenType();
    if (!type) {
      ui.customType.focus();
      return;
    }
    let params;
    try {
      params = JSON.parse(ui.params.value || "{}");
    } catch (error) {
      this.showParamsError(`Not valid JSON: ${messageOf(error)}`);
      return;
    }
    if (params === null || typeof params !== "object" || Array.isArray(params)) {
      this.showParamsError('Parameters must be a JSON object, like {"n": 50}.');
      return;
    }
    ui.start.disabled = true;
    ui.start.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(`${this.apiBase}/jobs`, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          ...this.callerHeaders(),
        },
        body: JSON.stringify({ type, params }),
      });
      const body = await response.json().catch(() => null);
      if (response.status !== 201 || !body?.events_url || !body?.token) {
        this.showStartError(response.status, body);
        return;
      }
      /** @type {StoredJob} */
      const job = {
        job_id: body.job_id,
        events_url: body.events_url,
        status_url: body.status_url,
        token: body.token,
        control_token: typeof body.control_token === "string" ? body.control_token : null,
        type,
      };
      this.saveJob(job);
      this.follow(job, { resumed: false });
    } catch (error) {
      this.showPanelError(`Could not reach the API: ${messageOf(error)}`);
    } finally {
      ui.start.disabled = false;
      ui.start.removeAttribute("aria-busy");
    }
  }

  /**
   * @param {number} status
   * @param {any} body
   */
  showStartError(status, body) {
    const error = body?.error;
    if (status === 401) {
      // Who is calling is wrong, not the form: said where the caller is chosen.
      this.showSigninError(`The API refused the caller: ${error?.message ?? status}.`);
      return;
    }
    const known = error?.details?.known_types;
    if (error?.code === "unknown_job_type" && Array.isArray(known)) {
      // The message names the known types already; the select is brought up to date with them.
      this.showTypeError(error.message);
      void this.refreshJobTypes();
      return;
    }
    const detail = Array.isArray(error?.details)
      ? error.details
          .map(
            (/** @type {any} */ d) => `${(d.loc ?? []).join(".")}: ${d.msg ?? d.message ?? ""}`,
          )
          .join("; ")
      : "";
    const message = error?.message ?? `The API answered ${status}.`;
    this.showParamsError(detail ? `${message} (${detail})` : message);
  }

  // -------------------------------------------------------------- session storage

  /** @param {StoredJob} job */
  saveJob(job) {
    try {
      this.storage.setItem(STORAGE_KEY, JSON.stringify(job));
    } catch {
      // Storage full or disabled: the page works, a reload just will not find the job.
    }
  }

  /** @returns {StoredJob | null} */
  loadJob() {
    try {
      const job = JSON.parse(this.storage.getItem(STORAGE_KEY) ?? "null");
      if (job && typeof job.events_url === "string" && typeof job.token === "string") return job;
    } catch {
      // A damaged entry is ignored.
    }
    return null;
  }

  // -------------------------------------------------------------- following a job

  /**
   * @param {StoredJob} job
   * @param {{ resumed: boolean }} how
   */
  follow(job, { resumed }) {
    this.current?.stream.close();
    const getToken = this.tokensFor(job);
    /** @type {Following} */
    const following = {
      job,
      stream: createJobStream(job.events_url, {
        getToken,
        // The whole log, even after a reload: the view is rebuilt, not patched.
        from: "start",
        onEvent: (event) => this.onEvent(following, event),
        subscribeOptions: {
          fetch: (url, init) => this.trackedFetch(following, url, init),
          onOpen: ({ lastEventId }) => {
            if (this.current === following && following.reconnects > 0) {
              this.announce(`Reconnected; resumed after event ${lastEventId || "0"}.`);
            }
          },
          onError: (_error, { willRetry, status }) => {
            if (this.current !== following || !willRetry) return;
            const why = status ? `the server answered ${status}` : "the connection was lost";
            this.announce(`Reconnecting: ${why}…`);
          },
        },
      }),
      connection: null,
      reconnects: 0,
      events: 0,
      shown: /** @type {JobView} */ ({}),
      // Unknown until the job's status says how far the replay goes.
      replayUntil: resumed ? Number.POSITIVE_INFINITY : null,
    };
    this.current = following;
    this.resetPanel(job);
    following.shown = following.stream.getView();
    this.announce(resumed ? "Replaying the job's events…" : "Job started.");
    if (resumed) {
      void this.lastEventIdOf(job, getToken).then((id) => {
        following.replayUntil = id;
        this.sayWhenCaughtUp(following);
      });
    }
    if (!resumed) this.ui.heading.focus();
    following.stream.listen((view) => {
      if (this.current === following) this.render(following, view);
    });
    following.stream.start();
  }

  /**
   * The job's view tokens: the stored one while it has time left, then fresh ones (before it
   * expires, and after a refusal) from the access token or the job's control token. Without
   * either (a page that only got a view token) the stored one is all there is.
   * @param {StoredJob} job
   * @returns {(request: import("./jobstream-client.js").TokenRequest) => Promise<string>}
   */
  tokensFor(job) {
    const controlToken = job.control_token ?? undefined;
    if (!this.accessToken && !controlToken) return async () => job.token;
    const api = createJobsApi({ baseUrl: this.apiBase, accessToken: () => this.accessToken });
    const refresh = tokenRefresher({ api, jobId: job.job_id, token: job.token, controlToken });
    return async (request) => {
      const token = await refresh(request);
      if (token !== job.token) {
        job.token = token;
        // A reload then starts with the fresh one.
        if (this.current?.job === job) this.saveJob(job);
      }
      return token;
    };
  }

  /**
   * The job's last event id now (GET /jobs/{id}); 0 if the API cannot say.
   * @param {StoredJob} job
   * @param {(request: import("./jobstream-client.js").TokenRequest) => Promise<string>} getToken
   * @returns {Promise<number>}
   */
  async lastEventIdOf(job, getToken) {
    try {
      const url = job.status_url ?? `${this.apiBase}/jobs/${encodeURIComponent(job.job_id)}`;
      const token = await getToken({ refused: false, attempt: 0 });
      const response = await fetch(url, {
        headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
      });
      const body = response.ok ? await response.json() : null;
      return Number(body?.last_event_id) || 0;
    } catch {
      return 0;
    }
  }

  /**
   * After a reload: once the replay has shown every event the job had, the page is live.
   * @param {Following} following
   */
  sayWhenCaughtUp(following) {
    const until = following.replayUntil;
    const view = following.shown;
    if (until === null || this.current !== following) return;
    if (isFinished(view) || view.end !== null) {
      following.replayUntil = null; // the terminal event (or the end) says the rest
      return;
    }
    if (view.connection === "open" && Number(view.lastEventId || 0) >= until) {
      following.replayUntil = null;
      this.announce("Following the job live.");
    }
  }

  /**
   * Every request goes through this fetch so "Drop connection" can abort the one in flight,
   * exactly as a network drop would: the client sees a broken body and resumes.
   * @param {Following} following
   * @param {RequestInfo | URL} url
   * @param {RequestInit} [init]
   */
  trackedFetch(following, url, init = {}) {
    const connection = new AbortController();
    const parent = init.signal;
    if (parent?.aborted) connection.abort(parent.reason);
    parent?.addEventListener("abort", () => connection.abort(parent.reason), { once: true });
    following.connection = connection;
    return fetch(url, { ...init, signal: connection.signal });
  }

  /**
   * @param {Following} following
   * @param {StreamEvent} event
   */
  onEvent(following, event) {
    if (this.current !== following) return;
    following.events += 1;
    this.ui.eventCount.textContent = String(following.events);
    const list = this.ui.eventList;
    list.append(eventRow(event));
    while (list.childElementCount > MAX_ROWS) list.firstElementChild?.remove();
    const data = /** @type {Record<string, unknown>} */ (
      event.json && typeof event.json === "object" ? event.json : {}
    );
    if (event.type === "complete") this.announce("Job complete.");
    if (event.type === "error") this.announce("Job failed.");
    if (event.type === "cancelled") this.announce(String(data.message ?? "The job was cancelled."));
  }

  /**
   * @param {Following} following
   * @param {JobView} view
   */
  render(following, view) {
    const { ui } = this;
    const before = following.shown;
    following.shown = view;
    const finished = isFinished(view);

    if (view.connection !== before.connection) {
      if (view.connection === "reconnecting") {
        following.reconnects += 1;
        ui.reconnects.textContent = String(following.reconnects);
      }
      ui.connection.textContent = view.connection === "idle" ? "–" : view.connection;
      ui.connection.dataset.state = view.connection;
    }
    ui.drop.disabled = view.connection !== "open" || finished;
    ui.lastEventId.textContent = view.lastEventId || "–";
    this.setBadge(view.status === "pending" ? "queued" : view.status);
    this.setProgress(view);

    const label = phaseLabel(view.phase);
    if (ui.phase.textContent !== label) {
      ui.phase.textContent = label;
      // Announce the phases a job declares, not every progress event's phase name.
      if (view.phase?.index != null && label !== phaseLabel(before.phase)) {
        this.announce(`Phase: ${label}`);
      }
    }

    if (view.items !== before.items || view.counts !== before.counts) {
      const { succeeded, failed } = view.counts;
      ui.itemsSection.hidden = view.items.length === 0 && succeeded === 0 && failed === 0;
      ui.succeeded.textContent = String(view.counts.succeeded);
      ui.failed.textContent = String(view.counts.failed);
      syncRows(ui.itemList, view.items, before.items, itemRow);
    }
    if (view.log !== before.log) {
      ui.logSection.hidden = view.log.length === 0;
      syncRows(ui.log, view.log, before.log, logRow);
    }
    if (view.text !== before.text) {
      ui.textSection.hidden = view.text === "";
      ui.text.textContent = view.text;
    }
    ui.text.classList.toggle("typing", view.text !== "" && !finished && view.connection !== "closed");

    if (view.status === "succeeded" && before.status !== "succeeded") {
      ui.resultSection.hidden = false;
      ui.result.textContent = JSON.stringify(view.result ?? null, null, 2);
    }
    if (view.error !== null && view.error !== before.error) this.showPanelError(view.error);
    if (finished) {
      ui.cancel.disabled = true;
      ui.cancel.textContent = "Cancel job";
    }
    if (view.end !== null && before.end === null) this.showEnd(view);
    this.sayWhenCaughtUp(following);
  }

  /**
   * The stream stopped without a terminal event.
   * @param {JobView} view
   */
  showEnd(view) {
    const { ui } = this;
    const end = /** @type {NonNullable<JobView["end"]>} */ (view.end);
    ui.drop.disabled = true;
    switch (end.reason) {
      case "no-content":
        // Nothing left after the last event: the job ended while this page was resuming.
        this.announce("The stream has ended.");
        ui.cancel.disabled = true;
        return;
      case "http-error": {
        const message =
          end.status === 404
            ? "This job no longer exists (it may have expired)."
            : end.status === 401 || end.status === 403
              ? "The server refused this job's token."
              : `The stream was refused (${end.status}).`;
        this.showPanelError(end.message ? `${message} ${end.message}` : message);
        this.setBadge("unknown");
        this.storage.removeItem(STORAGE_KEY);
        ui.cancel.disabled = true;
        return;
      }
      case "aborted":
        return;
      default:
        this.showPanelError("Lost the connection to the stream. Reload the page to resume.");
        ui.connection.textContent = "gave up";
    }
  }

  /** @param {JobView} view */
  setProgress(view) {
    const { ui } = this;
    const { now, width, text } = progressOf(view);
    if (now === null) {
      ui.progress.removeAttribute("aria-valuenow");
      ui.progress.dataset.indeterminate = "true";
    } else {
      delete ui.progress.dataset.indeterminate;
      ui.progress.setAttribute("aria-valuenow", String(now));
      ui.progressFill.style.width = `${width}%`;
    }
    ui.progress.setAttribute("aria-valuetext", text);
    ui.progressText.textContent = text;
  }

  /** @param {string} status */
  setBadge(status) {
    this.ui.badge.textContent = status;
    this.ui.badge.dataset.status = status;
  }

  /** @param {string} message */
  announce(message) {
    this.ui.status.textContent = message;
  }

  /** @param {string} message */
  showPanelError(message) {
    this.ui.panel.hidden = false;
    this.ui.errorBox.textContent = message;
    this.ui.errorBox.hidden = false;
  }

  /** @param {StoredJob} job */
  resetPanel(job) {
    const { ui } = this;
    ui.panel.hidden = false;
    ui.jobId.textContent = job.job_id;
    this.setBadge("queued");
    ui.status.textContent = "";
    // No animated slide back from the previous job's bar.
    ui.progressFill.style.transition = "none";
    ui.progressFill.style.width = "0%";
    ui.progress.setAttribute("aria-valuenow", "0");
    ui.progress.setAttribute("aria-valuetext", "0%");
    delete ui.progress.dataset.indeterminate;
    ui.progressText.textContent = "0%";
    void ui.progressFill.offsetWidth;
    ui.progressFill.style.transition = "";
    ui.phase.textContent = "–";
    ui.connection.textContent = "–";
    ui.reconnects.textContent = "0";
    ui.lastEventId.textContent = "–";
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
    ui.succeeded.textContent = "0";
    ui.failed.textContent = "0";
    ui.itemList.replaceChildren();
    ui.logSection.hidden = true;
    ui.log.replaceChildren();
    ui.eventCount.textContent = "0";
    ui.eventList.replaceChildren();
  }

  // -------------------------------------------------------------- buttons

  onDrop() {
    if (!this.current?.connection) return;
    this.announce("Connection dropped on purpose; the client will resume…");
    this.current.connection.abort(new DOMException("dropped from the demo page", "AbortError"));
  }

  async onCancel() {
    const following = this.current;
    if (!following) return;
    const { ui } = this;
    const { job } = following;
    ui.cancel.disabled = true;
    ui.cancel.textContent = "Cancelling…";
    const stillOurs = () => this.current === following && !isFinished(following.shown);
    try {
      const response = await fetch(
        `${this.apiBase}/jobs/${encodeURIComponent(job.job_id)}/cancel`,
        {
          method: "POST",
          // Under caller authentication only the job's owner may cancel it, with their token;
          // without, the job's control token (a view token only watches).
          headers: {
            Authorization: `Bearer ${this.accessToken || job.control_token || job.token}`,
            Accept: "application/json",
          },
        },
      );
      if (response.status === 202 || response.ok) {
        // The stream may already have delivered `cancelled` (and said so) while this POST was out.
        if (stillOurs()) this.announce("Cancellation requested; waiting for the job to stop…");
        return;
      }
      const body = await response.json().catch(() => null);
      this.showPanelError(body?.error?.message ?? `Cancel failed (${response.status}).`);
    } catch (error) {
      this.showPanelError(`Cancel failed: ${messageOf(error)}`);
    }
    if (stillOurs()) {
      ui.cancel.disabled = false;
      ui.cancel.textContent = "Cancel job";
    }
  }
}

// ---------------------------------------------------------------- start-up

const apiBase = (
  document.querySelector('meta[name="jobstream-api-base"]')?.getAttribute("content") ?? ""
).replace(/\/+$/, "");
void new DemoPage(findElements(document), { apiBase, storage: sessionStorage }).run();
