-- The talent platform's records and the statements of its actions
-- (internal/sqlstore/platform_record.go, platform_action.go,
-- platform_list.go). Times are timestamptz; onboard_tasks' started_at is
-- NULL until the task starts.

-- name: PlatformNextID
-- The upsert locks the customer's sequence row until the transaction ends,
-- so concurrent transactions (on any node) never get the same id; one
-- rolled back is handed out again.
INSERT INTO platform_sequences (customer_id, last_id) VALUES ($1, 1000)
ON CONFLICT (customer_id) DO UPDATE SET last_id = platform_sequences.last_id + 1
RETURNING last_id;

-- name: PersonGet
SELECT id, type, first_name, last_name, email, phones, addresses, created_at, updated_at
FROM people WHERE customer_id = $1 AND id = $2;

-- name: PersonFindByEmail
SELECT id FROM people WHERE customer_id = $1 AND type = $2 AND lower(email) = lower($3)
ORDER BY created_at, id LIMIT 1;

-- name: PersonInsert
INSERT INTO people
(customer_id, id, type, first_name, last_name, email, phones, addresses, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);

-- name: PersonUpdate
UPDATE people SET first_name = $1, last_name = $2, email = $3,
phones = $4, addresses = $5, updated_at = $6 WHERE customer_id = $7 AND id = $8;

-- name: PersonOperatorGet
SELECT person_id FROM operator_people WHERE customer_id = $1;

-- name: PersonOperatorInsertPerson
INSERT INTO people
(customer_id, id, type, first_name, last_name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: PersonOperatorInsert
INSERT INTO operator_people (customer_id, person_id) VALUES ($1, $2);

-- name: PortalGet
SELECT id, name, url, created_at FROM career_portals
WHERE customer_id = $1 AND id = $2;

-- name: PortalInsert
INSERT INTO career_portals (customer_id, id, name, url, created_at)
VALUES ($1, $2, $3, $4, $5);

-- name: JobGet
SELECT id, job_title, job_location, job_description, assessment_type, bgc_package_type,
portal_id, posting_state, portal_url, created_at, updated_at
FROM jobs WHERE customer_id = $1 AND id = $2;

-- name: JobListIDs
SELECT id FROM jobs WHERE customer_id = $1 ORDER BY created_at, id LIMIT $2;

-- name: JobInsert
INSERT INTO jobs (customer_id, id, job_title, job_location, job_description,
assessment_type, bgc_package_type, portal_id, posting_state, portal_url, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12);

-- name: JobUpdate
UPDATE jobs SET job_title = $1, job_location = $2, job_description = $3, assessment_type = $4,
bgc_package_type = $5, portal_id = $6, updated_at = $7 WHERE customer_id = $8 AND id = $9;

-- name: JobSetPosting
UPDATE jobs SET posting_state = $1, portal_url = $2, updated_at = $3
WHERE customer_id = $4 AND id = $5;

-- name: JobBoardPostList
SELECT distributor_id, job_board, external_id, status, start_date, end_date, updated_at
FROM job_board_posts WHERE customer_id = $1 AND job_id = $2 ORDER BY distributor_id, job_board;

-- name: JobBoardPostUpsert
INSERT INTO job_board_posts (customer_id, job_id, distributor_id,
job_board, external_id, status, start_date, end_date, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (customer_id, job_id, distributor_id, job_board) DO UPDATE SET
external_id = excluded.external_id, status = excluded.status, start_date = excluded.start_date,
end_date = excluded.end_date, updated_at = excluded.updated_at;

-- name: ApplicantWorkflowGet
SELECT id, person_id, job_id, status, created_at, updated_at
FROM applicant_workflows WHERE customer_id = $1 AND id = $2;

-- name: ApplicantWorkflowList
SELECT id, person_id, job_id, status, created_at, updated_at FROM applicant_workflows
WHERE customer_id = $1 AND job_id = $2 ORDER BY created_at, length(id), id;

-- name: ApplicantWorkflowInsert
INSERT INTO applicant_workflows (customer_id, id, person_id, job_id, status,
created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: ApplicantWorkflowSetStatus
UPDATE applicant_workflows SET status = $1, updated_at = $2
WHERE customer_id = $3 AND id = $4;

-- name: StatusChangeList
SELECT old_status, new_status, user_id, at FROM applicant_workflow_status_changes
WHERE customer_id = $1 AND workflow_id = $2 ORDER BY id;

-- name: StatusChangeInsert
INSERT INTO applicant_workflow_status_changes (customer_id, workflow_id,
old_status, new_status, user_id, at) VALUES ($1, $2, $3, $4, $5, $6);

-- name: AssessmentResultGet
SELECT id, workflow_id, name, score, result, status, date, url, created_at, updated_at
FROM assessment_results WHERE customer_id = $1 AND workflow_id = $2 AND id = $3;

-- name: AssessmentResultList
SELECT id, workflow_id, name, score, result, status, date, url, created_at, updated_at FROM assessment_results
WHERE customer_id = $1 AND workflow_id = $2 ORDER BY created_at, length(id), id;

-- name: AssessmentResultInsert
INSERT INTO assessment_results (customer_id, id, workflow_id, name, score, result, status, date, url, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11);

-- name: AssessmentResultUpdate
UPDATE assessment_results SET name = $1, score = $2, result = $3, status = $4,
date = $5, url = $6, updated_at = $7 WHERE customer_id = $8 AND workflow_id = $9 AND id = $10
RETURNING created_at;

-- name: OnboardWorkflowGet
SELECT id, person_id, job_id, portal_id, created_at, updated_at
FROM onboard_workflows WHERE customer_id = $1 AND id = $2;

-- name: OnboardWorkflowInsert
INSERT INTO onboard_workflows (customer_id, id, person_id, job_id, portal_id,
created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: OnboardWorkflowTouch
UPDATE onboard_workflows SET updated_at = $1 WHERE customer_id = $2 AND id = $3;

-- name: OnboardTaskList
SELECT id, name, type, status, started_at FROM onboard_tasks
WHERE customer_id = $1 AND workflow_id = $2 ORDER BY position;

-- name: OnboardTaskInsert
INSERT INTO onboard_tasks (customer_id, id, workflow_id, position,
name, type, status) VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: OnboardTaskSetStarted
UPDATE onboard_tasks SET status = $1, started_at = $2
WHERE customer_id = $3 AND id = $4;
