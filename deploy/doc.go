// Package deploy holds no code: its tests check what ships beside the
// binary. The Compose file (compose.yaml, .env.example), the Helm chart
// (helm/herald: helm lint, and the rendered manifests against the Kubernetes
// API schemas with kubeconform), the systemd unit (systemd/herald.service:
// systemd-analyze verify), the reproducible release build
// (scripts/release.sh), that cmd/herald type-checks for the release's other
// operating systems (platforms_test.go) and the container image (Containerfile: built, run,
// and sent an event through, where podman or docker can run containers).
//
// The Helm and kubeconform binaries come from the tools module (tools/go.mod,
// pinned versions), so herald's own go.mod stays lean.
//
// Monitoring (monitoring_test.go): the Grafana dashboard
// (grafana/herald.json) and the Prometheus alerting rules
// (prometheus/alerts.yaml, unit-tested by alerts_test.yaml). The tests
// check that every query names only metrics Herald exports and run
// promtool on the rules.
package deploy
