// Turns an API problem into sentences for people: the service's own detail (it says what to change), the
// per-field messages when there are some, and a hint for the statuses where the next step is not obvious.

const capitalise = (text) => text.charAt(0).toUpperCase() + text.slice(1);
const sentence = (text) => capitalise(text.trim()).replace(/([^.!?])$/, '$1.');

function hintFor(problem, retryAfterSeconds) {
  const later = retryAfterSeconds ? ` in ${retryAfterSeconds} s` : ' in a moment';
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
  const detail =
    problem.status === 401
      ? 'The user id and token do not match a user: check both, as you saved them, or create a new user.'
      : fields.length === 0 && problem.detail
        ? sentence(problem.detail)
        : '';
  return {
    title: problem.title || `Error ${problem.status}`,
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
