"use client";
// Small, unstyled, accessible views of a job's derived view (useJobStream's JobView), the parts
// every page would otherwise copy: a progress bar that assistive technology reads as one, and a
// status line that is announced when it changes. Unstyled: each takes className and passes its
// other props on; the bar's fill is the one inline style (its width), marked data-part="fill".
// "use client": they render in the browser (the view comes from a stream), and a server
// component may import them into its tree (Next.js App Router).

import { createElement } from "react";

/** @typedef {import("./view.js").JobView} JobView */

/** @type {Record<import("./view.js").JobStatus, string>} */
const STATUS_WORDS = {
  pending: "Waiting for the job to start.",
  running: "Running",
  succeeded: "Finished.",
  failed: "Failed",
  cancelled: "Cancelled.",
};

/**
 * One sentence for the job's state, as JobStatus announces it: the status, the current phase,
 * the error of a failed job, and a stream that stopped or is reconnecting. No percentage: the
 * progress bar carries it, and a live region that changed with every percent would talk nonstop.
 * @param {JobView} view
 * @returns {string}
 */
export function jobStatusText(view) {
  let text = STATUS_WORDS[view.status];
  if (view.status === "running") {
    const phase = view.phase;
    if (phase && phase.index !== null && phase.count !== null) {
      text += `: ${phase.name} (phase ${phase.index + 1} of ${phase.count}).`;
    } else if (phase) {
      text += `: ${phase.name}.`;
    } else {
      text += ".";
    }
  } else if (view.status === "failed") {
    text += view.error ? `: ${view.error}` : ".";
  }
  if (view.end && view.end.reason !== "terminal") {
    const stopped = view.end.message
      ? `The stream stopped: ${view.end.message}`
      : `The stream stopped (${view.end.status ?? view.end.reason}).`;
    // Nothing ever arrived: "waiting" would not be true any more.
    text = view.status === "pending" ? stopped : `${text} ${stopped}`;
  } else if (view.connection === "reconnecting") {
    text += " Reconnecting…";
  }
  return text;
}

/**
 * @typedef {object} JobProgressProps
 * @property {JobView} view
 * @property {string} [label]  The bar's accessible name (default "Job progress").
 * @property {string} [className]
 */

/**
 * The job's progress as an ARIA progressbar (`role="progressbar"`, aria-valuenow 0-100, and an
 * aria-valuetext such as "42% (21 of 50)"); indeterminate (no aria-valuenow; "7 done") while the
 * amount of work is unknown. Contains one element, data-part="fill", whose width is the percentage.
 * @param {JobProgressProps & Record<string, unknown>} props
 */
export function JobProgress({ view, label = "Job progress", className, ...rest }) {
  const percent = view.percent === null ? null : Math.max(0, Math.min(100, view.percent));
  const rounded = percent === null ? null : Math.round(percent);
  const counted = view.done !== null && view.total !== null ? ` (${view.done} of ${view.total})` : "";
  return createElement(
    "div",
    {
      ...rest,
      role: "progressbar",
      "aria-label": label,
      "aria-valuemin": 0,
      "aria-valuemax": 100,
      "aria-valuenow": rounded ?? undefined,
      "aria-valuetext":
        rounded !== null ? `${rounded}%${counted}` : view.done !== null ? `${view.done} done` : "Working…",
      "aria-busy": view.status === "running" || view.status === "pending",
      className,
    },
    createElement("div", {
      "data-part": "fill",
      style: { width: `${percent ?? 0}%` },
    }),
  );
}

/**
 * @typedef {object} JobStatusProps
 * @property {JobView} view
 * @property {string} [className]
 */

/**
 * The job's state in words (jobStatusText), in a polite live region (`role="status"`,
 * `aria-live="polite"`, `aria-atomic="true"`): screen readers announce a new status, phase, error
 * or a stopped stream, once, without interrupting. Keep it mounted while the job is shown (a live
 * region announces changes, not its first render).
 * @param {JobStatusProps & Record<string, unknown>} props
 */
export function JobStatus({ view, className, ...rest }) {
  return createElement(
    "p",
    { ...rest, role: "status", "aria-live": "polite", "aria-atomic": "true", className },
    jobStatusText(view),
  );
}
