// Package web is Herald's server-rendered UI: the Event Notifications page
// of each customer (endpoints, their health, a test event), the delivery
// explorer (what was sent, what came back, retry), the administration of a
// customer's web users, and portal pages that run the platform's real flows
// (a candidate applies, a new hire starts an onboarding task, a recruiter
// moves a candidate) while a person waits for the partner.
//
// Pages are html/template, rendered on the server; every asset (templates,
// CSS, a few lines of JavaScript) is embedded in the binary, so nothing is
// fetched at run time. Operators sign in with the admin token; a customer's
// administrators sign in with a username and password (argon2id) and see
// only their customer. Sessions are random ids in HttpOnly, SameSite=Lax
// cookies, kept server-side (herald.WebUserStore) as hashes. Every
// state-changing request passes http.CrossOriginProtection and carries a
// per-session token.
//
// A new hire's onboarding pages need no sign-in but are not open: they take
// a signed link (PortalOnboardLink, shown to the customer's administrators
// on the Event Notifications page), whose HMAC token, keyed from the admin
// token, becomes a cookie scoped to that workflow's pages. Rotating the
// admin token invalidates every outstanding link.
//
// The package imports the root package and wire, never another adapter: it
// speaks to the store, the publisher and the deliverer through root
// interfaces.
package web
