-- The talent platform's records and the statements of its actions
-- (internal/sqlstore/platform_record.go, platform_action.go,
-- platform_list.go). Times are INTEGER unix milliseconds; onboard_tasks'
-- started_at is 0 until the task starts.

-- name: PlatformNextID
-- The upsert takes the customer's sequence row for the rest of the
-- transaction, so ids never repeat; one rolled back is handed out again.
INSERT INTO platform_sequences (customer_id, last_id) VALUES (?, 1000)
ON CONFLICT (customer_id) DO UPDATE SET last_id = last_id + 1
RETURNING last_id;

-- name: PersonGet
SELECT id, type, first_name, last_name, email, phones, addresses, created_at, updated_at
FROM people WHERE customer_id = ? AND id = ?;

-- name: PersonFindByEmail
SELECT id FROM people WHERE customer_id = ? AND type = ? AND lower(email) = lower(?)
ORDER BY created_at, id LIMIT 1;

-- name: PersonInsert
INSERT INTO people
(customer_id, id, type, first_name, last_name, email, phones, addresses, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: PersonUpdate
UPDATE people SET first_name = ?, last_name = ?, email = ?,
phones = ?, addresses = ?, updated_at = ? WHERE customer_id = ? AND id = ?;

-- name: PersonOperatorGet
SELECT person_id FROM operator_people WHERE customer_id = ?;

-- name: PersonOperatorInsertPerson
INSERT INTO people
(customer_id, id, type, first_name, last_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?);

-- name: PersonOperatorInsert
INSERT INTO operator_people (customer_id, person_id) VALUES (?, ?);

-- name: PortalGet
SELECT id, name, url, created_at FROM career_portals
WHERE customer_id = ? AND id = ?;

-- name: PortalInsert
INSERT INTO career_portals (customer_id, id, name, url, created_at)
VALUES (?, ?, ?, ?, ?);

-- name: JobGet
SELECT id, job_title, job_location, job_description, assessment_type, bgc_package_type,
portal_id, posting_state, portal_url, created_at, updated_at
FROM jobs WHERE customer_id = ? AND id = ?;

-- name: JobListIDs
SELECT id FROM jobs WHERE customer_id = ? ORDER BY created_at, id LIMIT ?;

-- name: JobInsert
INSERT INTO jobs (customer_id, id, job_title, job_location, job_description,
assessment_type, bgc_package_type, portal_id, posting_state, portal_url, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: JobUpdate
UPDATE jobs SET job_title = ?, job_location = ?, job_description = ?, assessment_type = ?,
bgc_package_type = ?, portal_id = ?, updated_at = ? WHERE customer_id = ? AND id = ?;

-- name: JobSetPosting
UPDATE jobs SET posting_state = ?, portal_url = ?, updated_at = ?
WHERE customer_id = ? AND id = ?;

-- name: JobBoardPostList
SELECT distributor_id, job_board, external_id, status, start_date, end_date, updated_at
FROM job_board_posts WHERE customer_id = ? AND job_id = ? ORDER BY distributor_id, job_board;

-- name: JobBoardPostUpsert
INSERT INTO job_board_posts (customer_id, job_id, distributor_id,
job_board, external_id, status, start_date, end_date, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (customer_id, job_id, distributor_id, job_board) DO UPDATE SET
external_id = excluded.external_id, status = excluded.status, start_date = excluded.start_date,
end_date = excluded.end_date, updated_at = excluded.updated_at;

-- name: ApplicantWorkflowGet
SELECT id, person_id, job_id, status, created_at, updated_at
FROM applicant_workflows WHERE customer_id = ? AND id = ?;

-- name: ApplicantWorkflowList
SELECT id, person_id, job_id, status, created_at, updated_at FROM applicant_workflows
WHERE customer_id = ? AND job_id = ? ORDER BY created_at, rowid;

-- name: ApplicantWorkflowInsert
INSERT INTO applicant_workflows (customer_id, id, person_id, job_id, status,
created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?);

-- name: ApplicantWorkflowSetStatus
UPDATE applicant_workflows SET status = ?, updated_at = ?
WHERE customer_id = ? AND id = ?;

-- name: StatusChangeList
SELECT old_status, new_status, user_id, at FROM applicant_workflow_status_changes
WHERE customer_id = ? AND workflow_id = ? ORDER BY id;

-- name: StatusChangeInsert
INSERT INTO applicant_workflow_status_changes (customer_id, workflow_id,
old_status, new_status, user_id, at) VALUES (?, ?, ?, ?, ?, ?);

-- name: AssessmentResultGet
SELECT id, workflow_id, name, score, result, status, date, url, created_at, updated_at
FROM assessment_results WHERE customer_id = ? AND workflow_id = ? AND id = ?;

-- name: AssessmentResultList
SELECT id, workflow_id, name, score, result, status, date, url, created_at, updated_at FROM assessment_results
WHERE customer_id = ? AND workflow_id = ? ORDER BY created_at, rowid;

-- name: AssessmentResultInsert
INSERT INTO assessment_results (customer_id, id, workflow_id, name, score, result, status, date, url, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: AssessmentResultUpdate
UPDATE assessment_results SET name = ?, score = ?, result = ?, status = ?,
date = ?, url = ?, updated_at = ? WHERE customer_id = ? AND workflow_id = ? AND id = ?
RETURNING created_at;

-- name: OnboardWorkflowGet
SELECT id, person_id, job_id, portal_id, created_at, updated_at
FROM onboard_workflows WHERE customer_id = ? AND id = ?;

-- name: OnboardWorkflowInsert
INSERT INTO onboard_workflows (customer_id, id, person_id, job_id, portal_id,
created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?);

-- name: OnboardWorkflowTouch
UPDATE onboard_workflows SET updated_at = ? WHERE customer_id = ? AND id = ?;

-- name: OnboardTaskList
SELECT id, name, type, status, started_at FROM onboard_tasks
WHERE customer_id = ? AND workflow_id = ? ORDER BY position;

-- name: OnboardTaskInsert
INSERT INTO onboard_tasks (customer_id, id, workflow_id, position,
name, type, status) VALUES (?, ?, ?, ?, ?, ?, ?);

-- name: OnboardTaskSetStarted
UPDATE onboard_tasks SET status = ?, started_at = ?
WHERE customer_id = ? AND id = ?;
