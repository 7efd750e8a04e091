package deploy

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/wire"
)

// maxImageBytes is the bound on the image size.
const maxImageBytes = 40 << 20

// containerEngine returns docker or podman, whichever answers, or skips.
func containerEngine(t *testing.T) string {
	t.Helper()
	var why []string
	for _, e := range []string{"docker", "podman"} {
		if _, err := exec.LookPath(e); err != nil {
			why = append(why, e+" not installed")
			continue
		}
		if _, errOut, err := tryCmd(".", nil, e, "info"); err != nil {
			why = append(why, fmt.Sprintf("%s info: %v %s", e, err, firstLine(errOut)))
			continue
		}
		return e
	}
	t.Skipf("no container engine: %s", strings.Join(why, "; "))
	return ""
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// runOptions finds `run` options under which this machine can start a
// container: none where the engine is set up normally; with runc and
// ulimits no higher than the process's own where crun cannot set rlimits
// (sandboxed CI machines). It skips when nothing works.
func runOptions(t *testing.T, engine, image string) []string {
	t.Helper()
	candidates := [][]string{nil}
	if engine == "podman" {
		var nofile syscall.Rlimit
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &nofile)
		candidates = append(candidates, []string{"--runtime", "runc",
			"--ulimit", fmt.Sprintf("nofile=%d:%d", nofile.Max, nofile.Max), "--ulimit", "nproc=4096:4096"})
	}
	var why []string
	for _, opts := range candidates {
		args := append(append([]string{"run", "--rm", "--network", "host"}, opts...), image, "version")
		out, errOut, err := tryCmd(".", nil, engine, args...)
		if err == nil && strings.HasPrefix(out, "herald ") {
			t.Logf("%s run %v: %s", engine, opts, firstLine(out))
			return opts
		}
		why = append(why, fmt.Sprintf("%v: %v %s", opts, err, firstLine(errOut)))
	}
	t.Skipf("%s cannot run containers here: %s", engine, strings.Join(why, "; "))
	return nil
}

