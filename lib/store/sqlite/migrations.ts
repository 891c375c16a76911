import type Database from "better-sqlite3";

/**
 * A migration is its SQL, or its SQL plus `foreignKeysOff` when it must run
 * with foreign keys disabled: rebuilding a table that others reference
 * (SQLite cannot alter a CHECK) drops it, and with foreign keys on that drop
 * would cascade-delete every referencing row.
 */
export type Migration = string | { sql: string; foreignKeysOff: true };

/**
 * Schema history. Append only: never edit a migration that has shipped, add
 * the next one. `PRAGMA user_version` holds how many have been applied.
 */
export const MIGRATIONS: readonly Migration[] = [
  `
  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    external_id TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    plan TEXT NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro', 'team')),
    token_balance INTEGER NOT NULL DEFAULT 0 CHECK (token_balance >= 0),
    created_at INTEGER NOT NULL
  );

  CREATE TABLE ledger (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    delta INTEGER NOT NULL CHECK (delta <> 0),
    reason TEXT NOT NULL CHECK (reason IN ('trial', 'purchase', 'subscription', 'generation', 'refund', 'adjustment')),
    idempotency_key TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX ledger_by_user ON ledger(user_id, created_at);

  CREATE TABLE reservations (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    amount INTEGER NOT NULL CHECK (amount > 0),
    spent INTEGER NOT NULL DEFAULT 0 CHECK (spent >= 0 AND spent <= amount),
    status TEXT NOT NULL CHECK (status IN ('open', 'settled')),
    idempotency_key TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    settled_at INTEGER,
    UNIQUE (user_id, idempotency_key)
  );

  CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    prompt TEXT NOT NULL,
    framework TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'generating', 'completed', 'failed', 'archived')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (user_id, name)
  );

  CREATE TABLE files (
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    content TEXT NOT NULL,
    language TEXT NOT NULL,
    size INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (project_id, path)
  );

  CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    content TEXT NOT NULL
  );

  CREATE TABLE versions (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    number INTEGER NOT NULL CHECK (number > 0),
    message TEXT NOT NULL,
    parent INTEGER,
    created_at INTEGER NOT NULL,
    manifest TEXT NOT NULL,
    UNIQUE (project_id, number)
  );

  CREATE TABLE generation_steps (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    run_id TEXT NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'canceled', 'skipped')),
    output TEXT NOT NULL,
    model TEXT NOT NULL,
    provider TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    credits INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    error TEXT
  );
  CREATE INDEX generation_steps_by_run ON generation_steps(run_id);

  CREATE TABLE ai_requests (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    project_id TEXT REFERENCES projects(id) ON DELETE SET NULL,
    kind TEXT NOT NULL CHECK (kind IN ('generate', 'explain', 'fix', 'refactor', 'complete', 'chat')),
    model TEXT NOT NULL,
    tokens INTEGER NOT NULL,
    credits INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX ai_requests_by_user ON ai_requests(user_id, created_at);

  CREATE TABLE deployments (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider TEXT NOT NULL CHECK (provider IN ('vercel', 'netlify', 'railway')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'building', 'success', 'failed', 'canceled')),
    url TEXT,
    provider_id TEXT,
    logs TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX deployments_by_project ON deployments(project_id, created_at);

  CREATE TABLE subscriptions (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    stripe_customer_id TEXT NOT NULL,
    stripe_subscription_id TEXT NOT NULL,
    plan TEXT NOT NULL CHECK (plan IN ('free', 'pro', 'team')),
    status TEXT NOT NULL,
    current_period_end INTEGER NOT NULL
  );

  CREATE TABLE webhook_events (
    source TEXT NOT NULL CHECK (source IN ('stripe', 'clerk')),
    event_id TEXT NOT NULL,
    processed_at INTEGER NOT NULL,
    PRIMARY KEY (source, event_id)
  );

  CREATE TABLE api_keys (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    ciphertext TEXT NOT NULL,
    last4 TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, provider)
  );

  CREATE TABLE credentials (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL
  );

  CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX sessions_by_user ON sessions(user_id);
  `,
  `
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'canceled')),
    reservation_id TEXT NOT NULL REFERENCES reservations(id),
    cap INTEGER NOT NULL CHECK (cap >= 0),
    estimate INTEGER NOT NULL CHECK (estimate >= 0),
    error TEXT,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
  );
  CREATE INDEX runs_by_project ON runs(project_id, created_at);

  CREATE TABLE run_events (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL CHECK (seq > 0),
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, seq)
  );
  `,
  `
  ALTER TABLE users ADD COLUMN deleted_at INTEGER;

  CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    count INTEGER NOT NULL CHECK (count > 0),
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX rate_limits_by_expiry ON rate_limits(expires_at);
  `,
  {
    // Plan values now name the product's plans. Before, stored 'pro' meant
    // Creator and 'team' meant Pro. Rebuilds users and subscriptions (the
    // documented way: new table, copy, drop, rename) to change their CHECK;
    // neither has indexes or triggers beyond its own UNIQUE constraints.
    foreignKeysOff: true,
    sql: `
    CREATE TABLE users_new (
      id TEXT PRIMARY KEY,
      external_id TEXT NOT NULL UNIQUE,
      email TEXT NOT NULL UNIQUE,
      name TEXT NOT NULL,
      plan TEXT NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'creator', 'pro')),
      token_balance INTEGER NOT NULL DEFAULT 0 CHECK (token_balance >= 0),
      created_at INTEGER NOT NULL,
      deleted_at INTEGER
    );
    INSERT INTO users_new (id, external_id, email, name, plan, token_balance, created_at, deleted_at)
      SELECT id, external_id, email, name,
             CASE plan WHEN 'pro' THEN 'creator' WHEN 'team' THEN 'pro' ELSE plan END,
             token_balance, created_at, deleted_at
      FROM users;
    DROP TABLE users;
    ALTER TABLE users_new RENAME TO users;

    CREATE TABLE subscriptions_new (
      user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
      stripe_customer_id TEXT NOT NULL,
      stripe_subscription_id TEXT NOT NULL,
      plan TEXT NOT NULL CHECK (plan IN ('free', 'creator', 'pro')),
      status TEXT NOT NULL,
      current_period_end INTEGER NOT NULL
    );
    INSERT INTO subscriptions_new (user_id, stripe_customer_id, stripe_subscription_id, plan, status, current_period_end)
      SELECT user_id, stripe_customer_id, stripe_subscription_id,
             CASE plan WHEN 'pro' THEN 'creator' WHEN 'team' THEN 'pro' ELSE plan END,
             status, current_period_end
      FROM subscriptions;
    DROP TABLE subscriptions;
    ALTER TABLE subscriptions_new RENAME TO subscriptions;
    `,
  },
  {
    // Runs and projects can end "completed_with_issues" (a planned file missing, a check that failed
    // or never ran). Rebuilds both to change their CHECK, keeping runs_by_project.
    foreignKeysOff: true,
    sql: `
    CREATE TABLE projects_new (
      id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      name TEXT NOT NULL,
      description TEXT NOT NULL,
      prompt TEXT NOT NULL,
      framework TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('pending', 'generating', 'completed', 'completed_with_issues', 'failed', 'archived')),
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      UNIQUE (user_id, name)
    );
    INSERT INTO projects_new SELECT id, user_id, name, description, prompt, framework, status, created_at, updated_at FROM projects;
    DROP TABLE projects;
    ALTER TABLE projects_new RENAME TO projects;

    CREATE TABLE runs_new (
      id TEXT PRIMARY KEY,
      project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
      user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'completed_with_issues', 'failed', 'canceled')),
      reservation_id TEXT NOT NULL REFERENCES reservations(id),
      cap INTEGER NOT NULL CHECK (cap >= 0),
      estimate INTEGER NOT NULL CHECK (estimate >= 0),
      error TEXT,
      created_at INTEGER NOT NULL,
      finished_at INTEGER
    );
    INSERT INTO runs_new SELECT id, project_id, user_id, status, reservation_id, cap, estimate, error, created_at, finished_at FROM runs;
    DROP TABLE runs;
    ALTER TABLE runs_new RENAME TO runs;
    CREATE INDEX runs_by_project ON runs(project_id, created_at);
    `,
  },
  // Runs say what they are (a generation or a change request) and what was asked, so a project's
  // change requests can be listed as a conversation. Filled from each run's first event where it has one.
  `
  ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'generation' CHECK (kind IN ('generation', 'change'));
  ALTER TABLE runs ADD COLUMN request TEXT NOT NULL DEFAULT '';
  UPDATE runs SET
    kind = CASE WHEN json_extract(e.data, '$.kind') = 'change' THEN 'change' ELSE 'generation' END,
    request = COALESCE(json_extract(e.data, '$.request'), '')
  FROM run_events AS e
  WHERE e.run_id = runs.id AND e.seq = 1 AND e.type = 'run_started';
  `,
  // Stripe subscriptions that ended (canceled, incomplete_expired), per user, so that no later
  // event revives one (lib/store/subscription.ts). Seeded from current rows already in a final state.
  // The current row also keeps when Stripe created the latest event that wrote it (NULL before).
  `
  ALTER TABLE subscriptions ADD COLUMN last_event_at INTEGER;

  CREATE TABLE ended_subscriptions (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    stripe_subscription_id TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, stripe_subscription_id)
  );
  INSERT INTO ended_subscriptions (user_id, stripe_subscription_id, recorded_at)
    SELECT user_id, stripe_subscription_id, CAST(strftime('%s', 'now') AS INTEGER) * 1000
    FROM subscriptions
    WHERE status IN ('canceled', 'incomplete_expired');
  `,
  // Deleting a project keeps its deployments for the owner's records: project_id becomes NULL
  // (no more ON DELETE CASCADE) and project_name keeps the name the project had. Rebuilt (the
  // documented way) to change the column's NOT NULL and its foreign key; nothing references deployments.
  `
  CREATE TABLE deployments_new (
    id TEXT PRIMARY KEY,
    project_id TEXT REFERENCES projects(id) ON DELETE SET NULL,
    project_name TEXT,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider TEXT NOT NULL CHECK (provider IN ('vercel', 'netlify', 'railway')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'building', 'success', 'failed', 'canceled')),
    url TEXT,
    provider_id TEXT,
    logs TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  INSERT INTO deployments_new (id, project_id, project_name, user_id, provider, status, url, provider_id, logs, created_at, updated_at)
    SELECT id, project_id, NULL, user_id, provider, status, url, provider_id, logs, created_at, updated_at FROM deployments;
  DROP TABLE deployments;
  ALTER TABLE deployments_new RENAME TO deployments;
  CREATE INDEX deployments_by_project ON deployments(project_id, created_at);
  CREATE INDEX deployments_by_user ON deployments(user_id, created_at);
  `,
  // Users' own OpenAI-compatible endpoints (the key encrypted; NULL without one; models a JSON
  // array of ids), and the model a project remembers (NULL: the default, as for every earlier project).
  `
  CREATE TABLE ai_endpoints (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    base_url TEXT NOT NULL,
    ciphertext TEXT,
    last4 TEXT,
    models TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(models) AND json_type(models) = 'array'),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX ai_endpoints_by_user ON ai_endpoints(user_id, created_at);

  ALTER TABLE projects ADD COLUMN model TEXT;
  `,
];

