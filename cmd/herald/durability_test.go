package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/wire"
)

// buildHerald compiles the herald binary once per test binary run.
var buildHerald = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "herald-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "herald")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// process is a herald serve child process.
type process struct {
	cmd     *exec.Cmd
	base    string
	done    chan struct{} // closed when the process has exited
	waitErr error         // its exit status, once done is closed
}

func startProcess(t *testing.T, args ...string) *process {
	t.Helper()
	bin, err := buildHerald()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"serve", "--listen", "127.0.0.1:0", "--allow-destinations", "127.0.0.0/8", "--log-level", "warn"}, args...)...)
	cmd.Env = append(os.Environ(), "HERALD_ADMIN_TOKEN="+testAdminToken)
	cmd.Stderr = t.Output()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() { p.waitErr = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-p.done })
	p.base = readAddress(t, bufio.NewReader(stdout))
	return p
}

// TestKill9LosesNoAcknowledgedEvent publishes thousands of events, kills
// Herald with SIGKILL while they are in flight, restarts it on the same data
// directory, and checks that every event acknowledged with a 202 reaches
// every endpoint at least once.
func TestKill9LosesNoAcknowledgedEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	data := t.TempDir()

	type key struct{ event, path string }
	var mu sync.Mutex
	received := map[key]int{}
	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		received[key{r.Header.Get(wire.HeaderEventID), r.URL.Path}]++
		mu.Unlock()
	}))
	t.Cleanup(partner.Close)

	testStart := time.Now()
	first := startProcess(t, "--data", data)
	ctx := t.Context()
	c := api.NewClient(first.base, testAdminToken, nil)
	if _, err := c.CustomerCreate(ctx, &api.CustomerCreateRequest{ID: "2187", Name: "Durable"}); err != nil {
		t.Fatal(err)
	}
	paths := []string{"/a", "/b"}
	for _, p := range paths {
		if _, err := c.EndpointCreate(ctx, "2187", &api.EndpointCreateRequest{
			URL: partner.URL + p, EventTypes: []wire.EventType{wire.EventTypeWorkFlowStatusChange},
			Auth: &api.AuthRequest{Type: "none"},
		}); err != nil {
			t.Fatal(err)
		}
	}

	const (
		publishers = 16
		killAfter  = 1500 // acknowledged events before the kill
		maxEvents  = 4000
	)
	var (
		ackMu     sync.Mutex
		acked     []string
		attempted atomic.Int64
		killed    = make(chan struct{})
		killOnce  sync.Once
		wg        sync.WaitGroup
	)
	for g := range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := attempted.Add(1)
				if n > maxEvents {
					return
				}
				select {
				case <-killed:
					return
				default:
				}
				res, err := c.EventPublish(ctx, "2187", &api.EventPublishRequest{EventParams: wire.EventParams{
					EventType: wire.EventTypeWorkFlowStatusChange, SystemID: fmt.Sprintf("%d%06d", g, n),
					PersonID: "9166", UserID: "9059", JobID: "4442", OldStatus: "1753", NewStatus: "20786",
				}})
				if err != nil {
					return // the process died under us: not acknowledged, not counted
				}
				ackMu.Lock()
				acked = append(acked, res.ID)
				count := len(acked)
				ackMu.Unlock()
				if count == killAfter {
					killOnce.Do(func() {
						if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
							t.Errorf("kill: %v", err)
						}
						close(killed)
					})
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("publishers stopped after %s", time.Since(testStart))
	<-first.done
	mu.Lock()
	beforeRestart := len(received)
	mu.Unlock()
	t.Logf("acknowledged %d events before SIGKILL; %d of %d deliveries had arrived", len(acked), beforeRestart, len(acked)*len(paths))
	if len(acked) < killAfter {
		t.Fatalf("only %d events acknowledged", len(acked))
	}

	startProcess(t, "--data", data)
	t.Logf("restarted after %s", time.Since(testStart))
	deadline := time.Now().Add(90 * time.Second)
	for {
		missing := 0
		mu.Lock()
		for _, id := range acked {
			for _, p := range paths {
				if received[key{id, p}] == 0 {
					missing++
				}
			}
		}
		dups := 0
		for _, n := range received {
			dups += n - 1
		}
		mu.Unlock()
		if missing == 0 {
			t.Logf("all delivered after %s", time.Since(testStart))
			t.Logf("after restart every acknowledged event reached both endpoints; %d duplicate deliveries (attempts in flight at the kill, resent: at-least-once)", dups)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d acknowledged deliveries never arrived after the restart", missing)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSIGTERMExitsCleanly checks that a terminated Herald exits 0.
func TestSIGTERMExitsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	p := startProcess(t, "--data", t.TempDir())
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
		if p.waitErr != nil {
			t.Fatalf("exit after SIGTERM: %v", p.waitErr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit within 30s of SIGTERM")
	}
}
