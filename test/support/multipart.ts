// Multipart uploads written by hand, for tests that send a body in pieces, over a raw socket, or with a file name no
// client library would write: the credential fields, then the head of the file part; the file's bytes go between
// `head` and `tail`.

export interface HandMadeUpload {
  head: string;
  tail: string;
  contentType: string;
}

const field = (boundary: string, name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;

/**
 * `user` (when given) sends `user` and `token` fields before the file, as the service requires; `fileName` is the
 * Content-Disposition parameter as written, e.g. `filename="a.wav"` or `filename*=UTF-8''…`.
 */
export function handMadeUpload(boundary: string, user: { id: string; token: string } | undefined, fileName = 'filename="upload.wav"'): HandMadeUpload {
  return {
    head:
      (user ? field(boundary, 'user', user.id) + field(boundary, 'token', user.token) : '') +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; ${fileName}\r\nContent-Type: audio/wav\r\n\r\n`,
    tail: `\r\n--${boundary}--\r\n`,
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}
