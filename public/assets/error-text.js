// Turns an API problem into sentences for people: the service's own detail (it says what to change), the
// per-field messages when there are some, and a hint for the statuses where the next step is not obvious.

import { formatBytes } from './format.js';

const capitalise = (text) => text.charAt(0).toUpperCase() + text.slice(1);
const sentence = (text) => capitalise(text.trim()).replace(/([^.!?])$/, '$1.');

// Problem types by their last segment, so that a service behind a prefix or with absolute type URIs still matches.
const QUOTA = 'storage-quota-exceeded';
const SIGNUPS = 'too-many-signups';
const kindOf = (problem) => String(problem.type ?? '').split('/').pop();

// The service's titles for these speak of quotas and addresses; a person needs to know what ran out.
const PAGE_TITLES = {
  [QUOTA]: 'Not enough storage left',
  [SIGNUPS]: 'Too many new users from your network',
};

/** A Retry-After in words: "in 40 s", "in about 21 minutes". */
function inTime(seconds) {
  if (seconds < 90) return `in ${seconds} s`;
  return `in about ${Math.ceil(seconds / 60)} minutes`;
}

/** The quota refusal in words, from its numbers; its detail names API calls, which mean nothing on the page. */
function quotaDetail({ usedBytes, allowedBytes, neededBytes }) {
  const stored = `Your recordings take ${formatBytes(usedBytes)} of the ${formatBytes(allowedBytes)} you may keep`;
  const needed = typeof neededBytes === 'number' ? `, and this one needs ${formatBytes(neededBytes)} more` : '';
  return `${stored}${needed}. Delete recordings to make room, or choose a lower bitrate.`;
}

function hintFor(problem, retryAfterSeconds) {
  const later = retryAfterSeconds ? ` ${inTime(retryAfterSeconds)}` : ' in a moment';
  if (kindOf(problem) === SIGNUPS) return `Sign in with a user you already have, or try again${later}.`;
  switch (problem.status) {
    case 0:
      return 'Check your connection and try again.';
    case 429:
      return `Wait for your other conversions to finish, then try again${later}.`;
    case 503:
      return `The service is busy; try again${later}.`;
    default:
      return problem.status >= 500 ? `Something went wrong on the service’s side; try again${later}.` : '';
  }
}

/**
 * @param {import('./api.js').ApiError | Error} error
 * @returns {{title: string, summary: string, fields: {field: string, message: string}[]}} title: the kind of
 *   error; summary: what happened and what to do; fields: the field messages, for the caller to show beside its
 *   inputs (or as a list when it has none).
 */
export function describeError(error) {
  const problem = error.problem;
  if (!problem) return { title: 'Error', summary: sentence(error.message || 'Something went wrong'), fields: [] };
  const fields = Array.isArray(problem.errors) ? problem.errors : [];
  // A validation detail only repeats the field messages (prefixed with field names), so the list replaces it. The
  // 401 detail speaks to API clients ("send the token you got from POST /user"); the page can say it plainer.
  // The sign-up limit's detail counts users per address and ends with a wait in seconds; the hint says both plainer.
  const detail =
    problem.status === 401
      ? 'The user id and token do not match a user: check both, as you saved them, or create a new user.'
      : kindOf(problem) === QUOTA && typeof problem.usedBytes === 'number' && typeof problem.allowedBytes === 'number'
        ? quotaDetail(problem)
        : kindOf(problem) === SIGNUPS
          ? 'This network has created as many users as it may in an hour.'
          : fields.length === 0 && problem.detail
            ? sentence(problem.detail)
            : '';
  return {
    title: PAGE_TITLES[kindOf(problem)] || problem.title || `Error ${problem.status}`,
    summary: [detail, hintFor(problem, error.retryAfterSeconds)].filter(Boolean).join(' '),
    fields: fields.map((f) => ({ field: f.field, message: sentence(f.message) })),
  };
}

/** Fills element with the error in words: the title in bold, then the summary, then any field messages. */
export function showError(element, error, { omitFields = [] } = {}) {
  const { title, summary, fields } = describeError(error);
  const paragraph = document.createElement('p');
  const strong = document.createElement('strong');
  strong.textContent = `${sentence(title)} `;
  paragraph.append(strong, summary);
  const listed = fields.filter((f) => !omitFields.includes(f.field));
  const list = document.createElement('ul');
  for (const { message } of listed) list.append(Object.assign(document.createElement('li'), { textContent: message }));
  element.replaceChildren(paragraph, ...(listed.length > 0 ? [list] : []));
  element.hidden = false;
}
