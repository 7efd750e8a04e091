// Package deploy holds what operators deploy beside Herald: a Grafana
// dashboard (grafana/herald.json) and Prometheus alerting rules
// (prometheus/alerts.yaml, with their unit tests in alerts_test.yaml). Its
// tests check that every query names only metrics Herald exports and run
// promtool on the rules. It has no Go code of its own.
package deploy
