package sqlite

// SetClaimSlack sets how many due entries s's claims pass over before they
// pick endpoint by endpoint; 0 makes nearly every claim with a cap or an
// exclusion in play take the endpoint-by-endpoint path.
func SetClaimSlack(s *Store, n int) { s.claimSlack = n }
