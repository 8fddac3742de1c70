// An upload sent at a set pace over a plain HTTP connection, for what happens to the service while a body is still on
// its way (a stop signal, a proxy in between).
import http from 'node:http';

export interface PacedAnswer {
  status: number;
  body: string;
}

export function streamUpload(url: string, wav: Uint8Array, fields: Record<string, string>, { bytesPerSecond }: { bytesPerSecond: number }): Promise<PacedAnswer> {
  const boundary = `paced-${Date.now()}`;
  const head = Buffer.from(
    Object.entries(fields)
      .map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
      .join('') + `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="paced.wav"\r\nContent-Type: audio/wav\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const body = Buffer.concat([head, wav, tail]);
  const slice = Math.max(1, Math.round(bytesPerSecond / 20));
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST',
      headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': body.length },
    });
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    request.on('error', reject);
    let offset = 0;
    const send = () => {
      if (offset >= body.length) return void request.end();
      request.write(body.subarray(offset, offset + slice));
      offset += slice;
      setTimeout(send, 50);
    };
    send();
  });
}
