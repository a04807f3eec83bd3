import {KubeError} from '../../errors.js';

/**
 * Reads a whole body, refusing one over `maxBytes` (the stream is cancelled then, which ends
 * its connection).
 *
 * @throws KubeError `ERR_KUBE_BODY_TOO_LARGE`, or the body stream's own error
 */
export async function readBody(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const {done, value} = await reader.read();
    if (done) break;
    length += value.length;
    if (length > maxBytes) {
      await reader.cancel();
      throw new KubeError(
        'ERR_KUBE_BODY_TOO_LARGE',
        `Body exceeds maxBodyBytes (${maxBytes} bytes)`,
      );
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0] ?? new Uint8Array(0);
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
