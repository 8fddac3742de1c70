// "Your recordings": the user's records, newest first, a page at a time, each with a player, its facts, a
// download link and a delete button.
import { deleteRecord, listRecords } from './api.js';
import { describeError, showError } from './error-text.js';
import { formatBytes, formatDate, formatDuration, formatOutput, truncationNotice } from './format.js';

const PAGE_SIZE = 10;

export function setUpLibrary({ section, heading, list, status, moreButton, template }) {
  let user = null;
  let nextCursor = null;
  const shown = new Set();

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
      if (firstPage) {
        append(firstPage);
        setStatus('');
      } else {
        setStatus('Loading your recordings…');
        await loadPage(undefined);
      }
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
      moreButton.hidden = true;
      section.hidden = true;
    },
  };
}
