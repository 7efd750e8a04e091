package platform

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/heraldhq/herald"
)

// maxFields bounds the names in one ?fields= selection.
const maxFields = 50

// writeResource writes a resource with the given status, keeping only the
// keys named in ?fields=a,b (and always id). An unknown name is EINVALID,
// so a partner's typo does not look like an empty field.
func writeResource(w http.ResponseWriter, r *http.Request, status int, v any) error {
	sel := r.URL.Query().Get("fields")
	if sel == "" {
		return writeJSON(w, status, v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode resource: %w", err)
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return fmt.Errorf("encode resource: %w", err)
	}
	names := strings.Split(sel, ",")
	if len(names) > maxFields {
		return herald.Errorf(herald.EINVALID, "fields cannot name more than %d fields", maxFields)
	}
	out := map[string]json.RawMessage{"id": all["id"]}
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		if n == "" {
			continue
		}
		v, ok := all[n]
		if !ok {
			if len(n) > 64 {
				n = n[:64]
			}
			return herald.Errorf(herald.EINVALID, "fields: %q is not a field of this resource", n)
		}
		out[n] = v
	}
	return writeJSON(w, status, out)
}

// created writes a 201 with the resource's Location.
func created(w http.ResponseWriter, r *http.Request, location string, v any) error {
	w.Header().Set("Location", location)
	return writeResource(w, r, http.StatusCreated, v)
}

