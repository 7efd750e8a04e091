package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/heraldhq/herald"
)

type portalJobsData struct {
	CustomerID string
	Jobs       []*herald.Job
}

// handlePortalJobs serves GET /portal/{customerId}/jobs: the jobs posted
// on the customer's career portal that this server hosts.
func (s *Server) handlePortalJobs(w http.ResponseWriter, r *http.Request) error {
	if err := s.requirePlatform(); err != nil {
		return err
	}
	cid := r.PathValue("customerId")
	jobs, err := s.cfg.Platform.JobList(r.Context(), cid)
	if err != nil {
		return fmt.Errorf("list jobs: %w", err)
	}
	d := &portalJobsData{CustomerID: cid}
	base := s.portalBase(cid) + "/"
	for _, j := range jobs {
		if j.PostingState == herald.JobPostingStatePosted && strings.HasPrefix(j.PortalURL, base) {
			d.Jobs = append(d.Jobs, j)
		}
	}
	// An unknown customer has no jobs: the same page, so the portal does
	// not tell which customers exist.
	s.render(w, r, http.StatusOK, "portal_jobs", "Open positions", d)
	return nil
}

// canonicalJobPath returns the path of a posted job's page, and whether
// the request asked for it by another slug.
func (s *Server) canonicalJobPath(r *http.Request, j *herald.Job) (string, bool) {
	path := strings.TrimPrefix(j.PortalURL, s.cfg.PublicURL)
	return path, r.URL.Path != path
}
