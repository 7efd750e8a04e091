-- 002_platform: the talent platform's records (people, portals, jobs,
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
    customer_id text    PRIMARY KEY REFERENCES customers (id),
    last_id     bigint NOT NULL
);

-- phones and addresses are JSON arrays, kept as text (the same documents as
-- the sqlite store's): they are read and written whole, with the person,
-- and never queried, so jsonb would buy nothing.
CREATE TABLE people (
    customer_id text    NOT NULL REFERENCES customers (id),
    id          text    NOT NULL,
    type        text    NOT NULL,
    first_name  text    NOT NULL,
    last_name   text    NOT NULL,
    email       text    NOT NULL DEFAULT '',
    phones      text    NOT NULL DEFAULT '[]',
    addresses   text    NOT NULL DEFAULT '[]',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (customer_id, id)
);

CREATE TABLE career_portals (
    customer_id text    NOT NULL REFERENCES customers (id),
    id          text    NOT NULL,
    name        text    NOT NULL,
    url         text    NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (customer_id, id)
);

CREATE TABLE jobs (
    customer_id     text    NOT NULL,
    id              text    NOT NULL,
    job_title       text    NOT NULL,
    job_location    text    NOT NULL DEFAULT '',
    assessment_type text    NOT NULL DEFAULT '',
    bgc_package_type text   NOT NULL DEFAULT '',
    portal_id       text    NOT NULL,
    posting_state   text    NOT NULL,
    portal_url      text    NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (customer_id, id),
    FOREIGN KEY (customer_id, portal_id) REFERENCES career_portals (customer_id, id)
);

-- UNIQUE (customer_id, job_id, person_id): a candidate applies to a job
-- once; its index also serves ApplicantWorkflowList.
CREATE TABLE applicant_workflows (
    customer_id text    NOT NULL,
    id          text    NOT NULL,
    person_id   text    NOT NULL,
    job_id      text    NOT NULL,
    status      text    NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (customer_id, id),
    UNIQUE (customer_id, job_id, person_id),
    FOREIGN KEY (customer_id, person_id) REFERENCES people (customer_id, id),
    FOREIGN KEY (customer_id, job_id) REFERENCES jobs (customer_id, id)
);

-- The identity orders a workflow's moves, including two in one microsecond.
CREATE TABLE applicant_workflow_status_changes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id text    NOT NULL,
    workflow_id text    NOT NULL,
    old_status  text    NOT NULL,
    new_status  text    NOT NULL,
    user_id     text    NOT NULL,
    at          timestamptz NOT NULL,
    FOREIGN KEY (customer_id, workflow_id) REFERENCES applicant_workflows (customer_id, id)
);

CREATE INDEX applicant_workflow_status_changes_workflow
    ON applicant_workflow_status_changes (customer_id, workflow_id, id);

-- score is NULL when the partner sent none.
CREATE TABLE assessment_results (
    customer_id text    NOT NULL,
    id          text    NOT NULL,
    workflow_id text    NOT NULL,
    name        text    NOT NULL DEFAULT '',
    score       double precision,
    result      text    NOT NULL DEFAULT '',
    status      text    NOT NULL DEFAULT '',
    date        text    NOT NULL DEFAULT '',
    url         text    NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (customer_id, id),
    FOREIGN KEY (customer_id, workflow_id) REFERENCES applicant_workflows (customer_id, id)
);

CREATE INDEX assessment_results_workflow ON assessment_results (customer_id, workflow_id);

-- job_id is '' when the onboarding is not tied to a job, so it has no
-- foreign key; the store checks it.
CREATE TABLE onboard_workflows (
    customer_id text    NOT NULL,
    id          text    NOT NULL,
    person_id   text    NOT NULL,
    job_id      text    NOT NULL DEFAULT '',
    portal_id   text    NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (customer_id, id),
    FOREIGN KEY (customer_id, person_id) REFERENCES people (customer_id, id),
    FOREIGN KEY (customer_id, portal_id) REFERENCES career_portals (customer_id, id)
);

CREATE TABLE onboard_tasks (
    customer_id text    NOT NULL,
    id          text    NOT NULL,
    workflow_id text    NOT NULL,
    position    integer NOT NULL,
    name        text    NOT NULL,
    type        text    NOT NULL DEFAULT '',
    status      text    NOT NULL,
    started_at  timestamptz,
    PRIMARY KEY (customer_id, id),
    FOREIGN KEY (customer_id, workflow_id) REFERENCES onboard_workflows (customer_id, id)
);

CREATE INDEX onboard_tasks_workflow ON onboard_tasks (customer_id, workflow_id, position);

CREATE TABLE job_board_posts (
    customer_id    text    NOT NULL,
    job_id         text    NOT NULL,
    distributor_id text    NOT NULL,
    job_board      text    NOT NULL,
    external_id    text    NOT NULL DEFAULT '',
    status         text    NOT NULL,
    start_date     text    NOT NULL DEFAULT '',
    end_date       text    NOT NULL DEFAULT '',
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (customer_id, job_id, distributor_id, job_board),
    FOREIGN KEY (customer_id, job_id) REFERENCES jobs (customer_id, id)
);

-- Secrets are stored as SHA-256 hashes only: they are 256-bit random
-- strings, so a plain hash cannot be reversed by guessing.
CREATE TABLE partners (
    id          text    PRIMARY KEY,
    customer_id text    NOT NULL REFERENCES customers (id),
    name        text    NOT NULL,
    client_id   text    NOT NULL UNIQUE,
    secret_hash bytea    NOT NULL,
    secret_hint text    NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE INDEX partners_customer_id ON partners (customer_id, created_at);

-- ON DELETE CASCADE: deleting a partner revokes its tokens at once.
CREATE TABLE partner_tokens (
    token_hash  bytea    PRIMARY KEY,
    partner_id  text    NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    customer_id text    NOT NULL,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE INDEX partner_tokens_partner_id ON partner_tokens (partner_id);
