import { ConfigError } from '../core/errors';

/** An edge setting (construct prop or CLI option) is invalid. `path` names it, e.g. `stub.faqUrl`. */
export class EdgeConfigError extends ConfigError {}
