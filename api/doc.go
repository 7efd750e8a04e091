// Package api is Herald's REST management API: JSON under /api/v1 for
// customers, their endpoints, events and deliveries, and a Go client for it
// (used by the CLI and the benchmark).
//
// The routes are listed in routes.go, the request and response bodies in
// types.go; together they are the API's documentation. Every call needs
// "Authorization: Bearer <admin token>". Errors are JSON
// {"error":{"code":"invalid","message":"..."}} with the codes of
// herald.Error plus the two listed in types.go; the status for each code is
// set in one function, errorStatus.
//
// The package translates between HTTP and the domain. It must not hold
// business rules that belong to the root package (validation of customers
// and endpoints), to wire (building event bodies) or to a Store; it imports
// none of the other adapters. Secrets of endpoint auth are accepted but
// never written back in full, and neither secrets nor request bodies are
// logged.
package api