// TestContainerImage builds the image with scripts/image.sh (make image),
// checks its size and configuration, runs it, waits for /readyz, publishes
// an event to a partner on the host and sees it arrive, and checks that the
// process runs as the image's non-root user. Skipped where no container
// engine can run containers; .ci/run installs podman so CI runs it.
func TestContainerImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a container image")
	}
	if runtime.GOOS != "linux" {
		t.Skip("runs the linux image on this machine")
	}
	engine := containerEngine(t)
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	name := "herald-test-" + hex.EncodeToString(suffix)
	image := "localhost/" + name + ":test"

	out := runCmd(t, repoRoot(t), []string{"IMAGE=" + image, "CONTAINER_ENGINE=" + engine}, "scripts/image.sh")
	t.Log(lastLine(out))
	t.Cleanup(func() { _, _, _ = tryCmd(".", nil, engine, "rmi", "-f", image) })

	// Size and configuration.
	size, err := strconv.ParseInt(strings.TrimSpace(runCmd(t, ".", nil, engine, "image", "inspect", "--format", "{{.Size}}", image)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("image size %d bytes (%.1f MiB)", size, float64(size)/(1<<20))
	if size >= maxImageBytes {
		t.Errorf("image is %d bytes, want under %d", size, maxImageBytes)
	}
	// docker keeps the health check in Config.Healthcheck; podman's
	// inspect shows it at the top level as HealthCheck.
	var inspected []struct {
		HealthCheck *struct{ Test []string }
		Config      struct {
			User         string
			Cmd          []string
			Entrypoint   []string
			ExposedPorts map[string]any
			Volumes      map[string]any
			Healthcheck  *struct{ Test []string }
		}
	}
	if err := json.Unmarshal([]byte(runCmd(t, ".", nil, engine, "image", "inspect", image)), &inspected); err != nil || len(inspected) != 1 {
		t.Fatalf("image inspect: %v", err)
	}
	cfg := inspected[0].Config
	if cfg.Healthcheck == nil {
		cfg.Healthcheck = inspected[0].HealthCheck
	}
	if cfg.User != "65532:65532" {
		t.Errorf("image user %q, want 65532:65532", cfg.User)
	}
	if _, ok := cfg.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("exposed ports %v, want 8080/tcp", cfg.ExposedPorts)
	}
	if _, ok := cfg.Volumes["/data"]; !ok {
		t.Errorf("volumes %v, want /data", cfg.Volumes)
	}
	if want := []string{"serve", "--listen", "0.0.0.0:8080", "--data", "/data"}; !slices.Equal(cfg.Cmd, want) {
		t.Errorf("default command %v, want %v", cfg.Cmd, want)
	}
	if cfg.Healthcheck == nil || !slices.Equal(cfg.Healthcheck.Test, []string{"CMD", "/herald", "healthcheck", "-q"}) {
		t.Errorf("healthcheck %+v, want the binary's own", cfg.Healthcheck)
	}

	// Run it. Host networking: the partner below listens on the host's
	// loopback, and no bridge or port mapping is needed on a CI machine.
	opts := runOptions(t, engine, image)
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	const token = "container-test-admin-token-0123"
	args := append([]string{"run", "-d", "--name", name, "--network", "host",
		"-e", "HERALD_ADMIN_TOKEN=" + token, "-e", "HERALD_ALLOW_DESTINATIONS=127.0.0.0/8",
		"-e", "HERALD_HEALTHCHECK_URL=" + base + "/readyz"}, opts...)
	// The image's own command, on a free port: 8080 may be taken on a
	// shared machine.
	args = append(args, image, "serve", "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--data", "/data")
	runCmd(t, ".", nil, engine, args...)
	t.Cleanup(func() {
		if t.Failed() {
			logs, errLogs, _ := tryCmd(".", nil, engine, "logs", name)
			t.Logf("container logs:\n%s%s", logs, errLogs)
		}
		_, _, _ = tryCmd(".", nil, engine, "rm", "-f", name)
	})
	waitReady(t, base+"/readyz", 90*time.Second)

	// The process runs as the image's user, not root.
	pid := strings.TrimSpace(runCmd(t, ".", nil, engine, "inspect", "--format", "{{.State.Pid}}", name))
	status, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		t.Fatalf("read the container process's status: %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "Uid:") {
			if f := strings.Fields(line); len(f) < 3 || f[1] != "65532" || f[2] != "65532" {
				t.Errorf("container process %s, want uid 65532", line)
			}
		}
	}

	// The image's HEALTHCHECK passes.
	if engine == "podman" {
		if out, errOut, err := tryCmd(".", nil, engine, "healthcheck", "run", name); err != nil {
			t.Errorf("podman healthcheck run: %v %s%s", err, out, errOut)
		}
	}

	// An event published to the container reaches a partner on the host.
	got := make(chan string, 10)
	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got <- r.Header.Get(wire.HeaderEventID)
	}))
	t.Cleanup(partner.Close)
	ctx := t.Context()
	c := api.NewClient(base, token, nil)
	if _, err := c.CustomerCreate(ctx, &api.CustomerCreateRequest{ID: "6269", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.EndpointCreate(ctx, "6269", &api.EndpointCreateRequest{
		URL: partner.URL + "/icims", EventTypes: []wire.EventType{wire.EventTypeAssessment},
		Auth: &api.AuthRequest{Type: "none"},
	}); err != nil {
		t.Fatal(err)
	}
	res, err := c.EventPublish(ctx, "6269", &api.EventPublishRequest{EventParams: wire.EventParams{
		EventType: wire.EventTypeAssessment, SystemID: "12391385", UserID: "1239", JobID: "1385",
		ReturnURL: "https://careers.example.com/jobs/1385/assessment?i=1",
	}})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-got:
		if id != res.ID {
			t.Fatalf("partner got event %q, want %q", id, res.ID)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the partner never got the event from the container")
	}

	// SIGTERM stops it cleanly (exit 0) within the shutdown timeout.
	runCmd(t, ".", nil, engine, "stop", "-t", "20", name)
	if code := strings.TrimSpace(runCmd(t, ".", nil, engine, "inspect", "--format", "{{.State.ExitCode}}", name)); code != "0" {
		t.Errorf("exit code after stop %s, want 0", code)
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "\n"); i >= 0 {
		return s[i+1:]
	}
	return s
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitReady polls url until it answers 200, up to limit: the container
// starts asynchronously and there is nothing to wait on but the probe.
func waitReady(t *testing.T, url string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	var last string
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("%s not ready after %s: %s", url, limit, last)
}
