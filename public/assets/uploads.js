// The "Convert" section: MP3 options, the file picker and drop zone, and one row per file showing its upload
// progress, then its conversion, then the outcome or the error in words.
import { uploadRecord } from './api.js';
import { describeError, showError } from './error-text.js';
import { truncationNotice } from './format.js';

/**
 * @param {object} parts
 * @param {HTMLFormElement} parts.form  the options and the file input
 * @param {() => {id: string, token: string} | null} parts.currentUser
 * @param {(record: object) => void} parts.onConverted
 * @param {() => void} parts.onFinished  after each file, converted or not
 */
let rowsAdded = 0; // for unique element ids

export function setUpUploads({ form, fileInput, dropZone, list, template, announcer, currentUser, onConverted, onFinished }) {
  const queue = [];
  let draining = false;

  const selects = { cbr: form.elements.bitrate, vbr: form.elements.vbr };
  const syncModeControls = () => {
    const mode = form.elements.mode.value;
    for (const [name, select] of Object.entries(selects)) select.disabled = name !== mode;
  };
  form.addEventListener('change', syncModeControls);
  syncModeControls();

  // Read when the files are added, so changing the options later affects only files added later.
  function readOptions() {
    const mono = form.elements.mono.checked;
    return form.elements.mode.value === 'vbr' ? { vbr: Number(selects.vbr.value), mono } : { bitrate: Number(selects.cbr.value), mono };
  }

  function add(files) {
    const user = currentUser();
    if (!user || files.length === 0) return;
    const options = readOptions();
    for (const file of files) queue.push({ file, options, user, row: addRow(file) });
    void drain();
  }

  // One file at a time: the service lets each user have only a couple of conversions in flight (429 beyond),
  // and sending files one after another gets the first one done soonest.
  async function drain() {
    if (draining) return;
    draining = true;
    while (queue.length > 0) await convert(queue.shift());
    draining = false;
  }

  async function convert({ file, options, user: queuedAs, row }) {
    // The token may have been renewed while the file waited, and the one it was queued with no longer works.
    const latest = currentUser();
    const user = latest?.id === queuedAs.id ? latest : queuedAs;
    row.setState('uploading 0 %');
    try {
      const record = await uploadRecord(user, file, options, {
        onProgress: (fraction) => row.setUploaded(fraction),
        onSent: () => row.setConverting(),
      });
      const notice = truncationNotice(record.input);
      row.setDone(notice);
      announcer.textContent = `${file.name}: done.${notice ? ` ${notice}` : ''}`;
      onConverted(record);
    } catch (error) {
      row.setFailed(error);
      announcer.textContent = `${file.name} was not converted: ${describeError(error).title}.`;
    }
    onFinished();
  }

  function addRow(file) {
    const item = template.content.firstElementChild.cloneNode(true);
    const state = item.querySelector('.upload-state');
    const progress = item.querySelector('progress');
    const name = item.querySelector('.upload-name');
    name.textContent = file.name;
    name.id = `upload-${++rowsAdded}`;
    progress.setAttribute('aria-labelledby', name.id);
    list.append(item);
    const row = {
      setState(text, kind = 'busy') {
        state.textContent = text;
        item.dataset.state = kind;
      },
      setUploaded(fraction) {
        const percent = Math.floor(fraction * 100);
        progress.value = percent;
        row.setState(`uploading ${percent} %`);
      },
      setConverting() {
        // No value: an indeterminate bar, since the service reports no progress while it converts.
        progress.removeAttribute('value');
        row.setState('converting…');
      },
      setDone(notice) {
        progress.value = 100;
        row.setState(notice ? 'done, cut short' : 'done', notice ? 'warning' : 'done');
        const warning = item.querySelector('.upload-warning');
        warning.hidden = !notice;
        warning.textContent = notice ?? '';
      },
      setFailed(error) {
        progress.hidden = true;
        row.setState('not converted', 'failed');
        showError(item.querySelector('.error'), error);
      },
    };
    row.setState('waiting', 'waiting');
    return row;
  }

  fileInput.addEventListener('change', () => {
    add([...fileInput.files]);
    // Cleared, so choosing the same file again converts it again.
    fileInput.value = '';
  });

  dropZone.addEventListener('dragover', (event) => {
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    dropZone.classList.add('dragging');
  });
  dropZone.addEventListener('dragleave', () => dropZone.classList.remove('dragging'));
  dropZone.addEventListener('drop', (event) => {
    event.preventDefault();
    dropZone.classList.remove('dragging');
    add([...event.dataTransfer.files]);
  });
  // A file dropped beside the zone would otherwise make the browser open it and leave the page mid-upload.
  for (const type of ['dragover', 'drop']) window.addEventListener(type, (event) => event.preventDefault());
}
