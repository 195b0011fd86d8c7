import { connect } from 'node:net';

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Sends bytes exactly as given, for requests no HTTP client would build (oversized headers,
 * broken request lines), and reads until the server closes or `timeoutMs` passes.
 */
export const rawRequest = (
  port: number,
  request: string,
  timeoutMs = 5_000,
): Promise<RawResponse> =>
  new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(
      () => socket.destroy(new Error('no complete answer in time')),
      timeoutMs,
    );
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      // The server may reset once it has answered; what it sent is what counts.
      if (chunks.length > 0) finish();
      else reject(error);
    });
    socket.on('end', () => {
      clearTimeout(timer);
      finish();
    });
    socket.write(request);
    function finish() {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
      socket.destroy();
    }
  });
