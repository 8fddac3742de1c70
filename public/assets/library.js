// "Your recordings": the storage they take, then the user's records, newest first, a page at a time, each with a
// player, its facts, a download link and a delete button.
import { deleteRecord, getUser, listRecords } from './api.js';
import { describeError, showError } from './error-text.js';
import { formatBytes, formatDate, formatDuration, formatOutput, truncationNotice } from './format.js';

const PAGE_SIZE = 10;

export function setUpLibrary({ section, heading, list, status, storageUse, moreButton, template }) {
  let user = null;
  let nextCursor = null;
  const shown = new Set();
  let storageAsked = 0; // answers can overtake each other; only the latest request's is shown

  /** Asks the service what the user's MP3s take (the sum of every record, not only those listed) and says it. */
  async function refreshStorage() {
    const asked = ++storageAsked;
    const asker = user;
    let text;
    try {
      const { usedBytes, allowedBytes } = (await getUser(asker)).storage;
      text = `Storage: ${formatBytes(usedBytes)} of ${allowedBytes === null ? 'no limit' : formatBytes(allowedBytes)}`;
    } catch (error) {
      text = `Storage: unknown (${describeError(error).title})`;
    }
    if (asked !== storageAsked || asker !== user) return;
    storageUse.textContent = text;
    storageUse.hidden = false;
  }

  function renderRecord(record) {
    const item = template.content.firstElementChild.cloneNode(true);
    item.dataset.recordId = record.id;
    item.querySelector('.record-title').textContent = record.fileName;
    item.querySelector('.record-facts').textContent = [
      formatDuration(record.input.durationSeconds),
      formatBytes(record.output.bytes),
      formatOutput(record.output),
      formatDate(record.createdAt),
    ].join(' · ');
    const notice = truncationNotice(record.input);
    const warning = item.querySelector('.record-warning');
    warning.hidden = notice === null;
    warning.textContent = notice ?? '';
    const audio = item.querySelector('audio');
    // inline: the service then sends it for playing rather than as an attachment; it answers Range requests,
    // so the player can seek without downloading the whole file.
    audio.src = `${record.url}&inline=1`;
    audio.setAttribute('aria-label', `Play ${record.fileName}`);
    const download = item.querySelector('.record-download');
    download.href = record.url;
    download.download = record.fileName;
    download.querySelector('.visually-hidden').textContent = ` ${record.fileName}`;
    const remove = item.querySelector('.record-delete');
    remove.querySelector('.visually-hidden').textContent = ` ${record.fileName}`;
    remove.addEventListener('click', () => void removeRecord(record, item, remove));
    return item;
  }

  async function removeRecord(record, item, button) {
    if (!window.confirm(`Delete ${record.fileName}? This cannot be undone.`)) return;
    button.disabled = true;
    try {
      await deleteRecord(user, record.id);
    } catch (error) {
      // 404: it is gone already (deleted from another tab), which is what the user wanted.
      if (error.problem?.status !== 404) {
        button.disabled = false;
        showError(item.querySelector('.error'), error);
        return;
      }
    }
    item.remove();
    shown.delete(record.id);
    void refreshStorage();
    // The button that had focus is gone; put keyboard users back at the top of the list, and say what happened.
    heading.focus();
    setStatus(`Deleted ${record.fileName}.${shown.size === 0 ? ' No recordings left.' : ''}`);
  }

  function setStatus(text) {
    status.textContent = text || (shown.size === 0 ? 'No recordings yet: converted files appear here.' : '');
    status.hidden = status.textContent === '';
  }

  function append(page) {
    for (const record of page.records) {
      // A record converted after the first page was fetched is already at the top; never show it twice.
      if (shown.has(record.id)) continue;
      shown.add(record.id);
      list.append(renderRecord(record));
    }
    nextCursor = page.nextCursor;
    moreButton.hidden = !nextCursor;
  }

  async function loadPage(cursor) {
    moreButton.disabled = true;
    try {
      append(await listRecords(user, { limit: PAGE_SIZE, cursor }));
      setStatus('');
    } catch (error) {
      const { title, summary } = describeError(error);
      setStatus(`Could not load your recordings. ${title}. ${summary}`);
    } finally {
      moreButton.disabled = false;
    }
  }

  moreButton.addEventListener('click', () => void loadPage(nextCursor));

  return {
    pageSize: PAGE_SIZE,
    /** Shows the user's records; firstPage when the caller already fetched it (signing in does). */
    async show(signedInUser, firstPage) {
      user = signedInUser;
      section.hidden = false;
      void refreshStorage();
      if (firstPage) {
        append(firstPage);
        setStatus('');
      } else {
        setStatus('Loading your recordings…');
        await loadPage(undefined);
      }
    },
    /** The same user with a new token: the requests from now on carry it. */
    useToken(renewedUser) {
      if (user?.id === renewedUser.id) user = renewedUser;
    },
    /** After an upload, which may have added a record or been refused for lack of room. */
    refreshStorage() {
      if (user) void refreshStorage();
    },
    add(record) {
      if (shown.has(record.id)) return;
      shown.add(record.id);
      list.prepend(renderRecord(record));
      setStatus('');
    },
    clear() {
      user = null;
      nextCursor = null;
      shown.clear();
      list.replaceChildren();
      storageAsked++;
      storageUse.hidden = true;
      moreButton.hidden = true;
      section.hidden = true;
    },
  };
}
