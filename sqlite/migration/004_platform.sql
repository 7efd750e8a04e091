-- 004_platform: the talent platform's records (people, portals, jobs,
-- applicant and onboarding workflows, job-board posts, assessment results)
-- and partners' API credentials.
--
-- Every platform record is keyed (customer_id, id): ids are per customer,
-- numeric-looking strings from platform_sequences, as in iCIMS, so two
-- customers may both have a person "1001". Foreign keys name the pair, so a
-- workflow can never point at another customer's person or job.

-- One id sequence per customer, shared by every kind of record (iCIMS ids
-- do not say what they name). last_id is the last id handed out.
CREATE TABLE platform_sequences (
    customer_id TEXT    PRIMARY KEY REFERENCES customers (id),
    last_id     INTEGER NOT NULL
) STRICT;

-- phones and addresses are JSON arrays: they are read and written whole,
-- with the person, and never queried.
CREATE TABLE people (
    customer_id TEXT    NOT NULL REFERENCES customers (id),
    id          TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    first_name  TEXT    NOT NULL,
    last_name   TEXT    NOT NULL,
    email       TEXT    NOT NULL DEFAULT '',
    phones      TEXT    NOT NULL DEFAULT '[]',
    addresses   TEXT    NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (customer_id, id)
) STRICT;

CREATE TABLE career_portals (
    customer_id TEXT    NOT NULL REFERENCES customers (id),
    id          TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    url         TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (customer_id, id)
) STRICT;

CREATE TABLE jobs (
    customer_id     TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    job_title       TEXT    NOT NULL,
    job_location    TEXT    NOT NULL DEFAULT '',
    assessment_type TEXT    NOT NULL DEFAULT '',
    bgc_package_type TEXT   NOT NULL DEFAULT '',
    portal_id       TEXT    NOT NULL,
    posting_state   TEXT    NOT NULL,
    portal_url      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (customer_id, id),
    FOREIGN KEY (customer_id, portal_id) REFERENCES career_portals (customer_id, id)
) STRICT;

-- UNIQUE (customer_id, job_id, person_id): a candidate applies to a job
-- once; its index also serves ApplicantWorkflowList.
CREATE TABLE applicant_workflows (
    customer_id TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    person_id   TEXT    NOT NULL,
    job_id      TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (customer_id, id),
    UNIQUE (customer_id, job_id, person_id),
    FOREIGN KEY (customer_id, person_id) REFERENCES people (customer_id, id),
    FOREIGN KEY (customer_id, job_id) REFERENCES jobs (customer_id, id)
) STRICT;

-- The rowid orders a workflow's moves, including two in one millisecond.
CREATE TABLE applicant_workflow_status_changes (
    id          INTEGER PRIMARY KEY,
    customer_id TEXT    NOT NULL,
    workflow_id TEXT    NOT NULL,
    old_status  TEXT    NOT NULL,
    new_status  TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    FOREIGN KEY (customer_id, workflow_id) REFERENCES applicant_workflows (customer_id, id)
) STRICT;

CREATE INDEX applicant_workflow_status_changes_workflow
    ON applicant_workflow_status_changes (customer_id, workflow_id, id);

-- score is NULL when the partner sent none.
CREATE TABLE assessment_results (
    customer_id TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    workflow_id TEXT    NOT NULL,
    name        TEXT    NOT NULL DEFAULT '',
    score       REAL,
    result      TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL DEFAULT '',
    date        TEXT    NOT NULL DEFAULT '',
    url         TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (customer_id, id),
    FOREIGN KEY (customer_id, workflow_id) REFERENCES applicant_workflows (customer_id, id)
) STRICT;

CREATE INDEX assessment_results_workflow ON assessment_results (customer_id, workflow_id);

-- job_id is '' when the onboarding is not tied to a job, so it has no
-- foreign key; the store checks it.
CREATE TABLE onboard_workflows (
    customer_id TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    person_id   TEXT    NOT NULL,
    job_id      TEXT    NOT NULL DEFAULT '',
    portal_id   TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (customer_id, id),
    FOREIGN KEY (customer_id, person_id) REFERENCES people (customer_id, id),
    FOREIGN KEY (customer_id, portal_id) REFERENCES career_portals (customer_id, id)
) STRICT;

CREATE TABLE onboard_tasks (
    customer_id TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    workflow_id TEXT    NOT NULL,
    position    INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    type        TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL,
    started_at  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (customer_id, id),
    FOREIGN KEY (customer_id, workflow_id) REFERENCES onboard_workflows (customer_id, id)
) STRICT;

CREATE INDEX onboard_tasks_workflow ON onboard_tasks (customer_id, workflow_id, position);

CREATE TABLE job_board_posts (
    customer_id    TEXT    NOT NULL,
    job_id         TEXT    NOT NULL,
    distributor_id TEXT    NOT NULL,
    job_board      TEXT    NOT NULL,
    external_id    TEXT    NOT NULL DEFAULT '',
    status         TEXT    NOT NULL,
    start_date     TEXT    NOT NULL DEFAULT '',
    end_date       TEXT    NOT NULL DEFAULT '',
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (customer_id, job_id, distributor_id, job_board),
    FOREIGN KEY (customer_id, job_id) REFERENCES jobs (customer_id, id)
) STRICT;

-- Secrets are stored as SHA-256 hashes only: they are 256-bit random
-- strings, so a plain hash cannot be reversed by guessing.
CREATE TABLE partners (
    id          TEXT    PRIMARY KEY,
    customer_id TEXT    NOT NULL REFERENCES customers (id),
    name        TEXT    NOT NULL,
    client_id   TEXT    NOT NULL UNIQUE,
    secret_hash BLOB    NOT NULL,
    secret_hint TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX partners_customer_id ON partners (customer_id, created_at);

-- ON DELETE CASCADE: deleting a partner revokes its tokens at once.
CREATE TABLE partner_tokens (
    token_hash  BLOB    PRIMARY KEY,
    partner_id  TEXT    NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    customer_id TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX partner_tokens_partner_id ON partner_tokens (partner_id);
