import type { SqlCapabilities } from '../sql/executor.js';

/**
 * Frozen: never edit a migration that has shipped; add a new one. Migrations import nothing from
 * the application and describe dialect differences only through capabilities.
 */
export const up = ({ bigint, autoIdPrimaryKey }: SqlCapabilities): readonly string[] => [
  `CREATE TABLE heo_meta (
    name TEXT PRIMARY KEY,
    value ${bigint} NOT NULL
  )`,
  `INSERT INTO heo_meta (name, value) VALUES ('config_version', 0)`,
  `CREATE TABLE providers (
    name TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    settings TEXT NOT NULL,
    secret TEXT,
    secret_hint TEXT,
    created_at ${bigint} NOT NULL,
    updated_at ${bigint} NOT NULL
  )`,
  `CREATE TABLE resources (
    type TEXT NOT NULL CHECK (type IN ('vps', 'game')),
    id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    provider TEXT NOT NULL REFERENCES providers (name),
    ref TEXT NOT NULL,
    created_at ${bigint} NOT NULL,
    PRIMARY KEY (type, id)
  )`,
  'CREATE INDEX resources_customer ON resources (customer_id)',
  'CREATE INDEX resources_provider ON resources (provider)',
  `CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    name TEXT,
    scope TEXT NOT NULL CHECK (scope IN ('power', 'read')),
    all_resources INTEGER NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    display_prefix TEXT NOT NULL,
    created_at ${bigint} NOT NULL,
    expires_at ${bigint},
    revoked_at ${bigint},
    last_used_at ${bigint}
  )`,
  'CREATE INDEX api_keys_customer ON api_keys (customer_id)',
  `CREATE TABLE api_key_resources (
    key_id TEXT NOT NULL REFERENCES api_keys (id),
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    PRIMARY KEY (key_id, resource_type, resource_id)
  )`,
  `CREATE TABLE audit_log (
    id ${autoIdPrimaryKey},
    at ${bigint} NOT NULL,
    request_id TEXT NOT NULL,
    key_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    action TEXT NOT NULL,
    status INTEGER NOT NULL,
    error TEXT,
    client_ip TEXT,
    provider TEXT,
    upstream_status INTEGER,
    upstream_detail TEXT,
    task_ref TEXT
  )`,
  `CREATE TABLE operator_log (
    id ${autoIdPrimaryKey},
    at ${bigint} NOT NULL,
    actor TEXT NOT NULL,
    event TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT
  )`,
];
