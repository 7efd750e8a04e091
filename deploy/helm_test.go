package deploy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v4"
)

// kubernetesModule is where the Kubernetes API schemas come from: the
// OpenAPI v3 documents in api/openapi-spec/v3 of the k8s.io/kubernetes Go
// module, fetched through the Go module proxy (kubeconform's usual schema
// repository is on GitHub, which CI cannot reach). The chart targets this
// version; Chart.yaml's kubeVersion says the oldest it supports.
const (
	kubernetesModule  = "k8s.io/kubernetes@v1.34.2"
	kubernetesVersion = "1.34.2"
)

// chartKinds are the kinds the chart renders that have Kubernetes schemas.
var chartKinds = map[string]bool{"Deployment": true, "Service": true, "Secret": true,
	"PersistentVolumeClaim": true, "PodDisruptionBudget": true, "NetworkPolicy": true}

// kubeSpecs are the API groups the chart renders objects of.
var kubeSpecs = []string{
	"api__v1_openapi.json",
	"apis__apps__v1_openapi.json",
	"apis__policy__v1_openapi.json",
	"apis__networking.k8s.io__v1_openapi.json",
}

// goTool runs a tool pinned in tools/go.mod: go tool compiles it once into
// the build cache.
func goTool(t testing.TB, env []string, tool string, args ...string) (string, string, error) {
	t.Helper()
	root := repoRoot(t)
	env = append(env, "GOFLAGS=", "GOWORK=off")
	return tryCmd(filepath.Join(root, "tools"), env, "go", append([]string{"tool", tool}, args...)...)
}

// helmEnv keeps helm's caches and config out of the home directory.
func helmEnv(t testing.TB) []string {
	home := t.TempDir()
	return []string{"HELM_CACHE_HOME=" + home + "/cache", "HELM_CONFIG_HOME=" + home + "/config", "HELM_DATA_HOME=" + home + "/data"}
}

// schemaDirCreated is schemaDir's directory, removed by TestMain.
var schemaDirCreated string

// schemaDir writes one strict, standalone JSON schema per Kubernetes kind
// that the chart uses, named as kubeconform looks them up:
// {{.ResourceKind}}{{.KindSuffix}}.json, e.g. deployment-apps-v1.json.
var schemaDir = sync.OnceValues(func() (string, error) {
	out, _, err := tryCmd(".", []string{"GOFLAGS=", "GOWORK=off"}, "go", "mod", "download", "-json", kubernetesModule)
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %v\n%s", kubernetesModule, err, out)
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal([]byte(out), &mod); err != nil || mod.Dir == "" {
		return "", fmt.Errorf("go mod download %s: %v %s", kubernetesModule, err, mod.Error)
	}
	dir, err := os.MkdirTemp("", "herald-k8s-schemas-")
	if err != nil {
		return "", err
	}
	schemaDirCreated = dir
	for _, name := range kubeSpecs {
		if err := writeKindSchemas(filepath.Join(mod.Dir, "api", "openapi-spec", "v3", name), dir); err != nil {
			return "", err
		}
	}
	return dir, nil
})

