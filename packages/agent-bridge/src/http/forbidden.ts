import type {Readable} from 'node:stream';

/** The most of a 403 answer read to explain it; a longer one passes as it is. */
const LIMIT = 64 * 1024;

/**
 * Reads a small answer whole. Past {@link LIMIT} it stops, paused, and returns what it has
 * read with `whole: false`: the caller sends that and pipes the rest.
 */
function readSmall(stream: Readable): Promise<{body: Buffer; whole: boolean}> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const done = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length <= LIMIT) return;
      stream.pause();
      done();
      resolve({body: Buffer.concat(chunks), whole: false});
    };
    const onEnd = () => {
      done();
      resolve({body: Buffer.concat(chunks), whole: true});
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
  });
}

/**
 * The apiserver's 403 `Status` with a sentence added to its message — which Porthole role
 * assignment would have allowed the request — so that kubectl prints both. Anything that is
 * not a JSON `Status` comes back unchanged.
 */
function explainForbidden(body: Buffer, explanation: string): Buffer {
  let status: {kind?: unknown; message?: unknown};
  try {
    status = JSON.parse(body.toString('utf8')) as typeof status;
  } catch {
    return body;
  }
  if (status.kind !== 'Status' || typeof status.message !== 'string') return body;
  return Buffer.from(JSON.stringify({...status, message: `${status.message}; ${explanation}`}));
}

/**
 * The body to send for the apiserver's 403: read whole and explained, or — when it is long or
 * compressed — what was read so far unchanged, with `whole: false` and the rest of `answer`
 * still to pipe after it.
 */
export async function explainedForbidden(
  answer: Readable,
  contentEncoding: unknown,
  explanation: string,
): Promise<{body: Buffer; whole: boolean}> {
  const {body, whole} = await readSmall(answer);
  return {
    body: whole && !contentEncoding ? explainForbidden(body, explanation) : body,
    whole,
  };
}
