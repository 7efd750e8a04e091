// Package herald is the domain of Herald, the Integration Events service of a
// talent-acquisition platform: when something happens to a customer's data,
// Herald POSTs an iCIMS-format event to every partner endpoint the customer
// configured for that event type, and keeps at it until the partner answers.
//
// The root package holds the vocabulary and the contracts only. It imports the
// standard library and [wire] and nothing else: no SQL, no HTTP server, no
// logger set-up. Adapters (sqlite, postgres, dispatch, api, web) import it and
// never each other; cmd/herald wires them together.
//
// # Glossary
//
//   - Customer: a tenant of the platform, identified by its own string id
//     ("6269"). Every other record belongs to exactly one customer.
//   - Endpoint: a partner URL that a customer configured on its Event
//     Notifications page, with the event types it receives, how Herald
//     authenticates to it, and whether bodies are gzip'd.
//   - Event: one notification as the partner sees it: its type, its JSON body
//     and its Link header, built once at publish time and never changed.
//   - Delivery: one event on its way to one endpoint. It has a state
//     ([DeliveryState]) and is attempted until it leaves the pending state.
//   - Attempt: one HTTP request of a delivery and what came back.
//   - Partner: the vendor behind an endpoint (assessment, background check,
//     E-Verify, job board).
//   - Lease: the time a node has to finish an attempt of a claimed delivery.
//     Until it runs out, no other claimer can take the delivery.
//   - Subject: the record an event is about (an applicant workflow, an
//     onboarding workflow, a job, a person; [EventSubject]). An ordered
//     endpoint ([Endpoint.Ordered]) gets one subject's deliveries one at a
//     time, in publish order; see order.go.
//   - Check: a run of the conformance battery (`herald check`) against an
//     endpoint: test events, marked as such, sent as real ones are, whose
//     replies are judged against the contract ([CheckReport]). Nothing of it
//     is stored.
//   - Operator event: something an operator should hear about (an endpoint
//     disabled or recovered, a delivery dead), found by the health scan and
//     sent to the operator's webhook ([OperatorEvent]).
//   - Replay job: a bulk re-send of a customer's deliveries that match a
//     filter, a batch at a time ([ReplayJob]).
//
// # Glossary of the talent platform
//
// The records event links point to, and whose changes emit events
// ([PlatformStore]). Each belongs to one customer; ids are per customer.
//
//   - Person: someone in the customer's records: a candidate, a new hire,
//     or a platform user (a recruiter) who acts on others ([Person]).
//   - Job: an opening, with its title, location and description; posted to
//     a career portal, it has a public URL ([Job]). Posting, editing and
//     unposting emit the job events.
//   - Career portal: where posted jobs are listed and candidates apply
//     ([CareerPortal]).
//   - Applicant workflow: one person's application to one job, with its
//     status and status history ([ApplicantWorkflow]). Completing an
//     application emits AssessmentEvent; a recruiter's status change emits
//     WorkFlowStatusChangeEvent.
//   - Assessment result: what an assessment partner reported back for an
//     applicant workflow ([AssessmentResult]).
//   - Onboarding workflow: a new hire's onboarding tasks
//     ([OnboardWorkflow], [OnboardTask]); starting a task emits
//     OnboardPortalTaskEvent.
//   - Job board post: a job as a job-board partner published it
//     ([JobBoardPost]).
//   - Partner credentials: the client id and secret a partner uses to read
//     these records through the platform's REST API ([Partner]).
//   - Web user: a customer's administrator who signs in to the UI
//     ([WebUser]); operators sign in with the admin token instead.
//
// Rules that are the same on both databases are written once, in
// internal/storerules, over a per-dialect transaction; each store keeps
// its SQL, its migrations, its claim algorithm and its type encoding.
package herald