// writeKindSchemas turns one OpenAPI v3 document into kubeconform schemas,
// the way kubeconform's openapi2jsonschema.py does for its "-strict"
// flavour: every definition copied in (so each file stands alone), and no
// property the API does not define (additionalProperties: false).
func writeKindSchemas(specPath, outDir string) error {
	raw, err := os.ReadFile(specPath)
	if err != nil {
		return err
	}
	// Refs move from #/components/schemas/ to #/definitions/.
	raw = []byte(strings.ReplaceAll(string(raw), "#/components/schemas/", "#/definitions/"))
	var spec struct {
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fmt.Errorf("%s: %w", specPath, err)
	}
	defs := map[string]any{}
	for name, s := range spec.Components.Schemas {
		strict(s)
		defs[name] = s
	}
	for name, s := range spec.Components.Schemas {
		gvks, _ := s["x-kubernetes-group-version-kind"].([]any)
		for _, g := range gvks {
			gvk, _ := g.(map[string]any)
			group, _ := gvk["group"].(string)
			version, _ := gvk["version"].(string)
			kind, _ := gvk["kind"].(string)
			if !chartKinds[kind] {
				continue
			}
			// kubeconform's KindSuffix: the group's first label, then the version.
			suffix := "-" + strings.ToLower(version)
			if first, _, _ := strings.Cut(group, "."); first != "" {
				suffix = "-" + strings.ToLower(first) + suffix
			}
			// No $schema: the validator's default draft, and nothing it
			// might try to fetch.
			doc := map[string]any{
				"$ref":        "#/definitions/" + name,
				"definitions": defs,
			}
			b, err := json.Marshal(doc)
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(outDir, strings.ToLower(kind)+suffix+".json"), b, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// strict forbids properties a schema does not define, recursively.
func strict(s map[string]any) {
	if props, ok := s["properties"].(map[string]any); ok {
		if _, set := s["additionalProperties"]; !set {
			s["additionalProperties"] = false
		}
		for _, p := range props {
			if ps, ok := p.(map[string]any); ok {
				strict(ps)
			}
		}
	}
	if ap, ok := s["additionalProperties"].(map[string]any); ok {
		strict(ap)
	}
	if items, ok := s["items"].(map[string]any); ok {
		strict(items)
	}
	for _, k := range []string{"allOf", "oneOf", "anyOf"} {
		list, _ := s[k].([]any)
		for _, x := range list {
			if xs, ok := x.(map[string]any); ok {
				strict(xs)
			}
		}
	}
}

// kubeconform validates rendered manifests against the generated schemas.
// Only the ServiceMonitor, a Prometheus Operator CRD with no schema here, is
// left to the structural checks in TestHelmChart.
func kubeconform(t testing.TB, manifests string) (string, error) {
	t.Helper()
	dir, err := schemaDir()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "manifests.yaml")
	if err := os.WriteFile(file, []byte(manifests), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := goTool(t, nil, "kubeconform", "-strict", "-summary", "-output", "text",
		"-schema-location", filepath.Join(dir, "{{.ResourceKind}}{{.KindSuffix}}.json"),
		"-skip", "ServiceMonitor", file)
	return out + errOut, err
}

// helmTemplate renders the chart with the given --set values.
func helmTemplate(t testing.TB, sets ...string) (string, error) {
	t.Helper()
	args := []string{"template", "herald", filepath.Join(repoRoot(t), "deploy", "helm", "herald"), "--kube-version", kubernetesVersion}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	out, errOut, err := goTool(t, helmEnv(t), "helm", args...)
	if err != nil {
		return "", fmt.Errorf("%v: %s", err, errOut)
	}
	return out, nil
}

// object is one rendered manifest, decoded loosely.
type object = map[string]any

func decodeAll(t testing.TB, manifests string) map[string]object {
	t.Helper()
	byKind := map[string]object{}
	dec := yaml.NewDecoder(strings.NewReader(manifests))
	for {
		var o object
		if err := dec.Decode(&o); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("rendered YAML: %v", err)
		}
		if o == nil {
			continue
		}
		byKind[o["kind"].(string)] = o
	}
	return byKind
}

// dig walks a decoded manifest: dig(o, "spec", "replicas").
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func envValue(container any, name string) any {
	list, _ := dig(container, "env").([]any)
	for _, e := range list {
		if dig(e, "name") == name {
			if v := dig(e, "value"); v != nil {
				return v
			}
			return dig(e, "valueFrom")
		}
	}
	return nil
}

// TestHelmChart lints the chart, renders it for PostgreSQL and SQLite with
// every optional part on, validates the manifests against the Kubernetes API
// schemas with kubeconform, and checks the rules the chart exists for.
func TestHelmChart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds helm and kubeconform from tools/go.mod")
	}
	t.Parallel()
	chart := filepath.Join(repoRoot(t), "deploy", "helm", "herald")
	if out, errOut, err := goTool(t, helmEnv(t), "helm", "lint", "--strict", "--kube-version", kubernetesVersion, chart); err != nil {
		t.Fatalf("helm lint: %v\n%s%s", err, out, errOut)
	}
	everything := []string{"serviceMonitor.enabled=true", "networkPolicy.enabled=true", "secret.create=true",
		"secret.adminToken=0123456789abcdef0123", "secret.databaseURL=postgres://herald@db/herald", "secret.encryptionKey=k"}

	t.Run("postgres", func(t *testing.T) {
		out, err := helmTemplate(t, everything...)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := kubeconform(t, out); err != nil {
			t.Fatalf("kubeconform: %v\n%s", err, res)
		} else {
			t.Log(strings.TrimSpace(res))
		}
		objs := decodeAll(t, out)
		for _, kind := range []string{"Deployment", "Service", "Secret", "PodDisruptionBudget", "ServiceMonitor", "NetworkPolicy"} {
			if objs[kind] == nil {
				t.Errorf("no %s rendered", kind)
			}
		}
		if objs["PersistentVolumeClaim"] != nil {
			t.Error("a PersistentVolumeClaim on PostgreSQL")
		}
		d := objs["Deployment"]
		if r := dig(d, "spec", "replicas"); r != 2 {
			t.Errorf("replicas %v, want 2", r)
		}
		if s := dig(d, "spec", "strategy", "type"); s != "RollingUpdate" {
			t.Errorf("strategy %v, want RollingUpdate", s)
		}
		checkPod(t, d, 10, 5)
		c := dig(d, "spec", "template", "spec", "containers", 0)
		if ref := dig(envValue(c, "HERALD_DATABASE"), "secretKeyRef", "key"); ref != "database-url" {
			t.Errorf("HERALD_DATABASE from %v, want the Secret's database-url", ref)
		}
		// The ServiceMonitor scrapes the Service's named port.
		if p := dig(objs["ServiceMonitor"], "spec", "endpoints", 0, "port"); p != dig(objs["Service"], "spec", "ports", 0, "name") {
			t.Errorf("ServiceMonitor port %v is not the Service's", p)
		}
		if p := dig(objs["ServiceMonitor"], "spec", "endpoints", 0, "path"); p != "/metrics" {
			t.Errorf("ServiceMonitor path %v", p)
		}
	})

	t.Run("sqlite", func(t *testing.T) {
		out, err := helmTemplate(t, "database.type=sqlite", "replicaCount=1", "shutdownTimeoutSeconds=30", "preStopSleepSeconds=3")
		if err != nil {
			t.Fatal(err)
		}
		if res, err := kubeconform(t, out); err != nil {
			t.Fatalf("kubeconform: %v\n%s", err, res)
		}
		objs := decodeAll(t, out)
		d := objs["Deployment"]
		if r := dig(d, "spec", "replicas"); r != 1 {
			t.Errorf("replicas %v, want 1", r)
		}
		if s := dig(d, "spec", "strategy", "type"); s != "Recreate" {
			t.Errorf("strategy %v, want Recreate", s)
		}
		if objs["PersistentVolumeClaim"] == nil {
			t.Fatal("no PersistentVolumeClaim on SQLite")
		}
		if claim := dig(d, "spec", "template", "spec", "volumes", 0, "persistentVolumeClaim", "claimName"); claim != dig(objs["PersistentVolumeClaim"], "metadata", "name") {
			t.Errorf("/data claim %v is not the chart's PVC", claim)
		}
		if objs["PodDisruptionBudget"] != nil {
			t.Error("a PodDisruptionBudget with one replica blocks every drain")
		}
		c := dig(d, "spec", "template", "spec", "containers", 0)
		if envValue(c, "HERALD_DATABASE") != nil {
			t.Error("HERALD_DATABASE set on SQLite")
		}
		checkPod(t, d, 30, 3)
	})

	// values.schema.json refuses what cannot work.
	for name, sets := range map[string][]string{
		"sqlite with two replicas":       {"database.type=sqlite", "replicaCount=2"},
		"sqlite without persistence":     {"database.type=sqlite", "replicaCount=1", "persistence.enabled=false"},
		"postgres with one replica":      {"replicaCount=1"},
		"unknown database":               {"database.type=mysql"},
		"short admin token":              {"secret.create=true", "secret.adminToken=short", "secret.databaseURL=postgres://x"},
		"created secret without a token": {"secret.create=true", "secret.databaseURL=postgres://x"},
	} {
		t.Run("refuses "+name, func(t *testing.T) {
			if _, err := helmTemplate(t, sets...); err == nil {
				t.Fatalf("helm template %v succeeded, want the schema to refuse it", sets)
			}
		})
	}

	// The schema check itself fails on a manifest Kubernetes would refuse.
	t.Run("kubeconform catches a typo", func(t *testing.T) {
		out, err := helmTemplate(t)
		if err != nil {
			t.Fatal(err)
		}
		bad := strings.Replace(out, "  replicas: 2", "  replica: 2", 1)
		if bad == out {
			t.Fatal("no replicas line to break")
		}
		if res, err := kubeconform(t, bad); err == nil {
			t.Fatalf("kubeconform accepted spec.replica:\n%s", res)
		}
	})
}

