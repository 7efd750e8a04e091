package herald

import (
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxJobDescriptionBytes bounds Job.JobDescription: 20,000 bytes, a long
// posting (a few pages of text) with room to spare.
const MaxJobDescriptionBytes = 20000

// JobPostingState is where a job is in its external posting life.
type JobPostingState string

// Job posting states. A job is posted to the customer's career portal (and
// from there to partners' boards) by JobPost, and taken down by JobUnpost.
const (
	JobPostingStateNotPosted JobPostingState = "notposted"
	JobPostingStatePosted    JobPostingState = "posted"
	JobPostingStateUnposted  JobPostingState = "unposted"
)

// Job is a requisition of one customer. The REST API calls it "jobs/{id}"
// with the fields jobtitle, joblocation, jobdescription, assessmenttype,
// bgcpackagetype, postingstate, portalid and portalurl.
type Job struct {
	ID          string // per customer, numeric-looking; set by JobCreate
	CustomerID  string
	JobTitle    string
	JobLocation string
	// JobDescription is what the job is, as plain text for candidates:
	// paragraphs separated by blank lines, no markup (the portal escapes
	// it). At most MaxJobDescriptionBytes. It travels in no event: partners
	// read it, if at all, from GET jobs/{id}.
	JobDescription string
	AssessmentType string // which assessment a candidate takes (assessment vendors read it)
	BGCPackageType string // which background check package (background-check vendors read it)
	// PortalID is the career portal the job is posted on. Required.
	PortalID     string
	PostingState JobPostingState // set by the store: notposted at creation
	// PortalURL is where applicants apply, set when the job is posted.
	PortalURL string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Validate returns an EINVALID error naming the first field that breaks a
// rule. It does not check that the portal exists; the store does.
func (j *Job) Validate() error {
	if err := requireText("jobtitle", j.JobTitle); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{
		{"joblocation", j.JobLocation}, {"assessmenttype", j.AssessmentType}, {"bgcpackagetype", j.BGCPackageType},
	} {
		if err := checkText(f.name, f.v); err != nil {
			return err
		}
	}
	if err := checkDescription("jobdescription", j.JobDescription); err != nil {
		return err
	}
	if j.PortalID == "" {
		return Errorf(EINVALID, "portalid is required")
	}
	return nil
}

// checkDescription returns EINVALID unless v is UTF-8 text of at most
// MaxJobDescriptionBytes, with no control characters but line breaks and
// tabs.
func checkDescription(field, v string) error {
	switch {
	case len(v) > MaxJobDescriptionBytes:
		return Errorf(EINVALID, "%s cannot be longer than %d bytes (it has %d)", field, MaxJobDescriptionBytes, len(v))
	case !utf8.ValidString(v):
		return Errorf(EINVALID, "%s must be valid UTF-8", field)
	case strings.ContainsFunc(v, func(r rune) bool { return (r < 0x20 && r != '\n' && r != '\r' && r != '\t') || r == 0x7f }):
		return Errorf(EINVALID, "%s cannot contain control characters other than line breaks and tabs", field)
	}
	return nil
}

// JobPortalURL is where applicants apply to a job on a portal:
// <portal>/jobs/<id>/<slug of the title>, the shape iCIMS portals use.
func JobPortalURL(portalURL, jobID, jobTitle string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(jobTitle) {
		if r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	slug := strings.TrimRight(b.String(), "-")
	if slug == "" {
		slug = "job"
	}
	return strings.TrimRight(portalURL, "/") + "/jobs/" + url.PathEscape(jobID) + "/" + slug
}

// CareerPortal is a customer's site where candidates apply and new hires do
// their onboarding tasks. Its URL is the base of the portal URLs and of the
// return URLs in events.
type CareerPortal struct {
	ID         string // per customer, numeric-looking; set by CareerPortalCreate
	CustomerID string
	Name       string
	URL        string
	CreatedAt  time.Time
}

// Validate returns an EINVALID error naming the first field that breaks a rule.
func (p *CareerPortal) Validate() error {
	if err := requireText("name", p.Name); err != nil {
		return err
	}
	if err := validateHTTPURL("url", p.URL); err != nil {
		return err
	}
	if strings.ContainsAny(p.URL, "?#") {
		return Errorf(EINVALID, "url must be a base URL without query or fragment")
	}
	return nil
}

// JobBoardPostStatus is the state of a job on one partner's board, as the
// distributor reports it (spec section 8).
type JobBoardPostStatus string

// Job board statuses, as the contract spells them.
const (
	JobBoardPostStatusExpired            JobBoardPostStatus = "Expired"
	JobBoardPostStatusLive               JobBoardPostStatus = "Live"
	JobBoardPostStatusPostingInProgress  JobBoardPostStatus = "Posting in Progress"
	JobBoardPostStatusDeletionInProgress JobBoardPostStatus = "Deletion in Progress"
	JobBoardPostStatusUnposted           JobBoardPostStatus = "Unposted"
)

// JobBoardPostStatuses lists every status.
var JobBoardPostStatuses = []JobBoardPostStatus{
	JobBoardPostStatusExpired, JobBoardPostStatusLive, JobBoardPostStatusPostingInProgress,
	JobBoardPostStatusDeletionInProgress, JobBoardPostStatusUnposted,
}

// ParseJobBoardPostStatus returns the status s names, ignoring case and
// surrounding spaces ("live", "POSTING IN PROGRESS"), and false if none.
func ParseJobBoardPostStatus(s string) (JobBoardPostStatus, bool) {
	s = strings.TrimSpace(s)
	for _, k := range JobBoardPostStatuses {
		if strings.EqualFold(s, string(k)) {
			return k, true
		}
	}
	return "", false
}

// JobBoardPost is a job's state on one board of one distributor, written
// back by the distributor after a Job Posting event.
type JobBoardPost struct {
	CustomerID    string
	JobID         string
	DistributorID string // the distributor's list id, "D90005"
	JobBoard      string // the board's name, "CareerBuilder.com"
	ExternalID    string // the board's own id of the posting
	Status        JobBoardPostStatus
	StartDate     string // as the partner sent it, "2014-08-04 11:31 AM"
	EndDate       string
	UpdatedAt     time.Time
}

// ValidateJobBoardPosts checks the posts of one
// PlatformStore.JobBoardPostUpsert: at least one, each valid, all of one
// job. It also sets each Status to its canonical spelling
// (ParseJobBoardPostStatus), as the store keeps it.
func ValidateJobBoardPosts(posts []*JobBoardPost) error {
	if len(posts) == 0 {
		return Errorf(EINVALID, "jobboards needs at least one entry")
	}
	for _, p := range posts {
		if err := p.Validate(); err != nil {
			return err
		}
		if p.CustomerID != posts[0].CustomerID || p.JobID != posts[0].JobID {
			return Errorf(EINVALID, "job board posts must all be of one job")
		}
		p.Status, _ = ParseJobBoardPostStatus(string(p.Status))
	}
	return nil
}

// Validate returns an EINVALID error naming the first field that breaks a
// rule; field names are those of the PATCH jobboardposts body.
func (p *JobBoardPost) Validate() error {
	if err := requireText("jobdistributor.id", p.DistributorID); err != nil {
		return err
	}
	if err := requireText("jobboards.jobboard.value", p.JobBoard); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{
		{"jobboards.jobboard.externalid", p.ExternalID}, {"jobboards.startdate", p.StartDate}, {"jobboards.enddate", p.EndDate},
	} {
		if err := checkText(f.name, f.v); err != nil {
			return err
		}
	}
	if _, ok := ParseJobBoardPostStatus(string(p.Status)); !ok {
		return Errorf(EINVALID, "jobboards.status must be one of Expired, Live, Posting in Progress, Deletion in Progress, Unposted")
	}
	return nil
}
