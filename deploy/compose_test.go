package deploy

import (
	"bufio"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

// composeFile is the part of a Compose file the test checks.
type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		EnvFile     any               `yaml:"env_file"`
		Environment map[string]string `yaml:"environment"`
		Command     []string          `yaml:"command"`
		Ports       []string          `yaml:"ports"`
		Volumes     []string          `yaml:"volumes"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Healthcheck *struct {
			Test     []string `yaml:"test"`
			Interval string   `yaml:"interval"`
		} `yaml:"healthcheck"`
		StopGracePeriod string `yaml:"stop_grace_period"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

// TestCompose checks deploy/compose.yaml without a container engine: two
// Herald nodes on PostgreSQL 15, secrets from .env, health checks on every
// service, and the database on a named volume.
func TestCompose(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cf composeFile
	if err := yaml.Unmarshal(raw, &cf); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}

	pg, ok := cf.Services["postgres"]
	if !ok {
		t.Fatal("no postgres service")
	}
	if !strings.HasSuffix(pg.Image, "postgres:15") {
		t.Errorf("postgres image %q, want PostgreSQL 15", pg.Image)
	}
	if pg.Healthcheck == nil || len(pg.Healthcheck.Test) == 0 {
		t.Error("postgres has no healthcheck")
	}
	var pgVolume string
	for _, v := range pg.Volumes {
		if name, target, _ := strings.Cut(v, ":"); strings.HasPrefix(target, "/var/lib/postgresql/data") {
			pgVolume = name
		}
	}
	if _, ok := cf.Volumes[pgVolume]; pgVolume == "" || !ok {
		t.Errorf("postgres data on %q, want a named volume declared under volumes:", pgVolume)
	}

	var nodes []string
	for name, s := range cf.Services {
		if !strings.HasPrefix(name, "herald") {
			continue
		}
		nodes = append(nodes, name)
		if s.EnvFile != ".env" && !slices.Equal(toStrings(s.EnvFile), []string{".env"}) {
			t.Errorf("%s: env_file %v, want .env", name, s.EnvFile)
		}
		if s.Healthcheck == nil || !slices.Equal(s.Healthcheck.Test, []string{"CMD", "/herald", "healthcheck", "-q"}) {
			t.Errorf("%s: healthcheck %+v, want the binary's own healthcheck", name, s.Healthcheck)
		}
		if s.DependsOn["postgres"].Condition != "service_healthy" {
			t.Errorf("%s: does not wait for a healthy postgres", name)
		}
		if s.Environment["HERALD_NODE_ID"] != name {
			t.Errorf("%s: HERALD_NODE_ID %q", name, s.Environment["HERALD_NODE_ID"])
		}
		if !slices.Contains(s.Command, "0.0.0.0:8080") {
			t.Errorf("%s: command %v does not listen on 0.0.0.0:8080", name, s.Command)
		}
		if s.StopGracePeriod == "" {
			t.Errorf("%s: no stop_grace_period for the shutdown timeout", name)
		}
	}
	if len(nodes) != 2 {
		t.Errorf("Herald nodes %v, want 2", nodes)
	}

	// .env.example has the secrets compose.yaml needs, and its two copies
	// of the PostgreSQL password agree.
	env := readEnvFile(t, ".env.example")
	for _, k := range []string{"HERALD_ADMIN_TOKEN", "HERALD_DATABASE", "POSTGRES_PASSWORD"} {
		if env[k] == "" {
			t.Errorf(".env.example lacks %s", k)
		}
	}
	if len(env["HERALD_ADMIN_TOKEN"]) < 16 {
		t.Errorf("HERALD_ADMIN_TOKEN example is shorter than Herald accepts")
	}
	u, err := url.Parse(env["HERALD_DATABASE"])
	if err != nil {
		t.Fatal(err)
	}
	if pw, _ := u.User.Password(); pw != env["POSTGRES_PASSWORD"] || u.Host != "postgres:5432" {
		t.Errorf("HERALD_DATABASE %q does not match POSTGRES_PASSWORD and the postgres service", env["HERALD_DATABASE"])
	}
	if _, err := os.Stat(filepath.Join(".env")); err == nil {
		t.Log("note: deploy/.env exists locally; it must never be committed")
	}
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// readEnvFile reads KEY=value lines, skipping comments and blank lines.
func readEnvFile(t testing.TB, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: %q is not KEY=value", path, line)
		}
		env[k] = v
	}
	return env
}
