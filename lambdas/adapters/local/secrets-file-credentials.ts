import { readFile } from 'node:fs/promises';
import { CredentialsError } from '../../core/errors';
import type { ClientCredentials, CredentialsSource } from '../../core/ports';
import { parseClientCredentials } from '../secrets/client-credentials';

export interface LocalSecretsFileOptions {
  /**
   * A JSON file mapping secret names to values, as Secrets Manager would hold them:
   * `{ "cx-surge/genesys-client": { "clientId": "…", "clientSecret": "…" } }`. Keep it out of the repo.
   */
  readonly file: string;
  readonly primarySecret: string;
  readonly breakGlassSecret?: string;
}

/**
 * The drill's stand-in for Secrets Manager: same secret names as the config, values from a local file.
 * Read once and cached; `forceRefresh` re-reads the file (so a drill can rotate or revoke a client).
 */
export class LocalSecretsFileCredentialsSource implements CredentialsSource {
  private secrets: Record<string, unknown> | undefined;

  constructor(private readonly options: LocalSecretsFileOptions) {}

  async get(
    which: 'primary' | 'breakGlass',
    options: { forceRefresh?: boolean } = {},
  ): Promise<ClientCredentials | undefined> {
    const name = which === 'primary' ? this.options.primarySecret : this.options.breakGlassSecret;
    if (!name) return undefined;
    if (!this.secrets || options.forceRefresh) this.secrets = await this.readFile(name);
    if (!(name in this.secrets)) throw new CredentialsError(name, `is not in ${this.options.file}`);
    return parseClientCredentials(name, this.secrets[name]);
  }

  private async readFile(forSecret: string): Promise<Record<string, unknown>> {
    let text: string;
    try {
      text = await readFile(this.options.file, 'utf8');
    } catch (cause) {
      throw new CredentialsError(forSecret, `local secrets file ${this.options.file} cannot be read`, {
        cause,
      });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CredentialsError(forSecret, `local secrets file ${this.options.file} is not valid JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new CredentialsError(
        forSecret,
        `local secrets file ${this.options.file} must map secret names to values`,
      );
    }
    return parsed as Record<string, unknown>;
  }
}