// checkPod checks the probes and that the shutdown settings agree: Herald's
// --shutdown-timeout, the preStop sleep, and a grace period covering both
// plus Herald's HTTP drain margin.
func checkPod(t *testing.T, d object, shutdown, preStop int) {
	t.Helper()
	pod := dig(d, "spec", "template", "spec")
	c := dig(pod, "containers", 0)
	if p := dig(c, "livenessProbe", "httpGet", "path"); p != "/healthz" {
		t.Errorf("liveness %v, want /healthz", p)
	}
	if p := dig(c, "readinessProbe", "httpGet", "path"); p != "/readyz" {
		t.Errorf("readiness %v, want /readyz", p)
	}
	if v := envValue(c, "HERALD_SHUTDOWN_TIMEOUT"); v != fmt.Sprintf("%ds", shutdown) {
		t.Errorf("HERALD_SHUTDOWN_TIMEOUT %v, want %ds", v, shutdown)
	}
	if s := dig(c, "lifecycle", "preStop", "sleep", "seconds"); s != preStop {
		t.Errorf("preStop sleep %v, want %d", s, preStop)
	}
	if g := dig(pod, "terminationGracePeriodSeconds"); g != preStop+shutdown+10 {
		t.Errorf("terminationGracePeriodSeconds %v, want %d", g, preStop+shutdown+10)
	}
	if dig(pod, "securityContext", "runAsNonRoot") != true || dig(pod, "securityContext", "runAsUser") != 65532 {
		t.Errorf("pod security context %v", dig(pod, "securityContext"))
	}
	if dig(c, "securityContext", "readOnlyRootFilesystem") != true {
		t.Error("root filesystem is writable")
	}
	if ref := dig(envValue(c, "HERALD_ADMIN_TOKEN"), "secretKeyRef", "key"); ref != "admin-token" {
		t.Errorf("HERALD_ADMIN_TOKEN from %v", ref)
	}
	if opt := dig(envValue(c, "HERALD_ENCRYPTION_KEY"), "secretKeyRef", "optional"); opt != true {
		t.Errorf("HERALD_ENCRYPTION_KEY not an optional Secret key: %v", envValue(c, "HERALD_ENCRYPTION_KEY"))
	}
	req := dig(c, "resources", "requests")
	if dig(req, "memory") != "256Mi" || dig(req, "cpu") != "250m" || dig(c, "resources", "limits", "memory") != "512Mi" {
		t.Errorf("resources %v", dig(c, "resources"))
	}
}
