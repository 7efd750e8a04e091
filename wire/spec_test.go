package wire

// Examples from the wire contract (docs: /work/shared/spec/integration-events.md),
// shared by the unit tests, the fuzz seeds and the examples.

const (
	specAssessmentBody = `{"systemId":"12391385","userId":"1239","customerId":"6269",
 "returnUrl":"https://careers.example.com/jobs/1385/front-line-job-3/assessment?i=1",
 "eventType":"AssessmentEvent",
 "links":[{"rel":"applicantWorkflow","title":"Applicant Workflow","url":"https://api.example.com/customers/6269/applicantworkflows/12391385"},
          {"rel":"job","title":"Job Profile","url":"https://api.example.com/customers/6269/jobs/1385"},
          {"rel":"person","title":"Person Profile","url":"https://api.example.com/customers/6269/people/1239"},
          {"rel":"user","title":"Posting User","url":"https://api.example.com/customers/6269/people/1239"}]}`

	specStatusBody = `{"systemId":"13437","eventType":"WorkFlowStatusChangeEvent",
 "links":[{"url":"https://api.example.com/customers/2187/applicantworkflows/13437","rel":"applicantWorkflow","title":"Applicant Workflow"},
          {"url":"https://api.example.com/customers/2187/jobs/4442","rel":"job","title":"Job Profile"},
          {"url":"https://api.example.com/customers/2187/people/9166","rel":"person","title":"Person Profile"},
          {"url":"https://api.example.com/customers/2187/people/9059","rel":"user","title":"Posting User"}],
 "personId":"9166","userId":"9059","jobId":"4442","customerId":"2187","oldStatus":"1753","newStatus":"20786"}`

	specRemoteLoginBody = `{"systemId":"244","customerId":"6268","links":[{"rel":"user","title":"Posting User","url":"https://api.example.com/customers/6268/people/244"}],"eventType":"RemoteLoginEvent","returnUrl":"https://customer.example.com","userId":"244"}`

	// specHMACBody is the real captured body of spec section 5, 237 bytes.
	specHMACBody   = `{"systemId":"244","customerId":"6268","links":[{"rel":"user","title":"Posting User","url":"https://api.icims.com/customers/6268/people/244"}],"eventType":"RemoteLoginEvent","returnUrl":"https://i9everifysandbox.icims.com","userId":"244"}`
	specHMACSHA256 = "b5ce232084d42376299a7d4d4f1ac4f03b699012074a07d11aa577c9fef28233"

	specLinkHeader = `https://api.example.com/customers/6271/jobs/1181;rel="job";title="Job Profile",https://api.example.com/customers/6271/people/1930;rel="person";title="Person Profile",`

	specErrorReport = `{"error":{"userMessage":"Please provide a valid US SSN before requesting Background Check.","debugErrorMessage":"This request could not be processed because the required field US SSN was not populated."}}`
)
