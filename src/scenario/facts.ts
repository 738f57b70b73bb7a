// What help texts say about scenarios, in a module that imports nothing: `twlab --help` and
// each command's help load it, and stay quick (the scenario modules load the YAML parser,
// ~50 ms before anything is printed). The modules that act on these import them from here.

/** The name `twlab simulate` runs when given no scenario: the article's topology. */
export const DEFAULT_SCENARIO = 'article-lb';

/** Where the committed copy of the scenario JSON Schema lives in the repository, and how to regenerate it. */
export const SCHEMA_PATH = 'schema/scenario-v1.schema.json';
export const REGENERATE = `twlab schema > ${SCHEMA_PATH}`;

/** The keys of clients[N], servers[N] and proxies[N] that --set and --vary may change (overrides.ts applies them). */
export const CLIENT_SETTING_KEYS = ['rate', 'count', 'close', 'hold', 'request_bytes', 'linger'] as const;
export const SERVER_SETTING_KEYS = ['close', 'linger', 'response_bytes', 'backlog'] as const;
export const PROXY_SETTING_KEYS = ['upstream_close', 'keepalive'] as const;

const listKeys = (list: string, keys: readonly string[]): string => `${list}[N].{${keys.join(',')}}`;

/** What KEY may be, for messages and help. */
export const SETTING_KEYS_ALLOWED =
  'HOST.sysctl.NAME (a full sysctl name), HOST.what_if.timewait_len, ' +
  `${listKeys('clients', CLIENT_SETTING_KEYS)}, ${listKeys('servers', SERVER_SETTING_KEYS)}, ${listKeys('proxies', PROXY_SETTING_KEYS)}, seed or duration`;
