// Package platform serves the talent platform's REST API: the resources that
// the links in event bodies point to (people, jobs, applicant and onboarding
// workflows) under /customers/{customerId}/..., the partners' write-backs
// (assessment results, job-board posts), the platform's own calls that
// create records and perform the actions that emit events, the OAuth 2.0
// token endpoint partners authenticate with, and the management endpoints
// that issue partner credentials.
//
// Field names of the resources are iCIMS's: lowercase (firstname, jobtitle,
// assessmenttype). Errors on /customers/... take the iCIMS
// form {"errors":[{"errorMessage","errorCode"}]} plus an
// "X-Error: <code>:<detail>" header, with codes 0 internal (500), 1 field
// required or invalid (400; 409, 413 and 415 for a conflict, a body too
// large and a wrong Content-Type), 2 not found (404), 3 access denied (404,
// so a partner cannot tell another customer's records from missing ones)
// and 9 invalid credentials (401). The management endpoints under /api/v1
// use the management API's form {"error":{"code","message"}}, and POST
// /oauth/token answers errors as OAuth clients expect (RFC 6749 section 5.2:
// {"error":"invalid_client"}).
//
// Who may call what: the admin token (Bearer) may do everything for every
// customer. A partner (Basic client id and secret, or a Bearer token from
// POST /oauth/token) may read its customer's resources and write back
// assessment results and job-board posts; it may not create records or
// perform actions, which are the platform's own. routes.go lists every
// route with who may call it.
//
// The package translates between HTTP and the domain; it holds no SQL and
// imports no other adapter. Interactive actions are delivered at once
// through a herald.Deliverer after their transaction commits, and the
// outcome (where to send the person, or what to tell them) is the reply.
package platform
