// Who is using the page: the user's id, name and token, kept in this browser's localStorage until "Forget me".

const STORAGE_KEY = 'wav2mp3.user';

/** @returns {{id: string, name: string, token: string} | null} */
export function loadUser() {
  try {
    const user = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null');
    return user && typeof user.id === 'string' && typeof user.token === 'string' ? user : null;
  } catch {
    // Storage disabled, or a value some other version of the page wrote: start signed out.
    return null;
  }
}

export function saveUser({ id, name, token }) {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ id, name, token }));
  } catch {
    // Storage disabled (some private modes): the page still works until it is closed.
  }
}

export function forgetUser() {
  try {
    localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing was stored.
  }
}
