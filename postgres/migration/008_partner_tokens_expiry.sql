-- 008_partner_tokens_expiry: the retention job deletes expired partner
-- access tokens (PartnerTokenPurge); this index finds them without a scan.
CREATE INDEX partner_tokens_expires_at ON partner_tokens (expires_at);
