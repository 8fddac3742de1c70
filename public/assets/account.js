// "Your user": create a user, or come back with an existing id and token; once signed in, the id and token to
// keep, "Forget me", "New token" and "Delete my account". The service validates the values; its field messages
// appear beside the inputs.
import { countRecords, createUser, deleteUser, getUser, listRecords, renewToken } from './api.js';
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

/** Runs action with button disabled, so a double click does not send the request twice. */
async function whileDisabled(button, action) {
  button.disabled = true;
  try {
    await action();
  } finally {
    button.disabled = false;
  }
}

/** Runs submit with the form's button disabled, so a double click does not create two users. */
function handleSubmit(form, submit) {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void whileDisabled(form.querySelector('button[type="submit"]'), () => submit(new FormData(form)));
  });
}

/** "its 1 recording", "all 3 recordings". */
const itsRecordings = (count) => (count === 1 ? 'its 1 recording' : `all ${count} recordings`);

export function setUpAccount({ parts, firstPageSize, onSignedIn, onTokenChanged, onSignedOut }) {
  const { createForm, signInForm, signedOut, signedIn, userName, userId, userToken, credentials, forgetButton } = parts;
  const { newTokenButton, deleteButton, accountError, accountStatus } = parts;

  let current = null; // kept here too: saving fails where storage is disabled, and the page should still work

  function showSignedIn(user, { isNew }) {
    accountStatus.textContent = '';
    accountError.hidden = true;
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

  /** Back to the forms; message says why, for those who cannot see the page change. */
  function signOut(message) {
    forgetUser();
    current = null;
    accountError.hidden = true;
    signedIn.hidden = true;
    signedOut.hidden = false;
    onSignedOut();
    accountStatus.textContent = message;
    createForm.elements.name.focus();
  }

  forgetButton.addEventListener('click', () => signOut(''));

  newTokenButton.addEventListener('click', () =>
    whileDisabled(newTokenButton, async () => {
      accountError.hidden = true;
      accountStatus.textContent = '';
      const user = current;
      try {
        const { token } = await renewToken(user);
        if (current !== user) return; // "Forget me" meanwhile
        // The old token is dead from here on: every request the page makes from now must carry the new one.
        current = { ...user, token };
        saveUser(current);
        userToken.textContent = token;
        credentials.open = true;
        accountStatus.textContent = 'You have a new token, shown under “Your user id and token”. The old one no longer works. ' +
          'Keep the new one somewhere safe: the service cannot show it again.';
        onTokenChanged(current);
      } catch (error) {
        showError(accountError, error);
      }
    }),
  );

  deleteButton.addEventListener('click', () =>
    whileDisabled(deleteButton, async () => {
      accountError.hidden = true;
      accountStatus.textContent = '';
      const user = current;
      try {
        // The list on the page may show only the first page; the question must name them all.
        const count = await countRecords(user);
        const what = count === 0 ? 'your user' : `your user and ${itsRecordings(count)}`;
        if (!window.confirm(`Delete ${what}? This cannot be undone: the id, the token and every download link stop working.`)) return;
        await deleteUser(user);
        signOut(count === 0 ? 'Your user was deleted from the service.' : `Your user and ${itsRecordings(count)} were deleted from the service.`);
      } catch (error) {
        showError(accountError, error);
      }
    }),
  );

  const saved = loadUser();
  if (saved) {
    showSignedIn(saved, { isNew: false });
    onSignedIn(saved);
  } else {
    signedOut.hidden = false;
  }
  return { currentUser: () => current };
}
