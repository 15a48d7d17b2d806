// Reads the config a deployed function runs with. The config is bundled as a file in the function's
// code (docs/architecture.md#config-bundled-as-a-file), not in an env var, so the operator CLI fetches
// the code package (GetFunction's pre-signed URL) and takes that one entry out of the zip.
import { inflateRawSync } from 'node:zlib';
import { GetFunctionCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { CONFIG_FILE_NAME } from '../telemetry-names';

/** The text of `entryName` inside a zip archive, or undefined when the archive has no such entry. */
export function readZipEntry(zip: Uint8Array, entryName: string): string | undefined {
  const buf = Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
  // End of central directory: 22 bytes plus a comment of at most 65,535 bytes, at the very end.
  const EOCD = 0x06054b50;
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip archive (no end of central directory)');
  const entries = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  for (let n = 0; n < entries; n++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = buf.readUInt16LE(at + 10);
    const compressedSize = buf.readUInt32LE(at + 20);
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    const localHeader = buf.readUInt32LE(at + 42);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLength);
    if (name === entryName) {
      const dataStart =
        localHeader + 30 + buf.readUInt16LE(localHeader + 26) + buf.readUInt16LE(localHeader + 28);
      const data = buf.subarray(dataStart, dataStart + compressedSize);
      if (method === 0) return data.toString('utf8');
      if (method === 8) return inflateRawSync(data).toString('utf8');
      throw new Error(`zip entry ${entryName} uses compression method ${method} (only stored and deflate)`);
    }
    at += 46 + nameLength + extraLength + commentLength;
  }
  return undefined;
}

/**
 * The bundled config text of a deployed function, or undefined when its package has no config file.
 * `download` is injectable for tests; by default the pre-signed URL is fetched.
 */
export async function readDeployedConfig(
  lambda: LambdaClient,
  functionName: string,
  download: (url: string) => Promise<Uint8Array> = async (url) => {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`downloading the code of ${functionName}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  },
): Promise<string | undefined> {
  const fn = await lambda.send(new GetFunctionCommand({ FunctionName: functionName }));
  const location = fn.Code?.Location;
  if (!location) return undefined;
  return readZipEntry(await download(location), CONFIG_FILE_NAME);
}
