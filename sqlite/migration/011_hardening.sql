-- 011_hardening: the retention job deletes expired partner access tokens
-- (PartnerTokenPurge); this index finds them without a scan.
CREATE INDEX partner_tokens_expires_at ON partner_tokens (expires_at);

-- The person that stands for Herald's operators in a customer's records
-- (PersonOperatorGet): operators sign in with the admin token and have no
-- person of their own, but a status change records a platform user.
CREATE TABLE operator_people (
    customer_id TEXT NOT NULL PRIMARY KEY REFERENCES customers (id),
    person_id   TEXT NOT NULL,
    FOREIGN KEY (customer_id, person_id) REFERENCES people (customer_id, id)
) STRICT;