// handlePersonGet serves GET /customers/{customerId}/people/{id}.
func (s *Server) handlePersonGet(w http.ResponseWriter, r *http.Request) error {
	p, err := s.cfg.Store.PersonGet(r.Context(), r.PathValue("customerId"), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeResource(w, r, http.StatusOK, toPersonJSON(p))
}

// handlePersonCreate serves POST /customers/{customerId}/people.
func (s *Server) handlePersonCreate(w http.ResponseWriter, r *http.Request) error {
	var in personInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	cid := r.PathValue("customerId")
	p := &herald.Person{CustomerID: cid}
	if in.PersonType != nil {
		p.Type = herald.PersonType(*in.PersonType)
	}
	in.apply(p)
	if err := s.cfg.Store.PersonCreate(r.Context(), p); err != nil {
		return err
	}
	return created(w, r, s.resourceURL(cid, "people", p.ID), toPersonJSON(p))
}

// handlePersonUpdate serves PATCH /customers/{customerId}/people/{id}.
func (s *Server) handlePersonUpdate(w http.ResponseWriter, r *http.Request) error {
	var in personInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.PersonType != nil {
		return herald.Errorf(herald.EINVALID, "persontype cannot be changed")
	}
	p, err := s.cfg.Store.PersonGet(r.Context(), r.PathValue("customerId"), r.PathValue("id"))
	if err != nil {
		return err
	}
	in.apply(p)
	if err := s.cfg.Store.PersonUpdate(r.Context(), p); err != nil {
		return err
	}
	return writeResource(w, r, http.StatusOK, toPersonJSON(p))
}

// handlePortalCreate serves POST /customers/{customerId}/careerportals.
func (s *Server) handlePortalCreate(w http.ResponseWriter, r *http.Request) error {
	var in portalInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	cid := r.PathValue("customerId")
	p := &herald.CareerPortal{CustomerID: cid, Name: in.Name, URL: in.URL}
	if err := s.cfg.Store.CareerPortalCreate(r.Context(), p); err != nil {
		return err
	}
	return created(w, r, s.resourceURL(cid, "careerportals", p.ID), &portalJSON{ID: p.ID, Name: p.Name, URL: p.URL, CreatedDate: p.CreatedAt})
}

// handlePortalGet serves GET /customers/{customerId}/careerportals/{id}.
func (s *Server) handlePortalGet(w http.ResponseWriter, r *http.Request) error {
	p, err := s.cfg.Store.CareerPortalGet(r.Context(), r.PathValue("customerId"), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeResource(w, r, http.StatusOK, &portalJSON{ID: p.ID, Name: p.Name, URL: p.URL, CreatedDate: p.CreatedAt})
}

// jobJSONOf reads a job's board posts for its representation.
func (s *Server) jobJSONOf(r *http.Request, j *herald.Job) (*jobJSON, error) {
	posts, err := s.cfg.Store.JobBoardPostList(r.Context(), j.CustomerID, j.ID)
	if err != nil {
		return nil, err
	}
	return toJobJSON(j, posts), nil
}

// handleJobGet serves GET /customers/{customerId}/jobs/{id}.
func (s *Server) handleJobGet(w http.ResponseWriter, r *http.Request) error {
	j, err := s.cfg.Store.JobGet(r.Context(), r.PathValue("customerId"), r.PathValue("id"))
	if err != nil {
		return err
	}
	out, err := s.jobJSONOf(r, j)
	if err != nil {
		return err
	}
	return writeResource(w, r, http.StatusOK, out)
}

// handleJobCreate serves POST /customers/{customerId}/jobs.
func (s *Server) handleJobCreate(w http.ResponseWriter, r *http.Request) error {
	var in jobInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	cid := r.PathValue("customerId")
	j := &herald.Job{CustomerID: cid}
	in.apply(j)
	if err := s.cfg.Store.JobCreate(r.Context(), j); err != nil {
		return err
	}
	return created(w, r, s.resourceURL(cid, "jobs", j.ID), toJobJSON(j, nil))
}

// handleJobUpdate serves PATCH /customers/{customerId}/jobs/{id}: an edit
// of the platform's own record, with no event (POST .../edit edits a
// posted job and tells the partners).
func (s *Server) handleJobUpdate(w http.ResponseWriter, r *http.Request) error {
	var in jobInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	j, err := s.cfg.Store.JobGet(r.Context(), r.PathValue("customerId"), r.PathValue("id"))
	if err != nil {
		return err
	}
	in.apply(j)
	if err := s.cfg.Store.JobUpdate(r.Context(), j); err != nil {
		return err
	}
	out, err := s.jobJSONOf(r, j)
	if err != nil {
		return err
	}
	return writeResource(w, r, http.StatusOK, out)
}

// handleJobBoardPostsUpdate serves PATCH /customers/{customerId}/jobboardposts:
// a distributor reports where a job is live (spec section 8).
func (s *Server) handleJobBoardPostsUpdate(w http.ResponseWriter, r *http.Request) error {
	var in jobBoardPostsInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.JobID == "" {
		return herald.Errorf(herald.EINVALID, "jobid is required")
	}
	if len(in.JobBoards) == 0 || len(in.JobBoards) > 100 {
		return herald.Errorf(herald.EINVALID, "jobboards must have 1 to 100 entries")
	}
	cid := r.PathValue("customerId")
	posts := make([]*herald.JobBoardPost, 0, len(in.JobBoards))
	for _, b := range in.JobBoards {
		posts = append(posts, &herald.JobBoardPost{CustomerID: cid, JobID: in.JobID, DistributorID: in.JobDistributor.ID,
			JobBoard: b.JobBoard.Value, ExternalID: b.JobBoard.ExternalID, Status: herald.JobBoardPostStatus(b.Status),
			StartDate: b.StartDate, EndDate: b.EndDate})
	}
	if err := s.cfg.Store.JobBoardPostUpsert(r.Context(), posts); err != nil {
		return err
	}
	j, err := s.cfg.Store.JobGet(r.Context(), cid, in.JobID)
	if err != nil {
		return err
	}
	out, err := s.jobJSONOf(r, j)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleApplicantWorkflowGet serves GET /customers/{customerId}/applicantworkflows/{id}.
func (s *Server) handleApplicantWorkflowGet(w http.ResponseWriter, r *http.Request) error {
	wf, err := s.cfg.Store.ApplicantWorkflowGet(r.Context(), r.PathValue("customerId"), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeResource(w, r, http.StatusOK, toApplicantWorkflowJSON(wf))
}

// handleAssessmentResultCreate serves POST
// /customers/{customerId}/applicantworkflows/{id}/fields/assessmentresults:
// 201 with the Location of the new row.
func (s *Server) handleAssessmentResultCreate(w http.ResponseWriter, r *http.Request) error {
	var in assessmentResultInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	cid, wid := r.PathValue("customerId"), r.PathValue("id")
	a := &herald.AssessmentResult{CustomerID: cid, WorkflowID: wid}
	in.apply(a)
	if err := s.cfg.Store.AssessmentResultCreate(r.Context(), a); err != nil {
		return err
	}
	return created(w, r, s.resourceURL(cid, "applicantworkflows", wid, "fields", "assessmentresults", a.ID), toAssessmentResultJSON(a))
}

// handleAssessmentResultGet serves GET .../fields/assessmentresults/{resultId}.
func (s *Server) handleAssessmentResultGet(w http.ResponseWriter, r *http.Request) error {
	a, err := s.cfg.Store.AssessmentResultGet(r.Context(), r.PathValue("customerId"), r.PathValue("id"), r.PathValue("resultId"))
	if err != nil {
		return err
	}
	return writeResource(w, r, http.StatusOK, toAssessmentResultJSON(a))
}

// handleAssessmentResultUpdate serves PATCH .../fields/assessmentresults/{resultId}.
func (s *Server) handleAssessmentResultUpdate(w http.ResponseWriter, r *http.Request) error {
	var in assessmentResultInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	a, err := s.cfg.Store.AssessmentResultGet(r.Context(), r.PathValue("customerId"), r.PathValue("id"), r.PathValue("resultId"))
	if err != nil {
		return err
	}
	in.apply(a)
	if err := s.cfg.Store.AssessmentResultUpdate(r.Context(), a); err != nil {
		return err
	}
	return writeResource(w, r, http.StatusOK, toAssessmentResultJSON(a))
}

// handleOnboardWorkflowGet serves GET /customers/{customerId}/onboardworkflows/{id}.
func (s *Server) handleOnboardWorkflowGet(w http.ResponseWriter, r *http.Request) error {
	wf, err := s.cfg.Store.OnboardWorkflowGet(r.Context(), r.PathValue("customerId"), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeResource(w, r, http.StatusOK, toOnboardWorkflowJSON(wf))
}

// handleOnboardWorkflowCreate serves POST /customers/{customerId}/onboardworkflows.
func (s *Server) handleOnboardWorkflowCreate(w http.ResponseWriter, r *http.Request) error {
	var in onboardWorkflowInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	cid := r.PathValue("customerId")
	wf := &herald.OnboardWorkflow{CustomerID: cid, PersonID: in.PersonID, JobID: in.JobID, PortalID: in.PortalID}
	for _, t := range in.Tasks {
		wf.Tasks = append(wf.Tasks, &herald.OnboardTask{Name: t.Name, Type: t.Type})
	}
	if err := s.cfg.Store.OnboardWorkflowCreate(r.Context(), wf); err != nil {
		return err
	}
	return created(w, r, s.resourceURL(cid, "onboardworkflows", wf.ID), toOnboardWorkflowJSON(wf))
}
