package wire

// EventType is the wire value of an event's "eventType" field.
type EventType string

// The event types of the Integration Events catalogue (spec section 3).
const (
	EventTypeAssessment           EventType = "AssessmentEvent"           // Application Complete
	EventTypeWorkFlowStatusChange EventType = "WorkFlowStatusChangeEvent" // Status Flow Update
	EventTypeOnboardPortalTask    EventType = "OnboardPortalTaskEvent"    // Onboard Portal Task
	EventTypeJobPostToWeb         EventType = "JobPostToWebEvent"         // Job Posting
	EventTypeViewJobWebPost       EventType = "ViewJobWebPostEvent"       // Job Edit
	EventTypeJobUnpostToWeb       EventType = "JobUnpostToWebEvent"       // Job Unposting
	EventTypeRemoteLogin          EventType = "RemoteLoginEvent"          // Remote Login

	// EventTypeApplicationCompleted is an older name of Application Complete.
	// Receivers accept it as EventTypeAssessment; Herald never sends it.
	EventTypeApplicationCompleted EventType = "ApplicationCompletedEvent"
)

// EventTypes lists the types Herald sends, in catalogue order.
var EventTypes = []EventType{
	EventTypeAssessment,
	EventTypeWorkFlowStatusChange,
	EventTypeOnboardPortalTask,
	EventTypeJobPostToWeb,
	EventTypeViewJobWebPost,
	EventTypeJobUnpostToWeb,
	EventTypeRemoteLogin,
}

// Valid reports whether t is a type Herald sends.
func (t EventType) Valid() bool {
	for _, k := range EventTypes {
		if t == k {
			return true
		}
	}
	return false
}

// Canonical maps legacy names to the current one (ApplicationCompletedEvent
// becomes AssessmentEvent) and returns any other type unchanged.
func (t EventType) Canonical() EventType {
	if t == EventTypeApplicationCompleted {
		return EventTypeAssessment
	}
	return t
}

// Interactive reports whether a person usually waits for the partner's reply
// to an event of this type: its success reply is a 303 whose Location the
// platform sends that person to (spec sections 3 and 7).
func (t EventType) Interactive() bool {
	switch t.Canonical() {
	case EventTypeAssessment, EventTypeOnboardPortalTask, EventTypeJobPostToWeb,
		EventTypeViewJobWebPost, EventTypeRemoteLogin:
		return true
	}
	return false
}

// PageName is the name the Event Notifications page shows for the type.
func (t EventType) PageName() string {
	switch t.Canonical() {
	case EventTypeAssessment:
		return "Application Complete"
	case EventTypeWorkFlowStatusChange:
		return "Status Flow Update"
	case EventTypeOnboardPortalTask:
		return "Onboard Portal Task"
	case EventTypeJobPostToWeb:
		return "Job Posting"
	case EventTypeViewJobWebPost:
		return "Job Edit"
	case EventTypeJobUnpostToWeb:
		return "Job Unposting"
	case EventTypeRemoteLogin:
		return "Remote Login"
	}
	return string(t)
}
