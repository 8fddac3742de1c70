// The name an upload is kept under. The client's file name is stored, shown in libraries, sent back in
// Content-Disposition and written as the MP3's ID3 title, so it is cleaned once, before any of that.

/** Long enough for any real file name; file systems commonly stop at 255. */
export const MAX_UPLOAD_NAME_CHARACTERS = 255;

/** The name of an upload whose name is empty once cleaned. */
export const FALLBACK_UPLOAD_NAME = 'recording.wav';

// C0 and C1 controls and DEL, which no file name needs (and which break log lines and tags), the line and paragraph
// separators, and the bidirectional formatting characters, which make a name display as something other than
// what it is ("U+202E vaw.exe" reads as "exe.wav").
const INVISIBLE_OR_MISLEADING = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

// An extension worth keeping when a name is shortened: a dot and a few letters or digits at the end.
const EXTENSION = /\.[\p{L}\p{N}]{1,10}$/u;

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * The first `max` characters (code points) of `text`, cut between user-perceived characters, so that neither a
 * surrogate pair nor a letter with its combining marks is split.
 */
function firstCharacters(text: string, max: number): string {
  let kept = '';
  let count = 0;
  for (const { segment } of graphemes.segment(text)) {
    const length = [...segment].length;
    if (count + length > max) break;
    kept += segment;
    count += length;
  }
  return kept;
}

/**
 * `originalName` without control or bidirectional formatting characters, trimmed, at most
 * MAX_UPLOAD_NAME_CHARACTERS long with its extension kept, or FALLBACK_UPLOAD_NAME when nothing is left.
 */
export function cleanUploadName(originalName: string): string {
  const name = originalName.replace(INVISIBLE_OR_MISLEADING, '').trim();
  if (name === '') return FALLBACK_UPLOAD_NAME;
  if ([...name].length <= MAX_UPLOAD_NAME_CHARACTERS) return name;
  const extension = EXTENSION.exec(name)?.[0] ?? '';
  const base = name.slice(0, name.length - extension.length);
  return firstCharacters(base, MAX_UPLOAD_NAME_CHARACTERS - [...extension].length).trimEnd() + extension;
}
