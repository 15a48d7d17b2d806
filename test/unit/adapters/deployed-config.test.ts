// The operator CLI reads a deployed function's config out of its code package (the config is bundled
// as a file, not an env var). Zip archives are written here byte by byte, as the zip format defines
// them, with stored and deflated entries; the Lambda call shape via aws-sdk-client-mock.
import { crc32, deflateRawSync } from 'node:zlib';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { readDeployedConfig, readZipEntry } from '../../../lambdas/adapters/aws/deployed-config';
import { CONFIG_FILE_NAME } from '../../../lambdas/adapters/telemetry-names';

function zip(entries: { name: string; text: string; deflate: boolean }[], comment = ''): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const raw = Buffer.from(e.text, 'utf8');
    const data = e.deflate ? deflateRawSync(raw) : raw;
    const name = Buffer.from(e.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc32(raw), 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    // An extra field in the local header only, as some writers do: the reader must skip it.
    const extra = Buffer.from([0x55, 0x54, 1, 0, 0]);
    local.writeUInt16LE(extra.length, 28);
    locals.push(local, name, extra, data);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(e.deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc32(raw), 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + extra.length + data.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(Buffer.byteLength(comment), 20);
  return new Uint8Array(Buffer.concat([...locals, dir, end, Buffer.from(comment)]));
}

const config = JSON.stringify({ queues: { q: { tiers: { tier1: { waitingAtLeast: 7 } } } } });

describe('readZipEntry', () => {
  it('reads a deflated entry among others', () => {
    const archive = zip(
      [
        { name: 'index.js', text: 'x'.repeat(5000), deflate: true },
        { name: CONFIG_FILE_NAME, text: config, deflate: true },
        { name: 'index.js.map', text: '{}', deflate: false },
      ],
      'archive comment',
    );
    expect(readZipEntry(archive, CONFIG_FILE_NAME)).toBe(config);
  });

  it('reads a stored entry', () => {
    expect(
      readZipEntry(zip([{ name: CONFIG_FILE_NAME, text: config, deflate: false }]), CONFIG_FILE_NAME),
    ).toBe(config);
  });

  it('answers undefined when the package has no config file', () => {
    expect(
      readZipEntry(zip([{ name: 'index.js', text: '1', deflate: true }]), CONFIG_FILE_NAME),
    ).toBeUndefined();
  });

  it('refuses what is not a zip', () => {
    expect(() => readZipEntry(new TextEncoder().encode('x'.repeat(100)), CONFIG_FILE_NAME)).toThrow(
      /not a zip archive/,
    );
  });
});

describe('readDeployedConfig', () => {
  const lambda = mockClient(LambdaClient);
  beforeEach(() => lambda.reset());

  it("downloads the function's code package and returns its bundled config", async () => {
    lambda.on(GetFunctionCommand, { FunctionName: 'poller' }).resolves({
      Code: { Location: 'https://bucket.example/code.zip?sig=1' },
    });
    const urls: string[] = [];
    const text = await readDeployedConfig(
      new LambdaClient({ region: 'us-east-1' }),
      'poller',
      async (url) => {
        urls.push(url);
        return zip([{ name: CONFIG_FILE_NAME, text: config, deflate: true }]);
      },
    );
    expect(text).toBe(config);
    expect(urls).toEqual(['https://bucket.example/code.zip?sig=1']);
  });

  it('answers undefined when GetFunction gives no code location', async () => {
    lambda.on(GetFunctionCommand).resolves({ Code: {} });
    const text = await readDeployedConfig(new LambdaClient({ region: 'us-east-1' }), 'poller', async () => {
      throw new Error('not called');
    });
    expect(text).toBeUndefined();
  });
});