function schemaVersion(db: Database.Database): number {
  return db.pragma("user_version", { simple: true }) as number;
}

/**
 * Brings the schema up to date inside one IMMEDIATE transaction (so two
 * processes opening a new file at once cannot both migrate). Returns how many
 * migrations were applied.
 *
 * `PRAGMA foreign_keys` cannot change inside a transaction, so when a pending
 * migration needs foreign keys off they are turned off before BEGIN, every
 * foreign key is checked before COMMIT (a violation throws and rolls back),
 * and the previous setting is restored afterwards, also on failure.
 */
export function applyMigrations(db: Database.Database): number {
  const pending = MIGRATIONS.slice(schemaVersion(db));
  const foreignKeysOff = pending.some((m) => typeof m !== "string" && m.foreignKeysOff);
  const foreignKeysWereOn = db.pragma("foreign_keys", { simple: true }) === 1;
  if (foreignKeysOff) db.pragma("foreign_keys = OFF");
  try {
    return db
      .transaction(() => {
        // Re-read under the lock: another process may have migrated meanwhile
        // (then fewer migrations are pending, never more).
        const current = schemaVersion(db);
        if (current > MIGRATIONS.length) {
          throw new Error(
            `Database schema version ${current} is newer than this build knows (${MIGRATIONS.length}); refusing to open it.`,
          );
        }
        for (const m of MIGRATIONS.slice(current)) db.exec(typeof m === "string" ? m : m.sql);
        if (foreignKeysOff) {
          const violations = db.pragma("foreign_key_check") as unknown[];
          if (violations.length > 0) {
            throw new Error(`Migration left ${violations.length} foreign key violation(s): ${JSON.stringify(violations.slice(0, 5))}`);
          }
        }
        db.pragma(`user_version = ${MIGRATIONS.length}`);
        return MIGRATIONS.length - current;
      })
      .immediate();
  } finally {
    if (foreignKeysOff && foreignKeysWereOn) db.pragma("foreign_keys = ON");
  }
}
