package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/server"
	"github.com/livesell/livesell/internal/testenv"
)

// A cluster test runs every node as its own process: this test binary
// re-executed with LIVESELL_TEST_SERVE=1 is `livesell serve` (the same
// serve function, configured by LIVESELL_* variables), plus a control
// listener on a loopback port of its own through which the test reaches
// into the node (the origin's side of a relay link) where no public
// endpoint exists. A process can then be killed for real (SIGKILL): no
// deferred release, no goodbye on its links.

// testServe is the process side: serve until SIGTERM or SIGINT, with the
// control listener's address as the first line on stdout.
func testServe() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := serve(ctx, nil, os.Getenv, os.Stderr, func(srv *server.Server) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, "livesell: control listener:", err)
			os.Exit(1)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("POST /drop-relays/{room}", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, srv.Engine().DropRelays(r.PathValue("room")))
		})
		go http.Serve(ln, mux)
		fmt.Println("control", ln.Addr().String())
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "livesell:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// proc is one livesell process of a cluster test.
type proc struct {
	t       *testing.T
	name    string
	base    string // its public URL
	control string // its control listener's base URL
	admin   string
	cmd     *exec.Cmd
	exited  chan struct{}
	logPath string
}

// freePort returns a loopback port that was free a moment ago, for network
// ("tcp" or "udp").
func freePort(network string) (int, error) {
	if network == "udp" {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startProcs starts the named nodes at once, each with the shared
// variables (stores, secrets) and its own HTTP port, UDP port and public
// URL, and waits for their /healthz. A port taken meanwhile by someone else
// makes a process exit: it is tried again on other ports.
func startProcs(t *testing.T, shared map[string]string, names ...string) []*proc {
	t.Helper()
	procs := make([]*proc, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			for range 3 {
				if procs[i], errs[i] = tryProc(t, name, shared); errs[i] == nil {
					return
				}
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %s did not start: %v", names[i], err)
		}
	}
	return procs
}

func tryProc(t *testing.T, name string, shared map[string]string) (*proc, error) {
	port, err := freePort("tcp")
	if err != nil {
		return nil, err
	}
	udp, err := freePort("udp")
	if err != nil {
		return nil, err
	}
	dir := t.TempDir()
	p := &proc{t: t, name: name, base: "http://127.0.0.1:" + strconv.Itoa(port), admin: shared["LIVESELL_ADMIN_TOKEN"],
		exited: make(chan struct{}), logPath: filepath.Join(dir, name+".log")}
	logf, err := os.Create(p.logPath)
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"LIVESELL_TEST_SERVE=1",
		"LIVESELL_HTTP_ADDR=127.0.0.1:"+strconv.Itoa(port),
		"LIVESELL_PUBLIC_URL="+p.base,
		"LIVESELL_UDP_PORT="+strconv.Itoa(udp),
		"LIVESELL_DATA_DIR="+dir,
		"LIVESELL_ICE_INTERFACES=lo",
		"LIVESELL_CASCADE=true",
		"LIVESELL_LOG_LEVEL=info",
	)
	for k, v := range shared {
		env = append(env, k+"="+v)
	}
	p.cmd = exec.Command(os.Args[0], "-test.run=^$")
	p.cmd.Env = env
	p.cmd.Stderr = logf
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	control := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "control "); ok {
				control <- "http://" + addr
			}
		}
	}()
	go func() {
		p.cmd.Wait()
		logf.Close()
		close(p.exited)
	}()
	t.Cleanup(p.stop)
	deadline := time.After(60 * time.Second)
	for {
		select {
		case p.control = <-control:
			control = nil
		case <-p.exited:
			return nil, fmt.Errorf("exited: %s", p.logTail(20))
		case <-deadline:
			p.kill()
			return nil, fmt.Errorf("no /healthz within 60s: %s", p.logTail(20))
		case <-time.After(20 * time.Millisecond):
		}
		if p.control == "" {
			continue
		}
		if resp, err := http.Get(p.base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
	}
}

// kill ends the process with SIGKILL and waits for it.
func (p *proc) kill() {
	p.cmd.Process.Kill()
	<-p.exited
}

// stop ends the process with SIGTERM (SIGKILL after 20s); on a failed test
// it shows the end of the process's log.
func (p *proc) stop() {
	select {
	case <-p.exited:
	default:
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(20 * time.Second):
			p.t.Errorf("node %s did not stop on SIGTERM", p.name)
			p.kill()
		}
	}
	if p.t.Failed() {
		p.t.Logf("node %s (%s), end of its log:\n%s", p.name, p.base, p.logTail(60))
	}
}

// logTail returns the last n lines of the process's log.
func (p *proc) logTail(n int) string {
	b, _ := os.ReadFile(p.logPath)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// logged returns the time of the first line of the process's log after
// since that contains every one of parts (false when there is none).
func (p *proc) logged(since time.Time, parts ...string) (time.Time, bool) {
	b, _ := os.ReadFile(p.logPath)
next:
	for _, line := range strings.Split(string(b), "\n") {
		for _, s := range parts {
			if !strings.Contains(line, s) {
				continue next
			}
		}
		v, ok := strings.CutPrefix(line, "time=")
		if !ok {
			continue
		}
		v, _, _ = strings.Cut(v, " ")
		at, err := time.Parse(time.RFC3339Nano, v)
		if err == nil && at.After(since) {
			return at, true
		}
	}
	return time.Time{}, false
}

// do sends a request to the node (path relative to its base URL, or a full
// URL) without following redirects; headers are name, value pairs.
func (p *proc) do(method, url, body string, headers ...string) (*http.Response, string) {
	p.t.Helper()
	if strings.HasPrefix(url, "/") {
		url = p.base + url
	}
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	c := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// metric returns the value of the sample named name on the node's
// /metrics (0 when absent).
func (p *proc) metric(name string) float64 {
	p.t.Helper()
	_, text := p.do("GET", "/metrics", "", "Authorization", "Bearer "+p.admin)
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// sharedCluster is the configuration every node of a cluster test shares:
// the real Redis (a fresh namespace), PostgreSQL (a fresh schema) and NATS,
// and the secrets.
func sharedCluster(t *testing.T) map[string]string {
	return testenv.ClusterEnv(t, "LIVESELL_NODE_SECRET", testenv.NodeSecret)
}
