// Names the crm-lookup Lambda emits and the CDK construct alarms and charts on (lib/crm-lookup.ts).

export const CrmMetricName = {
  /** One per lookup, dimension Source (primary | secondary | cache | none). */
  CrmLookups: 'CrmLookups',
  /** 1 when a lookup that tried the primary ended on the fallback path, else 0 (Average = fallback rate). */
  CrmFallbackPath: 'CrmFallbackPath',
  /** Clock ms from the event to the answer. */
  CrmLookupLatency: 'CrmLookupLatency',
  /** The primary refused the lookup (other 4xx: an `error` answer). */
  CrmLookupRefused: 'CrmLookupRefused',
  /** 1 while the cascade guard kept every endpoint out of a lookup. */
  CrmGuarded: 'CrmGuarded',
} as const;

export const CrmDimension = { Source: 'Source' } as const;

export const CrmEnvVar = {
  /**
   * The validated CRM config document (JSON: endpoints, field maps, budget; secret names only), bundled
   * as a file with the function: its path relative to the code directory. See CRM_CONFIG_FILE_NAME.
   */
  CrmConfigFile: 'CRM_CONFIG_FILE',
} as const;

/** The CRM config file's name inside the crm-lookup asset. */
export const CRM_CONFIG_FILE_NAME = 'crm-config.json';
