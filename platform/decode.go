package platform

import (
	"net/http"

	"github.com/heraldhq/herald/internal/jsonbody"
)

// decodeJSON reads a JSON request body of at most MaxBodyBytes into dst,
// strictly (see jsonbody.Decode).
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	return jsonbody.Decode(w, r, dst, s.cfg.MaxBodyBytes)
}
