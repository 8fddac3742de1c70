// "Your user": create a user, or come back with an existing id and token; once signed in, the id and token to
// keep, and "Forget me". The service validates the values; its field messages appear beside the inputs.
import { createUser, getUser, listRecords } from './api.js';
import { describeError, showError } from './error-text.js';
import { forgetUser, loadUser, saveUser } from './session.js';

/** Clears the form's old messages, then shows error: field messages beside their inputs, the rest below. */
function showFormError(form, error, inputsByField) {
  clearFormError(form);
  const { summary, fields } = describeError(error);
  const placed = [];
  for (const { field, message } of fields) {
    const input = inputsByField[field];
    if (!input) continue;
    const note = document.getElementById(input.getAttribute('aria-describedby'));
    note.textContent = message;
    note.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    placed.push(field);
  }
  // When every message sits beside its field, a box saying "invalid values" would only repeat them.
  if (summary || placed.length < fields.length) showError(form.querySelector('.error'), error, { omitFields: placed });
  form.querySelector('[aria-invalid="true"]')?.focus();
}

function clearFormError(form) {
  for (const note of form.querySelectorAll('.field-error, .error')) note.hidden = true;
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
}

/** Runs submit with the form's button disabled, so a double click does not create two users. */
function handleSubmit(form, submit) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      await submit(new FormData(form));
    } finally {
      button.disabled = false;
    }
  });
}

export function setUpAccount({ parts, firstPageSize, onSignedIn, onSignedOut }) {
  const { createForm, signInForm, signedOut, signedIn, userName, userId, userToken, credentials, forgetButton } = parts;

  let current = null; // kept here too: saving fails where storage is disabled, and the page should still work

  function showSignedIn(user, { isNew }) {
    current = user;
    userName.textContent = user.name || `user ${user.id.slice(0, 8)}…`;
    userId.textContent = user.id;
    userToken.textContent = user.token;
    // The service shows a new token only once: open the box that says to keep it.
    credentials.open = isNew;
    signedOut.hidden = true;
    signedIn.hidden = false;
  }

  handleSubmit(createForm, async (data) => {
    try {
      const user = await createUser(String(data.get('name')));
      clearFormError(createForm);
      createForm.reset();
      saveUser(user);
      showSignedIn(user, { isNew: true });
      onSignedIn(user);
    } catch (error) {
      showFormError(createForm, error, { name: createForm.elements.name });
    }
  });

  handleSubmit(signInForm, async (data) => {
    const user = { id: String(data.get('id')).trim(), name: '', token: String(data.get('token')).trim() };
    try {
      // The first page of records doubles as the check that the id and token belong together; the profile gives the
      // name to greet.
      const firstPage = await listRecords(user, { limit: firstPageSize });
      user.name = (await getUser(user)).name;
      clearFormError(signInForm);
      signInForm.reset();
      saveUser(user);
      showSignedIn(user, { isNew: false });
      onSignedIn(user, firstPage);
    } catch (error) {
      showFormError(signInForm, error, { user: signInForm.elements.id });
    }
  });

  forgetButton.addEventListener('click', () => {
    forgetUser();
    current = null;
    signedIn.hidden = true;
    signedOut.hidden = false;
    onSignedOut();
    createForm.elements.name.focus();
  });

  const saved = loadUser();
  if (saved) {
    showSignedIn(saved, { isNew: false });
    onSignedIn(saved);
  } else {
    signedOut.hidden = false;
  }
  return { currentUser: () => current };
}
