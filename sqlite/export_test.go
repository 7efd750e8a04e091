package sqlite

// SetClaimSlack sets how many due entries s's claims pass over before they
// pick endpoint by endpoint; 0 makes nearly every claim with a cap or an
// exclusion in play take the endpoint-by-endpoint path.
func SetClaimSlack(s *Store, n int) { s.claimSlack = n }

// RawEndpointAuth returns an endpoint's auth column as stored.
func RawEndpointAuth(s *Store, id string) (string, error) {
	var auth string
	err := s.read.QueryRow(`SELECT auth FROM endpoints WHERE id = ?`, id).Scan(&auth)
	return auth, err
}
