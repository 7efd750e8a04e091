package herald

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on platform records, so one request cannot store megabytes.
const (
	// MaxPlatformTextLength bounds every free-text field of a platform
	// record (names, titles, locations, statuses, dates as text).
	MaxPlatformTextLength = 200
	// MaxPlatformURLLength bounds URLs kept on platform records.
	MaxPlatformURLLength = 2048
	// MaxPersonPhones and MaxPersonAddresses bound a person's lists.
	MaxPersonPhones    = 10
	MaxPersonAddresses = 10
	// MaxEmailLength is the longest address RFC 5321 allows.
	MaxEmailLength = 254
)

// PersonType says what a person is to the customer. One record serves all
// three, as in iCIMS, where a candidate who is hired becomes a new hire and
// recruiters are people too.
type PersonType string

// Person types.
const (
	PersonTypeCandidate PersonType = "candidate"
	PersonTypeNewHire   PersonType = "newhire"
	PersonTypeUser      PersonType = "user" // a platform user: a recruiter, a hiring manager
)

// Valid reports whether t is a known person type.
func (t PersonType) Valid() bool {
	return t == PersonTypeCandidate || t == PersonTypeNewHire || t == PersonTypeUser
}

// Phone is one phone number of a person.
type Phone struct {
	Type   string // "Home", "Mobile", "Work"
	Number string
}

// Address is one postal address of a person.
type Address struct {
	Type    string // "Home", "Work"
	Street1 string
	Street2 string
	City    string
	State   string
	Zip     string
	Country string
}

// The name of a customer's operator user (PlatformStore.PersonOperatorGet).
const (
	OperatorPersonFirstName = "Herald"
	OperatorPersonLastName  = "Operator"
)

// Person is a candidate, a new hire or a platform user of one customer. The
// REST API calls the record "people/{id}" and its fields firstname,
// lastname, email, phones and addresses.
type Person struct {
	ID         string // per customer, numeric-looking; set by PersonCreate
	CustomerID string
	Type       PersonType
	FirstName  string
	LastName   string
	Email      string
	Phones     []Phone
	Addresses  []Address
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// FullName is the first and last name, for messages and the demo.
func (p *Person) FullName() string {
	return strings.TrimSpace(p.FirstName + " " + p.LastName)
}

// PersonEmailNotFound is the ENOTFOUND of PlatformStore.PersonFindByEmail:
// no person of the customer has the email (trimmed), or it is empty.
func PersonEmailNotFound(email string) *Error {
	if email == "" {
		return Errorf(ENOTFOUND, "no person with an empty email")
	}
	return NotFound("person with email", email)
}

// Validate returns an EINVALID error naming the first field that breaks a
// rule. Field names are the REST API's.
func (p *Person) Validate() error {
	if !p.Type.Valid() {
		return Errorf(EINVALID, "persontype must be one of candidate, newhire, user")
	}
	if err := requireText("firstname", p.FirstName); err != nil {
		return err
	}
	if err := requireText("lastname", p.LastName); err != nil {
		return err
	}
	if p.Email != "" {
		at := strings.LastIndexByte(p.Email, '@')
		if len(p.Email) > MaxEmailLength || at < 1 || at == len(p.Email)-1 || strings.ContainsAny(p.Email, " \t\r\n<>,;") {
			return Errorf(EINVALID, "email must be an address like name@example.com of at most %d characters", MaxEmailLength)
		}
	}
	if len(p.Phones) > MaxPersonPhones {
		return Errorf(EINVALID, "phones cannot have more than %d entries", MaxPersonPhones)
	}
	for i, ph := range p.Phones {
		if err := requireText("phones["+strconv.Itoa(i)+"].phonenumber", ph.Number); err != nil {
			return err
		}
		if err := checkText("phones["+strconv.Itoa(i)+"].phonetype", ph.Type); err != nil {
			return err
		}
	}
	if len(p.Addresses) > MaxPersonAddresses {
		return Errorf(EINVALID, "addresses cannot have more than %d entries", MaxPersonAddresses)
	}
	for i, a := range p.Addresses {
		pre := "addresses[" + strconv.Itoa(i) + "]."
		for _, f := range []struct{ name, v string }{
			{"addresstype", a.Type}, {"addressstreet1", a.Street1}, {"addressstreet2", a.Street2},
			{"addresscity", a.City}, {"addressstate", a.State}, {"addresszip", a.Zip}, {"addresscountry", a.Country},
		} {
			if err := checkText(pre+f.name, f.v); err != nil {
				return err
			}
		}
	}
	return nil
}

// requireText is checkText for a field that must not be empty.
func requireText(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return Errorf(EINVALID, "%s is required", field)
	}
	return checkText(field, v)
}

// checkText returns EINVALID unless v is printable UTF-8 of at most
// MaxPlatformTextLength characters.
func checkText(field, v string) error {
	switch {
	case !utf8.ValidString(v):
		return Errorf(EINVALID, "%s must be valid UTF-8", field)
	case utf8.RuneCountInString(v) > MaxPlatformTextLength:
		return Errorf(EINVALID, "%s cannot be longer than %d characters", field, MaxPlatformTextLength)
	case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return Errorf(EINVALID, "%s cannot contain control characters", field)
	}
	return nil
}
